/* test_kvm.c - unit tests of the staged GSI routing table in src/core/kvm.c (no /dev/kvm needed:
 * only kvm_route_commit() talks to KVM): I/O APIC pins 0-23 reserved, MSI GSIs from 24,
 * reuse after free, bounds, and the staged entries' MSI fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <linux/kvm.h>
#include "core/kvm.h"
#include "core/vm.h"

static struct vm *mkvm(unsigned max_gsi)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	vm->kvm_fd = vm->vm_fd = -1;
	vm->max_gsi = max_gsi;
	pthread_mutex_init(&vm->kvm_lock, NULL);
	for (unsigned i = 0; i < 24; i++)	/* what kvm_vm_create() reserves */
		vm->gsi_used[0] |= 1UL << i;
	return vm;
}

static void freevm(struct vm *vm)
{
	kvm_vm_destroy(vm);
	free(vm);
}

static const struct kvm_irq_routing_entry *entry(struct vm *vm, unsigned gsi)
{
	for (unsigned i = 0; vm->routes && i < vm->routes->nr; i++)
		if (vm->routes->entries[i].gsi == gsi)
			return &vm->routes->entries[i];
	return NULL;
}

static void test_alloc_from_24(void **state)
{
	struct vm *vm = mkvm(4096);
	struct msi_msg m = { .addr = 0xfee01000, .data = 0x4041 };

	(void)state;
	assert_int_equal(kvm_route_alloc(vm, &m), 24);
	assert_int_equal(kvm_route_alloc(vm, &m), 25);
	assert_int_equal(kvm_route_alloc(vm, &m), 26);
	assert_int_equal(vm->routes->nr, 3);
	const struct kvm_irq_routing_entry *e = entry(vm, 25);
	assert_non_null(e);
	assert_int_equal(e->type, KVM_IRQ_ROUTING_MSI);
	assert_int_equal(e->u.msi.address_lo, 0xfee01000);
	assert_int_equal(e->u.msi.address_hi, 0);
	assert_int_equal(e->u.msi.data, 0x4041);
	freevm(vm);
}

static void test_free_reuse(void **state)
{
	struct vm *vm = mkvm(4096);
	struct msi_msg m = { .addr = 0xfee00000, .data = 0x30 };

	(void)state;
	for (int i = 0; i < 100; i++)
		assert_int_equal(kvm_route_alloc(vm, &m), 24 + i);
	kvm_route_free(vm, 30);
	kvm_route_free(vm, 27);
	assert_null(entry(vm, 30));
	assert_int_equal(vm->routes->nr, 98);
	/* The lowest free GSI is handed out again. */
	assert_int_equal(kvm_route_alloc(vm, &m), 27);
	assert_int_equal(kvm_route_alloc(vm, &m), 30);
	assert_int_equal(kvm_route_alloc(vm, &m), 124);
	/* Freeing an I/O APIC pin or an out-of-range GSI does nothing. */
	kvm_route_free(vm, 5);
	kvm_route_free(vm, 99999);
	assert_int_equal(vm->routes->nr, 101);
	freevm(vm);
}

static void test_pins_and_bounds(void **state)
{
	struct vm *vm = mkvm(64);
	struct msi_msg m = { .addr = 0x1fee00000ULL, .data = 0x8031 };

	(void)state;
	/* Pins are set and cleared by GSI, never allocated. */
	assert_int_equal(kvm_route_set(vm, 4, &m), 0);
	assert_int_equal(entry(vm, 4)->u.msi.address_hi, 1);
	assert_int_equal(entry(vm, 4)->u.msi.data, 0x8031);
	m.data = 0x31;
	assert_int_equal(kvm_route_set(vm, 4, &m), 0);	/* updated in place */
	assert_int_equal(vm->routes->nr, 1);
	assert_int_equal(entry(vm, 4)->u.msi.data, 0x31);
	assert_int_equal(kvm_route_clear(vm, 4), 0);
	assert_null(entry(vm, 4));
	assert_int_equal(kvm_route_clear(vm, 4), 0);	/* clearing twice is harmless */
	assert_int_equal(kvm_route_set(vm, 64, &m), -EINVAL);
	assert_int_equal(kvm_route_clear(vm, 64), -EINVAL);
	assert_int_equal(kvm_route_set(vm, 3, NULL), -EINVAL);
	/* 64 GSIs: 24..63 can be allocated, then the table is full. */
	for (int i = 24; i < 64; i++)
		assert_int_equal(kvm_route_alloc(vm, &m), i);
	assert_int_equal(kvm_route_alloc(vm, &m), -ENOSPC);
	assert_int_equal(kvm_route_alloc(vm, NULL), -EINVAL);
	freevm(vm);
}

static void test_slots_and_fds_reject_bad_args(void **state)
{
	struct vm *vm = mkvm(64);
	static char buf[8192] __attribute__((aligned(4096)));

	(void)state;
	vm->max_slots = 8;
	assert_int_equal(kvm_slot_map(vm, 0x1000, 0, buf, false), -EINVAL);
	assert_int_equal(kvm_slot_map(vm, 0x1001, 4096, buf, false), -EINVAL);
	assert_int_equal(kvm_slot_map(vm, 0x1000, 4095, buf, false), -EINVAL);
	assert_int_equal(kvm_slot_unmap(vm, -1), -EINVAL);
	assert_int_equal(kvm_slot_unmap(vm, 8), -EINVAL);
	assert_int_equal(kvm_slot_unmap(vm, 3), -ENOENT);
	assert_int_equal(kvm_irqfd(vm, -1, 30, -1, false), -EINVAL);
	assert_int_equal(kvm_irqfd(vm, 5, 64, -1, false), -EINVAL);
	assert_int_equal(kvm_ioeventfd(vm, 5, 0x1000, 3, false, -1, false), -EINVAL);
	assert_int_equal(kvm_ioeventfd(vm, -1, 0x1000, 4, false, -1, false), -EINVAL);
	freevm(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_from_24),
		cmocka_unit_test(test_free_reuse),
		cmocka_unit_test(test_pins_and_bounds),
		cmocka_unit_test(test_slots_and_fds_reject_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
