/* test_pci_setup.c - the machine's entry points (pci.h) on a struct vm without KVM: pci_setup
 * registers 0xCF8-0xCFF and creates --device entries, bad specs are input errors, the MP table
 * gets one INTx entry per (slot, pin), teardown is safe after failures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "machine/machine_irq.h"
#include "machine/machine_tables.h"
#include "machine/mptable.h"
#include "pci/pci.h"
#include "pci/pci_dev.h"
#include "core/vm.h"
#include "acpi/acpi.h"
#include "virtio/iommu.h"

static struct vm *vm_new(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	pthread_mutex_init(&vm->lock, NULL);
	bus_init(&vm->pio);
	bus_init(&vm->mmio);
	assert_int_equal(mem_layout(&vm->mem, 64 * MiB), 0);
	return vm;
}

static void vm_free(struct vm *vm)
{
	pci_teardown(vm);
	assert_int_equal(vm->pio.n, 0);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	free(vm);
}

static uint32_t pio_cfg_read(struct vm *vm, unsigned slot, unsigned reg)
{
	uint32_t a = 0x80000000u | slot << 11 | reg, v = 0;

	assert_true(bus_access(&vm->pio, 0xcf8, &a, 4, true));
	assert_true(bus_access(&vm->pio, 0xcfc, &v, 4, false));
	return v;
}

static void test_setup_devices(void **state)
{
	struct vm *vm = vm_new();
	struct err err;
	struct mptable_config mp;

	(void)state;
	memset(&err, 0, sizeof(err));
	vm->cfg.devices[0] = "testdev";
	vm->cfg.devices[1] = "testdev,vectors=2";
	vm->cfg.ndevices = 2;
	assert_int_equal(pci_setup(vm, machine_irq_gsi_line, &err), 0);
	assert_int_equal(pio_cfg_read(vm, 0, 0), 0x12378086);
	assert_int_equal(pio_cfg_read(vm, 1, 0), 0x7e571234);
	assert_int_equal(pio_cfg_read(vm, 2, 0), 0x7e571234);
	assert_int_equal(pio_cfg_read(vm, 3, 0), 0xffffffff);
	/* 64-bit window above RAM: the testdev RAM BAR starts at mem_pci64_start(). */
	struct pci_dev *d = vm->pci->devs[1][0];

	assert_int_equal(pci_bar_addr(d, 2), mem_pci64_start(&vm->mem));
	memset(&mp, 0, sizeof(mp));
	mp.npci_intx = 1;		/* entries are appended */
	machine_tables_pci_intx(vm, &mp);
	assert_int_equal(mp.npci_intx, 3);
	assert_int_equal(mp.pci_intx[1].slot, 1);
	assert_int_equal(mp.pci_intx[1].pin, 0);
	assert_int_equal(mp.pci_intx[1].ioapic_pin, 17);
	assert_int_equal(mp.pci_intx[2].slot, 2);
	assert_int_equal(mp.pci_intx[2].ioapic_pin, 18);
	pci_reset(vm);
	assert_int_equal(pio_cfg_read(vm, 1, 4) & 0xffff, 0);
	vm_free(vm);
}

static void test_setup_bad_device(void **state)
{
	struct vm *vm = vm_new();
	struct err err;

	(void)state;
	memset(&err, 0, sizeof(err));
	vm->cfg.devices[0] = "testdev";
	vm->cfg.devices[1] = "virtio-net";
	vm->cfg.ndevices = 2;
	assert_int_equal(pci_setup(vm, machine_irq_gsi_line, &err), -EINVAL);
	assert_int_equal(err.usage, 1);
	assert_string_equal(err.msg, "--device virtio-net: unknown device type 'virtio-net' "
			    "(known: testdev, vfio, virtio-rng)");
	vm_free(vm);
}

static void test_setup_too_many(void **state)
{
	struct vm *vm = vm_new();
	struct err err;

	(void)state;
	memset(&err, 0, sizeof(err));
	for (unsigned i = 0; i < VM_MAX_DEVICES; i++)
		vm->cfg.devices[i] = "testdev,ram=4K";
	vm->cfg.ndevices = VM_MAX_DEVICES;
	/* 31 free slots: the 32nd device does not fit. */
	assert_true(pci_setup(vm, machine_irq_gsi_line, &err) < 0);
	assert_non_null(strstr(err.msg, "testdev"));
	vm_free(vm);
}

/* --viommu: the virtio-iommu first (slot 1), every other function its endpoint, the bus's
 * translation set for the devices made after it, the VIOT naming it. */
static void test_setup_viommu(void **state)
{
	struct vm *vm = vm_new();
	struct acpi_config ac;
	struct err err;

	(void)state;
	memset(&err, 0, sizeof(err));
	memset(&ac, 0, sizeof(ac));
	vm->cfg.viommu = true;
	vm->cfg.devices[0] = "testdev";
	vm->cfg.devices[1] = "virtio-rng";
	vm->cfg.ndevices = 2;
	assert_int_equal(pci_setup(vm, machine_irq_gsi_line, &err), 0);
	assert_non_null(vm->viommu);
	assert_int_equal(pio_cfg_read(vm, 1, 0), 0x10571af4);
	assert_int_equal(pio_cfg_read(vm, 2, 0), 0x7e571234);
	assert_int_equal(vm->viommu->devfn, 1 << 3);
	assert_ptr_equal(vm->pci->dma, &vm->viommu->dma);
	assert_true(vm->viommu->eps[0].present);		/* the host bridge */
	assert_false(vm->viommu->eps[1 << 3].present);		/* not itself */
	assert_true(vm->viommu->eps[2 << 3].present);
	assert_true(vm->viommu->eps[3 << 3].present);
	assert_false(vm->viommu->eps[4 << 3].present);
	assert_int_equal(vm->viommu->bypass, 0);
	pci_acpi_config(vm, &ac);
	assert_true(ac.viot);
	assert_int_equal(ac.viommu_bdf, 1 << 3);
	vm_free(vm);
}

static void test_teardown_without_setup(void **state)
{
	struct vm *vm = vm_new();

	(void)state;
	pci_reset(vm);
	machine_tables_pci_intx(vm, &(struct mptable_config){ 0 });
	vm_free(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_devices),
		cmocka_unit_test(test_setup_bad_device),
		cmocka_unit_test(test_setup_too_many),
		cmocka_unit_test(test_setup_viommu),
		cmocka_unit_test(test_teardown_without_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
