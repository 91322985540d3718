"""CVE-2019-5736: a container must not be able to overwrite the runtime
binary through /proc/<pid>/exe of a runtime process that enters it (the
init waiting for `start`, an `exec` child).  The attacks aim at a private
COPY of ocirun (rt_copy), so a failing defence cannot break the build."""
import os
import subprocess
import time

import pytest

import helpers
from seclib import json_line, sha256


def _attack(actr, rt_copy, cfg, work):
    before = sha256(rt_copy.binary)
    cfg["process"]["args"] = ["/attack", "wait", "/go"]
    c = actr(cfg)
    c.create()
    exe = os.readlink("/proc/%d/exe" % c.pid)
    out, err = work / "attacker.out", work / "attacker.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        r = subprocess.run(rt_copy.argv("exec", "-d", c.id, "--", "/attack", "exe-hold", "1", "/go2"),
                           stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=30)
    assert r.returncode == 0, err.read_text()
    # the attacker holds an O_PATH fd of the init's exe, or could not
    helpers.wait_for(lambda: "holding" in err.read_text() or out.read_text().strip())
    # start: the init execs the container's program; nothing runs ocirun now
    c.start()
    (c.rootfs / "go2").write_text("")
    res = json_line(helpers.wait_for(lambda: out.read_text().strip()))
    (c.rootfs / "go").write_text("")
    after = sha256(rt_copy.binary)
    return exe, res, before, after


def test_exe_overwrite_with_cap_sys_ptrace(actr, rt_copy, cfg_ptrace, work):
    """With CAP_SYS_PTRACE the container can open /proc/1/exe of the
    waiting init: it must be a sealed copy, not the host's file."""
    exe, res, before, after = _attack(actr, rt_copy, cfg_ptrace, work)
    assert after == before, "the runtime binary was overwritten: %r" % res
    assert exe.startswith("/memfd:"), exe
    assert res["hold"] == 0, res  # the attack did get its O_PATH fd
    assert res["wrote"] is False, res


def test_exe_overwrite_without_cap_sys_ptrace(actr, rt_copy, cfg, work):
    exe, res, before, after = _attack(actr, rt_copy, cfg, work)
    assert after == before, "the runtime binary was overwritten: %r" % res
    # the init is not dumpable: without CAP_SYS_PTRACE its exe is off limits
    assert res["hold"] != 0, res


def test_exec_runs_from_sealed_copy(actr, rt_copy, cfg_ptrace, work):
    """`ocirun exec` (whose child enters the container) runs from the
    sealed copy too."""
    cfg_ptrace["process"]["args"] = ["/bin/sleep", "60"]
    c = actr(cfg_ptrace)
    c.create()
    c.start()
    p = subprocess.Popen(rt_copy.argv("exec", c.id, "--", "/bin/sleep", "30"), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def exe_of_exec():
            try:
                e = os.readlink("/proc/%d/exe" % p.pid)
            except OSError:
                return None
            return e if e.startswith("/memfd:") else None
        # it starts from the file and re-execs itself from the copy at once
        exe = helpers.wait_for(exe_of_exec, timeout=10)
        assert exe.startswith("/memfd:ocirun"), exe
        fd = os.open("/proc/%d/exe" % p.pid, os.O_RDONLY)
        try:
            import fcntl
            F_GET_SEALS = 1034
            seals = fcntl.fcntl(fd, F_GET_SEALS)
            assert seals & 0xF == 0xF, seals  # SEAL | SHRINK | GROW | WRITE
        finally:
            os.close(fd)
    finally:
        p.kill()
        p.wait()


def test_exe_guard_skipped_on_readonly_mount(actr, rt_copy, cfg, work):
    """A binary on a read-only mount cannot be written through
    /proc/<pid>/exe: no copy is made (runs in a private mount namespace)."""
    d = rt_copy.binary.parent / "ro"
    d.mkdir()
    os.rename(rt_copy.binary, d / "ocirun")
    rt_copy.path = str(d / "ocirun")
    script = "mount --bind %s %s && mount -o remount,bind,ro %s && exec %s" % (
        d, d, d, " ".join(rt_copy.argv("create", "--bundle", "BUNDLE", "--pid-file", "PIDFILE", "CID")))
    cfg["process"]["args"] = ["/bin/true"]
    c = actr(cfg)
    script = script.replace("BUNDLE", str(c.bundle)).replace("PIDFILE", str(c.pid_file)).replace("CID", c.id)
    # no pipes: the init would hold them open
    with open(c.stderr_path, "wb") as e:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=e, timeout=60)
    assert r.returncode == 0, c.stderr_text()
    c.pid = int(open(c.pid_file).read())
    exe = os.readlink("/proc/%d/exe" % c.pid)
    assert not exe.startswith("/memfd:"), exe
    c.start()
    c.wait()


def test_no_copy_without_cap_sys_ptrace(actr, cfg):
    """The copy costs a few ms: it is not made when no container process
    can open /proc/<pid>/exe (no CAP_SYS_PTRACE)."""
    cfg["process"]["args"] = ["/bin/true"]
    c = actr(cfg)
    c.create()
    assert not os.readlink("/proc/%d/exe" % c.pid).startswith("/memfd:")
    c.start()
    c.wait()


def _exe_of_exec_child(rt, cid, *extra):
    p = subprocess.Popen(rt.argv("exec", *extra, cid, "--", "/bin/sleep", "30"), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # wait until the container's program runs, then look at the runtime
        def exe():
            try:
                for line in open("/proc/%d/task/%d/children" % (p.pid, p.pid)):
                    if line.strip():
                        return os.readlink("/proc/%d/exe" % p.pid)
            except OSError:
                return None
        return helpers.wait_for(exe, timeout=10)
    finally:
        p.kill()
        p.wait()


def test_exec_after_an_exec_granted_cap_sys_ptrace(actr, cfg):
    """The container's config has no CAP_SYS_PTRACE, but an earlier
    `exec --cap CAP_SYS_PTRACE` process is running: later execs are
    guarded too (the container's processes' bounding sets are checked)."""
    cfg["process"]["args"] = ["/bin/sleep", "60"]
    cfg["process"]["noNewPrivileges"] = False
    c = actr(cfg)
    c.create()
    c.start()
    assert not _exe_of_exec_child(c.rt, c.id).startswith("/memfd:")
    r = c.rt.run("exec", "-d", "--cap", "CAP_SYS_PTRACE", c.id, "--", "/bin/sleep", "60",
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # no pipe: the sleep would hold it
    assert r.rc == 0, r
    assert _exe_of_exec_child(c.rt, c.id).startswith("/memfd:")
