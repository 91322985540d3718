"""Fault injection (issue 10): the runtime SIGKILLed at any instant leaves a
container that its own verbs still see truthfully and remove completely.

Two ways to kill `create`, `start`, `exec -d` and `delete --force` (and
`update`) half-way:

  * at every fault point: OCIRUN_FAULT_STEP=N makes the runtime SIGKILL
    itself at its N-th point (each sync message sent or received, each
    state record write, named steps of start/delete; OCIRUN_FAULT_TRACE=1
    lists them).  The knob exists only in a binary configured with
    --enable-fault-injection (tests/run.sh --asan builds one); against any
    other binary these tests skip, saying so.
  * at random delays (a fixed seed) with SIGKILL from outside: any binary.

After every try: `state` answers (valid JSON, or "does not exist"), and a
container it calls stopped has no process left; `kill ID KILL` reaches what
is left; then the container is removed (`delete --force`, or on every other
try `kill` + `state` + plain `delete`), and nothing may be left: no state
dir, no cgroup dir, no host mount naming the bundle, no process (ours or
re-parented to us, the session being a subreaper).  Before the runtime
recorded a container as created, its processes must also die *on their
own*: nothing may outlive a dead runtime before `create` returned.

OCIRUN_FAULT_TRIES (default 100) random tries per verb; OCIRUN_FAULT_SEED
(default 10) the seed.
"""
import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from helpers import rtlib

TRIES = int(os.environ.get("OCIRUN_FAULT_TRIES", "100"))
SEED = int(os.environ.get("OCIRUN_FAULT_SEED", "10"))
SETTLE = 10.0  # seconds a dying leftover gets to go away on its own

TRACE_RE = re.compile(r"^ocirun-fault: (\d+) (\S+)$", re.M)


def reap_others(exclude):
    """Reap our exited children but those in `exclude` (their Popen does)."""
    while True:
        try:
            r = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if r is None or r.si_pid in exclude:
            return
        try:
            pid, status = os.waitpid(r.si_pid, 0)
        except ChildProcessError:
            return
        rtlib._reaped[pid] = status


