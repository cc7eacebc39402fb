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
static int aml_pkglength_encode(uint8_t out[4], size_t body_len)
{
	size_t total;
	int n, i;

	if (body_len + 1 <= 0x3f) {
		out[0] = body_len + 1;
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = body_len + n;
		if (total < (1u << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4)
		return -E2BIG;
	out[0] = ((n - 1) << 6) | (total & 0xf);
	for (i = 1; i < n; i++)
		out[i] = total >> (4 + 8 * (i - 1));
	return n;
}

int aml_pkglength(struct aml *a, size_t body_len)
{
	uint8_t enc[4];
	int n = aml_pkglength_encode(enc, body_len);

	if (n < 0) {
		a->err = n;
		return -1;
	}
	aml_bytes(a, enc, n);
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

static void aml_le(struct aml *a, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		aml_byte(a, v >> (8 * i));
}

/* One NameSeg (§20.2.2): a lead letter or '_', then letters, digits or '_'. */
static int aml_nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	if (n == 0 || n > 4 || (s[0] >= '0' && s[0] <= '9'))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return -EINVAL;
		seg[i] = c;
	}
	aml_bytes(a, seg, 4);
	return 0;
}

/* NameString = [RootChar | ParentPrefixChar*] NamePath; NamePath is one NameSeg, or
 * DualNamePrefix (0x2E) with two, or MultiNamePrefix (0x2F) with a count (§20.2.2). */
void aml_namestring(struct aml *a, const char *path)
{
	unsigned nseg = 1;
	const char *p;

	if (*path == '\\')
		aml_byte(a, *path++);
	while (*path == '^')
		aml_byte(a, *path++);
	for (p = path; *p; p++)
		nseg += *p == '.';
	if (nseg > 255)
		goto bad;
	if (nseg == 2)
		aml_byte(a, 0x2e);
	else if (nseg > 2) {
		aml_byte(a, 0x2f);
		aml_byte(a, nseg);
	}
	for (p = path; nseg--; p++) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (aml_nameseg(a, p, n))
			goto bad;
		p += n;
	}
	return;
bad:
	if (!a->err)
		a->err = -EINVAL;
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, 0x0d);
	aml_bytes(a, s, strlen(s) + 1);
}

/* §19.6.44: three letters as 5-bit values ('A' = 1) in bits 30:16 of the big-endian
 * word, then four hex digits; stored so that its bytes read in that big-endian order. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t be;
	unsigned hex = 0;

	if (strlen(id) != 7)
		goto bad;
	for (int i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			goto bad;
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			goto bad;
		hex = hex << 4 | d;
	}
	be = (uint32_t)(id[0] - 0x40) << 26 | (uint32_t)(id[1] - 0x40) << 21 |
	     (uint32_t)(id[2] - 0x40) << 16 | hex;
	aml_byte(a, 0x0c);	/* DWordPrefix */
	aml_byte(a, be >> 24);
	aml_byte(a, be >> 16);
	aml_byte(a, be >> 8);
	aml_byte(a, be);
	return;
bad:
	if (!a->err)
		a->err = -EINVAL;
}

void aml_buffer(struct aml *a, const void *p, size_t n)
{
	struct aml size;

	aml_init(&size);
	aml_integer(&size, n);
	aml_byte(a, 0x11);
	aml_pkglength(a, size.len + n);
	aml_bytes(a, size.buf, size.len);
	aml_bytes(a, p, n);
	if (size.err && !a->err)
		a->err = size.err;
	aml_free(&size);
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, 0x10);
	mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, 0x5b);	/* ExtOpPrefix */
	aml_byte(a, 0x82);
	mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_method_begin(struct aml *a, const char *path, unsigned nargs, int serialized)
{
	size_t mark;

	aml_byte(a, 0x14);
	mark = a->len;
	aml_namestring(a, path);
	if (nargs > 7 && !a->err)
		a->err = -EINVAL;
	aml_byte(a, (nargs & 7) | (serialized ? 0x08 : 0));
	return mark;
}

size_t aml_package_begin(struct aml *a, unsigned nelem)
{
	size_t mark;

	aml_byte(a, 0x12);
	mark = a->len;
	if (nelem > 255 && !a->err)
		a->err = -E2BIG;
	aml_byte(a, nelem);
	return mark;
}

void aml_end(struct aml *a, size_t mark)
{
	uint8_t enc[4];
	int n;

	if (a->err)
		return;
	if (mark > a->len) {
		a->err = -EINVAL;
		return;
	}
	n = aml_pkglength_encode(enc, a->len - mark);
	if (n < 0) {
		a->err = n;
		return;
	}
	if (aml_reserve(a, n))
		return;
	memmove(a->buf + mark + n, a->buf + mark, a->len - mark);
	memcpy(a->buf + mark, enc, n);
	a->len += n;
}

void aml_return(struct aml *a)
{
	aml_byte(a, 0xa4);
}

void aml_opregion(struct aml *a, const char *name, enum aml_region_space space,
		  uint64_t offset, uint64_t len)
{
	aml_byte(a, 0x5b);	/* ExtOpPrefix */
	aml_byte(a, 0x80);	/* OpRegionOp */
	aml_namestring(a, name);
	aml_byte(a, space);
	aml_integer(a, offset);
	aml_integer(a, len);
}

