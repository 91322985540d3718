"""`ocirun features` and the LSMs (issue 16), on any host.

features-linux.md: linux.apparmor.enabled / linux.selinux.enabled are "the
runtime's implementation status ... irrelevant to the availability of
AppArmor [SELinux] on the host" -- runc 1.1 says true for both on a host
with neither.  ocirun applies both without a library (lsm.c), so both are
true everywhere; whether this host would accept a profile or a label is in
the annotations io.github.ocirun.{apparmor,selinux}.host, checked here
against the kernel's own files.  Runs on the build host (neither) and in
the lane's AppArmor and SELinux guests.
"""
import json
import os
from pathlib import Path

SELINUX_MAGIC = 0xF97CFF8C


def apparmor_active():
    try:
        return (Path("/sys/kernel/security/apparmor").is_dir()
                and Path("/sys/module/apparmor/parameters/enabled").read_text().strip() == "Y")
    except OSError:
        return False


def selinux_active():
    # selinuxfs mounted (what libselinux's is_selinux_enabled looks for)
    for ln in Path("/proc/self/mountinfo").read_text().splitlines():
        if ln.split(" - ")[1].split()[0] == "selinuxfs":
            return True
    return False


def test_features_lsm(rt):
    r = rt.features()
    assert r.rc == 0, r
    f = json.loads(r.out)
    assert f["linux"]["apparmor"] == {"enabled": True}
    assert f["linux"]["selinux"] == {"enabled": True}
    a = f["annotations"]
    assert a["io.github.ocirun.apparmor.host"] == ("enabled" if apparmor_active() else "disabled")
    assert a["io.github.ocirun.selinux.host"] == ("enabled" if selinux_active() else "disabled")
    if os.environ.get("OCIRUN_VM_LSM"):
        # the lane's LSM guests say which one they booted with
        want = os.environ["OCIRUN_VM_LSM"]
        assert a["io.github.ocirun.%s.host" % want] == "enabled"
        other = "selinux" if want == "apparmor" else "apparmor"
        assert a["io.github.ocirun.%s.host" % other] == "disabled"
