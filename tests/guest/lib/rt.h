/* rt.h - the freestanding runtime every test guest links against: port I/O, COM1 output,
 * PASS/FAIL reporting, exit through isa-debug-exit, the IDT, and PIC/PIT/APIC helpers. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entry magics: Multiboot 0.6.96 §3.2 (EAX), and ours for the Linux boot protocol path. */
#define MB_BOOT_MAGIC		0x2BADB002u
#define LINUX_BOOT_MAGIC	0x4C494E58u	/* "LINX": entered through code32_start */

/* Each guest defines this; rt_start() calls it after the runtime is set up. */
void guest_main(uint32_t magic, uint32_t info);
extern const char guest_name[];

/* Port I/O. */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline uint32_t mmio_read32(uint32_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static inline void mmio_write32(uint32_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }

/* Minimal libc. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* COM1 (0x3F8), polled on LSR.THRE. printf understands %s %c %u %d %x %p, width, '0'. */
void serial_init(void);
void putc_serial(char c);
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/* Results: "PASS <guest>.<name>" / "FAIL <guest>.<name>: why". */
void pass(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool check(const char *name, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Equality of two 32-bit values, each evaluated once: "got 0x.., want 0x..". */
bool check_u32(const char *name, uint32_t got, uint32_t want);
#define check_eq(name, got, want) check_u32(name, (uint32_t)(got), (uint32_t)(want))
unsigned fail_count(void);
/* Prints DONE and exits via isa-debug-exit (value 0: all passed, 1: something failed). */
void __attribute__((noreturn)) done(void);
void __attribute__((noreturn)) debug_exit(uint32_t v);

/* Boot information seen at entry. */
extern uint32_t boot_magic, boot_info;
/* The kernel command line (Multiboot cmdline or boot_params cmd_line_ptr), "" if none. */
const char *boot_cmdline(void);
/* Value of "key=NUM" (decimal or 0x hex) on the command line, @def when absent. */
uint32_t cmdline_uint(const char *cmdline, const char *key, uint32_t def);
/* xorshift32 byte stream used by the build's blob generator (mkblob.c). */
uint8_t blob_byte(uint32_t *state);
uint32_t blob_seed(uint32_t seed);

/* IDT: exceptions (0-31) print FAIL and exit; others call the handler set here. */
typedef void (*irq_handler_t)(uint32_t vector);
void idt_init(void);
void idt_set_handler(unsigned vector, irq_handler_t h);
extern volatile uint32_t irq_count[256];

/* 8259A pair (ICW/OCW per the 8259A datasheet). */
#define PIC_BASE_MASTER 0x20
#define PIC_BASE_SLAVE  0x28
void pic_init(uint8_t master_vec, uint8_t slave_vec, bool auto_eoi);
void pic_set_mask(uint16_t mask);
uint16_t pic_get_mask(void);
void pic_eoi(unsigned irq);		/* non-specific EOI */
void pic_specific_eoi(unsigned irq);
uint16_t pic_read_irr(void);
uint16_t pic_read_isr(void);

/* 8254 (PIT_FREQ 1193182 Hz). */
#define PIT_FREQ 1193182u
void pit_periodic(uint16_t divisor);	/* counter 0, mode 2 */
void pit_stop(void);
/* Busy-wait @ticks (1..65536) PIT ticks with counter 2 in mode 0, polling OUT2 at port 0x61. */
void pit_wait_ticks(uint32_t ticks);
void delay_us(uint32_t us);
/* Poll until *v >= n or @us (<= 54000) microseconds passed; uses counter 2. */
bool wait_count(volatile uint32_t *v, uint32_t n, uint32_t us);

/* Local APIC at 0xFEE00000 (SDM vol. 3 ch. 10) and I/O APIC at 0xFEC00000 (82093AA). */
#define LAPIC_BASE	0xFEE00000u
#define LAPIC_ID	0x020
#define LAPIC_VER	0x030
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0B0
#define LAPIC_SVR	0x0F0
#define LAPIC_ISR	0x100
#define LAPIC_IRR	0x200
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LINT0	0x350
#define LAPIC_LINT1	0x360
static inline uint32_t lapic_read(uint32_t reg) { return mmio_read32(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }
void lapic_enable(uint8_t spurious_vector);
void lapic_eoi(void);
uint32_t lapic_id(void);
/* Send an IPI; waits (bounded) until the delivery status bit clears. false on timeout. */
bool lapic_send_ipi(uint32_t dest, uint32_t lo);

#define IOAPIC_BASE	0xFEC00000u
uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t v);
uint64_t ioapic_get_entry(unsigned pin);
void ioapic_set_entry(unsigned pin, uint64_t e);

/* Application processors: lib/ap_boot.S. smp_start() copies the trampoline, sends
 * INIT-SIPI-SIPI to all but self and returns; each AP calls ap_main(ticket 0, 1, ...). */
#define AP_TRAMPOLINE 0x1000
void ap_main(uint32_t ticket);
void smp_start(void);
extern volatile uint32_t ap_ticket;
#endif
