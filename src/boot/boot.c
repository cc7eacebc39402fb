/* boot.c - boot_load(): read the kernel, initrd and modules, tell the image kind from its
 * contents (bzImage, Multiboot, vmlinux ELF) and hand it to the matching loader. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "loader.h"

enum boot_kind boot_detect(const uint8_t *img, size_t len)
{
	/* boot.rst: boot_flag 0xAA55 at 0x1FE and "HdrS" at 0x202 mark a setup header. */
	if (len >= 0x206 && ld16(img + HDR_BOOT_FLAG) == 0xAA55 &&
	    ld32(img + HDR_MAGIC) == HDR_MAGIC_VALUE)
		return BOOT_KIND_BZIMAGE;
	/* A Multiboot header wins over the ELF header: such an ELF is booted as Multiboot. */
	if (boot_mb_find(img, len) >= 0)
		return BOOT_KIND_MULTIBOOT;
	if (len >= sizeof(Elf64_Ehdr) && !memcmp(img, ELFMAG, SELFMAG) &&
	    img[EI_CLASS] == ELFCLASS64 && ld16(img + 18) == EM_X86_64)
		return BOOT_KIND_VMLINUX;
	return BOOT_KIND_UNKNOWN;
}

/* Open @path, or with @keep reuse the file kept open by an earlier load (a --reboot under
 * the seccomp filter or after --user, where open() is no longer possible). */
static int boot_open(const char *what, const char *path, int *keep, struct err *err)
{
	int fd;

	if (keep && *keep >= 0) {
		if (lseek(*keep, 0, SEEK_SET) < 0)
			return err_input(err, errno, "cannot read %s %s again: %s", what, path,
					 strerror(errno));
		return *keep;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_input(err, errno, "cannot open %s %s: %s", what, path, strerror(errno));
	if (keep)
		*keep = fd;
	return fd;
}

static void boot_done(int fd, const int *keep)
{
	if (!keep)
		close(fd);
}

/* Read a whole file; refuse anything bigger than @max (it could not fit in guest RAM). */
static int boot_read(const char *what, const char *path, int *keep, uint64_t max,
		     uint8_t **data, size_t *len, struct err *err)
{
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = NULL, *nb;
	struct stat st;
	int fd, e = 0;
	ssize_t r;

	fd = boot_open(what, path, keep, err);
	if (fd < 0)
		return fd;
	/* A regular file's size is known: refuse a huge one before reading it, and read a
	 * normal one in one go (the loop still copes with pipes and short reads). */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > max) {
			e = err_input(err, EFBIG, "%s %s is larger than guest RAM (%llu bytes)",
				      what, path, (unsigned long long)max);
			goto fail;
		}
		cap = st.st_size + 1;
	}
	for (;;) {
		if (!buf || n == cap) {
			cap = buf ? cap * 2 : cap;
			nb = realloc(buf, cap);
			if (!nb) {
				e = err_set(err, ENOMEM, "out of memory reading %s %s", what, path);
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = err_input(err, errno, "cannot read %s %s: %s", what, path,
				      strerror(errno));
			goto fail;
		}
		if (!r)
			break;
		n += r;
		if (n > max) {
			e = err_input(err, EFBIG, "%s %s is larger than guest RAM (%llu bytes)",
				      what, path, (unsigned long long)max);
			goto fail;
		}
	}
	boot_done(fd, keep);
	*data = buf;
	*len = n;
	return 0;
fail:
	free(buf);
	boot_done(fd, keep);
	return e;
}

static int *boot_keep(const struct boot_config *cfg, unsigned i)
{
	return cfg->keep_fds && i < BOOT_KEEP_FDS ? &cfg->keep_fds[i] : NULL;
}

static const char *boot_kind_name(enum boot_kind k)
{
	switch (k) {
	case BOOT_KIND_BZIMAGE: return "a Linux bzImage";
	case BOOT_KIND_VMLINUX: return "a Linux vmlinux";
	case BOOT_KIND_MULTIBOOT: return "a Multiboot kernel";
	default: return "not a kernel";
	}
}

