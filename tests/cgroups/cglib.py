"""Shared pieces of the cgroup integration tests: the layout of this
machine's cgroups (v1/hybrid or pure v2, from /proc/self/mountinfo), our
per-run cgroup parent /ocirun-cgt-<pid>, the container class whose cgroup
lives below it, and small helpers."""
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))

import helpers  # noqa: E402
from helpers import rtlib  # noqa: E402

CGROUP_ROOT = Path("/sys/fs/cgroup")
PARENT = "/ocirun-cgt-%d" % os.getpid()

V1_CONTROLLERS = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
                  "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"}


class Layout:
    """The cgroup layout of this machine, read from /proc/self/mountinfo.

    kind: "v2" (a cgroup2 on /sys/fs/cgroup), "hybrid" (v1 controllers plus a
    cgroup2, usually /sys/fs/cgroup/unified) or "v1".
    """

    def __init__(self):
        self.v1 = {}        # controller -> mount point
        self.unified = None  # cgroup2 mount point
        self.mounts = []     # every cgroup/cgroup2 mount point below /sys/fs/cgroup
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            pre, post = line.split(" - ", 1)
            fstype, _src, sopts = (post.split() + ["", ""])[:3]
            mp = Path(pre.split()[4])
            if fstype not in ("cgroup", "cgroup2") or not str(mp).startswith(str(CGROUP_ROOT)):
                continue
            self.mounts.append(mp)
            if fstype == "cgroup2":
                self.unified = mp
            else:
                for o in sopts.split(","):
                    if o in V1_CONTROLLERS:
                        self.v1[o] = mp
        self.mounts = sorted(set(self.mounts))
        if self.unified == CGROUP_ROOT:
            self.kind = "v2"
        elif self.unified is not None:
            self.kind = "hybrid"
        else:
            self.kind = "v1"

    @property
    def is_v2(self):
        return self.kind == "v2"

    def unified_controllers(self):
        if self.unified is None:
            return set()
        try:
            return set((self.unified / "cgroup.controllers").read_text().split())
        except OSError:
            return set()

    def unified_subtree_control(self):
        if self.unified is None:
            return set()
        try:
            return set((self.unified / "cgroup.subtree_control").read_text().split())
        except OSError:
            return set()

    def has(self, ctrl):
        if self.is_v2:
            return ctrl in self.unified_controllers()
        return ctrl in self.v1

    def dir(self, ctrl, rel):
        """The directory of cgroup `rel` holding controller `ctrl`'s files
        (None when the controller is not available)."""
        r = rel.lstrip("/")
        if self.is_v2:
            return self.unified / r if self.has(ctrl) else None
        if ctrl in self.v1:
            return self.v1[ctrl] / r
        if ctrl == "unified" and self.unified is not None:
            return self.unified / r
        return None

    def hugetlb_dir(self, rel):
        """Where hugetlb limits go: v1 hugetlb, else a unified hierarchy
        that has the controller (hybrid), else None."""
        if not self.is_v2 and "hugetlb" in self.v1:
            return self.v1["hugetlb"] / rel.lstrip("/"), False
        if self.unified is not None and "hugetlb" in self.unified_controllers():
            return self.unified / rel.lstrip("/"), True
        return None, None

    def existing_dirs(self, rel):
        r = rel.lstrip("/")
        return [m / r for m in self.mounts if (m / r).is_dir()]


LAYOUT = Layout()


def pids_in(d):
    res = []
    for p in [d] + [x for x in d.rglob("*") if x.is_dir()]:
        try:
            res += [int(x) for x in (p / "cgroup.procs").read_text().split()]
        except OSError:
            pass
    return res


def remove_tree(rel):
    """rmdir cgroup `rel` (only below our PARENT) in every hierarchy, deepest
    first, SIGKILLing processes still inside *that* cgroup (ours)."""
    if not rel or not (rel == PARENT or rel.startswith(PARENT + "/")):
        return
    for d in LAYOUT.existing_dirs(rel):
        subdirs = sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for sd in subdirs + [d]:
            for _ in range(200):
                try:
                    os.rmdir(sd)
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY:
                        break
                    frozen = sd / "freezer.state"
                    for f, v in ((frozen, "THAWED"), (sd / "cgroup.freeze", "0")):
                        try:
                            f.write_text(v)
                        except OSError:
                            pass
                    for pid in pids_in(sd):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                    rtlib.reap_orphans()
                    time.sleep(0.02)


