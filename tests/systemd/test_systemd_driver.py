"""The systemd cgroup driver (--systemd-cgroup) against a real systemd.

Needs systemd as PID 1: tests/vm/ci.sh runs this module in the qemu lane's
systemd guests (tests/vm/run.sh -s v2, and -s v1 for systemd's legacy
layout).  On a host without systemd every test but the "no bus" one skips.

What is checked, for every verb with --systemd-cgroup: the transient scope
exists with the properties the config asked for (`systemctl show`), the
container's processes are in the scope's cgroup, update changes the
properties and the files, delete leaves no unit (`systemctl list-units
--all`), no cgroup, no state; bad input fails with one line naming the
field and leaves nothing.
"""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from helpers import bundlelib, one_line_error, rtlib, status_of, wait_for

MiB = 1024 * 1024
SLICE = "ocirunsd.slice"  # our parent slice, stopped at the end of the session


def pid1_is_systemd():
    try:
        return Path("/proc/1/comm").read_text().strip() == "systemd"
    except OSError:
        return False


needs_systemd = pytest.mark.skipif(not pid1_is_systemd(), reason="PID 1 is not systemd (run in tests/vm -s v2)")


def cgroup_layout():
    """'v2' when /sys/fs/cgroup is cgroup2, else 'v1' (legacy or hybrid)."""
    for ln in Path("/proc/self/mountinfo").read_text().splitlines():
        f = ln.split()
        if f[4] == "/sys/fs/cgroup":
            return "v2" if ln.split(" - ")[1].startswith("cgroup2") else "v1"
    return "v1"


LAYOUT = cgroup_layout()


def ctl(*args):
    return subprocess.run(["systemctl", "--no-pager", *args], capture_output=True, text=True, timeout=60)


def show(unit, *props):
    r = ctl("show", unit, *["-p" + p for p in props])
    assert r.returncode == 0, r
    res = {}
    for ln in r.stdout.splitlines():
        if "=" in ln:
            k, v = ln.split("=", 1)
            # list properties (DeviceAllow) may come one line per entry
            res[k] = res[k] + "," + v if k in res and v else v
    return res


def unit_known(unit):
    """Is `unit` loaded in any state (list-units --all)?"""
    r = ctl("list-units", "--all", "--plain", "--no-legend", unit)
    return unit in r.stdout


def expand_slice(s):
    """systemd's nesting: a-b-c.slice lives in a.slice/a-b.slice/"""
    if s == "-.slice":
        return ""
    base = s[:-len(".slice")]
    parts = base.split("-")
    return "".join("/" + "-".join(parts[:i + 1]) + ".slice" for i in range(len(parts)))


def ctrl_dir(cgpath, controller):
    if LAYOUT == "v2":
        return Path("/sys/fs/cgroup" + cgpath)
    for d in Path("/sys/fs/cgroup").iterdir():
        if controller in d.name.split(","):
            return d / cgpath.lstrip("/")
    raise AssertionError("no v1 hierarchy for %s" % controller)


def read(cgpath, controller, name):
    return (ctrl_dir(cgpath, controller) / name).read_text().strip()


@pytest.fixture(scope="session", autouse=True)
def stop_our_slice():
    yield
    if pid1_is_systemd():
        ctl("stop", SLICE, "ocirunsd-a.slice", "ocirunsd-a-b.slice")


@pytest.fixture
def sd(rt):
    """The runtime with --systemd-cgroup, same --root as `rt` (so the
    suite's no_leaks check covers its state dirs and processes)."""
    return rtlib.Runtime(rt.path, root=rt.root, global_args=["--systemd-cgroup"])


