"""linux.netDevices (config-linux.md "Network Devices"), as root, with real
containers:  /usr/bin/python3 -m pytest tests/netdev -q   (after `make`)

Every test makes its own interface in the runtime's network namespace (a
dummy, or a veth pair where the kernel has no dummy driver), named
ocnd<pid><n>, and removes it at the end whatever happens.  Every container
has its own --root and its own linux.cgroupsPath (/ocirun-netdev/<id>); only
those cgroups are ever removed, only our containers' pids ever killed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "oci-conformance" / "lib"))

import bundle as bundlelib  # noqa: E402
import runtime as rtlib  # noqa: E402

OCIRUN = Path(os.environ.get("OCIRUN", TOP / "ocirun"))
CGROOT = Path("/sys/fs/cgroup")
CG_PREFIX = "/ocirun-netdev"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not OCIRUN.exists(), reason="build ocirun first"),
]


def sh(*args, check=True, ns=None):
    argv = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def link_json(name, ns=None):
    """`ip -j addr show dev NAME` (in netns ns), or None when it is not there."""
    r = sh("ip", "-j", "addr", "show", "dev", name, check=False, ns=ns)
    if r.returncode != 0:
        return None
    # [] while a device is on its way between namespaces (a dying netns
    # hands it back asynchronously): not there (yet)
    data = json.loads(r.stdout or "[]")
    return data[0] if data else None


def addrs_of(info):
    return sorted("%s/%s" % (a["local"], a["prefixlen"]) for a in info.get("addr_info", [])
                  if a.get("scope") == "global")


# ------------------------------------------------------------- fixtures
_counter = [0]


def _unique(prefix="ocnd"):
    _counter[0] += 1
    return "%s%d%c" % (prefix, os.getpid() % 100000, ord("a") + _counter[0] - 1)


class HostLink:
    """One interface of ours in the runtime's network namespace."""

    def __init__(self):
        self.name = _unique()
        self.peer = None
        if sh("ip", "link", "add", self.name, "type", "dummy", check=False).returncode != 0:
            # no dummy driver on this kernel: a veth pair (the peer stays here)
            self.peer = self.name + "p"
            sh("ip", "link", "add", self.name, "type", "veth", "peer", "name", self.peer)
        sh("ip", "addr", "add", "10.231.%d.1/24" % _counter[0], "dev", self.name)
        sh("ip", "addr", "add", "10.231.%d.9/24" % _counter[0], "dev", self.name, "label", self.name + ":a")
        sh("ip", "addr", "add", "fd31::%x/64" % _counter[0], "dev", self.name, "nodad")
        sh("ip", "link", "set", self.name, "up")
        self.addrs = addrs_of(link_json(self.name))

    def present(self):
        return link_json(self.name)

    def remove(self):
        # a dummy moved into a container's netns comes back when that netns
        # dies, asynchronously: give it a moment before deciding it is gone
        import time
        for _ in range(50):
            if link_json(self.name) is not None:
                break
            time.sleep(0.02)
        for n in (self.name, self.peer):
            if n and link_json(n) is not None:
                sh("ip", "link", "del", n, check=False)


@pytest.fixture
def host_link():
    link = HostLink()
    try:
        yield link
    finally:
        link.remove()


@pytest.fixture(scope="module", autouse=True)
def _subreaper():
    rtlib.set_subreaper()  # the container's init becomes our child after `create`


@pytest.fixture
def work(tmp_path):
    return tmp_path


def cgroup_dirs(path):
    return [d / path.lstrip("/") for d in sorted(CGROOT.iterdir()) if (d / path.lstrip("/")).is_dir()]


def remove_cgroup(path):
    """rmdir our own cgroup (only below CG_PREFIX) in every hierarchy."""
    assert path.startswith(CG_PREFIX + "/")
    for d in cgroup_dirs(path):
        for _ in range(50):
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)
    for c in sorted(CGROOT.iterdir()):
        try:
            os.rmdir(c / CG_PREFIX.lstrip("/"))
        except OSError:
            pass


