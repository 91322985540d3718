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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nslib import (BASE, OCIRUN, SIZE, TOP, assert_nothing_left, bundlelib, chown_tree,  # noqa: E402,F401
                   rtlib, userns_config)

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


