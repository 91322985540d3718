"""POSIX-platform hooks: all six kinds (config.md#posix-platform-hooks,
runtime.md#lifecycle)."""
import json
import os
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error, wait_for

# Writes what the hook sees into files named <OUT>.<what>.  args: OUT [ARG]...
HOOK = r"""#!/bin/sh
o="$1"
cat > "$o.state"
# /proc/self, not /proc/$$: a createContainer hook runs before pivot_root,
# where /proc is still the host's and $$ (a pid of the container's pid
# namespace) names some other process
readlink /proc/self/ns/mnt > "$o.mnt"
readlink /proc/self/ns/pid > "$o.pidns"
printf '%s\n' "$@" > "$o.args"
env > "$o.env"
echo "$(basename "$o")" >> "$SEQ"
"""

# what each kind sees (runtime.md#state, config.md hooks table): the hooks
# of create run after lifecycle step 2, whose end runtime.md calls `created`
# (runtime-tools' hooks_stdin checks prestart's; crun agrees, runc 1.1 says
# "creating")
KINDS = {
    "prestart": ("runtime", "created"),
    "createRuntime": ("runtime", "created"),
    "createContainer": ("container", "created"),
    "startContainer": ("container", "created"),
    "poststart": ("runtime", "running"),
    "poststop": ("runtime", "stopped"),
}


def write_script(path, text, mode=0o755):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


class Hooks:
    """Hook scripts for one container.  Runtime-namespace hooks live on the
    host (work/hooks); startContainer's path resolves in the container, so
    its script is copied into the rootfs, and it writes below rootfs/hookout."""

    def __init__(self, c, work):
        self.c = c
        self.host_dir = Path(work) / ("hooks-" + c.id)
        self.host_dir.mkdir(parents=True)
        self.host_script = write_script(self.host_dir / "hook.sh", HOOK)
        self.ctr_dir = c.rootfs / "hookout"
        self.ctr_dir.mkdir()
        write_script(c.rootfs / "hookbin" / "hook.sh", HOOK)

    def entry(self, kind, name=None, extra_args=(), env=(), **kw):
        # one sequence file for every hook: rootfs/hookout/sequence is the
        # same file seen from the host and from inside the container
        name = name or kind
        if kind == "startContainer":
            e = {"path": "/hookbin/hook.sh", "args": ["hook.sh", "/hookout/" + name] + list(extra_args),
                 "env": ["SEQ=/hookout/sequence"] + list(env)}
        else:
            e = {"path": str(self.host_script),
                 "args": ["hook.sh", str(self.host_dir / name)] + list(extra_args),
                 "env": ["SEQ=%s" % (self.ctr_dir / "sequence")] + list(env)}
        e.update(kw)
        return e

    def out(self, name, what):
        base = self.ctr_dir if name.startswith("startContainer") else self.host_dir
        return (base / ("%s.%s" % (name, what))).read_text()

    def ran(self, name):
        base = self.ctr_dir if name.startswith("startContainer") else self.host_dir
        return (base / ("%s.state" % name)).exists()

    def sequence(self):
        f = self.ctr_dir / "sequence"
        return f.read_text().split() if f.exists() else []


def with_all_hooks(ctr, work, args=("/probe", "ns", "pause")):
    cfg = default_config(list(args))
    c = ctr(cfg)
    h = Hooks(c, work)
    c.config["hooks"] = {k: [h.entry(k)] for k in KINDS}
    c.write_config()
    return c, h


def test_all_six_hooks_moment_state_and_namespace(ctr, work, host_ns):
    c, h = with_all_hooks(ctr, work)
    c.create()
    created = {k: h.ran(k) for k in KINDS}
    assert created == {"prestart": True, "createRuntime": True, "createContainer": True,
                       "startContainer": False, "poststart": False, "poststop": False}
    # create hooks run before the user program
    assert c.probe_outputs() == []
    c.start()
    probe = c.wait_output(1)[0]
    assert h.ran("startContainer") and h.ran("poststart") and not h.ran("poststop")
    c.kill("KILL")
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert h.ran("poststop")

    # order: the spec's lifecycle (prestart is called with createRuntime)
    seq = h.sequence()
    assert seq.index("createRuntime") < seq.index("createContainer") < seq.index("startContainer") \
        < seq.index("poststart") < seq.index("poststop")
    assert seq.index("prestart") < seq.index("createContainer")

    ctr_mnt = probe["ns"]["mnt"]
    assert ctr_mnt != host_ns["mnt"]
    for kind, (where, status) in KINDS.items():
        st = json.loads(h.out(kind, "state"))
        assert st["status"] == status, (kind, st)
        assert st["id"] == c.id and st["bundle"] == str(c.bundle), (kind, st)
        assert st["ociVersion"] == c.config["ociVersion"]
        mnt = h.out(kind, "mnt").strip()
        if where == "runtime":
            assert mnt == host_ns["mnt"], kind
        else:
            assert mnt == ctr_mnt, kind
        if status in ("creating", "created", "running"):
            # runtime namespace: the host pid; container namespace: its own
            want = c.pid if where == "runtime" else 1
            assert st.get("pid") == want, (kind, st)