class Ctr:
    """A container with its own --root and cgroupsPath; always cleaned up."""

    def __init__(self, work, devices, script, edit=None):
        self.id = "nd-" + uuid.uuid4().hex[:10]
        self.root = work / ("root-" + self.id)
        self.log = work / ("log-" + self.id)
        self.rt = rtlib.Runtime(OCIRUN, self.root, global_args=["--debug", "--log", str(self.log)])
        cfg = bundlelib.default_config(["/bin/sh", "-c", script])
        cfg["linux"]["cgroupsPath"] = "%s/%s" % (CG_PREFIX, self.id)
        cfg["linux"]["netDevices"] = devices
        if edit:
            edit(cfg)
        self.cgroups_path = cfg["linux"]["cgroupsPath"]
        self.c = rtlib.Container(self.rt, work, cfg, cid=self.id, cgroups=False)

    def create(self):
        return self.c.create(check=False)

    def start(self):
        return self.c.start(check=False)

    def wait(self):
        self.c.wait()
        return self.c.stdout_text()

    def log_text(self):
        try:
            return self.log.read_text()
        except FileNotFoundError:
            return ""

    def nothing_left(self):
        assert not (self.root / self.id).exists(), "state dir left behind"
        assert cgroup_dirs(self.cgroups_path) == [], "cgroup left behind"

    def destroy(self):
        self.rt.delete(self.id, force=True, timeout=30)
        if self.c.pid and rtlib.pid_alive(self.c.pid):
            os.kill(self.c.pid, signal.SIGKILL)  # our own container's init only
        if self.c.pid:
            try:
                self.c.wait(timeout=5)
            except Exception:
                pass
        remove_cgroup(self.cgroups_path)
        shutil.rmtree(self.c.bundle, ignore_errors=True)


@pytest.fixture
def ctr(work):
    made = []

    def make(devices, script="true", edit=None):
        c = Ctr(work, devices, script, edit)
        made.append(c)
        return c

    yield make
    for c in made:
        c.destroy()


def one_line_error(r, *needles):
    assert not r.ok, r
    lines = [l for l in r.err.strip().splitlines() if l.strip()]
    assert len(lines) == 1, r.err
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def assert_untouched(link):
    info = link.present()
    assert info is not None, "%s is gone from the host" % link.name
    assert addrs_of(info) == link.addrs, (addrs_of(info), link.addrs)
    assert "UP" in info["flags"], info["flags"]


# ---------------------------------------------------------------- moves
SHOW = "cat /sys/class/net/{n}/flags; ip addr show {n}; ls /sys/class/net"


def test_moved_renamed_up_with_addresses(ctr, host_link):
    c = ctr({host_link.name: {"name": "ctr0"}}, SHOW.format(n="ctr0"))
    r = c.create()
    assert r.ok, r
    # created: the device has left the host already
    assert host_link.present() is None, "still on the host while the container exists"
    assert c.start().ok
    out = c.wait()
    flags, rest = out.split("\n", 1)
    assert int(flags, 16) & 1, "not up: flags %s" % flags
    for a in host_link.addrs:
        assert "inet6 " + a in rest or "inet " + a in rest, (a, out)
    assert "ctr0:a" in rest, "the alias label did not follow the rename: " + out
    assert "ctr0" in out.split() and host_link.name not in out.split(), out


def test_same_name_when_name_omitted(ctr, host_link):
    c = ctr({host_link.name: {}}, SHOW.format(n=host_link.name))
    assert c.create().ok
    assert c.start().ok
    out = c.wait()
    assert int(out.split()[0], 16) & 1
    assert "inet " + host_link.addrs[0] in out or "inet6 " + host_link.addrs[0] in out, out


def test_name_template(ctr, host_link):
    """config-linux.md: with a %d template the kernel picks a free name"""
    c = ctr({host_link.name: {"name": "nd%d"}}, "ls /sys/class/net")
    r = c.create()
    assert r.ok, r
    assert c.start().ok
    names = c.wait().split()
    assert "nd0" in names, names


def test_two_devices(ctr, host_link):
    other = HostLink()
    try:
        c = ctr({host_link.name: {"name": "one"}, other.name: {"name": "two"}}, "ls /sys/class/net")
        assert c.create().ok
        assert host_link.present() is None and other.present() is None
        assert c.start().ok
        names = c.wait().split()
        assert "one" in names and "two" in names, names
    finally:
        other.remove()


def test_user_namespace(ctr, host_link):
    def userns(cfg):
        cfg["linux"]["namespaces"].append({"type": "user"})
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]

    c = ctr({host_link.name: {"name": "u0"}}, SHOW.format(n="u0"), edit=userns)
    r = c.create()
    assert r.ok, r
    assert c.start().ok
    out = c.wait()
    assert int(out.split()[0], 16) & 1, out


def test_joined_network_namespace(ctr, host_link):
    """a joined namespace outlives the container: the device stays there"""
    ns = "ocnd-" + uuid.uuid4().hex[:8]
    sh("ip", "netns", "add", ns)
    try:
        def join(cfg):
            for n in cfg["linux"]["namespaces"]:
                if n["type"] == "network":
                    n["path"] = "/run/netns/" + ns
        c = ctr({host_link.name: {"name": "j0"}}, "cat /sys/class/net/j0/flags", edit=join)
        r = c.create()
        assert r.ok, r
        assert c.start().ok
        assert int(c.wait().split()[0], 16) & 1
        c.destroy()
        info = link_json("j0", ns=ns)
        assert info is not None and addrs_of(info) == host_link.addrs, info
    finally:
        sh("ip", "netns", "del", ns, check=False)


