#!/bin/bash
# tests/vm/ci.sh -- the cgroup v2 lane for CI (run as root).
#
# Sets up the qemu lane if needed (tests/vm/setup.sh), then in ONE guest
# boot (pure cgroup v2, every controller) runs:
#   1. tests/unit/test-cgroup         (the C unit tests of the cgroup code)
#   2. pytest tests/cgroups           (the CLI integration tests)
#   3. pytest tests/criu              (checkpoint/restore: criu works on the
#                                      guest's kernel, not always on the host's)
# then two more boots with systemd as PID 1 (tests/vm/run.sh -s), one
# with the unified hierarchy, one with systemd's v1 (hybrid) layout:
#   4. pytest tests/systemd           (the --systemd-cgroup driver)
# and two boots with an LSM (tests/vm/run.sh -l), AppArmor and SELinux:
#   5. pytest tests/vm/lsm            (profiles and labels on real policies;
#                                      the guest's own module + features)
# and prints `N passed, N failed` as its last line; exit status 0 iff
# nothing failed (a VM that fails or times out counts as 1 failure).
#
# Process creation in the guest is 5-8x slower than on the host (TCG), so
# the heavy tests are scaled down: OCIRUN_CGT_PARALLEL (default here 10)
# containers in the parallel create/delete test.
#
# Usage: tests/vm/ci.sh [-- PYTEST_ARGS...]   (PYTEST_ARGS: for the cgroups run)
# Environment:
#   OCIRUN_CGT_PARALLEL   parallel containers in the guest (default 10)
#   CI_VM_TIMEOUT         guest time limit in seconds (default 1500)
#   CI_VM_CPUS, CI_VM_MEM guest CPUs / memory (default 1 / 1G)
#   CI_VM_SYSTEMD         "v2 v1" (default): the systemd guests to boot; "" for none
#   CI_VM_SD_TIMEOUT      time limit of each systemd guest (default 600)
#   CI_VM_LSM             "apparmor selinux" (default): the LSM guests to boot; "" for none
#   CI_VM_LSM_TIMEOUT     time limit of each LSM guest (default 600)
#   OCIRUN_VM_BUILD       the lane's build dir (default tests/vm/build)
#   PYTHON                python with pytest (default /usr/bin/python3)
#
# Internal: `tests/vm/ci.sh --guest LOGDIR` is what runs inside the VM;
# `--guest-systemd LOGDIR NAME` inside a systemd guest, `--guest-lsm LOGDIR
# NAME` inside an LSM guest.
set -uo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
say() { printf '\n=== ci.sh: %s\n' "$*"; }

# ------------------------------------------------------------------ guest side
if [ "${1:-}" = --guest ]; then
	log=$2
	cd "$SRC" || exit 125
	say "guest: $(uname -r), $(nproc) cpu(s), cgroup controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
	say "guest: tests/unit/test-cgroup"
	./tests/unit/test-cgroup 2>&1 | tee "$log/unit.log"
	echo "${PIPESTATUS[0]}" >"$log/unit.rc"
	say "guest: pytest tests/cgroups (OCIRUN_CGT_PARALLEL=${OCIRUN_CGT_PARALLEL:-})"
	mapfile -t extra <"$log/pytest-args"
	(cd tests && "$PYTHON" -m pytest -q -ra --durations=8 -p no:cacheprovider cgroups "${extra[@]}") 2>&1 | tee "$log/pytest.log"
	echo "${PIPESTATUS[0]}" >"$log/pytest.rc"
	say "guest: pytest tests/criu ($(criu --version 2>/dev/null | head -1))"
	(cd tests && "$PYTHON" -m pytest -q -ra --durations=5 -p no:cacheprovider criu) 2>&1 | tee "$log/pytest-criu.log"
	echo "${PIPESTATUS[0]}" >"$log/pytest-criu.rc"
	exit 0
fi