def test_hook_args_and_env(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    h = Hooks(c, work)
    e = h.entry("createRuntime", extra_args=["a1", "two words", ""], env=["HOOKVAR=x y", "OTHER=1"])
    c.config["hooks"] = {"createRuntime": [e]}
    c.write_config()
    env = dict(os.environ, OCIRUN_TEST_SECRET="leak")
    r = c.rt.run("run", "--bundle", c.bundle, c.id, env=env)
    assert r.rc == 0, r
    assert h.out("createRuntime", "args").split("\n")[:4] == [str(h.host_dir / "createRuntime"), "a1", "two words", ""]
    envs = h.out("createRuntime", "env").splitlines()
    assert "HOOKVAR=x y" in envs and "OTHER=1" in envs
    # the hook gets exactly its env, not the runtime's
    assert not any(x.startswith("OCIRUN_TEST_SECRET=") for x in envs)


def test_several_hooks_run_in_order(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    h = Hooks(c, work)
    c.config["hooks"] = {"createRuntime": [h.entry("createRuntime", name="cr%d" % i) for i in range(3)]}
    c.write_config()
    r = c.run_fg()
    assert r.rc == 0, r
    assert h.sequence() == ["cr0", "cr1", "cr2"]


def test_hook_timeout_kills_hook_and_fails(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    marker = Path(work) / "hang-pid"
    hang = write_script(Path(work) / "hang.sh", "#!/bin/sh\necho $$ > %s\nexec sleep 1000\n" % marker)
    c.config["hooks"] = {"createRuntime": [{"path": str(hang), "timeout": 1}]}
    c.write_config()
    r = c.create(check=False)
    msg = one_line_error(r)
    assert msg.startswith("hooks.createRuntime[0]"), msg
    assert "tim" in msg.lower(), msg  # "timed out" / "timeout"
    pid = int(marker.read_text())
    wait_for(lambda: not helpers.rtlib.pid_alive(pid) or helpers.rtlib.reap_orphans())
    assert not helpers.rtlib.pid_alive(pid)
    assert c.left_behind() == []


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_fails_create_and_leaves_nothing(ctr, work, kind):
    c = ctr(default_config(["/probe", "pause"]))
    fail = write_script(Path(work) / "fail.sh", "#!/bin/sh\necho hook-stderr >&2\nexit 3\n")
    c.config["hooks"] = {kind: [{"path": str(fail)}]}
    c.write_config()
    r = c.create(check=False)
    msg = one_line_error(r) if "hook-stderr" not in r.err else r.err.strip().splitlines()[-1][len("ocirun: "):]
    assert msg.startswith("hooks.%s[0]" % kind), msg
    assert str(fail) in msg and "status 3" in msg, msg
    assert c.left_behind() == [], c.left_behind()
    assert c.probe_outputs() == []


def test_failing_startcontainer_hook_fails_start(ctr, work):
    c = ctr(default_config(["/probe", "pause"]))
    write_script(c.rootfs / "fail.sh", "#!/bin/sh\nexit 4\n")
    c.config["hooks"] = {"startContainer": [{"path": "/fail.sh"}]}
    c.write_config()
    c.create()
    r = c.start(check=False)
    msg = one_line_error(r)
    assert msg.startswith("hooks.startContainer[0]") and "status 4" in msg, msg
    # the user program never ran and the container is stopped
    c.wait()
    assert c.probe_outputs() == []
    assert c.state()["status"] == "stopped"


def test_failing_poststart_hook_fails_start_and_stops(ctr, work):
    """runtime.md lifecycle step 9 (spec 1.3): a failing poststart hook MUST
    generate an error and stop the container (runc does the same)."""
    c = ctr(default_config(["/probe", "pause"]))
    fail = write_script(Path(work) / "fail.sh", "#!/bin/sh\nexit 5\n")
    c.config["hooks"] = {"poststart": [{"path": str(fail)}]}
    c.write_config()
    c.create()
    r = c.start(check=False)
    assert r.rc != 0, r
    assert "hooks.poststart[0]" in r.err, r
    c.wait()
    # stopped, or (like runc) already destroyed
    wait_for(lambda: helpers.status_of(c.rt, c.id) in ("stopped", None))


def test_failing_poststop_hook_is_a_warning(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    h = Hooks(c, work)
    fail = write_script(Path(work) / "fail.sh", "#!/bin/sh\nexit 6\n")
    c.config["hooks"] = {"poststop": [{"path": str(fail)}, h.entry("poststop", name="after")]}
    c.write_config()
    c.create()
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    r = c.delete(check=False)
    assert r.rc == 0, r
    assert "hooks.poststop[0]" in r.err, r  # the warning names the hook
    assert h.ran("after"), "the remaining poststop hooks must still run"
    assert c.left_behind() == []


def test_relative_hook_path_rejected(ctr):
    c = ctr(default_config(["/bin/true"]))
    c.config["hooks"] = {"createRuntime": [{"path": "bin/hook"}]}
    c.write_config()
    msg = one_line_error(c.create(check=False))
    assert "hooks.createRuntime[0].path" in msg, msg
    assert c.left_behind() == []


def test_missing_hook_binary(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    c.config["hooks"] = {"createRuntime": [{"path": str(Path(work) / "no-such-hook")}]}
    c.write_config()
    msg = one_line_error(c.create(check=False))
    assert "hooks.createRuntime[0]" in msg and "no-such-hook" in msg, msg
    assert c.left_behind() == []


@pytest.mark.parametrize("bad", [0, -1])
def test_bad_hook_timeout_rejected(ctr, work, bad):
    """config.md: timeout, if set, MUST be greater than zero."""
    c = ctr(default_config(["/bin/true"]))
    c.config["hooks"] = {"createRuntime": [{"path": "/bin/true", "timeout": bad}]}
    c.write_config()
    msg = one_line_error(c.create(check=False))
    assert "hooks.createRuntime[0].timeout" in msg, msg
    assert c.left_behind() == []


def test_runtime_hooks_stay_in_the_runtime_pid_namespace_when_joining_one(ctr, work, host_ns):
    """A container joining a pid namespace by path: only its init goes
    there.  prestart, createRuntime and poststart run in the runtime
    namespace (config.md hooks table): in the runtime's pid namespace, not
    in the joined one (setns(CLONE_NEWPID) moves every later child)."""
    import subprocess
    holder = subprocess.Popen(["unshare", "--pid", "--fork", "sleep", "1000"])
    try:
        def child():
            try:
                kids = Path("/proc/%d/task/%d/children" % (holder.pid, holder.pid)).read_text().split()
            except OSError:
                return None
            return int(kids[0]) if kids else None
        wait_for(lambda: child() is not None)
        target = child()
        joined = os.readlink("/proc/%d/ns/pid" % target)
        assert joined != host_ns["pid"]
        c, h = with_all_hooks(ctr, work, args=("/probe", "ns", "pause"))
        for n in c.config["linux"]["namespaces"]:
            if n["type"] == "pid":
                n["path"] = "/proc/%d/ns/pid" % target
        c.write_config()
        c.create()
        c.start()
        probe = c.wait_output(1)[0]
        assert probe["ns"]["pid"] == helpers.ns_inode(target, "pid")
        for kind in ("prestart", "createRuntime", "poststart"):
            assert h.out(kind, "pidns").strip() == host_ns["pid"], kind
        for kind in ("createContainer", "startContainer"):
            assert h.out(kind, "pidns").strip() == joined, kind
        c.kill("KILL")
        c.wait()
        wait_for(lambda: c.state()["status"] == "stopped")
        c.delete()
        assert h.out("poststop", "pidns").strip() == host_ns["pid"]
    finally:
        t = child()
        if t is not None:
            os.kill(t, 9)  # the namespace's init: its death ends the namespace
        holder.kill()
        holder.wait()


def _drop_needs(c):
    """The runtime record as an ocirun before `needs=` wrote it."""
    rec = c.state_dir() / "runtime"
    lines = rec.read_text().splitlines(keepends=True)
    assert any(ln.startswith("needs=") for ln in lines), lines
    rec.write_text("".join(ln for ln in lines if not ln.startswith("needs=")))


def test_start_and_delete_read_the_saved_config_only_for_its_hooks(ctr, work):
    """create records what start and delete need from the saved config.json
    (needs= in the runtime record): without poststart/poststop hooks they do
    not parse it (a damaged copy shows it), with them they do."""
    c = ctr(default_config(["/bin/true"]))
    c.create()
    rec = (c.state_dir() / "runtime").read_text()
    assert "needs=\n" in rec, rec
    (c.state_dir() / "config.json").write_text("{damaged")
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert c.left_behind() == []

    c2 = ctr(default_config(["/bin/true"]))
    h = Hooks(c2, work)
    c2.config["hooks"] = {k: [h.entry(k)] for k in ("poststart", "poststop")}
    c2.write_config()
    c2.create()
    assert "needs=poststart,poststop\n" in (c2.state_dir() / "runtime").read_text()
    c2.start()
    c2.wait()
    wait_for(lambda: c2.state()["status"] == "stopped")
    c2.delete()
    assert h.ran("poststart") and h.ran("poststop")


def test_a_record_without_needs_reads_the_saved_config(ctr, work):
    """A state dir written before `needs=` existed: start and delete read
    the saved config.json as they did (its hooks still run)."""
    c = ctr(default_config(["/bin/true"]))
    h = Hooks(c, work)
    c.config["hooks"] = {k: [h.entry(k)] for k in ("poststart", "poststop")}
    c.write_config()
    c.create()
    _drop_needs(c)
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert h.ran("poststart") and h.ran("poststop")

    # and what it read is what counts: a damaged copy fails start
    c2 = ctr(default_config(["/bin/true"]))
    c2.create()
    _drop_needs(c2)
    (c2.state_dir() / "config.json").write_text("{damaged")
    r = c2.start(check=False)
    assert r.rc != 0 and "config.json" in r.err, r
    c2.delete(force=True)
    assert c2.left_behind() == []
