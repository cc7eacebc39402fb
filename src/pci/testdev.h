/* testdev.h - register map of the vfvm PCI test device (docs/pci.md): plain #defines, so
 * freestanding test guests can include it too. */
#ifndef VFVM_PCI_TESTDEV_H
#define VFVM_PCI_TESTDEV_H

#define TESTDEV_VENDOR		0x1234	/* the ID space QEMU's edu/stdvga use; not registered */
#define TESTDEV_DEVICE		0x7e57
#define TESTDEV_CLASS_REV	0xff000001	/* class ff (unassigned), revision 1 */

/* BARs */
#define TESTDEV_BAR_IO		0	/* I/O, 128 bytes: registers 0x00-0x7F */
#define TESTDEV_BAR_REGS	1	/* 32-bit MMIO, 4 KiB: registers */
#define TESTDEV_BAR_RAM		2	/* 64-bit prefetchable RAM (BAR2+BAR3), default 1 MiB */
#define TESTDEV_BAR_MSIX	4	/* 32-bit MMIO, 4 KiB: MSI-X table at 0, PBA at 0x800 */
#define TESTDEV_IO_SIZE		0x80
#define TESTDEV_REGS_SIZE	0x1000
#define TESTDEV_MSIX_SIZE	0x1000
#define TESTDEV_MSIX_TABLE	0x000
#define TESTDEV_MSIX_PBA	0x800
#define TESTDEV_ROM_SIZE	0x800
#define TESTDEV_MSI_VECTORS	4
#define TESTDEV_MSIX_VECTORS	8	/* default; vectors=N (1-128) */

/* Registers (32-bit; DWORD accesses at these offsets, others read all-ones / are dropped) */
#define TESTDEV_ID		0x00	/* RO: 0x7e571234 (device << 16 | vendor) */
#define TESTDEV_VERSION		0x04	/* RO: 0x00010000 (1.0) */
#define TESTDEV_SCRATCH		0x08	/* RW */
#define TESTDEV_INTX		0x0c	/* RW: 1 asserts INTA#, 0 deasserts; reads the level */
#define TESTDEV_MSI		0x10	/* WO: vector n -> MSI-X n if enabled, else MSI n;
					 * read: result of the last trigger (0, or errno) */
#define TESTDEV_IRQ_COUNT	0x14	/* RO: interrupts sent (INTx asserts + messages) */
#define TESTDEV_DOORBELL	0x18	/* WO: any value rings (ioeventfd); read: ring count */
#define TESTDEV_DOORBELL_IRQ	0x1c	/* RW: 0 none, n + 1: each doorbell wake-up fires vector n
					 * from the device thread (irqfd: no vCPU involved) */
#define TESTDEV_DMA_SRC_LO	0x20
#define TESTDEV_DMA_SRC_HI	0x24
#define TESTDEV_DMA_DST_LO	0x28
#define TESTDEV_DMA_DST_HI	0x2c
#define TESTDEV_DMA_LEN		0x30
#define TESTDEV_DMA_CMD		0x34	/* WO: START | FROM_DEV | IRQ */
#define TESTDEV_DMA_STATUS	0x38	/* RO: DONE, ERROR, error code in bits 15:8 */
#define TESTDEV_DMA_COUNT	0x3c	/* RO: transfers completed */
#define TESTDEV_MMIO_EXITS	0x40	/* RO: the VM's MMIO exits so far (low 32 bits) */
#define TESTDEV_IO_EXITS	0x44	/* RO: the VM's port-I/O exits so far (low 32 bits) */

#define TESTDEV_DMA_START	0x1
#define TESTDEV_DMA_FROM_DEV	0x2	/* device RAM BAR -> guest RAM (else guest -> device) */
#define TESTDEV_DMA_IRQ		0x4	/* vector 0 (MSI-X/MSI) or INTA# when done */

#define TESTDEV_DMA_DONE	0x1
#define TESTDEV_DMA_ERROR	0x2
#define TESTDEV_DMA_E_MASTER	1	/* Bus Master Enable clear */
#define TESTDEV_DMA_E_RANGE	2	/* length 0 or outside the RAM BAR */
#define TESTDEV_DMA_E_FAULT	3	/* guest address not RAM */

#define TESTDEV_ID_VALUE	0x7e571234u
#define TESTDEV_VERSION_VALUE	0x00010000u

#endif
