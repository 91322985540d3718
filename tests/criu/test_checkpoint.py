"""`ocirun checkpoint` / `ocirun restore` with CRIU (runc's verbs).

Where `criu check` passes (the qemu lane: tests/vm/ci.sh, Debian's 6.1
kernel) every test runs; each test's bundles live on a fresh tmpfs (the
guest's / is an overlayfs on 9p).  Where it fails (criu 3.17 on a newer
kernel than it knows, e.g. 6.18) the tests that need a working criu skip
with criu's own reason, and test_checkpoint_fails_cleanly_without_working_criu
checks that ocirun says so in one line naming the log, and leaves the
container running.  The error paths that do not reach criu run everywhere.

A container's stdio must be something criu can dump: the test containers
run with /dev/null (the init reopens the container's own, as runc) or
with pipes (reconnected at restore, as containerd does).
"""
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from helpers import default_config, rtlib

# the counter's state lives in the shell's memory ($i); the file only shows it
COUNTER = "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; [ -e /tmp/stop ] && exit 7; sleep 0.1; done"
PIPE_COUNTER = ("i=0; while true; do i=$((i+1)); echo $i > /tmp/count; echo n=$i; "
                "[ -e /tmp/stop ] && exit 7; sleep 0.2; done")


def _criu_check():
    criu = shutil.which("criu")
    if criu is None:
        return False, "criu is not installed"
    try:
        r = subprocess.run([criu, "check"], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False, "`criu check` timed out"
    if r.returncode == 0:
        return True, ""
    lines = [ln.strip() for ln in (r.stderr + r.stdout).splitlines() if ln.strip()]
    return False, "`criu check` fails on kernel %s: %s" % (os.uname().release, lines[-1] if lines else
                                                          "exit status %d" % r.returncode)


CRIU_WORKS, CRIU_REASON = _criu_check()
needs_criu = pytest.mark.skipif(not CRIU_WORKS, reason=CRIU_REASON)


@pytest.fixture
def work(session_dir):
    """The conftest's work dir, on its own tmpfs where criu runs (criu and
    the guest's overlayfs-on-9p root do not mix)."""
    d = session_dir / ("c-" + helpers.new_id("t"))
    d.mkdir(parents=True)
    mounted = False
    if CRIU_WORKS:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", str(d)], check=True)
        mounted = True
    yield d
    if mounted:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------ helpers
def ocirun(rt, work, *args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=120):
    """Run `ocirun --root R --log L ARGS` with the given stdio (a detached
    container keeps them: they must not be our capture pipes); returns
    (rc, the error line from the log)."""
    log = Path(work) / "ocirun.log"
    if log.exists():
        log.unlink()
    argv = [rt.path, "--root", rt.root, "--log", str(log)] + [str(a) for a in args]
    p = subprocess.run(argv, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL, timeout=timeout)
    text = log.read_text(errors="replace") if log.exists() else ""
    return p.returncode, text.strip()


def run_detached(c, work, stdout=subprocess.DEVNULL):
    rc, log = ocirun(c.rt, work, "run", "-d", "--bundle", c.bundle, "--pid-file", c.pid_file, c.id,
                     stdout=stdout)
    assert rc == 0, log
    c.pid = int(Path(c.pid_file).read_text())
    return c.pid


def count(c):
    try:
        return int((c.rootfs / "tmp" / "count").read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def wait_count(c, at_least, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = count(c)
        if n >= at_least:
            return n
        time.sleep(0.05)
    raise AssertionError("counter of %s stuck at %d (wanted %d)" % (c.id, count(c), at_least))


def nspid(pid):
    for ln in Path("/proc/%d/status" % pid).read_text().splitlines():
        if ln.startswith("NSpid:"):
            return [int(x) for x in ln.split()[1:]]
    return []


def counter_container(ctr, script=COUNTER):
    return ctr(default_config(["/bin/sh", "-c", script]))


def checkpoint(c, work, *extra, image="img"):
    img = Path(work) / (c.id + "-" + image)
    rc, log = ocirun(c.rt, work, "checkpoint", "--image-path", img, *extra, c.id)
    assert rc == 0, log
    return img


def one_line(log):
    lines = [ln for ln in log.splitlines() if ln.strip()]
    assert len(lines) == 1, log
    return lines[0]


# ------------------------------------------------------------------ criu needed
@needs_criu
def test_counter_continues_after_restore(ctr, rt, work):
    """The dumped shell keeps its $i: the restored counter goes on from
    where it was, not from 1; the container is deleted by the checkpoint
    (runc), re-created by restore in the same pid namespace layout."""
    c = counter_container(ctr)
    run_detached(c, work)
    wait_count(c, 10)
    img = checkpoint(c, work)
    assert (img / "inventory.img").exists() and (img / "descriptors.json").exists()
    # runc: without --leave-running the container is gone
    assert not c.state_dir().exists()
    assert c.cgroup_dirs() == []
    rtlib.reap_orphans()
    assert not rtlib.pid_alive(c.pid)
    frozen = count(c)
    assert frozen >= 10
    time.sleep(0.5)
    assert count(c) == frozen, "the counter ran on after the dump"

    rc, log = ocirun(c.rt, work, "restore", "-d", "--image-path", img, "--bundle", c.bundle, c.id)
    assert rc == 0, log
    st = c.state()
    assert st["status"] == "running", st
    c.pid = st["pid"]
    n = wait_count(c, frozen + 3)
    assert n > frozen
    # pid namespace: the restored init is pid 1 of its own namespace
    assert nspid(c.pid)[-1] == 1 and len(nspid(c.pid)) >= 2
    assert os.readlink("/proc/%d/ns/pid" % c.pid) != os.readlink("/proc/self/ns/pid")
    # the verbs work on it
    r = c.rt.run("ps", "--format", "json", c.id)
    assert r.ok and c.pid in json.loads(r.out), r
    r = c.rt.run("exec", c.id, "/bin/sh", "-c", "cat /proc/1/cmdline")
    assert r.ok and "while true" in r.out, r
    assert c.cgroup_dirs(), "restore did not create the container's cgroup"
    c.kill("KILL")
    c.wait(timeout=30)
    assert c.state()["status"] == "stopped"
    c.delete()
    assert c.cgroup_dirs() == [] and not c.state_dir().exists()


@needs_criu
def test_restore_detached_pid_file_and_resources(ctr, rt, work):
    """restore -d --pid-file: the file names the restored init (a host
    pid), state agrees, the config's resources are applied to the new
    cgroup and the process is in it."""
    cfg = default_config(["/bin/sh", "-c", COUNTER])
    cfg["linux"]["resources"]["pids"] = {"limit": 77}
    c = ctr(cfg)
    run_detached(c, work)
    wait_count(c, 3)
    img = checkpoint(c, work)
    pidfile = Path(work) / "restored.pid"
    rc, log = ocirun(c.rt, work, "restore", "--detach", "--pid-file", pidfile, "--image-path", img,
                     "--bundle", c.bundle, c.id)
    assert rc == 0, log
    pid = int(pidfile.read_text())
    st = c.state()
    assert st["pid"] == pid and st["status"] == "running"
    c.pid = pid
    dirs = c.cgroup_dirs()
    assert dirs
    procs = set()
    limit = None
    for d in dirs:
        if (d / "cgroup.procs").exists():
            procs |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
        if (d / "pids.max").exists():
            limit = (d / "pids.max").read_text().strip()
    assert pid in procs
    assert limit == "77"
    c.delete(force=True)
    assert c.cgroup_dirs() == [] and not c.state_dir().exists()


@needs_criu
def test_leave_running(ctr, rt, work):
    """--leave-running: the images are written and the container goes on,
    same pid, still counting."""
    c = counter_container(ctr)
    pid = run_detached(c, work)
    wait_count(c, 3)
    img = checkpoint(c, work, "--leave-running")
    assert (img / "inventory.img").exists()
    st = c.state()
    assert st["status"] == "running" and st["pid"] == pid
    n = count(c)
    wait_count(c, n + 3)


@needs_criu
def test_paused_container(ctr, rt, work):
    """containerd's client pauses a task, checkpoints it, resumes it: a
    paused container is dumped (runc too), stays paused with
    --leave-running, goes on counting when resumed; dumped without
    --leave-running it is gone, and restore brings the counter back."""
    c = counter_container(ctr)
    pid = run_detached(c, work)
    wait_count(c, 3)
    assert c.rt.run("pause", c.id).ok
    img = checkpoint(c, work, "--leave-running")
    assert (img / "inventory.img").exists()
    st = c.state()
    assert st["status"] == "paused" and st["pid"] == pid, st
    n = count(c)
    time.sleep(0.5)
    assert count(c) == n, "a paused container ran during/after its checkpoint"
    assert c.rt.run("resume", c.id).ok
    n = wait_count(c, n + 3)
    assert c.rt.run("pause", c.id).ok
    img2 = checkpoint(c, work, image="img2")
    assert not c.state_dir().exists() and c.cgroup_dirs() == []
    rtlib.reap_orphans()
    assert not rtlib.pid_alive(pid)
    frozen = count(c)
    rc, log = ocirun(c.rt, work, "restore", "-d", "--image-path", img2, "--bundle", c.bundle, c.id)
    assert rc == 0, log
    st = c.state()
    assert st["status"] == "running", st
    c.pid = st["pid"]
    assert wait_count(c, frozen + 3) > frozen
    c.delete(force=True)
    assert c.cgroup_dirs() == [] and not c.state_dir().exists()


@needs_criu
def test_foreground_restore_waits_for_exit_status(ctr, rt, work):
    """restore without --detach waits like run: its exit status is the
    container's, and the container is deleted afterwards."""
    c = counter_container(ctr)
    run_detached(c, work)
    wait_count(c, 3)
    img = checkpoint(c, work)
    argv = [rt.path, "--root", rt.root, "restore", "--image-path", str(img), "--bundle", str(c.bundle), c.id]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (c.state_dir().exists() and c.rt.state(c.id).ok
                                                      and c.state()["status"] == "running"):
            assert p.poll() is None, p.stderr.read().decode()
            time.sleep(0.1)
        c.pid = c.state()["pid"]
        (c.rootfs / "tmp" / "stop").write_text("")
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 7, p.stderr.read().decode()
    assert not c.state_dir().exists()
    assert c.cgroup_dirs() == []


@needs_criu
def test_stdio_pipes_reconnected(ctr, rt, work):
    """The init's stdout was a pipe (containerd, conmon): restore hands it
    ours (runc's descriptors.json + criu --inherit-fd)."""
    c = counter_container(ctr, PIPE_COUNTER)
    r1, w1 = os.pipe()
    try:
        run_detached(c, work, stdout=w1)
        os.close(w1)
        w1 = -1
        wait_count(c, 3)
        img = checkpoint(c, work)
        desc = json.loads((img / "descriptors.json").read_text())
        assert desc[1].startswith("pipe:"), desc
    finally:
        if w1 >= 0:
            os.close(w1)
        os.close(r1)
    frozen = count(c)
    r2, w2 = os.pipe()
    try:
        rc, log = ocirun(c.rt, work, "restore", "-d", "--image-path", img, "--bundle", c.bundle, c.id,
                         stdout=w2)
        os.close(w2)
        w2 = -1
        assert rc == 0, log
        c.pid = c.state()["pid"]
        got = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and got.count(b"\n") < 3:
            rr, _, _ = select.select([r2], [], [], 1)
            if rr:
                chunk = os.read(r2, 4096)
                if not chunk:
                    break
                got += chunk
        nums = [int(x[2:]) for x in got.decode().split() if x.startswith("n=")]
        assert nums and nums[0] > frozen - 1, (frozen, got)
    finally:
        if w2 >= 0:
            os.close(w2)
        os.close(r2)
    c.delete(force=True)


@needs_criu
def test_pre_dump_then_dump_with_parent(ctr, rt, work):
    """--pre-dump leaves the container running; a dump with --parent-path
    on top of it restores like a plain one."""
    c = counter_container(ctr)
    pid = run_detached(c, work)
    wait_count(c, 3)
    pre = checkpoint(c, work, "--pre-dump", image="pre")
    assert (pre / "inventory.img").exists() or list(pre.glob("pagemap-*.img")), sorted(os.listdir(pre))
    st = c.state()
    assert st["status"] == "running" and st["pid"] == pid
    n = wait_count(c, count(c) + 2)
    img = checkpoint(c, work, "--parent-path", "../" + pre.name, image="final")
    assert not c.state_dir().exists()
    frozen = count(c)
    assert frozen >= n
    rc, log = ocirun(c.rt, work, "restore", "-d", "--image-path", img, "--bundle", c.bundle, c.id)
    assert rc == 0, log
    c.pid = c.state()["pid"]
    wait_count(c, frozen + 2)
    c.delete(force=True)


# ------------------------------------------------------------------ everywhere
def test_checkpoint_unknown_or_not_running_is_an_error(ctr, rt, work):
    rc, log = ocirun(rt, work, "checkpoint", "--image-path", Path(work) / "img", "no-such-container")
    assert rc == 1 and "does not exist" in one_line(log), log
    c = counter_container(ctr)
    c.create()  # created, not started
    rc, log = ocirun(rt, work, "checkpoint", "--image-path", Path(work) / "img2", c.id)
    assert rc == 1 and "is created" in one_line(log) and "running" in log, log
    assert c.state()["status"] == "created"
    c.delete(force=True)
    c2 = counter_container(ctr)
    run_detached(c2, work)
    c2.kill("KILL")
    c2.wait(timeout=30)
    rc, log = ocirun(rt, work, "checkpoint", "--image-path", Path(work) / "img3", c2.id)
    assert rc == 1 and "is stopped" in one_line(log), log
    c2.delete()


def test_restore_missing_image_dir_leaves_nothing(ctr, rt, work):
    c = counter_container(ctr)
    snap = helpers.Snapshot(rt.root, work)
    rc, log = ocirun(rt, work, "restore", "-d", "--image-path", Path(work) / "nope", "--bundle", c.bundle, c.id)
    assert rc == 1
    line = one_line(log)
    assert "--image-path" in line and "nope" in line and "no such file" in line, line
    empty = Path(work) / "empty-img"
    empty.mkdir()
    rc, log = ocirun(rt, work, "restore", "-d", "--image-path", empty, "--bundle", c.bundle, c.id)
    assert rc == 1 and "no checkpoint there" in one_line(log), log
    assert snap.leaks() == []
    assert c.left_behind() == []


def test_restore_existing_id_is_an_error(ctr, rt, work):
    c = counter_container(ctr)
    pid = run_detached(c, work)
    fake = Path(work) / "fake-img"
    fake.mkdir()
    (fake / "inventory.img").write_bytes(b"")
    rc, log = ocirun(rt, work, "restore", "-d", "--image-path", fake, "--bundle", c.bundle, c.id)
    if shutil.which("criu") is None:
        assert rc == 1 and "criu" in one_line(log), log
    else:
        assert rc == 1 and "already exists" in one_line(log), log
    st = c.state()
    assert st["status"] == "running" and st["pid"] == pid
    assert c.cgroup_dirs()


@pytest.mark.skipif(CRIU_WORKS, reason="criu works here: the tests above dump for real")
def test_checkpoint_fails_cleanly_without_working_criu(ctr, rt, work):
    """Here criu cannot dump (CRIU_REASON): checkpoint fails in one line
    naming criu's log, and the container runs on untouched."""
    c = counter_container(ctr)
    pid = run_detached(c, work)
    n = wait_count(c, 3)
    before = sorted(os.listdir(c.state_dir()))
    img = Path(work) / "img"
    rc, log = ocirun(rt, work, "checkpoint", "--image-path", img, c.id)
    assert rc == 1
    line = one_line(log)
    if shutil.which("criu") is None:
        assert "criu" in line and "not found" in line, line
    else:
        assert "criu dump failed" in line and str(img / "dump.log") in line, line
        assert (img / "dump.log").exists()
    st = c.state()
    assert st["status"] == "running" and st["pid"] == pid
    assert sorted(os.listdir(c.state_dir())) == before
    wait_count(c, n + 3)  # not left frozen
    assert c.cgroup_dirs()
    # a bad mode is refused before criu runs
    rc, log = ocirun(rt, work, "checkpoint", "--manage-cgroups-mode", "bogus", "--image-path", img, c.id)
    assert rc == 1 and "--manage-cgroups-mode" in one_line(log), log
    assert c.state()["status"] == "running"
    os.kill(pid, 0)
    # paused (containerd pauses before it checkpoints): still paused after
    # the failure, not thawed behind the caller's back
    assert c.rt.run("pause", c.id).ok
    rc, log = ocirun(rt, work, "checkpoint", "--image-path", img, c.id)
    assert rc == 1 and ("criu" in one_line(log)), log
    assert c.state()["status"] == "paused"
    n = count(c)
    time.sleep(0.5)
    assert count(c) == n, "the failed checkpoint thawed a paused container"
    assert c.rt.run("resume", c.id).ok
    wait_count(c, n + 3)
