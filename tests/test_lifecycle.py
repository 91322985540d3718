"""OCI lifecycle: create/start/state/kill/delete/list/run (runtime.md)."""
import json
import os
import signal
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error, rtlib, status_of, wait_for


def probe_cfg(*args):
    return default_config(["/probe"] + list(args))


# ------------------------------------------------------------------ create
def test_create_leaves_process_waiting(ctr):
    c = ctr(probe_cfg("ids"))
    c.create()
    st = c.state()
    assert st["status"] == "created"
    assert st["pid"] == c.pid and c.pid > 0
    assert helpers.rtlib.pid_alive(c.pid)
    # the user program has not run yet: nothing printed, and the process is
    # not the probe
    assert c.probe_outputs() == []
    cmd = Path("/proc/%d/cmdline" % c.pid).read_bytes().split(b"\0")[0]
    assert cmd != b"/probe"


def test_state_json_fields(ctr, rt):
    cfg = probe_cfg("pause")
    cfg["annotations"] = {"org.example.k": "v1"}
    c = ctr(cfg)
    c.create()
    st = c.state()
    assert st["ociVersion"] == cfg["ociVersion"]
    assert st["id"] == c.id
    assert st["status"] == "created"
    assert st["pid"] == c.pid
    assert st["bundle"] == str(c.bundle)
    assert os.path.isabs(st["bundle"])
    assert st.get("annotations") == {"org.example.k": "v1"}


def test_state_of_a_record_larger_than_one_read(ctr, rt):
    """state.json is read in one call when it is small (status.c): one of
    several pages (big annotations) is still read whole, by state and list."""
    cfg = probe_cfg("pause")
    cfg["annotations"] = {"org.example.k%d" % i: "v" * 300 for i in range(40)}
    c = ctr(cfg)
    c.create()
    assert (c.state_dir() / "state.json").stat().st_size > 3 * 4096
    st = c.state()
    assert st["status"] == "created" and st.get("annotations") == cfg["annotations"]
    out = rt.run("list", "--format", "json")
    assert out.rc == 0, out
    assert [x["status"] for x in json.loads(out.out) if x["id"] == c.id] == ["created"]


def test_pid_file_matches_state(ctr):
    c = ctr(probe_cfg("pause"))
    c.create()
    txt = Path(c.pid_file).read_text()
    assert txt.strip().isdigit()
    assert int(txt) == c.state()["pid"]


def test_start_runs_program_then_stopped(ctr):
    c = ctr(probe_cfg("ids", "exit", "7"))
    c.create()
    c.start()
    assert c.exit_code() == 7
    assert c.probe()["uid"] == [0, 0, 0]
    wait_for(lambda: c.state()["status"] == "stopped")
    st = c.state()
    assert "pid" not in st or st["pid"] == 0


def test_start_running_status(ctr):
    c = ctr(probe_cfg("pause"))
    c.create()
    c.start()
    c.wait_output(1)
    assert c.state()["status"] == "running"
    assert c.state()["pid"] == c.pid


def test_start_twice_fails(ctr):
    c = ctr(probe_cfg("pause"))
    c.create()
    c.start()
    r = c.start(check=False)
    msg = one_line_error(r)
    assert c.id in msg and "running" in msg
    assert c.state()["status"] == "running"


def test_start_stopped_fails(ctr):
    c = ctr(probe_cfg("exit", "0"))
    c.create()
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    msg = one_line_error(c.start(check=False))
    assert "stopped" in msg


def test_delete_running_without_force_fails(ctr):
    c = ctr(probe_cfg("pause"))
    c.create()
    c.start()
    msg = one_line_error(c.delete(check=False))
    assert c.id in msg and "running" in msg
    assert c.state()["status"] == "running"
    assert helpers.rtlib.pid_alive(c.pid)


def test_delete_created_without_force_fails(ctr):
    """The spec says deleting a non-stopped container MUST error; runc
    deletes a `created` one (killing its init).  Accept either, but the
    outcome must be complete: an error leaves the container intact, a
    success leaves nothing."""
    c = ctr(probe_cfg("pause"))
    c.create()
    r = c.delete(check=False)
    if r.rc == 0:
        assert not c.state_dir().exists()
        wait_for(lambda: not helpers.rtlib.pid_alive(c.pid) or helpers.rtlib.reap_orphans())
        assert c.left_behind() == []
    else:
        one_line_error(r)
        assert c.state()["status"] == "created"


def test_kill_stopped_fails(ctr):
    c = ctr(probe_cfg("exit", "0"))
    c.create()
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    msg = one_line_error(c.kill("KILL", check=False))
    # containerd's shim reads "no such process" (or runc's "container not
    # running") as "already exited"; anything else fails `ctr task kill`
    assert "stopped" in msg and "no such process" in msg, msg


