"""Fixtures for the cgroup integration tests (tests/cgroups/).

They build on tests/conftest.py (rt, work, rootfs_template, the autouse
no_leaks check) and tests/helpers.py (OcirunContainer, one_line_error,
wait_for).  What is different here:

  * every container's cgroupsPath is /ocirun-cgt-<pid>/<id>: a parent of our
    own (the main suite uses /ocirun-test concurrently), removed in every
    hierarchy at the end of the session;
  * `layout` knows whether the host is cgroup v1/hybrid or pure v2 (from
    /proc/self/mountinfo) and where each controller's files are, so the
    tests read the right file names for the layout;
  * the autouse `cg_no_leaks` fails a test that leaves any directory below
    our parent in any hierarchy.

Environment:
  OCIRUN_CGT_PARALLEL   containers in the parallel create/delete test
                        (default 50; tests/vm/ci.sh scales it down in the VM)
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cglib import LAYOUT, PARENT, CgContainer, leftover_cgroups, remove_tree  # noqa: E402
import helpers  # noqa: E402
from helpers import rtlib  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "heavy: many containers; scaled down in the VM lane "
                            "(OCIRUN_CGT_PARALLEL) or deselected with -m 'not heavy'")


@pytest.fixture(scope="session")
def layout():
    return LAYOUT


@pytest.fixture(scope="session", autouse=True)
def cg_parent():
    """Our cgroup parent; removed (with anything below it) in every hierarchy
    at the end of the session."""
    yield PARENT
    rtlib.reap_orphans()
    remove_tree(PARENT)


def cleanup(snap, runtime):
    """helpers.Snapshot.cleanup without its /ocirun-test cgroup part (that
    could hit the main suite's containers): our containers' state dirs,
    mounts below our work dir, our own processes; cgroups below PARENT are
    cg_no_leaks' business."""
    for cid in snap._state_entries() - snap.state:
        try:
            runtime.delete(cid, force=True, timeout=30)
        except Exception:  # noqa: BLE001
            pass
    for ln in sorted(set(helpers.mounts_mentioning(snap.workdir)) - snap.mounts, reverse=True):
        mp = ln.split()[4]
        if mp.startswith(str(snap.workdir)):
            subprocess.run(["umount", "-l", mp], capture_output=True)
    for p in (helpers.descendants() | helpers.procs_rooted_in(snap.workdir)) - snap.procs:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    rtlib.reap_orphans()


@pytest.fixture(autouse=True)
def no_leaks(request):
    """Overrides tests/conftest.py's no_leaks: the same state dir, mount and
    process checks, but its cgroup check covers /ocirun-test, which the main
    suite may be using concurrently; ours is cg_no_leaks (below PARENT)."""
    if "rt" not in request.fixturenames:
        yield
        return
    rt = request.getfixturevalue("rt")
    work = request.getfixturevalue("work")
    snap = helpers.Snapshot(rt.root, work)
    yield snap
    leaks = [x for x in snap.leaks() if not x.startswith("cgroups left:")]
    if leaks:
        cleanup(snap, rt)
        pytest.fail("left behind: " + "; ".join(leaks), pytrace=False)


@pytest.fixture(autouse=True)
def cg_no_leaks(request):
    before = set(leftover_cgroups())
    yield
    left = sorted(set(leftover_cgroups()) - before)
    if left:
        for d in left:
            for m in LAYOUT.mounts:
                if d.startswith(str(m) + "/"):
                    remove_tree("/" + str(Path(d).relative_to(m)))
        pytest.fail("cgroups left below %s: %s" % (PARENT, left), pytrace=False)


@pytest.fixture
def cctr(rt, work, rootfs_template):
    """Factory: cctr(config=None, cid=None) -> CgContainer; every container
    is `delete --force`d at teardown and what that leaves fails the test."""
    made = []

    def make(config=None, **kw):
        c = CgContainer(rt, work, config=config, rootfs_template=rootfs_template, **kw)
        made.append(c)
        return c

    yield make
    leaks = []
    for c in reversed(made):
        c.destroy()
        leaks += c.leaks
    rtlib.reap_orphans()
    if leaks:
        pytest.fail("; ".join(leaks), pytrace=False)


