"""process.capabilities (all five sets, exactly), noNewPrivileges, the
session keyring, and the LSM fields (selinuxLabel, apparmorProfile,
mountLabel) on this host (no SELinux policy, no AppArmor)."""
import ctypes
import os
from pathlib import Path

import pytest

import helpers
from seclib import json_line, refused

SETS = {"bounding": "CapBnd", "effective": "CapEff", "permitted": "CapPrm", "inheritable": "CapInh",
        "ambient": "CapAmb"}


def _status(c):
    res = {}
    for line in c.stdout_text().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            res[k.strip()] = v.strip()
    return res


def _run_status(actr, cfg):
    cfg["process"]["args"] = ["/bin/cat", "/proc/self/status"]
    c = actr(cfg)
    c.create()
    c.start()
    assert c.exit_code() == 0, c.stderr_text()
    return _status(c)


@pytest.mark.parametrize("uid", [0, 1000])
def test_five_sets_exactly(actr, cfg, uid):
    caps = {
        "bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_SETUID", "CAP_SYS_NICE"],
        "permitted": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "inheritable": ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        "ambient": ["CAP_NET_BIND_SERVICE"],
    }
    cfg["process"]["capabilities"] = caps
    cfg["process"]["user"] = {"uid": uid, "gid": uid}
    cfg["process"]["noNewPrivileges"] = True
    st = _run_status(actr, cfg)
    got = {s: helpers.caps_from_hex(st[f]) for s, f in SETS.items()}
    want = {s: set(v) for s, v in caps.items()}
    if uid == 0:
        # the kernel's execve as root (no SECBIT_NOROOT): effective =
        # permitted (the "file" effective bit is implied); noNewPrivileges
        # keeps permitted from growing to the bounding set
        want["effective"] = set(caps["permitted"])
    else:
        # a non-root execve: P' = ambient (+ inheritable & file caps, none)
        want["permitted"] = set(caps["ambient"])
        want["effective"] = set(caps["ambient"])
    assert got == want, (got, want)
    assert st["NoNewPrivs"] == "1"
    assert st["Uid"].split()[0] == str(uid)


def test_no_new_privileges_off(actr, cfg):
    cfg["process"]["noNewPrivileges"] = False
    assert _run_status(actr, cfg)["NoNewPrivs"] == "0"


@pytest.mark.parametrize("cap_set", ["bounding", "effective", "permitted", "inheritable", "ambient"])
def test_unknown_capability_is_a_warning_naming_the_field(actr, cfg, cap_set):
    """config.md (1.3): a value that "cannot be mapped to a relevant kernel
    interface ... MUST be logged as a warning"; runc and crun go on.  The
    warning names the field; the other capabilities are applied."""
    cfg["process"]["capabilities"].setdefault(cap_set, [])
    cfg["process"]["capabilities"][cap_set].append("CAP_NOT_A_CAPABILITY")
    i = len(cfg["process"]["capabilities"][cap_set]) - 1
    cfg["process"]["args"] = ["/bin/cat", "/proc/self/status"]
    c = actr(cfg)
    c.create()
    assert "process.capabilities.%s[%d]" % (cap_set, i) in c.stderr_text(), c.stderr_text()
    assert "CAP_NOT_A_CAPABILITY" in c.stderr_text()
    c.start()
    assert c.exit_code() == 0
    st = _status(c)
    assert helpers.caps_from_hex(st["CapBnd"]) == set(cfg["process"]["capabilities"]["bounding"]) - {
        "CAP_NOT_A_CAPABILITY"}


def test_cap_unknown_to_this_kernel_is_skipped(actr, cfg):
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    if last >= len(helpers.CAP_NAMES) - 1:
        pytest.skip("this kernel knows every capability ocirun knows (cap_last_cap=%d)" % last)
    newer = helpers.CAP_NAMES[last + 1]
    cfg["process"]["capabilities"]["bounding"].append(newer)
    c = actr(cfg)
    c.create()
    assert newer in c.stderr_text()


def _keyring(actr, cfg, extra=()):
    cfg["process"]["args"] = ["/attack", "keyring"]
    c = actr(cfg)
    r = c.rt.run("run", "--bundle", c.bundle, *extra, c.id, timeout=60)
    assert r.rc == 0, r
    return c, json_line(r.out)


def _my_session_keyring():
    libc = ctypes.CDLL(None, use_errno=True)
    KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING = 0, -3
    return libc.syscall(250, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)


def test_new_session_keyring_per_container(actr, cfg):
    c, k = _keyring(actr, cfg)
    assert k["desc"].endswith(";_ses.%s" % c.id), k
    assert k["id"] != _my_session_keyring()


def test_no_new_keyring_keeps_callers(actr, cfg):
    c, k = _keyring(actr, cfg, extra=("--no-new-keyring",))
    assert k["id"] == _my_session_keyring(), k
    assert "_ses.%s" % c.id not in k["desc"]


# ---------------------------------------------------------------- LSM
def test_selinux_label_without_selinux_is_refused(actr, cfg):
    """runc: "selinux label is specified in config, but selinux is disabled
    or not supported" -- a container meant to be confined is not started
    unconfined."""
    if Path("/sys/fs/selinux/enforce").exists():
        pytest.skip("SELinux is enabled here")
    cfg["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2"
    c = actr(cfg)
    refused(c, c.create(check=False), "process.selinuxLabel", "SELinux")


def test_apparmor_profile_without_apparmor_is_refused(actr, cfg):
    """runc 1.1: ErrApparmorNotEnabled / the attr write fails."""
    if Path("/sys/kernel/security/apparmor").exists():
        pytest.skip("AppArmor is enabled here")
    cfg["process"]["apparmorProfile"] = "docker-default"
    c = actr(cfg)
    refused(c, c.create(check=False), "process.apparmorProfile", "AppArmor")


def test_exec_process_label_without_selinux_is_refused(actr, cfg):
    if Path("/sys/fs/selinux/enforce").exists():
        pytest.skip("SELinux is enabled here")
    cfg["process"]["args"] = ["/bin/sleep", "60"]
    c = actr(cfg)
    c.create()
    c.start()
    r = c.rt.run("exec", "--process-label", "system_u:system_r:container_t:s0", c.id, "--", "/bin/true")
    assert r.rc != 0 and "exec.selinuxLabel" in r.err, r
    r = c.rt.run("exec", "--apparmor", "unconfined", c.id, "--", "/bin/true")
    assert r.rc != 0 and "exec.apparmorProfile" in r.err, r


def test_mount_label_without_selinux_is_ignored(actr, cfg):
    """runc's label.FormatMountLabel does nothing without SELinux."""
    cfg["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"
    cfg["process"]["args"] = ["/bin/true"]
    c = actr(cfg)
    c.create()
    c.start()
    assert c.exit_code() == 0
