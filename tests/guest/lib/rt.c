/* rt.c - the guest runtime's core: tiny libc, COM1 printf, PASS/FAIL bookkeeping, the
 * command line, and exit through the isa-debug-exit port (QEMU convention: status (v<<1)|1). */
#include "rt.h"

#define COM1 0x3F8
#define DEBUG_EXIT_PORT 0xF4

uint32_t boot_magic, boot_info;
static unsigned nfail, npass;

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (uint8_t)*a - (uint8_t)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

/* 16550: 115200 8N1 (the divisor is irrelevant to an emulated UART but set it like a driver). */
void serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* IER: no interrupts */
	outb(COM1 + 3, 0x80);	/* LCR: DLAB */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 4, 0x03);	/* MCR: DTR RTS, no loopback */
}

void putc_serial(char c)
{
	unsigned spin = 100000;

	if (c == '\n')
		putc_serial('\r');
	while (!(inb(COM1 + 5) & 0x20) && --spin)	/* LSR.THRE */
		;
	outb(COM1, (uint8_t)c);
}

static void put_num(uint32_t v, unsigned base, int width, char pad, bool neg)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[i++] = '-';
	while (width-- > i)
		putc_serial(pad);
	while (i--)
		putc_serial(buf[i]);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc_serial(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0;
		fmt++;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				putc_serial(*s);
			break;
		}
		case 'c':
			putc_serial((char)va_arg(ap, int));
			break;
		case 'u':
			put_num(va_arg(ap, uint32_t), 10, width, pad, false);
			break;
		case 'd': {
			int32_t v = va_arg(ap, int32_t);
			put_num(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, width, pad, v < 0);
			break;
		}
		case 'x':
		case 'p':
			put_num(va_arg(ap, uint32_t), 16, width, pad, false);
			break;
		case '%':
			putc_serial('%');
			break;
		case 0:
			return;
		default:
			putc_serial('?');
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void pass(const char *name)
{
	npass++;
	printf("PASS %s.%s\n", guest_name, name);
}

static void vfail(const char *name, const char *fmt, va_list ap)
{
	nfail++;
	printf("FAIL %s.%s: ", guest_name, name);
	vprintf(fmt, ap);
	putc_serial('\n');
}

void fail(const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
}

bool check(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		pass(name);
		return true;
	}
	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
	return false;
}

bool check_u32(const char *name, uint32_t got, uint32_t want)
{
	return check(name, got == want, "got 0x%x, want 0x%x", got, want);
}

unsigned fail_count(void)
{
	return nfail;
}

void debug_exit(uint32_t v)
{
	cli();
	outl(DEBUG_EXIT_PORT, v);
	/* Still here: no isa-debug-exit device. The runner's timeout reports it. */
	printf("FAIL %s.exit: isa-debug-exit at 0x%x did not stop the VM\n", guest_name,
	       DEBUG_EXIT_PORT);
	for (;;)
		__asm__ volatile("hlt");
}

void done(void)
{
	if (!npass && !nfail)
		fail("done", "no checks ran");
	printf("DONE %s: %u passed, %u failed\n", guest_name, npass, nfail);
	debug_exit(nfail ? 1 : 0);
}

/* Multiboot info flags bit 2 / cmdline at +16 (Multiboot 0.6.96 §3.3); boot_params
 * cmd_line_ptr at 0x228 (Documentation/arch/x86/boot.rst). */
const char *boot_cmdline(void)
{
	if (boot_magic == MB_BOOT_MAGIC) {
		const uint32_t *mbi = (const uint32_t *)(uintptr_t)boot_info;
		return (mbi[0] & 4) && mbi[4] ? (const char *)(uintptr_t)mbi[4] : "";
	}
	if (boot_magic == LINUX_BOOT_MAGIC) {
		uint32_t p = *(const uint32_t *)(uintptr_t)(boot_info + 0x228);
		return p ? (const char *)(uintptr_t)p : "";
	}
	return "";
}

static uint32_t parse_num(const char *s)
{
	uint32_t v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return v;
		v = v * base + d;
	}
}

uint32_t cmdline_uint(const char *s, const char *key, uint32_t def)
{
	size_t kl = strlen(key);

	while (*s) {
		while (*s == ' ')
			s++;
		if (!strncmp(s, key, kl) && s[kl] == '=')
			return parse_num(s + kl + 1);
		while (*s && *s != ' ')
			s++;
	}
	return def;
}

uint32_t blob_seed(uint32_t seed)
{
	return seed * 2654435761u + 1;
}

uint8_t blob_byte(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return (uint8_t)(*x >> 24);
}

/* Called from every entry stub with the stack set up. */
void rt_start(uint32_t magic, uint32_t info);
void rt_start(uint32_t magic, uint32_t info)
{
	boot_magic = magic;
	boot_info = info;
	serial_init();
	/* Start on a fresh line: firmware (SeaBIOS under QEMU) may have left a partial one. */
	putc_serial('\n');
	idt_init();
	guest_main(magic, info);
	done();
}

/* Overridden by guests that start APs (lib/ap_boot.S calls it on each AP). */
void __attribute__((weak)) ap_main(uint32_t ticket)
{
	(void)ticket;
}
