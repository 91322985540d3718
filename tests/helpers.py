"""Helpers for ocirun's own integration tests.

Builds on oci-conformance/lib (bundle.py, runtime.py): the rootfs template,
default config and runtime driver come from there.  What is specific to
these tests lives here:

  * OcirunContainer: a conformance Container whose cgroup is
    /ocirun-test-<pid>/<id> and whose destroy() *records* what `delete --force`
    left behind (state dir, cgroup dirs, live pid, host mounts) before
    cleaning it up by hand, so leaks are test failures, not silent.
  * snapshot()/leaks(): host-wide before/after comparison used by the
    autouse fixture in conftest.py and by the bad-input tests.
"""
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
sys.path.insert(0, str(REPO / "oci-conformance" / "lib"))

import bundle as bundlelib  # noqa: E402
import runtime as rtlib  # noqa: E402

# One parent per test session: two sessions on one machine (a developer's and
# CI's, or two suites) must not see, or clean up, each other's containers.
CGROUP_PREFIX = "/ocirun-test-%d" % os.getpid()
CGROUP_ROOT = Path("/sys/fs/cgroup")
default_config = bundlelib.default_config
deepcopy = bundlelib.deepcopy


def ocirun_path():
    return os.environ.get("OCIRUN") or str(REPO / "ocirun")


def new_id(prefix="ot"):
    return rtlib.new_id(prefix)


# ---------------------------------------------------------------- cgroups
def cgroup_hierarchies():
    """Every mounted cgroup hierarchy directory (v1 controllers, unified)."""
    res = []
    try:
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            pre, post = line.split(" - ", 1)
            fstype = post.split()[0]
            if fstype in ("cgroup", "cgroup2"):
                mp = pre.split()[4]
                if mp.startswith(str(CGROUP_ROOT)):
                    res.append(Path(mp))
    except OSError:
        pass
    return sorted(set(res))


def cgroup_dirs_for(rel):
    """Existing dirs for cgroup path `rel` (below this session's /ocirun-test-<pid> only)."""
    if not rel or not rel.startswith(CGROUP_PREFIX + "/"):
        return []
    r = rel.lstrip("/")
    return [h / r for h in cgroup_hierarchies() if (h / r).is_dir()]


# ids of the containers THIS process made: other test runs (other
# worktrees, CI) may use /ocirun-test at the same time, and we must never
# judge or touch their cgroups
OWN_IDS = set()


def all_test_cgroups():
    """Cgroup dirs below this session's /ocirun-test-<pid>/<id> for our own ids, every hierarchy."""
    res = set()
    for h in cgroup_hierarchies():
        d = h / CGROUP_PREFIX.lstrip("/")
        if not d.is_dir():
            continue
        for cid in list(OWN_IDS):
            top = d / cid
            if top.is_dir():
                res.add(str(top))
                for p in top.rglob("*"):
                    if p.is_dir():
                        res.add(str(p))
    return res


def remove_cgroup(rel):
    """rmdir cgroup `rel` (only below this session's prefix), deepest first,
    killing processes still in *that* cgroup (they can only be ours)."""
    rtlib.remove_cgroup_dirs(cgroup_dirs_for(rel), tries=100, pause=0.02, reap=rtlib.reap_orphans)


def remove_cgroup_prefix_if_empty():
    for h in cgroup_hierarchies():
        d = h / CGROUP_PREFIX.lstrip("/")
        if d.is_dir():
            try:
                os.rmdir(d)
            except OSError:
                pass


# ---------------------------------------------------------------- host state
def mounts_mentioning(path):
    """Lines of our /proc/self/mountinfo that mention `path`."""
    path = str(path)
    try:
        return [ln for ln in Path("/proc/self/mountinfo").read_text().splitlines() if path in ln]
    except OSError:
        return []


def _stat_ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return rest[0], int(rest[1])
    except (OSError, IndexError, ValueError):
        return None, None


