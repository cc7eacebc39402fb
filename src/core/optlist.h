/* optlist.h - "HEAD,opt,opt..." option lists (--disk, --net, --share): one loop over the
 * comma-separated items for every option that takes them. */
#ifndef VFVM_OPTLIST_H
#define VFVM_OPTLIST_H

#include <stddef.h>

/* Called for each item after the head, in order; @item is not NUL-terminated (@n bytes, 0 for
 * an empty item such as the one "a,,b" has). 0 to go on; anything else stops the walk. */
typedef int optlist_fn(void *ctx, const char *item, size_t n);

/* The length of @spec's head (everything before the first comma). */
size_t optlist_head(const char *spec);
/* Calls @fn for each item after the head; returns the first non-zero result, or 0. */
int optlist_each(const char *spec, optlist_fn *fn, void *ctx);
/* Does item (@p, @n) start with @key (e.g. "tag=")? */
int optlist_key(const char *p, size_t n, const char *key);

#endif
