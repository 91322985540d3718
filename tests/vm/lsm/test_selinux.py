"""process.selinuxLabel and linux.mountLabel against a real SELinux policy
(issue 16).

Needs SELinux as the active LSM with a policy loaded: tests/vm/ci.sh runs
this module in the qemu lane's SELinux guest (tests/vm/run.sh -l selinux:
Debian's selinux-policy-default, permissive -- the shared root carries no
labels, see tests/vm/README.md).  Elsewhere every test skips.

Permissive mode still does everything this checks: the kernel validates
contexts against the policy, transitions the process to the label written
to attr/exec, and labels a mount's superblock with its context= option.

What is checked: the container's process runs with process.selinuxLabel
(inside and from the host); tmpfs, devpts and mqueue mounts carry
linux.mountLabel, proc and sysfs keep their own labels, and the rootfs
(a bind mount: the caller labels its files, as for runc) keeps its label;
exec runs with the container's label, `exec --process-label` and a
process.json override it; a label or mount label the policy does not know
is one error line naming the field and leaves nothing behind.
"""
import copy
import json
import os
from pathlib import Path

import pytest

import helpers
from helpers import one_line_error

ENFORCE = Path("/sys/fs/selinux/enforce")
pytestmark = pytest.mark.skipif(not ENFORCE.exists(), reason="SELinux is not active here (run in tests/vm -l selinux)")

# Debian 12's selinux-policy-default has no container module (container_t,
# container_file_t are unknown to it, though contexts/lxc_contexts names
# them): its confined guest domain is the virt module's, as in
# contexts/virtual_domain_context and virtual_image_context
LABEL = "system_u:system_r:svirt_t:s0:c1,c2"
LABEL2 = "system_u:system_r:svirt_t:s0:c3,c4"
MOUNT_LABEL = "system_u:object_r:svirt_image_t:s0:c1,c2"


def ctx_of(path):
    return os.getxattr(str(path), "security.selinux").rstrip(b"\0").decode()


def attr(pid):
    return Path("/proc/%d/attr/current" % pid).read_text().rstrip("\0\n")


def sleeper(ctr, cfg, **process):
    cfg = copy.deepcopy(cfg)
    cfg["process"]["args"] = ["/bin/sleep", "600"]
    cfg["process"].update(process)
    c = ctr(cfg)
    c.create()
    c.start()
    return c


def test_process_and_mount_labels(ctr, cfg):
    cfg["linux"]["mountLabel"] = MOUNT_LABEL
    c = sleeper(ctr, cfg, selinuxLabel=LABEL)
    root = Path("/proc/%d/root" % c.pid)
    assert attr(c.pid) == LABEL
    r = c.rt.run("exec", c.id, "cat", "/proc/self/attr/current", "/proc/self/mountinfo", timeout=120)
    assert r.rc == 0, r
    assert r.out.startswith(LABEL), r.out
    opts = {ln.split()[4]: ln for ln in r.out.splitlines()[1:] if len(ln.split()) > 4}
    # config.json's tmpfs /dev and /dev/shm, devpts, mqueue: the label
    for d in ("/dev", "/dev/shm", "/dev/pts", "/dev/mqueue"):
        assert ctx_of(root / d.lstrip("/")) == MOUNT_LABEL, (d, opts.get(d))
    for d in ("/dev", "/dev/shm", "/dev/pts"):
        assert 'context="%s"' % MOUNT_LABEL in opts[d] or "context=%s" % MOUNT_LABEL in opts[d], opts[d]
    # proc and sysfs are labelled by the policy, never with a context=
    for d in ("/proc", "/sys"):
        assert "context=" not in opts[d], opts[d]
        assert ctx_of(root / d.lstrip("/")) != MOUNT_LABEL
    # the rootfs is the caller's (a bind mount keeps the source's labels)
    assert ctx_of(root) == ctx_of(c.rootfs)


def test_exec_uses_the_label_and_its_overrides(ctr, cfg, work):
    c = sleeper(ctr, cfg, selinuxLabel=LABEL)

    def ex(*args):
        r = c.rt.run("exec", *args, timeout=120)
        assert r.rc == 0, r
        return r.out.rstrip("\0\n")

    assert ex(c.id, "cat", "/proc/self/attr/current") == LABEL
    assert ex("--process-label", LABEL2, c.id, "cat", "/proc/self/attr/current") == LABEL2
    # process.json: its own selinuxLabel, else the container's (as runc)
    proc = copy.deepcopy(cfg["process"])
    proc["args"] = ["cat", "/proc/self/attr/current"]
    for given, want in ((LABEL2, LABEL2), (None, LABEL)):
        proc.pop("selinuxLabel", None)
        if given:
            proc["selinuxLabel"] = given
        pj = work / "process.json"
        pj.write_text(json.dumps(proc))
        assert ex("--process", str(pj), c.id) == want, given


@pytest.mark.parametrize("field,value", [
    ("process.selinuxLabel", "system_u:system_r:ocirun_no_such_t:s0"),
    ("process.selinuxLabel", "not a context"),
    ("linux.mountLabel", "system_u:object_r:ocirun_no_such_t:s0"),
])
def test_bad_label_is_refused_and_leaves_nothing(ctr, cfg, field, value):
    cfg = copy.deepcopy(cfg)
    cfg["process"]["args"] = ["/bin/echo", "should-not-run"]
    if field == "process.selinuxLabel":
        cfg["process"]["selinuxLabel"] = value
    else:
        cfg["linux"]["mountLabel"] = value
    c = ctr(cfg)
    msg = one_line_error(c.create(check=False))
    assert field in msg and value in msg, msg
    assert c.left_behind() == [], c.left_behind()
    assert "should-not-run" not in c.stdout_text()


def test_exec_bad_label_is_refused(ctr, cfg):
    c = sleeper(ctr, cfg, selinuxLabel=LABEL)
    before = helpers.descendants()
    r = c.rt.run("exec", "--process-label", "system_u:system_r:ocirun_no_such_t:s0", c.id, "echo", "x", timeout=120)
    msg = one_line_error(r)
    assert "selinuxLabel" in msg and "ocirun_no_such_t" in msg, msg
    assert helpers.status_of(c.rt, c.id) == "running"
    assert {p for p in helpers.descendants() - before if helpers.rtlib.pid_alive(p)} == set()

