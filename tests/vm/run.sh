#!/bin/bash
# tests/vm/run.sh -- run one command as root in a throw-away VM with pure
# cgroup v2 and every controller (built by tests/vm/setup.sh).
#
# The guest sees this machine's "/" read-only with a tmpfs overlay (so the
# binaries built here run there unchanged), each -w DIR read-write at the
# same path, and one 64 MB scratch disk (/dev/vda, for io controller
# tests).  The command runs with bash -c in the current directory; its
# output (stdout and stderr together) is streamed here.
#
# Usage: tests/vm/run.sh [options] CMD...
#   -w DIR     share DIR read-write at the same path (repeatable)
#   -e VAR=VAL environment for CMD (repeatable; no white space)
#   -m MEM     guest memory (default 1G)
#   -c N       guest CPUs (default 1; TCG runs fastest with one)
#   -t SECS    time limit (default 1800)
#   -v         show the guest console on stderr
#   -s CG      boot systemd as PID 1 (CG: v2 = unified, v1 = systemd's
#              legacy/hybrid layout); CMD runs as a oneshot service
#   -l LSM     boot with that LSM alone as the major one (apparmor,
#              selinux, selinux-enforcing): securityfs mounted, SELinux's
#              policy loaded (permissive unless selinux-enforcing)
# Environment: OCIRUN_VM_ACCEL=kvm to use KVM (default tcg, software emulation)
# Exit status: CMD's; 124 on timeout; 125 when the VM failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${OCIRUN_VM_BUILD:-$HERE/build}
mem=1G cpus=1 limit=1800 verbose=0 sdmode='' lsm=''
shares=() envs=()
while getopts "w:e:m:c:t:s:l:vh" o; do
	case $o in
	w) shares+=("$OPTARG") ;;
	e) envs+=("$OPTARG") ;;
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	t) limit=$OPTARG ;;
	v) verbose=1 ;;
	s) sdmode=$OPTARG ;;
	l) lsm=$OPTARG ;;
	*) sed -n 's/^# \{0,1\}//; /^Usage:/,/^Exit/p' "$0" >&2; exit 125 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "run.sh: no command" >&2; exit 125; }
die() { echo "run.sh: $*" >&2; exit 125; }

kernel=$BUILD/vmlinux
[ -f "$kernel" ] || kernel=$BUILD/vmlinuz
[ -f "$kernel" ] && [ -f "$BUILD/initramfs.cpio" ] || die "no VM in $BUILD: run tests/vm/setup.sh"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run tests/vm/setup.sh"

run=$(mktemp -d "${TMPDIR:-/tmp}/ocirun-vm.XXXXXX") || die "mktemp failed"
run=$(realpath "$run")
qpid=''
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ $# -eq 1 ]; then printf '%s\n' "$1" >"$run/cmd"; else printf '%q ' "$@" >"$run/cmd"; fi
pwd >"$run/cwd"
printf '%s\n' "${envs[@]}" >"$run/env"
: >"$run/out"
: >"$run/shares"
truncate -s 64M "$run/disk.img"

q() { printf '%s' "${1//,/,,}"; } # qemu option values: a comma is doubled
virtfs=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$(q "$run"),mount_tag=run,security_model=none,multidevs=remap")
i=0
for d in "${shares[@]}"; do
	[ -d "$d" ] || die "-w $d: not a directory"
	d=$(realpath "$d")
	echo "rw$i $d" >>"$run/shares"
	virtfs+=(-virtfs "local,path=$(q "$d"),mount_tag=rw$i,security_model=none,multidevs=remap")
	i=$((i + 1))
done
extra=''
case $sdmode in
'') ;;
v2) extra='ocirun.systemd=1 systemd.unified_cgroup_hierarchy=1' ;;
v1) extra='ocirun.systemd=1 systemd.unified_cgroup_hierarchy=0' ;;
*) die "-s $sdmode: expected v2 or v1" ;;
esac
# Debian's 6.1 has CONFIG_LSM=landlock,lockdown,yama,loadpin,safesetid,
# integrity,apparmor,selinux,smack,tomoyo,bpf: the first exclusive module of
# the list (AppArmor) wins, so the one we want is named alone in lsm= (which
# overrides security=; selinux= is no parameter there: no
# CONFIG_SECURITY_SELINUX_BOOTPARAM)
minor=landlock,lockdown,yama,integrity
case $lsm in
'') ;;
apparmor) extra="$extra lsm=$minor,apparmor,bpf apparmor=1 ocirun.lsm=apparmor" ;;
selinux) extra="$extra lsm=$minor,selinux,bpf ocirun.lsm=selinux" ;;
selinux-enforcing) extra="$extra lsm=$minor,selinux,bpf ocirun.lsm=selinux ocirun.selinux=enforcing" ;;
*) die "-l $lsm: expected apparmor, selinux or selinux-enforcing" ;;
esac
[ -z "$lsm" ] || [ -z "$sdmode" ] || die "-l and -s do not go together"
moddir=$(realpath "$BUILD/modules" 2>/dev/null || true)
# software emulation unless asked for KVM: a writable /dev/kvm does not mean a
# working one (nested virtualization may accept the VM and never run it)
accel=tcg
case ${OCIRUN_VM_ACCEL:-tcg} in
tcg) ;;
kvm) [ -w /dev/kvm ] || die "OCIRUN_VM_ACCEL=kvm but /dev/kvm is not writable"; accel=kvm ;;
*) die "OCIRUN_VM_ACCEL=$OCIRUN_VM_ACCEL: expected tcg or kvm" ;;
esac

timeout -k 5 "$limit" qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
	-machine q35,accel=$accel -cpu qemu64 -m "$mem" -smp "$cpus" \
	-kernel "$kernel" -initrd "$BUILD/initramfs.cpio" \
	-append "console=ttyS0 quiet panic=-1 ocirun.run=$run ocirun.moddir=$moddir $extra" \
	-serial "file:$run/console.log" \
	-drive "file=$(q "$run/disk.img"),if=virtio,format=raw" \
	"${virtfs[@]}" </dev/null >"$run/qemu.log" 2>&1 &
qpid=$!
tail -n +1 -f --pid=$qpid "$run/out" 2>/dev/null &
tailpid=$!
[ $verbose = 1 ] && tail -n +1 -f --pid=$qpid "$run/console.log" >&2 2>/dev/null &
wait $qpid
qrc=$?
qpid=''
wait $tailpid 2>/dev/null

if [ -s "$run/rc" ]; then
	exit "$(cat "$run/rc")"
fi
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "run.sh: timeout after ${limit}s" >&2
	exit 124
fi
echo "run.sh: the VM stopped without an exit status (qemu $qrc)" >&2
tail -n 30 "$run/console.log" "$run/qemu.log" >&2 2>/dev/null
exit 125
