"""Self-test: the suite's checks can fail.

Each case runs one check of the suite against selftest/mangle-runtime, a
wrapper around a real runtime (SELFTEST_RUNTIME, default runc) that breaks one
thing, and asserts that the check fails; and against the real runtime alone,
asserting it passes (so the failure comes from the mangling)."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parent.parent
MANGLE = SUITE / "selftest" / "mangle-runtime"
REAL = os.environ.get("SELFTEST_RUNTIME", "/usr/sbin/runc")

CASES = [
    # (MANGLE, check)
    ("hostname", "tests/test_config.py::test_hostname"),
    ("readonly", "tests/test_config.py::test_root_readonly"),
    ("drop-poststart", "tests/test_hooks.py::test_lifecycle_poststart_invoked"),
    ("kill-as-kill", "tests/test_runtime.py::test_kill_sends_signal[USR1-10]"),
    ("state-no-pid", "tests/test_runtime.py::test_state_pid"),
    ("masked", "tests/test_config_linux.py::test_masked_paths"),
    ("leak-mount", "tests/test_runtime.py::test_failed_create_leaves_nothing"),
]


def unmount_mangle_leaks():
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mp = line.split()[4]
        if mp.startswith("/run/oci-conformance-mangle-leak-"):
            subprocess.run(["umount", "-l", mp], check=False)
            subprocess.run(["rmdir", mp], check=False)


def run_check(check, runtime, mangle=None):
    with tempfile.TemporaryDirectory() as d:
        res = Path(d) / "r.json"
        env = dict(os.environ, RUNTIME=str(runtime), RUNTIME_NAME="selftest", OCI_CONFORMANCE_RESULTS=str(res),
                   REAL_RUNTIME=REAL)
        env.pop("RUNTIME_PRIVATE_MNTNS", None)
        if mangle:
            env["MANGLE"] = mangle
        p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
                            str(SUITE / "pytest.ini"), "--rootdir", str(SUITE), check],
                           cwd=SUITE, env=env, capture_output=True, text=True, timeout=300)
        data = json.loads(res.read_text())
        outcomes = [r["outcome"] for r in data["results"]]
        return outcomes, p.stdout[-3000:]


@pytest.mark.parametrize("mangle,check", CASES)
def test_check_fails_on_mangled_runtime(mangle, check):
    try:
        outcomes, log = run_check(check, MANGLE, mangle)
    finally:
        unmount_mangle_leaks()
    assert outcomes == ["failed"], "check %s did not fail with MANGLE=%s: %s\n%s" % (check, mangle, outcomes, log)


@pytest.mark.parametrize("mangle,check", CASES)
def test_check_passes_on_real_runtime(mangle, check):
    outcomes, log = run_check(check, MANGLE, None)
    assert outcomes == ["passed"], "check %s did not pass through the unmangled wrapper: %s\n%s" % (check, outcomes, log)