if [ "${1:-}" = --guest-systemd ]; then
	log=$2 name=$3
	cd "$SRC" || exit 125
	if [ "$(cat /proc/1/comm)" != systemd ]; then
		echo "ci.sh: PID 1 is $(cat /proc/1/comm), not systemd" | tee "$log/$name.log"
		echo 1 >"$log/$name.rc"
		exit 0
	fi
	say "guest ($name): systemd $(systemctl --version | head -1 | cut -d' ' -f2), cgroup: $(stat -fc %T /sys/fs/cgroup)"
	(cd tests && "$PYTHON" -m pytest -q -ra --durations=5 -p no:cacheprovider systemd) 2>&1 | tee "$log/$name.log"
	echo "${PIPESTATUS[0]}" >"$log/$name.rc"
	exit 0
fi

if [ "${1:-}" = --guest-lsm ]; then
	log=$2 name=$3
	cd "$SRC" || exit 125
	lsms=$(cat /sys/kernel/security/lsm 2>/dev/null)
	case ",$lsms," in
	*",$name,"*) ;;
	*)
		echo "ci.sh: $name is not an active LSM (${lsms:-no securityfs})" | tee "$log/lsm-$name.log"
		echo 1 >"$log/lsm-$name.rc"
		exit 0
		;;
	esac
	say "guest (lsm $name): $lsms$([ -e /sys/fs/selinux/enforce ] && echo ", SELinux enforce=$(cat /sys/fs/selinux/enforce)")"
	(cd tests && OCIRUN_VM_LSM=$name "$PYTHON" -m pytest -q -ra --durations=5 -p no:cacheprovider \
		"vm/lsm/test_$name.py" vm/lsm/test_lsm_features.py) 2>&1 | tee "$log/lsm-$name.log"
	echo "${PIPESTATUS[0]}" >"$log/lsm-$name.rc"
	exit 0
fi

# ------------------------------------------------------------------ host side
[ "$(id -u)" = 0 ] || { echo "ci.sh: must run as root" >&2; exit 2; }
PYTEST_ARGS=()
if [ "${1:-}" = -- ]; then
	shift
	PYTEST_ARGS=("$@")
elif [ $# -gt 0 ]; then
	sed -n 's/^# \{0,1\}//; 2,/^Internal/p' "$0" >&2
	exit 2
fi
cd "$SRC" || exit 2
T0=$(date +%s)

# the binaries the guest runs are built here
if [ ! -x ./ocirun ] || [ ! -x tests/unit/test-cgroup ]; then
	say "building ocirun and tests/unit/test-cgroup"
	if [ ! -f Makefile ]; then
		{ [ -x configure ] || ./autogen.sh; } && ./configure --enable-werror || exit 2
	fi
	make -j"$(nproc)" ocirun tests/unit/test-cgroup || exit 2
fi

BUILD=${OCIRUN_VM_BUILD:-$SRC/tests/vm/build}
if [ ! -f "$BUILD/initramfs.cpio" ] || ! { [ -f "$BUILD/vmlinux" ] || [ -f "$BUILD/vmlinuz" ]; } \
	|| ! command -v qemu-system-x86_64 >/dev/null; then
	say "setting up the VM lane (tests/vm/setup.sh)"
	tests/vm/setup.sh || { echo "ci.sh: tests/vm/setup.sh failed"; echo "0 passed, 1 failed"; exit 1; }
elif [ tests/vm/init.sh -nt "$BUILD/initramfs.cpio" ]; then
	say "tests/vm/init.sh changed: rebuilding the initramfs"
	tests/vm/setup.sh --rebuild || { echo "ci.sh: tests/vm/setup.sh --rebuild failed"; echo "0 passed, 1 failed"; exit 1; }
fi
T1=$(date +%s)

# the rootfs template (busybox + static probe) is built here, where the
# compiler runs at full speed; the guest finds it in tests/.build
say "building the test rootfs template"
(cd tests && OCI_CONFORMANCE_CACHE="$SRC/tests/.build" "$PYTHON" -c \
	'import sys; sys.path.insert(0, "../oci-conformance/lib"); import bundle; print(bundle.build_rootfs())') || exit 2

log=$(mktemp -d "$SRC/tests/.build/vm-ci.XXXXXX") || exit 2
trap 'rm -rf "$log"' EXIT
printf '%s\n' "${PYTEST_ARGS[@]}" >"$log/pytest-args"
[ ${#PYTEST_ARGS[@]} -eq 0 ] && : >"$log/pytest-args"

say "running the guest (cgroup v2)"
tests/vm/run.sh -t "${CI_VM_TIMEOUT:-1500}" -c "${CI_VM_CPUS:-1}" -m "${CI_VM_MEM:-1G}" \
	-w "$SRC" -e "OCIRUN_CGT_PARALLEL=${OCIRUN_CGT_PARALLEL:-10}" -e "PYTHON=$PYTHON" \
	"$SRC/tests/vm/ci.sh" --guest "$log"
vmrc=$?
T2=$(date +%s)

# one booted guest of a kind: systemd as PID 1 (-s MODE) or an LSM (-l MODE);
# its pytest log lands in "$log/LOG-NAME.log", counted below
guestruns=()
run_guest() { # what flag mode timeout guest-arg guest-name log-name
	local what=$1 flag=$2 mode=$3 timeout=$4 garg=$5 gname=$6 name=$7 t rc
	say "running the $what guest ($mode)"
	t=$(date +%s)
	tests/vm/run.sh "$flag" "$mode" -t "$timeout" -c "${CI_VM_CPUS:-1}" -m "${CI_VM_MEM:-1G}" \
		-w "$SRC" -e "PYTHON=$PYTHON" "$SRC/tests/vm/ci.sh" "$garg" "$log" "$gname"
	rc=$?
	[ "$rc" = 0 ] || echo "ci.sh: the $what guest ($mode) exited with status $rc"
	echo "ci.sh: $what guest ($mode): $(($(date +%s) - t))s"
	guestruns+=("$name")
}
for m in ${CI_VM_SYSTEMD-v2 v1}; do
	run_guest systemd -s "$m" "${CI_VM_SD_TIMEOUT:-600}" --guest-systemd "systemd-$m" "systemd-$m"
done
T3=$(date +%s)
for m in ${CI_VM_LSM-apparmor selinux}; do
	run_guest LSM -l "$m" "${CI_VM_LSM_TIMEOUT:-600}" --guest-lsm "$m" "lsm-$m"
done
T4=$(date +%s)

passed=0 failed=0
# unit: its own `N passed, N failed` line
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/unit.log" 2>/dev/null | tail -1)
if [ -n "$line" ]; then
	passed=$((passed + ${line%% passed*}))
	f=${line#*, }
	failed=$((failed + ${f%% failed}))
	if [ "$(cat "$log/unit.rc" 2>/dev/null)" != 0 ] && [ "${f%% failed}" = 0 ]; then
		echo "ci.sh: test-cgroup exited $(cat "$log/unit.rc") with no failure counted: counting 1"
		failed=$((failed + 1))
	fi
else
	echo "ci.sh: no summary from tests/unit/test-cgroup: counting 1 failure"
	failed=$((failed + 1))
fi
# pytest: the `=== ... in Ns ===` summary (-q prints it without the ===)
count_pytest() { # NAME: $log/NAME.log and $log/NAME.rc
	local line p f e
	line=$(grep -E '(passed|failed|error|skipped|no tests ran).* in [0-9.]+s' "$log/$1.log" 2>/dev/null | tail -1)
	if [ -n "$line" ]; then
		p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || true)
		f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || true)
		e=$(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+' || true)
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0} + ${e:-0}))
		if [ "$(cat "$log/$1.rc" 2>/dev/null)" != 0 ] && [ $((${f:-0} + ${e:-0})) = 0 ]; then
			echo "ci.sh: $1 exited $(cat "$log/$1.rc") with no failure counted: counting 1"
			failed=$((failed + 1))
		fi
	else
		echo "ci.sh: no summary from $1 (VM exit status $vmrc): counting 1 failure"
		failed=$((failed + 1))
	fi
}
count_pytest pytest
count_pytest pytest-criu
for n in "${guestruns[@]}"; do count_pytest "$n"; done
[ "$vmrc" = 0 ] || echo "ci.sh: the VM exited with status $vmrc"

echo
echo "ci.sh: setup $((T1 - T0))s, guest run $((T2 - T1))s, systemd guests $((T3 - T2))s, LSM guests $((T4 - T3))s, total $((T4 - T0))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$vmrc" -eq 0 ]
