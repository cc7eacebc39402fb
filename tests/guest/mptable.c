/* mptable.c - finds and checks the MP tables (Intel MultiProcessor Specification 1.4) the way
 * an OS does: the floating pointer in the BIOS area (§4: EBDA first KiB, last KiB of base
 * memory, 0xF0000-0xFFFFF), its checksum and feature bytes (§4.1), the configuration table
 * header, checksum and local APIC address (§4.2), the entries by type and size (§4.3):
 * processors (cpus=N from the command line, one BP which is this CPU, distinct IDs), an ISA
 * bus, the I/O APIC (address, ID as its own ID register reports, no clash with CPUs), ISA
 * IRQ0 -> INTIN 2 and IRQ4 -> INTIN 4, ExtINT on LINT0 and NMI on LINT1; and that the tables
 * lie in memory the Multiboot map does not call RAM. */
#include "rt.h"

const char guest_name[] = "mptable";

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

static const uint8_t *scan(uint32_t base, uint32_t len)
{
	for (uint32_t a = base; a + 16 <= base + len; a += 16)
		if (!memcmp((const void *)a, "_MP_", 4) && !sum((const uint8_t *)a, 16))
			return (const uint8_t *)a;
	return NULL;
}

/* Is [a, a+len) outside every RAM entry of the Multiboot memory map? */
static bool not_ram(uint32_t info, uint32_t a, uint32_t len)
{
	const uint32_t *mbi = (const uint32_t *)info;
	uint32_t p = mbi[12], end = mbi[12] + mbi[11];

	if (!(mbi[0] & (1 << 6)))
		return false;
	for (; p < end; p += *(const uint32_t *)p + 4) {
		const uint8_t *e = (const uint8_t *)p + 4;
		uint64_t ea, el;
		uint32_t type;
		memcpy(&ea, e, 8);
		memcpy(&el, e + 8, 8);
		memcpy(&type, e + 16, 4);
		if (type == 1 && a < ea + el && ea < (uint64_t)a + len)
			return false;
	}
	return true;
}

struct found {
	unsigned cpus, bps, bp_id, isa_bus, ioapics, irq0_pin, irq4_pin, lint0_extint, lint1_nmi;
	uint32_t cpu_ids, ioapic_addr, ioapic_id, bad_type, bytes;
};

static void walk(const uint8_t *e, uint32_t count, uint32_t len, struct found *f)
{
	int isa = -1;

	f->irq0_pin = f->irq4_pin = 0xFF;
	for (uint32_t i = 0; i < count && f->bytes < len; i++) {
		switch (e[0]) {
		case 0:		/* processor */
			f->cpus++;
			if (e[1] < 32)
				f->cpu_ids |= 1u << e[1];
			if (e[3] & 2)
				f->bps++, f->bp_id = e[1];
			if (!(e[3] & 1))
				f->cpus += 100;		/* a disabled CPU: counted as wrong */
			e += 20, f->bytes += 20;
			continue;
		case 1:		/* bus */
			if (!memcmp(e + 2, "ISA   ", 6))
				isa = e[1], f->isa_bus++;
			break;
		case 2:		/* I/O APIC */
			f->ioapics++;
			f->ioapic_id = e[1];
			memcpy(&f->ioapic_addr, e + 4, 4);
			break;
		case 3:		/* I/O interrupt: type, flags, src bus, src irq, dst id, dst intin */
			if (e[1] == 0 && isa >= 0 && e[4] == isa && e[5] == 0)
				f->irq0_pin = e[7];
			if (e[1] == 0 && isa >= 0 && e[4] == isa && e[5] == 4)
				f->irq4_pin = e[7];
			break;
		case 4:		/* local interrupt: type, flags, src bus, src irq, dst apic, lint */
			if (e[1] == 3 && e[7] == 0)
				f->lint0_extint++;
			if (e[1] == 1 && e[7] == 1)
				f->lint1_nmi++;
			break;
		default:
			f->bad_type = 0x100 | e[0];
			return;
		}
		e += 8, f->bytes += 8;
	}
}

