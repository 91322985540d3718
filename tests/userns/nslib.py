"""Helpers shared by the user namespace tests (not fixtures: those are in
conftest.py).  A module of its own name, so that tests/*/ conftest modules
do not shadow each other when the whole tree runs."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(TOP / "oci-conformance" / "lib"))

import bundle as bundlelib  # noqa: E402
import runtime as rtlib  # noqa: E402

OCIRUN = os.environ.get("OCIRUN") or str(TOP / "ocirun")

# container root -> host 100000, 65536 ids
BASE = 100000
SIZE = 65536


def userns_config(args, uid_maps=None, gid_maps=None):
    cfg = bundlelib.default_config(args)
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = uid_maps if uid_maps is not None else [
        {"containerID": 0, "hostID": BASE, "size": SIZE}]
    cfg["linux"]["gidMappings"] = gid_maps if gid_maps is not None else [
        {"containerID": 0, "hostID": BASE, "size": SIZE}]
    return cfg


def chown_tree(path, uid, gid):
    subprocess.run(["chown", "-R", "-h", "%d:%d" % (uid, gid), str(path)], check=True)


def assert_nothing_left(rt, c):
    """A failed create left no state dir, no cgroup, no process."""
    state = Path(rt.root) / c.id
    assert not state.exists(), "state dir %s left behind" % state
    assert c.cgroup_dirs() == [], "cgroup left behind: %s" % c.cgroup_dirs()
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes()
        except OSError:
            continue
        assert str(c.bundle).encode() not in cmd, "process %s left behind" % p.name
