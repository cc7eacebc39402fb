/* fuzz_input.h - reads a libFuzzer input as a stream of little-endian fields; past the end
 * every field reads 0, so each input is a complete (possibly short) operation sequence. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>

struct fin {
	const uint8_t *p;
	size_t n, at;
};

static inline int fin_more(const struct fin *in)
{
	return in->at < in->n;
}

static inline uint64_t fin_get(struct fin *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++, in->at++)
		if (in->at < in->n)
			v |= (uint64_t)in->p[in->at] << (8 * i);
	return v;
}

#define fin_u8(in)	((uint8_t)fin_get(in, 1))
#define fin_u16(in)	((uint16_t)fin_get(in, 2))
#define fin_u32(in)	((uint32_t)fin_get(in, 4))
#define fin_u64(in)	fin_get(in, 8)

/* Invariant checks are the harness's own loops: no coverage feedback (and none of its cost)
 * from them, only from the code under test. */
#define FUZZ_NOCOV __attribute__((no_sanitize("coverage")))

/* An invariant broke: say which, and abort() so libFuzzer keeps the input as a crash. */
#define FUZZ_CHECK(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz invariant: %s: ", #cond);		\
			fprintf(stderr, __VA_ARGS__);				\
			fputc('\n', stderr);					\
			abort();						\
		}								\
	} while (0)

/* Open file descriptors of this process (an fd leak shows as a growing count). */
static inline unsigned fuzz_open_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!dir)
		abort();
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

#endif
