#!/bin/busybox sh
# tests/vm/init.sh -- PID 1 of the test VM (copied to /init of the
# initramfs by setup.sh).  Kernel parameters from run.sh:
#   ocirun.run=DIR     the per-run directory (9p tag "run", read-write):
#                      cmd, cwd, shares in; out, rc out
#   ocirun.moddir=DIR  host path of the unpacked module tree (optional)
#
# stage 1 (initramfs): load the virtio/9p/overlay modules, mount the host's
#   "/" (9p tag "hostroot", read-only) under a tmpfs overlay so the guest
#   sees the host's tree and may write anywhere (discarded at power-off),
#   mount the run directory at its host path, switch_root.
# stage 2 (new root): devpts, /dev/shm, cgroup2 on /sys/fs/cgroup with every
#   controller enabled for the root's children, the -w shares, then
#   `bash -c CMD` with output to $run/out; the exit status goes to $run/rc,
#   then power off.
BB=/bin/busybox

fatal() {
	echo "OCIRUN-VM-ERROR: $*" >/dev/console
	$BB poweroff -f
	exit 1
}

stage1() {
	$BB mkdir -p /proc /sys /dev
	$BB --install -s /bin
	export PATH=/bin
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	run='' moddir=''
	for arg in $(cat /proc/cmdline); do
		case $arg in
		ocirun.run=*) run=${arg#ocirun.run=} ;;
		ocirun.moddir=*) moddir=${arg#ocirun.moddir=} ;;
		esac
	done
	[ -n "$run" ] || fatal "no ocirun.run= on the kernel command line"
	for m in $(cat /lib/modules/order); do
		insmod "/lib/modules/$m" || echo "insmod $m failed" >/dev/console
	done

	mkdir -p /lower /upper /newroot
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower ||
		fatal "cannot mount the host root"
	mount -t tmpfs -o mode=0755 tmpfs /upper
	mkdir -p /upper/upper /upper/work
	mount -t overlay -o lowerdir=/lower,upperdir=/upper/upper,workdir=/upper/work overlay /newroot ||
		fatal "cannot mount the overlay"
	rel=$(uname -r)
	if [ -n "$moddir" ] && [ -d "/lower$moddir/lib/modules/$rel" ]; then
		mkdir -p "/newroot/lib/modules/$rel"
		mount --bind "/lower$moddir/lib/modules/$rel" "/newroot/lib/modules/$rel"
	fi
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run
	mkdir -p /newroot/run/ocirun-vm "/newroot$run"
	mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 run "/newroot$run" ||
		fatal "cannot mount the run directory"
	cp $BB /newroot/run/ocirun-vm/busybox
	cp /init /newroot/run/ocirun-vm/init
	echo "$run" >/newroot/run/ocirun-vm/rundir
	mount --move /dev /newroot/dev
	mount --move /proc /newroot/proc
	mount --move /sys /newroot/sys
	exec switch_root /newroot /run/ocirun-vm/busybox sh /run/ocirun-vm/init stage2
}

stage2() {
	BB=/run/ocirun-vm/busybox
	mkdir -p /run/ocirun-vm/bin
	$BB --install -s /run/ocirun-vm/bin
	export PATH=/run/ocirun-vm/bin
	run=$(cat /run/ocirun-vm/rundir)

	mkdir -p /dev/pts /dev/shm
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
	mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

	# pure cgroup v2, every controller available to the root's children
	mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup || fatal "cannot mount cgroup2"
	for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
		echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "cannot enable $c" >/dev/console
	done
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	hostname ocirun-vm
	ip link set lo up 2>/dev/null

	# extra read-write shares: "TAG PATH" lines
	if [ -s "$run/shares" ]; then
		while read -r tag path; do
			mkdir -p "$path"
			mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=512000 "$tag" "$path" ||
				fatal "cannot mount $tag on $path"
		done <"$run/shares"
	fi

	cd "$(cat "$run/cwd" 2>/dev/null)" 2>/dev/null || cd /
	setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		TERM=dumb LANG=C.UTF-8 OCIRUN_VM=1 $(cat "$run/env" 2>/dev/null) \
		/bin/bash -c "$(cat "$run/cmd")" </dev/null >"$run/out" 2>&1
	echo $? >"$run/rc"
	sync
	poweroff -f
}

case $1 in
stage2) stage2 ;;
*) stage1 ;;
esac
fatal "init fell through"
