"""Bad linux.resources values: create (and update) fail with one error line
naming the field, a non-zero exit status, and leave nothing behind: no state
dir, no cgroup directory in any hierarchy (not even the parent the runtime
made for it), no process."""
import json

import pytest

import helpers
from cglib import LAYOUT, PARENT, cfg_with, nothing_left
from helpers import status_of, wait_for

MiB = 1024 * 1024


def unified_bad_key():
    """A unified key whose controller is not enabled for the container."""
    if LAYOUT.is_v2:
        return "nosuchctl.max"
    return "memory.max"  # hybrid: memory is a v1 controller; pure v1: no unified at all


CASES = [
    # (id, resources, field named in the error)
    ("memory-negative", {"memory": {"limit": -5}}, "linux.resources.memory.limit"),
    ("memory-reservation-negative", {"memory": {"reservation": -2}}, "linux.resources.memory.reservation"),
    ("memory-string", {"memory": {"limit": "64m"}}, "linux.resources.memory.limit"),
    ("swap-below-memory", {"memory": {"limit": 64 * MiB, "swap": 32 * MiB}}, "linux.resources.memory.swap"),
    ("swap-without-limit", {"memory": {"swap": 64 * MiB}}, "linux.resources.memory.swap"),
    ("swappiness-range", {"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness"),
    # (pids.limit -3, cpu.quota -5 and 0 are accepted as runc does:
    # tests/test_unset_values.py)
    # the kernel refuses these: the cgroup exists by then and must go
    ("cpu-period-too-small", {"cpu": {"quota": 50000, "period": 10}}, "linux.resources.cpu"),
    ("cpus-nonexistent", {"cpu": {"cpus": "4095"}}, "linux.resources.cpu.cpus"),
    ("cpus-syntax", {"cpu": {"cpus": "a-b"}}, "linux.resources.cpu.cpus"),
    ("mems-nonexistent", {"cpu": {"mems": "1023"}}, "linux.resources.cpu.mems"),
    ("blkio-weight-low", {"blockIO": {"weight": 5}}, "linux.resources.blockIO.weight"),
    ("blkio-weight-high", {"blockIO": {"weight": 2000}}, "linux.resources.blockIO.weight"),
    ("device-type", {"devices": [{"allow": False, "access": "rwm"},
                                 {"allow": True, "type": "x", "major": 1, "minor": 3, "access": "rwm"}]},
     "linux.resources.devices[1]"),
    ("device-access", {"devices": [{"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwz"}]},
     "linux.resources.devices[0]"),
    ("hugepage-size", {"hugepageLimits": [{"pageSize": "3XB", "limit": 2 * MiB}]},
     "linux.resources.hugepageLimits"),
    ("unified-not-enabled", {"unified": {unified_bad_key(): "1000000"}}, "linux.resources.unified"),
    ("unified-path", {"unified": {"../memory.max": "1"}}, "linux.resources.unified"),
]
if "net_cls" not in LAYOUT.v1:
    CASES.append(("net-cls-unavailable", {"network": {"classID": 42}}, "linux.resources.network"))
if LAYOUT.is_v2:
    CASES.append(("rt-runtime-on-v2", {"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 100000}},
                  "linux.resources.cpu.realtime"))


@pytest.mark.parametrize("resources,field", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_value_create(rt, cctr, resources, field):
    parent_before = LAYOUT.existing_dirs(PARENT)
    c = cctr(cfg_with(["/probe", "pause"], resources))
    r = c.create(check=False)
    msg = helpers.one_line_error(r)
    assert field in msg, "error does not name %s: %r" % (field, msg)
    assert nothing_left(rt, c) == []
    # the parent the runtime made for it is gone too
    assert LAYOUT.existing_dirs(PARENT) == parent_before
    assert status_of(rt, c.id) is None


def test_bad_value_run(rt, cctr):
    """The same through `run`."""
    c = cctr(cfg_with(["/probe", "pause"], {"cpu": {"cpus": "4095"}}))
    r = c.run_fg(timeout=60)
    msg = helpers.one_line_error(r)
    assert "linux.resources.cpu.cpus" in msg, msg
    assert nothing_left(rt, c) == []


UPDATE_CASES = [
    ("swappiness-range", ["--resources", "-"], {"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness"),
    ("swap-below-memory", ["--memory", "64m", "--memory-swap", "32m"], None, "memory.swap"),
    ("cpus-nonexistent", ["--cpuset-cpus", "4095"], None, "cpu.cpus"),
    ("blkio-weight", ["--blkio-weight", "5"], None, "blockIO.weight"),
    ("device-type", ["--resources", "-"], {"devices": [{"allow": True, "type": "x", "access": "r"}]},
     "linux.resources.devices[0]"),
    ("unified-not-enabled", ["--resources", "-"], {"unified": {unified_bad_key(): "1"}},
     "linux.resources.unified"),
    ("memory-string", ["--resources", "-"], {"memory": {"limit": "lots"}}, "memory.limit"),
]


@pytest.mark.parametrize("args,res,field", [c[1:] for c in UPDATE_CASES], ids=[c[0] for c in UPDATE_CASES])
def test_bad_value_update(cctr, args, res, field):
    """A refused update names the field and leaves the container running with
    its old limits."""
    c = cctr(cfg_with(["/probe", "pause"], {"pids": {"limit": 20}, "memory": {"limit": 96 * MiB}}))
    c.create()
    c.start()
    wait_for(lambda: status_of(c.rt, c.id) == "running")
    r = c.rt.run("update", *args, c.id, input=json.dumps(res) if res is not None else None)
    msg = helpers.one_line_error(r)
    assert field in msg, "error does not name %s: %r" % (field, msg)
    assert status_of(c.rt, c.id) == "running"
    assert c.read("pids", "pids.max") == "20"
    assert c.read("memory", "memory.max" if LAYOUT.is_v2 else "memory.limit_in_bytes") == str(96 * MiB)


def test_update_unknown_container(rt):
    r = rt.run("update", "--pids-limit", "5", "no-such-container")
    helpers.one_line_error(r)
