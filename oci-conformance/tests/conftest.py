"""pytest plumbing for the conformance suite.

Environment:
  RUNTIME                  runtime binary (default: ../ocirun next to the suite)
  RUNTIME_NAME             name used in results (default: basename of RUNTIME)
  RUNTIME_PRIVATE_MNTNS=1  the runtime runs in a mount namespace of its own
                           (e.g. the crun wrapper); hooks' mount namespace is
                           then only compared with the container's
  OCI_CONFORMANCE_RESULTS  write per-check results (JSON) to this file
  OCI_CONFORMANCE_DEVIATIONS
                           a file of checks the runtime under test fails on
                           purpose (one per line: `check-name-pattern  reason`);
                           they run as strict xfails (a pass is then an error)
                           and are recorded as skipped with the reason
"""
import fnmatch
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

SUITE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SUITE_DIR / "lib"))
sys.path.insert(0, str(SUITE_DIR))

import bundle as bundlelib  # noqa: E402
import runtime as rtlib  # noqa: E402
from catalogue import BY_KEY  # noqa: E402


def runtime_path():
    return os.environ.get("RUNTIME") or str(SUITE_DIR.parent / "ocirun")


def runtime_name():
    return os.environ.get("RUNTIME_NAME") or Path(runtime_path()).name


# ---------------------------------------------------------------- collection
def pytest_collection_modifyitems(session, config, items):
    bad = []
    for item in items:
        for m in item.iter_markers("spec"):
            if tuple(m.args) not in BY_KEY:
                bad.append("%s: @spec%r is not in catalogue.py" % (item.nodeid, tuple(m.args)))
    if bad:
        raise pytest.UsageError("\n".join(bad))
    for pattern, reason in _deviations():
        for item in items:
            if fnmatch.fnmatchcase(item.name, pattern):
                item.add_marker(pytest.mark.xfail(strict=True, reason="deliberate deviation: " + reason))


def _deviations():
    path = os.environ.get("OCI_CONFORMANCE_DEVIATIONS")
    if not path:
        return []
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                out.append((name, reason.strip()))
    return out


# ---------------------------------------------------------------- results
_results = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    r = _results.setdefault(item.nodeid, {
        "nodeid": item.nodeid,
        "name": item.name,
        "file": Path(str(item.fspath)).name,
        "doc": (item.function.__doc__ or "").strip().split("\n")[0] if hasattr(item, "function") else "",
        "specs": [list(m.args) for m in item.iter_markers("spec")],
        "outcome": None,
        "message": "",
    })
    if rep.when == "call" or (rep.when == "setup" and not rep.passed) or (rep.when == "teardown" and rep.failed):
        if rep.skipped and hasattr(rep, "wasxfail"):
            r["outcome"] = "skipped"
            r["message"] = rep.wasxfail
        elif rep.skipped:
            r["outcome"] = "skipped"
            lr = rep.longrepr
            r["message"] = lr[2] if isinstance(lr, tuple) else str(lr)
        elif rep.failed:
            if r["outcome"] != "failed":
                r["outcome"] = "failed"
                msg = ""
                if call.excinfo is not None:
                    msg = call.excinfo.exconly()
                r["message"] = msg[:1500]
        elif rep.passed and r["outcome"] is None:
            r["outcome"] = "passed"


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("OCI_CONFORMANCE_RESULTS")
    if not out:
        return
    data = {
        "runtime": runtime_name(),
        "runtime_path": runtime_path(),
        "version": _runtime_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "kernel": os.uname().release,
        "config_oci_version": bundlelib.CONFIG_VERSION,
        "results": sorted(_results.values(), key=lambda r: r["nodeid"]),
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        json.dump(data, f, indent=1)


def _runtime_version():
    import subprocess
    try:
        p = subprocess.run([runtime_path(), "--version"], capture_output=True, text=True, timeout=10)
        return (p.stdout or p.stderr).strip().split("\n")[0]
    except Exception as e:  # noqa: BLE001
        return "unknown (%s)" % e


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def session_dir():
    rtlib.set_subreaper()
    d = Path(tempfile.mkdtemp(prefix="oci-conformance-"))
    os.chmod(d, 0o755)  # user-namespaced container roots must be able to reach their bundles
    yield d
    rtlib.reap_orphans()
    shutil.rmtree(d, ignore_errors=True)
    rtlib.remove_cgroup_prefix_if_empty()


@pytest.fixture(scope="session")
def rootfs_template():
    return bundlelib.build_rootfs()


@pytest.fixture(scope="session")
def rt(session_dir, rootfs_template):
    path = runtime_path()
    if not os.access(path, os.X_OK):
        pytest.exit("RUNTIME %s is not an executable (set RUNTIME=/path/to/runtime)" % path, returncode=3)
    r = rtlib.Runtime(path, root=session_dir / "state")
    r.private_mntns = os.environ.get("RUNTIME_PRIVATE_MNTNS") == "1"
    r.name = runtime_name()
    r.features_json = None
    f = r.features()
    if f.ok:
        try:
            r.features_json = json.loads(f.out)
        except ValueError:
            pass
    if "OCI_CONFORMANCE_OCI_VERSION" not in os.environ:
        bundlelib.CONFIG_VERSION = _negotiate_version(r, session_dir, rootfs_template)
    yield r
    # anything left behind by a crashed check
    try:
        for entry in Path(r.root).iterdir():
            r.delete(entry.name, force=True, timeout=30)
    except FileNotFoundError:
        pass


def _negotiate_version(r, session_dir, rootfs_template):
    """ociVersion for the suite's configs: SPEC_VERSION unless the runtime
    says (features.ociVersionMax) or shows (refuses a SPEC_VERSION config
    with a version error) that it only knows an older one.  Checks that
    depend on 1.1+ fields still use them; the runtime then ignores or
    rejects them, and the check says so."""
    from helpers import semver_tuple
    spec_v = bundlelib.SPEC_VERSION
    if r.features_json:
        mx = r.features_json.get("ociVersionMax")
        if isinstance(mx, str) and semver_tuple(mx) and semver_tuple(mx) < semver_tuple(spec_v):
            return mx
        return spec_v
    for v in (spec_v, "1.2.0", "1.1.0", "1.0.2"):
        cfg = bundlelib.default_config(["/probe", "proc"])
        cfg["ociVersion"] = v
        c = rtlib.Container(r, session_dir / "negotiate", config=cfg, rootfs_template=rootfs_template)
        try:
            res = c.create(check=False)
        finally:
            c.destroy()
        if res.ok or "version" not in (res.err + res.out).lower():
            return v
    return spec_v


@pytest.fixture
def work(session_dir, request):
    d = session_dir / "w" / request.node.name[:60].replace("/", "_")
    d.mkdir(parents=True, exist_ok=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def cfg():
    """A fresh default config (edit it, then pass it to new_container)."""
    return bundlelib.default_config()


@pytest.fixture
def new_container(rt, work, rootfs_template):
    """Factory: new_container(config=None, **kw) -> rtlib.Container, destroyed
    (delete --force, cgroups removed, bundle removed) at teardown."""
    made = []

    def make(config=None, **kw):
        c = rtlib.Container(rt, work, config=config, rootfs_template=rootfs_template, **kw)
        made.append(c)
        return c

    yield make
    for c in reversed(made):
        c.destroy()
    rtlib.reap_orphans()


@pytest.fixture(scope="session")
def host_ns():
    res = {}
    for n in os.listdir("/proc/self/ns"):
        try:
            res[n] = os.readlink("/proc/self/ns/" + n)
        except OSError:
            pass
    return res
