"""config.md hooks and runtime.md lifecycle steps 3-13, observed by hook scripts.

A hook is a small sh script (host /bin/sh, or busybox sh inside the rootfs
for startContainer) that records what it saw: its namespaces, the state on
its stdin, whether the container process exists / has exec'ed the program,
and appends its name to a shared `order` file.  The test appends markers
(create-begin, create-end, ...) around runtime calls to place hooks in time.
"""
import json
import os
import time
from pathlib import Path

import pytest

import bundle as bundlelib
import runtime as rtlib
from helpers import ns_of, pid_alive_host, processes_in, wait_for
from spec import spec

C, R = "config.md", "runtime.md"

HOOK_SH = r"""#!/bin/sh
# hook OUTDIR NAME [EXIT [SLEEP]]: record what this hook sees
out=$1; name=$2; rc=${3:-0}
cat > "$out/$name.state"
pid=$(sed -n 's/.*"pid" *: *\([0-9][0-9]*\).*/\1/p' "$out/$name.state" | head -n 1)
{
  for n in cgroup ipc mnt net pid uts user; do echo "ns_$n=$(readlink /proc/self/ns/$n)"; done
  echo "state_pid=$pid"
  if [ -n "$pid" ] && [ -e "/proc/$pid" ]; then
    echo "pid_exists=1"
    echo "pid_cmdline=$(tr '\000' ' ' < /proc/$pid/cmdline)"
    echo "pid_root=$(readlink /proc/$pid/root)"
    echo "pid_mnt=$(readlink /proc/$pid/ns/mnt)"
  else
    echo "pid_exists=0"
  fi
  echo "init_cmdline=$(tr '\000' ' ' < /proc/1/cmdline)"
  if [ -e /probe ]; then echo "probe_at_root=1"; else echo "probe_at_root=0"; fi
  echo "argv0=$0"
  echo "args=$*"
  echo "env_mark=$HOOK_MARK"
} > "$out/$name.env"
echo "$name" >> "$out/order"
[ -n "$4" ] && exec sleep "$4"
exit $rc
"""

KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]


