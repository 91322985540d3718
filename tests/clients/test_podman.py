"""ocirun as podman's OCI runtime: the real podman 4.3 and conmon 2.1
drive ocirun with runc's command line (create --bundle --pid-file
[--console-socket], start, state, kill, delete --force, exec --process
--detach [--console-socket], pause, resume, update --resources) and parse
its output and errors.  See podlib.py for the isolation (a private
directory and cgroup parent per session).

Each test ends with `podman rm -af` and then fails if an ocirun state dir
(/run/ocirun/<id>), a container cgroup, a process or a mount of ours is
left behind.
"""
import re
import shutil
import subprocess
import time

import pytest

import podlib
from podlib import IMAGE

pytestmark = pytest.mark.skipif(podlib.missing_tools() is not None, reason=str(podlib.missing_tools()))


@pytest.fixture(scope="module")
def podman_session(ocirun_bin, rootfs_template):
    # podman (as root) gives ocirun no --root, and conmon need not pass the
    # session's OCIRUN_SECCOMP_CACHE on: ocirun's default state dir and its
    # default compiled-seccomp cache may be made by this module; remove what
    # was not there before
    made = [d for d in (podlib.SECCOMP_CACHE, podlib.RUNTIME_STATE) if not d.exists()]
    pm = podlib.make_podman(ocirun_bin, rootfs_template)
    try:
        yield pm
        left = pm.destroy()
        assert not left, "left behind at the end of the session: %s" % left
    finally:
        for d in made:
            if d == podlib.SECCOMP_CACHE:
                shutil.rmtree(d, ignore_errors=True)
            else:
                try:
                    d.rmdir()  # only if empty: a state dir left is reported above
                except OSError:
                    pass


@pytest.fixture
def pm(podman_session):
    pm = podman_session
    yield pm
    left = pm.clean()
    if left:
        pm.force_cleanup()
        pytest.fail("left behind after podman rm -af: " + "; ".join(left), pytrace=False)


def status_line(pm, cid):
    return pm.ok("ps", "-a", "--filter", "id=" + cid, "--format", "{{.Status}}").strip()


