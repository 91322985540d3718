#!/bin/bash
# Fresh Debian 12, as root (or with sudo):  ./tests/demo.sh
# Installs the build dependencies (tests/deps.sh, group build, + busybox-static
# and python3; SKIP_APT=1: none), builds ocirun, prepares a busybox bundle and
# runs one real container that prints what it sees.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (or: sudo $0)" >&2; exit 1; }

# shellcheck source=tests/deps.sh
. "$SRC/tests/deps.sh"
OCIRUN_DEPS_demo=(busybox-static python3)
ocirun_deps_install build demo >/dev/null || exit 1

[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)" >/dev/null
OCIRUN=$SRC/ocirun

DEMO=$(mktemp -d /tmp/ocirun-demo.XXXXXX)
trap 'rm -rf "$DEMO"' EXIT
mkdir -p "$DEMO/bundle/rootfs"
cd "$DEMO/bundle"
# a busybox rootfs: the static binary and its applet links
mkdir -p rootfs/bin rootfs/proc rootfs/sys rootfs/dev rootfs/tmp rootfs/etc
cp /bin/busybox rootfs/bin/busybox
for a in $(rootfs/bin/busybox --list); do [ -e "rootfs/bin/$a" ] || ln -s busybox "rootfs/bin/$a"; done
echo "root:x:0:0:root:/root:/bin/sh" > rootfs/etc/passwd

"$OCIRUN" spec                      # writes config.json (runc's default)
# not interactive, a shell command instead of `sh`, our own hostname
python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c",
    "echo \"hostname: $(hostname)\"; echo \"my pid: $$\"; echo 'processes:'; ps -o pid,user,args; "
    "echo 'mounts:'; cat /proc/self/mounts; echo \"uid: $(id)\""]
c["hostname"] = "ocirun-demo"
if __import__("os").environ.get("DEMO_NO_DEVICE_RULES"):
    c["linux"].pop("resources", None)
json.dump(c, open("config.json", "w"), indent=2)
PY
echo "--- ocirun run demo (bundle $DEMO/bundle)"
rc=0
"$OCIRUN" --root "$DEMO/state" run demo-$$ || rc=$?
echo "--- exit status $rc"
exit $rc
