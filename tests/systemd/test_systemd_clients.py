"""podman (--cgroup-manager=systemd) and containerd (SystemdCgroup: `ctr run
--runc-systemd-cgroup`) driving ocirun with the systemd cgroup driver, on a
real systemd (the qemu lane's systemd guests; skipped elsewhere).

podman 4.3 asks for cgroupsPath "machine.slice:libpod:<id>" and passes
--systemd-cgroup; the shim of containerd 1.6 passes --systemd-cgroup with
the cgroupsPath given to `ctr run --cgroup`.  Each test checks the scope
(`systemctl show`), that the container's init is in it, and that removing
the container leaves no unit.
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients"))

import ctrlib  # noqa: E402
import podlib  # noqa: E402
from helpers import rtlib  # noqa: E402
from test_systemd_driver import ctl, needs_systemd, show, unit_known  # noqa: E402

pytestmark = needs_systemd


class SystemdPodman(podlib.Podman):
    """podlib's private podman, with the systemd cgroup manager and no
    --cgroup-parent (podman's default parent: machine.slice)."""

    def argv(self, *args):
        a = super().argv(*args)
        i = a.index("--cgroup-manager")
        a[i + 1] = "systemd"
        return a

    def run_args(self, *args):
        return ["run", "--network", "none"] + list(args)


@pytest.fixture(scope="module")
def spm(ocirun_bin, rootfs_template):
    if podlib.missing_tools():
        pytest.skip(podlib.missing_tools())
    base = Path(tempfile.mkdtemp(prefix="ocirun-sdpodman-"))
    os.chmod(base, 0o755)
    pm = SystemdPodman(ocirun_bin, base)
    tar = subprocess.Popen(["tar", "-C", str(rootfs_template), "-c", "."], stdout=subprocess.PIPE)
    p = subprocess.run(pm.argv("import", "-", podlib.IMAGE), env=pm.env, stdin=tar.stdout,
                       capture_output=True, text=True, timeout=300)
    tar.stdout.close()
    tar.wait()
    assert p.returncode == 0, p.stderr
    yield pm
    pm("rm", "-af", "-t", "0", timeout=120)
    subprocess.run(["rm", "-rf", str(base)])


def test_podman_systemd_scope_lifecycle(spm):
    cid = spm.ok("run", "-d", "--network", "none", "--memory", "64m", "--pids-limit", "40",
                 podlib.IMAGE, "sleep", "1000", timeout=180).strip().splitlines()[-1]
    unit = "libpod-%s.scope" % cid
    p = show(unit, "ActiveState", "Slice", "Delegate", "ControlGroup", "TasksMax", "MemoryMax", "MemoryLimit")
    assert p["ActiveState"] == "active" and p["Slice"] == "machine.slice" and p["Delegate"] == "yes", p
    assert p["TasksMax"] == "40", p
    assert str(64 * 1024 * 1024) in (p["MemoryMax"], p["MemoryLimit"]), p
    pid = spm.inspect(cid)["State"]["Pid"]
    assert (":%s\n" % p["ControlGroup"]) in Path("/proc/%d/cgroup" % pid).read_text()
    # exec'd processes join the scope
    out = spm.ok("exec", cid, "cat", "/proc/self/cgroup")
    assert "libpod-%s.scope" % cid in out or out.strip().endswith("::/"), out
    spm.ok("pause", cid)
    assert spm.state(cid)["Status"] == "paused"
    spm.ok("unpause", cid)
    top = spm.ok("top", cid, "pid")
    assert top.strip(), top
    spm.ok("stop", "-t", "1", cid, timeout=120)
    spm.ok("rm", cid, timeout=120)
    assert not unit_known(unit), ctl("list-units", "--all", unit).stdout
    assert not Path("/run/ocirun", cid).exists()


def test_podman_systemd_run_rm_exit_code(spm):
    p = spm("run", "--rm", "--network", "none", podlib.IMAGE, "sh", "-c", "cat /proc/self/cgroup; exit 5",
            timeout=180)
    assert p.returncode == 5, p
    assert "libpod-" in p.stdout or p.stdout.strip() == "0::/", p.stdout
    r = ctl("list-units", "--all", "--plain", "--no-legend", "libpod-*")
    assert "libpod-" not in r.stdout.replace("libpod-conmon", ""), r.stdout


# ------------------------------------------------------------------ containerd
@pytest.fixture(scope="module")
def sdctr_world(ocirun_bin, rootfs_template):
    import shutil
    if shutil.which("containerd") is None or shutil.which("ctr") is None:
        pytest.skip("containerd/ctr not installed")
    base = Path(tempfile.mkdtemp(prefix="ocirun-sdctrd-"))
    d = ctrlib.Containerd(base / "d", ocirun_bin)
    d.start(timeout=120)
    c = ctrlib.Ctr(d, "sdtest", ocirun_bin, base / "runc-root", base / "fifo")
    (base / "fifo").mkdir()
    rootfs = base / "rootfs"
    ctrlib.copy_rootfs(rootfs_template, rootfs)
    try:
        yield c, rootfs
    finally:
        for cid in list(c.tasks()):
            c("task", "kill", "-s", "KILL", cid)
            time.sleep(0.5)
            c("task", "delete", "-f", cid)
            c("container", "delete", cid)
        d.stop()
        subprocess.run(["rm", "-rf", str(base)])


def test_containerd_systemd_cgroup(sdctr_world):
    c, rootfs = sdctr_world
    cid = "sdctr-" + rtlib.new_id("c")[3:]
    cgpath = "system.slice:ocirunctr:%s" % cid
    unit = "ocirunctr-%s.scope" % cid
    a = ["run", "--rootfs", "--runc-binary", c.ocirun_bin, "--runc-root", c.runc_root,
         "--runc-systemd-cgroup", "--cgroup", cgpath, "--fifo-dir", c.fifo_dir, "-d",
         "--memory-limit", str(64 * 1024 * 1024), rootfs, cid, "/probe", "pause"]
    r = c(*a, timeout=120)
    assert r.rc == 0, r
    try:
        p = show(unit, "ActiveState", "Slice", "Delegate", "ControlGroup", "MemoryMax", "MemoryLimit")
        assert p["ActiveState"] == "active" and p["Slice"] == "system.slice" and p["Delegate"] == "yes", p
        assert str(64 * 1024 * 1024) in (p["MemoryMax"], p["MemoryLimit"]), p
        pid = c.tasks()[cid][0]
        assert (":%s\n" % p["ControlGroup"]) in Path("/proc/%d/cgroup" % pid).read_text()
        assert c("task", "pause", cid).rc == 0
        assert c.status(cid) == "PAUSED"
        assert c("task", "resume", cid).rc == 0
        assert [x for x, _ in c.ps(cid)] == [pid]
    finally:
        c("task", "kill", "-s", "KILL", cid)
        deadline = time.monotonic() + 60
        while c.status(cid) not in ("STOPPED", None) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c("task", "delete", cid, timeout=60).rc == 0
        assert c("container", "delete", cid).rc == 0
    assert not unit_known(unit), ctl("list-units", "--all", unit).stdout


# ------------------------------------------------------------------ rootless podman
@pytest.fixture(scope="module")
def rlpm(ocirun_bin, rootfs_template):
    """Rootless podman (tests/clients/rootlesslib.py's test user) with
    --cgroup-manager=systemd: the user's systemd instance (user@UID.service)
    is started for it, XDG_RUNTIME_DIR is /run/user/UID (its bus).  Guest
    only (it adds a user and starts its manager), cgroup v2 only."""
    import rootlesslib
    from test_systemd_driver import LAYOUT
    if os.environ.get("OCIRUN_VM") != "1":
        pytest.skip("needs the qemu lane's systemd guest (creates a user)")
    if LAYOUT != "v2":
        pytest.skip("rootless systemd cgroups need cgroup v2")
    if rootlesslib.missing_tools():
        pytest.skip(rootlesslib.missing_tools())
    pm = rootlesslib.make_rootless_podman(ocirun_bin, rootfs_template)
    uid = pm.pw.pw_uid
    r = ctl("start", "user@%d.service" % uid)
    assert r.returncode == 0, r
    pm.user_env["XDG_RUNTIME_DIR"] = "/run/user/%d" % uid
    pm.state_dir = Path("/run/user/%d/ocirun" % uid)
    base_argv = pm.argv

    def argv(*args):
        a = base_argv(*args)
        a[a.index("--cgroup-manager") + 1] = "systemd"
        return a
    pm.argv = argv
    try:
        yield pm
    finally:
        pm("rm", "-af", "-t", "0", timeout=120)
        pm.destroy()
        subprocess.run(["systemctl", "--no-pager", "--no-block", "stop", "user@%d.service" % uid])
        rootlesslib.remove_user(pm.pw)


def test_rootless_podman_systemd_scope(rlpm):
    pm = rlpm
    cid = pm.ok("run", "-d", "--network", "none", "--pids-limit", "33", podlib.IMAGE, "sleep", "1000",
                timeout=180).strip().splitlines()[-1]
    unit = "libpod-%s.scope" % cid

    def user_show(*props):
        r = subprocess.run(pm.as_user(["systemctl", "--user", "show", unit] + ["-p" + p for p in props]),
                           capture_output=True, text=True, timeout=60)
        return dict(ln.split("=", 1) for ln in r.stdout.splitlines() if "=" in ln)
    p = user_show("ActiveState", "ControlGroup", "Delegate", "TasksMax")
    assert p.get("ActiveState") == "active" and p.get("Delegate") == "yes", p
    assert p["ControlGroup"].startswith("/user.slice/user-%d.slice/user@%d.service/" % (pm.pw.pw_uid, pm.pw.pw_uid)), p
    assert p["TasksMax"] == "33", p
    pid = pm.inspect(cid)["State"]["Pid"]
    assert (":%s\n" % p["ControlGroup"]) in Path("/proc/%d/cgroup" % pid).read_text()
    pm.ok("stop", "-t", "1", cid, timeout=120)
    pm.ok("rm", cid, timeout=120)
    assert user_show("ActiveState").get("ActiveState") in ("inactive", None), user_show("ActiveState", "LoadState")
