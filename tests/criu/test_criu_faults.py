"""`checkpoint` and `restore` SIGKILLed half-way (issue 10, docs/faults.md).

Runs where `criu check` passes (the qemu lane, tests/vm/ci.sh); elsewhere it
skips with criu's reason.  The runtime is killed at random delays (a fixed
seed) within the verb's own run time; after each kill `state` answers,
`kill KILL` works on whatever is not stopped (a cgroup a killed dump left
frozen is thawed), and `delete --force` leaves no state dir, cgroup or
process.  OCIRUN_CRIU_FAULT_TRIES (4) tries per verb.
"""
import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from helpers import default_config, rtlib

TRIES = int(os.environ.get("OCIRUN_CRIU_FAULT_TRIES", "4"))
COUNTER = "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done"


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
    return False, "`criu check` fails on kernel %s: %s" % (os.uname().release, lines[-1] if lines else "?")


CRIU_WORKS, CRIU_REASON = _criu_check()
pytestmark = pytest.mark.skipif(not CRIU_WORKS, reason=CRIU_REASON)


@pytest.fixture
def work(session_dir):
    """On its own tmpfs (criu and the guest's overlayfs-on-9p root do not mix)."""
    d = session_dir / ("cf-" + helpers.new_id("t"))
    d.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", str(d)], check=True)
    yield d
    subprocess.run(["umount", "-l", str(d)], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def oc(rt, *args, timeout=300):
    """(rc, stdout, error log) of `ocirun --log L ARGS`: a detached
    container keeps the stdio it inherits, and criu can dump only /dev/null
    or pipes there, so stdio is /dev/null (`state`: a pipe, it starts nothing)."""
    log = Path(rt.root).parent / "oc.log"
    if log.exists():
        log.unlink()
    p = subprocess.run([rt.path, "--root", rt.root, "--log", str(log)] + [str(a) for a in args],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if args[0] == "state" else subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout)
    return p.returncode, (p.stdout or b"").decode(), log.read_text(errors="replace") if log.exists() else ""


def timed_kill(rt, delay, *args):
    """Start `ocirun ARGS`, SIGKILL it after `delay` s (if still running)."""
    p = subprocess.Popen([rt.path, "--root", rt.root] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.kill()
    p.wait(timeout=120)
    return p.returncode == -signal.SIGKILL


def check_and_delete(c, work):
    """state, kill, delete --force; returns what is wrong (empty: clean)."""
    problems = []
    rc, out, err = oc(c.rt, "state", c.id)
    if rc != 0:
        if "does not exist" not in err:
            problems.append("state: %s" % err.strip())
    else:
        st = json.loads(out)
        if st["status"] != "stopped":
            rc, _, err = oc(c.rt, "kill", c.id, "KILL")
            if rc != 0 and "is stopped" not in err:
                problems.append("kill KILL of a %s container: %s" % (st["status"], err.strip()))
    rc, _, err = oc(c.rt, "delete", "--force", c.id)
    if rc != 0:
        problems.append("delete --force: %s" % err.strip())
    deadline = time.monotonic() + 10
    while True:
        rtlib.reap_orphans()
        left = []
        if c.state_dir().exists():
            left.append("state dir")
        if c.cgroup_dirs():
            left.append("cgroups %s" % [str(d) for d in c.cgroup_dirs()])
        # criu's own mounts (its cgroup yard in the image dir) included
        mn = [ln for ln in helpers.mounts_mentioning(work) if ln.split()[4] != str(work)]
        if mn:
            left.append("host mounts %s" % mn)
        pr = helpers.procs_rooted_in(c.bundle)
        if pr:
            left.append("processes %s" % [helpers.proc_desc(p) for p in sorted(pr)])
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return problems + left


def run_counter(c):
    rc, _, err = oc(c.rt, "run", "-d", "--bundle", c.bundle, "--pid-file", c.pid_file, c.id)
    assert rc == 0, err
    c.pid = int(Path(c.pid_file).read_text())


def test_checkpoint_killed_half_way(ctr, work):
    rnd = random.Random("checkpoint")
    c = ctr(default_config(["/bin/sh", "-c", COUNTER]))
    run_counter(c)
    t0 = time.monotonic()
    rc, _, err = oc(c.rt, "checkpoint", "--leave-running", "--image-path", Path(work) / "probe", c.id)
    span = time.monotonic() - t0
    assert rc == 0, err
    failures, killed = [], 0
    for i in range(TRIES):
        img = Path(work) / ("img%d" % i)
        killed += timed_kill(c.rt, rnd.uniform(0, span), "checkpoint", "--image-path", img, c.id)
        failures += ["try %d: %s" % (i, p) for p in check_and_delete(c, work)]
        shutil.rmtree(img, ignore_errors=True)
        run_counter(c)
    print("\ncheckpoint: %d tries, delays 0..%.0f ms, %d killed mid-way, %d failures" % (
        TRIES, span * 1000, killed, len(failures)))
    assert not failures, failures


def test_restore_killed_half_way(ctr, work):
    rnd = random.Random("restore")
    c = ctr(default_config(["/bin/sh", "-c", COUNTER]))
    run_counter(c)
    img = Path(work) / "img"
    rc, _, err = oc(c.rt, "checkpoint", "--image-path", img, c.id)
    assert rc == 0, err
    t0 = time.monotonic()
    rc, _, err = oc(c.rt, "restore", "-d", "--image-path", img, "--bundle", c.bundle, c.id)
    span = time.monotonic() - t0
    assert rc == 0, err
    failures = check_and_delete(c, work)
    killed = 0
    for i in range(TRIES):
        killed += timed_kill(c.rt, rnd.uniform(0, span), "restore", "-d", "--image-path", img, "--bundle",
                             c.bundle, c.id)
        failures += ["try %d: %s" % (i, p) for p in check_and_delete(c, work)]
    print("\nrestore: %d tries, delays 0..%.0f ms, %d killed mid-way, %d failures" % (
        TRIES, span * 1000, killed, len(failures)))
    assert not failures, failures
