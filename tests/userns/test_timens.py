"""Time namespaces with linux.timeOffsets (config-linux.md#offset-for-time-namespace),
and joining a time namespace by path."""
import os
import time

import bundle as bundlelib
from nslib import userns_config

BOOT = 10 * 86400
MONO = 3600


def time_config(args, userns=False):
    cfg = userns_config(args) if userns else bundlelib.default_config(args)
    cfg["linux"].pop("resources", None)
    cfg["linux"]["namespaces"].append({"type": "time"})
    cfg["linux"]["timeOffsets"] = {"boottime": {"secs": BOOT, "nanosecs": 0},
                                   "monotonic": {"secs": MONO, "nanosecs": 0}}
    return cfg


def host_clocks():
    return (time.clock_gettime(time.CLOCK_MONOTONIC), time.clock_gettime(time.CLOCK_BOOTTIME))


def check_offsets(out, before, after):
    mono, boot = out["clocks"]["monotonic"], out["clocks"]["boottime"]
    assert int(before[0]) + MONO - 1 <= mono <= int(after[0]) + MONO + 1, (mono, before, after)
    assert int(before[1]) + BOOT - 1 <= boot <= int(after[1]) + BOOT + 1, (boot, before, after)
    up = float(out["cat"]["/proc/uptime"].split()[0])
    assert before[1] + BOOT - 1 <= up <= after[1] + BOOT + 1, (up, before, after)


def test_time_offsets(new_container):
    c = new_container(time_config(["/probe", "clocks", "ns", "cat", "/proc/uptime"]), mapped=False)
    before = host_clocks()
    out = c.run()
    after = host_clocks()
    check_offsets(out, before, after)
    assert out["ns"]["time"] != os.readlink("/proc/self/ns/time")


def test_time_offsets_with_userns(new_container):
    c = new_container(time_config(["/probe", "clocks", "ns", "cat", "/proc/uptime"], userns=True))
    before = host_clocks()
    out = c.run()
    after = host_clocks()
    check_offsets(out, before, after)


def test_join_time_namespace(new_container):
    a = new_container(time_config(["/probe", "pause"]), mapped=False)
    a.create()
    a_time = os.readlink("/proc/%d/ns/time" % a.pid)
    cfg = bundlelib.default_config(["/probe", "clocks", "ns", "cat", "/proc/uptime"])
    cfg["linux"].pop("resources")
    cfg["linux"]["namespaces"].append({"type": "time", "path": "/proc/%d/ns/time" % a.pid})
    b = new_container(cfg, mapped=False)
    before = host_clocks()
    out = b.run()
    after = host_clocks()
    assert out["ns"]["time"] == a_time
    check_offsets(out, before, after)


def test_join_time_namespace_with_new_userns(new_container):
    """A host-owned time namespace joined before the new user namespace is made."""
    a = new_container(time_config(["/probe", "pause"]), mapped=False)
    a.create()
    cfg = userns_config(["/probe", "clocks", "ns", "cat", "/proc/uptime", "ids"])
    cfg["linux"]["namespaces"].append({"type": "time", "path": "/proc/%d/ns/time" % a.pid})
    b = new_container(cfg)
    before = host_clocks()
    out = b.run()
    after = host_clocks()
    assert out["ns"]["time"] == os.readlink("/proc/%d/ns/time" % a.pid)
    assert out["uid"] == [0, 0, 0]
    check_offsets(out, before, after)


def test_offsets_without_time_namespace(new_container, rt):
    from nslib import assert_nothing_left
    cfg = time_config(["/probe"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "time"]
    c = new_container(cfg, mapped=False)
    r = c.create(check=False)
    assert r.rc != 0 and "linux.timeOffsets" in r.err and len(r.err.strip().splitlines()) == 1, r
    assert_nothing_left(rt, c)