def test_virtual_device_destroyed_with_the_namespace(ctr, host_link):
    """config-linux.md: on namespace deletion the kernel destroys virtual
    devices (physical ones go back to the initial namespace); the runtime
    does not move them out on delete"""
    c = ctr({host_link.name: {"name": "v0"}}, "true")
    assert c.create().ok
    assert c.start().ok
    c.wait()
    assert c.rt.delete(c.id).ok
    for _ in range(100):  # the netns is freed asynchronously (cleanup_net)
        if host_link.present() is None and link_json("v0") is None:
            break
        time.sleep(0.05)
    assert host_link.present() is None and link_json("v0") is None


# --------------------------------------------------------------- errors
def test_missing_host_device(ctr):
    c = ctr({"ocndmissing9": {}})
    one_line_error(c.create(), 'linux.netDevices["ocndmissing9"]', "no such network interface")
    c.nothing_left()


@pytest.mark.parametrize("bad", ["a/b", "..", ".", "x" * 16, "a b", "a:b", "x%s", "%d%d"])
def test_bad_container_name(ctr, host_link, bad):
    c = ctr({host_link.name: {"name": bad}})
    one_line_error(c.create(), 'linux.netDevices["%s"].name' % host_link.name, "not a valid interface name")
    c.nothing_left()
    assert_untouched(host_link)


@pytest.mark.parametrize("bad", ["eth%d", "", "x" * 16])
def test_bad_host_name(ctr, bad):
    c = ctr({bad: {}})
    one_line_error(c.create(), 'linux.netDevices["%s"]' % bad, "not a valid interface name")
    c.nothing_left()


def test_duplicate_container_names(ctr, host_link):
    other = HostLink()
    try:
        c = ctr({host_link.name: {"name": "same"}, other.name: {"name": "same"}})
        one_line_error(c.create(), "linux.netDevices[", "`same`")
        c.nothing_left()
        assert_untouched(host_link)
        assert_untouched(other)
    finally:
        other.remove()


def test_name_exists_in_container(ctr, host_link):
    """config-linux.md: a name that exists in the container MUST be an error
    (checked before the move: the device never leaves the host)"""
    c = ctr({host_link.name: {"name": "lo"}})
    one_line_error(c.create(), 'linux.netDevices["%s"].name' % host_link.name, "`lo` already exists")
    c.nothing_left()
    assert_untouched(host_link)


def test_second_device_fails_first_goes_back(ctr, host_link):
    """the first device moved, the second cannot: the first comes back"""
    other = HostLink()
    try:
        c = ctr({host_link.name: {"name": "first"}, other.name: {"name": "lo"}})
        one_line_error(c.create(), 'linux.netDevices["%s"].name' % other.name, "`lo` already exists")
        assert "moved `%s`" % host_link.name in c.log_text(), c.log_text()
        c.nothing_left()
        assert_untouched(host_link)
        assert_untouched(other)
    finally:
        other.remove()


def test_no_network_namespace(ctr, host_link):
    def nonet(cfg):
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]
    c = ctr({host_link.name: {}}, edit=nonet)
    one_line_error(c.create(), "linux.netDevices", "network namespace")
    c.nothing_left()
    assert_untouched(host_link)


def test_runtime_network_namespace_path(ctr, host_link):
    def hostnet(cfg):
        for n in cfg["linux"]["namespaces"]:
            if n["type"] == "network":
                n["path"] = "/proc/%d/ns/net" % os.getpid()
    c = ctr({host_link.name: {}}, edit=hostnet)
    one_line_error(c.create(), "linux.netDevices", "runtime's own")
    c.nothing_left()
    assert_untouched(host_link)


def test_failed_create_puts_devices_back(ctr, host_link):
    """runtime.md "Errors": a create failing after the move (here a
    createRuntime hook) leaves the host as it was: name, addresses, up"""
    def failing_hook(cfg):
        cfg["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
    c = ctr({host_link.name: {"name": "back0"}}, edit=failing_hook)
    one_line_error(c.create(), "createRuntime")
    assert "moved `%s` into the container as `back0`" % host_link.name in c.log_text(), c.log_text()
    c.nothing_left()
    assert_untouched(host_link)
    assert link_json("back0") is None


def test_failed_create_in_the_child_puts_devices_back(ctr, host_link):
    def bad_mount(cfg):
        cfg["mounts"].append({"destination": "/mnt/x", "type": "bind", "source": "/ocnd-no-such-source"})
    c = ctr({host_link.name: {}}, edit=bad_mount)
    one_line_error(c.create(), "mounts[")
    assert "moved `%s`" % host_link.name in c.log_text(), c.log_text()
    c.nothing_left()
    assert_untouched(host_link)


def test_features_enabled():
    r = subprocess.run([str(OCIRUN), "features"], capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["linux"]["netDevices"] == {"enabled": True}