class HookRun:
    """One container with hooks; records markers and reads hook reports."""

    def __init__(self, rt, workdir, rootfs_template, cfg=None, hooks=None, args=None):
        self.rt = rt
        self.out = Path(workdir) / ("hooks-%d" % time.monotonic_ns())
        self.out.mkdir(parents=True)
        self.host_hook = self.out.parent / "hook.sh"
        self.host_hook.write_text(HOOK_SH)
        os.chmod(self.host_hook, 0o755)
        cfg = cfg or bundlelib.default_config()
        cfg["process"]["args"] = args or ["/probe", "all", "pause"]
        # the startContainer hook lives only in the rootfs; the hook output
        # dir is bind-mounted at the same path so every hook can write there
        cfg["mounts"].append({"destination": str(self.out), "type": "bind", "source": str(self.out),
                              "options": ["rbind", "rw"]})
        cfg["hooks"] = {}
        for kind, specs_ in (hooks or {}).items():
            cfg["hooks"][kind] = []
            for i, (rc, extra) in enumerate(specs_, 1):
                path = "/hookbin/hook.sh" if kind == "startContainer" else str(self.host_hook)
                h = {"path": path, "args": ["hook.sh", str(self.out), "%s%d" % (kind, i), str(rc)],
                     "env": ["HOOK_MARK=%s%d" % (kind, i), "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}
                h.update(extra)
                cfg["hooks"][kind].append(h)
        self.c = rtlib.Container(rt, workdir, config=cfg, rootfs_template=rootfs_template)
        (self.c.rootfs / "hookbin").mkdir()
        (self.c.rootfs / "hookbin" / "hook.sh").write_text(HOOK_SH)
        os.chmod(self.c.rootfs / "hookbin" / "hook.sh", 0o755)
        self.container_ns = {}

    def mark(self, m):
        with open(self.out / "order", "a") as f:
            f.write(m + "\n")

    def order(self):
        try:
            return (self.out / "order").read_text().split()
        except FileNotFoundError:
            return []

    def report(self, name):
        p = self.out / (name + ".env")
        if not p.exists():
            return None
        d = {}
        for line in p.read_text().splitlines():
            k, _, v = line.partition("=")
            d[k] = v
        try:
            d["state"] = json.loads((self.out / (name + ".state")).read_text())
        except ValueError as e:
            d["state"] = None
            d["state_error"] = str(e)
        return d

    def create(self):
        self.mark("create-begin")
        r = self.c.create(check=False)
        self.mark("create-end")
        if r.ok and self.c.pid:
            self.container_ns = {k: ns_of(self.c.pid, k) for k in ("cgroup", "ipc", "mnt", "net", "pid", "uts", "user")}
        return r

    def start(self):
        self.mark("start-begin")
        r = self.c.start(check=False)
        self.mark("start-end")
        return r

    def stop_and_delete(self):
        if self.c.pid and pid_alive_host(self.c.pid):
            self.c.kill("KILL", check=False)
            try:
                self.c.wait(10)
            except TimeoutError:
                pass
        time.sleep(0.05)
        self.mark("delete-begin")
        r = self.c.delete(check=False)
        self.mark("delete-end")
        return r


@pytest.fixture(scope="module")
def full(rt, session_dir, rootfs_template):
    """All six hook kinds, two of each, through a whole lifecycle."""
    h = HookRun(rt, session_dir / "hooks-full", rootfs_template,
                hooks={k: [(0, {}), (0, {})] for k in KINDS})
    h.create_result = h.create()
    h.start_result = h.start() if h.create_result.ok else None
    if h.start_result is not None and h.start_result.ok:
        h.c.wait_output()
    h.delete_result = h.stop_and_delete()
    yield h
    h.c.destroy()


def _need(h, name):
    rep = h.report(name)
    assert rep is not None, "hook %s did not run (order: %s; create=%r start=%r)" % (
        name, h.order(), h.create_result, h.start_result)
    return rep


def _between(order, name, a, b):
    assert name in order, "%s not run; order: %s" % (name, order)
    i = order.index(name)
    assert a in order and order.index(a) < i, "%s ran before %s: %s" % (name, a, order)
    assert b in order and i < order.index(b), "%s ran after %s: %s" % (name, b, order)


def _runtime_ns_ok(h, rep, name):
    """rep's namespaces are the runtime's (the host's), not the container's."""
    host = {k: os.readlink("/proc/self/ns/" + k) for k in ("ipc", "mnt", "net", "pid", "uts")}
    for k in ("ipc", "net", "pid", "uts", "mnt"):
        if k == "mnt" and h.rt.private_mntns:
            assert rep["ns_mnt"] != h.container_ns.get("mnt"), "%s ran in the container mount namespace" % name
            continue
        assert rep["ns_" + k] == host[k], "%s: %s namespace %s is not the runtime's %s (container: %s)" % (
            name, k, rep["ns_" + k], host[k], h.container_ns.get(k))


def _container_ns_ok(h, rep, name):
    for k in ("ipc", "mnt", "net", "pid", "uts"):
        assert rep["ns_" + k] == h.container_ns[k], "%s: %s namespace %s is not the container's %s" % (
            name, k, rep["ns_" + k], h.container_ns[k])


# ----------------------------------------------------------- invocation
for _k, _q in [("prestart", "The prestart hooks MUST be invoked by the runtime"),
               ("createRuntime", "The createRuntime hooks MUST be invoked by the runtime"),
               ("createContainer", "The createContainer hooks MUST be invoked by the runtime"),
               ("startContainer", "The startContainer hooks MUST be invoked by the runtime"),
               ("poststart", "The poststart hooks MUST be invoked by the runtime"),
               ("poststop", "The poststop hooks MUST be invoked by the runtime")]:
    def _mk(kind, quote):
        @spec(R + "#runtimeLifecycle", quote)
        def t(full):
            _need(full, kind + "1")
            _need(full, kind + "2")
        t.__name__ = "test_lifecycle_%s_invoked" % kind
        t.__doc__ = "runtime.md lifecycle: %s hooks run" % kind
        return t
    globals()["test_lifecycle_%s_invoked" % _k] = _mk(_k, _q)


@spec(C + "#configHooks", "Hooks MUST be called in the listed order")
def test_hooks_listed_order(full):
    o = full.order()
    for k in KINDS:
        assert k + "1" in o and k + "2" in o, "%s hooks missing: %s" % (k, o)
        assert o.index(k + "1") < o.index(k + "2"), "%s hooks out of order: %s" % (k, o)


@spec(C + "#configHooks", "The state of the container MUST be passed to hooks over stdin")
def test_hooks_state_on_stdin(full):
    for k in KINDS:
        rep = _need(full, k + "1")
        st = rep["state"]
        assert isinstance(st, dict), "%s got no JSON state on stdin: %s" % (k, rep.get("state_error"))
        assert st.get("id") == full.c.id, (k, st)
        assert os.path.realpath(st.get("bundle", "")) == os.path.realpath(full.c.bundle), (k, st)
        assert st.get("status") in ("creating", "created", "running", "stopped"), (k, st)
        assert "ociVersion" in st, (k, st)


@spec(R + "#runtimeState", "For hooks executed in the runtime namespace, it is the pid as seen by the runtime")
def test_hooks_state_pid_runtime_ns(full):
    for k in ("prestart", "createRuntime", "poststart"):
        st = _need(full, k + "1")["state"]
        assert st.get("pid") == full.c.pid, "%s: state pid %s, container pid %s" % (k, st.get("pid"), full.c.pid)


@spec(R + "#runtimeState", "For hooks executed in the container namespace, it is the pid as seen by the container")
def test_hooks_state_pid_container_ns(full):
    for k in ("createContainer", "startContainer"):
        st = _need(full, k + "1")["state"]
        assert st.get("pid") == 1, "%s: state pid %s, but the container (own pid namespace) sees itself as 1" % (
            k, st.get("pid"))


# ----------------------------------------------------------- timing
@spec(C + "#configHooksPrestart", "The prestart hooks MUST be called as part of the create operation after the runtime environment has been created")
def test_prestart_timing(full):
    _check_create_phase_runtime_hook(full, "prestart1")


@spec(C + "#configHooksCreateRuntime", "The createRuntime hooks MUST be called as part of the create operation after the runtime environment has been created")
def test_createruntime_timing(full):
    _check_create_phase_runtime_hook(full, "createRuntime1")


def _check_create_phase_runtime_hook(h, name):
    _between(h.order(), name, "create-begin", "create-end")
    rep = _need(h, name)
    assert rep["pid_exists"] == "1", "%s: container process does not exist yet" % name
    assert rep["pid_mnt"] and rep["pid_mnt"] == h.container_ns["mnt"], \
        "%s: container namespaces not created yet (mnt %s)" % (name, rep["pid_mnt"])
    assert rep["pid_root"] == "/", "%s: container already pivoted (root %s)" % (name, rep["pid_root"])
    assert "/probe" not in rep["pid_cmdline"], "%s: program already exec'ed" % name


@spec(C + "#configHooksCreateContainer", "The createContainer hooks MUST be called as part of the create operation after the runtime environment has been created")
def test_createcontainer_timing(full):
    _between(full.order(), "createContainer1", "create-begin", "create-end")
    rep = _need(full, "createContainer1")
    assert rep["probe_at_root"] == "0", "createContainer hook ran after pivot_root (/probe is at /)"
    assert rep["ns_mnt"] == full.container_ns["mnt"], "not yet in the container mount namespace"


@spec(C + "#configHooksPrestart", "The prestart hooks MUST be called before the createRuntime hooks")
def test_prestart_before_createruntime(full):
    o = full.order()
    assert "prestart2" in o and "createRuntime1" in o, o
    assert o.index("prestart2") < o.index("createRuntime1"), o


@spec(C + "#configHooksCreateContainer", "The createContainer hooks MUST be called after the createRuntime hooks")
def test_createcontainer_after_createruntime(full):
    o = full.order()
    assert "createRuntime2" in o and "createContainer1" in o, o
    assert o.index("createRuntime2") < o.index("createContainer1"), o


@spec(C + "#configHooksStartContainer", "The startContainer hooks MUST be called before the user-specified process is executed")
def test_startcontainer_timing(full):
    _between(full.order(), "startContainer1", "start-begin", "start-end")
    rep = _need(full, "startContainer1")
    assert "/probe" not in rep["init_cmdline"], "program already running: %s" % rep["init_cmdline"]
    assert rep["probe_at_root"] == "1", "startContainer hook did not see the container's root"


@spec(C + "#configHooksPoststart", "The poststart hooks MUST be called after the user-specified process is executed but before the start operation returns")
def test_poststart_timing(full):
    _between(full.order(), "poststart1", "start-begin", "start-end")
    _between(full.order(), "poststart2", "start-begin", "start-end")
    rep = _need(full, "poststart1")
    assert rep["pid_exists"] == "1" and rep["pid_cmdline"].startswith("/probe"), \
        "user program not exec'ed when poststart ran: %r" % rep.get("pid_cmdline")


@spec(C + "#configHooksPoststop", "The poststop hooks MUST be called after the container is deleted but before the delete operation returns")
def test_poststop_timing(full):
    _between(full.order(), "poststop1", "delete-begin", "delete-end")
    rep = _need(full, "poststop1")
    assert rep["pid_exists"] == "0" or not rep["pid_cmdline"].startswith("/probe"), "container process still exists"


# ----------------------------------------------------------- namespaces
@spec(C + "#configHooks", "The prestart hooks MUST be executed in the runtime namespace")
@spec(C + "#configHooksPrestart", "The prestart hooks MUST be executed in the runtime namespace")
def test_prestart_ns(full):
    _runtime_ns_ok(full, _need(full, "prestart1"), "prestart")


@spec(C + "#configHooks", "The createRuntime hooks MUST be executed in the runtime namespace")
@spec(C + "#configHooksCreateRuntime", "The createRuntime hooks MUST be executed in the runtime namespace")
def test_createruntime_ns(full):
    _runtime_ns_ok(full, _need(full, "createRuntime1"), "createRuntime")


@spec(C + "#configHooks", "The createContainer hooks MUST be executed in the container namespace")
@spec(C + "#configHooksCreateContainer", "The createContainer hooks MUST be executed in the container namespace")
def test_createcontainer_ns(full):
    _container_ns_ok(full, _need(full, "createContainer1"), "createContainer")


@spec(C + "#configHooks", "The startContainer hooks MUST be executed in the container namespace")
@spec(C + "#configHooksStartContainer", "The startContainer hooks MUST be executed in the container namespace")
def test_startcontainer_ns(full):
    _container_ns_ok(full, _need(full, "startContainer1"), "startContainer")


@spec(C + "#configHooks", "The poststart hooks MUST be executed in the runtime namespace")
@spec(C + "#configHooksPoststart", "The poststart hooks MUST be executed in the runtime namespace")
def test_poststart_ns(full):
    _runtime_ns_ok(full, _need(full, "poststart1"), "poststart")


@spec(C + "#configHooks", "The poststop hooks MUST be executed in the runtime namespace")
@spec(C + "#configHooksPoststop", "The poststop hooks MUST be executed in the runtime namespace")
def test_poststop_ns(full):
    _runtime_ns_ok(full, _need(full, "poststop1"), "poststop")


# ----------------------------------------------------------- path resolution
@spec(C + "#configHooks", "The value of path MUST resolve in the runtime namespace")
@spec(C + "#configHooksPrestart", "The prestart hooks' path MUST resolve in the runtime namespace")
def test_prestart_path_runtime_ns(full):
    """The hook binary exists on the host only (not in the rootfs) and runs."""
    assert not (full.c.rootfs / str(full.host_hook).lstrip("/")).exists()
    _need(full, "prestart1")


@spec(C + "#configHooksCreateRuntime", "The createRuntime hooks' path MUST resolve in the runtime namespace")
def test_createruntime_path_runtime_ns(full):
    _need(full, "createRuntime1")


@spec(C + "#configHooksCreateContainer", "The createContainer hooks' path MUST resolve in the runtime namespace")
def test_createcontainer_path_runtime_ns(full):
    """Host-only hook binary, run in the container namespace."""
    _need(full, "createContainer1")


@spec(C + "#configHooks", "The value of path MUST resolve in the container namespace")
@spec(C + "#configHooksStartContainer", "The startContainer hooks' path MUST resolve in the container namespace")
def test_startcontainer_path_container_ns(full):
    """/hookbin/hook.sh exists only inside the rootfs."""
    assert not Path("/hookbin/hook.sh").exists()
    _need(full, "startContainer1")


@spec(C + "#configHooksPoststart", "The poststart hooks' path MUST resolve in the runtime namespace")
def test_poststart_path_runtime_ns(full):
    _need(full, "poststart1")


@spec(C + "#configHooksPoststop", "The poststop hooks' path MUST resolve in the runtime namespace")
def test_poststop_path_runtime_ns(full):
    _need(full, "poststop1")


# ----------------------------------------------------------- failures
def _failing(rt, work, rootfs_template, kind):
    hooks = {kind: [(1, {})]}
    if kind != "poststop":
        hooks["poststop"] = [(0, {})]
    return HookRun(rt, work, rootfs_template, hooks=hooks)


def _check_failure_handled(h, kind, failed_op):
    """error generated; container stopped; destroyed (step 12) and poststop run (step 13)."""
    rep = wait_for(lambda: h.report(kind + "1"), 3)
    assert rep is not None, "failing %s hook did not run: %s" % (kind, h.order())
    assert not failed_op.ok, "%s hook failed but the operation succeeded: %r" % (kind, failed_op)
    left = wait_for(lambda: not processes_in(h.c), 2) and [] or processes_in(h.c)
    assert not left, "container processes %s still alive after failed %s hook" % (left, kind)
    st = h.rt.state(h.c.id)
    if st.ok:
        status = json.loads(st.out).get("status")
        assert status == "stopped", "container %s after failed %s hook (not stopped)" % (status, kind)
        h.mark("delete-begin")
        h.c.delete(check=False)
    time.sleep(0.1)
    assert h.c.cgroup_dirs() == [], "cgroups left after failed %s hook: %s" % (kind, h.c.cgroup_dirs())
    assert "poststop1" in h.order(), "poststop hooks not run after failed %s hook (lifecycle step 13): %s" % (kind, h.order())


def _mk_fail_test(kind, quote, phase):
    @spec(R + "#runtimeLifecycle", quote)
    def t(rt, work, rootfs_template):
        h = _failing(rt, work, rootfs_template, kind)
        try:
            if phase == "create":
                op = h.create()
            else:
                r = h.create()
                assert r.ok, r
                op = h.start()
            _check_failure_handled(h, kind, op)
        finally:
            h.c.destroy()
    t.__name__ = "test_%s_hook_failure" % kind
    t.__doc__ = "a failing %s hook: error, container stopped and destroyed, poststop hooks run" % kind
    return t


for _k, _q, _ph in [
    ("prestart", "If any prestart hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12", "create"),
    ("createRuntime", "If any createRuntime hook fails, the runtime MUST generate an error, stop the container", "create"),
    ("createContainer", "If any createContainer hook fails, the runtime MUST generate an error, stop the container", "create"),
    ("startContainer", "If any startContainer hook fails, the runtime MUST generate an error, stop the container", "start"),
    ("poststart", "If any poststart hook fails, the runtime MUST generate an error, stop the container", "start"),
]:
    globals()["test_%s_hook_failure" % _k] = _mk_fail_test(_k, _q, _ph)


@spec(R + "#runtimeLifecycle", "If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue")
@spec(R + "#runtimeWarnings", "logging a warning does not change the flow of the operation; it MUST continue as if the warning had not been logged")
def test_poststop_failure_continues(rt, work, rootfs_template):
    h = HookRun(rt, work, rootfs_template, hooks={"poststop": [(1, {}), (0, {})]})
    try:
        assert h.create().ok
        assert h.start().ok
        h.c.wait_output()
        r = h.stop_and_delete()
        assert "poststop1" in h.order(), "failing poststop hook not run"
        assert "poststop2" in h.order(), "remaining poststop hook not run after the first failed: %s" % h.order()
        assert r.ok, "delete failed because a poststop hook failed: %r" % r
        assert not rt.state(h.c.id).ok, "container not deleted"
        assert h.c.cgroup_dirs() == []
    finally:
        h.c.destroy()


@spec(C + "#configHooks", "timeout (int, OPTIONAL) is the number of seconds before aborting the hook")
def test_hook_timeout(rt, work, rootfs_template):
    h = HookRun(rt, work, rootfs_template, hooks={"createRuntime": [(0, {"timeout": 1})]})
    h.c.config["hooks"]["createRuntime"][0]["args"].append("10")  # sleep 10 after reporting
    h.c.write_config()
    try:
        t0 = time.monotonic()
        r = h.create()
        took = time.monotonic() - t0
        assert took < 8, "hook with timeout 1 was not aborted (create took %.1fs)" % took
        assert not r.ok, "create succeeded although the hook timed out"
    finally:
        h.c.destroy()
