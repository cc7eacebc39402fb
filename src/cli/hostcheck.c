/* hostcheck.c - `vfvm host`: can this host run vfvm guests? Opens /dev/kvm and creates (then
 * destroys) a VM with the split irqchip and one vCPU, as `vfvm run` would, and reports whether
 * guest ring 0 runs natively, and what VFIO and the IOMMU offer for passthrough. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cli/hostcheck.h"
#include "core/kvm.h"
#include "core/vm.h"

const char hostcheck_help[] =
	"usage: vfvm host [--kvm]\n"
	"Checks that this host can run vfvm guests: opens /dev/kvm and creates a VM with the\n"
	"split irqchip and one vCPU (as vfvm run does), tells whether guest ring 0 runs\n"
	"natively (vmx/svm in /proc/cpuinfo) or in a nested KVM's emulator, and what VFIO and\n"
	"the IOMMU offer for --device vfio. Exit status 0 when KVM is usable, 1 when not.\n"
	"  --kvm   print one word for scripts: native, emulated, or none: REASON\n";

/* The flag that says the CPU can run a guest's ring 0 natively, or NULL (nested on a
 * paravirtual KVM, as the development hosts are: docs/platform-notes.md). */
static const char *hostcheck_virt_flag(void)
{
	const char *found = NULL;
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL;

		if (strncmp(line, "flags", 5))
			continue;
		for (char *t = strtok_r(line, " \t\n", &save); t && !found;
		     t = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(t, "vmx") || !strcmp(t, "svm"))
				found = t[0] == 'v' ? "vmx" : "svm";
	}
	fclose(f);
	return found;
}

/* What vfvm run needs from KVM, tried for real; 0 or -errno with @err saying what is wrong. */
static int hostcheck_kvm(struct vm *vm, struct err *err)
{
	int r = kvm_vm_create(vm, err);
	int fd;

	if (r)
		return r;
	fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (fd < 0)
		return err_set(err, errno, "KVM_CREATE_VCPU: %s", strerror(errno));
	close(fd);
	return 0;
}

static unsigned hostcheck_count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void hostcheck_vfio(void)
{
	unsigned groups = hostcheck_count_dir("/sys/kernel/iommu_groups");
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("vfio: unavailable: /dev/vfio/vfio: %s (modprobe vfio-pci; the host kernel "
		       "needs CONFIG_VFIO)\n", strerror(errno));
	} else {
		int api = ioctl(fd, VFIO_GET_API_VERSION);
		int t1 = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);

		printf("vfio: API %d, type1v2 IOMMU %s\n", api, t1 > 0 ? "supported" :
		       "NOT supported (vfvm needs it)");
		close(fd);
	}
	if (groups)
		printf("iommu: %u IOMMU groups (vfvm devices lists what can be passed)\n", groups);
	else
		printf("iommu: no IOMMU groups (enable the IOMMU: intel_iommu=on or amd_iommu=on, "
		       "and VT-d/AMD-Vi in the firmware)\n");
}

int hostcheck_cmd(int argc, char **argv)
{
	struct vm *vm;
	struct err err = { 0 };
	const char *flag;
	bool brief = false;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kvm")) {
			brief = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(hostcheck_help, stdout);
			return 0;
		} else {
			fprintf(stderr, "vfvm: host: unknown option '%s'; see 'vfvm help host'\n",
				argv[i]);
			return 2;
		}
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		fprintf(stderr, "vfvm: host: out of memory\n");
		return 1;
	}
	r = hostcheck_kvm(vm, &err);
	kvm_vm_destroy(vm);
	free(vm);
	flag = hostcheck_virt_flag();
	if (brief) {
		if (r)
			printf("none: %s\n", err.msg);
		else
			printf("%s\n", flag ? "native" : "emulated");
		return r ? 1 : 0;
	}
	if (r)
		printf("kvm: unusable: %s\n", err.msg);
	else
		printf("kvm: usable (API %d, split irqchip, irqfd, ioeventfd, MSI routing)\n",
		       KVM_API_VERSION);
	if (flag)
		printf("cpu: %s: guest ring 0 runs natively\n", flag);
	else
		printf("cpu: no vmx/svm flag: %s\n", r ? "no hardware virtualization for guests "
		       "(run vfvm inside the lab: make lab-shell)" : "a nested or paravirtual KVM; "
		       "guest ring 0 is emulated (about 1 us per instruction)");
	hostcheck_vfio();
	return r ? 1 : 0;
}
