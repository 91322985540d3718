"""linux.uidMappings/gidMappings written by the runtime (config-linux.md
#user-namespace-mappings): single and multiple ranges, ownership of files
created inside, and the errors for bad mappings."""
import os

import pytest

from nslib import BASE, SIZE, assert_nothing_left, userns_config


def test_single_range(new_container):
    c = new_container(userns_config(["/bin/sh", "-c", "touch /tmp/made-inside && exec /probe ids "
                                     "cat /proc/self/uid_map cat /proc/self/gid_map"]))
    out = c.run()
    assert out["uid"] == [0, 0, 0] and out["gid"] == [0, 0, 0]
    assert out["cat"]["/proc/self/uid_map"].split() == ["0", str(BASE), str(SIZE)]
    assert out["cat"]["/proc/self/gid_map"].split() == ["0", str(BASE), str(SIZE)]
    st = os.stat(c.rootfs / "tmp" / "made-inside")
    assert (st.st_uid, st.st_gid) == (BASE, BASE)


def test_multiple_ranges(new_container, work):
    # container 0-999 -> 100000, 1000 -> host 1000 (a single id), 1001-65535 -> 101001
    maps = [{"containerID": 0, "hostID": BASE, "size": 1000},
            {"containerID": 1000, "hostID": 1000, "size": 1},
            {"containerID": 1001, "hostID": BASE + 1001, "size": SIZE - 1001}]
    cfg = userns_config(["/probe", "ids", "cat", "/proc/self/uid_map", "cat", "/proc/self/gid_map",
                         "stat", "/home/u1000"],
                        uid_maps=maps, gid_maps=maps)
    c = new_container(cfg)
    # a directory only container uid 1000 (= host 1000) may write to
    d = c.rootfs / "home" / "u1000"
    d.mkdir()
    os.chown(d, 1000, 1000)
    out = c.run()
    lines = [l.split() for l in out["cat"]["/proc/self/uid_map"].strip().splitlines()]
    assert lines == [["0", str(BASE), "1000"], ["1000", "1000", "1"],
                     ["1001", str(BASE + 1001), str(SIZE - 1001)]]
    glines = [l.split() for l in out["cat"]["/proc/self/gid_map"].strip().splitlines()]
    assert glines == lines
    # host 1000 shows up as container 1000
    st = out["stat"]["/home/u1000"]
    assert (st["uid"], st["gid"]) == (1000, 1000), st


def test_process_user_in_second_range(new_container):
    maps = [{"containerID": 0, "hostID": BASE, "size": 1000},
            {"containerID": 1000, "hostID": BASE + 5000, "size": 1000}]
    cfg = userns_config(["/bin/sh", "-c", "touch /tmp/by-1500 && exec /probe ids"],
                        uid_maps=maps, gid_maps=maps)
    cfg["process"]["user"] = {"uid": 1500, "gid": 1500}
    c = new_container(cfg)
    out = c.run()
    assert out["uid"] == [1500, 1500, 1500] and out["gid"] == [1500, 1500, 1500]
    st = (c.rootfs / "tmp" / "by-1500").stat()
    assert (st.st_uid, st.st_gid) == (BASE + 5500, BASE + 5500)


BAD = {
    "unmapped process.user.uid": (
        lambda cfg: cfg["process"]["user"].update(uid=SIZE + 5), "process.user.uid"),
    "unmapped process.user.gid": (
        lambda cfg: cfg["process"]["user"].update(gid=SIZE + 5), "process.user.gid"),
    "unmapped additional gid": (
        lambda cfg: cfg["process"]["user"].update(additionalGids=[SIZE + 7]), "process.user.additionalGids[0]"),
    "mappings without a user namespace": (
        lambda cfg: cfg["linux"].update(namespaces=[n for n in cfg["linux"]["namespaces"] if n["type"] != "user"]),
        "linux.uidMappings"),
    "user namespace without mappings": (
        lambda cfg: (cfg["linux"].pop("uidMappings"), cfg["linux"].pop("gidMappings")), "linux.uidMappings"),
    "overlapping container ranges": (
        lambda cfg: cfg["linux"].update(uidMappings=[{"containerID": 0, "hostID": BASE, "size": 100},
                                                     {"containerID": 50, "hostID": BASE + 1000, "size": 100}]),
        "linux.uidMappings[1]"),
    "overlapping host ranges": (
        lambda cfg: cfg["linux"].update(gidMappings=[{"containerID": 0, "hostID": BASE, "size": 100},
                                                     {"containerID": 1000, "hostID": BASE + 50, "size": 100}]),
        "linux.gidMappings[1]"),
    "zero size": (
        lambda cfg: cfg["linux"].update(uidMappings=[{"containerID": 0, "hostID": BASE, "size": 0}]),
        "linux.uidMappings[0].size"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_mappings(new_container, rt, case):
    change, field = BAD[case]
    cfg = userns_config(["/probe"])
    change(cfg)
    c = new_container(cfg)
    r = c.create(check=False)
    assert r.rc != 0, r
    msg = r.err.strip()
    assert len(msg.splitlines()) == 1, msg
    assert field in msg, msg
    assert_nothing_left(rt, c)
