#!/bin/sh
# Build the libFuzzer harnesses (tests/fuzz/fuzz-*.c) with clang against the
# library sources, independently of ./configure: every source of libocispec/
# and src/libocirun/ is compiled with -fsanitize=fuzzer-no-link,address,undefined
# into build/libfuzz.a, then each harness is linked with -fsanitize=fuzzer.
#
#   tests/fuzz/build.sh            -> tests/fuzz/build/fuzz-<target>
#   CC=clang-14 tests/fuzz/build.sh
#
# A harness may #include a library .c file to reach its static functions; the
# archive member of that file is then not pulled in (the harness defines all
# its symbols), so there is no duplicate definition.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$here/build"
CC=${CC:-clang}
mkdir -p "$out/obj"

command -v "$CC" >/dev/null 2>&1 || { echo "build.sh: $CC not found (apt-get install clang)" >&2; exit 1; }

# A config.h of our own: the fuzz build does not depend on ./configure.
version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
{
  echo "#define _GNU_SOURCE 1"
  echo "#define PACKAGE_VERSION \"${version:-0.0.0}\""
  echo "#define VERSION \"${version:-0.0.0}\""
  echo "#define PACKAGE \"ocirun\""
  echo "#define PACKAGE_NAME \"ocirun\""
  echo "#define PACKAGE_STRING \"ocirun ${version:-0.0.0}\""
  if pkg-config --exists libseccomp 2>/dev/null; then echo "#define HAVE_SECCOMP 1"; fi
} > "$out/config.h.new"
cmp -s "$out/config.h.new" "$out/config.h" 2>/dev/null || mv "$out/config.h.new" "$out/config.h"
rm -f "$out/config.h.new"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-g -O1 $SAN -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Werror \
  -I$out -I$top/libocispec -iquote $top/src/libocirun $(pkg-config --cflags yajl libseccomp 2>/dev/null || true)"
LIBS="$(pkg-config --libs yajl 2>/dev/null || echo -lyajl) -ldl"

# objects (rebuilt only when the source or a header is newer)
objs=""
newest_h=$(ls -t "$top"/libocispec/*.h "$top"/src/libocirun/*.h "$out/config.h" | head -1)
for src in "$top"/libocispec/*.c "$top"/src/libocirun/*.c; do
  o="$out/obj/$(basename "$(dirname "$src")")-$(basename "$src" .c).o"
  if [ ! -e "$o" ] || [ "$src" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
    $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$src" -o "$o"
  fi
  objs="$objs $o"
done
rm -f "$out/libfuzz.a"
ar rcs "$out/libfuzz.a" $objs

for h in "$here"/fuzz-*.c; do
  t=$(basename "$h" .c)
  $CC $CFLAGS -fsanitize=fuzzer "$h" "$out/libfuzz.a" $LIBS -o "$out/$t"
done
echo "build.sh: built $(ls "$here"/fuzz-*.c | wc -l) harnesses in $out"
