"""rootfsPropagation "rshared" with a bind mount of a shared host directory:
what containerd's CRI sends for a Bidirectional mount (CSI node plugins,
FUSE mounters).  A mount made in the container below the bind must show up
on the host, and the runtime's own mounts (proc, dev, ...) must still stay
in the container.

Found through containerd's CRI (tests/clients/test_cri.py::
test_mount_propagation): ocirun made `/` rslave before the binds, so the
bind became a slave of the host's peer group ("shared:N master:M") and the
container's tmpfs never reached the host; runc keeps the host's peer groups
for a shared rootfsPropagation.
"""
import subprocess

import helpers
from helpers import default_config

CAP_SYS_ADMIN = "CAP_SYS_ADMIN"


def make_shared(path):
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    subprocess.run(["mount", "--make-rshared", str(path)], check=True)


def unmount(path):
    subprocess.run(["umount", "-R", "-l", str(path)], capture_output=True)


def with_sys_admin(cfg):
    caps = cfg["process"].setdefault("capabilities", {})
    for k in ("bounding", "effective", "permitted"):
        caps.setdefault(k, [])
        if CAP_SYS_ADMIN not in caps[k]:
            caps[k].append(CAP_SYS_ADMIN)
    return cfg


def test_bidirectional_bind_reaches_the_host(ctr, work):
    shared = work / "shared"
    (shared / "in").mkdir(parents=True)
    make_shared(shared)
    try:
        cfg = with_sys_admin(default_config(
            ["/bin/sh", "-c", "mount -t tmpfs -o size=1m from-ctr /bidi/in && echo made > /bidi/in/marker"]))
        cfg["linux"]["rootfsPropagation"] = "rshared"
        cfg["mounts"].append({"destination": "/bidi", "type": "bind", "source": str(shared),
                              "options": ["rbind", "rshared", "rw"]})
        r = ctr(cfg).run_fg()
        assert r.rc == 0, r
        assert (shared / "in" / "marker").read_text() == "made\n", helpers.mounts_mentioning(shared)
    finally:
        unmount(shared)


def test_shared_root_propagation_keeps_runtime_mounts_in(ctr, work):
    """The bundle itself below a shared mount: the rootfs bind is private,
    so proc, dev, the masks do not appear in the host's copy of the rootfs."""
    make_shared(work)
    try:
        c = ctr(default_config(["/probe", "pause"]))
        c.config["linux"]["rootfsPropagation"] = "rshared"
        c.write_config()
        c.create()
        c.start()
        c.wait_output(1)
        assert [ln for ln in helpers.mounts_mentioning(c.bundle) if "/rootfs/" in ln.split()[4]] == []
    finally:
        unmount(work)
