#!/bin/bash
# tests/vm/setup.sh -- prepare the qemu test lane (see tests/vm/README.md).
#
# The lane boots a distribution kernel under qemu (software emulation, no
# KVM needed) with a pure cgroup v2 hierarchy, shares this machine's root
# file system read-only (plus a throw-away overlay) and runs one command as
# root; tests/vm/run.sh is the run-time side, tests/vm/init.sh the guest's
# PID 1.  We use it for what the build host cannot test itself (cgroup v2
# with every controller when the host is v1/hybrid).
#
# Steps (idempotent):
#   1. apt-get install qemu-system-x86 busybox-static kmod xz-utils zstd
#      (skipped with OCIRUN_VM_SKIP_APT=1),
#   2. apt-get download the kernel package linux-image-amd64 depends on
#      (or $OCIRUN_VM_KERNEL_PKG); it is unpacked, never installed,
#   3. unpack it: vmlinuz, plus the decompressed ELF vmlinux when we can
#      find the payload (qemu boots it through PVH, ~2 s faster),
#      the module tree (+ depmod) for in-guest autoloading,
#   4. build build/initramfs.cpio: static busybox, init.sh as /init and the
#      modules needed to reach the root file system over virtio-9p.
#
# Usage: tests/vm/setup.sh [--rebuild]   (--rebuild: skip 1-2)
# Output: tests/vm/build/ (about 500 MB; git-ignored)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${OCIRUN_VM_BUILD:-$HERE/build}
# modules to reach the root (dependencies are added from modules.dep);
# virtio_blk for the scratch disk run.sh attaches (io controller tests)
INITRD_MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_blk"

say() { echo "tests/vm/setup: $*" >&2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

install_packages() {
	[ "${OCIRUN_VM_SKIP_APT:-0}" = 1 ] && return
	say "installing qemu, busybox-static, kmod"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		qemu-system-x86 busybox-static kmod xz-utils zstd >/dev/null
}

download_kernel() {
	local pkg=${OCIRUN_VM_KERNEL_PKG:-} version have
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
		[ -n "$pkg" ] || { say "cannot resolve linux-image-amd64"; exit 1; }
	fi
	version=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
	have=$(dpkg-deb -f "$BUILD/kernel.deb" Package Version 2>/dev/null | awk '{ printf "%s ", $2 }' || true)
	if [ "$have" = "$pkg $version " ]; then
		say "$pkg $version already downloaded"
		return
	fi
	say "downloading $pkg $version"
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg")
	mv "$tmp"/*.deb "$BUILD/kernel.deb"
}

# bzImage -> ELF vmlinux: find a compressed payload that decompresses to ELF
extract_vmlinux() {
	local in=$1 out=$2 magic tool off
	for spec in $'\x28\xb5\x2f\xfd:zstd -dcq' $'\xfd7zXZ:xz -dcq' $'\x1f\x8b\x08:gzip -dcq'; do
		magic=${spec%%:*} tool=${spec#*:}
		command -v "${tool%% *}" >/dev/null || continue
		for off in $(LC_ALL=C grep -abo "$magic" "$in" | cut -d: -f1 | head -n 5); do
			tail -c +$((off + 1)) "$in" | $tool >"$out" 2>/dev/null || true
			[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] && return 0
		done
	done
	rm -f "$out"
	return 1
}

# print module file paths (relative to the module dir), dependencies first
module_closure() {
	local moddir=$1
	awk -v want="$INITRD_MODULES" '
		function norm(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); gsub("-", "_", p); return p }
		{ p = $1; sub(/:$/, "", p); n = norm(p); file[n] = p; dep[n] = ""
		  for (i = 2; i <= NF; i++) dep[n] = dep[n] " " norm($i) }
		function visit(m,   a, k, i) {
			if (m in seen) return
			seen[m] = 1
			if (!(m in file)) return          # built into the kernel
			k = split(dep[m], a, " ")
			for (i = 1; i <= k; i++) visit(a[i])
			print file[m]
		}
		END { k = split(want, w, " "); for (i = 1; i <= k; i++) visit(w[i]) }' "$moddir/modules.dep"
}

build() {
	local tree=$tmp/tree stage=$tmp/stage rel m
	[ -s "$BUILD/kernel.deb" ] || { say "no $BUILD/kernel.deb: run without --rebuild"; exit 1; }
	mkdir -p "$tree" "$stage"
	dpkg-deb -x "$BUILD/kernel.deb" "$tree"
	rel=$(basename "$(ls "$tree"/boot/vmlinuz-* | head -n1)")
	rel=${rel#vmlinuz-}
	say "kernel $rel"
	cp "$tree/boot/vmlinuz-$rel" "$BUILD/vmlinuz"
	rm -f "$BUILD/vmlinux"
	extract_vmlinux "$BUILD/vmlinuz" "$BUILD/vmlinux" || say "no ELF payload found: booting the bzImage"

	rm -rf "$BUILD/modules"
	mkdir -p "$BUILD/modules/lib"
	mv "$tree/lib/modules" "$BUILD/modules/lib/modules"
	depmod -b "$BUILD/modules" "$rel"

	mkdir -p "$stage"/{bin,dev,proc,sys,lib/modules}
	cp "$(command -v busybox)" "$stage/bin/busybox"
	install -m 0755 "$HERE/init.sh" "$stage/init"
	: >"$stage/lib/modules/order"
	for m in $(module_closure "$BUILD/modules/lib/modules/$rel"); do
		cp "$BUILD/modules/lib/modules/$rel/$m" "$stage/lib/modules/"
		basename "$m" >>"$stage/lib/modules/order"
	done
	(cd "$stage" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) >"$BUILD/initramfs.cpio"
	echo "$rel" >"$BUILD/release"
	say "initramfs modules: $(tr '\n' ' ' <"$stage/lib/modules/order")"
}

mkdir -p "$BUILD"
case ${1:-} in
"") install_packages; download_kernel ;;
--rebuild) ;;
*) sed -n 's/^# \{0,1\}//; /^Usage:/,/^Output:/p' "$0" >&2; exit 2 ;;
esac
build
say "done; try: tests/vm/run.sh 'cat /sys/fs/cgroup/cgroup.subtree_control'"
