"""The cgroup verbs through the CLI: update, pause/resume, ps, events,
kill --all, delete --force of a paused container."""
import json
import os
import re
import select
import signal
import subprocess
import time

import pytest

import helpers
from cglib import LAYOUT, cfg_with, pids_in
from helpers import rtlib, status_of, wait_for

MiB = 1024 * 1024


def running(cctr, args=("/probe", "pause"), resources=None, pidns=True):
    c = cctr(cfg_with(list(args), resources, pidns=pidns))
    c.create()
    c.start()
    wait_for(lambda: status_of(c.rt, c.id) == "running")
    return c


def ok(r):
    assert r.rc == 0, r
    return r


# ---------------------------------------------------------------- update
def test_update_flags_change_the_files(cctr):
    c = running(cctr, resources={"memory": {"limit": 64 * MiB}, "pids": {"limit": 20},
                                 "cpu": {"shares": 1024}})
    ok(c.rt.run("update", "--memory", "96m", "--pids-limit", "10", "--cpu-shares", "256",
                "--cpu-quota", "20000", "--cpu-period", "100000", c.id))
    assert c.read("pids", "pids.max") == "10"
    if LAYOUT.is_v2:
        assert c.read("memory", "memory.max") == str(96 * MiB)
        assert c.read("cpu", "cpu.weight") == str(1 + ((256 - 2) * 9999) // 262142)
        assert c.read("cpu", "cpu.max") == "20000 100000"
    else:
        assert c.read("memory", "memory.limit_in_bytes") == str(96 * MiB)
        assert c.read("cpu", "cpu.shares") == "256"
        assert c.read("cpu", "cpu.cfs_quota_us") == "20000"
        assert c.read("cpu", "cpu.cfs_period_us") == "100000"
    assert status_of(c.rt, c.id) == "running"


def test_update_resources_json_file_and_stdin(cctr, work):
    c = running(cctr, resources={"pids": {"limit": 20}, "memory": {"limit": 64 * MiB}})
    f = work / "res.json"
    f.write_text(json.dumps({"pids": {"limit": 30}, "memory": {"limit": 80 * MiB}}))
    ok(c.rt.run("update", "--resources", str(f), c.id))
    assert c.read("pids", "pids.max") == "30"
    mem = c.read("memory", "memory.max" if LAYOUT.is_v2 else "memory.limit_in_bytes")
    assert mem == str(80 * MiB)
    ok(c.rt.run("update", "--resources", "-", c.id, input=json.dumps({"pids": {"limit": -1}})))
    assert c.read("pids", "pids.max") == "max"


def test_update_memory_and_swap(cctr):
    c = running(cctr, resources={"memory": {"limit": 64 * MiB, "swap": 64 * MiB}})
    # growing the pair: on v1 memsw must be raised before the limit
    ok(c.rt.run("update", "--memory", "128m", "--memory-swap", "256m", c.id))
    if LAYOUT.is_v2:
        assert c.read("memory", "memory.max") == str(128 * MiB)
        assert c.read("memory", "memory.swap.max") == str(128 * MiB)
    else:
        assert c.read("memory", "memory.limit_in_bytes") == str(128 * MiB)
        if (c.cgdir("memory") / "memory.memsw.limit_in_bytes").exists():
            assert c.read("memory", "memory.memsw.limit_in_bytes") == str(256 * MiB)
    # shrinking it: the other order
    ok(c.rt.run("update", "--memory", "48m", "--memory-swap", "48m", c.id))
    if LAYOUT.is_v2:
        assert c.read("memory", "memory.max") == str(48 * MiB)
        assert c.read("memory", "memory.swap.max") == "0"
    else:
        assert c.read("memory", "memory.limit_in_bytes") == str(48 * MiB)
        if (c.cgdir("memory") / "memory.memsw.limit_in_bytes").exists():
            assert c.read("memory", "memory.memsw.limit_in_bytes") == str(48 * MiB)


FORK = ["sh", "-c", "sleep 0 & wait; echo forked-ok"]


def test_update_pids_lowered_makes_fork_fail(cctr):
    """Lowering pids.limit below what runs makes forks inside fail; raising
    it again lets them succeed."""
    c = running(cctr, resources={"pids": {"limit": 20}})
    r = c.rt.run("exec", c.id, "--", *FORK, timeout=60)
    assert r.rc == 0 and "forked-ok" in r.out, r
    ok(c.rt.run("update", "--pids-limit", "1", c.id))
    assert c.read("pids", "pids.max") == "1"
    r = c.rt.run("exec", c.id, "--", *FORK, timeout=60)
    assert r.rc != 0 and "forked-ok" not in r.out, r
    ok(c.rt.run("update", "--pids-limit", "20", c.id))
    r = c.rt.run("exec", c.id, "--", *FORK, timeout=60)
    assert r.rc == 0 and "forked-ok" in r.out, r
    assert status_of(c.rt, c.id) == "running"


def test_update_cpuset(cctr):
    cpus = sorted(os.sched_getaffinity(0))
    c = running(cctr, args=["sh", "-c", "while :; do sleep 1; done"], resources={"cpu": {"cpus": str(cpus[0])}})
    assert c.read("cpuset", "cpuset.cpus") == str(cpus[0])
    ok(c.rt.run("update", "--cpuset-cpus", str(cpus[-1]), c.id))
    assert c.read("cpuset", "cpuset.cpus") == str(cpus[-1])
    # a new process inherits the new affinity
    r = ok(c.rt.run("exec", c.id, "--", "/probe", "affinity", timeout=60))
    p = json.loads(r.out.strip().splitlines()[0])
    assert [int(x) for x in p["affinity"]] == [cpus[-1]], p


# ---------------------------------------------------------------- pause / resume
# `1<>` does not truncate: the file always holds a whole number (i only
# grows, so each write covers the previous one)
COUNTER = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i 1<>/tmp/c; done"]


def counter(c):
    def read():
        try:
            t = (c.rootfs / "tmp" / "c").read_text().strip()
            return int(t) if t else None
        except (OSError, ValueError):
            return None
    return wait_for(read, timeout=30)


def frozen(c):
    if LAYOUT.is_v2:
        return re.search(r"^frozen 1$", c.read("pids", "cgroup.events"), re.M) is not None
    return c.read("freezer", "freezer.state") == "FROZEN"


def test_pause_freezes_and_resume_continues(cctr):
    c = running(cctr, args=COUNTER)
    first = counter(c)
    wait_for(lambda: counter(c) > first, timeout=30)
    ok(c.rt.run("pause", c.id))
    assert status_of(c.rt, c.id) == "paused"
    assert frozen(c)
    v = counter(c)
    # frozen: the counter does not move, however long we look
    for _ in range(10):
        time.sleep(0.05)
        assert counter(c) == v
    ok(c.rt.run("resume", c.id))
    assert status_of(c.rt, c.id) == "running"
    assert not frozen(c)
    wait_for(lambda: counter(c) > v, timeout=30)


def test_exec_into_paused_container_is_refused(cctr):
    c = running(cctr)
    ok(c.rt.run("pause", c.id))
    r = c.rt.run("exec", c.id, "--", "true", timeout=30)
    helpers.one_line_error(r)
    assert status_of(c.rt, c.id) == "paused"
    ok(c.rt.run("resume", c.id))


def test_pause_resume_errors(cctr):
    c = running(cctr)
    r = c.rt.run("resume", c.id)
    helpers.one_line_error(r)  # not paused
    ok(c.rt.run("pause", c.id))
    r = c.rt.run("delete", c.id)
    helpers.one_line_error(r)  # paused is not stopped
    assert status_of(c.rt, c.id) == "paused"
    ok(c.rt.run("resume", c.id))


def test_delete_force_paused_container(cctr):
    c = running(cctr, args=["sh", "-c", "sleep 1000 & sleep 1000 & wait"])
    wait_for(lambda: len(c.procs()) == 3)
    pids = c.procs()
    ok(c.rt.run("pause", c.id))
    assert status_of(c.rt, c.id) == "paused"
    ok(c.rt.run("delete", "--force", c.id, timeout=60))
    for p in pids:
        wait_for(lambda: not rtlib.pid_alive(p), timeout=30)
    assert c.left_behind() == []
    assert c.cgroup_dirs() == []


# ---------------------------------------------------------------- ps
def test_ps_json_lists_init_and_exec(cctr, work):
    c = running(cctr)
    pidf = work / "exec.pid"
    # the detached process inherits our stdio: no pipes, or run() would wait for it
    with open(work / "exec.err", "w+b") as e:
        r = c.rt.run("exec", "-d", "--pid-file", str(pidf), c.id, "--", "sleep", "1000", timeout=60,
                     stdout=subprocess.DEVNULL, stderr=e)
        e.seek(0)
        assert r.rc == 0, (r, e.read())
    epid = int(wait_for(lambda: pidf.exists() and pidf.read_text().strip()))
    r = ok(c.rt.run("ps", "--format", "json", c.id))
    pids = json.loads(r.out)
    assert isinstance(pids, list)
    assert c.pid in pids and epid in pids, (c.pid, epid, pids)
    assert sorted(pids) == sorted(c.procs())
    # the table form runs ps(1) and shows both too
    r = c.rt.run("ps", c.id)
    if r.rc == 0:
        cols = [ln.split() for ln in r.out.splitlines()[1:]]
        assert {str(c.pid), str(epid)} <= {x[1] for x in cols if len(x) > 1}, r.out


# ---------------------------------------------------------------- events
def test_events_stats(cctr):
    c = running(cctr, resources={"memory": {"limit": 64 * MiB}, "pids": {"limit": 20}})
    r = ok(c.rt.run("events", "--stats", c.id, timeout=60))
    lines = [ln for ln in r.out.splitlines() if ln.strip()]
    assert len(lines) == 1, r.out
    ev = json.loads(lines[0])
    assert ev["type"] == "stats" and ev["id"] == c.id, ev
    data = ev["data"]
    assert data["pids"]["current"] >= 1, data["pids"]
    assert data["pids"]["limit"] == 20, data["pids"]
    mem = data["memory"]
    assert mem["usage"]["usage"] > 0, mem
    assert mem["usage"]["limit"] == 64 * MiB, mem
    assert data["cpu"]["usage"]["total"] > 0, data["cpu"]


def test_events_interval_streams_until_stop(cctr):
    c = running(cctr)
    p = subprocess.Popen(c.rt.argv("events", "--interval", "1s", c.id), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        r, _, _ = select.select([p.stdout], [], [], 60)
        assert r, "no event in 60s"
        ev = json.loads(p.stdout.readline())
        assert ev["type"] == "stats" and ev["id"] == c.id, ev
        ok(c.rt.kill(c.id, "KILL"))
        c.wait(30)
        p.wait(60)  # the stream ends when the container stops
        assert p.returncode == 0, (p.returncode, p.stderr.read())
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- kill --all
@pytest.mark.parametrize("sig", ["KILL", "TERM"])
def test_kill_all(cctr, sig):
    """Without a pid namespace, killing init alone would leave its children:
    kill --all reaches every process of the cgroup."""
    c = running(cctr, args=["sh", "-c", "sleep 1000 & sleep 1000 & sleep 1000 & wait"], pidns=False)
    wait_for(lambda: len(c.procs()) == 4)
    pids = c.procs()
    ok(c.rt.run("kill", "--all", c.id, sig))
    for p in pids:
        wait_for(lambda: (rtlib.reap_orphans(), not rtlib.pid_alive(p))[1], timeout=30)
    assert c.procs() == []
    wait_for(lambda: status_of(c.rt, c.id) == "stopped")


def test_kill_all_paused(cctr):
    """SIGKILL reaches a paused container's processes (it is thawed)."""
    c = running(cctr, args=["sh", "-c", "sleep 1000 & wait"], pidns=False)
    wait_for(lambda: len(c.procs()) == 2)
    pids = c.procs()
    ok(c.rt.run("pause", c.id))
    ok(c.rt.run("kill", "--all", c.id, "KILL"))
    for p in pids:
        wait_for(lambda: (rtlib.reap_orphans(), not rtlib.pid_alive(p))[1], timeout=30)
    wait_for(lambda: status_of(c.rt, c.id) == "stopped")
    ok(c.rt.run("delete", c.id))
    assert c.cgroup_dirs() == []


def test_kill_paused_init(cctr):
    """SIGKILL to a paused container's init (no --all) thaws it, as runc
    does: in a frozen cgroup v1 the init cannot die, and containerd's
    `ctr task kill -s KILL` of a paused task would never see it exit.
    Other signals leave it frozen."""
    c = running(cctr, args=["sleep", "1000"])
    pid = c.pid
    ok(c.rt.run("pause", c.id))
    ok(c.rt.run("kill", c.id, "TERM"))  # sleep as pid 1 ignores it; stays paused
    assert status_of(c.rt, c.id) == "paused"
    ok(c.rt.run("kill", c.id, "KILL"))
    wait_for(lambda: (rtlib.reap_orphans(), not rtlib.pid_alive(pid))[1], timeout=30)
    wait_for(lambda: status_of(c.rt, c.id) == "stopped")
    ok(c.rt.run("delete", c.id))
    assert c.cgroup_dirs() == []