void guest_main(uint32_t magic, uint32_t info)
{
	uint32_t want = cmdline_uint(boot_cmdline(), "cpus", 1), ebda, cfg, lapic, reg_id;
	const uint8_t *fp, *ct;
	struct found f = { 0 };
	uint16_t base_len, count;

	(void)magic;
	/* The BIOS data area word at 0x40E holds the EBDA segment (hidden from gcc, which takes
	 * small constant addresses for null-pointer arithmetic). */
	uint32_t bda = 0x40E;
	__asm__("" : "+r"(bda));
	ebda = (uint32_t)*(const uint16_t *)bda << 4;
	fp = ebda ? scan(ebda, 1024) : NULL;
	if (!fp)
		fp = scan(639 * 1024, 1024);
	if (!fp)
		fp = scan(0xF0000, 0x10000);
	if (!check("floating_pointer", fp, "no \"_MP_\" with a good checksum in the BIOS areas"))
		return;
	memcpy(&cfg, fp + 4, 4);
	printf("  floating pointer at 0x%x, config table at 0x%x, rev %u\n", (uint32_t)fp, cfg,
	       fp[9]);
	check("fp_fields", fp[8] == 1 && (fp[9] == 1 || fp[9] == 4) && fp[11] == 0 && cfg,
	      "length %u rev %u feature1 %u table 0x%x", fp[8], fp[9], fp[11], cfg);
	if (!cfg)
		return;
	ct = (const uint8_t *)cfg;
	memcpy(&base_len, ct + 4, 2);
	memcpy(&count, ct + 34, 2);
	memcpy(&lapic, ct + 36, 4);
	if (!check("config_signature", !memcmp(ct, "PCMP", 4) && base_len >= 44, "bad header"))
		return;
	check("config_checksum", !sum(ct, base_len), "base table does not sum to 0");
	check_eq("config_lapic_addr", lapic, LAPIC_BASE);
	check("in_reserved_memory", not_ram(info, (uint32_t)fp, 16) && not_ram(info, cfg, base_len),
	      "the MP tables lie in RAM of the memory map");
	walk(ct + 44, count, base_len - 44u, &f);
	check("entries_known", !f.bad_type, "unknown entry type %u", f.bad_type & 0xFF);
	check_eq("entries_length", f.bytes, base_len - 44u);
	check_eq("processors", f.cpus, want);
	check("one_bp", f.bps == 1 && f.bp_id == lapic_id(), "%u BP entries, BP APIC ID %u, mine %u",
	      f.bps, f.bp_id, lapic_id());
	check("processor_ids", f.cpu_ids == (1u << want) - 1, "APIC ID mask 0x%x", f.cpu_ids);
	check("isa_bus", f.isa_bus == 1, "%u ISA bus entries", f.isa_bus);
	reg_id = (ioapic_read(0) >> 24) & 0x0F;
	check("ioapic", f.ioapics == 1 && f.ioapic_addr == IOAPIC_BASE,
	      "%u I/O APIC entries, address 0x%x", f.ioapics, f.ioapic_addr);
	check("ioapic_id", f.ioapic_id == reg_id && !(f.ioapic_id < 32 && (f.cpu_ids >> f.ioapic_id & 1)),
	      "MP table ID %u, I/O APIC register ID %u, CPU IDs 0x%x", f.ioapic_id, reg_id,
	      f.cpu_ids);
	check_eq("isa_irq0_intin", f.irq0_pin, 2);
	check_eq("isa_irq4_intin", f.irq4_pin, 4);
	check("lint0_extint", f.lint0_extint >= 1, "no ExtINT entry for LINT0");
	check("lint1_nmi", f.lint1_nmi >= 1, "no NMI entry for LINT1");
}