def descendants(root_pid=None):
    """Live (non-zombie) descendants of root_pid (default: us)."""
    root_pid = root_pid or os.getpid()
    children = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        st, ppid = _stat_ppid(int(e))
        if st is None or st in ("Z", "X"):
            continue
        children.setdefault(ppid, []).append(int(e))
    res, todo = set(), [root_pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            if c not in res:
                res.add(c)
                todo.append(c)
    return res


def procs_rooted_in(path):
    """Live processes whose root or cwd is below `path` (container processes
    of bundles there, wherever they were re-parented)."""
    path = str(path)
    res = set()
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        for link in ("root", "cwd"):
            try:
                t = os.readlink("/proc/%s/%s" % (e, link))
            except OSError:
                continue
            if t.startswith(path):
                st, _ = _stat_ppid(int(e))
                if st not in (None, "Z", "X"):
                    res.add(int(e))
    return res


def proc_desc(pid):
    try:
        cl = Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        cl = "?"
    return "%d(%s)" % (pid, cl.strip()[:80])


class Snapshot:
    """What exists on the host that a test could leak."""

    def __init__(self, state_root, workdir):
        self.state_root = Path(state_root)
        self.workdir = Path(workdir)
        self.state = self._state_entries()
        self.cgroups = all_test_cgroups()
        self.mounts = set(mounts_mentioning(self.workdir))
        self.procs = descendants() | procs_rooted_in(self.workdir)

    def _state_entries(self):
        try:
            return set(os.listdir(self.state_root))
        except FileNotFoundError:
            return set()

    def leaks(self, ignore_pids=()):
        """Describe what appeared since the snapshot (list of strings)."""
        rtlib.reap_orphans()
        out = []
        st = self._state_entries() - self.state
        if st:
            out.append("state dirs left in --root: %s" % sorted(st))
        cg = all_test_cgroups() - self.cgroups
        if cg:
            out.append("cgroups left: %s" % sorted(cg))
        mn = set(mounts_mentioning(self.workdir)) - self.mounts
        if mn:
            out.append("host mounts left: %s" % sorted(mn))
        pr = (descendants() | procs_rooted_in(self.workdir)) - self.procs - set(ignore_pids)
        # our own short-lived helpers (e.g. a dying subprocess) are not leaks
        pr = {p for p in pr if rtlib.pid_alive(p)}
        if pr:
            out.append("processes left: %s" % [proc_desc(p) for p in sorted(pr)])
        return out

    def cleanup(self, runtime=None):
        """Undo leaks found (only things below our workdir / test cgroups /
        our own descendants)."""
        if runtime is not None:
            for cid in self._state_entries() - self.state:
                try:
                    runtime.delete(cid, force=True, timeout=30)
                except Exception:  # noqa: BLE001
                    pass
        for ln in sorted(set(mounts_mentioning(self.workdir)) - self.mounts, reverse=True):
            mp = ln.split()[4]
            if mp.startswith(str(self.workdir)):
                subprocess.run(["umount", "-l", mp], capture_output=True)
        for p in (descendants() | procs_rooted_in(self.workdir)) - self.procs:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for d in sorted(all_test_cgroups() - self.cgroups, key=len, reverse=True):
            rel = "/" + str(Path(d).relative_to(next(h for h in cgroup_hierarchies() if d.startswith(str(h) + "/"))))
            remove_cgroup(rel)
        rtlib.reap_orphans()


# ---------------------------------------------------------------- container
class OcirunContainer(rtlib.Container):
    """rtlib.Container with cgroupsPath /ocirun-test-<pid>/<id> and leak recording."""

    def __init__(self, runtime, workdir, config=None, cid=None, cgroups=True,
                 rootfs_template=None):
        cid = cid or new_id()
        OWN_IDS.add(cid)
        config = deepcopy(config if config is not None else default_config())
        if cgroups and "linux" in config and not config["linux"].get("cgroupsPath"):
            config["linux"]["cgroupsPath"] = "%s/%s" % (CGROUP_PREFIX, cid)
        super().__init__(runtime, workdir, config=config, cid=cid, cgroups=cgroups,
                         rootfs_template=rootfs_template)
        self.leaks = []
        self.destroyed = False

    def cgroup_dirs(self):
        return cgroup_dirs_for(self.cgroups_path)

    def state_dir(self):
        return Path(self.rt.root) / self.id

    def run_fg(self, *extra, timeout=60, **kw):
        """`ocirun run --bundle B [extra] ID` in the foreground; Result."""
        r = self.rt.run("run", "--bundle", self.bundle, *extra, self.id, timeout=timeout, **kw)
        return r

    def probe(self):
        """The first probe JSON object printed so far (or AssertionError)."""
        outs = self.probe_outputs()
        if not outs:
            raise AssertionError("probe printed nothing: stdout=%r stderr=%r" % (
                self.stdout_text(), self.stderr_text()))
        return outs[0]

    def left_behind(self):
        """What of this container still exists (list of strings)."""
        rtlib.reap_orphans()
        out = []
        if self.state_dir().exists():
            out.append("state dir %s" % self.state_dir())
        cg = self.cgroup_dirs()
        if cg:
            out.append("cgroup dirs %s" % [str(d) for d in cg])
        if self.pid and rtlib.pid_alive(self.pid):
            out.append("container process %s" % proc_desc(self.pid))
        mn = mounts_mentioning(self.bundle)
        if mn:
            out.append("host mounts %s" % mn)
        return out

    def destroy(self):
        if self.destroyed:
            return
        self.destroyed = True
        r = None
        try:
            r = self.rt.delete(self.id, force=True, timeout=30)
        except Exception as e:  # noqa: BLE001
            self.leaks.append("delete --force raised %r" % e)
        # give a SIGKILLed init a moment to be reaped before judging
        if self.pid:
            for _ in range(250):
                rtlib.reap_orphans()
                if not rtlib.pid_alive(self.pid):
                    break
                time.sleep(0.02)
        left = self.left_behind()
        if left:
            said = ""
            if r is not None and getattr(r, "rc", 0) != 0:
                said = " (delete --force exited %s: %s)" % (r.rc, (r.err or "").strip()[-500:])
            self.leaks.append("%s after delete --force: %s%s" % (self.id, "; ".join(left), said))
        # fallback cleanup: only this container's own things
        for ln in mounts_mentioning(self.bundle):
            subprocess.run(["umount", "-l", ln.split()[4]], capture_output=True)
        if self.pid and rtlib.pid_alive(self.pid):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.pid:
            try:
                self.wait(timeout=5)
            except Exception:  # noqa: BLE001
                pass
        remove_cgroup(self.cgroups_path)
        shutil.rmtree(self.state_dir(), ignore_errors=True)
        shutil.rmtree(self.bundle, ignore_errors=True)


# ---------------------------------------------------------------- misc
ERR_RE = re.compile(r"^ocirun: .+$")


def one_line_error(res):
    """Assert res failed with exactly one `ocirun: ...` line on stderr;
    return the message (without the prefix)."""
    assert res.rc != 0, "expected failure, got rc=0: %r" % res
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1, "expected one error line on stderr, got %r" % res.err
    assert ERR_RE.match(lines[0]), "error line does not start with 'ocirun: ': %r" % lines[0]
    return lines[0][len("ocirun: "):]


def wait_for(pred, timeout=20, interval=0.02):
    """Poll pred() until truthy (returns it) or raise TimeoutError.  The
    timeout only bounds a hang; tests never assert on durations."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in %ss" % timeout)
        time.sleep(interval)


def status_of(rt, cid):
    r = rt.state(cid)
    if r.rc != 0:
        return None
    return json.loads(r.out)["status"]


def proc_status(d, field):
    return d["status"][field]


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
    return set(CAP_NAMES[i] for i in range(len(CAP_NAMES)) if v & (1 << i))


def host_caps(kind="CapBnd"):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(kind + ":"):
            return caps_from_hex(line.split()[1])
    return set()


def ns_inode(pid, kind):
    try:
        return os.readlink("/proc/%s/ns/%s" % (pid, kind))
    except OSError:
        return None
