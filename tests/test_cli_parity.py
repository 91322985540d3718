"""The command line as callers and scripts meet it (issue 9): every verb
answers --help and `ocirun help VERB`, `kill ID 0` probes liveness, `ps`
of a stopped container, `list` in id order and only containers, a
terminal requested with no terminal to attach to, syntax errors in
config.json, the seccomp cache kept out of the state root, and a cgroup
path reused after run -d / kill KILL / delete.

What runc 1.1 does was checked against /usr/sbin/runc on the same bundles
(tests/FINDINGS.md, issue 9).  Each test starts real containers, except
the pure command-line ones."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error, rtlib, wait_for

VERBS = ["create", "start", "run", "state", "kill", "delete", "exec", "pause", "resume", "ps", "update",
         "events", "checkpoint", "restore", "list", "spec", "features"]


def probe_cfg(*args):
    return default_config(["/probe"] + list(args))


def no_pidns(cfg):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    return cfg


def cli(ocirun_bin, *args, **kw):
    p = subprocess.run([ocirun_bin] + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30, **kw)
    return rtlib.Result([ocirun_bin] + list(args), p.returncode, p.stdout, p.stderr)


# ------------------------------------------------------------------ --help, help VERB
def test_global_help_lists_every_verb_and_points_to_verb_help(ocirun_bin):
    r = cli(ocirun_bin, "--help")
    assert r.rc == 0 and r.err == "", r
    listed = re.findall(r"^  ([a-z]+) ", r.out.split("global options:")[0], re.M)
    assert set(VERBS) <= set(listed), listed
    assert "ocirun COMMAND --help" in r.out
    assert cli(ocirun_bin, "help").out == r.out


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(ocirun_bin, verb):
    """`pause --help`, `resume --help` and `features --help` answered
    "unknown option `pause`"; `ocirun help VERB` printed the global help."""
    outs = []
    for args in ([verb, "--help"], [verb, "-h"], ["help", verb]):
        r = cli(ocirun_bin, *args)
        assert r.rc == 0 and r.err == "", r
        assert r.out.startswith("usage: ocirun %s" % verb), r
        assert "--help" in r.out
        outs.append(r.out)
    assert outs[0] == outs[1] == outs[2]


@pytest.mark.parametrize("verb", VERBS)
def test_verb_help_gives_exit_status_and_its_man_page(ocirun_bin, verb):
    """issue 15: `run --help` did not say that the container's status
    (128+signal) is ocirun's, and no help pointed at a manual page; every
    verb's page is in docs/man/ (installed by make install)."""
    out = cli(ocirun_bin, verb, "--help").out
    assert "exit status:" in out, out
    assert "man ocirun-%s" % verb in out, out
    if verb in ("run", "restore", "exec"):
        assert "128+N" in out, out
    page = Path(__file__).resolve().parent.parent / "docs" / "man" / ("ocirun-%s.8" % verb)
    text = page.read_text()
    assert text.count(".SH EXIT STATUS") == 1 and ("\\fB%s\\fR" % verb) in text, page
    assert "man ocirun-COMMAND" in cli(ocirun_bin, "--help").out


