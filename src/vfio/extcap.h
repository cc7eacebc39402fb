/* extcap.h - the PCI Express extended capabilities (config offsets 0x100-0xFFF) a passed-through
 * device shows its guest: the device's chain walked through a read callback, one policy per
 * capability ID (pass read-only, virtualise, hide), and the chain rebuilt so that hidden entries
 * are skipped. No VFIO in here: vfio_pci_cfg.c hands it the config region, the unit tests a buffer. */
#ifndef VFVM_VFIO_EXTCAP_H
#define VFVM_VFIO_EXTCAP_H

#include <stdbool.h>
#include <stdint.h>

#define EXTCAP_BASE		0x100	/* PCIe Base 5.0 §7.6.3: the chain starts here */
#define EXTCAP_END		0x1000	/* 4 KiB of config space per function (§7.2.2) */
#define EXTCAP_SLOTS		((EXTCAP_END - EXTCAP_BASE) / 4)	/* 960 dword headers */
#define EXTCAP_MAX_KEPT		32
#define EXTCAP_REBAR_MAX	6	/* §7.8.6.3: Number of Resizable BARs is 1-6 */

/* Extended Capability IDs (PCI Code and ID Assignment 1.11 §3, PCIe Base 5.0 §7.6-7.9). */
#define EXTCAP_ID_NULL		0x0000
#define EXTCAP_ID_AER		0x0001
#define EXTCAP_ID_VC		0x0002
#define EXTCAP_ID_DSN		0x0003
#define EXTCAP_ID_PWR		0x0004
#define EXTCAP_ID_MFVC		0x0008
#define EXTCAP_ID_VC9		0x0009
#define EXTCAP_ID_VNDR		0x000b
#define EXTCAP_ID_ACS		0x000d
#define EXTCAP_ID_ARI		0x000e
#define EXTCAP_ID_ATS		0x000f
#define EXTCAP_ID_SRIOV		0x0010
#define EXTCAP_ID_MRIOV		0x0011
#define EXTCAP_ID_PRI		0x0013
#define EXTCAP_ID_REBAR		0x0015
#define EXTCAP_ID_TPH		0x0017
#define EXTCAP_ID_LTR		0x0018
#define EXTCAP_ID_SECPCI	0x0019
#define EXTCAP_ID_PASID		0x001b
#define EXTCAP_ID_DPC		0x001d
#define EXTCAP_ID_L1SS		0x001e
#define EXTCAP_ID_PTM		0x001f
#define EXTCAP_ID_DVSEC		0x0023
#define EXTCAP_ID_DLF		0x0025
#define EXTCAP_ID_PL16		0x0026
#define EXTCAP_ID_LMR		0x0027

/* Read the config dword at @off (dword aligned, 0x100-0xFFC) into *val: 0 or -errno. */
typedef int (*extcap_read_fn)(void *ctx, unsigned off, uint32_t *val);

enum extcap_action {
	EXTCAP_HIDE,		/* left out of the chain; its bytes read 0 */
	EXTCAP_PASS_RO,		/* in the chain; its body read live from the device, writes dropped */
	EXTCAP_REBAR,		/* in the chain; vfvm's copy offering only the current BAR sizes */
};

struct extcap_policy {
	uint16_t id;
	const char *name;
	enum extcap_action action;
	const char *why;
};

/* The policy of capability @id: its entry in the table, or the default one (hide) when vfvm
 * does not know the ID. Never NULL. */
const struct extcap_policy *extcap_policy(uint16_t id);
/* The whole table (docs/passthrough.md lists it; the tests check both agree): *n entries. */
const struct extcap_policy *extcap_policy_table(unsigned *n);

/* A capability the guest sees, at the device's own offset. */
struct extcap {
	uint16_t id;
	uint8_t ver;
	unsigned off, size;		/* bytes [off, off + size) of config space */
	enum extcap_action action;
	uint32_t header;		/* rebuilt: the next pointer skips hidden entries */
	uint32_t rebar[2 * EXTCAP_REBAR_MAX];	/* EXTCAP_REBAR: the dwords at off + 4 ... */
};

struct extcap_layout {
	struct extcap kept[EXTCAP_MAX_KEPT];	/* in the device's chain order */
	unsigned nkept;
	unsigned nwalked;	/* entries of the device's chain visited */
	uint32_t head;		/* the header dword the guest reads at 0x100 */
	unsigned problems;	/* malformed things met: walk stopped there, capability hidden */
	char why[200];		/* the first of them, "" when none */
};

/*
 * Walk the device's chain from 0x100 through @rd and decide what the guest sees. @bar_size is
 * the size vfvm gives each of BARs 0-5 (0: none; a 64-bit BAR's size at its low index): a
 * Resizable BAR capability is shown only when every BAR it describes has exactly that size.
 * A malformed chain (a next pointer below 0x100, a loop, an unreadable header) ends the walk
 * there; a kept capability whose structure runs into the next header or past 4 KiB is hidden.
 * Both are counted in @l->problems, the first described in @l->why. Never fails.
 */
void extcap_walk(extcap_read_fn rd, void *ctx, const uint64_t bar_size[6],
		 struct extcap_layout *l);
/* Write what the guest reads from vfvm's copy into @cfg (the function's 4 KiB config array):
 * 0x100-0xFFF cleared, the head header, every kept capability's header, ReBAR registers. */
void extcap_fill(const struct extcap_layout *l, uint8_t *cfg);
/* Is config byte @off (0x100-0xFFF) read live from the device at the same offset (true), or
 * from vfvm's copy (false: headers, virtualised registers, hidden and unused bytes)? */
bool extcap_live(const struct extcap_layout *l, unsigned off);

#endif
