"""Joining namespaces by path together with a user namespace
(config-linux.md#namespaces): a joined user namespace with new other
namespaces (they must be owned by it, so /proc mounts), and a new user
namespace with other namespaces joined by path (joined before the user
namespace is made)."""
import os

import bundle as bundlelib
from nslib import BASE, SIZE, userns_config


def ns_of(pid, name):
    return os.readlink("/proc/%d/ns/%s" % (pid, name))


def owner_userns(pid, name):
    """The user namespace owning /proc/pid/ns/name (NS_GET_USERNS), as a
    readlink-style string."""
    import fcntl
    NS_GET_USERNS = 0xB701
    fd = os.open("/proc/%d/ns/%s" % (pid, name), os.O_RDONLY)
    try:
        ufd = fcntl.ioctl(fd, NS_GET_USERNS)
        try:
            return os.readlink("/proc/self/fd/%d" % ufd)
        finally:
            os.close(ufd)
    finally:
        os.close(fd)


def test_join_userns_with_new_namespaces(new_container):
    a = new_container(userns_config(["/probe", "pause"]))
    a.create()
    cfg = bundlelib.default_config(["/probe", "ids", "ns", "cat", "/proc/self/uid_map", "cat", "/proc/1/cmdline"])
    cfg["linux"]["namespaces"].append({"type": "user", "path": "/proc/%d/ns/user" % a.pid})
    b = new_container(cfg)
    out = b.run()
    assert b.exit_code() == 0, b.stderr_text()
    # the same user namespace, and root in it
    assert out["ns"]["user"] == ns_of(a.pid, "user")
    assert out["uid"] == [0, 0, 0]
    assert out["cat"]["/proc/self/uid_map"].split() == ["0", str(BASE), str(SIZE)]
    # its own pid namespace (the probe is pid 1, /proc is mounted for it)
    assert out["ns"]["pid"] != ns_of(a.pid, "pid")
    assert out["cat"]["/proc/1/cmdline"].startswith("/probe")
    for n in ("mnt", "net", "ipc", "uts", "pid"):
        assert out["ns"][n] != ns_of(a.pid, n), n


def test_join_userns_namespaces_owned_by_it(new_container):
    """The new namespaces belong to the joined user namespace."""
    a = new_container(userns_config(["/probe", "pause"]))
    a.create()
    cfg = bundlelib.default_config(["/probe", "pause"])
    cfg["linux"]["namespaces"].append({"type": "user", "path": "/proc/%d/ns/user" % a.pid})
    b = new_container(cfg)
    b.create()
    userns = ns_of(a.pid, "user")
    for n in ("mnt", "net", "ipc", "uts", "pid"):
        assert owner_userns(b.pid, n) == userns, n
    b.start()
    assert b.state()["status"] == "running"
    b.kill("KILL")
    b.wait()
    b.delete()


def test_join_userns_and_pid(new_container):
    """user and pid both joined: no extra fork, the process is in a's pid ns."""
    a = new_container(userns_config(["/probe", "pause"]))
    a.create()
    cfg = bundlelib.default_config(["/probe", "ns", "ids"])
    cfg["linux"]["namespaces"] = [
        {"type": "user", "path": "/proc/%d/ns/user" % a.pid},
        {"type": "pid", "path": "/proc/%d/ns/pid" % a.pid},
        {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "network"},
    ]
    b = new_container(cfg)
    out = b.run()
    assert out["ns"]["pid"] == ns_of(a.pid, "pid")
    assert out["ns"]["user"] == ns_of(a.pid, "user")


def test_new_userns_joining_host_owned_namespaces(new_container):
    """A new user namespace, with the network and uts namespaces of a
    container without one (owned by the host's user namespace); /sys is
    then the host's, bound read-only (sysfs cannot be mounted)."""
    hcfg = bundlelib.default_config(["/probe", "pause"])
    # (cgroup v1: a "deny all" device rule also stops the init's mknod
    # of the default devices -- not what this test is about)
    hcfg["linux"].pop("resources")
    host = new_container(hcfg, mapped=False)
    host.create()
    cfg = userns_config(["/probe", "ids", "ns", "cat", "/proc/self/uid_map"])
    cfg["linux"]["namespaces"] = [
        {"type": "pid"}, {"type": "mount"}, {"type": "user"},
        {"type": "network", "path": "/proc/%d/ns/net" % host.pid},
        {"type": "uts", "path": "/proc/%d/ns/uts" % host.pid},
        {"type": "ipc"},
    ]
    cfg.pop("hostname")
    b = new_container(cfg)
    out = b.run()
    assert b.exit_code() == 0, b.stderr_text()
    for n in ("net", "uts"):
        assert out["ns"][n] == ns_of(host.pid, n), n
    assert out["ns"]["ipc"] != ns_of(host.pid, "ipc")
    assert out["ns"]["user"] != os.readlink("/proc/self/ns/user")
    assert out["uid"] == [0, 0, 0]
    assert out["cat"]["/proc/self/uid_map"].split() == ["0", str(BASE), str(SIZE)]


def test_bad_namespace_path(new_container, rt):
    from nslib import assert_nothing_left
    cfg = bundlelib.default_config(["/probe"])
    # a user namespace joined by a path that is not one
    cfg["linux"]["namespaces"].append({"type": "user", "path": "/proc/self/ns/ipc"})
    c = new_container(cfg)
    r = c.create(check=False)
    assert r.rc != 0
    assert "linux.namespaces[" in r.err and ".path" in r.err
    assert len(r.err.strip().splitlines()) == 1, r.err
    assert_nothing_left(rt, c)
    cfg["linux"]["namespaces"][-1]["path"] = "/nonexistent/ns"
    c2 = new_container(cfg)
    r = c2.create(check=False)
    assert r.rc != 0 and ".path" in r.err and "/nonexistent/ns" in r.err
    assert_nothing_left(rt, c2)
