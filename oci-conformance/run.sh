#!/bin/sh
# Run the conformance suite against one runtime and print a summary.
#   oci-conformance/run.sh [RUNTIME [NAME]]
# RUNTIME defaults to $RUNTIME, then ../ocirun (the binary built at the repo top).
# NAME (default: basename of RUNTIME) names results/NAME.json.  results/ (not
# tracked: a run never rewrites a file of the repository) is
# $OCI_CONFORMANCE_RESULTS_DIR, default oci-conformance/results.  A runtime named
# crun-hybrid (wrappers/crun-hybrid) is recorded as "crun" and run with
# RUNTIME_PRIVATE_MNTNS=1.  Extra pytest arguments: PYTEST_ARGS="-k hooks" (results then
# go to results/NAME.partial.json, which the report ignores).
# Exit status: 0 if no check failed, 1 if some failed, >1 if the suite broke.
here=$(cd "$(dirname "$0")" && pwd)
RUNTIME=${1:-${RUNTIME:-$here/../ocirun}}
case "$RUNTIME" in /*) ;; */*) RUNTIME=$(pwd)/$RUNTIME ;; *) RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME") ;; esac
NAME=${2:-$(basename "$RUNTIME")}
if [ "$NAME" = crun-hybrid ]; then NAME=crun; RUNTIME_PRIVATE_MNTNS=1; export RUNTIME_PRIVATE_MNTNS; fi
PY=${PYTHON:-/usr/bin/python3}
results=${OCI_CONFORMANCE_RESULTS_DIR:-$here/results}
out=$results/$NAME.json
log=$results/$NAME.log
if [ -n "${PYTEST_ARGS:-}" ]; then  # a subset: keep the full results intact
    out=$results/$NAME.partial.json
    log=$results/$NAME.partial.log
fi
mkdir -p "$results" || exit 3
if [ ! -x "$RUNTIME" ]; then
    echo "run.sh: runtime $RUNTIME is not executable" >&2
    exit 3
fi
echo "oci-conformance: runtime $RUNTIME (as $NAME); log in $log"
# PYTEST_ARGS is split the way a shell splits it, so quoted words stay whole:
# PYTEST_ARGS="-k 'hooks and not poststop'"
eval "set -- ${PYTEST_ARGS:-}"
RUNTIME=$RUNTIME RUNTIME_NAME=$NAME OCI_CONFORMANCE_RESULTS=$out \
    "$PY" -m pytest -q -rs -c "$here/pytest.ini" --rootdir "$here" "$here/tests" "$@" >"$log" 2>&1
rc=$?
if [ $rc -gt 1 ] && [ ! -s "$out" ]; then
    tail -n 30 "$log"
    echo "run.sh: pytest exited $rc without results" >&2
    exit $rc
fi
"$PY" "$here/tools/summary.py" "$out"
