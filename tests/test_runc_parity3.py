"""Round 3 of runc parity (issue 17): exit codes, logging, run --keep,
poststart failures, device and mount paths, seccomp's ENOSYS for syscalls
newer than the profile, the real-time budget of the default cgroup parent.
Each behaviour was compared with runc 1.1.5 running the same bundle."""
import json
import os
import subprocess
from pathlib import Path

import pytest

import helpers
from helpers import default_config, wait_for


def write_script(path, text):
    path = Path(path)
    path.write_text(text)
    path.chmod(0o755)
    return path


# ---------------------------------------------------------------- exit codes
def test_exec_runtime_failure_exits_255(rt):
    """runc exits 255 when exec itself fails ("exec failed: ..."), so a
    caller can tell it from the process's own status; usage errors exit 1."""
    r = rt.run("exec", "no-such-container", "true")
    assert r.rc == 255, r
    assert "no-such-container" in r.err, r
    r = rt.run("exec")
    assert r.rc == 1, r


def test_exec_of_a_missing_program_exits_255_and_the_process_status_passes(ctr):
    c = ctr(default_config(["/probe", "pause"]))
    c.create()
    c.start()
    r = c.rt.run("exec", c.id, "/no/such/program")
    assert r.rc == 255, r
    r = c.rt.run("exec", c.id, "sh", "-c", "exit 7")
    assert r.rc == 7, r


def test_run_failure_exits_1(rt, work):
    """runc run's own failure ("runc run failed: ...") exits 1."""
    (work / "b").mkdir()
    cfg = default_config(["/bin/true"])
    (work / "b" / "config.json").write_text(json.dumps(cfg))
    r = rt.run("run", "--bundle", work / "b", helpers.new_id())
    assert r.rc == 1, r


# ---------------------------------------------------------------- --log / --debug
def test_log_that_cannot_be_opened_fails(rt, work):
    r = rt.run("--log", work / "no" / "such" / "dir" / "log", "list")
    assert r.rc == 1, r
    assert "--log" in r.err and "no such file or directory" in r.err, r


def test_debug_writes_debug_lines_to_stderr(ctr):
    c = ctr(default_config(["/bin/true"]))
    r = c.rt.run("--debug", "run", "--bundle", c.bundle, c.id)
    assert r.rc == 0, r
    assert "debug: " in r.err, r
    assert "the child is ready" in r.err, r
    # without --debug, none
    r = c.rt.run("run", "--bundle", c.bundle, c.id)
    assert r.rc == 0, r
    assert "debug" not in r.err, r


