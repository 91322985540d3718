"""Small helpers shared by the checks."""
import json
import os
import re
import signal
import time
from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parent.parent
# The spec's JSON Schemas are not shipped with the suite: OCI_SPEC_DIR names a
# checkout of github.com/opencontainers/runtime-spec (its schema/ directory is
# used); without it the schema checks skip, saying so.
SPEC_DIR = os.environ.get("OCI_SPEC_DIR") or None
SCHEMA_DIR = Path(SPEC_DIR) / "schema" if SPEC_DIR else None

CAP_NAMES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
    "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
    "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]


def caps_from_hex(h):
    v = int(h, 16)
    return sorted(CAP_NAMES[i] for i in range(len(CAP_NAMES)) if v & (1 << i))


def host_bounding_caps():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return set(caps_from_hex(line.split()[1]))
    return set()


def ns_of(pid, kind):
    try:
        return os.readlink("/proc/%s/ns/%s" % (pid, kind))
    except OSError:
        return None


def proc_exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def proc_cmdline(pid):
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
    except OSError:
        return None


def is_probe_running(pid):
    """Has pid exec'ed the user program (/probe)?"""
    cl = proc_cmdline(pid)
    return bool(cl) and cl[0] in (b"/probe", b"probe")


def load_schema(name):
    import pytest
    if SCHEMA_DIR is None:
        pytest.skip("no JSON Schema to check against: set OCI_SPEC_DIR to a runtime-spec checkout "
                    "(git clone -b v1.3.0 https://github.com/opencontainers/runtime-spec)")
    if not (SCHEMA_DIR / name).is_file():
        pytest.skip("OCI_SPEC_DIR=%s has no schema/%s" % (SPEC_DIR, name))
    with open(SCHEMA_DIR / name) as f:
        return json.load(f)


def validate_schema(instance, schema_name):
    """Validate with jsonschema (python3-jsonschema); returns list of errors."""
    try:
        import jsonschema
    except ImportError:
        import pytest
        pytest.skip("python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    schema = load_schema(schema_name)
    resolver = jsonschema.RefResolver(base_uri=(SCHEMA_DIR.as_uri() + "/"), referrer=schema)
    v = jsonschema.Draft4Validator(schema, resolver=resolver)
    return [e.message for e in v.iter_errors(instance)]


def wait_for(pred, timeout=10, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()


def container_mount_changes(before, c, rt):
    """Host mountinfo lines added or removed since `before` (a mountinfo text)
    that can belong to container c: their mount point, root or source names
    its bundle, the runtime's state root or its id.  Other tools may mount
    and unmount on a busy host meanwhile; those changes are not c's."""
    marks = [str(c.bundle), str(rt.root), c.id]
    after = Path("/proc/self/mountinfo").read_text()
    b, a = set(before.splitlines()), set(after.splitlines())
    return sorted(line for line in b ^ a if any(m in line for m in marks))


def mountinfo(pid="self"):
    res = []
    for line in Path("/proc/%s/mountinfo" % pid).read_text().splitlines():
        f = line.split()
        sep = f.index("-")
        res.append({"id": int(f[0]), "parent": int(f[1]), "root": f[3], "mountpoint": f[4],
                    "options": f[5], "optional": f[6:sep], "fstype": f[sep + 1],
                    "source": f[sep + 2], "superopts": f[sep + 3] if len(f) > sep + 3 else ""})
    return res


def find_mount(mounts, mountpoint):
    """The top-most mount at mountpoint in probe/mountinfo output."""
    ms = [m for m in mounts if m["mountpoint"] == mountpoint]
    return ms[-1] if ms else None


def mount_opts(m):
    return set(m["options"].split(",")) | set(m.get("superopts", "").split(","))


def semver_tuple(v):
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?", v)
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4) is None, m.group(4) or "")


SIGNALS = {s.name: int(s) for s in signal.Signals}


def pid_alive_host(pid):
    from runtime import pid_alive
    return pid_alive(pid)


def processes_in(container):
    """Host pids of live processes whose root or cwd is inside the bundle, or
    which are the container's recorded pid."""
    res = []
    b = os.path.realpath(container.bundle)
    for p in Path("/proc").iterdir():
        if not p.name.isdigit() or int(p.name) == os.getpid():
            continue
        try:
            root = os.readlink(p / "root")
            cwd = os.readlink(p / "cwd")
        except OSError:
            continue
        if (root.startswith(b) or cwd.startswith(b) or int(p.name) == container.pid) and pid_alive_host(int(p.name)):
            res.append(int(p.name))
    return res


# --- host mounts without mount(8)/unshare(1) (no libmount utab in /run) -----
import ctypes  # noqa: E402
import subprocess  # noqa: E402

_libc = ctypes.CDLL(None, use_errno=True)
MS_BIND, MS_REC, MS_SHARED, MNT_DETACH = 0x1000, 0x4000, 1 << 20, 2


def sys_mount(source, target, fstype=None, flags=0, data=None):
    r = _libc.mount(source.encode() if source else None, str(target).encode(),
                    fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                    data.encode() if data else None)
    if r != 0:
        e = ctypes.get_errno()
        raise OSError(e, "mount %s on %s: %s" % (source, target, os.strerror(e)))


def sys_umount(target):
    _libc.umount2(str(target).encode(), MNT_DETACH)


class NsHolder:
    """A `sleep` in new namespaces of the given kinds (e.g. ["--net", "--uts"]);
    its namespaces can be bind-mounted to files with bind(). stop() ends it
    (by pid) and unmounts the binds."""

    def __init__(self, *unshare_flags):
        self.p = subprocess.Popen(["unshare", *unshare_flags, "sleep", "600"])
        self.binds = []
        wait_for(lambda: os.readlink("/proc/%d/ns/net" % self.p.pid) != os.readlink("/proc/self/ns/net")
                 or "--net" not in unshare_flags, 5)
        time.sleep(0.05)

    def path(self, kind):
        return "/proc/%d/ns/%s" % (self.p.pid, kind)

    def bind(self, kind, file):
        Path(file).touch()
        sys_mount(self.path(kind), file, None, MS_BIND)
        self.binds.append(file)
        return file

    def stop(self):
        for f in self.binds:
            sys_umount(f)
        self.p.kill()
        self.p.wait()
