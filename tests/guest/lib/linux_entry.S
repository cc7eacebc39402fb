/* linux_entry.S - 32-bit entry of the bzImage-format guest (Documentation/arch/x86/boot.rst
 * "32-bit boot protocol"): at code32_start with CS = 0x10, DS = ES = SS = 0x18 flat,
 * ESI = boot_params, interrupts off. The payload is a raw binary, so its .bss is zeroed here. */
	.section .boot.header, "ax"
	.globl _start
	.code32
_start:
	cli
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl $stack_top, %esp
	movl %esi, %ebx
	movl $__bss_start, %edi
	movl $_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	cld
	rep stosb
	pushl %ebx
	pushl $0x4C494E58	/* LINUX_BOOT_MAGIC */
	call rt_start
1:	hlt
	jmp 1b

	.section .bss
	.align 16
	.space 16384
stack_top:
