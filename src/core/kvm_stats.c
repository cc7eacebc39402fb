/* kvm_stats.c - reads named cumulative counters out of a vCPU's KVM binary statistics file
 * (KVM_GET_STATS_FD): a header, descriptors with inline names, then the data block. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "core/kvm_stats.h"

/* Bounds on what a well-formed file holds (a 6.x kernel: ~60 vCPU descriptors, names < 64). */
#define KVM_STATS_MAX_DESC	4096u
#define KVM_STATS_MAX_NAME	1024u

const char *const kvm_stats_progress_names[] = { "irq_injections", "nmi_injections", "halt_wakeup" };
const unsigned kvm_stats_progress_count = 3;

static int kvm_stats_header(const void *buf, size_t len, struct kvm_stats_header *h)
{
	if (len < sizeof(*h))
		return -EINVAL;
	memcpy(h, buf, sizeof(*h));
	if (h->num_desc > KVM_STATS_MAX_DESC || h->name_size > KVM_STATS_MAX_NAME ||
	    h->name_size == 0)
		return -EINVAL;
	return 0;
}

size_t kvm_stats_desc_end(const void *hdr, size_t len)
{
	struct kvm_stats_header h;

	if (kvm_stats_header(hdr, len, &h))
		return 0;
	return (size_t)h.desc_offset +
	       (size_t)h.num_desc * (sizeof(struct kvm_stats_desc) + h.name_size);
}

/* Descriptor @i's fixed part into @d and its name (NUL within name_size) into @name. */
static int kvm_stats_desc(const uint8_t *buf, size_t len, const struct kvm_stats_header *h,
			  unsigned i, struct kvm_stats_desc *d, const char **name)
{
	size_t stride = sizeof(*d) + h->name_size;
	size_t at = (size_t)h->desc_offset + (size_t)i * stride;

	if (at > len || len - at < stride)
		return -EINVAL;
	memcpy(d, buf + at, sizeof(*d));
	*name = (const char *)buf + at + sizeof(*d);
	if (!memchr(*name, 0, h->name_size))
		return -EINVAL;
	return 0;
}

int kvm_stats_parse(const void *buf, size_t len, const char *const *names, unsigned count,
		    struct kvm_stats *s)
{
	struct kvm_stats_header h;
	int r;

	s->n = 0;
	if (count > KVM_STATS_MAX)
		return -EINVAL;
	r = kvm_stats_header(buf, len, &h);
	if (r)
		return r;
	for (unsigned k = 0; k < count; k++) {
		for (unsigned i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc d;
			const char *name;

			r = kvm_stats_desc(buf, len, &h, i, &d, &name);
			if (r) {
				s->n = 0;
				return r;
			}
			if (strcmp(name, names[k]))
				continue;
			/* Only a plain u64 counter can be summed as "events so far". */
			if ((d.flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE ||
			    d.size < 1)
				break;
			s->name[s->n] = names[k];
			s->off[s->n++] = (uint64_t)h.data_offset + d.offset;
			break;
		}
	}
	return 0;
}

int kvm_stats_open(struct kvm_stats *s, int vcpu_fd, const char *const *names, unsigned count)
{
	struct kvm_stats_header h;
	size_t len;
	void *buf = NULL;
	int r;

	s->n = 0;
	s->fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0) {
		r = -errno;
		goto fail;
	}
	r = -EIO;
	if (pread(s->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		goto fail;
	len = kvm_stats_desc_end(&h, sizeof(h));
	r = -EINVAL;
	if (!len)
		goto fail;
	r = -ENOMEM;
	buf = malloc(len);
	if (!buf)
		goto fail;
	r = -EIO;
	if (pread(s->fd, buf, len, 0) != (ssize_t)len)
		goto fail;
	r = kvm_stats_parse(buf, len, names, count, s);
	if (r)
		goto fail;
	free(buf);
	return 0;
fail:
	free(buf);
	kvm_stats_close(s);
	return r;
}

uint64_t kvm_stats_get(const struct kvm_stats *s, unsigned i)
{
	uint64_t v;

	if (s->fd < 0 || i >= s->n ||
	    pread(s->fd, &v, sizeof(v), (off_t)s->off[i]) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

uint64_t kvm_stats_sum(const struct kvm_stats *s)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < s->n; i++)
		sum += kvm_stats_get(s, i);
	return sum;
}

void kvm_stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->n = 0;
}
