/* ap_boot.S - the application processors' way in: a real-mode trampoline that the BSP copies
 * to AP_TRAMPOLINE (a page below 1 MiB; the SIPI vector is its page number, SDM vol. 3
 * §8.4.4.1), which loads its own flat GDT, enters protected mode and jumps to ap_main32;
 * there each AP takes a ticket (lock xadd), gets a 1 KiB stack and calls ap_main(ticket). */
#define AP_TRAMPOLINE 0x1000
#define AP_STACK 1024
#define AP_MAX 64

	.text
	.code16
	.globl ap_tramp_start, ap_tramp_end
ap_tramp_start:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_gdtr - ap_tramp_start
	movl %cr0, %eax
	orb $1, %al
	movl %eax, %cr0
	ljmpl $0x08, $(AP_TRAMPOLINE + ap_pm32 - ap_tramp_start)
	.code32
ap_pm32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $ap_main32, %eax
	jmp *%eax
	.balign 8
ap_gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF	/* 0x08: flat 32-bit code */
	.quad 0x00CF92000000FFFF	/* 0x10: flat data */
ap_gdtr:
	.word 23
	.long AP_TRAMPOLINE + ap_gdt - ap_tramp_start
ap_tramp_end:

ap_main32:
	movl $1, %eax
	lock xaddl %eax, ap_ticket
	cmpl $AP_MAX, %eax
	jae 2f
	movl %eax, %ecx
	incl %ecx
	shll $10, %ecx
	leal ap_stacks(%ecx), %esp
	pushl %eax
	call ap_main
2:	cli
	hlt
	jmp 2b

	.data
	.align 4
	.globl ap_ticket
ap_ticket:
	.long 0

	.bss
	.align 16
ap_stacks:
	.space AP_STACK * AP_MAX
