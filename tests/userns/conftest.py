"""Fixtures for the user namespace tests (run as root:
`/usr/bin/python3 -m pytest tests/userns -q`).

Reuses oci-conformance/lib (bundle.py, runtime.py).  Each test gets a
private --root state dir, its own cgroupsPath (below /ocirun-conformance),
and everything it starts is force-deleted at teardown.
"""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def session_dir():
    rtlib.set_subreaper()
    d = Path(tempfile.mkdtemp(prefix="ocirun-userns-"))
    os.chmod(d, 0o755)
    yield d
    rtlib.reap_orphans()
    shutil.rmtree(d, ignore_errors=True)
    rtlib.remove_cgroup_prefix_if_empty()


@pytest.fixture(scope="session")
def rootfs_template():
    return bundlelib.build_rootfs()


@pytest.fixture(scope="session")
def mapped_rootfs(session_dir, rootfs_template):
    """The template rootfs chowned to the container's root (host BASE)."""
    d = session_dir / "rootfs-mapped"
    subprocess.run(["cp", "-a", str(rootfs_template), str(d)], check=True)
    chown_tree(d, BASE, BASE)
    return d


@pytest.fixture
def work(session_dir, request):
    d = session_dir / "w" / request.node.name[:60].replace("/", "_").replace("[", "_").replace("]", "_")
    d.mkdir(parents=True, exist_ok=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def rt(work):
    return rtlib.Runtime(OCIRUN, root=work / "state")


@pytest.fixture
def new_container(rt, work, mapped_rootfs):
    """new_container(config, mapped=True) -> Container; destroyed at teardown."""
    made = []

    def make(config=None, mapped=True, **kw):
        c = rtlib.Container(rt, work, config=config,
                            rootfs_template=mapped_rootfs if mapped else None, **kw)
        made.append(c)
        return c

    yield make
    for c in reversed(made):
        c.destroy()
    rtlib.reap_orphans()


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
