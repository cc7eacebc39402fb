/* isr64.S - exception stubs of the 64-bit guests: vectors 0-31 push their number (and a zero
 * where the CPU pushes no error code, SDM vol. 3A §6.15) and call exc64_report(frame), which
 * prints FAIL and exits. Nothing returns, so no IRETQ is needed. */
	.text
	.code64
.macro exc vec, errcode
	.globl exc64_\vec
exc64_\vec:
	.if \errcode == 0
	pushq $0
	.endif
	pushq $\vec
	jmp exc64_common
.endm

/* Vectors with an error code: 8, 10-14, 17, 21, 29, 30. */
	exc 0, 0
	exc 1, 0
	exc 2, 0
	exc 3, 0
	exc 4, 0
	exc 5, 0
	exc 6, 0
	exc 7, 0
	exc 8, 1
	exc 9, 0
	exc 10, 1
	exc 11, 1
	exc 12, 1
	exc 13, 1
	exc 14, 1
	exc 15, 0
	exc 16, 0
	exc 17, 1
	exc 18, 0
	exc 19, 0
	exc 20, 0
	exc 21, 1
	exc 22, 0
	exc 23, 0
	exc 24, 0
	exc 25, 0
	exc 26, 0
	exc 27, 0
	exc 28, 0
	exc 29, 1
	exc 30, 1
	exc 31, 0

exc64_common:
	movq %rsp, %rdi		/* frame: vector, error, rip, cs, rflags, rsp, ss */
	andq $-16, %rsp
	call exc64_report
1:	hlt
	jmp 1b

	.section .rodata
	.align 8
	.globl exc64_stubs
exc64_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad exc64_\v
	.endr