class SdContainer(helpers.OcirunContainer):
    """A container whose cgroupsPath is a systemd "slice:prefix:name"."""

    def __init__(self, sd, work, template, config=None, slice_=SLICE, prefix="ocirun-t"):
        cid = helpers.new_id("sd")
        config = bundlelib.deepcopy(config or bundlelib.default_config(["/probe", "pause"]))
        config["linux"]["cgroupsPath"] = "%s:%s:%s" % (slice_, prefix, cid)
        super().__init__(sd, work, config=config, cid=cid, cgroups=False, rootfs_template=template)
        self.unit = "%s-%s.scope" % (prefix, cid) if prefix else cid + ".scope"
        self.cgpath = expand_slice(slice_) + "/" + self.unit

    def left_behind(self):
        out = super().left_behind()
        if pid1_is_systemd() and unit_known(self.unit):
            out.append("unit %s" % self.unit)
        dirs = [str(h / self.cgpath.lstrip("/")) for h in Path("/sys/fs/cgroup").iterdir()
                if h.is_dir() and (h / self.cgpath.lstrip("/")).is_dir()]
        if Path("/sys/fs/cgroup" + self.cgpath).is_dir():
            dirs.append("/sys/fs/cgroup" + self.cgpath)
        if dirs:
            out.append("cgroup dirs %s" % dirs)
        return out


@pytest.fixture
def sdctr(sd, work, rootfs_template):
    made = []

    def make(config=None, **kw):
        c = SdContainer(sd, work, rootfs_template, config=config, **kw)
        made.append(c)
        return c

    yield make
    leaks = []
    for c in reversed(made):
        c.destroy()
        leaks += c.leaks
        ctl("stop", c.unit)
        ctl("reset-failed", c.unit)
    rtlib.reap_orphans()
    if leaks:
        pytest.fail("; ".join(leaks), pytrace=False)


def ok(r):
    assert r.rc == 0, r
    return r


def cfg(args=("/probe", "pause"), resources=None, annotations=None):
    c = bundlelib.default_config(list(args))
    if resources:
        c["linux"]["resources"].update(resources)
    if annotations:
        c["annotations"] = annotations
    return c


