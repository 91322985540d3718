"""Mount destinations and /dev in a hostile image: symlinks to the host
(CVE-2021-30465), symlinks swapped during setup, /dev/null replaced
(CVE-2025-31133), /dev/console a symlink (CVE-2025-52565), /dev a symlink,
and mounts[] over /proc to defeat masking."""
import os
import threading
import time
from pathlib import Path

import pytest

from seclib import json_line, refused


def _no_dev_tmpfs(cfg):
    """Use the image's own /dev (so what the image put there matters)."""
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/dev"]
    return cfg


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_mount_onto_symlink_to_host_lands_inside(actr, cfg, marker, kind):
    hostdir = marker.parent
    cfg["mounts"].append({"destination": "/evil", "type": "tmpfs", "source": "tmpfs"})
    cfg["process"]["args"] = ["/bin/sh", "-c", "echo pwned > /evil/owned"]
    c = actr(cfg)
    target = str(hostdir) if kind == "absolute" else "../../../../../../../../.." + str(hostdir)
    os.symlink(target, c.rootfs / "evil")
    res = c.create(check=False)
    if res.ok:  # resolved inside the rootfs
        c.start()
        assert c.exit_code() == 0, c.stderr_text()
    else:  # or refused: the target does not exist inside the rootfs
        refused(c, res, "mounts[6].destination", "/evil")
    assert not (hostdir / "owned").exists(), "the mount landed on the host"
    assert sorted(os.listdir(hostdir)) == ["MARKER"]


def test_mount_destination_swapped_during_setup(actr, cfg, marker):
    """A thread swaps /swap between a directory and a symlink to a host
    directory while containers are created: the bind never lands there."""
    hostdir = marker.parent
    src = marker.parent.parent / (marker.parent.name + "-src")
    src.mkdir()
    try:
        (src / "from-bind").write_text("x")
        cfg["mounts"].append({"destination": "/swap/x", "type": "bind", "source": str(src),
                              "options": ["bind"]})
        cfg["process"]["args"] = ["/bin/true"]
        for _ in range(15):
            c = actr(cfg)
            root = c.rootfs
            stop = threading.Event()

            def swapper():
                while not stop.is_set():
                    tmp = root / "swap.tmp"
                    try:
                        if (root / "swap").is_symlink():
                            tmp.mkdir()
                        else:
                            tmp.symlink_to(hostdir)
                        os.rename(tmp, root / "swap") if not (root / "swap").is_dir() or (root / "swap").is_symlink() \
                            else os.system("rm -rf %s && mv %s %s" % (root / "swap", tmp, root / "swap"))
                    except OSError:
                        pass

            t = threading.Thread(target=swapper)
            t.start()
            try:
                res = c.create(check=False)
            finally:
                stop.set()
                t.join()
            assert not (hostdir / "x").exists() or not (hostdir / "x" / "from-bind").exists()
            assert sorted(os.listdir(hostdir)) == ["MARKER"], os.listdir(hostdir)
            if res.ok:
                c.delete(force=True)
    finally:
        import shutil
        shutil.rmtree(src, ignore_errors=True)


@pytest.mark.parametrize("kind", ["symlink", "file", "other-device"])
def test_image_dev_null_is_replaced(actr, cfg, marker, kind):
    """/dev/null in the image is a symlink to a host file, a regular file,
    or another device: masking must still bind the real null device."""
    _no_dev_tmpfs(cfg)
    cfg["process"]["args"] = ["/bin/sh", "-c",
                              "echo pwned > /proc/keys; stat -c '%t:%T %F' /dev/null /proc/keys"]
    c = actr(cfg)
    dn = c.rootfs / "dev" / "null"
    if dn.exists() or dn.is_symlink():
        dn.unlink()
    if kind == "symlink":
        os.symlink(str(marker), dn)
    elif kind == "file":
        dn.write_text("not null\n")
    else:
        os.mknod(dn, 0o666 | 0o020000, os.makedev(1, 5))  # /dev/zero
    c.create()
    c.start()
    c.wait()
    assert marker.read_text() == "host secret\n"
    lines = c.stdout_text().split("\n")
    assert "1:3 character special file" in lines[0], c.stdout_text()
    assert "1:3 character special file" in lines[1], c.stdout_text()


