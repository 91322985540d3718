#!/bin/bash
# THE test command for ocirun (run as root).
#
#   sudo ./tests/run.sh                 build if needed, then: make check (C unit
#                                       tests), the pytest integration suite, and
#                                       the oci-conformance suite against ocirun
#   sudo ./tests/run.sh --asan          the same against an ASan/UBSan build made
#                                       from a copy of the sources in build-asan/
#   sudo ./tests/run.sh [--asan] -- ARGS
#                                       extra pytest ARGS for the integration suite
#                                       (e.g. -- -k lifecycle -x); skips the other
#                                       suites
#
# Dependencies: the Debian packages of tests/deps.sh (groups build, test,
# clients); as root with apt-get, the missing ones are installed first
# (SKIP_APT=1: never; then a missing one stops the run, naming it).
#
# Environment: PYTHON (default /usr/bin/python3, which must have pytest),
# JOBS (make -j, default nproc), SKIP_CONFORMANCE=1, SKIP_UNIT=1, SKIP_APT=1.
#
# The last line printed is `N passed, N failed, N skipped` over every suite
# run (pytest errors and automake FAIL/ERROR/XPASS count as failed; skips
# are never passes).  Pytest arguments that select no test (`-- -k NOMATCH`)
# are not a failure.  Exit status 0 iff nothing failed.
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
PYTHON=${PYTHON:-/usr/bin/python3}
JOBS=${JOBS:-$(nproc)}
MODE=normal
PYTEST_EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) MODE=asan; shift ;;
    --) shift; PYTEST_EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (pytest args go after --)" >&2; exit 2 ;;
  esac
done

PASSED=0
FAILED=0
SKIPPED=0
LOGDIR=$SRC/tests/.build/logs
mkdir -p "$LOGDIR"

say() { printf '\n=== %s\n' "$*"; }

# count `N passed` / `N failed` / `N error(s)` / `N skipped` from a pytest
# summary line (or oci-conformance/run.sh's `N passed, N failed` after its
# `N skipped` line); RC is the suite's exit status: pytest's 5 (no test
# selected, as `-k NOMATCH` gives) is not a failure, any other non-zero
# status with no failure counted is one
count_pytest() {
  local log=$1 rc=${2:-0} line p f e s
  line=$(grep -E '^=+ .*(passed|failed|error|skipped|deselected|no tests ran).* in [0-9.]+s' "$log" | tail -1)
  if [ -z "$line" ]; then
    line=$(grep -E '[0-9]+ (passed|failed)' "$log" | tail -1)
    s=$(grep -E '^[0-9]+ skipped$' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  fi
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || true)
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || true)
  e=$(grep -oE '[0-9]+ errors?' <<<"$line" | grep -oE '[0-9]+' || true)
  [ -n "${s:-}" ] || s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || true)
  PASSED=$((PASSED + ${p:-0}))
  FAILED=$((FAILED + ${f:-0} + ${e:-0}))
  SKIPPED=$((SKIPPED + ${s:-0}))
  if [ "$rc" = 5 ]; then
    echo "run.sh: no test selected in $log (pytest exit status 5): nothing counted"
  elif [ -z "$line" ]; then
    echo "run.sh: no pytest summary in $log (exit status $rc): counting the suite as 1 failure"
    FAILED=$((FAILED + 1))
  elif [ "$rc" != 0 ] && [ $((${f:-0} + ${e:-0})) = 0 ]; then
    echo "run.sh: $log: exit status $rc with no failure counted: counting 1"
    FAILED=$((FAILED + 1))
  fi
}

finish() {
  echo
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
  [ "$FAILED" -eq 0 ]
  exit $?
}

# ------------------------------------------------------------------ dependencies
# shellcheck source=tests/deps.sh
. "$SRC/tests/deps.sh"
say "dependencies (tests/deps.sh)"
if ! ocirun_deps_install build test clients; then
  # the client tests skip without their tools; the rest cannot run
  if [ -n "$(ocirun_deps_missing build test)" ]; then
    echo "run.sh: missing dependencies (above): nothing run"
    FAILED=$((FAILED + 1))
    finish
  fi
  echo "run.sh: continuing: the client tests that need the missing packages skip"
fi
"$PYTHON" -c 'import pytest' 2>/dev/null || {
  echo "run.sh: $PYTHON cannot import pytest (Debian: python3-pytest; PYTHON picks another python)"
  FAILED=$((FAILED + 1))
  finish
}

# ------------------------------------------------------------------ build
build_normal() {
  [ -x configure ] || ./autogen.sh || return 1
  [ -f Makefile ] || ./configure --enable-werror || return 1
  make -j"$JOBS" || return 1
  BUILDDIR=$SRC
}

build_asan() {
  # automake refuses a VPATH build while the source dir is configured in
  # tree, so the ASan build gets its own copy of the sources (tracked and
  # new files, no build products): build-asan/src, built in place.
  local dst=$SRC/build-asan/src
  mkdir -p "$dst"
  (git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build-asan -prune -o -type f -print) \
    | grep -v '^build-asan/' | while read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done \
    | tar -cf - -T - | tar -xpf - -C "$dst" || return 1
  (
    cd "$dst" || exit 1
    [ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh || exit 1
    if [ ! -f Makefile ] || [ config.status -ot configure ] || ! grep -q 'define OCIRUN_FAULT_INJECTION 1' config.h; then
      # --enable-fault-injection: the OCIRUN_FAULT_STEP knob that
      # tests/test_faults.py drives (test builds only, never the normal one)
      ./configure --enable-fault-injection CFLAGS="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
        LDFLAGS="-fsanitize=address,undefined" || exit 1
    fi
    make -j"$JOBS"
  ) || return 1
  BUILDDIR=$dst
}

say "build ($MODE)"
if [ "$MODE" = asan ]; then
  build_asan || { echo "run.sh: ASan build failed"; FAILED=$((FAILED + 1)); finish; }
  # leaks of a short-lived CLI are noise; everything else aborts loudly
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:halt_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  build_normal || { echo "run.sh: build failed"; FAILED=$((FAILED + 1)); finish; }
fi
OCIRUN=$BUILDDIR/ocirun
export OCIRUN
echo "ocirun: $OCIRUN"

if [ "$(id -u)" != 0 ]; then
  echo "run.sh: the integration tests start real containers: run as root (sudo)"
  FAILED=$((FAILED + 1))
  finish
fi

# ------------------------------------------------------------------ unit
if [ ${#PYTEST_EXTRA[@]} -eq 0 ] && [ "${SKIP_UNIT:-0}" != 1 ]; then
  say "C unit tests (make check)"
  (cd "$BUILDDIR" && make -j"$JOBS" check) 2>&1 | tee "$LOGDIR/unit-$MODE.log"
  if [ -f "$BUILDDIR/test-suite.log" ]; then
    p=$(grep -E '^# PASS:' "$BUILDDIR/test-suite.log" | grep -oE '[0-9]+' || echo 0)
    s=$(grep -E '^# SKIP:' "$BUILDDIR/test-suite.log" | grep -oE '[0-9]+' || echo 0)
    SKIPPED=$((SKIPPED + s))
    f=0
    for k in FAIL ERROR XPASS; do
      n=$(grep -E "^# $k:" "$BUILDDIR/test-suite.log" | grep -oE '[0-9]+' || echo 0)
      f=$((f + n))
    done
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
  else
    echo "run.sh: make check produced no test-suite.log: counting as 1 failure"
    FAILED=$((FAILED + 1))
  fi
fi

# ------------------------------------------------------------------ integration
say "integration tests (pytest tests/)"
log=$LOGDIR/integration-$MODE.log
(cd "$SRC/tests" && timeout 2400 "$PYTHON" -m pytest -ra "${PYTEST_EXTRA[@]}") 2>&1 | tee "$log"
count_pytest "$log" "${PIPESTATUS[0]}"

# ------------------------------------------------------------------ conformance
if [ ${#PYTEST_EXTRA[@]} -eq 0 ] && [ "${SKIP_CONFORMANCE:-0}" != 1 ]; then
  log=$LOGDIR/conformance-$MODE.log
  # ocirun's compiled-seccomp cache for this run only (its default,
  # /run/ocirun-seccomp-cache, is shared by every ocirun on the host)
  OCIRUN_SECCOMP_CACHE=$(mktemp -d /tmp/ocirun-conformance-seccomp.XXXXXX)
  export OCIRUN_SECCOMP_CACHE
  # an interrupted run (Ctrl-C, a timeout) must not leave it in /tmp
  trap 'rm -rf "$OCIRUN_SECCOMP_CACHE"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if [ -x "$SRC/oci-conformance/run.sh" ]; then
    say "oci-conformance (oci-conformance/run.sh)"
    (cd "$SRC/oci-conformance" && RUNTIME=$OCIRUN OCI_CONFORMANCE_DEVIATIONS=$SRC/docs/conformance-deviations.txt \
       timeout 2400 ./run.sh) 2>&1 | tee "$log"
    count_pytest "$log" "${PIPESTATUS[0]}"
  elif [ -f "$SRC/oci-conformance/pytest.ini" ]; then
    say "oci-conformance (pytest, RUNTIME=ocirun)"
    (cd "$SRC/oci-conformance" && RUNTIME=$OCIRUN timeout 2400 "$PYTHON" -m pytest -q -ra) 2>&1 | tee "$log"
    count_pytest "$log" "${PIPESTATUS[0]}"
  else
    say "oci-conformance: not present, skipped"
  fi
  rm -rf "$OCIRUN_SECCOMP_CACHE"
  trap - EXIT INT TERM
  unset OCIRUN_SECCOMP_CACHE
fi

finish
