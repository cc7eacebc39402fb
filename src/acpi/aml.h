/* aml.h - a small AML byte-code builder (ACPI 6.5 §20.2, AML grammar). */
#ifndef VFVM_ACPI_AML_H
#define VFVM_ACPI_AML_H
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; a failed allocation latches err and later calls do nothing. */
struct aml {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);
/* PkgLength (§20.2.4) for a package whose body is body_len bytes; returns bytes written. */
int aml_pkglength(struct aml *a, size_t body_len);
/* Integer (§20.2.3): ZeroOp/OneOp/Byte/Word/DWord/QWord prefix by magnitude. */
void aml_integer(struct aml *a, uint64_t v);
/* NameOp NameSeg (§20.2.5.1): name must be 4 chars (padded with '_'). */
void aml_name(struct aml *a, const char *name);
#endif