size_t aml_field_begin(struct aml *a, const char *region)
{
	size_t mark;

	aml_byte(a, 0x5b);
	aml_byte(a, 0x81);	/* FieldOp */
	mark = a->len;
	aml_namestring(a, region);
	/* FieldFlags: AccessType bits 3:0 = 1 ByteAcc, LockRule bit 4 = 0 NoLock, UpdateRule
	 * bits 6:5 = 0 Preserve. */
	aml_byte(a, 0x01);
	return mark;
}

/* NamedField := NameSeg PkgLength, where the PkgLength encoding carries the field's width
 * in bits as it is (it does not count its own bytes, unlike a package's). */
void aml_field_unit(struct aml *a, const char *name, unsigned bits)
{
	size_t n = strlen(name);

	if (n == 0 || n > 4 || bits == 0 || bits >= 1u << 28 || aml_nameseg(a, name, n)) {
		if (!a->err)
			a->err = -EINVAL;
		return;
	}
	if (bits <= 0x3f) {
		aml_byte(a, bits);
		return;
	}
	int nb = bits < 1u << 12 ? 2 : bits < 1u << 20 ? 3 : 4;

	aml_byte(a, (nb - 1) << 6 | (bits & 0xf));
	for (int i = 1; i < nb; i++)
		aml_byte(a, bits >> (4 + 8 * (i - 1)));
}

size_t aml_if_begin(struct aml *a)
{
	aml_byte(a, 0xa0);	/* IfOp */
	return a->len;
}

void aml_local(struct aml *a, unsigned n)
{
	if (n > 7 && !a->err)
		a->err = -EINVAL;
	aml_byte(a, 0x60 + (n & 7));	/* Local0Op-Local7Op */
}

void aml_store(struct aml *a)
{
	aml_byte(a, 0x70);
}

void aml_and(struct aml *a)
{
	aml_byte(a, 0x7b);
}

void aml_null_target(struct aml *a)
{
	aml_byte(a, 0x00);	/* NullName: the result is not stored */
}

void aml_notify(struct aml *a, const char *path, uint8_t value)
{
	aml_byte(a, 0x86);	/* NotifyOp */
	aml_namestring(a, path);
	aml_integer(a, value);
}

void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	aml_byte(a, 0x47);	/* small item 0x08, length 7 */
	aml_byte(a, 0x01);	/* decodes 16 address bits */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

void aml_res_irq_noflags(struct aml *a, unsigned irq)
{
	if (irq > 15 && !a->err)
		a->err = -EINVAL;
	aml_byte(a, 0x22);	/* small item 0x04, length 2: no information byte */
	aml_le(a, 1u << (irq & 15), 2);
}

/* §6.4.3.6, Table 6.57: bit 0 consumer, bit 1 edge (0 = level), bit 2 active low,
 * bit 3 shared. */
void aml_res_ext_irq(struct aml *a, uint32_t gsi, int level, int active_low, int shared)
{
	aml_byte(a, 0x89);
	aml_le(a, 6, 2);
	aml_byte(a, 0x01 | (level ? 0 : 0x02) | (active_low ? 0x04 : 0) | (shared ? 0x08 : 0));
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, int rw)
{
	aml_byte(a, 0x86);
	aml_le(a, 9, 2);
	aml_byte(a, rw ? 1 : 0);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

/*
 * Address space descriptors (§6.4.3.5, Tables 6.44-6.46): tag, length, resource type,
 * general flags, type-specific flags, then granularity, minimum, maximum, translation
 * offset and length, each w bytes. General flags 0x0C: _MAF and _MIF fixed, positive
 * decode, bit 0 clear = producer (the bridge decodes the range for its children).
 */
static void aml_res_addr(struct aml *a, uint8_t tag, int w, enum aml_addr_type t,
			 uint8_t tflags, uint64_t min, uint64_t max)
{
	if (max < min && !a->err)
		a->err = -EINVAL;
	aml_byte(a, tag);
	aml_le(a, 3 + 5 * w, 2);
	aml_byte(a, t);
	aml_byte(a, 0x0c);
	aml_byte(a, tflags);
	aml_le(a, 0, w);
	aml_le(a, min, w);
	aml_le(a, max, w);
	aml_le(a, 0, w);
	aml_le(a, max - min + 1, w);
}

void aml_res_word(struct aml *a, enum aml_addr_type t, uint8_t tflags, uint16_t min,
		  uint16_t max)
{
	aml_res_addr(a, 0x88, 2, t, tflags, min, max);
}

void aml_res_dword(struct aml *a, enum aml_addr_type t, uint8_t tflags, uint32_t min,
		   uint32_t max)
{
	aml_res_addr(a, 0x87, 4, t, tflags, min, max);
}

void aml_res_qword(struct aml *a, enum aml_addr_type t, uint8_t tflags, uint64_t min,
		   uint64_t max)
{
	aml_res_addr(a, 0x8a, 8, t, tflags, min, max);
}

/* §6.4.2.9: End Tag 0x79 and a checksum byte that makes all the template's bytes sum
 * to zero. */
void aml_restemplate(struct aml *a, struct aml *res)
{
	uint8_t sum = 0x79;

	for (size_t i = 0; i < res->len; i++)
		sum += res->buf[i];
	aml_byte(res, 0x79);
	aml_byte(res, (uint8_t)-sum);
	if (res->err) {
		if (!a->err)
			a->err = res->err;
		return;
	}
	aml_buffer(a, res->buf, res->len);
}
