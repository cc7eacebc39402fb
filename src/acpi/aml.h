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

/* NameString (§20.2.2): "\\_SB.PCI0", "^FOO", "PCI0"; segments shorter than 4 are padded
 * with '_'. An empty or malformed path latches -EINVAL. */
void aml_namestring(struct aml *a, const char *path);
/* String (§20.2.3): StringPrefix, ASCII characters, NullChar. */
void aml_string(struct aml *a, const char *s);
/* EISAID (§19.6.44): the 7-character PNP ID compressed to a DWord integer. */
void aml_eisaid(struct aml *a, const char *id);
/* Buffer (§20.2.5.4): BufferOp PkgLength BufferSize ByteList. */
void aml_buffer(struct aml *a, const void *p, size_t n);

/*
 * Scope, Device, Method and Package carry a PkgLength that covers their body, which is
 * only known once the body is written: *_begin writes the opcode and the name and
 * returns a mark; aml_end(mark) inserts the PkgLength in front of the body.
 */
size_t aml_scope_begin(struct aml *a, const char *path);	/* §20.2.5.1 ScopeOp */
size_t aml_device_begin(struct aml *a, const char *path);	/* §20.2.5.2 DeviceOp */
/* MethodOp (§20.2.5.2): nargs 0-7; serialized sets MethodFlags bit 3. */
size_t aml_method_begin(struct aml *a, const char *path, unsigned nargs, int serialized);
/* PackageOp (§20.2.5.4): nelem elements follow, each a data object. */
size_t aml_package_begin(struct aml *a, unsigned nelem);
void aml_end(struct aml *a, size_t mark);
/* ReturnOp (§20.2.5.3) followed by the caller's operand. */
void aml_return(struct aml *a);

/* OperationRegion (§19.6.100, §20.2.5.2 DefOpRegion): name, space, offset, length. */
enum aml_region_space { AML_SYSTEM_MEMORY = 0, AML_SYSTEM_IO = 1 };
void aml_opregion(struct aml *a, const char *name, enum aml_region_space space,
		  uint64_t offset, uint64_t len);
/* Field (§19.6.48, §20.2.5.2 DefField) over @region: ByteAcc, NoLock, Preserve; the named
 * fields of aml_field_unit() follow, then aml_end(). */
size_t aml_field_begin(struct aml *a, const char *region);
void aml_field_unit(struct aml *a, const char *name, unsigned bits);
/* If (§20.2.5.3 DefIfElse without Else): the predicate and the body follow, then aml_end. */
size_t aml_if_begin(struct aml *a);
/* Local0-Local7 and Arg0-Arg6 (§20.2.6.1, §20.2.6.2) as operands. */
void aml_local(struct aml *a, unsigned n);
/* Store (§20.2.5.4 DefStore): the source operand follows, then the target (aml_local...). */
void aml_store(struct aml *a);
/* And (§20.2.5.4 DefAnd) with no target: the two operands follow; the result is the value. */
void aml_and(struct aml *a);
void aml_null_target(struct aml *a);
/* Notify (§19.6.94, §20.2.5.3 DefNotify) of the object at @path with @value. */
void aml_notify(struct aml *a, const char *path, uint8_t value);

/*
 * Resource data (§6.4): a ResourceTemplate() is a Buffer whose bytes are descriptors and
 * an End Tag. struct aml is used for the descriptor list too; aml_restemplate() appends
 * the End Tag with its checksum (§6.4.2.9) and wraps the list into a Buffer object.
 */
enum aml_addr_type { AML_RES_MEM = 0, AML_RES_IO = 1, AML_RES_BUS = 2 };
/* Memory type-specific flags (§6.4.3.5.5, Table 6.50): _RW bit 0, _MEM bits 2:1. */
#define AML_MEM_RW		0x01
#define AML_MEM_NONCACHEABLE	(0 << 1)
#define AML_MEM_CACHEABLE	(1 << 1)
#define AML_MEM_PREFETCHABLE	(3 << 1)
/* I/O type-specific flags (§6.4.3.5.5, Table 6.51): _RNG = 3, ISA and non-ISA ranges. */
#define AML_IO_ENTIRE_RANGE	0x03

/* IO (§6.4.2.5), 16-bit decode. */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
/* IRQNoFlags (§6.4.2.1): edge, active high, exclusive; irq 0-15. */
void aml_res_irq_noflags(struct aml *a, unsigned irq);
/* Extended Interrupt (§6.4.3.6), one interrupt, consumer; level/active-low/shared flags. */
void aml_res_ext_irq(struct aml *a, uint32_t gsi, int level, int active_low, int shared);
/* Memory32Fixed (§6.4.3.4). */
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, int rw);
/* Word/DWord/QWord Address Space descriptors (§6.4.3.5.3/.2/.1) as a producer with fixed
 * minimum and maximum, positive decode, translation 0: what a host bridge's _CRS lists. */
void aml_res_word(struct aml *a, enum aml_addr_type t, uint8_t tflags, uint16_t min,
		  uint16_t max);
void aml_res_dword(struct aml *a, enum aml_addr_type t, uint8_t tflags, uint32_t min,
		   uint32_t max);
void aml_res_qword(struct aml *a, enum aml_addr_type t, uint8_t tflags, uint64_t min,
		   uint64_t max);
/* Appends the End Tag to the descriptor list res, then emits Buffer(res) into a. */
void aml_restemplate(struct aml *a, struct aml *res);
#endif
