"""pytest fixtures for ocirun's integration tests (run as root).

Environment:
  OCIRUN   the runtime binary (default: ./ocirun at the top of the repo)

Every test gets its own work dir and its own --root state dir; every
container gets cgroupsPath /ocirun-test-<pid>/<id>.  The autouse `no_leaks`
fixture snapshots the host before each test (state dirs, cgroups below
/ocirun-test-<pid>, mounts mentioning the work dir, our descendant processes and
processes rooted in the work dir) and fails the test at teardown if any
of these appeared and were not removed.
"""
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the rootfs template (busybox + probe) is cached here, not in oci-conformance/
os.environ.setdefault("OCI_CONFORMANCE_CACHE", str(Path(__file__).resolve().parent / ".build"))

import helpers  # noqa: E402
from helpers import bundlelib, rtlib  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a longer test")


@pytest.fixture(scope="session")
def ocirun_bin():
    p = helpers.ocirun_path()
    if not os.access(p, os.X_OK):
        pytest.exit("ocirun binary %s not found (build it, or set OCIRUN=)" % p, returncode=3)
    if os.geteuid() != 0:
        pytest.exit("the integration tests start real containers: run them as root", returncode=3)
    return p


@pytest.fixture(scope="session")
def session_dir():
    rtlib.set_subreaper()
    d = Path(tempfile.mkdtemp(prefix="ocirun-tests-"))
    os.chmod(d, 0o755)
    yield d
    rtlib.reap_orphans()
    shutil.rmtree(d, ignore_errors=True)
    helpers.remove_cgroup_prefix_if_empty()


@pytest.fixture(scope="session", autouse=True)
def seccomp_cache(session_dir):
    """ocirun's compiled-seccomp cache for this session (by default it is
    /run/ocirun-seccomp-cache, shared by every ocirun on the host): what
    the tests compile stays in the session dir and goes with it.  Runtimes
    started by daemons that do not pass the environment on (podman's
    conmon) use the default: test_podman cleans that up."""
    d = session_dir / "seccomp-cache"
    old = os.environ.get("OCIRUN_SECCOMP_CACHE")
    os.environ["OCIRUN_SECCOMP_CACHE"] = str(d)
    yield d
    if old is None:
        os.environ.pop("OCIRUN_SECCOMP_CACHE", None)
    else:
        os.environ["OCIRUN_SECCOMP_CACHE"] = old


@pytest.fixture(scope="session")
def rootfs_template(session_dir):
    return bundlelib.build_rootfs(bundlelib.cache_dir())


@pytest.fixture
def work(session_dir, request):
    d = session_dir / ("w-" + helpers.new_id("t"))
    d.mkdir(parents=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def rt(ocirun_bin, work):
    """The runtime driver with a private --root for this test."""
    return rtlib.Runtime(ocirun_bin, root=work / "state")


@pytest.fixture(autouse=True)
def no_leaks(request):
    """Fail a test that leaves state dirs, cgroups, mounts or processes."""
    if "rt" not in request.fixturenames:
        yield
        return
    rt = request.getfixturevalue("rt")
    work = request.getfixturevalue("work")
    snap = helpers.Snapshot(rt.root, work)
    yield snap
    leaks = snap.leaks()
    if leaks:
        snap.cleanup(rt)
        pytest.fail("left behind: " + "; ".join(leaks), pytrace=False)


@pytest.fixture
def cfg():
    """A fresh default config (runc-spec-like, busybox + /probe rootfs)."""
    return bundlelib.default_config()


@pytest.fixture
def ctr(rt, work, rootfs_template):
    """Factory: ctr(config=None, cid=None) -> OcirunContainer.  At teardown
    every container is `delete --force`d; whatever that leaves behind fails
    the test (then it is cleaned up by hand)."""
    made = []

    def make(config=None, **kw):
        c = helpers.OcirunContainer(rt, work, config=config, rootfs_template=rootfs_template, **kw)
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


@pytest.fixture(scope="session")
def host_ns():
    return {n: os.readlink("/proc/self/ns/" + n) for n in os.listdir("/proc/self/ns")}
