/* optlist.c - the comma-separated option lists of --disk, --net and --share (docs/cli.md):
 * a head, then items, each handed to the option's own parser. */
#include <string.h>
#include "core/optlist.h"

size_t optlist_head(const char *spec)
{
	return strcspn(spec, ",");
}

int optlist_each(const char *spec, optlist_fn *fn, void *ctx)
{
	const char *p = spec + optlist_head(spec);

	while (*p) {
		size_t n;
		int r;

		p++;			/* the comma */
		n = strcspn(p, ",");
		if ((r = fn(ctx, p, n)))
			return r;
		p += n;
	}
	return 0;
}

int optlist_key(const char *p, size_t n, const char *key)
{
	size_t k = strlen(key);

	return n >= k && !strncmp(p, key, k);
}
