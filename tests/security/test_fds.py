"""No host fd reaches the container but stdio, --preserve-fds N and
LISTEN_FDS (CVE-2024-21626: a leaked host directory fd is a way out)."""
import os
import shlex
import subprocess
import time

from seclib import exec_in, json_line


def _with_fds(argv, redirs, env=None, stdout=None, stderr=None, timeout=60):
    """Run argv from bash after `exec <redirs>` (e.g. '3<DIR 4<FILE')."""
    cmd = "exec %s; exec %s" % (redirs, " ".join(shlex.quote(a) for a in argv))
    return subprocess.run(["bash", "-c", cmd], stdin=subprocess.DEVNULL, stdout=stdout or subprocess.PIPE,
                          stderr=stderr or subprocess.PIPE, env=env, timeout=timeout)


def _create(c, redirs, extra=(), env=None):
    with open(c.stdout_path, "ab") as o, open(c.stderr_path, "ab") as e:
        p = _with_fds(c.rt.argv("create", "--bundle", c.bundle, "--pid-file", c.pid_file, *extra, c.id),
                      redirs, env=env, stdout=o, stderr=e)
    assert p.returncode == 0, c.stderr_text()
    c.pid = int(open(c.pid_file).read())


def _fds_of(out):
    return {f["fd"]: f["target"] for f in out["fds"]}


def test_init_gets_only_stdio(actr, cfg, marker):
    cfg["process"]["args"] = ["/attack", "fds", str(marker)]
    c = actr(cfg)
    _create(c, "3<%s 4<%s 7<%s" % (marker.parent, marker, "/"))
    c.start()
    c.wait()
    out = json_line(c.stdout_text())
    assert sorted(_fds_of(out)) == [0, 1, 2], out
    assert out["escaped"] is False


def test_init_preserve_fds_exactly(actr, cfg, marker):
    cfg["process"]["args"] = ["/attack", "fds", str(marker)]
    c = actr(cfg)
    # fd 3 is passed on purpose (a file), 5 is not asked for
    _create(c, "3<%s 5<%s" % (marker, marker.parent), extra=("--preserve-fds", "1"))
    c.start()
    c.wait()
    fds = _fds_of(json_line(c.stdout_text()))
    assert sorted(fds) == [0, 1, 2, 3], fds
    assert fds[3] == str(marker)


def test_init_preserve_fds_hole_is_not_a_runtime_fd(actr, cfg, marker):
    """--preserve-fds 3 with only fd 3 open: fds 4 and 5 must not be
    whatever the runtime opened there (its state dir, the exec fifo...)."""
    cfg["process"]["args"] = ["/attack", "fds", str(marker)]
    c = actr(cfg)
    _create(c, "3<%s" % marker, extra=("--preserve-fds", "3"))
    c.start()
    c.wait()
    out = json_line(c.stdout_text())
    fds = _fds_of(out)
    assert out["escaped"] is False, out
    for n in (4, 5):
        assert fds.get(n, "/dev/null") == "/dev/null", fds


def test_listen_fds(actr, cfg, marker):
    cfg["process"]["args"] = ["/attack", "fds", str(marker)]
    c = actr(cfg)
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
    _create(c, "3<%s 4<%s" % (marker, marker.parent), env=env)
    c.start()
    c.wait()
    fds = _fds_of(json_line(c.stdout_text()))
    assert sorted(fds) == [0, 1, 2, 3], fds


def _running(actr, cfg):
    cfg["process"]["args"] = ["/bin/sleep", "60"]
    c = actr(cfg)
    c.create()
    c.start()
    return c


def test_exec_gets_only_stdio(actr, cfg, marker):
    c = _running(actr, cfg)
    p = _with_fds(c.rt.argv("exec", c.id, "--", "/attack", "fds", str(marker)),
                  "3<%s 4<%s 9<%s" % (marker.parent, marker, "/"))
    assert p.returncode == 0, p.stderr
    out = json_line(p.stdout.decode())
    assert sorted(_fds_of(out)) == [0, 1, 2], out
    assert out["escaped"] is False


def test_exec_preserve_fds(actr, cfg, marker):
    c = _running(actr, cfg)
    p = _with_fds(c.rt.argv("exec", "--preserve-fds", "2", c.id, "--", "/attack", "fds", str(marker)),
                  "3<%s" % marker)
    assert p.returncode == 0, p.stderr
    out = json_line(p.stdout.decode())
    fds = _fds_of(out)
    assert fds.get(3) == str(marker), fds
    assert fds.get(4, "/dev/null") == "/dev/null", fds
    assert max(fds) <= 4, fds
    assert out["escaped"] is False


def test_waiting_init_holds_no_host_directory(actr, cfg_ptrace, marker):
    """A container with CAP_SYS_PTRACE (and so access to /proc/1/fd of the
    init waiting for `start`) must find nothing there that leads out."""
    cfg = cfg_ptrace
    cfg["process"]["args"] = ["/bin/true"]
    c = actr(cfg)
    c.create()
    r = exec_in(c.rt, c.id, "/attack", "pidfds", str(marker), "1")
    assert r.rc == 0, r
    out = json_line(r.out)
    assert "error" not in out, out  # we did get in: the check means something
    assert out["escaped"] is False, out
    # files (stdio, the exec fifo, start.err) are fine; no directory
    for f in out["fds"]:
        assert not os.path.isdir(f["target"]), out