def test_help_needs_no_state_root(ocirun_bin):
    """A user with no XDG_RUNTIME_DIR (and /run/ocirun not writable) got
    the state-root error instead of the help it asked for."""
    as_nobody = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "env", "-i",
                 "PATH=/usr/bin:/bin", ocirun_bin]
    if subprocess.run(as_nobody + ["--version"], capture_output=True).returncode != 0:
        pytest.skip("nobody cannot run %s" % ocirun_bin)
    assert subprocess.run(as_nobody + ["list"], capture_output=True).returncode != 0
    for args in (["kill", "--help"], ["help", "kill"], ["pause", "-h"], ["help"]):
        p = subprocess.run(as_nobody + args, capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stdout.startswith("usage: ocirun"), (args, p)


def test_help_of_unknown_verb_fails(ocirun_bin):
    msg = one_line_error(cli(ocirun_bin, "help", "nope"))
    assert "nope" in msg


def test_unknown_option_is_named(ocirun_bin):
    """getopt leaves optind on `-xa` until its last letter: the letter is
    named, not the previous argument."""
    msg = one_line_error(cli(ocirun_bin, "--root", "/nonexistent-ocirun-root", "kill", "-xa", "id"))
    assert "`-x`" in msg and "kill --help" in msg, msg
    msg = one_line_error(cli(ocirun_bin, "--root", "/nonexistent-ocirun-root", "pause", "--bogus", "id"))
    assert "`--bogus`" in msg, msg


# ------------------------------------------------------------------ kill ID 0
def test_kill_signal_zero_probes_liveness(ctr):
    """`kill ID 0` was refused ("unknown signal `0`"); runc: exit 0 while
    the init exists (nothing is sent), "container not running" once it is
    gone.  --all too: runc exits 0 even for a stopped container."""
    c = ctr(probe_cfg("pause"))
    c.create()
    for args in (["kill", c.id, "0"], ["kill", "--all", c.id, "0"]):
        r = c.rt.run(*args)
        assert r.rc == 0 and r.err == "", r
    assert c.state()["status"] == "created"
    c.start()
    c.wait_output(1)
    for args in (["kill", c.id, "0"], ["kill", "--all", c.id, "0"], ["kill", "-a", c.id, "0"]):
        r = c.rt.run(*args)
        assert r.rc == 0 and r.err == "", r
    # nothing was delivered, nothing frozen: the probe (which exits on any
    # catchable signal) is still there, and still running
    assert rtlib.pid_alive(c.pid)
    assert c.state()["status"] == "running"
    assert len(c.probe_outputs()) == 1
    c.kill("KILL")
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    msg = one_line_error(c.rt.run("kill", c.id, "0"))
    # containerd's shim reads "no such process" as "already exited"
    assert "stopped" in msg and "no such process" in msg, msg
    r = c.rt.run("kill", "--all", c.id, "0")
    assert r.rc == 0, r
    msg = one_line_error(c.rt.run("kill", "nonexistent-" + c.id, "0"))
    assert "does not exist" in msg


# ------------------------------------------------------------------ ps of a stopped container
def test_ps_of_stopped_container_is_empty(ctr):
    """ps of a stopped container failed; runc prints the header (table) or
    an empty list (runc's json is `null`: ocirun prints `[]`, which every
    JSON reader of runc's output also accepts)."""
    c = ctr(probe_cfg("exit", "0"))
    c.create()
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    r = c.rt.run("ps", c.id)
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert len(lines) == 1 and "PID" in lines[0], r
    r = c.rt.run("ps", "--format", "json", c.id)
    assert r.rc == 0, r
    assert json.loads(r.out) == []


def test_ps_of_stopped_container_lists_what_is_left(ctr):
    """Without a pid namespace a child outlives the init: runc's ps lists
    what is still in the cgroup of a stopped container."""
    c = ctr(no_pidns(default_config(["/bin/sh", "-c", "sleep 300 & echo $! > /tmp/child; exit 0"])))
    c.create()
    c.start()
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    child = int(wait_for(lambda: (c.rootfs / "tmp" / "child").exists() and (c.rootfs / "tmp" / "child").read_text()))
    r = c.rt.run("ps", "--format", "json", c.id)
    assert r.rc == 0, r
    assert json.loads(r.out) == [child]
    r = c.rt.run("ps", c.id)
    assert r.rc == 0 and len(r.out.splitlines()) == 2 and str(child) in r.out, r


# ------------------------------------------------------------------ list
def test_list_is_ordered_by_id(ctr, rt):
    """runc lists by id (Go's os.ReadDir sorts); ocirun printed directory
    order.  Table, -q and --format json alike."""
    suffix = helpers.new_id("")
    ids = ["m" + suffix, "z" + suffix, "a" + suffix, "k" + suffix, "b" + suffix]
    for cid in ids:
        ctr(probe_cfg("pause"), cid=cid).create()
    want = sorted(ids)
    r = rt.run("list", "-q")
    assert r.rc == 0 and r.out.split() == want, r
    r = rt.run("list")
    assert r.rc == 0, r
    assert [ln.split()[0] for ln in r.out.splitlines()[1:]] == want
    r = rt.run("list", "--format", "json")
    assert r.rc == 0, r
    assert [e["id"] for e in json.loads(r.out)] == want


def test_list_shows_only_containers(ctr, rt):
    """A state root shared with other runc-style runtimes (Docker's
    containerd shim gives them all one) holds entries that are not ocirun
    containers: list shows only containers, in every format."""
    c = ctr(probe_cfg("pause"))
    c.create()
    root = Path(rt.root)
    made = [root / ".seccomp-cache", root / "not-a-container", root / "some-file"]
    made[0].mkdir()
    made[1].mkdir()
    (made[1] / "state.json").write_text("{}")
    made[2].write_text("x")
    try:
        assert rt.run("list", "-q").out.split() == [c.id]
        assert [e["id"] for e in json.loads(rt.run("list", "--format", "json").out)] == [c.id]
        assert [ln.split()[0] for ln in rt.run("list").out.splitlines()[1:]] == [c.id]
    finally:
        (made[1] / "state.json").unlink()
        for p in made[:2]:
            p.rmdir()
        made[2].unlink()


# ------------------------------------------------------------------ process.terminal without a terminal
def sh_tty(script):
    cfg = default_config(["/bin/sh", "-c", script])
    cfg["process"]["terminal"] = True
    return cfg


def test_run_terminal_without_controlling_terminal_fails_at_once(ctr):
    """`run` of a process.terminal container with no terminal (stdin
    /dev/null, stdout and stderr pipes, no controlling terminal, no
    --console-socket) hung: the
    shell waited for input nobody could type and ignored the SIGTERM
    forwarded to it.  runc fails at once ("open /dev/tty: no such device
    or address"); so does ocirun, leaving nothing behind (the fixture
    checks state, cgroups, processes)."""
    c = ctr(sh_tty("exec sh"))
    r = c.rt.run("run", "--bundle", c.bundle, c.id, timeout=60)  # stdin /dev/null, no ctty (pytest has none)
    msg = one_line_error(r)
    assert "process.terminal" in msg and "/dev/tty" in msg and "--console-socket" in msg, msg
    assert not c.state_dir().exists()
    assert c.cgroup_dirs() == []


@pytest.mark.parametrize("verb", [["create"], ["run", "--detach"]])
def test_detached_terminal_without_console_socket_fails(ctr, verb):
    """runc: "cannot allocate tty if runc will detach without setting
    console socket"; nothing is left behind."""
    c = ctr(sh_tty("exec sh"))
    msg = one_line_error(c.rt.run(*verb, "--bundle", c.bundle, c.id, timeout=60))
    assert "--console-socket" in msg, msg
    assert not c.state_dir().exists()
    assert c.cgroup_dirs() == []


def test_run_terminal_with_a_terminal_on_stderr_only(ctr):
    """runc looks for a terminal on stderr, stdout, stdin, then /dev/tty:
    stdin </dev/null and stdout a pipe, with stderr on a terminal and no
    controlling terminal, run works (the container's output comes through
    its pty to stdout)."""
    import pty
    c = ctr(sh_tty("echo out-$((6*7))"))
    master, slave = pty.openpty()
    try:
        p = subprocess.run(c.rt.argv("run", "--bundle", c.bundle, c.id), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=slave, start_new_session=True, timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 0, p
    assert b"out-42" in p.stdout, p
    assert not c.state_dir().exists()


def test_run_terminal_uses_controlling_terminal_with_stdin_devnull(ctr, work):
    """runc attaches to the controlling terminal, whatever stdin is: from
    a terminal, `run` with stdin </dev/null works."""
    import pty
    import select
    c = ctr(sh_tty("echo tty-ok-$((6*7)); test -t 0 && echo stdin-is-tty"))
    master, slave = pty.openpty()
    slave_name = os.ttyname(slave)

    def acquire_ctty():
        # after setsid (start_new_session): opening a tty makes it ours
        os.close(os.open(slave_name, os.O_RDWR))

    p = subprocess.Popen(c.rt.argv("run", "--bundle", c.bundle, c.id), stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=slave, start_new_session=True, preexec_fn=acquire_ctty)
    os.close(slave)
    out = b""
    try:
        while True:
            rl, _, _ = select.select([master], [], [], 60)
            if not rl:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every slave fd closed
                break
            if not chunk:
                break
            out += chunk
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    text = out.decode(errors="replace")
    assert rc == 0, text
    assert "tty-ok-42" in text and "stdin-is-tty" in text, text
    assert not c.state_dir().exists()


# ------------------------------------------------------------------ the seccomp cache
def unique_profile():
    """A profile no other test compiles (its cache key is its own)."""
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_ERRNO",
                          "errnoRet": 1 + int.from_bytes(os.urandom(2), "little") % 4000}]}


