#!/bin/sh
# Regression run of the fuzz targets (see README.md).
#
#   tests/fuzz/run.sh            build, then replay every file of corpus/<target>/
#   tests/fuzz/run.sh SECONDS    ... then fuzz each target SECONDS (one job,
#                                -timeout=5), growing work/<target>/;
#                                a crash/leak/timeout is left in work/artifacts/
#
# One result per target; the last line is `N passed, N failed`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-0}
case "$secs" in *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

if ! "$here/build.sh" >"$here/build.log" 2>&1; then
  cat "$here/build.log" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

pass=0
fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for bin in "$here"/build/fuzz-*; do
  t=${bin##*/fuzz-}
  seeds="$here/corpus/$t"
  dict=""
  case "$t" in config|process|state|resources|seccomp) dict="-dict=$here/config.dict" ;; esac
  ok=1
  log="$here/build/$t.log"
  start=$(date +%s)
  # replay: every seed / regression input, each run once
  if [ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ]; then
    if ! "$bin" -timeout=5 -rss_limit_mb=2048 "$seeds"/* >"$log" 2>&1; then
      ok=0
    fi
  fi
  n=$(ls -A "$seeds" 2>/dev/null | wc -l)
  what="replayed $n inputs"
  if [ "$ok" = 1 ] && [ "$secs" -gt 0 ]; then
    mkdir -p "$here/work/$t" "$here/work/artifacts/$t"
    if ! "$bin" $dict -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -jobs=1 -workers=1 \
      -artifact_prefix="$here/work/artifacts/$t/" -print_final_stats=1 \
      "$here/work/$t" "$seeds" >>"$log" 2>&1; then
      ok=0
    fi
    stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec)|^#[0-9]+.*(DONE|cov:)' "$log" | tail -3 | tr '\n' ' ')
    what="$what, fuzzed ${secs}s: $stats"
  fi
  el=$(( $(date +%s) - start ))
  if [ "$ok" = 1 ]; then
    pass=$((pass + 1))
    echo "PASS fuzz-$t ($what; ${el}s)"
  else
    fail=$((fail + 1))
    echo "FAIL fuzz-$t ($what; ${el}s) -- see $log"
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
