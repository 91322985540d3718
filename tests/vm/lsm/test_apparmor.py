"""process.apparmorProfile against a real AppArmor (issue 16).

Needs a kernel with AppArmor as the active LSM and securityfs mounted:
tests/vm/ci.sh runs this module in the qemu lane's AppArmor guest
(tests/vm/run.sh -l apparmor).  Elsewhere every test skips.

Each test writes its own profile and loads it with Debian's apparmor_parser
(the apparmor package of the shared root); the profile is removed again at
teardown.  What is checked: the container's process runs in the profile
(/proc/self/attr/current, and from the host /proc/PID/attr/current); a rule
the profile denies fails inside while the same container without the
profile succeeds; the profile is applied on execve (attr/exec), so the
runtime's own setup (mounts, pivot_root, /proc writes) is not confined even
by a profile that denies all of it; exec inherits the container's profile,
`exec --apparmor` and a process.json override it; an unknown profile is one
error line naming the field and leaves nothing behind.
"""
import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import helpers
from helpers import one_line_error, rtlib

AA = Path("/sys/kernel/security/apparmor")
PARSER = shutil.which("apparmor_parser") or "/usr/sbin/apparmor_parser"

pytestmark = pytest.mark.skipif(not (AA / "profiles").exists() or not os.access(PARSER, os.X_OK),
                                reason="AppArmor is not active here (run in tests/vm -l apparmor)")

# everything a busybox container needs; each test adds its deny rules
BASE_RULES = """
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
"""


@pytest.fixture
def profile(work):
    """profile(rules) -> name: load a profile allowing everything but
    `rules` (deny rules); unloaded at teardown."""
    loaded = []

    def load(rules="", name=None):
        name = name or "ocirun-test-" + helpers.new_id("p")
        path = work / (name + ".aa")
        # attach_disconnected: the container's paths are resolved from its
        # own root after pivot_root, not from the host's
        path.write_text("profile %s flags=(attach_disconnected,mediate_deleted) {\n%s%s}\n"
                        % (name, BASE_RULES, rules))
        r = subprocess.run([PARSER, "--replace", "--skip-cache", str(path)], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r
        loaded.append(path)
        return name

    yield load
    for path in loaded:
        subprocess.run([PARSER, "--remove", str(path)], capture_output=True, timeout=120)


def loaded_profiles():
    return (AA / "profiles").read_text()


def sh(cfg, script):
    """a copy of cfg running `sh -c script`"""
    cfg = copy.deepcopy(cfg)
    cfg["process"]["args"] = ["/bin/sh", "-c", script]
    return cfg


def run_out(c, timeout=120):
    """create + start + wait; stdout (checked: exit 0)"""
    c.create()
    c.start()
    code = c.exit_code(timeout)
    assert code == 0, (code, c.stdout_text(), c.stderr_text())
    return c.stdout_text()


def with_sys_admin(cfg):
    for k in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][k].append("CAP_SYS_ADMIN")
    return cfg


def test_profile_confines_and_denies_only_its_rules(ctr, cfg, profile):
    """The process runs in the profile; the path the profile denies fails,
    the rest of the rootfs and the container's own setup do not."""
    name = profile("  deny /secret/** rw,\n")
    script = ("cat /proc/self/attr/current; echo; cat /proc/self/attr/apparmor/current; echo; "
              "cat /open/file && echo open=ok; "
              "cat /secret/file; echo secret=$?; echo new > /secret/new; echo secretw=$?")
    outs = {}
    for label, prof in (("confined", name), ("plain", None)):
        c = sh(cfg, script)
        if prof:
            c["process"]["apparmorProfile"] = prof
        ct = ctr(c)
        for d in ("open", "secret"):
            (ct.rootfs / d).mkdir()
            (ct.rootfs / d / "file").write_text(d + "-content\n")
        outs[label] = run_out(ct)
    conf, plain = outs["confined"], outs["plain"]
    assert "%s (enforce)" % name in conf.splitlines()[0], conf
    assert "open-content" in conf and "open=ok" in conf, conf
    assert "secret-content" not in conf and "secret=1" in conf and "secretw=1" in conf, conf
    # without the profile: unconfined, and the same commands succeed
    assert plain.splitlines()[0].startswith("unconfined"), plain
    assert "secret-content" in plain and "secret=0" in plain and "secretw=0" in plain, plain