def test_mounts_bind_over_dev_null_refused(actr, cfg, marker):
    """A mounts[] entry binding a host file on /dev/null: masking would
    bind that file over masked paths -- refused, nothing left behind."""
    cfg["mounts"].append({"destination": "/dev/null", "type": "bind", "source": str(marker),
                          "options": ["bind"]})
    c = actr(cfg)
    res = c.create(check=False)
    refused(c, res, "/dev/null")


def test_dev_console_symlink(actr, cfg, marker, work):
    """terminal: true and /dev/console a symlink to a host file in the
    image: the pty is bound on a file inside the container."""
    _no_dev_tmpfs(cfg)
    cfg["process"]["terminal"] = True
    cfg["process"]["args"] = ["/bin/sh", "-c", "stat -c '%F %t:%T' /dev/console; readlink /dev/console; true"]
    c = actr(cfg)
    con = c.rootfs / "dev" / "console"
    if con.exists() or con.is_symlink():
        con.unlink()
    os.symlink(str(marker), con)
    before = os.stat(marker)
    # a foreground run with a terminal needs one on our side too (as with
    # runc): stderr on a pty; the container's output comes to stdout
    master, slave = os.openpty()
    try:
        r = c.run_fg(timeout=30, stderr=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert marker.read_text() == "host secret\n"
    assert os.stat(marker).st_ino == before.st_ino
    # nothing was mounted over the host file
    assert [l for l in open("/proc/self/mountinfo") if str(marker) in l] == []
    assert r.rc == 0, r
    assert "character special file" in r.out, r.out


def test_dev_symlink_in_image_stays_inside(actr, cfg, marker):
    """/dev in the image is a symlink to a host directory: /dev (tmpfs)
    and the default devices land inside the rootfs, never on the host."""
    hostdir = marker.parent
    cfg["process"]["args"] = ["/bin/sh", "-c", "ls /dev/null && echo ok > /dev/owned"]
    c = actr(cfg)
    import shutil
    shutil.rmtree(c.rootfs / "dev")
    os.symlink(str(hostdir), c.rootfs / "dev")
    res = c.create(check=False)
    if res.ok:
        c.start()
        c.wait()
    else:
        refused(c, res, "/dev")
    assert sorted(os.listdir(hostdir)) == ["MARKER"], os.listdir(hostdir)


@pytest.mark.parametrize("dest", ["/proc/sys", "/proc/keys"])
def test_mount_over_proc_path_cannot_defeat_masking(actr, cfg, marker, dest):
    """mounts[] binds a host directory/file over a readonly (/proc/sys) or
    masked (/proc/keys) path: refused with a clear error, or the path is
    still read-only/masked (and the host file untouched)."""
    src = marker if dest == "/proc/keys" else marker.parent
    cfg["mounts"].append({"destination": dest, "type": "bind", "source": str(src), "options": ["rbind", "rw"]})
    path = dest if dest == "/proc/keys" else "/proc/sys/MARKER"
    cfg["process"]["args"] = ["/bin/sh", "-c", "echo pwned >> %s; cat %s" % (path, path)]
    c = actr(cfg)
    res = c.create(check=False)
    if res.ok:
        c.start()
        c.wait()
        assert "host secret" not in c.stdout_text()
    else:
        refused(c, res, "procfs")
    assert marker.read_text() == "host secret\n"


def test_host_proc_bound_over_proc_is_still_masked(actr, cfg):
    """mounts[] binds the host's /proc over /proc: the masked and
    read-only paths are masked/read-only on it too."""
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/proc"]
    cfg["mounts"].insert(0, {"destination": "/proc", "type": "bind", "source": "/proc", "options": ["rbind"]})
    cfg["process"]["args"] = ["/bin/sh", "-c",
                              "wc -c < /proc/keys; echo '' > /proc/sysrq-trigger && echo WROTE; true"]
    c = actr(cfg)
    res = c.create(check=False)
    if not res.ok:
        refused(c, res)
        return
    c.start()
    c.wait()
    out = c.stdout_text().split()
    assert out and out[0] == "0", c.stdout_text() + c.stderr_text()
    assert "WROTE" not in c.stdout_text()
