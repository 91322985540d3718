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
# systemd mode (ocirun.systemd=1, run.sh -s): stage 2 mounts the shares,
#   writes a small unit set into the (throw-away) /etc and execs
#   /lib/systemd/systemd as PID 1; systemd mounts the cgroups itself (v2, or
#   v1/hybrid with systemd.unified_cgroup_hierarchy=0 on the command line)
#   and starts ocirun-vm-command.service, which runs CMD (`init runcmd`)
#   the same way, then powers off.
# LSM mode (ocirun.lsm=apparmor|selinux, run.sh -l): the kernel boots with
#   that LSM (run.sh puts it alone in lsm=); stage 2 mounts securityfs
#   (AppArmor: the tests load their own profiles with the shared root's
#   apparmor_parser) or selinuxfs and loads Debian's selinux-policy-default
#   with load_policy, permissive unless ocirun.selinux=enforcing (see
#   tests/vm/README.md for why the lane's tests run permissive).
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

	# extra read-write shares: "TAG PATH" lines
	if [ -s "$run/shares" ]; then
		while read -r tag path; do
			mkdir -p "$path"
			mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=512000 "$tag" "$path" ||
				fatal "cannot mount $tag on $path"
		done <"$run/shares"
	fi

	if grep -qw ocirun.systemd=1 /proc/cmdline; then
		systemd_boot "$run"
	fi
	lsm_setup

	# pure cgroup v2, every controller available to the root's children
	mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup || fatal "cannot mount cgroup2"
	for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
		echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "cannot enable $c" >/dev/console
	done
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	hostname ocirun-vm
	ip link set lo up 2>/dev/null

	runcmd "$run"
}

# ocirun.lsm=: the LSM's file system, and SELinux's policy
lsm_setup() {
	mode='' enforce=0
	for arg in $(cat /proc/cmdline); do
		case $arg in
		ocirun.lsm=*) mode=${arg#ocirun.lsm=} ;;
		ocirun.selinux=enforcing) enforce=1 ;;
		esac
	done
	case $mode in
	'') ;;
	apparmor)
		mount -t securityfs securityfs /sys/kernel/security || fatal "cannot mount securityfs"
		[ -d /sys/kernel/security/apparmor ] || fatal "AppArmor is not active: $(cat /sys/kernel/security/lsm)"
		;;
	selinux)
		mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
		mount -t selinuxfs selinuxfs /sys/fs/selinux || fatal "cannot mount selinuxfs"
		# the policy store of the shared root (selinux-policy-default's
		# postinst built it); the loaded policy starts as the config says
		# (Debian: permissive), enforcing only when asked
		/usr/sbin/load_policy >/dev/console 2>&1 || fatal "load_policy failed"
		echo $enforce >/sys/fs/selinux/enforce || fatal "cannot set SELinux enforce=$enforce"
		;;
	*) fatal "ocirun.lsm=$mode: expected apparmor or selinux" ;;
	esac
}

# the command, its output to $run/out, its status to $run/rc; power off
runcmd() {
	run=$1
	cd "$(cat "$run/cwd" 2>/dev/null)" 2>/dev/null || cd /
	setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		TERM=dumb LANG=C.UTF-8 OCIRUN_VM=1 $(cat "$run/env" 2>/dev/null) \
		/bin/bash -c "$(cat "$run/cmd")" </dev/null >"$run/out" 2>&1
	echo $? >"$run/rc"
	sync
	poweroff -f
}

# systemd as PID 1 (ocirun.systemd=1): only what the command needs starts --
# basic.target (journald, udev, tmpfiles, dbus.socket) and our service;
# what would wait for hardware or the network, or start the host's daemons
# (docker, containerd, postgresql ... enabled for multi-user.target), is
# not pulled in or masked.
systemd_boot() {
	run=$1
	mkdir -p /etc/systemd/system
	for u in getty@tty1.service serial-getty@ttyS0.service console-getty.service systemd-timesyncd.service \
		systemd-pstore.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
		fstrim.timer man-db.timer podman-auto-update.timer systemd-networkd.service networking.service \
		systemd-networkd-wait-online.service systemd-firstboot.service systemd-random-seed.service \
		systemd-update-utmp.service systemd-journal-flush.service ifupdown-pre.service \
		systemd-hwdb-update.service ldconfig.service systemd-machine-id-commit.service \
		dev-hugepages.mount dev-mqueue.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
		sys-fs-fuse-connections.mount sys-kernel-config.mount systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
		docker.socket podman.socket podman.service podman-restart.service podman-auto-update.service \
		systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer systemd-sysusers.service apparmor.service \
		systemd-modules-load.service modprobe@dm_mod.service modprobe@loop.service modprobe@fuse.service \
		modprobe@configfs.service modprobe@drm.service modprobe@efi_pstore.service; do
		ln -sf /dev/null "/etc/systemd/system/$u"
	done
	: >/etc/fstab
	: >/etc/crypttab 2>/dev/null
	cat >/etc/systemd/system/ocirun-vm.target <<-EOF
	[Unit]
	Description=ocirun VM: run one command
	Requires=basic.target ocirun-vm-command.service
	After=basic.target
	AllowIsolate=yes
	EOF
	cat >/etc/systemd/system/ocirun-vm-command.service <<-EOF
	[Unit]
	Description=ocirun VM command
	Wants=dbus.service
	After=basic.target dbus.service
	[Service]
	Type=oneshot
	ExecStart=/run/ocirun-vm/busybox sh /run/ocirun-vm/init runcmd $run
	StandardOutput=journal+console
	EOF
	ln -sf /etc/systemd/system/ocirun-vm.target /etc/systemd/system/default.target
	# the shared root may be a container image: systemd would believe it
	# runs in one (and read its options from its own argv, not the kernel
	# command line)
	rm -f /.dockerenv /run/.containerenv
	echo ocirun-vm >/etc/hostname
	exec /lib/systemd/systemd --unit=ocirun-vm.target
}

case $1 in
stage2) stage2 ;;
runcmd)
	BB=/run/ocirun-vm/busybox
	PATH=/run/ocirun-vm/bin:/usr/sbin:/usr/bin:/sbin:/bin
	runcmd "$2"
	;;
*) stage1 ;;
esac
fatal "init fell through"
