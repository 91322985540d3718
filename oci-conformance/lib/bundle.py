"""Build the test rootfs (busybox-static + the static probe) and bundles.

Reusable by the project's own tests:

    from bundle import build_probe, build_rootfs, make_bundle, default_config

    cfg = default_config(["/probe", "all"])
    b = make_bundle(tmpdir / "b1", cfg)        # tmpdir/b1/{config.json,rootfs/}

The rootfs template is built once per cache directory (rebuilt when probe.c or
/bin/busybox changes) and copied for every bundle, so a test may freely write
into its own rootfs.
"""

import copy
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parent.parent
PROBE_SRC = SUITE_DIR / "probe" / "probe.c"
BUSYBOX = Path(os.environ.get("OCI_CONFORMANCE_BUSYBOX", "/bin/busybox"))
SPEC_VERSION = "1.3.0"
# ociVersion written into default configs.  The suite sets it to the runtime's
# `features` ociVersionMax when that is older than SPEC_VERSION (runtimes may
# refuse configs newer than they know), or OCI_CONFORMANCE_OCI_VERSION.
CONFIG_VERSION = os.environ.get("OCI_CONFORMANCE_OCI_VERSION", SPEC_VERSION)

DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The capability set runc/crun/podman give a default container.
DEFAULT_CAPS = [
    "CAP_AUDIT_WRITE",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_MKNOD",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_RAW",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_CHROOT",
]

DEFAULT_MASKED = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
]

DEFAULT_READONLY = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
]


def cache_dir():
    d = Path(os.environ.get("OCI_CONFORMANCE_CACHE", SUITE_DIR / ".build"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _digest(*paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def build_probe(cache=None):
    """Compile probe/probe.c statically (once); return the binary's path."""
    cache = Path(cache) if cache else cache_dir()
    out = cache / ("probe-" + _digest(PROBE_SRC))
    if not out.exists():
        tmp = out.with_suffix(".tmp%d" % os.getpid())
        cc = os.environ.get("CC", "gcc")
        subprocess.run(
            [cc, "-static", "-O2", "-Wall", "-o", str(tmp), str(PROBE_SRC)],
            check=True,
        )
        os.rename(tmp, out)
    return out


def build_rootfs(cache=None):
    """Build (once) the template rootfs: busybox + applet symlinks + /probe.

    Returns the template directory; do not modify it, copy it (make_bundle
    does).
    """
    cache = Path(cache) if cache else cache_dir()
    probe = build_probe(cache)
    tag = _digest(PROBE_SRC, BUSYBOX)
    root = cache / ("rootfs-" + tag)
    if root.exists():
        return root
    tmp = cache / ("rootfs-%s.tmp%d" % (tag, os.getpid()))
    shutil.rmtree(tmp, ignore_errors=True)
    for d in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev",
              "tmp", "root", "var", "run", "home", "mnt"]:
        (tmp / d).mkdir(parents=True, exist_ok=True)
    os.chmod(tmp / "tmp", 0o1777)
    shutil.copy2(BUSYBOX, tmp / "bin" / "busybox")
    os.chmod(tmp / "bin" / "busybox", 0o755)
    applets = subprocess.run([str(BUSYBOX), "--list-full"], check=True,
                             capture_output=True, text=True).stdout.split()
    for a in applets:
        dst = tmp / a
        if dst.exists() or dst.is_symlink():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.symlink("/bin/busybox", dst)
    shutil.copy2(probe, tmp / "probe")
    os.chmod(tmp / "probe", 0o755)
    (tmp / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (tmp / "etc" / "group").write_text("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")
    (tmp / "etc" / "hostname").write_text("rootfs\n")
    try:
        os.rename(tmp, root)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # lost a race: someone built it
    return root


def default_config(args=None, cwd="/", hostname="oci-conformance", terminal=False):
    """A config.json close to `runc spec`'s default, for spec 1.3.0.

    Leaves out linux.cgroupsPath: the Container driver sets a unique one.
    """
    cfg = {
        "ociVersion": CONFIG_VERSION,
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": list(args) if args else ["/probe", "all"],
            "env": [DEFAULT_PATH_ENV, "TERM=xterm"],
            "cwd": cwd,
            "capabilities": {
                "bounding": list(DEFAULT_CAPS),
                "effective": list(DEFAULT_CAPS),
                "permitted": list(DEFAULT_CAPS),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": hostname,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                         "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [
                {"type": "pid"},
                {"type": "network"},
                {"type": "ipc"},
                {"type": "uts"},
                {"type": "mount"},
            ],
            "maskedPaths": list(DEFAULT_MASKED),
            "readonlyPaths": list(DEFAULT_READONLY),
        },
    }
    return cfg


def make_bundle(dest, config=None, rootfs_template=None, copy_rootfs=True):
    """Create bundle directory `dest` with config.json and rootfs/.

    config: dict (default: default_config()).  The rootfs is a copy of the
    template (cp -a), so tests may change it.  Returns Path(dest).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    tmpl = Path(rootfs_template) if rootfs_template else build_rootfs()
    rootfs = dest / "rootfs"
    if not rootfs.exists():
        if copy_rootfs:
            subprocess.run(["cp", "-a", str(tmpl), str(rootfs)], check=True)
        else:
            rootfs.symlink_to(tmpl)
    write_config(dest, config if config is not None else default_config())
    return dest


def write_config(bundle, config):
    with open(Path(bundle) / "config.json", "w") as f:
        json.dump(config, f, indent=2)


def read_config(bundle):
    with open(Path(bundle) / "config.json") as f:
        return json.load(f)


def deepcopy(cfg):
    return copy.deepcopy(cfg)
