"""linux.cgroupsPath placement and removal (the cgroup controllers' own
behaviour is covered by tests/unit/test-cgroup.c and oci-conformance)."""
import json

import helpers
from helpers import default_config, wait_for


def cfg_no_device_rules(args):
    # kept separate from the devices-cgroup finding (see FINDINGS.md)
    cfg = default_config(args)
    cfg["linux"].pop("resources", None)
    return cfg


def test_container_is_in_its_cgroup_and_it_is_removed(ctr):
    c = ctr(cfg_no_device_rules(["/probe", "cgroup", "pause"]))
    c.create()
    dirs = c.cgroup_dirs()
    assert dirs, "no cgroup made for %s" % c.cgroups_path
    for d in dirs:
        procs = (d / "cgroup.procs").read_text().split()
        assert str(c.pid) in procs, (d, procs)
    c.start()
    p = c.wait_output(1)[0]
    for line in p["cgroup"]:
        assert line.split(":", 2)[2] == c.cgroups_path, p["cgroup"]
    c.kill("KILL")
    c.wait()
    wait_for(lambda: c.state()["status"] == "stopped")
    c.delete()
    assert c.cgroup_dirs() == []


def test_failed_create_removes_cgroup(ctr):
    cfg = cfg_no_device_rules(["/nonexistent-binary"])
    c = ctr(cfg)
    r = c.create(check=False)
    assert r.rc != 0
    assert c.cgroup_dirs() == []