def test_profile_applies_on_exec_after_the_runtime_setup(ctr, cfg, profile):
    """A profile denying mount, pivot_root and every write below /proc
    would stop the runtime's own setup if it applied before the execve
    (attr/current); written to attr/exec it only confines the process:
    the container starts, and the same denials then hold inside."""
    name = profile("  deny mount,\n  deny pivot_root,\n  deny /proc/** w,\n")
    script = ("cat /proc/self/attr/current; echo; mkdir -p /m; mount -t tmpfs t /m; echo mount=$?; "
              "echo 10 > /proc/self/oom_score_adj; echo procw=$?")
    c = with_sys_admin(sh(cfg, script))
    c["process"]["apparmorProfile"] = name
    c["process"]["oomScoreAdj"] = 5  # the runtime writes /proc/self/oom_score_adj itself
    out = run_out(ctr(c))
    assert "%s (enforce)" % name in out, out
    assert "mount=0" not in out and "procw=0" not in out, out
    # the control: with CAP_SYS_ADMIN and no profile both succeed
    c2 = with_sys_admin(sh(cfg, script))
    out2 = run_out(ctr(c2))
    assert "mount=0" in out2 and "procw=0" in out2, out2


def test_exec_inherits_and_overrides_the_profile(ctr, cfg, profile, work):
    p1 = profile()
    p2 = profile("  deny /etc/** r,\n")
    cfg["process"]["args"] = ["/bin/sleep", "600"]
    cfg["process"]["apparmorProfile"] = p1
    c = ctr(cfg)
    c.create()
    c.start()
    assert Path("/proc/%d/attr/current" % c.pid).read_text().strip() == "%s (enforce)" % p1

    def ex(*args):
        r = c.rt.run("exec", *args, timeout=120)
        assert r.rc == 0, r
        return r.out.strip()

    # the container's profile, by default
    assert ex(c.id, "cat", "/proc/self/attr/current").startswith(p1 + " ")
    # --apparmor overrides it, and its rules hold
    assert ex("--apparmor", p2, c.id, "cat", "/proc/self/attr/current").startswith(p2 + " ")
    r = c.rt.run("exec", "--apparmor", p2, c.id, "cat", "/etc/passwd", timeout=120)
    assert r.rc != 0 and "ermission denied" in r.err, r
    # a process.json: its own apparmorProfile, or (none given) the
    # container's, as runc (libcontainer newInitConfig falls back to the
    # container's profile) -- never unconfined
    proc = copy.deepcopy(cfg["process"])
    proc["args"] = ["cat", "/proc/self/attr/current"]
    for given, want in ((p2, p2), (None, p1), ("", p1)):
        if given is None:
            proc.pop("apparmorProfile", None)
        else:
            proc["apparmorProfile"] = given
        pj = work / "process.json"
        pj.write_text(json.dumps(proc))
        assert ex("--process", str(pj), c.id).startswith(want + " "), (given, want)


def test_unknown_profile_is_refused_and_leaves_nothing(ctr, cfg):
    name = "ocirun-no-such-profile"
    assert name not in loaded_profiles()
    cfg["process"]["apparmorProfile"] = name
    c = ctr(sh(cfg, "echo should-not-run"))
    r = c.create(check=False)
    msg = one_line_error(r)
    assert "process.apparmorProfile" in msg and name in msg and "not loaded" in msg, msg
    assert c.left_behind() == [], c.left_behind()
    assert "should-not-run" not in c.stdout_text()


def test_exec_unknown_profile_is_refused(ctr, cfg, profile):
    cfg["process"]["args"] = ["/bin/sleep", "600"]
    cfg["process"]["apparmorProfile"] = profile()
    c = ctr(cfg)
    c.create()
    c.start()
    before = helpers.descendants()
    r = c.rt.run("exec", "--apparmor", "ocirun-no-such-profile", c.id, "echo", "should-not-run", timeout=120)
    msg = one_line_error(r)
    assert "apparmorProfile" in msg and "ocirun-no-such-profile" in msg, msg
    assert "should-not-run" not in r.out
    rtlib.reap_orphans()
    assert {p for p in helpers.descendants() - before if rtlib.pid_alive(p)} == set()
    assert helpers.status_of(c.rt, c.id) == "running"



def test_podman_default_profile(ocirun_bin, rootfs_template, profile):
    """podman (4.3, root) with ocirun: the containers-default-* profile it
    loads and sends as process.apparmorProfile confines the container and
    its exec; --security-opt apparmor= picks another."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients"))
    import podlib
    if podlib.missing_tools():
        pytest.skip(podlib.missing_tools())
    mine = profile()
    pm = podlib.make_podman(ocirun_bin, rootfs_template)
    try:
        cid = pm.start_detached("sleep", "600")
        default = pm.inspect(cid)["AppArmorProfile"]
        assert default.startswith("containers-default-"), default
        assert "\n%s (enforce)\n" % default in "\n" + loaded_profiles()
        for cmd in (("exec", cid), ("exec", "--user", "1:1", cid)):
            out = pm.ok(*cmd, "cat", "/proc/self/attr/current", timeout=300)
            assert out.strip() == "%s (enforce)" % default, (cmd, out)
        out = pm.run("--rm", "--security-opt", "apparmor=" + mine, podlib.IMAGE, "cat", "/proc/self/attr/current",
                     timeout=300)
        assert out.returncode == 0 and out.stdout.strip() == "%s (enforce)" % mine, out
    finally:
        left = pm.destroy()
    assert not left, left
