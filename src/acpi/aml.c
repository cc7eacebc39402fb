/* aml.c - a small AML byte-code builder (ACPI 6.5 §20.2, AML grammar). */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "acpi/aml.h"

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	aml_init(a);
}

static int aml_reserve(struct aml *a, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (a->err)
		return -1;
	if (a->len + n <= a->cap)
		return 0;
	cap = a->cap ? a->cap * 2 : 64;
	while (cap < a->len + n)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (!p) {
		a->err = -ENOMEM;
		return -1;
	}
	a->buf = p;
	a->cap = cap;
	return 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* §20.2.4: the length counts itself; 1 byte up to 63, else 2-4 bytes with the
 * count of following bytes in bits 7:6 and the low nibble in bits 3:0. */
int aml_pkglength(struct aml *a, size_t body_len)
{
	size_t total;
	int n, i;

	if (body_len + 1 <= 0x3f) {
		aml_byte(a, body_len + 1);
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = body_len + n;
		if (total < (1u << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4) {
		a->err = -E2BIG;
		return -1;
	}
	aml_byte(a, ((n - 1) << 6) | (total & 0xf));
	for (i = 1; i < n; i++)
		aml_byte(a, total >> (4 + 8 * (i - 1)));
	return n;
}

void aml_integer(struct aml *a, uint64_t v)
{
	int n, i;

	if (v == 0 || v == 1) {
		aml_byte(a, v);	/* ZeroOp 0x00, OneOp 0x01 */
		return;
	}
	if (v <= 0xff) {
		aml_byte(a, 0x0a);
		n = 1;
	} else if (v <= 0xffff) {
		aml_byte(a, 0x0b);
		n = 2;
	} else if (v <= 0xffffffffu) {
		aml_byte(a, 0x0c);
		n = 4;
	} else {
		aml_byte(a, 0x0e);
		n = 8;
	}
	for (i = 0; i < n; i++)
		aml_byte(a, v >> (8 * i));
}

void aml_name(struct aml *a, const char *name)
{
	char seg[4] = { '_', '_', '_', '_' };
	size_t n = strlen(name);

	memcpy(seg, name, n < 4 ? n : 4);
	aml_byte(a, 0x08);	/* NameOp */
	aml_bytes(a, seg, 4);
}
