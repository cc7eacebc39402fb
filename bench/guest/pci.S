/* pci.S - the PCI benchmark guest (bench/pci.md): a Multiboot v1 kernel for `vfvm --device
 * testdev` that places and enables the test device at 00:01.0 at CPL0, then drops to CPL3 with
 * IOPL=3 and makes ITERS accesses of one kind (MODE) before leaving through isa-debug-exit.
 * CPL3 because ring-0 code is emulated on the nested test hosts (~1 us per instruction) while
 * CPL3 runs natively (shared/PLATFORM.md): the loop itself then costs next to nothing. */

#define MODE_CFGREAD	1	/* config read the way Linux does it: outl 0xCF8, inl 0xCFC */
#define MODE_MMIO_READ	2	/* trapped MMIO read: BAR1 SCRATCH */
#define MODE_MMIO_WRITE	3	/* trapped MMIO write: BAR1 SCRATCH */
#define MODE_PIO_READ	4	/* trapped port read: BAR0 SCRATCH */
#define MODE_DB_MMIO	5	/* doorbell write, MMIO ioeventfd (BAR1 DOORBELL) */
#define MODE_DB_PIO	6	/* doorbell write, port ioeventfd (BAR0 DOORBELL) */
#define MODE_RAM_READ	7	/* read of the RAM-backed BAR2 (memory slot) */
#define MODE_MSIX	8	/* MSI-X vector 0 fired by the MSI register: exit + irqfd */
#define MODE_MSIX_MASKED 9	/* the same with vector 0 masked: exit + PBA bit, no irqfd */

#ifndef MODE
#define MODE MODE_MMIO_READ
#endif
#ifndef ITERS
#define ITERS 0
#endif

#define DEBUG_EXIT_PORT	0xf4
#define CFG_ADDR	0xcf8
#define CFG_DATA	0xcfc

/* QEMU_EDU: the same guest for QEMU (`-M pc -device edu,addr=03.0`, QEMU docs/specs/edu.rst),
 * for the paths both have: config read and a trapped MMIO register (edu's BAR0 at 0x04,
 * "card liveness check", read/write) in place of the test device's BAR1 SCRATCH. */
#ifdef QEMU_EDU
#define DEV_SLOT	3
#define DEV_ID_VALUE	0x11e81234
#define REG_RW		0x04
#if MODE != MODE_CFGREAD && MODE != MODE_MMIO_READ && MODE != MODE_MMIO_WRITE
#error QEMU_EDU has only MODE 1-3
#endif
#else
#define DEV_SLOT	1
#define DEV_ID_VALUE	0x7e571234	/* src/pci/testdev.h */
#define REG_RW		0x08		/* SCRATCH */
#endif
#define DEV_CFG		(0x80000000 | (DEV_SLOT << 11))	/* enable | bus 0 | slot | fn 0 (PCI 3.0 §3.2.2.3.2) */

/* Where this guest puts the BARs (it programs them itself, so vfvm's placement does not matter). */
#define BAR0_IO		0xc000
#define BAR1_MMIO	0xc0000000
#define BAR2_RAM_HI	0x1		/* 0x1_0000_0000: 64-bit, above the 128 MiB of RAM */
#define BAR4_MSIX	0xc0001000
#define LAPIC		0xfee00000

/* src/pci/testdev.h */
#define TD_MSI		0x10
#define TD_DOORBELL	0x18
#define TD_MSIX_CAP	0x60

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0

#define PTE_P		0x01
#define PTE_RW		0x02
#define PTE_US		0x04		/* CPL3 needs U/S at every level (SDM vol. 3 §4.6) */
#define PTE_PCD		0x10
#define PTE_PS		0x80
#define PDE_MMIO	(PTE_P | PTE_RW | PTE_US | PTE_PCD | PTE_PS)

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
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
/* cfg_write: config dword %edi (offset) := %esi, through mechanism #1. */
cfg_write:
	movl	%edi, %eax
	orl	$DEV_CFG, %eax
	movw	$CFG_ADDR, %dx
	outl	%eax, %dx
	movl	%esi, %eax
	movw	$CFG_DATA, %dx
	outl	%eax, %dx
	ret

