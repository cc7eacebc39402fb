/* mb_aout.S - Multiboot v1 header with the "a.out kludge" (flags bit 16, Multiboot 0.6.96
 * §3.1.3): the loader copies the file from header_addr's offset to load_end_addr, zeroes up
 * to bss_end_addr and jumps to entry_addr, all taken from this header. */
#define MB_FLAGS 0x00010003
	.section .boot.header, "ax"
	.align 4
mb_header:
	.long 0x1BADB002
	.long MB_FLAGS
	.long -(0x1BADB002 + MB_FLAGS)
	.long mb_header		/* header_addr */
	.long __image_start	/* load_addr */
	.long __data_end	/* load_end_addr */
	.long _end		/* bss_end_addr */
	.long _start		/* entry_addr */

	.globl _start
	.code32
_start:
	cli
	movl $stack_top, %esp
	pushl %ebx
	pushl %eax
	call rt_start
1:	hlt
	jmp 1b

	.section .bss
	.align 16
	.space 16384
stack_top:
