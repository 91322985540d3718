#!/bin/sh
# The call graph between the runtime library's modules, read from the
# objects of libocirun.a (A -> B: A uses a function or variable B defines),
# and the check that it has no circle (issue 14: a module is read, tested
# and replaced on its own only if nothing below it calls back up).
#
#   tests/unit/module-graph.sh [-v] [LIBOCIRUN.a]   (run by `make check`)
#
# -v prints the graph, one `A -> B` a line.  Exit 1 naming the modules of
# a circle, 0 otherwise.
set -u
verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }
lib=${1:-src/libocirun/libocirun.a}
[ -f "$lib" ] || { echo "module-graph: no $lib (build first)" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# "archive:libocirun_a-mounts.o: 0000 T sym" -> "sym mounts"
module () { sed -e 's/^[^:]*:libocirun_a-\([^:]*\)\.o:/\1 /'; }
nm -A -g --defined-only "$lib" 2>/dev/null | module | awk '{ print $NF, $1 }' | sort -u > "$tmp/defs"
nm -A -u "$lib" 2>/dev/null | module | awk '{ print $NF, $1 }' | sort -u > "$tmp/uses"
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3 }' | sort -u > "$tmp/edges"

[ "$verbose" = 1 ] && awk '{ print $1, "->", $2 }' "$tmp/edges"
if ! tsort "$tmp/edges" > /dev/null 2> "$tmp/loops"; then
  echo "FAIL module-graph: the library's modules call each other in a circle:" >&2
  cat "$tmp/loops" >&2
  exit 1
fi
echo "module-graph: $(awk '{ print $1; print $2 }' "$tmp/edges" | sort -u | wc -l) modules, $(wc -l < "$tmp/edges") edges, no circle"
