/* linux_setup.S - the real-mode part of the bzImage-format guest: boot sector + setup header
 * (Documentation/arch/x86/boot.rst, protocol 2.10: "HdrS", setup_sects, syssize, code32_start,
 * cmdline_size, initrd_addr_max, init_size; loadflags LOADED_HIGH) and a small real-mode
 * stub. Loaders using the 32-bit protocol (vfvm) never run the stub; loaders that enter at
 * setup + 0x200 in real mode (QEMU's linuxboot option ROM) do: it builds a boot_params at
 * setup + 0x1000 (header copied, e820 from BIOS INT 15h AX=E820h), switches to protected
 * mode with the boot.rst GDT (0x10 code, 0x18 data) and jumps to code32_start with ESI set.
 * mkimage.c fills setup_sects, syssize and init_size. */
#define BP_OFF 0x1000			/* our boot_params, inside the setup heap */
	.code16
	.text
	.globl _start
_start:
	.org 0x1F1
setup_sects:		.byte 0
root_flags:		.word 0
syssize:		.long 0
ram_size:		.word 0
vid_mode:		.word 0xFFFF
root_dev:		.word 0
boot_flag:		.word 0xAA55
	.org 0x200
	.byte 0xEB, setup_entry - 0x202	/* jmp setup_entry; 0x201 = header length - 0x202 */
	.ascii "HdrS"
version:		.word 0x020A
realmode_swtch:		.long 0
start_sys_seg:		.word 0x1000
kernel_version:		.word 0
type_of_loader:		.byte 0
loadflags:		.byte 0x01	/* LOADED_HIGH */
setup_move_size:	.word 0x8000
code32_start:		.long 0x100000
ramdisk_image:		.long 0
ramdisk_size:		.long 0
bootsect_kludge:	.long 0
heap_end_ptr:		.word 0
ext_loader_ver:		.byte 0
ext_loader_type:	.byte 0
cmd_line_ptr:		.long 0
initrd_addr_max:	.long 0x37FFFFFF
kernel_alignment:	.long 0x100000
relocatable_kernel:	.byte 0
min_alignment:		.byte 0
xloadflags:		.word 0
cmdline_size:		.long 2047
hardware_subarch:	.long 0
hardware_subarch_data:	.quad 0
payload_offset:		.long 0
payload_length:		.long 0
setup_data:		.quad 0
pref_address:		.quad 0x100000
init_size:		.long 0
handover_offset:	.long 0
	.org 0x268
setup_entry:
	cli
	movw %ds, %ax			/* DS = the setup segment (boot.rst) */
	pushw %ax
	pushw $1f
	lret				/* CS:IP relative to the setup's start */
1:	movw %ax, %es
	movw %ax, %ss
	movw $0xF000, %sp
	cld
	/* zero boot_params, copy the header (0x1F1 .. 0x268) */
	movw $BP_OFF, %di
	xorw %ax, %ax
	movw $2048, %cx
	rep stosw
	movw $0x1F1, %si
	movw $BP_OFF + 0x1F1, %di
	movw $0x268 - 0x1F1, %cx
	rep movsb
	/* e820: INT 15h EAX=E820h, EDX='SMAP', ES:DI = 20-byte entry, EBX = continuation */
	xorl %ebx, %ebx
	xorw %bp, %bp
	movw $BP_OFF + 0x2D0, %di
2:	movl $0xE820, %eax
	movl $20, %ecx
	movl $0x534D4150, %edx
	int $0x15
	jc 3f
	cmpl $0x534D4150, %eax
	jne 3f
	incw %bp
	addw $20, %di
	cmpw $128, %bp
	jae 3f
	testl %ebx, %ebx
	jnz 2b
3:	movw %bp, %ax
	movb %al, BP_OFF + 0x1E8
	cli
	xorl %eax, %eax
	movw %ds, %ax
	shll $4, %eax
	leal BP_OFF(%eax), %esi		/* ESI = boot_params (physical) */
	addl $gdt, %eax
	movl %eax, gdtr + 2
	lgdtl gdtr
	movl %cr0, %eax
	orb $1, %al
	movl %eax, %cr0
	movl code32_start, %eax
	movl %eax, farptr
	ljmpl *farptr

	.balign 8
gdt:	.quad 0, 0
	.quad 0x00CF9A000000FFFF	/* 0x10: flat 32-bit code */
	.quad 0x00CF92000000FFFF	/* 0x18: flat data */
gdtr:	.word 31
	.long 0
farptr:	.long 0
	.word 0x10
	.org 0x400			/* setup_sects = 1 */
