# 56-viommu-vfio.sh - scenario `viommu-vfio` (issue 12): vfvm's --viommu held to the reference
# of scenario viommu-ref (QEMU's virtio-iommu-pci on the same 6.12 kernel and initramfs). The
# Debian 6.12 guest (lab_kernel=6.12) under vfvm --viommu with iommu.strict=1 and the lab's nvme,
# edu and e1000e passed through must pass viommu-guest.lib's viommu_guest_checks for the three
# unchanged, do 4 MiB of nvme I/O through the virtio-iommu (md5 both ways), get an e1000e link
# and ping the lab's peer NIC through it (viommu_e1000e_ping), bind edu to the
# guest's own vfio-pci and DMA from guest user space through both IOMMU levels (edu-dma), miss
# after an UNMAP_DMA (edu-unmap), and a DMA at an IOVA nobody mapped (edu-stray) must be caught
# by the lab's IOMMU (a DMA-remapping fault for 00:03.0 in the lab's kernel) while vfvm keeps
# running to the guest's end (vfvm exits 0 after the guest's own reset).
# Written before --viommu exists: where `vfvm run --help` does not list it the scenario is a
# SKIP with that reason (lab_skip), never a pass. lab.viommu_args=ARGS (LAB_APPEND; commas for
# spaces) replaces the default "--viommu" should the option take arguments; lab.viommu_force=1
# runs it even where --help does not list the option.
# In the default run since 2026-12-08 (85 s: one 6.12 boot; the default tier took ~450 s of its
# 900 s cap on a quiet host that day).
lab_timeout=300
lab_devices=""
lab_kernel=6.12

VV_NVME=0000:00:05.0
VV_EDU=0000:00:03.0
VV_E1000E=0000:00:04.0
# The e1000e's peer on the same QEMU hub (44-vfio-e1000e.sh adds it), on the lab's e1000e driver.
VL_PEER=0000:00:09.0
VV_STRAY=0x4000000
# The page edu-dma (tools/lab/guest/edu-dma.c: IOVA_DST) unmaps and then DMAs to.
VV_UNMAPPED=0x101000
VV_DIR=/tmp/viommu-vfio
VL_LOG=$VV_DIR/vfvm.log

# vl_initrd, vl_boot, vl_judge, vl_viommu_script (inside the lab; the host reads lab_devices only).
[ -f /lab/scenarios/vfio-linux.lib ] && . /lab/scenarios/vfio-linux.lib

run() {
	# lab.viommu_force=1 (LAB_APPEND) runs it all the same, e.g. with lab.viommu_args=, (no
	# --viommu) to see that the checks fail without a virtio-iommu rather than pass.
	[ "$(lab_param lab.viommu_force)" = 1 ] || "$VFVM" run --help 2>&1 | grep -q -- '--viommu' ||
		{ lab_skip "vfvm run has no --viommu option yet (issue 12); viommu-ref is the reference it will be held to"; return 0; }
	[ -c /dev/kvm ] || { lab_fail "no /dev/kvm"; return; }
	_k=$(lab_guest_kernel) || { lab_fail "$_k"; return; }
	[ -x /guest/edu-dma ] || { lab_fail "no /guest/edu-dma in the lab image"; return; }
	rm -rf $VV_DIR && mkdir -p $VV_DIR
	_va=--viommu
	_p=$(lab_param lab.viommu_args) && _va=$(echo "$_p" | tr , ' ')
	_why=$(vl_peer) || { lab_fail "$_why"; return; }
	echo "$_why"
	vl_viommu_script $VV_DIR/check.sh "
viommu_edu_bind
viommu_guest_checks 1b36:0010 1234:11e8 8086:10d3
viommu_nvme_io
viommu_e1000e_ping 10.0.9.2 10.0.9.1
viommu_edu_dma $VV_STRAY
# What the guest saw of the faults (not judged: the lab's IOMMU, not vfvm, sees a VFIO device's
# stray DMA, and the type1 back end has no way to hear of it).
dmesg | grep -i 'fault from EP' | head -n 4 | sed 's/^/vt: guest fault event: /'"
	VL_FILES=/guest/edu-dma:edu-dma
	_w=$(vl_initrd $VV_DIR/check.cpio $VV_DIR/check.sh virtio_iommu nvme e1000e vfio vfio_iommu_type1 vfio_pci) ||
		{ lab_fail "$_w"; return; }
	guest_append="$guest_append iommu.strict=1"
	vl_edu_faults_before $VV_EDU $VV_UNMAPPED $VV_STRAY
	echo "vfvm $_va, iommu.strict=1, nvme $VV_NVME, edu $VV_EDU and e1000e $VV_E1000E passed through"
	# shellcheck disable=SC2086
	vl_boot $VV_DIR/check.cpio $_va --device vfio,host=$VV_NVME --device vfio,host=$VV_EDU \
		--device vfio,host=$VV_E1000E
	vl_edu_faults_after $VV_EDU
	# shellcheck disable=SC2046
	vl_judge $(. /lab/scenarios/viommu-guest.lib; viommu_check_names 1b36:0010 1234:11e8 8086:10d3) \
		viommu-nvme-io viommu-e1000e-link viommu-e1000e-ping edu-bind edu-dma edu-unmap edu-stray lab-faults
}
