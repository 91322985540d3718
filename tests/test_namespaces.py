"""linux.namespaces: new, joined by path, user namespace mappings, time
namespace offsets (config-linux.md#namespaces)."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error, wait_for

ALL = ["pid", "network", "ipc", "uts", "mount", "cgroup"]
NSFILE = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
          "cgroup": "cgroup", "user": "user", "time": "time"}


def run_probe(ctr, cfg):
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    outs = [json.loads(ln) for ln in r.out.splitlines() if ln.startswith("{")]
    assert outs, r
    return outs[0]


@pytest.mark.parametrize("kind", ALL + ["time"])
def test_new_namespace_differs_from_host(ctr, host_ns, kind):
    cfg = default_config(["/probe", "ns"])
    if kind not in [n["type"] for n in cfg["linux"]["namespaces"]]:
        cfg["linux"]["namespaces"].append({"type": kind})
    p = run_probe(ctr, cfg)
    f = NSFILE[kind]
    assert p["ns"][f] != host_ns[f], kind


def test_absent_namespace_is_shared_with_host(ctr, host_ns):
    cfg = default_config(["/probe", "ns"])
    cfg["linux"]["namespaces"] = [{"type": "mount"}, {"type": "uts"}]
    p = run_probe(ctr, cfg)
    for f in ("net", "ipc", "pid", "cgroup", "user", "time"):
        assert p["ns"][f] == host_ns[f], f


@pytest.fixture
def sleeper():
    """A process of ours in new net/uts/ipc namespaces, to be joined."""
    p = subprocess.Popen(["unshare", "--net", "--uts", "--ipc", "sleep", "1000"])
    try:
        wait_for(lambda: helpers.ns_inode(p.pid, "uts") != helpers.ns_inode(os.getpid(), "uts")
                 and helpers.ns_inode(p.pid, "net") != helpers.ns_inode(os.getpid(), "net"))
        yield p.pid
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("kind", ["network", "uts", "ipc"])
def test_join_namespace_by_path(ctr, sleeper, kind):
    cfg = default_config(["/probe", "ns"])
    f = NSFILE[kind]
    for n in cfg["linux"]["namespaces"]:
        if n["type"] == kind:
            n["path"] = "/proc/%d/ns/%s" % (sleeper, f)
    if kind == "uts":
        del cfg["hostname"]  # do not rename the sleeper's uts namespace
    p = run_probe(ctr, cfg)
    assert p["ns"][f] == helpers.ns_inode(sleeper, f)


def test_join_uts_does_not_leak_hostname_change_to_host(ctr, sleeper):
    """Joining a uts namespace and setting hostname changes only that ns."""
    cfg = default_config(["/probe", "uts"])
    for n in cfg["linux"]["namespaces"]:
        if n["type"] == "uts":
            n["path"] = "/proc/%d/ns/uts" % sleeper
    cfg["hostname"] = "joined-host"
    host_before = os.uname().nodename
    p = run_probe(ctr, cfg)
    assert p["hostname"] == "joined-host"
    assert os.uname().nodename == host_before


USERNS_MAP = [{"containerID": 0, "hostID": 200000, "size": 65536}]


def userns_config(args):
    cfg = default_config(args)
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = USERNS_MAP
    cfg["linux"]["gidMappings"] = USERNS_MAP
    # sysfs cannot be mounted by a user namespace that does not own the
    # network namespace... it does here (new netns), keep the default
    return cfg


def test_user_namespace_mappings(ctr, host_ns):
    cfg = userns_config(["/probe", "ids", "ns", "cat", "/proc/self/uid_map", "cat", "/proc/self/gid_map",
                         "devices"])
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    p = json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])
    assert p["uid"] == [0, 0, 0] and p["gid"] == [0, 0, 0]
    assert p["ns"]["user"] != host_ns["user"]
    assert p["cat"]["/proc/self/uid_map"].split() == ["0", "200000", "65536"]
    assert p["cat"]["/proc/self/gid_map"].split() == ["0", "200000", "65536"]
    # default devices exist in a user namespace too (bind-mounted)
    devs = {d["path"]: d for d in p["devices"]}
    assert devs["/dev/null"]["exists"] and devs["/dev/null"]["type"] == "char"


def test_user_namespace_process_is_unprivileged_on_host(ctr):
    cfg = userns_config(["/probe", "pause"])
    c = ctr(cfg)
    c.create()
    c.start()
    c.wait_output(1)
    status = Path("/proc/%d/status" % c.pid).read_text()
    uids = [ln for ln in status.splitlines() if ln.startswith("Uid:")][0].split()[1:]
    assert uids == ["200000"] * 4


def test_user_namespace_mapping_without_userns_rejected(ctr):
    cfg = default_config(["/probe"])
    cfg["linux"]["uidMappings"] = USERNS_MAP
    c = ctr(cfg)
    msg = one_line_error(c.create(check=False))
    assert "linux.uidMappings" in msg
    assert c.left_behind() == []


def test_time_namespace_offsets(ctr):
    off = 10 * 86400
    cfg = default_config(["/probe", "clocks", "cat", "/proc/uptime"])
    cfg["linux"]["namespaces"].append({"type": "time"})
    cfg["linux"]["timeOffsets"] = {"monotonic": {"secs": off, "nanosecs": 0},
                                   "boottime": {"secs": off, "nanosecs": 0}}
    before_mono = time.clock_gettime(time.CLOCK_MONOTONIC)
    before_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    p = run_probe(ctr, cfg)
    after_mono = time.clock_gettime(time.CLOCK_MONOTONIC)
    after_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    up = float(p["cat"]["/proc/uptime"].split()[0])
    # the container's clocks are the host's plus the offset, read between
    # our two host readings (ordering, not a duration threshold)
    assert int(before_boot) + off <= up + 1 and up <= after_boot + off + 1, (before_boot, up, after_boot)
    assert int(before_mono) + off <= p["clocks"]["monotonic"] <= int(after_mono) + off + 1
    assert int(before_boot) + off <= p["clocks"]["boottime"] <= int(after_boot) + off + 1


def test_time_offsets_without_time_namespace_rejected(ctr):
    cfg = default_config(["/probe"])
    cfg["linux"]["timeOffsets"] = {"monotonic": {"secs": 5}}
    c = ctr(cfg)
    msg = one_line_error(c.create(check=False))
    assert "linux.timeOffsets" in msg
    assert c.left_behind() == []


def test_pid_namespace_init_is_pid1(ctr):
    p = run_probe(ctr, default_config(["/probe", "proc"]))
    assert p["pid"] == 1 and p["ppid"] == 0


def test_hostname_and_domainname(ctr):
    cfg = default_config(["/probe", "uts"])
    cfg["hostname"] = "h-test"
    cfg["domainname"] = "d.example"
    p = run_probe(ctr, cfg)
    assert p["hostname"] == "h-test" and p["domainname"] == "d.example"
