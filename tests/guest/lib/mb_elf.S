/* mb_elf.S - Multiboot v1 header for an ELF kernel (Multiboot 0.6.96 §3.1.1): flags bit 0
 * (page-aligned modules) and bit 1 (memory information); the loader takes addresses from
 * the ELF program headers. Entry: EAX = 0x2BADB002, EBX = info (§3.2). */
#define MB_FLAGS 0x00000003
	.section .boot.header, "ax"
	.align 4
mb_header:
	.long 0x1BADB002
	.long MB_FLAGS
	.long -(0x1BADB002 + MB_FLAGS)

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