class Rig:
    """One bundle (the config rewritten per try with a fresh id and cgroup),
    the runtime driver, and the per-try leak checks."""

    def __init__(self, rt, work, template):
        self.rt = rt
        self.work = Path(work)
        c = helpers.OcirunContainer(rt, work, rootfs_template=template, cid=helpers.new_id("fb"))
        self.bundle = c.bundle
        self.base = c.config
        self.base["process"]["args"] = ["sleep", "1000"]
        self.out = self.bundle / "out"
        self.err = self.bundle / "err"
        self.failures = []

    # --- running the runtime -------------------------------------------
    def new_container(self):
        cid = helpers.new_id("fi")
        helpers.OWN_IDS.add(cid)
        cfg = helpers.deepcopy(self.base)
        cfg["linux"]["cgroupsPath"] = "%s/%s" % (helpers.CGROUP_PREFIX, cid)
        helpers.bundlelib.write_config(self.bundle, cfg)
        return cid

    def argv(self, verb, cid):
        if verb == "create":
            return self.rt.argv("create", "--bundle", self.bundle, cid)
        if verb == "start":
            return self.rt.argv("start", cid)
        if verb == "exec":
            return self.rt.argv("exec", "-d", cid, "sleep", "1000")
        if verb == "delete":
            return self.rt.argv("delete", "--force", cid)
        if verb == "update":
            return self.rt.argv("update", "--pids-limit", "200", "--memory", "64M", cid)
        raise ValueError(verb)

    def spawn(self, verb, cid, env=None):
        # the container's stdio are files: a pipe would be held open by it
        with open(self.out, "ab") as o, open(self.err, "wb") as e:
            return subprocess.Popen(self.argv(verb, cid), stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                                    env=env)

    def wait(self, p, timeout=60, kill_after=None):
        """Wait for Popen p while reaping every other exited child: we are
        the session's subreaper, and a pid namespace's init cannot finish
        dying while a process of its namespace re-parented to us (an exec'd
        process of a killed runtime) is an unreaped zombie."""
        t0 = time.monotonic()
        killed = False
        while p.poll() is None:
            reap_others({p.pid})
            now = time.monotonic() - t0
            if kill_after is not None and not killed and now >= kill_after:
                p.kill()
                killed = True
            if now > timeout:
                p.kill()
                p.wait()
                raise AssertionError("%s: still running after %ds" % (p.args, timeout))
            time.sleep(0.0005 if kill_after is not None and not killed else 0.005)
        reap_others(set())
        return p.returncode

    def run(self, *args):
        """rtlib.Result of `ocirun --root R ARGS` (reaping as in wait())."""
        with open(self.out, "ab") as o, open(self.bundle / "run-err", "wb") as e:
            p = subprocess.Popen(self.rt.argv(*args), stdin=subprocess.DEVNULL, stdout=o, stderr=e)
            rc = self.wait(p)
        err = (self.bundle / "run-err").read_text(errors="replace")
        return rtlib.Result(p.args, rc, "", err)

    def err_text(self):
        try:
            return self.err.read_text(errors="replace")
        except OSError:
            return ""

    def must(self, *args):
        r = self.run(*args)
        if r.rc != 0:
            raise AssertionError("%s: rc=%d %s" % (" ".join(map(str, args)), r.rc, r.err))

    def prepare(self, verb, cid):
        """Bring a new container to where `verb` applies."""
        if verb == "create":
            return
        self.must("create", "--bundle", self.bundle, cid)
        if verb in ("start",):
            return
        self.must("start", cid)

    def timed(self, verb, env=None):
        """Run `verb` once, whole, on a fresh container; return its duration,
        its fault-point trace and the cleanup check's findings."""
        cid = self.new_container()
        before = helpers.descendants()
        self.prepare(verb, cid)
        t0 = time.monotonic()
        p = self.spawn(verb, cid, env=env)
        self.wait(p)
        dt = time.monotonic() - t0
        trace = TRACE_RE.findall(self.err_text())
        assert p.returncode == 0, "%s failed: %s" % (verb, self.err_text())
        problems = self.check_and_clean(cid, before, "whole %s" % verb)
        return dt, trace, problems

    # --- the checks after a fault ---------------------------------------
    def cgroup_dirs(self, cid):
        return helpers.cgroup_dirs_for("%s/%s" % (helpers.CGROUP_PREFIX, cid))

    def cgroup_pids(self, cid):
        pids = set()
        for d in self.cgroup_dirs(cid):
            for p in [d] + [x for x in d.rglob("*") if x.is_dir()]:
                try:
                    pids |= {int(x) for x in (p / "cgroup.procs").read_text().split()}
                except (OSError, ValueError):
                    pass
        return {p for p in pids if rtlib.pid_alive(p)}

    def procs(self, cid, before):
        rtlib.reap_orphans()
        new = {p for p in helpers.descendants() - before if rtlib.pid_alive(p)}
        return new | self.cgroup_pids(cid) | helpers.procs_rooted_in(self.bundle)

    def state(self, cid):
        with open(self.bundle / "state-out", "wb") as o, open(self.bundle / "run-err", "wb") as e:
            p = subprocess.Popen(self.rt.argv("state", cid), stdin=subprocess.DEVNULL, stdout=o, stderr=e)
            rc = self.wait(p)
        r = rtlib.Result(p.args, rc, (self.bundle / "state-out").read_text(),
                         (self.bundle / "run-err").read_text(errors="replace"))
        if r.rc != 0:
            return None, r
        return json.loads(r.out), r

    def check_and_clean(self, cid, before, what, plain_delete=False):
        """The checks after a try; returns a list of problems (empty: clean)."""
        problems = []
        st, r = self.state(cid)
        if st is None:
            if "does not exist" not in r.err:
                problems.append("state: rc=%d %r" % (r.rc, r.err.strip()))
        else:
            status = st.get("status")
            if status not in ("creating", "created", "running", "paused", "stopped"):
                problems.append("state: status %r" % status)
            if status == "stopped":
                # processes only go away after a fault: one seen now was
                # alive when `state` said stopped
                left = self.cgroup_pids(cid)
                if left:
                    problems.append("state says stopped, yet %s run in its cgroup" % sorted(left))
            else:
                if status == "created":
                    # truthful: a container called created waits for `start`
                    s2 = self.run("start", cid)
                    if s2.rc != 0:
                        problems.append("state says created, but start: rc=%d %r" % (s2.rc, s2.err.strip()))
                k = self.run("kill", cid, "KILL")
                # it may have died on its own in between
                if k.rc != 0 and "is stopped" not in k.err:
                    problems.append("kill KILL of a %s container: rc=%d %r" % (status, k.rc, k.err.strip()))
        if plain_delete:
            # `kill` then `state` until stopped, then a plain `delete`
            deadline = time.monotonic() + 15
            while True:
                st, r = self.state(cid)
                if st is None or st.get("status") == "stopped" or time.monotonic() > deadline:
                    break
                rtlib.reap_orphans()
                time.sleep(0.02)
            d = self.run("delete", cid)
            if d.rc != 0 and not (st is None and "does not exist" in d.err and not (Path(self.rt.root) / cid).exists()):
                problems.append("delete (state %r): rc=%d %r" % (st and st.get("status"), d.rc, d.err.strip()))
        else:
            d = self.run("delete", "--force", cid)
            if d.rc != 0:
                problems.append("delete --force: rc=%d %r" % (d.rc, d.err.strip()))
        # what is left (a SIGKILLed process takes a moment to be reaped)
        deadline = time.monotonic() + 5
        while True:
            left = self.leftovers(cid, before)
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        problems += left
        if problems:
            self.cleanup(cid, before)
            problems = ["%s (%s): %s" % (cid, what, "; ".join(problems))]
        return problems

    def leftovers(self, cid, before):
        out = []
        if (Path(self.rt.root) / cid).exists():
            out.append("state dir %s (%s)" % (cid, sorted(os.listdir(Path(self.rt.root) / cid))))
        cg = self.cgroup_dirs(cid)
        if cg:
            out.append("cgroups %s" % [str(d) for d in cg])
        mn = helpers.mounts_mentioning(self.bundle)
        if mn:
            out.append("mounts %s" % mn)
        pr = self.procs(cid, before)
        if pr:
            out.append("processes %s" % [helpers.proc_desc(p) for p in sorted(pr)])
        return out

    def settle_alone(self, cid, before):
        """After a runtime killed before the container was recorded as
        created: its processes go away on their own.  Returns what is still
        alive after SETTLE seconds (empty: good)."""
        deadline = time.monotonic() + SETTLE
        while True:
            pr = self.procs(cid, before)
            if not pr or time.monotonic() > deadline:
                return pr
            time.sleep(0.02)

    def cleanup(self, cid, before):
        """By hand, after a failed check (only this try's things)."""
        for p in self.procs(cid, before):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        helpers.remove_cgroup("%s/%s" % (helpers.CGROUP_PREFIX, cid))
        import shutil
        shutil.rmtree(Path(self.rt.root) / cid, ignore_errors=True)
        rtlib.reap_orphans()

    # --- one try ----------------------------------------------------------
    def try_once(self, verb, step=None, delay=None, plain_delete=False, detached=None):
        """One try; `detached` (step mode): whether the runtime had already
        released what it started when it died."""
        cid = self.new_container()
        before = helpers.descendants()
        try:
            self.prepare(verb, cid)
        except AssertionError as e:
            self.failures.append("%s: preparing %s: %s" % (cid, verb, e))
            self.cleanup(cid, before)
            return
        env = None
        if step is not None:
            env = dict(os.environ, OCIRUN_FAULT_STEP=str(step))
        p = self.spawn(verb, cid, env=env)
        self.wait(p, kill_after=delay)
        killed = p.returncode == -signal.SIGKILL
        what = "%s %s" % (verb, "step %d" % step if step is not None else "after %.1f ms" % (delay * 1000))
        if not killed and p.returncode != 0:
            self.failures.append("%s (%s): the verb failed by itself: rc=%d %s" % (cid, what, p.returncode,
                                                                                    self.err_text().strip()))
        if killed and verb == "create":
            st, _ = self.state(cid)
            if st is None or st.get("status") not in ("created", "running"):
                # not recorded as created: it must not outlive the runtime
                alive = self.settle_alone(cid, before)
                if alive:
                    self.failures.append("%s (%s): outlived the killed runtime (state %r): %s" % (
                        cid, what, st and st.get("status"), [helpers.proc_desc(x) for x in sorted(alive)]))
        if killed and verb == "exec" and detached is False:
            # the exec'd process was not released yet: it must not outlive
            # the runtime (a half-set-up process left in the container)
            st, _ = self.state(cid)
            init = st.get("pid") if st else None
            deadline = time.monotonic() + SETTLE
            while True:
                extra = self.procs(cid, before) - {init}
                if not extra or time.monotonic() > deadline:
                    break
                rtlib.reap_orphans()
                time.sleep(0.02)
            if extra:
                self.failures.append("%s (%s): the unreleased exec process outlived the runtime: %s" % (
                    cid, what, [helpers.proc_desc(x) for x in sorted(extra)]))
        self.failures += self.check_and_clean(cid, before, what, plain_delete=plain_delete)
        return killed


