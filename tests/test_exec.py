"""exec: run another process in a running container (runc's flags and
--process), its namespaces, cgroup, credentials, exit status, signals,
terminal, and every wrong state / bad input with nothing left behind."""
import json
import os
import signal
import subprocess
import time

import pytest

import helpers
from helpers import default_config, one_line_error, rtlib, wait_for


@pytest.fixture
def running(ctr):
    """A started container whose init (/probe pause) waits for a signal."""
    c = ctr(default_config(["/probe", "pause"]))
    c.create()
    c.start()
    c.wait_output(1)
    return c


def exec_(c, *args, **kw):
    return c.rt.run("exec", *args, **kw)


def probe_json(res):
    assert res.rc == 0, res
    line = [ln for ln in res.out.splitlines() if ln.startswith("{")][0]
    return json.loads(line)


def test_exec_runs_in_the_container_and_returns_its_status(running):
    c = running
    p = probe_json(exec_(c, c.id, "/probe", "ids", "ns", "cgroup"))
    assert p["uid"] == [0, 0, 0]
    # every namespace of the init, and its cgroup
    for kind in ("mnt", "pid", "uts", "ipc", "net"):
        assert p["ns"][kind] == os.readlink("/proc/%d/ns/%s" % (c.pid, kind)), kind
    # same cgroups as the init, as seen from inside the container
    init_view = exec_(c, c.id, "cat", "/proc/1/cgroup")
    assert init_view.rc == 0, init_view
    assert sorted(p["cgroup"]) == sorted(init_view.out.split()), (p["cgroup"], init_view.out)
    assert exec_(c, c.id, "sh", "-c", "exit 7").rc == 7
    assert exec_(c, c.id, "sh", "-c", "kill -KILL $$").rc == 128 + signal.SIGKILL