long64:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	$user_stack_top, %rsp

	/* A TSS whose I/O bitmap allows every port. With IOPL=3 the CPU would never consult it
	 * (SDM vol. 1 §19.5), but on this host's nested KVM the iretq below leaves IOPL at 0 (the
	 * CPL3 code reads IOPL 0 with pushfq; QEMU TCG reads 3), so CPL3 IN/OUT go by the bitmap:
	 * without a TSS, ports whose bit falls on non-zero low memory (0xCF8, 0xC008) fault. */
	movl	$tss, %eax
	movw	%ax, gdt_tss + 2
	shrl	$16, %eax
	movb	%al, gdt_tss + 4
	movb	%ah, gdt_tss + 7
	movw	$0x28, %ax
	ltr	%ax

	/* Is the device at 00:DEV_SLOT.0? Otherwise leave with status 3 (value 1). */
	movl	$DEV_CFG, %eax
	movw	$CFG_ADDR, %dx
	outl	%eax, %dx
	movw	$CFG_DATA, %dx
	inl	%dx, %eax
	cmpl	$DEV_ID_VALUE, %eax
	jne	fail

#ifdef QEMU_EDU
	/* edu: BAR0 (1 MiB MMIO) where the test device's BAR1 goes; Command = Memory | Master. */
	movl	$0x10, %edi
	movl	$BAR1_MMIO, %esi
	call	cfg_write
	movl	$0x04, %edi
	movl	$0x6, %esi
	call	cfg_write
#else

	/* BARs (PCI 3.0 §6.2.5.1), then Command = I/O | Memory | Bus Master (§6.2.2). */
	movl	$0x10, %edi
	movl	$BAR0_IO, %esi
	call	cfg_write
	movl	$0x14, %edi
	movl	$BAR1_MMIO, %esi
	call	cfg_write
	movl	$0x18, %edi
	xorl	%esi, %esi
	call	cfg_write
	movl	$0x1c, %edi
	movl	$BAR2_RAM_HI, %esi
	call	cfg_write
	movl	$0x20, %edi
	movl	$BAR4_MSIX, %esi
	call	cfg_write
	movl	$0x04, %edi
	movl	$0x7, %esi
	call	cfg_write
#endif

#if MODE == MODE_MSIX || MODE == MODE_MSIX_MASKED
	/* Software-enable the local APIC (SVR bit 8, SDM vol. 3 §11.4.7.1) so that the message is
	 * accepted into the IRR; IF stays 0, so it is never taken.
	 * (Addresses go through registers: a disp32 above 2 GiB would be sign-extended.) */
	movl	$LAPIC, %edi
	movl	$0x1ff, 0xf0(%rdi)
	/* MSI-X table entry 0 (PCI 3.0 §6.8.2.6-9): fixed, vector 0x40, to APIC 0. */
	movl	$BAR4_MSIX, %edi
	movl	$LAPIC, 0(%rdi)
	movl	$0, 4(%rdi)
	movl	$0x40, 8(%rdi)
#if MODE == MODE_MSIX_MASKED
	movl	$1, 12(%rdi)		/* Vector Control: Mask */
#else
	movl	$0, 12(%rdi)
#endif
	/* Message Control (cap + 2) bit 15: MSI-X Enable; the other bits are read-only. */
	movl	$TD_MSIX_CAP, %edi
	movl	$0x80000000, %esi
	call	cfg_write
#endif

	/* iretq to CPL3 with RFLAGS.IOPL=3 (bits 12-13) so user code may use in/out. */
	pushq	$0x1b
	pushq	$user_stack_top
	pushq	$0x3002			/* IOPL=3, reserved bit 1; IF=0 */
	pushq	$0x23
	pushq	$user
	iretq

user:
	movl	$ITERS, %ecx
	testl	%ecx, %ecx
	jz	done