@pytest.fixture
def rig(rt, work, rootfs_template):
    return Rig(rt, work, rootfs_template)


def has_knob(rig):
    env = dict(os.environ, OCIRUN_FAULT_TRACE="1")
    _, trace, problems = rig.timed("create", env=env)
    assert not problems, problems
    return bool(trace)


VERBS = ["create", "start", "exec", "delete"]


@pytest.mark.slow
@pytest.mark.parametrize("verb", VERBS)
def test_fault_at_every_point(rig, verb):
    """The runtime killed at each of its fault points (every sync message,
    every state write, the named steps), each point twice (ending with
    `delete --force`, then with `kill` + `state` + `delete`)."""
    if not has_knob(rig):
        pytest.skip("%s has no fault-injection knob (configure --enable-fault-injection; "
                    "tests/run.sh --asan builds one)" % helpers.ocirun_path())
    env = dict(os.environ, OCIRUN_FAULT_TRACE="1")
    _, trace, problems = rig.timed(verb, env=env)
    assert not problems, problems
    points = [(int(n), name) for n, name in trace]
    assert points, "no fault point in `%s`" % verb
    killed = 0
    released = False
    for n, name in points:
        released |= name == "recv:child-detached"
        for plain in (False, True):
            if rig.try_once(verb, step=n, plain_delete=plain, detached=released):
                killed += 1
    print("\nfault points of %s: %s; tries %d, killed %d, failures %d" % (
        verb, " ".join("%d:%s" % p for p in points), 2 * len(points), killed, len(rig.failures)))
    assert killed == 2 * len(points), "the knob did not kill the runtime at every point"
    assert not rig.failures, "\n".join(rig.failures)


@pytest.mark.slow
@pytest.mark.parametrize("verb", VERBS + ["update"])
def test_fault_random_delays(rig, verb):
    """SIGKILL from outside at random delays within the verb's own run time
    (fixed seed), TRIES times (a fifth for update)."""
    rnd = random.Random("%d-%s" % (SEED, verb))
    durations = [rig.timed(verb)[0] for _ in range(3)]
    span = max(durations) * 1.2
    tries = TRIES if verb != "update" else max(1, TRIES // 5)
    killed = 0
    for i in range(tries):
        if rig.try_once(verb, delay=rnd.uniform(0, span), plain_delete=bool(i % 2)):
            killed += 1
    print("\n%s: %d tries, delays 0..%.1f ms, %d killed mid-way, %d failures" % (
        verb, tries, span * 1000, killed, len(rig.failures)))
    assert not rig.failures, "\n".join(rig.failures[:20])


# ---- the defects of issue 10, one by one, with any binary ----------------

def no_pid_ns(cfg):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    return cfg


def test_leftover_of_a_killed_create_is_seen_killed_and_removed(rig):
    """The create killed while its container's createContainer hook runs
    (no pid namespace: what the hook started outlives the setup process, in
    the container's cgroup, as anything a hook daemonizes would).  `state`
    must not say "stopped" while those run, `kill KILL` reaches them, and
    plain `delete` then removes everything; a second one goes straight to
    `delete --force`.  (Before: "stopped", "no such process to signal", and
    `delete --force` failed with EBUSY on the cgroup, forever.)"""
    for how in ("kill-then-delete", "delete-force"):
        cid = rig.new_container()
        marker = rig.bundle / ("hook-ran-" + cid)
        cfg = no_pid_ns(helpers.deepcopy(rig.base))
        cfg["linux"]["cgroupsPath"] = "%s/%s" % (helpers.CGROUP_PREFIX, cid)
        cfg["hooks"] = {"createContainer": [{
            "path": "/bin/sh",
            "args": ["sh", "-c", "sleep 1000 </dev/null >/dev/null 2>&1 & touch %s; exec sleep 1000" % marker]}]}
        helpers.bundlelib.write_config(rig.bundle, cfg)
        before = helpers.descendants()
        p = rig.spawn("create", cid)
        deadline = time.monotonic() + 30
        while not marker.exists() and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists(), "the hook did not run: %s" % rig.err_text()
        p.kill()
        rig.wait(p)
        assert p.returncode == -signal.SIGKILL
        # the setup process dies with the runtime; the hook's two stay
        deadline = time.monotonic() + 10
        while len(rig.cgroup_pids(cid)) != 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        left = rig.cgroup_pids(cid)
        assert len(left) == 2, [helpers.proc_desc(x) for x in left]
        st, r = rig.state(cid)
        assert st is not None, r.err
        assert st["status"] == "creating", st
        if how == "kill-then-delete":
            k = rig.run("kill", cid, "KILL")
            assert k.rc == 0, k.err
            deadline = time.monotonic() + 10
            while rig.cgroup_pids(cid) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert not rig.cgroup_pids(cid)
            st, r = rig.state(cid)
            assert st["status"] == "stopped", st
            d = rig.run("delete", cid)
        else:
            d = rig.run("delete", "--force", cid)
        assert d.rc == 0, d.err
        problems = rig.check_and_clean(cid, before, how)
        assert not problems, problems


def test_delete_of_a_stopped_container_kills_what_its_init_left(rig):
    """No pid namespace: the init exits, a process it started stays in the
    cgroup.  runc's delete kills those; ours failed on the busy cgroup."""
    cid = rig.new_container()
    cfg = no_pid_ns(helpers.deepcopy(rig.base))
    cfg["linux"]["cgroupsPath"] = "%s/%s" % (helpers.CGROUP_PREFIX, cid)
    cfg["process"]["args"] = ["sh", "-c", "sleep 1000 </dev/null >/dev/null 2>&1 & exit 0"]
    helpers.bundlelib.write_config(rig.bundle, cfg)
    before = helpers.descendants()
    rig.must("create", "--bundle", rig.bundle, cid)
    rig.must("start", cid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st, _ = rig.state(cid)
        if st["status"] == "stopped":
            break
        rtlib.reap_orphans()
        time.sleep(0.01)
    assert st["status"] == "stopped", st
    assert len(rig.cgroup_pids(cid)) == 1
    d = rig.run("delete", cid)
    assert d.rc == 0, d.err
    problems = rig.check_and_clean(cid, before, "delete")
    assert not problems, problems


def test_stale_temporary_state_files_are_ignored_and_cleaned(rig):
    """A runtime killed between the open and the rename of an atomic
    state write leaves `.state.json.tmp` (0 bytes): readers ignore it, the
    next command holding the lock removes it."""
    cid = rig.new_container()
    before = helpers.descendants()
    rig.must("create", "--bundle", rig.bundle, cid)
    sd = Path(rig.rt.root) / cid
    for name in (".state.json.tmp", ".runtime.tmp"):
        (sd / name).write_bytes(b"")
    st, r = rig.state(cid)
    assert st is not None and st["status"] == "created", r.err
    rig.must("start", cid)
    assert not (sd / ".state.json.tmp").exists() and not (sd / ".runtime.tmp").exists(), sorted(os.listdir(sd))
    st, r = rig.state(cid)
    assert st["status"] == "running", st
    problems = rig.check_and_clean(cid, before, "stale tmp")
    assert not problems, problems