def run_with_profile(ctr, env=None):
    cfg = default_config(["/bin/true"])
    cfg["linux"]["seccomp"] = unique_profile()
    c = ctr(cfg)
    r = c.rt.run("run", "--bundle", c.bundle, c.id, env=env)
    assert r.rc == 0, r
    return c


def listing(d):
    return set(os.listdir(d)) if os.path.isdir(d) else set()


def test_seccomp_cache_is_not_in_the_state_root(ctr, rt, work):
    """`.seccomp-cache` was made in --root: containerd's shim gives every
    runc-style runtime one root (Docker: /run/containerd/runc/moby) and
    `runc list` there showed it as a broken container.  The cache is in
    $OCIRUN_SECCOMP_CACHE (set for the whole suite, conftest.py) and the
    state root holds nothing but containers."""
    cache = work / "cache"
    env = dict(os.environ, OCIRUN_SECCOMP_CACHE=str(cache))
    run_with_profile(ctr, env)
    assert os.listdir(rt.root) == []
    files = listing(cache)
    assert len(files) == 1 and next(iter(files)).endswith(".bpf"), files
    # runc, given ocirun's state root, finds nothing that is not a container
    r = subprocess.run(["runc", "--root", rt.root, "list", "-q"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr == "", r


def test_seccomp_cache_can_be_disabled(ctr, rt, work):
    run_with_profile(ctr, dict(os.environ, OCIRUN_SECCOMP_CACHE=""))
    assert os.listdir(rt.root) == []
    assert not (Path(rt.root) / ".seccomp-cache").exists()


def test_seccomp_cache_default_as_root(ctr, rt):
    """Without OCIRUN_SECCOMP_CACHE, root's cache is /run/ocirun-seccomp-cache
    (a directory of its own next to the default root, 0700).  Only what this
    test made there is removed."""
    default = Path("/run/ocirun-seccomp-cache")
    existed = default.is_dir()
    before = listing(default)
    env = {k: v for k, v in os.environ.items() if k != "OCIRUN_SECCOMP_CACHE"}
    try:
        run_with_profile(ctr, env)
        assert os.listdir(rt.root) == []
        new = listing(default) - before
        assert len(new) == 1 and next(iter(new)).endswith(".bpf"), new
        assert default.stat().st_mode & 0o777 == 0o700
    finally:
        if not existed:
            subprocess.run(["rm", "-rf", str(default)])
        else:
            for f in listing(default) - before:
                (default / f).unlink()


# ------------------------------------------------------------------ syntax errors in config.json
def test_missing_brace_is_a_syntax_error(ctr, rt):
    """An object missing its `}` was reported as a missing process.cwd (the
    next `}` closed it early).  runc: "unexpected EOF".  ocirun: a syntax
    error with line and column, and nothing made."""
    c = ctr(probe_cfg("ids"))
    text = json.dumps(c.config, indent=2)
    # drop the `}` that closes process.user
    i = text.index('"user": {')
    j = text.index("}", i)
    (c.bundle / "config.json").write_text(text[:j] + text[j + 1:])
    msg = one_line_error(c.rt.run("create", "--bundle", c.bundle, c.id))
    assert msg.startswith("config.json: syntax error at line "), msg
    assert "column" in msg and "cwd" not in msg, msg
    assert os.listdir(rt.root) == []


# ------------------------------------------------------------------ a cgroup path reused
@pytest.mark.parametrize("pidns", [False, True], ids=["no-pidns", "pidns"])
def test_cgroup_path_reused_after_kill_and_delete(ctr, work, pidns):
    """run -d / kill KILL / delete, then the same cgroupsPath again: the
    next create found "container's cgroup ... is not empty: 1 process(es)
    found".  Without a pid namespace of its own (host pid namespace, or
    one joined from another container) the init's children outlive it in
    the cgroup; delete removed the state but could not rmdir the cgroup
    (EBUSY), delete --force of a stopped container did not kill them
    either.  runc's delete kills what is left and waits for the cgroup to
    empty.  Bounded loop; every variant: delete with and without --force,
    with and without waiting for `stopped` first."""
    script = "sleep 300 & sleep 300 & exec sleep 300"
    cfg = default_config(["/bin/sh", "-c", script])
    if not pidns:
        no_pidns(cfg)
    c = ctr(cfg)
    cgpath = c.config["linux"]["cgroupsPath"]
    errfile = work / "loop.err"
    for i in range(50 if not pidns else 20):
        force, wait_stopped = i % 2 == 1, i % 4 < 2
        with open(errfile, "w+") as ef:
            # the container's stdio must not be a pipe we wait on
            r = c.rt.run("run", "--detach", "--bundle", c.bundle, c.id, stdout=subprocess.DEVNULL, stderr=ef)
            ef.seek(0)
            assert r.rc == 0, "iteration %d: run -d: %s" % (i, ef.read())
        c.pid = c.state()["pid"]
        rtlib.forget_reaped(c.pid)
        assert c.rt.kill(c.id, "KILL").rc == 0
        if wait_stopped or not force:
            wait_for(lambda: (rtlib.reap_orphans(), helpers.status_of(c.rt, c.id) == "stopped")[1])
        r = c.rt.delete(c.id, force=force)
        assert r.rc == 0, "iteration %d (force=%s): %r" % (i, force, r)
        assert not c.state_dir().exists()
        assert helpers.cgroup_dirs_for(cgpath) == [], "iteration %d: cgroup left" % i
        rtlib.reap_orphans()