def test_debug_goes_to_the_log_file_as_json(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    log = work / ("log-%s.json" % c.id)
    r = c.rt.run("--debug", "--log", log, "--log-format", "json", "run", "--bundle", c.bundle, c.id)
    assert r.rc == 0, r
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert any(x["level"] == "debug" for x in lines), lines
    assert "debug" not in r.err, r


# ---------------------------------------------------------------- run --keep
def test_run_keep_leaves_the_stopped_container(ctr):
    c = ctr(default_config(["sh", "-c", "exit 3"]))
    r = c.run_fg("--keep")
    assert r.rc == 3, r
    st = c.state()
    assert st["status"] == "stopped", st
    assert c.state_dir().exists()
    r = c.delete()
    assert r.rc == 0, r
    assert not c.state_dir().exists()
    assert c.cgroup_dirs() == []


def test_run_without_keep_deletes(ctr):
    c = ctr(default_config(["/bin/true"]))
    assert c.run_fg().rc == 0
    assert helpers.status_of(c.rt, c.id) is None


def test_create_refuses_keep(ctr):
    # runc: "flag provided but not defined: -keep"
    c = ctr(default_config(["/bin/true"]))
    c.write_config()
    r = c.rt.run("create", "--keep", "--bundle", c.bundle, c.id)
    assert r.rc != 0, r
    assert "keep" in r.err, r
    assert helpers.status_of(c.rt, c.id) is None


# ---------------------------------------------------------------- poststart
def test_failing_poststart_hook_destroys_the_container(ctr, work):
    """runtime.md lifecycle step 9: a failing poststart hook -> error, stop
    the container and "continue the lifecycle at step 12" (destroy, then
    the poststop hooks); runc 1.1 too leaves no container behind."""
    c = ctr(default_config(["/probe", "pause"]))
    fail = write_script(work / ("fail-%s.sh" % c.id), "#!/bin/sh\nexit 5\n")
    mark = work / ("poststop-%s" % c.id)
    stop = write_script(work / ("stop-%s.sh" % c.id), "#!/bin/sh\ntouch %s\n" % mark)
    c.config["hooks"] = {"poststart": [{"path": str(fail)}], "poststop": [{"path": str(stop)}]}
    c.write_config()
    c.create()
    r = c.start(check=False)
    assert r.rc != 0, r
    assert "hooks.poststart[0]" in r.err, r
    # gone as soon as start returns
    assert helpers.status_of(c.rt, c.id) is None
    assert not c.state_dir().exists()
    assert c.cgroup_dirs() == []
    assert mark.exists()


# ---------------------------------------------------------------- devices
# c 1:250 is a memory-class minor no driver serves: opening it gives ENXIO
# once the device cgroup lets it through, EPERM when it does not
NODEV = {"type": "c", "major": 1, "minor": 250, "fileMode": 0o666, "uid": 0, "gid": 0}


def test_device_path_with_a_trailing_slash_is_cleaned(ctr):
    """runc cleans linux.devices[].path (filepath.Clean)."""
    cfg = default_config(["sh", "-c", "test -c /dev/nodev && ls -l /dev/nodev"])
    cfg["linux"]["devices"] = [dict(NODEV, path="/dev//nodev/")]
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    assert "1, 250" in " ".join(r.out.split()), r.out


@pytest.mark.parametrize("access", ["rwa", "wrw", "rw "])
def test_device_access_strings_as_runc(ctr, access):
    """runc 1.1 (cgroup v1) keeps the r, w and m of an access string and
    ignores the rest: "rwa" grants read and write."""
    cfg = default_config(["sh", "-c", "exec 3<>/dev/nodev"])
    cfg["linux"]["devices"] = [dict(NODEV, path="/dev/nodev")]
    cfg["linux"].setdefault("resources", {})["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 250, "access": access},
    ]
    r = ctr(cfg).run_fg()
    assert r.rc != 0, r
    # through the cgroup: the driver's ENXIO (stopped by it: EPERM)
    assert "No such device or address" in r.err, r


@pytest.mark.parametrize("access", ["RW", "x"])
def test_device_access_without_r_w_m_is_refused(ctr, access):
    # runc fails too ("resulting devices cgroup doesn't precisely match target")
    cfg = default_config(["true"])
    cfg["linux"].setdefault("resources", {})["devices"] = [
        {"allow": True, "type": "c", "major": 1, "minor": 250, "access": access}]
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 1, r
    assert helpers.one_line_error(r).startswith("linux.resources.devices[0].access"), r
    assert c.left_behind() == []


# ---------------------------------------------------------------- mounts
def tmpfs_mount(dest, options=None):
    m = {"destination": dest, "type": "tmpfs", "source": "tmpfs"}
    if options is not None:
        m["options"] = options
    return m


def test_mount_on_a_dangling_symlink_creates_its_target_in_the_rootfs(ctr, work):
    """runc resolves the destination inside the rootfs (SecureJoin) and
    creates what is missing there: the mount ends up on the symlink's
    target, and a target that climbs out of the root stays inside."""
    escape = "p17-escape-%d" % os.getpid()
    cfg = default_config(["sh", "-c", "grep -c ' /data/sub tmpfs ' /proc/self/mounts; "
                          "grep -c ' /%s tmpfs ' /proc/self/mounts" % escape])
    c = ctr(cfg)
    (c.rootfs / "mnt").mkdir(exist_ok=True)
    os.symlink("/data/sub", c.rootfs / "mnt" / "abs")
    os.symlink("../../../../../../../%s" % escape, c.rootfs / "mnt" / "up")
    c.config["mounts"] += [tmpfs_mount("/mnt/abs"), tmpfs_mount("/mnt/up")]
    c.write_config()
    r = c.run_fg()
    assert r.rc == 0, r
    assert r.out.split() == ["1", "1"], r
    assert (c.rootfs / "data" / "sub").is_dir()
    assert (c.rootfs / escape).is_dir()
    assert not os.path.exists("/" + escape)


def test_tmpfs_without_mode_keeps_the_mount_points_mode(ctr):
    cfg = default_config(["sh", "-c", "stat -c %a /private /made /given"])
    c = ctr(cfg)
    (c.rootfs / "private").mkdir()
    os.chmod(c.rootfs / "private", 0o710)
    (c.rootfs / "given").mkdir()
    os.chmod(c.rootfs / "given", 0o700)
    c.config["mounts"] += [tmpfs_mount("/private", ["nosuid"]), tmpfs_mount("/made"),
                           tmpfs_mount("/given", ["mode=750"])]
    c.write_config()
    r = c.run_fg()
    assert r.rc == 0, r
    # kept; created by the runtime: tmpfs's 1777; mode= given: that one
    assert r.out.split() == ["710", "1777", "750"], r


# ---------------------------------------------------------------- seccomp -ENOSYS
X32_BIT = 0x40000000


def enosys_profile(archs=("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), default="SCMP_ACT_ERRNO",
                   errno_ret=None):
    from test_runc_parity import ALLOWED
    prof = {"defaultAction": default, "architectures": list(archs),
            "syscalls": [{"names": ALLOWED, "action": "SCMP_ACT_ALLOW"}]}
    if errno_ret is not None:
        prof["defaultErrnoRet"] = errno_ret
    return prof


def probe_syscalls(ctr, profile, names):
    argv = ["/probe"]
    for n in names:
        argv += ["syscall", n]
    cfg = default_config(argv)
    cfg["linux"]["seccomp"] = profile
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    out = json.loads(r.out.strip().splitlines()[-1])
    return {n: out["syscalls"][n]["errno"] for n in names}


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the numbers below are x86_64's")
def test_syscall_newer_than_the_profile_gets_enosys(ctr):
    """runc's -ENOSYS stub: with a default action that is not allow, a
    number above the largest the profile names (per architecture) gets
    ENOSYS, so that glibc falls back (clone3 -> clone); the profile's own
    syscalls, allowed or not, keep their action."""
    got = probe_syscalls(ctr, enosys_profile(), ["nr1000", "nr435", "mount", "chroot", "getpid",
                                                 "nr%d" % (X32_BIT + 1000), "nr%d" % (X32_BIT + 165)])
    assert got["nr1000"] == "ENOSYS", got
    assert got["nr435"] == "ENOSYS", got   # clone3, newer than the profile
    assert got["mount"] == "EPERM", got    # known, not allowed: the default action
    assert got["chroot"] == "EPERM", got
    assert got["getpid"] is None, got
    # x32 numbers (bit 30) against the x32 maximum
    assert got["nr%d" % (X32_BIT + 1000)] == "ENOSYS", got
    assert got["nr%d" % (X32_BIT + 165)] == "EPERM", got


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the numbers below are x86_64's")
def test_syscall_newer_than_the_profile_from_the_cache_gets_enosys(ctr, monkeypatch, work):
    # the second container's program comes from the cache: the stub is in it
    monkeypatch.setenv("OCIRUN_SECCOMP_CACHE", str(work / "sc-cache"))
    for _ in range(2):
        got = probe_syscalls(ctr, enosys_profile(), ["nr1000", "mount"])
        assert got == {"nr1000": "ENOSYS", "mount": "EPERM"}, got
    assert len(list((work / "sc-cache").iterdir())) == 1


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the numbers below are x86_64's")
@pytest.mark.parametrize("default,errno_ret,want", [
    ("SCMP_ACT_ALLOW", None, "ENOSYS"),      # the kernel's own ENOSYS: no stub needed
    ("SCMP_ACT_LOG", None, "ENOSYS"),
    ("SCMP_ACT_ERRNO", 38, "ENOSYS"),
    ("SCMP_ACT_ERRNO", 13, "ENOSYS"),
])
def test_enosys_stub_cases(ctr, default, errno_ret, want):
    prof = enosys_profile(default=default, errno_ret=errno_ret)
    if default != "SCMP_ACT_ERRNO":
        prof["syscalls"] = [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"}]
    got = probe_syscalls(ctr, prof, ["nr1000", "mount"])
    assert got["nr1000"] == want, got
    assert got["mount"] == ("EACCES" if errno_ret == 13 else "ENOSYS" if errno_ret == 38 else "EPERM"), got


# ---------------------------------------------------------------- real-time budget
RT_GROUP_SCHED = os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us")


def rt_config(runtime=None, policy="SCHED_FIFO"):
    cfg = default_config(["sh", "-c", "grep -E '^policy' /proc/self/sched"])
    cfg["process"]["scheduler"] = {"policy": policy, "priority": 1}
    if runtime is not None:
        cfg["linux"].setdefault("resources", {})["cpu"] = {"realtimeRuntime": runtime, "realtimePeriod": 1000000}
    return cfg


@pytest.mark.skipif(not RT_GROUP_SCHED, reason="the kernel has no RT group scheduling (cgroup v1 cpu.rt_*)")
@pytest.mark.parametrize("policy,num", [("SCHED_FIFO", 1), ("SCHED_RR", 2)])
def test_realtime_runtime_below_fresh_parents(ctr, policy, num):
    """The parents ocirun creates start with no real-time budget: they are
    raised so the container's realtimeRuntime fits (runc's containers sit
    below the root, which has the system's budget)."""
    c = ctr(rt_config(10000, policy))
    r = c.run_fg()
    assert r.rc == 0, r
    assert r.out.split()[-1] == str(num), r.out
    # two at once: the parent holds both budgets
    c1 = ctr(rt_config(10000))
    c1.config["process"]["args"] = ["/probe", "pause"]
    c1.write_config()
    c1.create()
    c1.start()
    c2 = ctr(rt_config(20000))
    r = c2.run_fg()
    assert r.rc == 0, r
    parent = Path("/sys/fs/cgroup/cpu") / helpers.CGROUP_PREFIX.lstrip("/")
    assert int((parent / "cpu.rt_runtime_us").read_text()) >= 30000


@pytest.mark.skipif(not RT_GROUP_SCHED, reason="the kernel has no RT group scheduling (cgroup v1 cpu.rt_*)")
def test_realtime_policy_without_a_budget_says_why(ctr):
    # no realtimeRuntime: the kernel refuses SCHED_FIFO in a cgroup without
    # budget (runc too); the error says what to set
    r = ctr(rt_config(None)).run_fg()
    assert r.rc != 0, r
    assert "process.scheduler" in r.err and "realtimeRuntime" in r.err, r
