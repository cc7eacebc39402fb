/* isr.S - 256 interrupt entry stubs (vector number pushed, plus a dummy error code where the
 * CPU pushes none: SDM vol. 3 §6.13) and the common path into isr_dispatch(). */
	.text
	.code32
.macro stub v
	.align 16
isr_\v:
	.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushl $0
	.endif
	pushl $\v
	jmp isr_common
.endm

	.globl isr_stubs
	.align 16
isr_stubs:
	.altmacro
	.set v, 0
	.rept 256
	stub %v
	.set v, v + 1
	.endr

isr_common:
	pusha
	cld
	pushl %esp		/* struct isr_frame * */
	call isr_dispatch
	addl $4, %esp
	popa
	addl $8, %esp		/* vector, error code: now EIP, CS, EFLAGS */
	/*
	 * No IRET: on the nested KVM this is developed on, ring-0 code runs in KVM's
	 * instruction emulator, which implements IRET only in real mode (32-bit IRET stops
	 * the VM with KVM_EXIT_INTERNAL_ERROR). Only interrupts return here, and those
	 * arrive with IF=1 (exceptions never return), so restore EFLAGS with IF clear,
	 * then "sti; ret": STI's one-instruction shadow covers the RET. Same CS throughout.
	 */
	pushl %eax
	movl 12(%esp), %eax	/* EFLAGS */
	andl $~0x200, %eax
	movl %eax, 8(%esp)	/* over CS */
	movl 4(%esp), %eax	/* EIP */
	movl %eax, 12(%esp)	/* over EFLAGS */
	popl %eax
	addl $4, %esp		/* EFLAGS', EIP */
	popfl
	sti
	ret