def test_exec_in_the_init_cgroup(running, work):
    c = running
    pidf = work / "exec-cg.pid"
    r = exec_(c, "-d", "--pid-file", str(pidf), c.id, "sleep", "30",
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert r.rc == 0, r
    pid = int(pidf.read_text())
    # on the host, the exec'd process is a member of the container's cgroup
    # in every hierarchy, like the init
    dirs = c.cgroup_dirs()
    assert dirs
    for d in dirs:
        procs = (d / "cgroup.procs").read_text().split()
        assert str(c.pid) in procs and str(pid) in procs, (d, procs)


def test_exec_user_env_cwd_groups(running):
    c = running
    p = probe_json(exec_(c, "--user", "1000:1001", "--additional-gids", "5,6", "-e", "FOO=bar",
                         "--env", "PATH=/bin", "--cwd", "/tmp", c.id, "/probe", "ids", "env", "cwd"))
    assert p["uid"] == [1000, 1000, 1000]
    assert p["gid"] == [1001, 1001, 1001]
    assert sorted(p["groups"]) == [5, 6]
    assert "FOO=bar" in p["env"] and "PATH=/bin" in p["env"]
    assert p["cwd"] == "/tmp"


def test_exec_process_json(running, work):
    c = running
    proc = {
        "terminal": False,
        "user": {"uid": 1234, "gid": 4321, "additionalGids": [7]},
        "args": ["/probe", "ids", "env", "cwd", "status"],
        "env": ["PATH=/bin", "HELLO=world"],
        "cwd": "/dev",
        "noNewPrivileges": True,
        "capabilities": {"bounding": ["CAP_KILL"], "effective": [], "permitted": []},
    }
    pj = work / "process.json"
    pj.write_text(json.dumps(proc))
    p = probe_json(exec_(c, "--process", str(pj), c.id))
    assert p["uid"] == [1234, 1234, 1234] and p["gid"] == [4321, 4321, 4321] and p["groups"] == [7]
    assert "HELLO=world" in p["env"] and p["cwd"] == "/dev"
    assert int(p["status"]["NoNewPrivs"]) == 1
    assert helpers.caps_from_hex(p["status"]["CapBnd"]) == {"CAP_KILL"}
    assert helpers.caps_from_hex(p["status"]["CapEff"]) == set()


def test_exec_cap_and_no_new_privs(running):
    c = running
    p = probe_json(exec_(c, "--cap", "CAP_SYS_ADMIN", "--no-new-privs", c.id, "/probe", "status"))
    assert "CAP_SYS_ADMIN" in helpers.caps_from_hex(p["status"]["CapEff"])
    assert int(p["status"]["NoNewPrivs"]) == 1


def test_exec_detach_pid_file(running, work):
    c = running
    pidf = work / "exec.pid"
    # the detached process keeps our stdio: no pipes, or we would wait for it
    r = exec_(c, "-d", "--pid-file", str(pidf), c.id, "sleep", "30",
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert r.rc == 0, r
    pid = int(pidf.read_text())
    assert rtlib.pid_alive(pid)
    # the detached process is in the container: `ps --format json` lists it
    ps = c.rt.run("ps", "--format", "json", c.id)
    assert ps.rc == 0 and pid in json.loads(ps.out), ps


def test_exec_tty_console_socket(running, work):
    c = running
    with rtlib.ConsoleSocket(work / "console.sock") as cs:
        r = exec_(c, "--tty", "-d", "--console-socket", cs.path, c.id, "sh", "-c",
                  "tty; stty size; sleep 1", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert r.rc == 0, r
        master = cs.receive()
        assert master is not None, "no pty received on the console socket"
        out = rtlib.read_all(master, timeout=5).decode(errors="replace")
    assert "/dev/pts/" in out, out


def test_exec_process_json_terminal_console_socket(running, work):
    """containerd's shim runs `exec --process F --console-socket S --detach
    --pid-file P` with `"terminal": true` in F and no --tty: the terminal
    comes from process.json (runc's rule), not from the --tty flag."""
    c = running
    pj = work / "process.json"
    proc = {"terminal": True, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "tty; sleep 1"],
            "env": ["PATH=/bin"], "cwd": "/"}
    pj.write_text(json.dumps(proc))
    with rtlib.ConsoleSocket(work / "console.sock") as cs:
        r = exec_(c, "--process", str(pj), "--console-socket", cs.path, "--detach",
                  "--pid-file", str(work / "exec.pid"), c.id,
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert r.rc == 0, r
        master = cs.receive()
        assert master is not None, "no pty received on the console socket"
        out = rtlib.read_all(master, timeout=5).decode(errors="replace")
    assert "/dev/pts/" in out, out
    # and the other way round: a console socket for a process without a terminal
    proc["terminal"] = False
    pj.write_text(json.dumps(proc))
    msg = one_line_error(exec_(c, "--process", str(pj), "--console-socket", str(work / "nope.sock"),
                               "--detach", c.id))
    assert "console-socket" in msg and "terminal" in msg, msg


def test_exec_foreground_forwards_signals(running):
    c = running
    p = subprocess.Popen(c.rt.argv("exec", c.id, "sh", "-c", 'trap "exit 42" TERM; while :; do sleep 0.1; done'),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait for the shell to be there (a second process in the container)
    wait_for(lambda: len(json.loads(c.rt.run("ps", "--format", "json", c.id).out or "[]")) >= 2)
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 42


def test_exec_preserve_fds(running, work):
    c = running
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    try:
        # fd 3 is passed on purpose, fd 4 is not
        os.dup2(r1, 3) if r1 != 3 else None
        res = subprocess.run(c.rt.argv("exec", "--preserve-fds", "1", c.id, "/probe", "fds"),
                             pass_fds=(3, r2), capture_output=True, timeout=30)
        p = json.loads(res.stdout.decode().splitlines()[0])
        fds = sorted(int(k) for k in p["fds"])
        assert 3 in fds and r2 not in fds, p["fds"]
    finally:
        for fd in (r1, w1, r2, w2):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.mark.parametrize("what", ["stopped", "paused", "unknown"])
def test_exec_wrong_state(ctr, what):
    c = ctr(default_config(["/probe", "pause"]))
    c.create()
    c.start()
    c.wait_output(1)
    cid = c.id
    if what == "stopped":
        c.kill("KILL")
        c.wait()
        wait_for(lambda: c.state()["status"] == "stopped")
        want = "is stopped"
    elif what == "paused":
        assert c.rt.run("pause", c.id).rc == 0
        wait_for(lambda: c.state()["status"] == "paused")
        want = "--ignore-paused"
    else:
        cid = "nope-" + c.id
        want = "does not exist"
    before = set(helpers.descendants())
    r = c.rt.run("exec", cid, "true")
    msg = one_line_error(r)
    assert want in msg, msg
    assert set(helpers.descendants()) <= before
    if what == "paused":
        assert c.rt.run("resume", c.id).rc == 0


@pytest.mark.parametrize("args,want", [
    (["--user", "nobody"], "exec --user"),
    (["--user", "1:x"], "exec --user"),
    (["--cap", "CAP_NOPE"], "CAP_NOPE"),
    (["-e", "NOEQUALS"], "exec --env"),
    (["--tty", "-d"], "console-socket"),
    (["--preserve-fds", "-1"], "--preserve-fds"),
])
def test_exec_bad_flags(running, args, want):
    c = running
    before = set(helpers.descendants())
    r = exec_(c, *args, c.id, "true")
    msg = one_line_error(r)
    assert want in msg, msg
    assert set(helpers.descendants()) <= before


def test_exec_missing_binary(running):
    c = running
    msg = one_line_error(exec_(c, c.id, "/no/such/binary"))
    assert "/no/such/binary" in msg, msg
    msg = one_line_error(exec_(c, c.id, "no-such-program"))
    assert "executable file not found" in msg, msg
    # not executable: refused before the process is made (podman exec: 126)
    msg = one_line_error(exec_(c, c.id, "/etc/passwd"))
    assert "`/etc/passwd`: permission denied" in msg, msg


def test_exec_bad_process_json(running, work):
    c = running
    pj = work / "bad.json"
    pj.write_text(json.dumps({"args": "not-an-array", "cwd": "/"}))
    msg = one_line_error(exec_(c, "--process", str(pj), c.id))
    assert msg.startswith("process.json: args"), msg
    pj.write_text("{ not json")
    msg = one_line_error(exec_(c, "--process", str(pj), c.id))
    assert msg.startswith("process.json: syntax error at line 1, column "), msg
    msg = one_line_error(exec_(c, "--process", str(work / "missing.json"), c.id))
    assert "missing.json" in msg, msg


def test_exec_no_command(running):
    msg = one_line_error(exec_(running, running.id))
    assert "no command" in msg, msg