def leftover_cgroups():
    """Every directory below PARENT, in every hierarchy."""
    res = []
    for d in LAYOUT.existing_dirs(PARENT):
        res += [str(p) for p in d.rglob("*") if p.is_dir()]
    return sorted(res)


class CgContainer(helpers.OcirunContainer):
    """An OcirunContainer whose cgroup is PARENT/<id>."""

    def __init__(self, rt, work, config=None, cid=None, **kw):
        cid = cid or helpers.new_id("cgt")
        config = helpers.deepcopy(config if config is not None else helpers.default_config())
        config["linux"].setdefault("cgroupsPath", "%s/%s" % (PARENT, cid))
        super().__init__(rt, work, config=config, cid=cid, **kw)

    def cgroup_dirs(self):
        return LAYOUT.existing_dirs(self.cgroups_path)

    def cgdir(self, ctrl):
        return LAYOUT.dir(ctrl, self.cgroups_path)

    def read(self, ctrl, name):
        """The content of controller file `name` (stripped)."""
        d = self.cgdir(ctrl)
        assert d is not None, "controller %s not available (%s)" % (ctrl, LAYOUT.kind)
        return (d / name).read_text().strip()

    def procs(self, ctrl="pids"):
        d = self.cgdir(ctrl) or self.cgdir("memory")
        return pids_in(d)

    def destroy(self):
        if not self.destroyed:
            delete_reaping(self.rt, self.id)
        super().destroy()
        remove_tree(self.cgroups_path)


def delete_reaping(rt, cid, force=True, timeout=60):
    """`delete [--force] ID` while reaping our orphans.  We are the child
    subreaper, so processes exec'd into the container are our children: a
    pid-namespace init killed by delete --force stays in
    zap_pid_ns_processes() until their zombies are reaped, as a
    containerd shim would do at once."""
    p = subprocess.Popen(rt.argv(*(["delete"] + (["--force"] if force else []) + [cid])),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while p.poll() is None and time.monotonic() < deadline:
        rtlib.reap_orphans()
        time.sleep(0.01)
    if p.poll() is None:
        p.kill()
    out, err = p.communicate()
    rc = p.returncode
    if p.pid in rtlib._reaped:  # reap_orphans() got it first: Popen saw ECHILD
        rc = os.waitstatus_to_exitcode(rtlib._reaped.pop(p.pid))
    return rtlib.Result(p.args, rc, out.decode(errors="replace"), err.decode(errors="replace"))


def make_parent(rel, init_cpuset=True):
    """mkdir cgroup `rel` (ours, below PARENT) in every hierarchy; a v1
    cpuset directory gets cpus/mems from its parent (unless init_cpuset is
    false: for the last component, as a concurrent runtime call would
    leave it between its mkdir and its copy)."""
    parts = rel.strip("/").split("/")
    for m in LAYOUT.mounts:
        for i in range(1, len(parts) + 1):
            d = m.joinpath(*parts[:i])
            if d.is_dir():
                continue
            d.mkdir()
            if m == LAYOUT.unified or (not init_cpuset and i == len(parts)):
                continue  # v2: an empty cpuset.cpus means "the parent's"
            for f in ("cpuset.cpus", "cpuset.mems"):
                if (d / f).exists() and not (d / f).read_text().strip():
                    (d / f).write_text((d.parent / f).read_text())


def cfg_with(args, resources=None, pidns=True):
    """A default config running `args` with linux.resources = default device
    rule + `resources`."""
    cfg = helpers.default_config(args)
    res = cfg["linux"].setdefault("resources", {})
    res.update(resources or {})
    if not pidns:
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    return cfg


def nothing_left(rt, c):
    """What a failed create left: state dir, cgroup dirs, processes."""
    out = []
    if (Path(rt.root) / c.id).exists():
        out.append("state dir %s" % (Path(rt.root) / c.id))
    cg = LAYOUT.existing_dirs(c.cgroups_path)
    if cg:
        out.append("cgroup dirs %s" % [str(d) for d in cg])
    procs = helpers.procs_rooted_in(c.bundle)
    if procs:
        out.append("processes %s" % [helpers.proc_desc(p) for p in procs])
    return out


def rmtree(p):
    shutil.rmtree(p, ignore_errors=True)