def test_kill_all_stopped_signals_what_is_left(ctr, work):
    """kill --all on a stopped container succeeds and signals what is left
    in its cgroup, as runc does (containerd's `task delete --force` sends
    it to a stopped task).  Without a pid namespace a child outlives the
    init: it is the one signalled."""
    cfg = default_config(["/bin/sh", "-c", "sleep 300 & echo $! > /tmp/child; exit 0"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    c = ctr(cfg)
    c.create()
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    child = int(wait_for(lambda: (c.rootfs / "tmp" / "child").exists() and (c.rootfs / "tmp" / "child").read_text()))
    assert rtlib.pid_alive(child)
    r = c.rt.run("kill", "--all", c.id, "KILL")
    assert r.rc == 0, r
    wait_for(lambda: (rtlib.reap_orphans(), not rtlib.pid_alive(child))[1])
    r = c.rt.run("kill", "--all", c.id, "TERM")  # nothing left: still fine
    assert r.rc == 0, r


def test_kill_created_then_delete(ctr):
    c = ctr(probe_cfg("pause"))
    c.create()
    c.kill("KILL")
    assert os.WTERMSIG(c.wait()) == signal.SIGKILL
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert c.left_behind() == []


@pytest.mark.parametrize("sig,num", [("TERM", 15), ("SIGUSR1", 10), ("9", 9)])
def test_kill_signal_names_and_numbers(ctr, sig, num):
    c = ctr(probe_cfg("pause"))
    c.create()
    c.start()
    c.wait_output(1)
    c.kill(sig)
    st = c.wait()
    # probe's pause catches TERM/INT/HUP/USR1/USR2 and exits 128+sig
    if num == 9:
        assert os.WIFSIGNALED(st) and os.WTERMSIG(st) == 9, st
    else:
        assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 128 + num, st


def test_kill_bad_signal(ctr):
    c = ctr(probe_cfg("pause"))
    c.create()
    msg = one_line_error(c.kill("SIGNOPE", check=False))
    assert "SIGNOPE" in msg
    assert c.state()["status"] == "created"


def test_delete_stopped(ctr):
    c = ctr(probe_cfg("exit", "3"))
    c.create()
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert c.left_behind() == []
    msg = one_line_error(c.rt.state(c.id))
    assert msg == "container `%s` does not exist" % c.id


@pytest.mark.parametrize("when", ["created", "running", "stopped", "paused-by-sigstop"])
def test_delete_force_each_state(ctr, when):
    c = ctr(probe_cfg("pause") if when != "stopped" else probe_cfg("exit", "0"))
    c.create()
    if when != "created":
        c.start()
    if when == "stopped":
        c.wait()
        wait_for(lambda: c.state()["status"] == "stopped")
    if when == "paused-by-sigstop":
        c.wait_output(1)
        os.kill(c.pid, signal.SIGSTOP)
    c.delete(force=True)
    helpers.rtlib.reap_orphans()
    wait_for(lambda: not helpers.rtlib.pid_alive(c.pid) or helpers.rtlib.reap_orphans())
    assert c.left_behind() == []


def test_delete_force_unknown_id_ok(rt):
    """runc: `delete --force` of a missing container succeeds silently."""
    r = rt.delete("never-existed", force=True)
    assert r.rc == 0, r


@pytest.mark.parametrize("verb", ["state", "start", "kill", "delete"])
def test_unknown_id(rt, verb):
    r = rt.run(verb, "nope-%s" % verb)
    assert one_line_error(r) == "container `nope-%s` does not exist" % verb


def test_duplicate_id(ctr, rt, work, rootfs_template):
    c = ctr(probe_cfg("pause"))
    c.create()
    c2 = ctr(probe_cfg("pause"), cid=c.id + "-2")
    # same id, second bundle
    r = rt.create(c.id, c2.bundle)
    msg = one_line_error(r)
    assert c.id in msg and "exists" in msg
    # the first one is untouched
    assert c.state()["status"] == "created"
    assert c.state()["bundle"] == str(c.bundle)
    assert helpers.rtlib.pid_alive(c.pid)


def test_created_container_ignores_config_updates(ctr):
    """runtime.md step 2: updates to config.json after create MUST NOT
    affect the container."""
    c = ctr(probe_cfg("env"))
    c.config["process"]["env"].append("MARK=before")
    c.write_config()
    c.create()
    c.config["process"]["env"][-1] = "MARK=after"
    c.config["process"]["args"] = ["/probe", "exit", "9"]
    c.write_config()
    c.start()
    assert c.exit_code() == 0
    assert "MARK=before" in c.probe()["env"]


# ------------------------------------------------------------------ list
def test_list_table_json_quiet(ctr, rt):
    a = ctr(probe_cfg("pause"))
    a.create()
    b = ctr(probe_cfg("pause"))
    b.create()
    b.start()
    b.wait_output(1)

    r = rt.run("list")
    assert r.rc == 0, r
    lines = r.out.strip().splitlines()
    assert lines[0].split()[:3] == ["ID", "PID", "STATUS"]
    rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
    assert set(rows) == {a.id, b.id}
    assert rows[a.id][1] == str(a.pid) and rows[a.id][2] == "created"
    assert rows[b.id][1] == str(b.pid) and rows[b.id][2] == "running"
    assert rows[a.id][3] == str(a.bundle)

    r = rt.run("list", "--format", "json")
    assert r.rc == 0, r
    js = {x["id"]: x for x in json.loads(r.out)}
    assert set(js) == {a.id, b.id}
    assert js[a.id]["status"] == "created" and js[a.id]["pid"] == a.pid
    assert js[b.id]["status"] == "running" and js[b.id]["bundle"] == str(b.bundle)

    r = rt.run("list", "-q")
    assert r.rc == 0, r
    assert sorted(r.out.split()) == sorted([a.id, b.id])


def test_list_empty(rt):
    r = rt.run("list", "--format", "json")
    assert r.rc == 0, r
    assert json.loads(r.out) in ([], None)
    r = rt.run("list", "-q")
    assert r.rc == 0 and r.out.strip() == ""


# ------------------------------------------------------------------ run
def test_run_foreground_exit_status(ctr):
    c = ctr(probe_cfg("uts", "exit", "42"))
    r = c.run_fg()
    assert r.rc == 42, r
    assert json.loads(r.out.splitlines()[0])["hostname"] == "oci-conformance"
    # a foreground run deletes the container
    assert c.left_behind() == []
    assert one_line_error(c.rt.state(c.id)) == "container `%s` does not exist" % c.id


def test_run_foreground_zero(ctr):
    r = ctr(default_config(["/bin/true"])).run_fg()
    assert r.rc == 0, r


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGSEGV])
def test_run_foreground_signal_is_128_plus(ctr, sig):
    # no pid namespace: a pid-1 init cannot kill itself with a default action
    cfg = probe_cfg("kill", str(int(sig)))
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    r = ctr(cfg).run_fg()
    assert r.rc == 128 + int(sig), r


def test_run_foreground_init_killed_from_host(ctr, rt):
    """pid-1 init SIGKILLed from outside: `run` exits 137."""
    import subprocess
    c = ctr(default_config(["/bin/sleep", "1000"]))
    p = subprocess.Popen(rt.argv("run", "--bundle", c.bundle, "--pid-file", c.pid_file, c.id),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        c.pid = int(wait_for(lambda: Path(c.pid_file).exists() and Path(c.pid_file).read_text().strip()))
        wait_for(lambda: c.state()["status"] == "running")
        os.kill(c.pid, signal.SIGKILL)
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 137, p.stderr.read()


def test_run_detached(ctr, rt):
    c = ctr(probe_cfg("pause"))
    # a detached container inherits our stdio: give it files, not pipes
    with open(c.stdout_path, "wb") as o, open(c.stderr_path, "wb") as e:
        r = rt.run("run", "-d", "--bundle", c.bundle, "--pid-file", c.pid_file, c.id,
                   stdout=o, stderr=e)
    assert r.rc == 0, (r, c.stderr_text())
    c.pid = int(Path(c.pid_file).read_text())
    rtlib.forget_reaped(c.pid)
    c.wait_output(1)
    st = c.state()
    assert st["status"] == "running" and st["pid"] == c.pid
    c.kill("KILL")
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert c.left_behind() == []


def test_run_stdin_passed(ctr, rt):
    c = ctr(default_config(["/bin/sh", "-c", "read x; echo got:$x"]))
    r = c.run_fg(input="hello\n")
    assert r.rc == 0, r
    assert "got:hello" in r.out


def test_state_after_init_killed_outside(ctr):
    """A container whose process died (not through the runtime) is stopped."""
    c = ctr(probe_cfg("pause"))
    c.create()
    c.start()
    c.wait_output(1)
    os.kill(c.pid, signal.SIGKILL)
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert c.left_behind() == []


def test_create_without_start_then_force_delete_kills(ctr):
    c = ctr(probe_cfg("pause"))
    c.create()
    pid = c.pid
    c.delete(force=True)
    wait_for(lambda: not helpers.rtlib.pid_alive(pid) or helpers.rtlib.reap_orphans())
    assert not helpers.rtlib.pid_alive(pid)
    assert c.probe_outputs() == []  # the user program never ran
