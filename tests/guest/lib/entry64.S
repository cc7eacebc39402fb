/* entry64.S - entry of the 64-bit guests (format vmlinux64): boot.rst "64-bit BOOT PROTOCOL"
 * enters at the ELF entry in long mode with CS = __BOOT_CS (0x10), DS = ES = SS = __BOOT_DS
 * (0x18), RSI = boot_params, identity-mapped page tables and interrupts off. The state as
 * found is saved in entry64_state for the guest to check; nothing is zeroed here because
 * .bss zeroing is the ELF loader's job (the guest checks it). */
	.section .boot.header, "ax"
	.globl _start
	.code64
_start:
	/* Nothing before these stores may change the registers or flags saved. */
	movq %rsi, entry64_state + 0(%rip)
	movq %rsp, entry64_state + 8(%rip)
	leaq stack_top(%rip), %rsp
	pushfq
	popq %rax
	movq %rax, entry64_state + 16(%rip)
	movw %cs, entry64_state + 24(%rip)
	movw %ds, entry64_state + 26(%rip)
	movw %es, entry64_state + 28(%rip)
	movw %ss, entry64_state + 30(%rip)
	movw %fs, entry64_state + 32(%rip)
	movw %gs, entry64_state + 34(%rip)
	movl $0x4C494E58, %edi	/* LINUX_BOOT_MAGIC: boot_cmdline() reads boot_params */
	movl entry64_state + 0(%rip), %esi	/* rt_start takes 32 bits; the guest checks the rest */
	call rt_start
1:	hlt
	jmp 1b

	/* In .data, not .bss: written before anything could check the loader's zeroing. */
	.section .data
	.align 8
	.globl entry64_state
entry64_state:
	.space 40

	.section .bss
	.align 16
	.space 16384
stack_top:
