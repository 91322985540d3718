"""Cgroup mounts that another mount covers (issue 13: the fair benchmark runs
every runtime in a private mount namespace with an empty tmpfs over the
hybrid host's /sys/fs/cgroup/unified).

/proc/self/mountinfo still lists the covered cgroup2 mount; ocirun must go by
what is visible at the path (the last mount stacked there), as crun and runc
do, instead of writing into a cgroup2 directory that no longer exists."""
import subprocess

import pytest

from cglib import LAYOUT, cfg_with, pids_in
from helpers import status_of, wait_for

MiB = 1024 * 1024

pytestmark = pytest.mark.skipif(
    LAYOUT.is_v2 or LAYOUT.unified is None,
    reason="needs a hybrid host (v1 controllers + a cgroup2 mount at /sys/fs/cgroup/unified); "
           "this one is %s" % LAYOUT.kind)


def in_private_ns(c, *args):
    """ocirun ARGS in a private mount namespace where a tmpfs hides the
    cgroup2 mount; the host's mounts are untouched.  The container's stdio
    goes to files (it outlives this command)."""
    script = ("mount --make-rprivate / && mount -t tmpfs ocirun-test-cover /sys/fs/cgroup/unified"
              ' && exec "$@"')
    with open(c.stdout_path, "w") as out, open(c.stderr_path, "w") as err:
        rc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh"] + c.rt.argv(*args),
                            stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=60).returncode
    return rc, c.stderr_path.read_text()


def test_create_with_the_unified_mount_covered(cctr):
    c = cctr(cfg_with(["/probe", "pause"], {"memory": {"limit": 64 * MiB}, "pids": {"limit": 50}}))
    rc, err = in_private_ns(c, "create", "--bundle", str(c.bundle), c.id)
    assert rc == 0, err
    # the container lives in its v1 cgroups with its limits, and nothing
    # was made in the (covered, on the host visible) cgroup2 hierarchy
    pid = int(c.rt.state_json(c.id)["pid"])
    assert pid in pids_in(c.cgdir("memory"))
    assert c.read("memory", "memory.limit_in_bytes") == str(64 * MiB)
    assert c.read("pids", "pids.max") == "50"
    assert not (LAYOUT.unified / c.cgroups_path.lstrip("/")).exists()
    assert c.rt.run("start", c.id).rc == 0
    wait_for(lambda: status_of(c.rt, c.id) == "running")
