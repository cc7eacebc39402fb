/* kvm_stats.h - named counters from KVM's binary statistics of one vCPU (KVM_GET_STATS_FD,
 * Documentation/virt/kvm/api.rst §4.133), read from any thread without stopping the vCPU. */
#ifndef VFVM_KVM_STATS_H
#define VFVM_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

#define KVM_STATS_MAX 4

/*
 * The counters the watchdog counts as progress that never leaves the kernel: interrupts and
 * NMIs KVM injected, and wake-ups of a halted vCPU. A Linux guest doing passthrough I/O takes
 * its MSI-X by irqfd and its timer from the in-kernel LAPIC, so it can run for minutes with
 * no exit to vfvm at all; these still move.
 */
extern const char *const kvm_stats_progress_names[];
extern const unsigned kvm_stats_progress_count;

struct kvm_stats {
	int fd;			/* -1: KVM has no binary statistics (before Linux 5.14) */
	unsigned n;		/* counters found, in @names order (missing ones left out) */
	const char *name[KVM_STATS_MAX];
	uint64_t off[KVM_STATS_MAX];	/* file offset of each counter's u64 */
};

/*
 * Find @names (at most KVM_STATS_MAX) in @buf, the first @len bytes of a statistics file: the
 * header, then its descriptors. Each found cumulative counter's file offset goes into @s.
 * -EINVAL when the header or a descriptor points outside @buf or a name is not terminated;
 * a name that is absent is not an error (s->n counts those found).
 */
int kvm_stats_parse(const void *buf, size_t len, const char *const *names, unsigned count,
		    struct kvm_stats *s);
/* Bytes of the file that kvm_stats_parse needs, from its header; 0 if the header is bad. */
size_t kvm_stats_desc_end(const void *hdr, size_t len);

/* KVM_GET_STATS_FD on @vcpu_fd and parse it; on any failure s->fd = -1 and -errno. */
int kvm_stats_open(struct kvm_stats *s, int vcpu_fd, const char *const *names, unsigned count);
/* Counter @i now; 0 if unreadable. */
uint64_t kvm_stats_get(const struct kvm_stats *s, unsigned i);
/* Sum of all found counters (the watchdog's progress clock). */
uint64_t kvm_stats_sum(const struct kvm_stats *s);
void kvm_stats_close(struct kvm_stats *s);

#endif