# ---------------------------------------------------------------- lifecycle
@needs_systemd
def test_scope_properties_pids_verbs_and_delete(sdctr, sd):
    res = {"memory": {"limit": 64 * MiB, "reservation": 32 * MiB},
           "cpu": {"shares": 1024, "quota": 50000, "period": 100000},
           "pids": {"limit": 50}}
    if LAYOUT == "v2":
        res["cpu"]["cpus"] = "0"
    c = sdctr(cfg(resources=res, annotations={"org.systemd.property.TimeoutStopUSec": "uint64 7000000",
                                               "org.systemd.property.CPUAccounting": "true"}))
    c.create()
    assert status_of(sd, c.id) == "created"
    p = show(c.unit, "ActiveState", "Delegate", "Slice", "ControlGroup", "MemoryMax", "MemoryLimit", "MemoryLow",
             "CPUWeight", "CPUShares", "CPUQuotaPerSecUSec", "CPUQuotaPeriodUSec", "TasksMax", "TimeoutStopUSec",
             "CPUAccounting", "AllowedCPUs", "DevicePolicy", "DeviceAllow")
    assert p["ActiveState"] == "active" and p["Delegate"] == "yes" and p["Slice"] == SLICE, p
    cg = p["ControlGroup"]
    assert cg == "/%s/%s" % (SLICE, c.unit), p
    assert p["TasksMax"] == "50" and p["CPUQuotaPerSecUSec"] == "500ms" and p["CPUQuotaPeriodUSec"] == "100ms", p
    assert p["TimeoutStopUSec"] == "7s" and p["CPUAccounting"] == "yes", p
    assert p["DevicePolicy"] == "strict" and "/dev/char/1:3 rwm" in p["DeviceAllow"], p
    if LAYOUT == "v2":
        assert p["MemoryMax"] == str(64 * MiB) and p["MemoryLow"] == str(32 * MiB), p
        assert p["CPUWeight"] == str(1 + (1024 - 2) * 9999 // 262142) and p["AllowedCPUs"] == "0", p
        assert read(cg, "memory", "memory.max") == str(64 * MiB)
        assert read(cg, "pids", "pids.max") == "50"
        assert read(cg, "cpu", "cpu.max") == "50000 100000"
    else:
        assert p["MemoryLimit"] == str(64 * MiB) and p["CPUShares"] == "1024", p
        assert read(cg, "memory", "memory.limit_in_bytes") == str(64 * MiB)
        assert read(cg, "pids", "pids.max") == "50"
        # freezer is no systemd controller on v1: made by hand at the same path
        assert ctrl_dir(cg, "freezer").is_dir()

    # the init is in the scope, in every hierarchy
    own = Path("/proc/%d/cgroup" % c.pid).read_text()
    assert (":%s\n" % cg) in own, own
    assert str(c.pid) in read(cg, "pids", "cgroup.procs").split()

    c.start()
    wait_for(lambda: status_of(sd, c.id) == "running")
    # exec'd processes join the scope
    r = ok(sd.run("exec", c.id, "/probe", "cgroup"))
    assert cg in r.out, r.out
    ps = json.loads(ok(sd.run("ps", "--format", "json", c.id)).out)
    assert c.pid in ps

    # pause / resume through the scope's cgroup
    ok(sd.run("pause", c.id))
    assert status_of(sd, c.id) == "paused"
    if LAYOUT == "v2":
        assert read(cg, "memory", "cgroup.freeze") == "1"
    else:
        assert read(cg, "freezer", "freezer.state") == "FROZEN"
    ok(sd.run("resume", c.id))
    assert status_of(sd, c.id) == "running"

    stats = json.loads(ok(sd.run("events", "--stats", c.id)).out.splitlines()[0])
    assert stats["data"]["pids"]["current"] >= 1, stats
    assert stats["data"]["memory"]["usage"]["usage"] > 0, stats

    # update: unit properties and files
    ok(sd.run("update", "--memory", "128m", "--pids-limit", "60", c.id))
    p = show(c.unit, "MemoryMax", "MemoryLimit", "TasksMax")
    assert p["TasksMax"] == "60", p
    if LAYOUT == "v2":
        assert p["MemoryMax"] == str(128 * MiB), p
        assert read(cg, "memory", "memory.max") == str(128 * MiB)
    else:
        assert p["MemoryLimit"] == str(128 * MiB), p
        assert read(cg, "memory", "memory.limit_in_bytes") == str(128 * MiB)
    assert read(cg, "pids", "pids.max") == "60"

    ok(sd.run("kill", "--all", c.id, "KILL"))
    c.wait(timeout=30)
    wait_for(lambda: status_of(sd, c.id) == "stopped")
    ok(sd.run("delete", c.id))
    assert not unit_known(c.unit), ctl("list-units", "--all", c.unit).stdout
    assert not ctrl_dir(cg, "pids").exists()
    if LAYOUT != "v2":
        assert not ctrl_dir(cg, "freezer").exists()
    assert c.left_behind() == []


@needs_systemd
def test_run_foreground_exit_code_and_no_unit_after(sdctr):
    c = sdctr(cfg(args=["/probe", "cgroup", "exit", "3"]))
    r = c.run_fg(timeout=120)
    assert r.rc == 3, r
    assert c.unit in r.out, r.out
    # run (not detached) deletes the container when it exits, as runc
    assert not Path(c.rt.root, c.id).exists()
    assert not unit_known(c.unit)


@needs_systemd
def test_delete_force_of_a_running_container(sdctr, sd):
    c = sdctr(cfg())
    c.create()
    c.start()
    assert unit_known(c.unit)
    ok(sd.run("delete", "--force", c.id))
    assert not unit_known(c.unit)
    assert c.left_behind() == []


@needs_systemd
def test_nested_slice_expanded(sdctr, sd):
    c = sdctr(cfg(), slice_="ocirunsd-a-b.slice", prefix="pfx")
    c.create()
    p = show(c.unit, "ControlGroup", "Slice")
    assert p["Slice"] == "ocirunsd-a-b.slice"
    assert p["ControlGroup"] == "/ocirunsd.slice/ocirunsd-a.slice/ocirunsd-a-b.slice/%s" % c.unit, p
    ok(sd.run("delete", "--force", c.id))
    assert not unit_known(c.unit)


# ---------------------------------------------------------------- errors
@needs_systemd
def test_bad_slice_name_one_line_nothing_left(sdctr):
    c = sdctr(cfg(), slice_="notaslice")
    r = c.create(check=False)
    msg = one_line_error(r)
    assert "linux.cgroupsPath" in msg and "notaslice" in msg, msg
    assert c.left_behind() == []


@needs_systemd
def test_not_slice_prefix_name_one_line(sdctr, sd):
    c = sdctr(cfg())
    c.config["linux"]["cgroupsPath"] = "/plain/path"
    c.write_config()
    msg = one_line_error(c.create(check=False))
    assert "linux.cgroupsPath" in msg and "slice:prefix:name" in msg, msg
    assert not Path(sd.root, c.id).exists()


@needs_systemd
def test_unit_already_exists_one_line_first_unharmed(sdctr, sd):
    a = sdctr(cfg())
    a.create()
    b = sdctr(cfg())
    b.config["linux"]["cgroupsPath"] = a.config["linux"]["cgroupsPath"]
    b.write_config()
    msg = one_line_error(b.create(check=False))
    assert "already exists" in msg and a.unit in msg and "linux.cgroupsPath" in msg, msg
    assert not Path(sd.root, b.id).exists()
    assert show(a.unit, "ActiveState")["ActiveState"] == "active"
    assert status_of(sd, a.id) == "created"


@needs_systemd
def test_property_systemd_rejects_one_line_nothing_left(sdctr, sd):
    c = sdctr(cfg(annotations={"org.systemd.property.NoSuchThing": "uint64 1"}))
    msg = one_line_error(c.create(check=False))
    assert "NoSuchThing" in msg, msg
    assert c.left_behind() == []
    assert not unit_known(c.unit)


@needs_systemd
def test_bad_annotation_value_one_line(sdctr):
    c = sdctr(cfg(annotations={"org.systemd.property.TasksMax": "[1, 2]"}))
    msg = one_line_error(c.create(check=False))
    assert "org.systemd.property.TasksMax" in msg, msg
    assert c.left_behind() == []


def test_no_bus_one_line_nothing_left(rt, work, rootfs_template):
    """Runs anywhere: a system bus address that does not answer."""
    prefix = []
    if os.path.exists("/run/systemd/private"):
        # no fallback to systemd's private socket either: hide it (a
        # private mount namespace with an empty /run/systemd)
        prefix = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                  'mount -t tmpfs none /run/systemd && exec "$@"', "--"]
    sd = rtlib.Runtime(rt.path, root=rt.root, global_args=["--systemd-cgroup"], prefix=prefix)
    c = SdContainer(sd, work, rootfs_template, config=cfg())
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=%s" % (work / "no-such-bus"))
    with open(c.stdout_path, "ab") as o:
        r = sd.create(c.id, c.bundle, stdout=o, env=env)
    msg = one_line_error(r)
    assert "--systemd-cgroup" in msg and "bus" in msg, msg
    assert c.left_behind() == []
    c.destroyed = True


