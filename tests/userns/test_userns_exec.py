"""`exec` into a container with a user namespace: the exec'd process is in
the same user (and pid) namespace, as the requested user; an unmapped
--user is a one-line error that leaves nothing behind."""
import json
import os
import time

from nslib import BASE, SIZE, userns_config


def exec_probe(rt, cid, *args, user=None):
    argv = ["exec"]
    if user:
        argv += ["--user", user]
    argv += [cid, "--", "/probe"] + list(args)
    return rt.run(*argv)


def probe_json(res):
    for line in res.out.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(res)


def test_exec_same_userns(new_container, rt):
    c = new_container(userns_config(["/probe", "pause"]))
    c.create()
    c.start()
    r = exec_probe(rt, c.id, "ids", "ns", "cat", "/proc/self/uid_map", "cat", "/proc/self/gid_map",
                   "cat", "/proc/1/cmdline")
    assert r.rc == 0, r
    out = probe_json(r)
    assert out["uid"] == [0, 0, 0]
    assert out["cat"]["/proc/self/uid_map"].split() == ["0", str(BASE), str(SIZE)]
    assert out["cat"]["/proc/self/gid_map"].split() == ["0", str(BASE), str(SIZE)]
    for n in ("user", "pid", "mnt", "net", "ipc", "uts"):
        assert out["ns"][n] == os.readlink("/proc/%d/ns/%s" % (c.pid, n)), n
    assert out["cat"]["/proc/1/cmdline"].startswith("/probe")


def test_exec_as_user(new_container, rt):
    c = new_container(userns_config(["/probe", "pause"]))
    c.create()
    c.start()
    r = exec_probe(rt, c.id, "ids", user="1000:1001")
    assert r.rc == 0, r
    out = probe_json(r)
    assert out["uid"] == [1000, 1000, 1000] and out["gid"] == [1001, 1001, 1001]
    # seen from the host: 100000 + 1000
    r = rt.run("exec", "--user", "1000", c.id, "--", "/bin/sh", "-c", "echo $$; sleep 1")
    assert r.rc == 0, r


def test_exec_host_uid_of_process(new_container, rt, work):
    """The exec'd process runs as host uid BASE + uid."""
    c = new_container(userns_config(["/probe", "pause"]))
    c.create()
    c.start()
    pidfile = work / "exec.pid"
    import subprocess
    r = rt.run("exec", "--detach", "--pid-file", str(pidfile), "--user", "1234:1234", c.id, "--",
               "/bin/sleep", "30", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert r.rc == 0, r
    pid = int(pidfile.read_text())
    try:
        status = open("/proc/%d/status" % pid).read()
        uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0].split()
        assert uid_line[1:] == [str(BASE + 1234)] * 4, uid_line
        assert os.readlink("/proc/%d/ns/user" % pid) == os.readlink("/proc/%d/ns/user" % c.pid)
        assert os.readlink("/proc/%d/ns/pid" % pid) == os.readlink("/proc/%d/ns/pid" % c.pid)
    finally:
        os.kill(pid, 9)
        # detached: re-parented to us (the subreaper); reap it, or the
        # container's init waits for it forever when it is killed
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def container_pids(c):
    pids = set()
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.readlink("/proc/%s/ns/pid" % p) == os.readlink("/proc/%d/ns/pid" % c.pid):
                    pids.add(int(p))
            except OSError:
                pass
    return pids


def test_exec_unmapped_user(new_container, rt):
    c = new_container(userns_config(["/probe", "pause"]))
    c.create()
    c.start()
    before = container_pids(c)
    for user, what in (("%d" % (SIZE + 10), "uid"), ("0:%d" % (SIZE + 10), "gid")):
        r = exec_probe(rt, c.id, "ids", user=user)
        assert r.rc != 0, r
        msg = r.err.strip()
        assert len(msg.splitlines()) == 1, msg
        assert "exec --user" in msg and what in msg and "not mapped" in msg, msg
    r = rt.run("exec", "--additional-gids", str(SIZE + 3), c.id, "--", "/probe", "ids")
    assert r.rc != 0 and "not mapped" in r.err and len(r.err.strip().splitlines()) == 1, r
    time.sleep(0.1)
    assert container_pids(c) == before
    assert c.state()["status"] == "running"
