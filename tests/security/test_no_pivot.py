"""--no-pivot keeps the old root in the container's mount namespace (out
of chroot's reach).  A full procfs or sysfs left there lets a process of
the container make a user namespace and mount a fresh procfs, without the
masked paths (the kernel allows it when a "fully visible" procfs exists in
the mount namespace: fs/namespace.c mount_too_revealing).  runc refuses it
("mount: permission denied"); so must we."""
import pytest

from seclib import refused  # noqa: F401


def _caps(cfg):
    # writing "0 0 1" to the new user namespace's uid_map needs CAP_SETFCAP
    # (Linux 5.12), as in runc's own test of this
    for k in ("bounding", "effective", "permitted"):
        if "CAP_SETFCAP" not in cfg["process"]["capabilities"][k]:
            cfg["process"]["capabilities"][k].append("CAP_SETFCAP")
    return cfg


ATTACK = ("unshare -mrpf sh -c 'mount -t proc none /proc && echo FRESH-PROC-MOUNTED;"
          " test -r /proc/kcore && echo KCORE-READABLE; exit 0' 2>&1; echo DONE")


@pytest.mark.parametrize("no_pivot", [True, False])
def test_fresh_procfs_in_a_user_namespace_is_refused(actr, cfg, no_pivot):
    cfg["process"]["args"] = ["/bin/sh", "-c", ATTACK]
    c = actr(_caps(cfg))
    extra = ["--no-pivot"] if no_pivot else []
    r = c.rt.run("run", *extra, "--bundle", c.bundle, c.id, timeout=60)
    assert r.rc == 0, r
    assert "DONE" in r.out, r
    # the user namespace itself was made (or the test proves nothing)
    assert "unshare:" not in r.out or "mount" in r.out, r
    assert "FRESH-PROC-MOUNTED" not in r.out, r
    assert "KCORE-READABLE" not in r.out, r
    assert "permission denied" in r.out.lower() or "operation not permitted" in r.out.lower(), r


def test_no_pivot_container_still_works(actr, cfg):
    """What --no-pivot is for still works: /proc and /sys of the container's
    own, masked paths masked."""
    cfg["process"]["args"] = ["/bin/sh", "-c", "cat /proc/self/comm; ls /sys/kernel >/dev/null && echo sys;"
                              " test -s /proc/kcore || echo kcore-masked"]
    c = actr(cfg)
    r = c.rt.run("run", "--no-pivot", "--bundle", c.bundle, c.id, timeout=60)
    assert r.rc == 0, r
    assert r.out.split() == ["cat", "sys", "kcore-masked"], r
