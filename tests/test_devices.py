"""Default devices, linux.devices, /dev symlinks (config-linux.md#devices,
#default-devices, runtime-linux.md#dev-symbolic-links)."""
import json

import pytest

from helpers import default_config, one_line_error

DEFAULT_DEVICES = {
    "/dev/null": (1, 3), "/dev/zero": (1, 5), "/dev/full": (1, 7),
    "/dev/random": (1, 8), "/dev/urandom": (1, 9), "/dev/tty": (5, 0),
}
SYMLINKS = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
            "/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}


def run_probe(ctr, cfg):
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    return json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])


def stat_args(paths):
    a = []
    for p in paths:
        a += ["stat", p]
    return a


def test_default_devices(ctr):
    p = run_probe(ctr, default_config(["/probe"] + stat_args(list(DEFAULT_DEVICES) + ["/dev/ptmx", "/dev/console"])))
    for path, (ma, mi) in DEFAULT_DEVICES.items():
        st = p["stat"][path]
        assert st["exists"] and st["type"] == "char", (path, st)
        assert (st["major"], st["minor"]) == (ma, mi), (path, st)
        assert st["mode"] & 0o666 == 0o666, (path, oct(st["mode"]))
    # /dev/ptmx: a symlink to pts/ptmx (or a bind of it)
    ptmx = p["stat"]["/dev/ptmx"]
    assert ptmx["exists"]
    assert ptmx.get("target") == "pts/ptmx" or (ptmx["type"] == "char" and ptmx["major"] == 5)


def test_default_devices_work(ctr):
    cfg = default_config(["/bin/sh", "-c",
                          "echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1 && "
                          "head -c 8 /dev/urandom | wc -c && (echo y > /dev/full; echo full=$?)"])
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    assert "00 00 00 00" in r.out and "8" in r.out.split() and "full=1" in r.out


def test_dev_symlinks(ctr):
    p = run_probe(ctr, default_config(["/probe"] + stat_args(SYMLINKS)))
    for path, target in SYMLINKS.items():
        st = p["stat"][path]
        assert st["type"] == "symlink" and st["target"] == target, (path, st)


def test_linux_devices_created_with_mode_uid_gid(ctr):
    cfg = default_config(["/probe", "stat", "/dev/mynull", "stat", "/dev/sub/myzero", "stat", "/dev/myblk",
                          "cat", "/dev/mynull"])
    cfg["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1000, "gid": 2000},
        {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o600},
        {"path": "/dev/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 0o660, "uid": 0, "gid": 6},
    ]
    p = run_probe(ctr, cfg)
    n = p["stat"]["/dev/mynull"]
    assert n["type"] == "char" and (n["major"], n["minor"]) == (1, 3)
    assert n["mode"] == 0o640 and n["uid"] == 1000 and n["gid"] == 2000
    z = p["stat"]["/dev/sub/myzero"]
    assert z["type"] == "char" and (z["major"], z["minor"]) == (1, 5) and z["mode"] == 0o600
    b = p["stat"]["/dev/myblk"]
    assert b["type"] == "block" and (b["major"], b["minor"]) == (7, 200)
    assert b["mode"] == 0o660 and b["gid"] == 6
    assert p["cat"]["/dev/mynull"] == ""


def test_linux_devices_file_mode_with_type_bits(ctr):
    """podman passes the host node's st_mode as fileMode (S_IFCHR|0666 for
    `--device /dev/null`, every device for --privileged); runc accepts it."""
    cfg = default_config(["/probe", "stat", "/dev/xnull", "stat", "/dev/xfifo"])
    cfg["linux"]["devices"] = [
        {"path": "/dev/xnull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o20640},
        {"path": "/dev/xfifo", "type": "p", "fileMode": 0o10600},
    ]
    p = run_probe(ctr, cfg)
    n = p["stat"]["/dev/xnull"]
    assert n["type"] == "char" and (n["major"], n["minor"]) == (1, 3) and n["mode"] == 0o640, n
    f = p["stat"]["/dev/xfifo"]
    assert f["type"] == "fifo" and f["mode"] == 0o600, f


def test_linux_devices_host_ptmx_keeps_the_pts_link(ctr):
    """podman --privileged lists every host device, /dev/ptmx (c 5:2) too:
    runc and crun keep the /dev/ptmx -> pts/ptmx link, and so does ocirun;
    another device at an existing path is still an error (below)."""
    cfg = default_config(["/probe", "stat", "/dev/ptmx"])
    cfg["linux"]["devices"] = [{"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2, "fileMode": 0o20666}]
    st = run_probe(ctr, cfg)["stat"]["/dev/ptmx"]
    assert st.get("target") == "pts/ptmx", st


def test_linux_devices_other_node_at_ptmx_is_an_error(ctr):
    cfg = default_config(["/probe"])
    cfg["linux"]["devices"] = [{"path": "/dev/ptmx", "type": "c", "major": 1, "minor": 3}]
    c = ctr(cfg)
    msg = one_line_error(c.create(check=False))
    assert "linux.devices[0]" in msg and "/dev/ptmx" in msg, msg


def test_linux_devices_with_ptmx_and_the_default_devices(ctr):
    """containerd's privileged containers (ctr run --privileged, CRI
    privileged) list every host device in linux.devices, /dev/ptmx and
    /dev/null included: they are made, and /dev/ptmx then becomes the
    pts/ptmx symlink, as with runc (not "`/dev/ptmx` exists")."""
    cfg = default_config(["/probe", "stat", "/dev/ptmx", "stat", "/dev/null", "stat", "/dev/stdout"])
    cfg["linux"]["devices"] = [
        {"path": "/dev/ptmx", "type": "c", "major": 5, "minor": 2, "fileMode": 0o666, "uid": 0, "gid": 0},
        {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666, "uid": 0, "gid": 0},
    ]
    p = run_probe(ctr, cfg)
    assert p["stat"]["/dev/ptmx"]["type"] == "symlink" and p["stat"]["/dev/ptmx"]["target"] == "pts/ptmx", p
    assert p["stat"]["/dev/null"]["type"] == "char", p
    assert p["stat"]["/dev/stdout"]["target"] == "/proc/self/fd/1", p


def test_linux_devices_fifo(ctr):
    cfg = default_config(["/probe", "stat", "/dev/myfifo"])
    cfg["linux"]["devices"] = [{"path": "/dev/myfifo", "type": "p", "fileMode": 0o644}]
    st = run_probe(ctr, cfg)["stat"]["/dev/myfifo"]
    assert st["type"] == "fifo" and st["mode"] == 0o644


def test_linux_devices_outside_dev_stays_in_rootfs(ctr, work):
    """A device path with .. must not create a node on the host."""
    cfg = default_config(["/probe"])
    cfg["linux"]["devices"] = [{"path": "/dev/../../../../../../%s/evilnode" % str(work).lstrip("/"),
                                "type": "c", "major": 1, "minor": 3}]
    c = ctr(cfg)
    r = c.run_fg()
    import os
    assert not os.path.exists(os.path.join(str(work), "evilnode"))
    if r.rc != 0:
        assert "linux.devices[0]" in one_line_error(r)
