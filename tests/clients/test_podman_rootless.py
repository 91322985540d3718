"""ocirun as the runtime of ROOTLESS podman: podman 4.3 and conmon 2.1 run
as an unprivileged test user (with /etc/subuid and /etc/subgid ranges),
and run ocirun as uid 0 of podman's user namespace.  See rootlesslib.py
for the user, the isolation (a private directory owned by the user, its
own XDG_RUNTIME_DIR) and where things live.

Each test ends with `podman rm -af` (as the user) and then fails if an
ocirun state dir ($XDG_RUNTIME_DIR/ocirun/<id>), a process of the user or
of its subordinate ids (other than podman's pause process), a mount of ours
(in this or the pause process's mount namespace) or a cgroup named after
one of our containers is left behind.

Not covered here, and why (this host: cgroup v1 hybrid, no systemd user
session): cgroup limits, stats, update and pause/unpause -- a rootless
container on cgroup v1 has no cgroup (podman passes no cgroupsPath and
ocirun cannot make one); podman refuses pause itself, which
test_pause_refused_without_cgroup checks; `stop` of a `--pid host`
container (kill --all finds the processes in the cgroup: skipped, with
the reason); networks (--network none: slirp4netns is not needed);
--init (catatonit is not installed).
"""
import re
import subprocess
from pathlib import Path

import pytest

import podlib
import rootlesslib
from rootlesslib import IMAGE

pytestmark = pytest.mark.skipif(rootlesslib.missing_tools() is not None, reason=str(rootlesslib.missing_tools()))


@pytest.fixture(scope="module")
def rl_session(ocirun_bin, rootfs_template):
    pm = rootlesslib.make_rootless_podman(ocirun_bin, rootfs_template)
    left = []
    try:
        yield pm
    finally:
        try:
            left = pm.destroy()
        finally:
            rootlesslib.remove_user(pm.pw)
    assert not left, "left behind at the end of the session: %s" % left


@pytest.fixture
def pm(rl_session):
    pm = rl_session
    yield pm
    left = pm.clean()
    if left:
        pm.force_cleanup()
        pytest.fail("left behind after podman rm -af: " + "; ".join(left), pytrace=False)


def status_line(pm, cid):
    return pm.ok("ps", "-a", "--filter", "id=" + cid, "--format", "{{.Status}}").strip()


def status_fields(text):
    d = dict(ln.split(":", 1) for ln in text.splitlines() if ":" in ln)
    return {k: v.strip() for k, v in d.items()}


def host_uid(pid):
    return int(status_fields(Path("/proc/%d/status" % pid).read_text())["Uid"].split()[0])


def maps(text):
    return [ln.split() for ln in text.strip().splitlines()]


# ------------------------------------------------------------------ run
def test_run_rm_exit_status_and_id_mapping(pm):
    p = pm.run("--rm", IMAGE, "sh", "-c", "id; cat /proc/self/uid_map; cat /proc/self/gid_map; "
               "echo to-stderr >&2; exit 7")
    assert p.returncode == 7, p
    lines = p.stdout.splitlines()
    assert lines[0].startswith("uid=0(root) gid=0(root)"), p
    # uid 0 inside is the user outside; 1.. are the user's subordinate ids
    uid, gid = pm.pw.pw_uid, pm.pw.pw_gid
    assert maps("\n".join(lines[1:3])) == [["0", str(uid), "1"], ["1", str(rootlesslib.SUBID),
                                                                   str(rootlesslib.SUBSIZE)]], p
    assert maps("\n".join(lines[3:5])) == [["0", str(gid), "1"], ["1", str(rootlesslib.SUBID),
                                                                   str(rootlesslib.SUBSIZE)]], p
    assert "to-stderr" in p.stderr
    assert pm.ok("ps", "-aq").strip() == ""
    assert not pm.leftovers()