def proc_status(pm, cid, *fields):
    """Fields of /proc/self/status of a process exec'd in the container."""
    out = pm.ok("exec", cid, "cat", "/proc/self/status")
    d = dict(ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
    return [d[f].strip() for f in fields]


# ------------------------------------------------------------------ run
def test_run_rm_exit_status_and_output(pm):
    p = pm.run("--rm", IMAGE, "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7")
    assert p.returncode == 7, p
    assert "to-stdout" in p.stdout
    assert "to-stderr" in p.stderr
    # --rm: the container is gone from podman, and from ocirun's state
    assert pm.ok("ps", "-aq").strip() == ""
    assert not pm.leftovers()


def test_run_killed_by_signal_status(pm):
    # (a container's pid 1 cannot SIGKILL itself: the kernel ignores signals
    # from inside its pid namespace that it has no handler for)
    fg = subprocess.Popen(pm.argv(*pm.run_args("--name", "fg-kill", IMAGE, "sh", "-c", "echo up; exec sleep 1000")),
                          env=pm.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    try:
        assert fg.stdout.readline() == "up\n"
        pm.made.add(pm.inspect("fg-kill")["Id"])
        pm.ok("kill", "fg-kill")
        out, err = fg.communicate(timeout=30)
    finally:
        if fg.poll() is None:
            fg.kill()
            fg.wait()
    assert fg.returncode == 137, (out, err)
    assert pm.state("fg-kill")["ExitCode"] == 137


def test_run_detached_ps_logs_inspect(pm):
    cid = pm.start_detached("sh", "-c", "echo hello-from-ctr; exec sleep 1000")
    assert status_line(pm, cid).startswith("Up"), status_line(pm, cid)
    pm.wait_logs(cid, "hello-from-ctr")
    st = pm.state(cid)
    assert st["Status"] == "running" and st["Running"] and st["Pid"] > 0, st
    # ocirun keeps its state in its default root (podman passes no --root)
    assert (podlib.RUNTIME_STATE / cid).is_dir()
    # the container's pid is the one in its cgroup, below our parent
    procs = podlib.controller_dir("pids", pm.cgroup(cid)).joinpath("cgroup.procs").read_text().split()
    assert str(st["Pid"]) in procs
    assert st["CgroupPath"] == pm.cgroup(cid)
    # the leak checks see a live container (so they can see a leaked one)
    assert pm.container_cgroups() and pm.processes()
    pm.ok("rm", "-f", "-t", "0", cid)
    assert cid not in pm.ok("ps", "-aq", "--no-trunc")
    assert not (podlib.RUNTIME_STATE / cid).exists()


def test_rm_force_running(pm):
    cid = pm.start_detached("sh", "-c", "trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done")
    pm.wait_logs(cid, "ready")
    pid = pm.state(cid)["Pid"]
    pm.ok("rm", "-f", cid)  # TERM (the default stop timeout is 10s; it exits at once)
    assert cid not in pm.ok("ps", "-aq", "--no-trunc")
    podlib.reap()
    assert not podlib.Path("/proc/%d" % pid).exists() or podlib.Path("/proc/%d/stat" % pid).read_text().split()[2] == "Z"


# ------------------------------------------------------------------ exec
def test_exec_status_output_env_user_workdir(pm):
    cid = pm.start_detached("sleep", "1000")
    p = pm("exec", cid, "sh", "-c", "echo out; echo err >&2; exit 5")
    assert p.returncode == 5 and p.stdout == "out\n" and "err" in p.stderr, p
    assert pm.ok("exec", "-e", "FOO=bar baz", cid, "sh", "-c", 'echo "$FOO"') == "bar baz\n"
    assert pm.ok("exec", "-u", "1000:1001", cid, "id", "-u").strip() == "1000"
    assert pm.ok("exec", "-u", "1000:1001", cid, "id", "-g").strip() == "1001"
    assert pm.ok("exec", "-w", "/tmp", cid, "pwd").strip() == "/tmp"
    assert pm.ok("exec", "-i", cid, "cat", input="piped-stdin\n") == "piped-stdin\n"
    # a missing program: podman's error carries ocirun's message
    p = pm("exec", cid, "/no/such/prog")
    assert p.returncode == 127, p
    assert "ocirun: " in p.stderr and "/no/such/prog" in p.stderr, p.stderr
    p = pm("exec", cid, "/etc/passwd")
    assert p.returncode == 126, p
    assert "ocirun: process.args[0]: `/etc/passwd`: permission denied" in p.stderr, p.stderr


def test_stats_cp_healthcheck(pm):
    # --health-interval 0: no timer (podman would ask systemd for one)
    cid = pm.start_detached("sleep", "1000", opts=("--memory", "64m", "--health-cmd", "test -e /etc/passwd",
                                                   "--health-interval", "0"))
    out = pm.ok("stats", "--no-stream", "--format", "{{.MemUsage}}|{{.PIDs}}", cid).strip()
    assert out.endswith("/ 67.11MB|1"), out
    assert "root:x:0:0" in pm.ok("cp", cid + ":/etc/passwd", "-")  # a tar stream
    pm.ok("healthcheck", "run", cid)  # an exec through ocirun
    assert pm.state(cid)["Health"]["Status"] == "healthy"


def test_exec_tty(pm):
    cid = pm.start_detached("sleep", "1000")
    p = pm("exec", "-t", cid, "sh", "-c", "tty; exit 4")
    assert p.returncode == 4, p
    assert re.search(r"/dev/pts/\d+", p.stdout), p
    # interactive on a real terminal
    rc, out = podlib.run_on_pty(pm.argv("exec", "-it", cid, "sh"), pm.env,
                                [("# ", "stty size; echo $((6*7))x; exit 9\n")])
    assert rc == 9, out
    assert "42x" in out and "33 101" in out, out


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


def test_run_interactive_tty_resize(pm):
    rc, out = podlib.run_on_pty(pm.argv(*pm.run_args("--rm", "-it", IMAGE, "sh")), pm.env, [
        ("# ", "stty size; echo $((40+2))first-done\n"),  # (the echo of the line has no "42")
        ("42first-done", lambda fd: podlib.resize(fd, 40, 120)),
        (None, "sleep 0.5; stty size; exit 0\n")])
    assert rc == 0, out
    assert "33 101" in out and "40 120" in out, out


def test_attach(pm):
    cid = pm.start_detached("sh", "-c", "read line; echo got-$line; exit 8", opts=("-i",))
    p = pm("attach", cid, input="hello\n", timeout=30)
    assert "got-hello" in p.stdout, p
    # (podman 4.3's attach exits 0 here whatever the container's status)
    assert pm.ok("wait", cid).strip() == "8"


# ------------------------------------------------------------------ signals
def test_stop_sigterm(pm):
    cid = pm.start_detached("sh", "-c", "trap 'echo got-TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done")
    pm.wait_logs(cid, "ready")
    pm.ok("stop", "-t", "20", cid)
    st = pm.state(cid)
    assert st["Status"] == "exited" and st["ExitCode"] == 0, st
    assert "got-TERM" in pm.ok("logs", cid)
    assert status_line(pm, cid).startswith("Exited (0)")


def test_stop_kills_after_timeout(pm):
    # TERM first (the trap sees it, and does not exit), KILL after -t
    cid = pm.start_detached("sh", "-c", "trap 'echo got-TERM' TERM; echo ready; while :; do sleep 0.1; done")
    pm.wait_logs(cid, "ready")
    p = pm("stop", "-t", "1", cid)
    assert p.returncode == 0, p
    st = pm.state(cid)
    assert st["Status"] == "exited" and st["ExitCode"] == 137, st
    assert "got-TERM" in pm.ok("logs", cid)
    # sleep as pid 1 has no TERM handler, so the kernel ignores TERM: KILL
    cid = pm.start_detached("sleep", "1000")
    pm.ok("stop", "-t", "1", cid)
    assert pm.state(cid)["ExitCode"] == 137


def test_kill_signal(pm):
    cid = pm.start_detached("sh", "-c", "trap 'echo got-USR1' USR1; echo ready; while :; do sleep 0.1; done")
    pm.wait_logs(cid, "ready")
    pm.ok("kill", "-s", "USR1", cid)
    pm.wait_logs(cid, "got-USR1")
    assert pm.state(cid)["Status"] == "running"
    pm.ok("kill", "-s", "SIGKILL", cid)
    st = pm.wait_status(cid, "exited")
    assert st["ExitCode"] == 137, st


def test_stop_host_pid_namespace_kills_all(pm):
    # without its own pid namespace, stopping a container is `kill --all`:
    # every process of its cgroup must go, not only the first one
    cid = pm.start_detached("sh", "-c", "sleep 1000 & sleep 1001 & echo ready; wait", opts=("--pid", "host"))
    pm.wait_logs(cid, "ready")
    procs = podlib.controller_dir("pids", pm.cgroup(cid)).joinpath("cgroup.procs").read_text().split()
    assert len(procs) == 3, procs
    pm.ok("stop", "-t", "1", cid)
    assert pm.state(cid)["Status"] == "exited"
    podlib.reap()
    alive = [p for p in procs if podlib.Path("/proc/%s" % p).exists()
             and podlib.Path("/proc/%s/stat" % p).read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [], alive


def test_start_again_and_restart(pm):
    cid = pm.start_detached("sh", "-c", "echo run-once")
    assert pm.ok("wait", cid).strip() == "0"
    pm.ok("start", cid)  # the same id is created again in ocirun
    assert pm.ok("wait", cid).strip() == "0"
    pm.ok("restart", "-t", "0", cid)
    assert pm.ok("wait", cid).strip() == "0"
    assert pm.ok("logs", cid).count("run-once") == 3


def test_exec_detached(pm):
    cid = pm.start_detached("sleep", "1000")
    pm.ok("exec", "-d", cid, "sh", "-c", "echo detached > /tmp/mark")
    deadline = time.monotonic() + 10
    while pm("exec", cid, "cat", "/tmp/mark").stdout != "detached\n":
        assert time.monotonic() < deadline
        time.sleep(0.1)


# ------------------------------------------------------------------ pause, top, update
def test_pause_unpause(pm):
    cid = pm.start_detached("sh", "-c", "while :; do echo tick; sleep 0.1; done")
    pm.ok("pause", cid)
    st = pm.state(cid)
    assert st["Status"] == "paused" and st["Paused"], st
    assert status_line(pm, cid) == "Paused"
    freezer = podlib.controller_dir("freezer", pm.cgroup(cid))
    assert freezer.joinpath("freezer.state").read_text().strip() == "FROZEN"
    pm.ok("unpause", cid)
    assert pm.state(cid)["Status"] == "running"
    assert freezer.joinpath("freezer.state").read_text().strip() == "THAWED"
    n = pm.ok("logs", cid).count("tick")
    deadline = time.monotonic() + 10
    while pm.ok("logs", cid).count("tick") <= n:
        assert time.monotonic() < deadline, "no output after unpause"
        time.sleep(0.1)
    # a paused container can be removed by force
    pm.ok("pause", cid)
    pm.ok("rm", "-f", "-t", "0", cid)


def test_top(pm):
    cid = pm.start_detached("sh", "-c", "sleep 1000 & exec sleep 2000")
    deadline = time.monotonic() + 10
    while True:
        out = pm.ok("top", cid)
        if "sleep 1000" in out and "sleep 2000" in out:
            break
        assert time.monotonic() < deadline, out
        time.sleep(0.1)
    assert out.splitlines()[0].split()[:2] == ["USER", "PID"]
    out = pm.ok("top", cid, "pid", "args")
    assert re.search(r"^1\s+sleep 2000", out, re.M), out


def test_update_resources(pm):
    cid = pm.start_detached("sleep", "1000")
    cg = pm.cgroup(cid)
    # (podman 4.3's update has no --pids-limit)
    pm.ok("update", "--memory", "96m", "--cpus", "0.25", cid)
    assert podlib.controller_dir("memory", cg).joinpath("memory.limit_in_bytes").read_text().strip() == str(96 << 20)
    cpu = podlib.controller_dir("cpu", cg)
    quota = int(cpu.joinpath("cpu.cfs_quota_us").read_text())
    period = int(cpu.joinpath("cpu.cfs_period_us").read_text())
    assert quota * 4 == period, (quota, period)
    # the container keeps running, and a second update applies too
    pm.ok("update", "--memory", "128m", cid)
    assert podlib.controller_dir("memory", cg).joinpath("memory.limit_in_bytes").read_text().strip() == str(128 << 20)
    assert pm.state(cid)["Status"] == "running"


# ------------------------------------------------------------------ config
def test_resource_limits(pm):
    cid = pm.start_detached("sleep", "1000", opts=("--memory", "64m", "--pids-limit", "50", "--cpus", "0.5"))
    cg = pm.cgroup(cid)
    assert podlib.controller_dir("memory", cg).joinpath("memory.limit_in_bytes").read_text().strip() == str(64 << 20)
    assert podlib.controller_dir("pids", cg).joinpath("pids.max").read_text().strip() == "50"
    cpu = podlib.controller_dir("cpu", cg)
    assert int(cpu.joinpath("cpu.cfs_quota_us").read_text()) * 2 == int(cpu.joinpath("cpu.cfs_period_us").read_text())
    # the container sees itself in that cgroup
    assert ":pids:%s" % cg in pm.ok("exec", cid, "cat", "/proc/self/cgroup")
    # and the pids limit bites
    p = pm("exec", cid, "sh", "-c", "for i in $(seq 80); do sleep 100 & done; wait")
    assert p.returncode != 0 and "fork" in (p.stdout + p.stderr).lower(), p


def test_caps_drop_add(pm):
    cid = pm.start_detached("sleep", "1000")
    eff, = proc_status(pm, cid, "CapEff")
    caps = int(eff, 16)
    assert caps & (1 << 0) and not caps & (1 << 21), eff  # CHOWN yes, SYS_ADMIN no (podman default)
    pm.ok("rm", "-f", "-t", "0", cid)
    cid = pm.start_detached("sleep", "1000", opts=("--cap-drop", "CHOWN", "--cap-add", "NET_ADMIN"))
    eff, bnd = proc_status(pm, cid, "CapEff", "CapBnd")
    assert not int(eff, 16) & (1 << 0) and int(eff, 16) & (1 << 12), eff
    assert not int(bnd, 16) & (1 << 0) and int(bnd, 16) & (1 << 12), bnd
    p = pm("exec", cid, "chown", "1:1", "/tmp")
    assert p.returncode != 0 and "Operation not permitted" in p.stderr, p


def test_read_only_no_new_privs_user(pm):
    p = pm.run("--rm", "--read-only", "--security-opt", "no-new-privileges", "--user", "1000:1000", IMAGE,
               "sh", "-c", "id -u; id -g; grep NoNewPrivs /proc/self/status; touch /x && echo wrote-root;"
               " touch /tmp/x && echo wrote-tmp; exit 0")
    assert p.returncode == 0, p
    lines = p.stdout.split()
    assert lines[:2] == ["1000", "1000"], p
    assert "NoNewPrivs:\t1" in p.stdout, p
    assert "wrote-root" not in p.stdout, p
    # podman mounts a tmpfs on /tmp for --read-only (read-only-tmpfs)
    assert "wrote-tmp" in p.stdout, p
    assert "Read-only file system" in p.stderr, p


def test_hostname_sysctl_ulimit_shm_tmpfs(pm):
    p = pm.run("--rm", "--hostname", "podbox", "--sysctl", "net.ipv4.ping_group_range=0 1",
               "--ulimit", "nofile=500:600", "--ulimit", "nproc=100:200", "--shm-size", "1m",
               "--tmpfs", "/scratch:size=2m", IMAGE, "sh", "-c",
               "hostname; cat /proc/sys/net/ipv4/ping_group_range; ulimit -n; ulimit -Hn; ulimit -u;"
               " df -k /dev/shm /scratch | awk 'NR>1{print $6, $2}'")
    assert p.returncode == 0, p
    assert p.stdout.split("\n")[:7] == ["podbox", "0\t1", "500", "600", "100", "/dev/shm 1024", "/scratch 2048"], p


def test_volumes(pm, tmp_path):
    (tmp_path / "hostfile").write_text("from-host\n")
    p = pm.run("--rm", "-v", "%s:/mnt:ro" % tmp_path, "-v", "ocirun-vol:/data", IMAGE, "sh", "-c",
               "cat /mnt/hostfile; touch /mnt/x || echo ro-ok; echo kept > /data/f")
    assert p.returncode == 0 and "from-host" in p.stdout and "ro-ok" in p.stdout, p
    assert pm.run("--rm", "-v", "ocirun-vol:/data", IMAGE, "cat", "/data/f").stdout == "kept\n"
    pm.ok("volume", "rm", "ocirun-vol")


def test_user_namespace_uidmap(pm):
    p = pm.run("--rm", "--uidmap", "0:200000:65536", "--gidmap", "0:200000:65536", IMAGE, "sh", "-c",
               "cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/f && stat -c %u /tmp/f")
    assert p.returncode == 0, p
    maps = [ln.split() for ln in p.stdout.splitlines()[:2]]
    assert maps == [["0", "200000", "65536"]] * 2, p
    assert p.stdout.splitlines()[2:] == ["0", "0"], p


def test_default_seccomp_profile(pm):
    p = pm.run("--rm", IMAGE, "grep", "Seccomp:", "/proc/self/status")
    assert p.returncode == 0 and p.stdout.split()[1] == "2", p
    # and only podman's profile: unconfined means no filter at all
    p = pm.run("--rm", "--security-opt", "seccomp=unconfined", IMAGE, "grep", "Seccomp:", "/proc/self/status")
    assert p.returncode == 0 and p.stdout.split()[1] == "0", p


def test_device(pm):
    # podman passes fileMode = the host node's st_mode (S_IFCHR|0666)
    p = pm.run("--rm", "--device", "/dev/null:/dev/xnull", IMAGE, "sh", "-c",
               "stat -c '%F %t:%T %a' /dev/xnull; echo data > /dev/xnull && echo wrote")
    assert p.returncode == 0, p
    assert p.stdout.split("\n")[:2] == ["character special file 1:3 666", "wrote"], p


def test_privileged(pm):
    p = pm.run("--rm", "--privileged", IMAGE, "sh", "-c",
               "grep -E 'CapEff|Seccomp:' /proc/self/status; ls /dev/loop-control /dev/kmsg")
    assert p.returncode == 0, p
    d = dict(ln.split(":", 1) for ln in p.stdout.splitlines() if ":" in ln)
    assert int(d["CapEff"], 16) & (1 << 21), p.stdout  # SYS_ADMIN
    assert d["Seccomp"].strip() == "0", p.stdout  # --privileged: no filter
    assert "/dev/kmsg" in p.stdout, p


# ------------------------------------------------------------------ errors
def test_missing_binary_error_carries_ocirun_message(pm):
    p = pm.run("--rm", IMAGE, "/no/such/binary")
    assert p.returncode == 127, p
    assert "ocirun: process.args[0]: `/no/such/binary`: no such file or directory" in p.stderr, p.stderr
    p = pm.run("--rm", IMAGE, "no-such-cmd")
    assert p.returncode == 127, p
    assert "ocirun: process.args[0]: `no-such-cmd`: executable file not found in $PATH" in p.stderr, p.stderr
    # nothing half-made stays in podman
    assert pm.ok("ps", "-aq").strip() == ""


def test_not_executable_error_carries_ocirun_message(pm):
    p = pm.run("--rm", IMAGE, "/etc/passwd")
    assert p.returncode == 126, p
    assert "ocirun: process.args[0]: `/etc/passwd`: permission denied" in p.stderr, p.stderr
