# The Debian 12 packages that ocirun's build, tests and packaging use: the one
# list, sourced (bash) by .ci/run, tests/run.sh and tests/demo.sh.
#
#   . tests/deps.sh
#   ocirun_deps_install build test      install what is missing of these groups
#   ocirun_deps_missing build test      print what is missing (nothing: all there)
#
# Groups: build (compile ocirun), test (the integration and conformance
# suites), clients (tests/clients: podman, containerd, Docker, CRI, criu;
# each module skips, saying why, when its tools are absent), packaging
# (debian/: dpkg-buildpackage, lintian, man), lsm (the qemu lane's AppArmor
# and SELinux guests, which share this host's root), bench (bench/plot.py: gnuplot;
# not installed by CI).

OCIRUN_DEPS_build=(build-essential autoconf automake libtool pkg-config git
  libyajl-dev libseccomp-dev libcap-dev libselinux1-dev libsystemd-dev
  clang-format)
OCIRUN_DEPS_test=(busybox-static python3 python3-pytest python3-jsonschema
  runc crun uidmap iproute2 util-linux procps kmod ca-certificates)
OCIRUN_DEPS_clients=(podman conmon containerd criu python3-grpcio clang
  python3-protobuf protobuf-compiler containernetworking-plugins
  docker.io docker-compose tmux)
OCIRUN_DEPS_packaging=(debhelper lintian dpkg-dev fakeroot man-db)
OCIRUN_DEPS_lsm=(apparmor selinux-policy-default)
OCIRUN_DEPS_bench=(gnuplot-nox hyperfine)

ocirun_deps_list() {
  local g
  for g in "$@"; do
    local -n _list="OCIRUN_DEPS_$g"
    printf '%s\n' "${_list[@]}"
  done
}

ocirun_deps_missing() {
  local installed p
  # one dpkg-query for all: "ii" marks an installed package, "iW"/"it"/"iF"
  # one whose files are there while triggers or its configuration are
  # pending (another apt-get at work); an unknown package prints nothing
  installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $(ocirun_deps_list "$@") 2>/dev/null |
    awk '$1 ~ /^i[iWtF]/ {printf "%s ", $2}')"
  for p in $(ocirun_deps_list "$@"); do
    [[ "$installed" == *" $p "* ]] || echo "$p"
  done
}

# Installs the missing packages of the groups with apt-get (root only).
# Returns 1, naming them, when some are missing and cannot be installed here.
ocirun_deps_install() {
  local missing
  command -v dpkg-query >/dev/null || { echo "deps.sh: not a Debian system: install the equivalents of: $(ocirun_deps_list "$@" | tr '\n' ' ')" >&2; return 1; }
  missing=$(ocirun_deps_missing "$@" | tr '\n' ' ')
  [ -n "${missing// /}" ] || return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || [ "${SKIP_APT:-0}" = 1 ]; then
    echo "deps.sh: missing Debian packages: $missing" >&2
    echo "deps.sh: install them as root: apt-get install --no-install-recommends $missing" >&2
    return 1
  fi
  echo "deps.sh: installing $missing"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}