def test_run_detached_ps_logs_exec(pm):
    cid = pm.start_detached("sh", "-c", "echo hello-from-ctr; exec sleep 1000")
    assert status_line(pm, cid).startswith("Up"), status_line(pm, cid)
    pm.wait_logs(cid, "hello-from-ctr")
    st = pm.state(cid)
    assert st["Status"] == "running" and st["Running"] and st["Pid"] > 0, st
    # the container's init runs as the user on the host
    assert host_uid(st["Pid"]) == pm.pw.pw_uid
    # ocirun keeps its state under the user's XDG_RUNTIME_DIR, owned by the user
    sd = pm.state_dir / cid
    assert sd.is_dir() and sd.stat().st_uid == pm.pw.pw_uid, sd
    assert not (podlib.RUNTIME_STATE / cid).exists()
    # the leak checks see a live container (so they can see a leaked one)
    assert pm.processes() and any(cid in ln for ln in pm.leftovers())

    # exec: status, stdout, stderr, stdin, env, cwd
    p = pm("exec", cid, "sh", "-c", "echo out; echo err >&2; exit 5")
    assert p.returncode == 5 and p.stdout == "out\n" and "err" in p.stderr, p
    assert pm.ok("exec", "-i", cid, "cat", input="piped-stdin\n") == "piped-stdin\n"
    assert pm.ok("exec", "-e", "FOO=bar baz", "-w", "/tmp", cid, "sh", "-c", 'echo "$FOO"; pwd') == "bar baz\n/tmp\n"
    # exec -u: a subordinate id inside, SUBID+999 outside
    assert pm.ok("exec", "-u", "1000:1001", cid, "id").strip() == "uid=1000 gid=1001"
    out = pm.ok("exec", "-u", "1000:1001", cid, "sh", "-c", "grep -E '^(Uid|Gid):' /proc/self/status")
    assert [ln.split()[1] for ln in out.splitlines()] == ["1000", "1001"], out
    ep = subprocess.Popen(pm.argv("exec", "-u", "1000:1001", cid, "sh", "-c", "echo $$; exec sleep 1000"),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ns_pid = int(ep.stdout.readline())
        # find it on the host: the process of the container's pid namespace with that pid
        host = [p for p in pm.processes() if _ns_pid(int(p)) == ns_pid and int(p) != st["Pid"]]
        assert host and {host_uid(int(h)) for h in host} == {rootlesslib.SUBID + 999}, host
    finally:
        ep.kill()
        ep.wait()
    # ps (podman top through the runtime's processes)
    out = pm.ok("top", cid, "pid", "args")
    assert re.search(r"^1\s+sleep 1000", out, re.M), out
    pm.ok("rm", "-f", "-t", "0", cid)
    assert cid not in pm.ok("ps", "-aq", "--no-trunc")
    assert not sd.exists()


def _ns_pid(pid):
    """The pid of a host process in its innermost pid namespace."""
    try:
        return int(status_fields(Path("/proc/%d/status" % pid).read_text())["NSpid"].split()[-1])
    except (OSError, KeyError, ValueError):
        return None


def test_exec_errors_carry_ocirun_message(pm):
    cid = pm.start_detached("sleep", "1000")
    p = pm("exec", cid, "/no/such/prog")
    assert p.returncode == 127, p
    assert "ocirun: process.args[0]: `/no/such/prog`: no such file or directory" in p.stderr, p.stderr
    p = pm("exec", cid, "/etc/passwd")
    assert p.returncode == 126, p
    assert "ocirun: process.args[0]: `/etc/passwd`: permission denied" in p.stderr, p.stderr
    # a user outside the container's mappings
    p = pm("exec", "-u", "70000", cid, "id")
    assert p.returncode != 0, p
    assert "ocirun: " in p.stderr and "70000" in p.stderr, p.stderr


# ------------------------------------------------------------------ terminal
def test_run_tty(pm):
    p = pm.run("--rm", "-t", IMAGE, "sh", "-c", "tty; [ -t 0 ] && echo stdin-is-tty; exit 3")
    assert p.returncode == 3, p
    assert re.search(r"/dev/pts/0", p.stdout) and "stdin-is-tty" in p.stdout, p


def test_run_interactive_tty_on_a_pty(pm):
    rc, out = podlib.run_on_pty(pm.argv(*pm.run_args("--rm", "-it", IMAGE, "sh")), pm.env,
                                [("# ", "tty; stty size; echo $((6*7))y; exit 6\n")])
    assert rc == 6, out
    assert "/dev/pts/0" in out and "42y" in out, out
    # conmon resized the container's terminal to ours
    assert "33 101" in out, out


def test_exec_tty(pm):
    cid = pm.start_detached("sleep", "1000")
    p = pm("exec", "-t", cid, "sh", "-c", "tty; exit 4")
    assert p.returncode == 4, p
    assert re.search(r"/dev/pts/\d+", p.stdout), p
    rc, out = podlib.run_on_pty(pm.argv("exec", "-it", cid, "sh"), pm.env,
                                [("# ", "stty size; echo $((6*7))x; exit 9\n")])
    assert rc == 9, out
    assert "42x" in out and "33 101" in out, out


# ------------------------------------------------------------------ signals
def test_stop_sigterm_and_kill_after_timeout(pm):
    cid = pm.start_detached("sh", "-c", "trap 'echo got-TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done")
    pm.wait_logs(cid, "ready")
    pm.ok("stop", "-t", "20", cid)
    st = pm.state(cid)
    assert st["Status"] == "exited" and st["ExitCode"] == 0, st
    assert "got-TERM" in pm.ok("logs", cid)
    # TERM first (the trap sees it and does not exit), KILL after -t
    cid = pm.start_detached("sh", "-c", "trap 'echo got-TERM' TERM; echo ready; while :; do sleep 0.1; done")
    pm.wait_logs(cid, "ready")
    pm.ok("stop", "-t", "1", cid)
    st = pm.state(cid)
    assert st["Status"] == "exited" and st["ExitCode"] == 137, st
    assert "got-TERM" in pm.ok("logs", cid)


def test_kill_signal(pm):
    cid = pm.start_detached("sh", "-c", "trap 'echo got-USR1' USR1; echo ready; while :; do sleep 0.1; done")
    pm.wait_logs(cid, "ready")
    pm.ok("kill", "-s", "USR1", cid)
    pm.wait_logs(cid, "got-USR1")
    assert pm.state(cid)["Status"] == "running"
    pm.ok("kill", "-s", "SIGKILL", cid)
    st = pm.wait_status(cid, "exited")
    assert st["ExitCode"] == 137, st


def test_start_again_and_restart(pm):
    cid = pm.start_detached("sh", "-c", "echo run-once")
    assert pm.ok("wait", cid).strip() == "0"
    pm.ok("start", cid)  # the same id is created again in ocirun
    assert pm.ok("wait", cid).strip() == "0"
    pm.ok("restart", "-t", "0", cid)
    assert pm.ok("wait", cid).strip() == "0"
    assert pm.ok("logs", cid).count("run-once") == 3


# ------------------------------------------------------------------ user namespaces, volumes
def test_userns_keep_id(pm):
    vol = pm.base / "keep-id-vol"
    vol.mkdir()
    subprocess.run(["chown", "%d:%d" % (pm.pw.pw_uid, pm.pw.pw_gid), str(vol)], check=True)
    uid, gid = pm.pw.pw_uid, pm.pw.pw_gid
    p = pm.run("--rm", "--userns=keep-id", "-v", "%s:/data" % vol, IMAGE, "sh", "-c",
               "id -u; id -g; cat /proc/self/uid_map; touch /data/by-keep-id")
    assert p.returncode == 0, p
    lines = p.stdout.splitlines()
    assert lines[:2] == [str(uid), str(gid)], p
    # mappings into podman's namespace (where the user is 0, its
    # subordinate ids 1..): the user's own id is the same inside and out
    n = rootlesslib.SUBSIZE - uid  # up to the last subordinate id, 65536
    assert maps("\n".join(lines[2:])) == [["0", "1", str(uid)], [str(uid), "0", "1"],
                                          [str(uid + 1), str(uid + 1), str(n)]], p
    st = (vol / "by-keep-id").stat()
    assert (st.st_uid, st.st_gid) == (uid, gid)


def test_volume_files_owned_by_the_user(pm):
    vol = pm.base / "vol"
    vol.mkdir()
    (vol / "hostfile").write_text("from-host\n")
    subprocess.run(["chown", "-R", "%d:%d" % (pm.pw.pw_uid, pm.pw.pw_gid), str(vol)], check=True)
    vol.chmod(0o777)
    p = pm.run("--rm", "-v", "%s:/mnt" % vol, IMAGE, "sh", "-c",
               "cat /mnt/hostfile; stat -c %u:%g /mnt/hostfile; echo by-root > /mnt/by-root; "
               "echo by-root > /mnt/chowned; chown 1000:1000 /mnt/chowned")
    assert p.returncode == 0, p
    # the user's files are root's inside
    assert p.stdout.splitlines()[:2] == ["from-host", "0:0"], p
    # root of the container wrote it: the user owns it outside
    st = (vol / "by-root").stat()
    assert (st.st_uid, st.st_gid) == (pm.pw.pw_uid, pm.pw.pw_gid), st
    assert (vol / "by-root").read_text() == "by-root\n"
    # chown to a subordinate id inside is SUBID+999 outside
    st = (vol / "chowned").stat()
    assert (st.st_uid, st.st_gid) == (rootlesslib.SUBID + 999,) * 2, st
    p = pm.run("--rm", "-u", "1000:1000", "-v", "%s:/mnt" % vol, IMAGE, "sh", "-c", "echo x > /mnt/by-1000")
    assert p.returncode == 0, p
    st = (vol / "by-1000").stat()
    assert (st.st_uid, st.st_gid) == (rootlesslib.SUBID + 999,) * 2, st
    # a named volume keeps its data between containers
    pm.ok(*pm.run_args("--rm", "-v", "ocirun-rlvol:/data", IMAGE, "sh", "-c", "echo kept > /data/f"))
    assert pm.run("--rm", "-v", "ocirun-rlvol:/data", IMAGE, "cat", "/data/f").stdout == "kept\n"
    pm.ok("volume", "rm", "ocirun-rlvol")


# ------------------------------------------------------------------ security
def test_read_only(pm):
    p = pm.run("--rm", "--read-only", IMAGE, "sh", "-c",
               "touch /x && echo wrote-root; touch /tmp/x && echo wrote-tmp; exit 0")
    assert p.returncode == 0, p
    assert "wrote-root" not in p.stdout and "wrote-tmp" in p.stdout, p
    assert "Read-only file system" in p.stderr, p


def test_cap_drop_all(pm):
    p = pm.run("--rm", "--cap-drop", "ALL", IMAGE, "sh", "-c",
               "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status; chown 1:1 /tmp && echo chowned; exit 0")
    assert p.returncode == 0, p
    caps = status_fields(p.stdout)
    assert {k: int(caps[k], 16) for k in ("CapPrm", "CapEff", "CapBnd")} == {"CapPrm": 0, "CapEff": 0, "CapBnd": 0}, p
    assert "chowned" not in p.stdout and "Operation not permitted" in p.stderr, p
    # the default set (podman's 11 capabilities) otherwise
    p = pm.run("--rm", IMAGE, "grep", "CapEff", "/proc/self/status")
    eff = int(p.stdout.split()[1], 16)
    assert eff & (1 << 0) and not eff & (1 << 21), p.stdout  # CHOWN yes, SYS_ADMIN no


def test_default_seccomp_profile(pm):
    p = pm.run("--rm", IMAGE, "grep", "Seccomp:", "/proc/self/status")
    assert p.returncode == 0 and p.stdout.split()[1] == "2", p
    p = pm.run("--rm", "--security-opt", "seccomp=unconfined", IMAGE, "grep", "Seccomp:", "/proc/self/status")
    assert p.returncode == 0 and p.stdout.split()[1] == "0", p


# ------------------------------------------------------------------ errors
def test_missing_binary_error_carries_ocirun_message(pm):
    p = pm.run("--rm", IMAGE, "/no/such/binary")
    assert p.returncode == 127, p
    assert "ocirun: process.args[0]: `/no/such/binary`: no such file or directory" in p.stderr, p.stderr
    p = pm.run("--rm", IMAGE, "no-such-cmd")
    assert p.returncode == 127, p
    assert "ocirun: process.args[0]: `no-such-cmd`: executable file not found in $PATH" in p.stderr, p.stderr
    assert pm.ok("ps", "-aq").strip() == ""


def test_pause_refused_without_cgroup(pm):
    """Rootless on cgroup v1: the container has no cgroup, so no freezer;
    podman itself refuses (with crun and runc alike) before asking the
    runtime, and the container keeps running."""
    cid = pm.start_detached("sleep", "1000")
    p = pm("pause", cid)
    assert p.returncode == 125, p
    assert "can not pause containers on rootless containers with cgroup V1" in p.stderr, p.stderr
    assert pm.state(cid)["Status"] == "running"
    p = pm("unpause", cid)
    assert p.returncode != 0, p
    assert pm.state(cid)["Status"] == "running"


def test_stop_host_pid_namespace_kills_all(pm):
    """`--pid host`: stopping is `kill --all`, which finds the container's
    processes in its cgroup; a rootless container on cgroup v1 has none."""
    if not Path("/sys/fs/cgroup/cgroup.controllers").exists():
        pytest.skip("rootless on cgroup v1: the container has no cgroup, so `kill --all` cannot find the "
                    "processes of a container without its own pid namespace (runc 1.1 and ocirun alike leave "
                    "them running after `podman stop`)")
    cid = pm.start_detached("sh", "-c", "sleep 1000 & sleep 1001 & echo ready; wait", opts=("--pid", "host"))
    pm.wait_logs(cid, "ready")
    before = set(pm.processes())
    assert len(before) >= 3, before
    pm.ok("stop", "-t", "1", cid)
    assert pm.state(cid)["Status"] == "exited"
    podlib.reap()
    assert not pm.processes(), pm.processes()