def test_features_says_systemd(rt):
    f = json.loads(ok(rt.features()).out)
    assert f["linux"]["cgroup"]["systemd"] is True
    assert f["linux"]["cgroup"]["systemdUser"] is True


# ---------------------------------------------------------------- rootless
RL_USER = "ocirun-sduser"


@pytest.fixture(scope="module")
def rl_user():
    """A user with a running systemd user instance (guest only: useradd
    changes the throw-away /etc of the VM)."""
    import pwd
    if not pid1_is_systemd() or os.environ.get("OCIRUN_VM") != "1":
        pytest.skip("needs the qemu lane's systemd guest (creates a user)")
    if LAYOUT != "v2":
        pytest.skip("rootless systemd cgroups need cgroup v2 (test_rootless_on_v1_refused)")
    subprocess.run(["useradd", "-M", "-s", "/bin/sh", RL_USER], check=True)
    pw = pwd.getpwnam(RL_USER)
    r = ctl("start", "user@%d.service" % pw.pw_uid)
    assert r.returncode == 0, r
    yield pw
    subprocess.run(["systemctl", "--no-pager", "--no-block", "stop", "user@%d.service" % pw.pw_uid])


def as_user(pw, *argv, timeout=120, **kw):
    env = ["env", "-i", "XDG_RUNTIME_DIR=/run/user/%d" % pw.pw_uid, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    return subprocess.run(["runuser", "-u", pw.pw_name, "--"] + env + [str(a) for a in argv],
                          timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def test_rootless_scope_in_the_user_instance(rl_user, ocirun_bin, work, rootfs_template):
    pw = rl_user
    os.chown(work, pw.pw_uid, pw.pw_gid)
    b = work / "b"
    b.mkdir()
    subprocess.run(["cp", "-a", str(rootfs_template), str(b / "rootfs")], check=True)
    subprocess.run(["chown", "-R", "-h", "%d:%d" % (pw.pw_uid, pw.pw_gid), str(b)], check=True)
    root = work / "state"
    ocirun = [ocirun_bin, "--root", root, "--systemd-cgroup"]
    assert as_user(pw, *ocirun, "spec", "--rootless", "--bundle", b).returncode == 0
    c = bundlelib.read_config(b)
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/probe", "cgroup", "pause"]
    c["linux"]["cgroupsPath"] = ":ocirun-rl:r1"
    c["linux"]["resources"] = {"pids": {"limit": 30}}
    bundlelib.write_config(b, c)
    unit = "ocirun-rl-r1.scope"
    # the init keeps create's stdio: files, not pipes
    with open(b / "out", "wb") as o, open(b / "err", "wb") as e:
        r = as_user(pw, *ocirun, "create", "--bundle", b, "--pid-file", b / "pid", "r1", stdout=o, stderr=e)
    try:
        assert r.returncode == 0, (b / "err").read_text()
        pid = int((b / "pid").read_text())
        s = as_user(pw, "systemctl", "--user", "show", unit, "-pActiveState", "-pControlGroup", "-pTasksMax",
                    "-pDelegate", capture_output=True, text=True)
        p = dict(ln.split("=", 1) for ln in s.stdout.splitlines() if "=" in ln)
        assert p.get("ActiveState") == "active" and p.get("Delegate") == "yes", (p, s.stderr)
        assert p["ControlGroup"] == "/user.slice/user-%d.slice/user@%d.service/user.slice/%s" % (
            pw.pw_uid, pw.pw_uid, unit), p
        assert p["TasksMax"] == "30", p
        assert (":%s\n" % p["ControlGroup"]) in Path("/proc/%d/cgroup" % pid).read_text()
        assert Path("/sys/fs/cgroup" + p["ControlGroup"] + "/pids.max").read_text().strip() == "30"
        assert as_user(pw, *ocirun, "start", "r1").returncode == 0
    finally:
        d = as_user(pw, *ocirun, "delete", "--force", "r1", capture_output=True, text=True)
    assert d.returncode == 0, d.stderr
    s = as_user(pw, "systemctl", "--user", "list-units", "--all", "--plain", "--no-legend", unit,
                capture_output=True, text=True)
    assert unit not in s.stdout, s.stdout
    assert not (root / "r1").exists()


@needs_systemd
@pytest.mark.skipif(LAYOUT == "v2", reason="v1/hybrid only")
def test_rootless_on_v1_refused(sd, work, rootfs_template):
    sdr = rtlib.Runtime(sd.path, root=sd.root, global_args=["--systemd-cgroup", "--rootless=true"])
    c = SdContainer(sdr, work, rootfs_template, config=cfg())
    msg = one_line_error(c.create(check=False))
    assert "rootless" in msg and "cgroup v2" in msg, msg
    assert c.left_behind() == []
    c.destroyed = True


@needs_systemd
def test_without_the_bus_daemon_through_systemds_socket(sdctr, sd):
    """As root with no system bus (none configured, or dbus not running),
    the driver talks to systemd's own socket, as systemctl does."""
    c = sdctr(cfg(resources={"pids": {"limit": 25}}))
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/bus")
    with open(c.stdout_path, "ab") as o, open(c.stderr_path, "ab") as e:
        r = sd.create(c.id, c.bundle, pid_file=c.pid_file, stdout=o, stderr=e, env=env)
    assert r.rc == 0, c.stderr_text()
    c.pid = int(Path(c.pid_file).read_text())
    p = show(c.unit, "ActiveState", "TasksMax")
    assert p == {"ActiveState": "active", "TasksMax": "25"}, p
    ok(sd.run("update", "--pids-limit", "26", c.id, env=env))
    assert show(c.unit, "TasksMax")["TasksMax"] == "26"
    ok(sd.run("delete", "--force", c.id, env=env))
    assert not unit_known(c.unit)
    assert c.left_behind() == []


def test_libsystemd_not_linked(ocirun_bin):
    """The cgroupfs path pays nothing: libsystemd is dlopen()ed by the
    driver only (docs/systemd.md)."""
    r = subprocess.run(["ldd", ocirun_bin], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("ldd cannot read %s: %s" % (ocirun_bin, r.stderr.strip()))
    assert "libsystemd" not in r.stdout, r.stdout