#if MODE == MODE_CFGREAD
	movl	$DEV_CFG, %ebx
1:	movl	%ebx, %eax
	movw	$CFG_ADDR, %dx
	outl	%eax, %dx
	movw	$CFG_DATA, %dx
	inl	%dx, %eax
	decl	%ecx
	jnz	1b
#elif MODE == MODE_MMIO_READ
	movl	$(BAR1_MMIO + REG_RW), %esi
1:	movl	(%rsi), %eax
	decl	%ecx
	jnz	1b
#elif MODE == MODE_MMIO_WRITE
	movl	$(BAR1_MMIO + REG_RW), %esi
1:	movl	%ecx, (%rsi)
	decl	%ecx
	jnz	1b
#elif MODE == MODE_PIO_READ
	movw	$(BAR0_IO + REG_RW), %dx
1:	inl	%dx, %eax
	decl	%ecx
	jnz	1b
#elif MODE == MODE_DB_MMIO
	movl	$(BAR1_MMIO + TD_DOORBELL), %esi
1:	movl	%ecx, (%rsi)
	decl	%ecx
	jnz	1b
#elif MODE == MODE_DB_PIO
	movw	$(BAR0_IO + TD_DOORBELL), %dx
1:	outl	%eax, %dx
	decl	%ecx
	jnz	1b
#elif MODE == MODE_RAM_READ
	movabsq	$(BAR2_RAM_HI << 32), %rsi
1:	movl	(%rsi), %eax
	decl	%ecx
	jnz	1b
#elif MODE == MODE_MSIX || MODE == MODE_MSIX_MASKED
	movl	$(BAR1_MMIO + TD_MSI), %esi
	xorl	%eax, %eax
1:	movl	%eax, (%rsi)
	decl	%ecx
	jnz	1b
#else
#error unknown MODE
#endif
done:
	xorl	%eax, %eax
	movw	$DEBUG_EXIT_PORT, %dx
	outl	%eax, %dx
	jmp	.
fail:
	movl	$1, %eax
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
gdt_tss:				/* 0x28: 64-bit TSS (SDM vol. 3 §8.2.3); base set at run time */
	.word	tss_end - tss - 1
	.word	0
	.byte	0, 0x89, 0, 0
	.long	0, 0
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	gdt

	/* 2 MiB pages: the kernel (0-2 MiB), BAR1+BAR4 (0xC0000000), the LAPIC, BAR2 (4 GiB). */
	.balign 4096
pml4:
	.quad	pdpt + (PTE_P | PTE_RW | PTE_US)
	.fill	511, 8, 0
pdpt:
	.quad	pd0 + (PTE_P | PTE_RW | PTE_US)
	.quad	0, 0
	.quad	pd3 + (PTE_P | PTE_RW | PTE_US)
	.quad	pd4 + (PTE_P | PTE_RW | PTE_US)
	.fill	507, 8, 0
pd0:
	.quad	0 + (PTE_P | PTE_RW | PTE_US | PTE_PS)
	.fill	511, 8, 0
pd3:
	.quad	BAR1_MMIO + PDE_MMIO
	.fill	(LAPIC - BAR1_MMIO) / 0x200000 - 1, 8, 0
	.quad	(LAPIC & ~0x1fffff) + PDE_MMIO
	.fill	511 - (LAPIC - BAR1_MMIO) / 0x200000, 8, 0
pd4:
	.quad	(BAR2_RAM_HI << 32) + (PTE_P | PTE_RW | PTE_US | PTE_PS)
	.fill	511, 8, 0

	.balign 16
	.fill	1024, 1, 0
user_stack_top:

	.balign 16
tss:					/* SDM vol. 3 §8.7: I/O map base at 0x66 */
	.fill	0x66, 1, 0
	.word	tss_iomap - tss
tss_iomap:
	.fill	65536 / 8, 1, 0		/* every port allowed */
	.byte	0xff			/* the bitmap's terminating byte */
tss_end:
