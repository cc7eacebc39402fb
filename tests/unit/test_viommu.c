/* test_viommu.c - unit tests of the virtio-iommu (src/virtio/iommu.c, iommu_req.c; virtio 1.2
 * §5.13): every request and status code against a fake back end that records calls and fails
 * on demand, translate() and fault events, then the device on the fake PCI bus with a
 * virtio-rng, and a virtio-blk on a disk image, behind it: their queues honour the guest's
 * mappings, and a stray DMA is a fault on the event queue and in the trace. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "test_pci_fake.h"
#include "virtio/iommu.h"
#include "virtio/blk.h"
#include "virtio/rng.h"
#include "virtio/virtio_pci.h"
#include "core/vm.h"
#include "core/trace.h"
#include "test_trace_file.h"
#include <unistd.h>
#include <fcntl.h>

#define RAM	(1u << 20)
#define EP_EMU	0x10		/* 00:02.0, emulated */
#define EP_BE	0x18		/* 00:03.0, the fake back end's */

/* ---- the fake back end ---- */
struct fake_be {
	unsigned attach, detach, map, unmap;
	uint32_t last_dom, last_ep;
	uint64_t last_iova, last_gpa, last_size;
	int fail_attach, fail_map, fail_unmap;	/* -errno the next call returns */
};

static bool be_owns(void *o, uint32_t ep)
{
	(void)o;
	return ep == EP_BE;
}

static int be_attach(void *o, uint32_t ep, uint32_t dom, bool bypass)
{
	struct fake_be *b = o;
	int r = b->fail_attach;

	(void)bypass;
	b->fail_attach = 0;
	b->attach++;
	b->last_ep = ep;
	b->last_dom = dom;
	return r;
}

static int be_detach(void *o, uint32_t ep)
{
	struct fake_be *b = o;

	b->detach++;
	b->last_ep = ep;
	return 0;
}

static int be_map(void *o, uint32_t dom, uint64_t iova, uint64_t gpa, uint64_t size,
		  uint32_t flags)
{
	struct fake_be *b = o;
	int r = b->fail_map;

	(void)flags;
	b->fail_map = 0;
	b->map++;
	b->last_dom = dom;
	b->last_iova = iova;
	b->last_gpa = gpa;
	b->last_size = size;
	return r;
}

static int be_unmap(void *o, uint32_t dom, uint64_t iova, uint64_t size)
{
	struct fake_be *b = o;
	int r = b->fail_unmap;

	b->fail_unmap = 0;
	b->unmap++;
	b->last_dom = dom;
	b->last_iova = iova;
	b->last_size = size;
	return r;
}

static const struct iommu_backend_ops be_ops = {
	.owns = be_owns, .attach = be_attach, .detach = be_detach, .map = be_map,
	.unmap = be_unmap,
};

/* ---- requests as the driver lays them out (§5.13.6) ---- */
static struct viommu vi;
static struct fake_be be;
static struct guest_mem mem;
static uint8_t *ram;
static uint8_t events[8][VIOMMU_FAULT_LEN];
static unsigned nevents;
static bool event_room;

static bool fake_post(struct viommu *v, const uint8_t *ev)
{
	(void)v;
	if (!event_room || nevents == 8)
		return false;
	memcpy(events[nevents++], ev, VIOMMU_FAULT_LEN);
	return true;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint8_t send(const uint8_t *req, size_t len)
{
	uint8_t tail[4] = { 0xff, 1, 1, 1 };

	assert_int_equal(viommu_request(&vi, req, len, tail, sizeof(tail)), 4);
	assert_int_equal(tail[1] | tail[2] | tail[3], 0);
	return tail[0];
}

static uint8_t attach(uint32_t dom, uint32_t ep, uint32_t flags)
{
	uint8_t r[20] = { VIOMMU_T_ATTACH };

	put32(r + 4, dom);
	put32(r + 8, ep);
	put32(r + 12, flags);
	return send(r, sizeof(r));
}

static uint8_t detach(uint32_t dom, uint32_t ep)
{
	uint8_t r[20] = { VIOMMU_T_DETACH };

	put32(r + 4, dom);
	put32(r + 8, ep);
	return send(r, sizeof(r));
}

static uint8_t map(uint32_t dom, uint64_t va, uint64_t last, uint64_t pa, uint32_t flags)
{
	uint8_t r[36] = { VIOMMU_T_MAP };

	put32(r + 4, dom);
	put64(r + 8, va);
	put64(r + 16, last);
	put64(r + 24, pa);
	put32(r + 32, flags);
	return send(r, sizeof(r));
}

static uint8_t unmap(uint32_t dom, uint64_t va, uint64_t last)
{
	uint8_t r[28] = { VIOMMU_T_UNMAP };

	put32(r + 4, dom);
	put64(r + 8, va);
	put64(r + 16, last);
	return send(r, sizeof(r));
}

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM);
	if (!ram)
		return -1;
	memset(&mem, 0, sizeof(mem));
	mem.r[0] = (struct guest_region){ .gpa = 0, .size = RAM, .hva = ram };
	mem.n = 1;
	memset(&be, 0, sizeof(be));
	if (viommu_init(&vi, &mem, false))
		return -1;
	vi.post_event = fake_post;
	viommu_add_endpoint(&vi, EP_EMU);
	viommu_add_endpoint(&vi, EP_BE);
	viommu_set_backend(&vi, &be_ops, &be, 0);
	nevents = 0;
	event_room = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	viommu_fini(&vi);
	free(ram);
	return 0;
}

static void test_attach(void **state)
{
	(void)state;
	assert_int_equal(attach(1, 0x20, 0), VIOMMU_S_NOENT);		/* nobody at 00:04.0 */
	assert_int_equal(attach(1, 4096, 0), VIOMMU_S_NOENT);
	assert_int_equal(attach(1, EP_EMU, 2), VIOMMU_S_INVAL);	/* an unknown flag */
	/* ATTACH_F_BYPASS needs VIRTIO_IOMMU_F_BYPASS_CONFIG (§5.13.6.4). */
	assert_int_equal(attach(1, EP_EMU, VIOMMU_ATTACH_F_BYPASS), VIOMMU_S_INVAL);
	vi.domain_end = 10;
	assert_int_equal(attach(11, EP_EMU, 0), VIOMMU_S_RANGE);
	assert_int_equal(attach(1, EP_EMU, 0), VIOMMU_S_OK);
	assert_int_equal(attach(1, EP_EMU, 0), VIOMMU_S_OK);		/* again: nothing new */
	assert_int_equal(vi.ndoms, 1);
	assert_int_equal(be.attach, 0);				/* emulated: no back end */
	/* Attached elsewhere: the endpoint moves, the emptied domain goes. */
	assert_int_equal(attach(2, EP_EMU, 0), VIOMMU_S_OK);
	assert_int_equal(vi.ndoms, 1);
	assert_int_equal(vi.doms[0]->id, 2);
	/* The back end's endpoint, its -errno as status (core/iommu.h). */
	be.fail_attach = -EBUSY;
	assert_int_equal(attach(3, EP_BE, 0), VIOMMU_S_DEVERR);
	assert_int_equal(vi.ndoms, 1);					/* domain 3 not kept */
	assert_null(vi.eps[EP_BE].dom);
	be.fail_attach = -ENOENT;
	assert_int_equal(attach(3, EP_BE, 0), VIOMMU_S_NOENT);
	assert_int_equal(attach(2, EP_BE, 0), VIOMMU_S_OK);
	assert_int_equal(be.last_ep, EP_BE);
	assert_int_equal(be.last_dom, 2);
	/* A bypass domain is never also a mapped one. */
	vi.bypass_config = true;
	assert_int_equal(attach(2, EP_EMU, VIOMMU_ATTACH_F_BYPASS), VIOMMU_S_INVAL);
	assert_int_equal(attach(5, EP_EMU, VIOMMU_ATTACH_F_BYPASS), VIOMMU_S_OK);
	assert_int_equal(map(5, 0, 0xfff, 0, 3), VIOMMU_S_INVAL);	/* no MAP in it */
	assert_int_equal(unmap(5, 0, 0xfff), VIOMMU_S_INVAL);
}

static void test_map(void **state)
{
	(void)state;
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x1000, 3), VIOMMU_S_NOENT);
	assert_int_equal(attach(1, EP_EMU, 0), VIOMMU_S_OK);
	/* §5.13.6.6: virt_start, phys_start, virt_end + 1 on the page granularity, else RANGE. */
	assert_int_equal(map(1, 0x10800, 0x10fff, 0x1000, 3), VIOMMU_S_RANGE);
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x1800, 3), VIOMMU_S_RANGE);
	assert_int_equal(map(1, 0x10000, 0x10ffe, 0x1000, 3), VIOMMU_S_RANGE);
	assert_int_equal(map(1, 0x10000, 0xffff, 0x1000, 3), VIOMMU_S_INVAL);	/* end < start */
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x1000, 8), VIOMMU_S_INVAL);	/* unknown flag */
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x1000, IOMMU_MMIO | 3), VIOMMU_S_UNSUPP);
	/* Beyond guest RAM (1 MiB here), or straddling its end: FAULT. */
	assert_int_equal(map(1, 0x10000, 0x10fff, RAM, 3), VIOMMU_S_FAULT);
	assert_int_equal(map(1, 0x10000, 0x11fff, RAM - 0x1000, 3), VIOMMU_S_FAULT);
	assert_int_equal(map(1, 0, UINT64_MAX, 0, 3), VIOMMU_S_FAULT);	/* size 2^64 */
	vi.input_end = 0xffffffff;
	assert_int_equal(map(1, 0x100000000ull, 0x100000fffull, 0x1000, 3), VIOMMU_S_RANGE);
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x1000, 3), VIOMMU_S_OK);
	/* Overlapping an existing mapping: INVAL, nothing changed. */
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x2000, 3), VIOMMU_S_INVAL);
	assert_int_equal(map(1, 0xf000, 0x10fff, 0x2000, 3), VIOMMU_S_INVAL);
	assert_int_equal(vi.nmappings, 1);
	/* The limit (a back end lowers it to dma_entry_limit): NOMEM. */
	vi.max_mappings = 2;
	assert_int_equal(map(1, 0x20000, 0x20fff, 0x2000, 1), VIOMMU_S_OK);
	assert_int_equal(map(1, 0x30000, 0x30fff, 0x3000, 1), VIOMMU_S_NOMEM);
	assert_int_equal(unmap(1, 0x20000, 0x20fff), VIOMMU_S_OK);
	assert_int_equal(map(1, 0x30000, 0x30fff, 0x3000, 1), VIOMMU_S_OK);
	assert_int_equal(be.map, 0);			/* only emulated endpoints in domain 1 */
}

static void test_map_backend(void **state)
{
	(void)state;
	assert_int_equal(attach(7, EP_BE, 0), VIOMMU_S_OK);
	assert_int_equal(map(7, 0x40000, 0x5ffff, 0x8000, 3), VIOMMU_S_OK);
	assert_int_equal(be.map, 1);
	assert_int_equal(be.last_iova, 0x40000);
	assert_int_equal(be.last_gpa, 0x8000);
	assert_int_equal(be.last_size, 0x20000);
	/* The host's dma_entry_limit (-ENOSPC): NOMEM; anything else: DEVERR; table unchanged. */
	be.fail_map = -ENOSPC;
	assert_int_equal(map(7, 0x60000, 0x60fff, 0x8000, 3), VIOMMU_S_NOMEM);
	be.fail_map = -EIO;
	assert_int_equal(map(7, 0x60000, 0x60fff, 0x8000, 3), VIOMMU_S_DEVERR);
	be.fail_map = -EINVAL;
	assert_int_equal(map(7, 0x60000, 0x60fff, 0x8000, 3), VIOMMU_S_INVAL);
	assert_int_equal(vi.nmappings, 1);
	assert_int_equal(map(7, 0x60000, 0x60fff, 0x8000, 3), VIOMMU_S_OK);
	/* A second endpoint joining gets the domain's mappings replayed. */
	viommu_set_backend(&vi, &be_ops, &be, 0);
	be.map = 0;
	assert_int_equal(attach(7, EP_EMU, 0), VIOMMU_S_OK);	/* emulated: no replay */
	assert_int_equal(be.map, 0);
	assert_int_equal(detach(7, EP_BE), VIOMMU_S_OK);
	assert_int_equal(be.detach, 1);
	assert_int_equal(attach(7, EP_BE, 0), VIOMMU_S_OK);
	assert_int_equal(be.map, 2);
	/* A failing replay undoes the attach. */
	assert_int_equal(detach(7, EP_BE), VIOMMU_S_OK);
	be.fail_map = -EIO;
	assert_int_equal(attach(7, EP_BE, 0), VIOMMU_S_DEVERR);
	assert_null(vi.eps[EP_BE].dom);
	/* UNMAP goes to the back end per mapping; a back-end failure is DEVERR. */
	assert_int_equal(attach(7, EP_BE, 0), VIOMMU_S_OK);
	be.unmap = 0;
	be.fail_unmap = -EIO;
	assert_int_equal(unmap(7, 0, UINT64_MAX), VIOMMU_S_DEVERR);
	assert_int_equal(vi.nmappings, 2);
	assert_int_equal(unmap(7, 0, UINT64_MAX), VIOMMU_S_OK);
	assert_int_equal(be.unmap, 3);
	assert_int_equal(vi.nmappings, 0);
}

static void test_unmap(void **state)
{
	(void)state;
	assert_int_equal(unmap(1, 0, 0xfff), VIOMMU_S_NOENT);
	assert_int_equal(attach(1, EP_EMU, 0), VIOMMU_S_OK);
	/* §5.13.6.7: a range with nothing mapped is not an error. */
	assert_int_equal(unmap(1, 0, 0xffff), VIOMMU_S_OK);
	assert_int_equal(unmap(1, 0x1000, 0xfff), VIOMMU_S_INVAL);
	assert_int_equal(map(1, 0x10000, 0x13fff, 0x4000, 3), VIOMMU_S_OK);
	assert_int_equal(map(1, 0x20000, 0x20fff, 0x8000, 3), VIOMMU_S_OK);
	/* Splitting one: RANGE, and nothing is removed. */
	assert_int_equal(unmap(1, 0x10000, 0x20fff - 0x10000), VIOMMU_S_RANGE);
	assert_int_equal(unmap(1, 0x11000, 0x11fff), VIOMMU_S_RANGE);
	assert_int_equal(unmap(1, 0x0, 0x10fff), VIOMMU_S_RANGE);
	assert_int_equal(vi.nmappings, 2);
	/* Covering both and more: both go. */
	assert_int_equal(unmap(1, 0, 0xfffff), VIOMMU_S_OK);
	assert_int_equal(vi.nmappings, 0);
	assert_int_equal(vi.doms[0]->map.n, 0);
}

static void test_detach(void **state)
{
	(void)state;
	assert_int_equal(detach(1, 0x20), VIOMMU_S_NOENT);
	assert_int_equal(detach(1, EP_EMU), VIOMMU_S_INVAL);		/* not attached */
	assert_int_equal(attach(1, EP_EMU, 0), VIOMMU_S_OK);
	assert_int_equal(attach(1, EP_BE, 0), VIOMMU_S_OK);
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x1000, 3), VIOMMU_S_OK);
	assert_int_equal(detach(2, EP_EMU), VIOMMU_S_INVAL);		/* another domain */
	assert_int_equal(detach(1, EP_EMU), VIOMMU_S_OK);
	assert_int_equal(vi.ndoms, 1);					/* EP_BE still in it */
	assert_int_equal(detach(1, EP_BE), VIOMMU_S_OK);
	/* The last endpoint took the domain and its mappings with it. */
	assert_int_equal(vi.ndoms, 0);
	assert_int_equal(vi.nmappings, 0);
	assert_int_equal(map(1, 0x10000, 0x10fff, 0x1000, 3), VIOMMU_S_NOENT);
}

static void test_probe(void **state)
{
	uint8_t req[76] = { VIOMMU_T_PROBE }, resp[4 + 512];
	uint16_t type, len;
	uint64_t start, end;

	(void)state;
	assert_int_equal(viommu_add_resv(&vi, 0x10000, 0x1ffff, VIOMMU_RESV_MEM_T_RESERVED), 0);
	put32(req + 4, 0x20);
	memset(resp, 0xaa, sizeof(resp));
	assert_int_equal(viommu_request(&vi, req, 76, resp, sizeof(resp)), sizeof(resp));
	assert_int_equal(resp[512], VIOMMU_S_NOENT);
	put32(req + 4, EP_EMU);
	assert_int_equal(viommu_request(&vi, req, 76, resp, sizeof(resp)), sizeof(resp));
	assert_int_equal(resp[512], VIOMMU_S_OK);
	/* First property: RESV_MEM, body 20 bytes, MSI, the LAPIC window. */
	memcpy(&type, resp, 2);
	memcpy(&len, resp + 2, 2);
	memcpy(&start, resp + 8, 8);
	memcpy(&end, resp + 16, 8);
	assert_int_equal(type, VIOMMU_PROBE_T_RESV_MEM);
	assert_int_equal(len, 20);
	assert_int_equal(resp[4], VIOMMU_RESV_MEM_T_MSI);
	assert_int_equal(start, 0xfee00000);
	assert_int_equal(end, 0xfeefffff);
	/* Second: the one added (a back end's host reserved region). */
	memcpy(&start, resp + 24 + 8, 8);
	assert_int_equal(resp[24 + 4], VIOMMU_RESV_MEM_T_RESERVED);
	assert_int_equal(start, 0x10000);
	/* Then NONE: zeros. */
	memcpy(&type, resp + 48, 2);
	assert_int_equal(type, 0);
	/* Too little room for probe_size bytes of properties: INVAL at the end of it. */
	assert_int_equal(viommu_request(&vi, req, 76, resp, 100), 100);
	assert_int_equal(resp[96], VIOMMU_S_INVAL);
}

static void test_malformed(void **state)
{
	uint8_t req[36] = { VIOMMU_T_MAP }, tail[4];

	(void)state;
	assert_int_equal(send(req, 3), VIOMMU_S_IOERR);		/* no whole head */
	assert_int_equal(send(req, 35), VIOMMU_S_IOERR);		/* MAP cut short */
	req[0] = 9;
	assert_int_equal(send(req, 36), VIOMMU_S_UNSUPP);
	req[0] = 0;
	assert_int_equal(send(req, 36), VIOMMU_S_UNSUPP);
	/* No room for the tail: nothing is written. */
	assert_int_equal(viommu_request(&vi, req, 36, tail, 3), 0);
	assert_int_equal(vi.requests, 4);		/* the last one was not even read */
}

static void test_translate(void **state)
{
	uint64_t len, gpa;
	uint32_t v;

	(void)state;
	/* Not attached, bypass off: -EFAULT and a DOMAIN fault event. */
	len = 64;
	assert_int_equal(vi.dma.translate(vi.dma.opaque, EP_EMU, 0x5000, &len, false, &gpa),
			 -EFAULT);
	assert_int_equal(nevents, 1);
	assert_int_equal(events[0][0], VIOMMU_FAULT_R_DOMAIN);
	memcpy(&v, events[0] + 4, 4);
	assert_int_equal(v, VIOMMU_FAULT_F_READ | VIOMMU_FAULT_F_ADDRESS);
	memcpy(&v, events[0] + 8, 4);
	assert_int_equal(v, EP_EMU);
	memcpy(&gpa, events[0] + 16, 8);
	assert_int_equal(gpa, 0x5000);
	/* config.bypass = 1: IOVA = GPA. */
	vi.bypass = 1;
	assert_int_equal(vi.dma.translate(vi.dma.opaque, EP_EMU, 0x5000, &len, true, &gpa), 0);
	assert_int_equal(gpa, 0x5000);
	vi.bypass = 0;
	assert_int_equal(attach(1, EP_EMU, 0), VIOMMU_S_OK);
	assert_int_equal(map(1, 0x80000000, 0x80001fff, 0x4000, IOMMU_READ), VIOMMU_S_OK);
	len = 0x10000;
	assert_int_equal(vi.dma.translate(vi.dma.opaque, EP_EMU, 0x80001800, &len, false, &gpa), 0);
	assert_int_equal(gpa, 0x5800);
	assert_int_equal(len, 0x800);			/* up to the mapping's end */
	/* Read-only mapping written, and an unmapped IOVA: MAPPING faults. */
	assert_int_equal(vi.dma.translate(vi.dma.opaque, EP_EMU, 0x80000000, &len, true, &gpa),
			 -EFAULT);
	assert_int_equal(events[1][0], VIOMMU_FAULT_R_MAPPING);
	memcpy(&v, events[1] + 4, 4);
	assert_int_equal(v, VIOMMU_FAULT_F_WRITE | VIOMMU_FAULT_F_ADDRESS);
	event_room = false;				/* the driver gave no event buffer */
	assert_int_equal(vi.dma.translate(vi.dma.opaque, EP_EMU, 0x80002000, &len, false, &gpa),
			 -EFAULT);
	assert_int_equal(vi.faults, 3);
	assert_int_equal(vi.faults_dropped, 1);
	/* Reset: every endpoint detached, the domain gone. */
	viommu_reset(&vi);
	assert_int_equal(vi.ndoms, 0);
	assert_int_equal(vi.nmappings, 0);
	assert_int_equal(map(1, 0x80000000, 0x80001fff, 0x4000, IOMMU_READ), VIOMMU_S_NOENT);
}

/* --trace: attach, map, unmap, fault, detach as kind viommu lines, in order (docs/trace.md). */
static void test_trace_lines(void **state)
{
	char path[sizeof(TEST_TRACE_PATH)], buf[4096] = "";
	struct trace t;
	uint64_t len = 8, gpa;
	static const char *const want[] = {
		"\"dev\":\"0000:00:02.0\",\"kind\":\"viommu\",\"ev\":\"attach\",\"domain\":3",
		"\"kind\":\"viommu\",\"ev\":\"map\",\"domain\":3,\"iova\":\"0x10000\","
		"\"gpa\":\"0x2000\",\"size\":\"0x1000\",\"flags\":\"0x3\"",
		"\"dev\":\"0000:00:02.0\",\"kind\":\"viommu\",\"ev\":\"fault\",\"reason\":2,"
		"\"iova\":\"0x20000\",\"flags\":\"0x101\",\"delivered\":true",
		"\"ev\":\"unmap\",\"domain\":3,\"iova\":\"0x0\",\"size\":\"0x100000\",\"mappings\":1",
		"\"ev\":\"detach\",\"domain\":3",
	};
	const char *p = buf;

	(void)state;
	test_trace_begin(&t, path, &(struct trace_filter){ 0 });
	vi.trace = &t;
	assert_int_equal(attach(3, EP_EMU, 0), VIOMMU_S_OK);
	assert_int_equal(map(3, 0x10000, 0x10fff, 0x2000, 3), VIOMMU_S_OK);
	assert_int_equal(vi.dma.translate(vi.dma.opaque, EP_EMU, 0x20000, &len, false, &gpa),
			 -EFAULT);
	assert_int_equal(unmap(3, 0, 0xfffff), VIOMMU_S_OK);
	assert_int_equal(detach(3, EP_EMU), VIOMMU_S_OK);
	vi.trace = NULL;
	test_trace_end(&t, path, buf, sizeof(buf));
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p = strstr(p, want[i]);
		if (!p)
			fail_msg("trace line %u missing or out of order: %s\nin:\n%s", i, want[i], buf);
	}
}

/* ---- the device on the fake PCI bus, a virtio-rng behind it ---- */
#define VSLOT	1		/* the viommu: 00:01.0 */
#define RSLOT	2		/* virtio-rng: 00:02.0 = EP_EMU */
/* Guest-physical layout of the 1 MiB: the viommu's own queues (not translated), the rng's
 * rings and buffer at GPA 0x80000..., which the guest maps at IOVA 0x40000000... */
#define VQ_REQ	0x1000u
#define VQ_EVT	0x4000u
#define VBUF	0x8000u
#define R_GPA	0x80000u
#define R_IOVA	0x40000000u

static struct fake f;
static struct pci_bus bus;
static struct vm vm;
static struct viommu *dvi;

struct drvq {
	struct pci_dev *d;
	uint64_t desc, avail, used;	/* guest-physical, for the test to write */
	uint16_t idx, size;
};

static uint32_t brd(struct pci_dev *d, unsigned off, unsigned len)
{
	uint32_t v = 0;

	d->ops->bar_access(d, VIRTIO_BAR, off, &v, len, false);
	return v;
}

static void bwr(struct pci_dev *d, unsigned off, unsigned len, uint32_t v)
{
	d->ops->bar_access(d, VIRTIO_BAR, off, &v, len, true);
}

