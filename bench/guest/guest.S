/* guest.S - the benchmark guest: a Multiboot v1 kernel that either exits at once through the
 * isa-debug-exit port (MODE_EXIT) or enters long mode, drops to CPL3 with IOPL=3 and makes
 * ITERS port-I/O (MODE_PIO) or MMIO-read (MODE_MMIO) exits before exiting the same way.
 * Why CPL3: on the nested KVM of the test hosts CPL0 code is emulated (~1 us/instruction)
 * while CPL3 runs natively (shared/PLATFORM.md), so only CPL3 loops time the exits alone. */

#define MODE_EXIT	0
#define MODE_PIO	1
#define MODE_MMIO	2

#ifndef MODE
#define MODE MODE_PIO
#endif
#ifndef ITERS
#define ITERS 0
#endif

#define DEBUG_EXIT_PORT	0xf4
#define BENCH_PORT	0x2e0		/* no device at 0x2E0-0x2E7 in vfvm or QEMU microvm */
#define BENCH_MMIO	0xd0000000	/* above RAM, below every MMIO window: unclaimed */

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0		/* ELF kernel: the loader uses the program headers */

#define PTE_P		0x01
#define PTE_RW		0x02
#define PTE_US		0x04		/* CPL3 needs U/S at every level (SDM vol. 3 §4.6) */
#define PTE_PS		0x80

	.section .multiboot, "a"
	.balign 4
	/* Multiboot 0.6.96 §3.1.1: magic, flags, checksum in the first 8 KiB, 4-byte aligned. */
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	/* Multiboot §3.2 machine state: 32-bit protected mode, paging off, EAX=0x2BADB002. */
	cli
#if MODE == MODE_EXIT
	xorl	%eax, %eax
	movw	$DEBUG_EXIT_PORT, %dx
	outl	%eax, %dx
	jmp	.
#else
	lgdt	gdt_ptr
	/* Long mode per SDM vol. 3 §10.8.5: PAE, CR3, EFER.LME, then paging. */
	movl	%cr4, %eax
	orl	$0x20, %eax
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx
	rdmsr
	orl	$0x100, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000001, %eax
	movl	%eax, %cr0
	ljmp	$0x08, $long64

	.code64
long64:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	/* iretq to CPL3 with RFLAGS.IOPL=3 (bits 12-13) so user code may use in/out. */
	pushq	$0x1b			/* SS: user data | RPL3 */
	pushq	$user_stack_top
	pushq	$0x3002			/* IOPL=3, reserved bit 1; IF=0 */
	pushq	$0x23			/* CS: user code | RPL3 */
	pushq	$user
	iretq

user:
	movl	$ITERS, %ecx
	testl	%ecx, %ecx
	jz	done
#if MODE == MODE_PIO
	movw	$BENCH_PORT, %dx
	xorl	%eax, %eax
1:	outb	%al, %dx
	decl	%ecx
	jnz	1b
#else
	movl	$BENCH_MMIO, %esi
1:	movl	(%rsi), %eax
	decl	%ecx
	jnz	1b
#endif
done:
	xorl	%eax, %eax
	movw	$DEBUG_EXIT_PORT, %dx
	outl	%eax, %dx
	jmp	.

	.data
	.balign 8
gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code, DPL0 */
	.quad	0x00cf92000000ffff	/* 0x10: data, DPL0 */
	.quad	0x00cff2000000ffff	/* 0x18: data, DPL3 */
	.quad	0x00affa000000ffff	/* 0x20: 64-bit code, DPL3 */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	gdt

	/* Identity map of the first 2 MiB (the kernel) and the 2 MiB page of BENCH_MMIO. */
	.balign 4096
pml4:
	.quad	pdpt + (PTE_P | PTE_RW | PTE_US)
	.fill	511, 8, 0
pdpt:
	.quad	pd0 + (PTE_P | PTE_RW | PTE_US)
	.quad	0, 0
	.quad	pd3 + (PTE_P | PTE_RW | PTE_US)
	.fill	508, 8, 0
pd0:
	.quad	0 + (PTE_P | PTE_RW | PTE_US | PTE_PS)
	.fill	511, 8, 0
pd3:
	.fill	(BENCH_MMIO - 0xc0000000) >> 21, 8, 0
	.quad	BENCH_MMIO + (PTE_P | PTE_RW | PTE_US | PTE_PS)
	.fill	511 - ((BENCH_MMIO - 0xc0000000) >> 21), 8, 0

	.balign 16
	.fill	1024, 1, 0
user_stack_top:
#endif
