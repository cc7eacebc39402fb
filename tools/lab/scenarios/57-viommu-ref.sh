# 57-viommu-ref.sh - scenario `viommu-ref`: the plumbing of issue 12's virtio-iommu tests, with
# the Debian 6.12 guest kernel (lab_kernel=6.12; 6.1 has no virtio_iommu). Boot 1: vfvm (ACPI
# machine) boots 6.12 with the lab's nvme passed through; the guest's nvme driver does 4 MiB of
# O_DIRECT I/O (md5 both ways). Boot 2, the reference the vfvm --viommu scenario (viommu-vfio)
# is held to: the same kernel and initramfs under the lab's QEMU (guest_qemu, q35) with
# `-device virtio-iommu-pci` (QEMU 7.2 describes it in an ACPI VIOT table) and the nvme and edu
# passed through, iommu.strict=1: viommu_guest_checks (viommu-guest.lib) must pass for both
# devices, the nvme I/O too, the guest's own vfio-pci runs edu's DMA engine from user space
# through both IOMMU levels (edu-dma), a DMA after UNMAP_DMA misses (edu-unmap), and DMAs at
# unmapped IOVAs show up as DMA-remapping faults in the lab's kernel (the lab's intel-iommu).
lab_timeout=300
lab_devices=""
lab_kernel=6.12
# Two Linux boots of the 6.12 kernel, about 4 min together on the busy two-core host: on demand
# (LAB_SCENARIOS=viommu-ref), like the benchmarks.
lab_default=no

VR_NVME=0000:00:05.0
VR_EDU=0000:00:03.0
# An IOVA nobody maps, below edu's 28-bit DMA mask.
VR_STRAY=0x4000000
# The page edu-dma (tools/lab/guest/edu-dma.c: IOVA_DST) unmaps and then DMAs to.
VR_UNMAPPED=0x101000
VR_DIR=/tmp/viommu-ref

# vl_initrd, vl_boot, vl_qemu_boot, vl_judge (inside the lab; the host reads lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

# Boot 1: no IOMMU in the guest; the passthrough works as with 6.1 (43-vfio-nvme.sh).
vr_vfvm() {
	vl_viommu_script $VR_DIR/vfvm-check.sh '
case "$(cat /proc/version)" in
"Linux version 6.12."*) vo_ok kernel "$(cat /proc/version | cut -d" " -f1-3)" ;;
*) vo_no kernel "$(cat /proc/version)" ;;
esac
viommu_nvme_io'
	_w=$(vl_initrd $VR_DIR/vfvm.cpio $VR_DIR/vfvm-check.sh nvme) || { lab_fail "$_w"; return 1; }
	VL_LOG=$VR_DIR/vfvm.log
	vl_boot $VR_DIR/vfvm.cpio --device vfio,host=$VR_NVME
	vl_judge kernel viommu-nvme-io
}

# Boot 2: QEMU's virtio-iommu, the reference.
vr_qemu() {
	vl_viommu_script $VR_DIR/qemu-check.sh "
viommu_edu_bind
viommu_guest_checks 1b36:0010 1234:11e8
viommu_nvme_io
viommu_edu_dma $VR_STRAY"
	VL_FILES=/guest/edu-dma:edu-dma
	_w=$(vl_initrd $VR_DIR/qemu.cpio $VR_DIR/qemu-check.sh virtio_iommu nvme vfio vfio_iommu_type1 vfio_pci) ||
		{ lab_fail "$_w"; return 1; }
	VL_LOG=$VR_DIR/qemu.log
	vl_edu_faults_before $VR_EDU $VR_UNMAPPED $VR_STRAY
	guest_append="$guest_append iommu.strict=1"
	vl_qemu_boot $VR_DIR/qemu.cpio -device virtio-iommu-pci \
		-device vfio-pci,host=$VR_NVME -device vfio-pci,host=$VR_EDU
	vl_edu_faults_after $VR_EDU
	# shellcheck disable=SC2046
	vl_judge $(. /lab/scenarios/viommu-guest.lib; viommu_check_names 1b36:0010 1234:11e8) \
		viommu-nvme-io edu-bind edu-dma edu-unmap edu-stray lab-faults
}

run() {
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	command -v qemu-system-x86_64 >/dev/null || { lab_fail "no qemu-system-x86_64 in the lab image"; return; }
	_k=$(lab_guest_kernel) || { lab_fail "$_k"; return; }
	[ -x /guest/edu-dma ] || { lab_fail "no /guest/edu-dma in the lab image"; return; }
	rm -rf $VR_DIR && mkdir -p $VR_DIR
	echo "guest kernel $(cat "$(lab_guest_dir)/version"): $_k"
	vr_vfvm || return
	echo "lab: the same kernel under QEMU with virtio-iommu-pci, iommu.strict=1"
	vr_qemu
}
