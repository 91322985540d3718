"""A non-root container process reopens its own stdio by path.

The runtime hands fds 0-2 to process.user.uid before the uid change (runc:
fixStdioPermissions), so /dev/stdout, /proc/self/fd/N and $(tty) open for a
non-root user: the pipes the caller passes are root's, mode 0600.  Found
through containerd's CRI (tests/clients/test_cri.py::
test_non_root_reopens_its_stdio: an image logging to /dev/stdout as uid
1000 got "can't create /dev/stdout: Permission denied" with ocirun, not
with runc).
"""
import os
import subprocess

from helpers import default_config


def user_cfg(script, uid=1000, gid=1000):
    cfg = default_config(["/bin/sh", "-c", script])
    cfg["process"]["user"] = {"uid": uid, "gid": gid}
    return cfg


def test_init_reopens_stdout_and_stderr(ctr):
    r = ctr(user_cfg("echo out-by-path > /dev/stdout; echo err-by-path > /proc/self/fd/2")).run_fg()
    assert r.rc == 0, r
    assert "out-by-path" in r.out and "err-by-path" in r.err, r


def test_only_the_owner_changes(ctr):
    """The pipe's owner becomes the container user; its group and mode stay."""
    r = ctr(user_cfg("stat -L -c '%u %g %a' /proc/self/fd/1")).run_fg()
    assert r.rc == 0, r
    assert r.out.split() == ["1000", "0", "600"], r


def test_callers_terminal_and_files_are_left_alone(ctr, work):
    """A character device that is not the container's own pty (the terminal
    of whoever runs `ocirun run` at a shell) and a regular file keep their
    owner: giving root's terminal to a host uid would open it to that user."""
    master, slave = os.openpty()
    log = work / "out.log"
    try:
        before = os.fstat(slave)
        with open(log, "wb") as f:
            r = ctr(user_cfg("stat -L -c '%u %F' /proc/self/fd/0 /proc/self/fd/1 >&2")).run_fg(stdin=slave,
                                                                                             stdout=f)
        assert r.rc == 0, r
        assert os.fstat(slave).st_uid == before.st_uid, r
        assert os.stat(log).st_uid == 0, r
    finally:
        os.close(master)
        os.close(slave)


def test_dev_null_is_left_alone(ctr):
    before = os.stat("/dev/null")
    r = ctr(user_cfg("stat -c %u /proc/self/fd/0")).run_fg(stdin=subprocess.DEVNULL)
    assert r.rc == 0, r
    after = os.stat("/dev/null")
    assert (after.st_uid, after.st_gid, after.st_ctime_ns) == (before.st_uid, before.st_gid, before.st_ctime_ns)


def test_root_process_keeps_root_stdio(ctr):
    r = ctr(user_cfg("echo ok > /dev/stdout", uid=0, gid=0)).run_fg()
    assert r.rc == 0 and r.out == "ok\n", r


def test_exec_as_user_reopens_stdio(ctr, rt):
    c = ctr(default_config(["sleep", "1000"]))
    c.create()
    c.start()
    r = rt.run("exec", "--user", "1000:1000", c.id, "/bin/sh", "-c",
               "echo exec-by-path > /dev/stdout; echo exec-err > /dev/stderr")
    assert r.rc == 0, r
    assert "exec-by-path" in r.out and "exec-err" in r.err, r
