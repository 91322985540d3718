"""A bounded load test (issue 10): many lifecycles in parallel and many
containers alive at once, then the same leak checks as everywhere (no state
dir, cgroup, host mount or process left).  The figures (failures, leftovers,
containers per second) are printed; no assertion on time.

OCIRUN_LOAD_LIFECYCLES (500), OCIRUN_LOAD_PARALLEL (16), OCIRUN_LOAD_ALIVE
(200) change the sizes.
"""
import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import helpers
from helpers import rtlib

LIFECYCLES = int(os.environ.get("OCIRUN_LOAD_LIFECYCLES", "500"))
PARALLEL = int(os.environ.get("OCIRUN_LOAD_PARALLEL", "16"))
ALIVE = int(os.environ.get("OCIRUN_LOAD_ALIVE", "200"))


class Load:
    def __init__(self, rt, work, template):
        self.rt = rt
        self.work = Path(work)
        # one rootfs for every container (read-only: each gets its own
        # mount namespace over it), one small bundle dir per container
        self.rootfs = self.work / "rootfs"
        subprocess.run(["cp", "-a", str(template), str(self.rootfs)], check=True)
        self.base = helpers.default_config()
        self.base["process"]["args"] = ["sleep", "1000"]
        self.base["root"] = {"path": str(self.rootfs), "readonly": True}
        self.ids = []
        self.lock = threading.Lock()
        self.failures = []

    def bundle(self, cid):
        b = self.work / "b" / cid
        b.mkdir(parents=True)
        cfg = helpers.deepcopy(self.base)
        cfg["linux"]["cgroupsPath"] = "%s/%s" % (helpers.CGROUP_PREFIX, cid)
        helpers.bundlelib.write_config(b, cfg)
        return b

    def new_id(self):
        cid = helpers.new_id("ld")
        with self.lock:
            helpers.OWN_IDS.add(cid)
            self.ids.append(cid)
        return cid

    def oc(self, cid, *args):
        """Run `ocirun --root R ARGS`; stdio to files (a container holds what
        it inherits).  Returns (rc, stdout, stderr)."""
        d = self.work / "b" / cid
        with open(d / "out", "wb") as o, open(d / "err", "wb") as e:
            p = subprocess.run(self.rt.argv(*args), stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=120)
        return p.returncode, (d / "out").read_text(errors="replace"), (d / "err").read_text(errors="replace")

    def must(self, cid, *args):
        rc, out, err = self.oc(cid, *args)
        if rc != 0:
            raise AssertionError("%s: rc=%d %s" % (" ".join(map(str, args)), rc, err.strip()))
        return out

    def fail(self, cid, what):
        with self.lock:
            self.failures.append("%s: %s" % (cid, what))

    def status(self, cid):
        return json.loads(self.must(cid, "state", cid))["status"]

    def wait_status(self, cid, want, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            s = self.status(cid)
            if s == want or time.monotonic() > deadline:
                return s
            time.sleep(0.01)

    def lifecycle(self, _):
        cid = self.new_id()
        try:
            b = self.bundle(cid)
            self.must(cid, "create", "--bundle", b, cid)
            if self.status(cid) != "created":
                raise AssertionError("not created after create")
            self.must(cid, "start", cid)
            if self.status(cid) != "running":
                raise AssertionError("not running after start")
            self.must(cid, "kill", cid, "KILL")
            s = self.wait_status(cid, "stopped")
            if s != "stopped":
                raise AssertionError("still %s after kill KILL" % s)
            self.must(cid, "delete", cid)
        except Exception as e:  # noqa: BLE001
            self.fail(cid, "lifecycle: %s" % e)
            self.oc(cid, "delete", "--force", cid)

    def bring_up(self, _):
        cid = self.new_id()
        try:
            b = self.bundle(cid)
            self.must(cid, "create", "--bundle", b, cid)
            self.must(cid, "start", cid)
        except Exception as e:  # noqa: BLE001
            self.fail(cid, "create+start: %s" % e)
        return cid

    def tear_down(self, cid):
        try:
            self.must(cid, "delete", "--force", cid)
        except Exception as e:  # noqa: BLE001
            self.fail(cid, "delete --force: %s" % e)

    def leftovers(self, before):
        out = []
        state = sorted(set(os.listdir(self.rt.root)) & set(self.ids)) if os.path.isdir(self.rt.root) else []
        if state:
            out.append("%d state dirs: %s" % (len(state), state[:5]))
        cg = [d for cid in self.ids for d in helpers.cgroup_dirs_for("%s/%s" % (helpers.CGROUP_PREFIX, cid))]
        if cg:
            out.append("%d cgroup dirs: %s" % (len(cg), [str(d) for d in cg[:5]]))
        mn = helpers.mounts_mentioning(self.work)
        if mn:
            out.append("%d host mounts: %s" % (len(mn), mn[:3]))
        rtlib.reap_orphans()
        pr = {p for p in (helpers.descendants() | helpers.procs_rooted_in(self.rootfs)) - before if rtlib.pid_alive(p)}
        if pr:
            out.append("%d processes: %s" % (len(pr), [helpers.proc_desc(p) for p in sorted(pr)[:5]]))
        return out

    def settled_leftovers(self, before, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            left = self.leftovers(before)
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.05)


@pytest.fixture
def load(rt, work, rootfs_template):
    return Load(rt, work, rootfs_template)


@pytest.mark.slow
def test_load_lifecycles(load):
    """LIFECYCLES create/start/state/kill/delete, PARALLEL at a time."""
    before = helpers.descendants()
    t0 = time.monotonic()
    with ThreadPoolExecutor(PARALLEL) as ex:
        list(ex.map(load.lifecycle, range(LIFECYCLES)))
    dt = time.monotonic() - t0
    left = load.settled_leftovers(before)
    print("\nload: %d lifecycles, %d in parallel: %d failures, %d kinds of leftovers, %.1f s, %.1f containers/s"
          % (LIFECYCLES, PARALLEL, len(load.failures), len(left), dt, LIFECYCLES / dt))
    assert not load.failures, "\n".join(load.failures[:20])
    assert not left, left


@pytest.mark.slow
def test_load_many_alive(load):
    """ALIVE containers running at once: list sees them all, ps and
    kill --all reach them, delete --force removes them all."""
    before = helpers.descendants()
    t0 = time.monotonic()
    with ThreadPoolExecutor(PARALLEL) as ex:
        ids = list(ex.map(load.bring_up, range(ALIVE)))
    up = time.monotonic() - t0
    rc, out, err = load.oc(ids[0], "list", "--format", "json")
    listed = {c["id"]: c["status"] for c in json.loads(out or "[]")} if rc == 0 else {}
    if rc != 0:
        load.fail("-", "list: rc=%d %s" % (rc, err.strip()))
    running = [cid for cid in ids if listed.get(cid) == "running"]
    if len(running) != len(ids):
        load.fail("-", "list: %d of %d running" % (len(running), len(ids)))
    for cid in ids[:10]:
        rc, out, err = load.oc(cid, "ps", "--format", "json", cid)
        if rc != 0 or len(json.loads(out or "[]")) != 1:
            load.fail(cid, "ps: rc=%d %r %s" % (rc, out, err.strip()))
    for cid in ids[::2]:
        rc, out, err = load.oc(cid, "kill", "--all", cid, "KILL")
        if rc != 0:
            load.fail(cid, "kill --all: rc=%d %s" % (rc, err.strip()))
    t1 = time.monotonic()
    with ThreadPoolExecutor(PARALLEL) as ex:
        list(ex.map(load.tear_down, ids))
    down = time.monotonic() - t1
    left = load.settled_leftovers(before)
    print("\nload: %d alive at once (%d in parallel): %d listed running, %d failures, %d kinds of leftovers; "
          "up %.1f s (%.1f containers/s), down %.1f s (%.1f containers/s)"
          % (ALIVE, PARALLEL, len(running), len(load.failures), len(left), up, ALIVE / up, down, ALIVE / down))
    assert not load.failures, "\n".join(load.failures[:20])
    assert not left, left