/* GRUB's convention for Multiboot strings: the file name, then its arguments. */
static char *boot_mb_string(const char *path, const char *args)
{
	char *s;

	if (asprintf(&s, "%s%s%s", path, args && *args ? " " : "", args ? args : "") < 0)
		return NULL;
	return s;
}

static int boot_load_multiboot(const struct guest_mem *mem, const struct e820_table *e820,
			       const struct boot_config *cfg, const uint8_t *img, size_t len,
			       struct boot_entry *out, struct err *err)
{
	struct boot_blob *mods = calloc(cfg->nmodules + 1, sizeof(*mods));
	char *cmdline = boot_mb_string(cfg->kernel, cfg->cmdline);
	unsigned i;
	int r = 0;

	if (!mods || !cmdline) {
		r = err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->nmodules && !r; i++) {
		const struct boot_module *m = &cfg->modules[i];
		uint8_t *data = NULL;

		r = boot_read("module", m->path, boot_keep(cfg, 2 + i), mem->ram_size, &data,
			      &mods[i].len, err);
		mods[i].data = data;
		if (!r && !(mods[i].string = boot_mb_string(m->path, m->args)))
			r = err_set(err, ENOMEM, "out of memory");
	}
	if (!r)
		r = boot_multiboot(mem, e820, img, len, mods, cfg->nmodules, cmdline, out, err);
out:
	for (i = 0; mods && i < cfg->nmodules; i++) {
		free((void *)mods[i].data);
		free((void *)mods[i].string);
	}
	free(mods);
	free(cmdline);
	return r;
}

static int boot_load_linux(const struct guest_mem *mem, const struct e820_table *e820,
			   const struct boot_config *cfg, enum boot_kind kind,
			   const uint8_t *img, size_t len, struct boot_entry *out,
			   struct err *err)
{
	uint8_t *initrd = NULL;
	size_t initrd_len = 0;
	int r = 0;

	if (cfg->initrd)
		r = boot_read("initrd", cfg->initrd, boot_keep(cfg, 1), mem->ram_size, &initrd,
			      &initrd_len, err);
	if (r)
		return r;
	if (kind == BOOT_KIND_BZIMAGE)
		r = boot_bzimage(mem, e820, img, len, initrd, initrd_len, cfg->cmdline, out, err);
	else
		r = boot_vmlinux(mem, e820, img, len, initrd, initrd_len, cfg->cmdline, out, err);
	free(initrd);
	return r;
}

int boot_load(const struct guest_mem *mem, const struct e820_table *e820,
	      const struct boot_config *cfg, struct boot_entry *out, struct err *err)
{
	enum boot_kind kind;
	uint8_t *img;
	size_t len;
	int r;

	if (!cfg->kernel)
		return err_input(err, EINVAL, "no kernel given; use --kernel FILE");
	r = boot_read("kernel", cfg->kernel, boot_keep(cfg, 0), mem->ram_size, &img, &len,
		      err);
	if (r)
		return r;
	kind = boot_detect(img, len);
	if (kind == BOOT_KIND_UNKNOWN) {
		r = err_input(err, ENOEXEC, "%s is not a kernel vfvm can boot: expected a Linux "
			      "bzImage, a Linux vmlinux (ELF64 x86-64) or a Multiboot v1 kernel",
			      cfg->kernel);
	} else if (kind == BOOT_KIND_MULTIBOOT && cfg->initrd) {
		r = err_input(err, EINVAL, "--initrd is for Linux kernels; %s is a Multiboot "
			      "kernel: pass files with --module", cfg->kernel);
	} else if (kind != BOOT_KIND_MULTIBOOT && cfg->nmodules) {
		r = err_input(err, EINVAL, "--module is for Multiboot kernels; %s is %s: use "
			      "--initrd", cfg->kernel, boot_kind_name(kind));
	} else if (kind == BOOT_KIND_MULTIBOOT) {
		r = boot_load_multiboot(mem, e820, cfg, img, len, out, err);
	} else {
		r = boot_load_linux(mem, e820, cfg, kind, img, len, out, err);
	}
	free(img);
	return r;
}
