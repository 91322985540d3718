"""Idmapped mounts (config.md#mounts, runtime-spec 1.2): a mount's own
uidMappings/gidMappings, the `idmap`/`ridmap` options, and their errors."""
import os

import bundle as bundlelib
from nslib import BASE, SIZE, assert_nothing_left, userns_config


def host_dir(work, name, uid, gid):
    d = work / name
    d.mkdir()
    (d / "file").write_text("x")
    os.chown(d, uid, gid)
    os.chown(d / "file", uid, gid)
    return d


def idmap_mount(src, dest, uid_maps=None, gid_maps=None, options=("bind", "idmap")):
    m = {"source": str(src), "destination": dest, "type": "bind", "options": list(options)}
    if uid_maps is not None:
        m["uidMappings"] = uid_maps
    if gid_maps is not None:
        m["gidMappings"] = gid_maps
    return m


def test_idmap_host_dir_owned_by_1000(new_container, work):
    """A host dir owned by 1000 appears owned by the container's root; files
    created in it belong to 1000 on the host."""
    src = host_dir(work, "data", 1000, 1000)
    cfg = userns_config(["/bin/sh", "-c", "touch /data/new && mkdir /data/newdir && exec /probe stat /data "
                         "stat /data/file stat /data/new ids"])
    # on-disk 1000 -> container root (host BASE)
    m = [{"containerID": 1000, "hostID": BASE, "size": 1}]
    cfg["mounts"].append(idmap_mount(src, "/data", m, m))
    c = new_container(cfg)
    out = c.run()
    assert c.exit_code() == 0, c.stderr_text()
    for p in ("/data", "/data/file", "/data/new"):
        assert (out["stat"][p]["uid"], out["stat"][p]["gid"]) == (0, 0), (p, out["stat"][p])
    for p in ("new", "newdir"):
        st = (src / p).stat()
        assert (st.st_uid, st.st_gid) == (1000, 1000), p


def test_idmap_uses_container_mapping(new_container, work):
    """`idmap` without mappings: the container's user namespace mapping."""
    src = host_dir(work, "data", 0, 0)
    cfg = userns_config(["/bin/sh", "-c", "touch /data/new && exec /probe stat /data/file"])
    cfg["mounts"].append(idmap_mount(src, "/data"))
    c = new_container(cfg)
    out = c.run()
    assert (out["stat"]["/data/file"]["uid"], out["stat"]["/data/file"]["gid"]) == (0, 0)
    st = (src / "new").stat()
    assert (st.st_uid, st.st_gid) == (0, 0)


def test_idmap_without_userns(new_container, work):
    """Mappings on a mount of a container without a user namespace (as
    runc's "[no userns]" tests): on-disk 0 shows as BASE."""
    src = host_dir(work, "data", 0, 0)
    cfg = bundlelib.default_config(["/probe", "stat", "/data/file"])
    cfg["linux"].pop("resources")
    m = [{"containerID": 0, "hostID": BASE, "size": SIZE}]
    cfg["mounts"].append(idmap_mount(src, "/data", m, m, options=["bind"]))
    c = new_container(cfg, mapped=False)
    out = c.run()
    assert (out["stat"]["/data/file"]["uid"], out["stat"]["/data/file"]["gid"]) == (BASE, BASE)


def test_ridmap_recursive(new_container, work):
    src = host_dir(work, "data", 1000, 1000)
    sub = host_dir(work, "sub", 1000, 1000)
    (src / "mnt").mkdir()
    os.system("mount --bind %s %s" % (sub, src / "mnt"))
    try:
        m = [{"containerID": 1000, "hostID": BASE, "size": 1}]
        cfg = userns_config(["/probe", "stat", "/data/file", "stat", "/data/mnt/file"])
        cfg["mounts"].append(idmap_mount(src, "/data", m, m, options=["rbind", "ridmap"]))
        c = new_container(cfg)
        out = c.run()
        assert out["stat"]["/data/file"]["uid"] == 0
        assert out["stat"]["/data/mnt/file"]["uid"] == 0
        # `idmap` (not recursive): the submount keeps the plain mapping
        cfg["mounts"][-1]["options"] = ["rbind", "idmap"]
        c2 = new_container(cfg)
        out = c2.run()
        assert out["stat"]["/data/file"]["uid"] == 0
        assert out["stat"]["/data/mnt/file"]["uid"] == 65534
    finally:
        os.system("umount %s" % (src / "mnt"))


def test_idmap_readonly(new_container, work):
    src = host_dir(work, "data", 1000, 1000)
    m = [{"containerID": 1000, "hostID": BASE, "size": 1}]
    cfg = userns_config(["/probe", "stat", "/data/file", "write", "/data/file"])
    cfg["mounts"].append(idmap_mount(src, "/data", m, m, options=["bind", "idmap", "ro"]))
    c = new_container(cfg)
    out = c.run()
    assert out["stat"]["/data/file"]["uid"] == 0
    assert out["write"]["/data/file"]["writable"] is False


BAD = {
    "uidMappings without gidMappings": (
        lambda m: m.pop("gidMappings"), "mounts[6].gidMappings"),
    "gidMappings without uidMappings": (
        lambda m: m.pop("uidMappings"), "mounts[6].uidMappings"),
    "overlapping ranges": (
        lambda m: m.update(uidMappings=[{"containerID": 0, "hostID": BASE, "size": 10},
                                        {"containerID": 5, "hostID": BASE + 100, "size": 10}]),
        "mounts[6].uidMappings[1]"),
    # a tmpfs can be idmapped (oci-conformance checks it); a cgroup mount cannot
    "cgroup mount": (
        lambda m: m.update(type="cgroup", source="cgroup", options=["idmap"]), "mounts[6]"),
}


import pytest  # noqa: E402


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_idmap(new_container, rt, work, case):
    src = host_dir(work, "data", 1000, 1000)
    change, field = BAD[case]
    m = [{"containerID": 1000, "hostID": BASE, "size": 1}]
    mnt = idmap_mount(src, "/data", m, list(m))
    change(mnt)
    cfg = userns_config(["/probe"])
    cfg["mounts"].append(mnt)
    assert len(cfg["mounts"]) == 7
    c = new_container(cfg)
    r = c.create(check=False)
    assert r.rc != 0, r
    assert len(r.err.strip().splitlines()) == 1 and field in r.err, r.err
    assert_nothing_left(rt, c)


def test_idmap_without_mappings_and_userns(new_container, rt, work):
    """config.md: no mappings and no user namespace: "an error MUST be returned"."""
    src = host_dir(work, "data", 1000, 1000)
    cfg = bundlelib.default_config(["/probe"])
    cfg["mounts"].append(idmap_mount(src, "/data"))
    c = new_container(cfg, mapped=False)
    r = c.create(check=False)
    assert r.rc != 0 and "mounts[6]" in r.err and "user namespace" in r.err, r
    assert len(r.err.strip().splitlines()) == 1
    assert_nothing_left(rt, c)