static void drv_features(struct pci_dev *d, uint32_t lo)
{
	bwr(d, 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	bwr(d, 0x08, 4, 0);
	bwr(d, 0x0c, 4, lo);
	bwr(d, 0x08, 4, 1);
	bwr(d, 0x0c, 4, 1);			/* VERSION_1 */
	bwr(d, 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
}

/* Queue @q at @addr (desc, then avail +0x1000, used +0x2000) as the driver writes it. */
static void drv_queue(struct drvq *dq, struct pci_dev *d, unsigned q, uint64_t addr,
		      uint64_t gpa)
{
	*dq = (struct drvq){ .d = d, .desc = gpa, .avail = gpa + 0x1000, .used = gpa + 0x2000,
			     .size = 8 };
	bwr(d, 0x16, 2, q);
	bwr(d, 0x18, 2, 8);
	bwr(d, 0x20, 4, (uint32_t)addr);
	bwr(d, 0x24, 4, addr >> 32);
	bwr(d, 0x28, 4, (uint32_t)(addr + 0x1000));
	bwr(d, 0x2c, 4, (addr + 0x1000) >> 32);
	bwr(d, 0x30, 4, (uint32_t)(addr + 0x2000));
	bwr(d, 0x34, 4, (addr + 0x2000) >> 32);
	bwr(d, 0x1c, 2, 1);
}

static void drv_ok(struct pci_dev *d)
{
	bwr(d, 0x14, 1, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK |
	    VIRTIO_S_DRIVER_OK);
}

static void drv_desc(struct drvq *dq, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *p = ram + dq->desc + 16 * i;

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void drv_offer(struct drvq *dq, uint16_t head)
{
	memcpy(ram + dq->avail + 4 + 2 * (dq->idx % dq->size), &head, 2);
	dq->idx++;
	memcpy(ram + dq->avail + 2, &dq->idx, 2);
}

static uint16_t drv_used(const struct drvq *dq, uint32_t *len)
{
	uint16_t idx;

	memcpy(&idx, ram + dq->used + 2, 2);
	if (idx && len)
		memcpy(len, ram + dq->used + 4 + 8 * ((idx - 1) % dq->size) + 4, 4);
	return idx;
}

static struct drvq reqq, evtq;

/* One request through the viommu's request queue: its status. */
static uint8_t vreq(const uint8_t *req, uint32_t len)
{
	uint16_t before = drv_used(&reqq, NULL);

	memcpy(ram + VBUF, req, len);
	ram[VBUF + 0x100] = 0xff;
	drv_desc(&reqq, 0, VBUF, len, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&reqq, 1, VBUF + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
	drv_offer(&reqq, 0);
	bwr(reqq.d, VIRTIO_NOTIFY_OFF, 2, 0);
	assert_int_equal(drv_used(&reqq, NULL), (uint16_t)(before + 1));
	return ram[VBUF + 0x100];
}

static struct blk_image img;
static char img_path[64];

/* The device under test behind the viommu, at 00:02.0 (EP_EMU). */
static int rng_create(void)
{
	struct err err = { 0 };

	return virtio_rng_create(&vm, &bus, "", &err);
}

/* A virtio-blk on a 1 MiB zeroed image in /tmp, served synchronously (no device thread). */
static int blk_create(void)
{
	struct err err = { 0 };
	int fd;

	strcpy(img_path, "/tmp/vfvm-viommu-blk-XXXXXX");
	fd = mkstemp(img_path);
	if (fd < 0 || ftruncate(fd, 1 << 20) || close(fd))
		return -1;
	if (blk_image_open(img_path, &img, &err))
		return -1;
	return virtio_blk_create(&vm, &bus, &img, 1, &err);
}

static int (*dev_create)(void) = rng_create;

static int dev_setup(void **state)
{
	struct pci_host_ops o;
	struct err err = { 0 };

	(void)state;
	ram = calloc(1, RAM);
	if (!ram)
		return -1;
	memset(&vm, 0, sizeof(vm));
	vm.mem.r[0] = (struct guest_region){ .gpa = 0, .size = RAM, .hva = ram };
	vm.mem.n = 1;
	fake_ops(&f, &o);
	pci_bus_init(&bus, &o, 0x200000000ULL);
	if (pci_host_bridge_create(&bus) || viommu_create(&vm, &bus, "", &dvi, &err))
		return -1;
	bus.dma = &dvi->dma;		/* what pci_setup does: devices from now on are behind it */
	if (dev_create() || !bus.devs[RSLOT][0])
		return -1;
	viommu_add_endpoint(dvi, EP_EMU);
	cfg_wr(&bus, VSLOT, 0, PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	cfg_wr(&bus, RSLOT, 0, PCI_COMMAND, 2, PCI_CMD_MEM | PCI_CMD_MASTER);
	drv_features(bus.devs[VSLOT][0], 0x57);	/* INPUT_RANGE..PROBE, BYPASS_CONFIG */
	drv_queue(&reqq, bus.devs[VSLOT][0], 0, VQ_REQ, VQ_REQ);
	drv_queue(&evtq, bus.devs[VSLOT][0], 1, VQ_EVT, VQ_EVT);
	drv_ok(bus.devs[VSLOT][0]);
	return 0;
}

static int dev_teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&bus);
	free(ram);
	if (dev_create == blk_create) {
		blk_image_close(&img);
		unlink(img_path);
		dev_create = rng_create;
	}
	return 0;
}

static int dev_setup_blk(void **state)
{
	dev_create = blk_create;
	return dev_setup(state);
}

static void test_dev_identity(void **state)
{
	struct pci_dev *v = bus.devs[VSLOT][0];

	(void)state;
	assert_int_equal(cfg_rd(&bus, VSLOT, 0, 0, 4), 0x10571af4);	/* 0x1040 + 23 */
	assert_int_equal(cfg_rd(&bus, VSLOT, 0, PCI_REVISION, 4) >> 8, 0x080600);
	assert_int_equal(brd(v, 0x14, 1) & VIRTIO_S_FEATURES_OK, VIRTIO_S_FEATURES_OK);
	bwr(v, 0x00, 4, 0);
	assert_int_equal(brd(v, 0x04, 4) & 0xffffff, 0x57);		/* not MMIO, not BYPASS */
	assert_int_equal(brd(v, VIRTIO_DEVCFG_OFF, 4), 0xfffff000);	/* page_size_mask */
	assert_int_equal(brd(v, VIRTIO_DEVCFG_OFF + 20, 4), 0xffffffff); /* input_range.end hi */
	assert_int_equal(brd(v, VIRTIO_DEVCFG_OFF + 32, 4), 512);	/* probe_size */
	assert_int_equal(brd(v, VIRTIO_DEVCFG_OFF + 36, 1), 0);		/* bypass off */
	bwr(v, VIRTIO_DEVCFG_OFF + 36, 1, 1);
	assert_int_equal(brd(v, VIRTIO_DEVCFG_OFF + 36, 1), 1);
	bwr(v, VIRTIO_DEVCFG_OFF + 36, 1, 0);
	assert_int_equal(dvi->devfn, VSLOT << 3);
}

/* The emulated endpoint attached to domain 1, and 64 KiB mapped there at IOVA R_IOVA -> GPA
 * R_GPA read-write, through the request queue; @m keeps the MAP request for a repeat. */
static void emu_attach_map(uint8_t m[36])
{
	uint8_t a[20] = { VIOMMU_T_ATTACH };

	put32(a + 4, 1);
	put32(a + 8, EP_EMU);
	assert_int_equal(vreq(a, sizeof(a)), VIOMMU_S_OK);
	put32(m + 4, 1);
	put64(m + 8, R_IOVA);
	put64(m + 16, R_IOVA + 0xffff);
	put64(m + 24, R_GPA);
	put32(m + 32, IOMMU_READ | IOMMU_WRITE);
	assert_int_equal(vreq(m, 36), VIOMMU_S_OK);
}

static void test_dev_rng_behind(void **state)
{
	struct pci_dev *r = bus.devs[RSLOT][0];
	uint8_t m[36] = { VIOMMU_T_MAP };
	struct drvq rq;
	uint32_t len, ep;
	uint64_t addr;
	int nonzero = 0;

	(void)state;
	/* An event buffer for the viommu's driver. */
	drv_desc(&evtq, 0, VBUF + 0x200, VIOMMU_FAULT_LEN, VIRTQ_DESC_F_WRITE, 0);
	drv_offer(&evtq, 0);
	/* Not attached yet, bypass off: the rng's rings are unreachable, the device needs a
	 * reset, and the viommu's driver hears of the fault. */
	drv_features(r, 0);
	drv_queue(&rq, r, 0, R_IOVA, R_GPA);
	assert_int_equal(brd(r, 0x14, 1) & VIRTIO_S_NEEDS_RESET, VIRTIO_S_NEEDS_RESET);
	assert_int_equal(drv_used(&evtq, &len), 1);
	assert_int_equal(len, VIOMMU_FAULT_LEN);
	assert_int_equal(ram[VBUF + 0x200], VIOMMU_FAULT_R_DOMAIN);
	memcpy(&ep, ram + VBUF + 0x208, 4);
	memcpy(&addr, ram + VBUF + 0x210, 8);
	assert_int_equal(ep, EP_EMU);
	assert_int_equal(addr, R_IOVA);
	bwr(r, 0x14, 1, 0);
	/* ATTACH and MAP 64 KiB at IOVA R_IOVA -> GPA R_GPA, through the request queue. */
	emu_attach_map(m);
	assert_int_equal(vreq(m, sizeof(m)), VIOMMU_S_INVAL);		/* the same again */
	/* Now the rng works through the mapping: its buffer at IOVA + 0x8000 is GPA + 0x8000. */
	drv_features(r, 0);
	drv_queue(&rq, r, 0, R_IOVA, R_GPA);
	drv_ok(r);
	assert_int_equal(brd(r, 0x14, 1) & VIRTIO_S_NEEDS_RESET, 0);
	drv_desc(&rq, 0, R_IOVA + 0x8000, 64, VIRTQ_DESC_F_WRITE, 0);
	drv_offer(&rq, 0);
	bwr(r, VIRTIO_NOTIFY_OFF, 2, 0);
	assert_int_equal(drv_used(&rq, &len), 1);
	assert_int_equal(len, 64);
	for (int i = 0; i < 64; i++)
		nonzero += ram[R_GPA + 0x8000 + i] != 0;
	assert_true(nonzero > 32);
	/* A stray buffer address: the request fails (NEEDS_RESET), a MAPPING fault event; the
	 * driver gave no second event buffer, so that one is counted as dropped. */
	drv_desc(&rq, 1, R_IOVA + 0x10000, 64, VIRTQ_DESC_F_WRITE, 0);
	drv_offer(&rq, 1);
	bwr(r, VIRTIO_NOTIFY_OFF, 2, 0);
	assert_int_equal(drv_used(&rq, NULL), 1);
	assert_int_equal(brd(r, 0x14, 1) & VIRTIO_S_NEEDS_RESET, VIRTIO_S_NEEDS_RESET);
	assert_int_equal(dvi->faults, 2);
	assert_int_equal(dvi->faults_dropped, 1);
	/* A viommu reset detaches everything. */
	bwr(bus.devs[VSLOT][0], 0x14, 1, 0);
	assert_int_equal(dvi->ndoms, 0);
}

/* One virtio-blk request (virtio 1.2 §5.2.6) on queue @dq: header, @len bytes of data at IOVA
 * @data, status byte; all but the data at the rng layout's IOVA R_IOVA + 0x8000. */
static void blk_req(struct drvq *dq, uint32_t type, uint64_t sector, uint64_t data, uint32_t len)
{
	uint16_t flags = type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0;

	put32(ram + R_GPA + 0x8000, type);
	put32(ram + R_GPA + 0x8004, 0);
	put64(ram + R_GPA + 0x8008, sector);
	ram[R_GPA + 0x8100] = 0xee;
	drv_desc(dq, 0, R_IOVA + 0x8000, 16, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(dq, 1, data, len, VIRTQ_DESC_F_NEXT | flags, 2);
	drv_desc(dq, 2, R_IOVA + 0x8100, 1, VIRTQ_DESC_F_WRITE, 0);
	drv_offer(dq, 0);
	bwr(dq->d, VIRTIO_NOTIFY_OFF, 2, 0);
}

/* The virtio-blk reset, its queue 0 at IOVA R_IOVA (GPA R_GPA) with fresh rings, DRIVER_OK. */
static void blk_start(struct drvq *dq, struct pci_dev *b)
{
	bwr(b, 0x14, 1, 0);
	memset(ram + R_GPA, 0, 0x3000);
	drv_features(b, 0);
	drv_queue(dq, b, 0, R_IOVA, R_GPA);
	drv_ok(b);
	assert_int_equal(brd(b, 0x14, 1) & VIRTIO_S_NEEDS_RESET, 0);
}

/* Issue 12, end to end for an emulated device: a virtio-blk behind the viommu writes a sector
 * through the guest's mapping; then a write whose data buffer is at an IOVA nobody mapped must
 * (1) not touch the disk, (2) stop the queue with DEVICE_NEEDS_RESET (§2.1.2), (3) put a
 * MAPPING fault for the disk's endpoint at that IOVA into the driver's event buffer (§5.13.6.9),
 * (4) write a "fault" trace line with delivered:true; and the machine goes on: the viommu still
 * answers requests, and the disk, reset by its driver, reads the first sector back. */
static void test_dev_blk_stray(void **state)
{
	char path[sizeof(TEST_TRACE_PATH)], buf[4096] = "";
	uint8_t m[36] = { VIOMMU_T_MAP }, sect[512];
	struct pci_dev *b = bus.devs[RSLOT][0];
	struct trace t;
	struct drvq bq;
	uint32_t len, v;
	uint64_t addr;
	int ifd;

	(void)state;
	test_trace_begin(&t, path, &(struct trace_filter){ 0 });
	dvi->trace = &t;
	drv_desc(&evtq, 0, VBUF + 0x200, VIOMMU_FAULT_LEN, VIRTQ_DESC_F_WRITE, 0);
	drv_offer(&evtq, 0);
	emu_attach_map(m);
	blk_start(&bq, b);
	/* Sector 4 written from IOVA R_IOVA + 0x9000 (GPA R_GPA + 0x9000). */
	for (int i = 0; i < 512; i++)
		ram[R_GPA + 0x9000 + i] = (uint8_t)(i * 7 + 3);
	blk_req(&bq, VIRTIO_BLK_T_OUT, 4, R_IOVA + 0x9000, 512);
	assert_int_equal(drv_used(&bq, NULL), 1);
	assert_int_equal(ram[R_GPA + 0x8100], VIRTIO_BLK_S_OK);
	/* Sector 8 from IOVA R_IOVA + 0x10000, just past the mapping; the RAM an off-by-one (or
	 * IOVA = GPA) would read holds a pattern. */
	memset(ram + R_GPA + 0x10000, 0x5a, 512);
	blk_req(&bq, VIRTIO_BLK_T_OUT, 8, R_IOVA + 0x10000, 512);
	assert_int_equal(drv_used(&bq, NULL), 1);			/* never completed */
	assert_int_equal(brd(b, 0x14, 1) & VIRTIO_S_NEEDS_RESET, VIRTIO_S_NEEDS_RESET);
	ifd = open(img_path, O_RDONLY);
	assert_true(ifd >= 0);
	assert_int_equal(pread(ifd, sect, 512, 8 * 512), 512);
	close(ifd);
	for (int i = 0; i < 512; i++)
		assert_int_equal(sect[i], 0);
	/* The fault event, as virtio_iommu_fault (§5.13.6.9) lays it out. */
	assert_int_equal(drv_used(&evtq, &len), 1);
	assert_int_equal(len, VIOMMU_FAULT_LEN);
	assert_int_equal(ram[VBUF + 0x200], VIOMMU_FAULT_R_MAPPING);
	memcpy(&v, ram + VBUF + 0x204, 4);
	assert_int_equal(v, VIOMMU_FAULT_F_READ | VIOMMU_FAULT_F_ADDRESS);	/* the device reads */
	memcpy(&v, ram + VBUF + 0x208, 4);
	assert_int_equal(v, EP_EMU);
	memcpy(&addr, ram + VBUF + 0x210, 8);
	assert_int_equal(addr, R_IOVA + 0x10000);
	assert_int_equal(dvi->faults, 1);
	assert_int_equal(dvi->faults_dropped, 0);
	/* The machine goes on: the viommu answers, the disk is reset and reads sector 4 back. */
	assert_int_equal(vreq(m, sizeof(m)), VIOMMU_S_INVAL);		/* already mapped */
	blk_start(&bq, b);
	memset(ram + R_GPA + 0xa000, 0, 512);
	blk_req(&bq, VIRTIO_BLK_T_IN, 4, R_IOVA + 0xa000, 512);
	assert_int_equal(drv_used(&bq, NULL), 1);
	assert_int_equal(ram[R_GPA + 0x8100], VIRTIO_BLK_S_OK);
	assert_memory_equal(ram + R_GPA + 0xa000, ram + R_GPA + 0x9000, 512);
	dvi->trace = NULL;
	test_trace_end(&t, path, buf, sizeof(buf));
	if (!strstr(buf, "\"dev\":\"0000:00:02.0\",\"kind\":\"viommu\",\"ev\":\"fault\",\"reason\":2,"
			 "\"iova\":\"0x40010000\",\"flags\":\"0x101\",\"delivered\":true"))
		fail_msg("no delivered fault line for 0000:00:02.0 at 0x40010000 in:\n%s", buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_identity, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_rng_behind, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_blk_stray, dev_setup_blk, dev_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
