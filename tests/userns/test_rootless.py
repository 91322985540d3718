"""Rootless: ocirun run by an unprivileged user (a test user made here,
with /etc/subuid and /etc/subgid entries, removed at the end): `spec
--rootless`, the lifecycle, state under $XDG_RUNTIME_DIR/ocirun, cgroups
skipped, device nodes bound, /sys bound, newuidmap for more than the
user's own id, and the errors naming what is missing."""
import json
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import bundle as bundlelib
import runtime as rtlib
from nslib import OCIRUN

USER = "ocirun-rltest"
SUBID = 300000
SUBSIZE = 65536


def _edit_subid(path, add):
    lines = [l for l in Path(path).read_text().splitlines() if not l.startswith(USER + ":")] \
        if Path(path).exists() else []
    if add:
        lines.append("%s:%d:%d" % (USER, SUBID, SUBSIZE))
    Path(path).write_text("".join(l + "\n" for l in lines))


@pytest.fixture(scope="module")
def user():
    if shutil.which("runuser") is None:
        pytest.skip("runuser is not installed")
    subprocess.run(["useradd", "-M", "-s", "/bin/sh", USER], check=True)
    try:
        _edit_subid("/etc/subuid", True)
        _edit_subid("/etc/subgid", True)
        pw = pwd.getpwnam(USER)
        yield pw
    finally:
        _edit_subid("/etc/subuid", False)
        _edit_subid("/etc/subgid", False)
        # only processes of the test user that we started are left to end:
        # the containers' (killed by their own tests); userdel refuses
        # while any runs
        for _ in range(50):
            if subprocess.run(["userdel", USER], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)


class RL:
    """Run ocirun as the test user."""

    def __init__(self, pw, home, env=None):
        self.pw = pw
        self.home = home
        self.xdg = home / "xdg"
        self.xdg.mkdir(exist_ok=True)
        os.chown(self.xdg, pw.pw_uid, pw.pw_gid)
        os.chmod(self.xdg, 0o700)
        self.env = {"XDG_RUNTIME_DIR": str(self.xdg), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        if env:
            self.env.update(env)

    def argv(self, *args, env=None):
        e = dict(self.env)
        e.update(env or {})
        envv = ["env", "-i"] + ["%s=%s" % kv for kv in e.items() if kv[1] is not None]
        return ["runuser", "-u", USER, "--"] + envv + [OCIRUN] + [str(a) for a in args]

    def run(self, *args, env=None, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=None, timeout=60):
        p = subprocess.run(self.argv(*args, env=env), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                           cwd=cwd, timeout=timeout)
        out = p.stdout.decode(errors="replace") if isinstance(p.stdout, bytes) else ""
        err = p.stderr.decode(errors="replace") if isinstance(p.stderr, bytes) else ""
        return rtlib.Result(self.argv(*args), p.returncode, out, err)

    def create(self, b, cid, *extra, env=None):
        """create: the init keeps our stdio, so files, not pipes"""
        with open(b / "out", "ab") as o, open(b / "err", "wb") as e:
            r = self.run("create", "--bundle", b, *(list(extra) + [cid]), env=env, stdout=o, stderr=e)
        r.err = (b / "err").read_text()
        return r

    def bundle(self, name, rootfs_template):
        b = self.home / name
        b.mkdir()
        subprocess.run(["cp", "-a", str(rootfs_template), str(b / "rootfs")], check=True)
        subprocess.run(["chown", "-R", "-h", "%d:%d" % (self.pw.pw_uid, self.pw.pw_gid), str(b)], check=True)
        r = self.run("spec", "--rootless", "--bundle", b)
        assert r.rc == 0, r
        return b


def edit(b, fn):
    cfg = bundlelib.read_config(b)
    fn(cfg)
    bundlelib.write_config(b, cfg)


@pytest.fixture
def rl(user, work, rootfs_template):
    os.chown(work, user.pw_uid, user.pw_gid)
    r = RL(user, work)
    made = []
    r.made = made
    yield r
    for cid in made:
        r.run("delete", "--force", cid)
    rtlib.reap_orphans()


def test_spec_rootless(rl, rootfs_template):
    b = rl.bundle("b", rootfs_template)
    cfg = bundlelib.read_config(b)
    assert {"type": "user"} in cfg["linux"]["namespaces"]
    assert cfg["linux"]["uidMappings"] == [{"containerID": 0, "hostID": rl.pw.pw_uid, "size": 1}]
    assert cfg["linux"]["gidMappings"] == [{"containerID": 0, "hostID": rl.pw.pw_gid, "size": 1}]


def probe_line(text):
    for line in text.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(text)


def test_rootless_lifecycle(rl, rootfs_template):
    b = rl.bundle("b", rootfs_template)

    def cfgfn(cfg):
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["/probe", "ids", "devices", "mounts", "cat", "/proc/self/uid_map", "pause"]
    edit(b, cfgfn)
    cid = rtlib.new_id("rl")
    rl.made.append(cid)
    out = b / "out"
    r = rl.create(b, cid, "--pid-file", b / "pid")
    assert r.rc == 0, r
    # cgroups skipped with a note
    assert "rootless" in r.err and "cgroup" in r.err, r.err
    # state under $XDG_RUNTIME_DIR/ocirun
    assert (rl.xdg / "ocirun" / cid).is_dir()
    st = json.loads(rl.run("state", cid).out)
    assert st["status"] == "created"
    pid = int((b / "pid").read_text())
    assert st["pid"] == pid
    assert rl.run("start", cid).rc == 0
    for _ in range(200):
        if out.read_text().strip():
            break
        time.sleep(0.02)
    seen = probe_line(out.read_text())
    assert seen["uid"] == [0, 0, 0]
    assert seen["cat"]["/proc/self/uid_map"].split() == ["0", str(rl.pw.pw_uid), "1"]
    # the init runs as the user on the host
    status = Path("/proc/%d/status" % pid).read_text()
    assert [l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1] == str(rl.pw.pw_uid)
    # device nodes are the host's, bound
    mounts = {m["mountpoint"]: m for m in seen["mounts"]}
    assert mounts["/dev/null"]["fstype"] in ("devtmpfs", "tmpfs") and mounts["/dev/null"]["root"] == "/null"
    assert mounts["/sys"]["fstype"] == "sysfs"
    assert json.loads(rl.run("state", cid).out)["status"] == "running"

    r = rl.run("exec", cid, "--", "/probe", "ids", "ns", "cat", "/proc/self/uid_map")
    assert r.rc == 0, r
    e = probe_line(r.out)
    assert e["uid"] == [0, 0, 0]
    assert e["cat"]["/proc/self/uid_map"].split() == ["0", str(rl.pw.pw_uid), "1"]
    assert e["ns"]["pid"] == os.readlink("/proc/%d/ns/pid" % pid)
    assert e["ns"]["user"] == os.readlink("/proc/%d/ns/user" % pid)

    assert rl.run("kill", cid, "KILL").rc == 0
    for _ in range(250):
        rtlib.reap_orphans()
        if json.loads(rl.run("state", cid).out)["status"] == "stopped":
            break
        time.sleep(0.02)
    assert json.loads(rl.run("state", cid).out)["status"] == "stopped"
    r = rl.run("delete", cid)
    assert r.rc == 0, r
    assert not (rl.xdg / "ocirun" / cid).exists()


def test_rootless_run_subuid_ranges(rl, rootfs_template):
    """More than the user's own id: written by newuidmap/newgidmap."""
    b = rl.bundle("b", rootfs_template)
    uid, gid = rl.pw.pw_uid, rl.pw.pw_gid

    def cfgfn(cfg):
        cfg["process"]["terminal"] = False
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
        cfg["root"]["readonly"] = False
        cfg["process"]["args"] = ["/bin/sh", "-c", "touch /tmp/by-1000 && exec /probe ids cat /proc/self/uid_map "
                                  "cat /proc/self/gid_map"]
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1},
                                       {"containerID": 1, "hostID": SUBID, "size": SUBSIZE}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1},
                                       {"containerID": 1, "hostID": SUBID, "size": SUBSIZE}]
    edit(b, cfgfn)
    os.chmod(b / "rootfs" / "tmp", 0o1777)
    cid = rtlib.new_id("rl")
    rl.made.append(cid)
    r = rl.run("run", "--bundle", b, cid)
    assert r.rc == 0, r
    seen = probe_line(r.out)
    assert seen["uid"] == [1000, 1000, 1000]
    assert [l.split() for l in seen["cat"]["/proc/self/uid_map"].strip().splitlines()] == \
        [["0", str(uid), "1"], ["1", str(SUBID), str(SUBSIZE)]]
    st = (b / "rootfs" / "tmp" / "by-1000").stat()
    assert (st.st_uid, st.st_gid) == (SUBID + 999, SUBID + 999)
    assert not (rl.xdg / "ocirun" / cid).exists()


def _bad(rl, rootfs_template, fn, env=None):
    b = rl.bundle("b", rootfs_template)

    def cfgfn(cfg):
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["/probe"]
        fn(cfg)
    edit(b, cfgfn)
    cid = rtlib.new_id("rl")
    rl.made.append(cid)
    r = rl.create(b, cid, env=env)
    assert r.rc != 0, r
    assert not (rl.xdg / "ocirun" / cid).exists()
    return r.err.strip()


def test_rootless_newuidmap_missing(rl, rootfs_template):
    def fn(cfg):
        cfg["linux"]["uidMappings"].append({"containerID": 1, "hostID": SUBID, "size": 10})
    msg = _bad(rl, rootfs_template, fn, env={"PATH": "/nonexistent"})
    assert msg.splitlines() == [msg] and "linux.uidMappings" in msg and "newuidmap" in msg and "uidmap" in msg, msg


def test_rootless_range_not_allowed(rl, rootfs_template):
    def fn(cfg):
        cfg["linux"]["gidMappings"].append({"containerID": 1, "hostID": SUBID + SUBSIZE, "size": 10})
    msg = _bad(rl, rootfs_template, fn)
    assert msg.splitlines() == [msg] and "linux.gidMappings[1]" in msg and "/etc/subgid" in msg, msg


def test_rootless_no_subuid_entry(rl, rootfs_template):
    _edit_subid("/etc/subuid", False)
    try:
        def fn(cfg):
            cfg["linux"]["uidMappings"].append({"containerID": 1, "hostID": SUBID, "size": 10})
        msg = _bad(rl, rootfs_template, fn)
    finally:
        _edit_subid("/etc/subuid", True)
    assert msg.splitlines() == [msg] and "linux.uidMappings" in msg and "no entry" in msg and USER in msg, msg


def test_rootless_someone_elses_id(rl, rootfs_template):
    """A single mapping of another user's id is not ours to write."""
    def fn(cfg):
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    msg = _bad(rl, rootfs_template, fn)
    assert msg.splitlines() == [msg] and "linux.uidMappings[0]" in msg and "not allowed" in msg, msg


def test_rootless_without_xdg_runtime_dir(rl, rootfs_template):
    b = rl.bundle("b", rootfs_template)
    r = rl.create(b, "x1", env={"XDG_RUNTIME_DIR": None})
    assert r.rc != 0
    assert "XDG_RUNTIME_DIR" in r.err and "--root" in r.err and len(r.err.strip().splitlines()) == 1, r


def test_rootless_exec_unmapped_user(rl, rootfs_template):
    b = rl.bundle("b", rootfs_template)

    def cfgfn(cfg):
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["/probe", "pause"]
    edit(b, cfgfn)
    cid = rtlib.new_id("rl")
    rl.made.append(cid)
    r = rl.create(b, cid)
    assert r.rc == 0, r
    assert rl.run("start", cid).rc == 0
    r = rl.run("exec", "--user", "1000", cid, "--", "/probe", "ids")
    assert r.rc != 0 and "exec --user" in r.err and "not mapped" in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert rl.run("delete", "--force", cid).rc == 0
    assert not (rl.xdg / "ocirun" / cid).exists()



def _as_root_of_a_user_namespace(rl, script):
    """Run `sh -c script` as the test user's uid 0 in a user namespace of its
    own (unshare --map-root-user), with the user's XDG_RUNTIME_DIR and USER:
    how rootless podman runs the runtime (as uid 0 of its namespace, no
    --root).  {o} in script is ocirun."""
    argv = ["runuser", "-u", USER, "--", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "XDG_RUNTIME_DIR=%s" % rl.xdg, "USER=%s" % USER,
            "unshare", "--user", "--map-root-user", "sh", "-c", script.replace("{o}", OCIRUN)]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p


def _nested_bundle(rl, rootfs_template, name, args):
    b = rl.bundle(name, rootfs_template)

    def cfgfn(cfg):
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = args
        # uid 0 of the namespace is the user outside
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    edit(b, cfgfn)
    return b


def test_rootless_as_root_of_a_user_namespace_state_dir(rl, rootfs_template):
    """As root of a user namespace (not the initial one) with
    XDG_RUNTIME_DIR set and USER not root, the state goes to
    $XDG_RUNTIME_DIR/ocirun, as runc's shouldHonorXDGRuntimeDir: podman
    expected it there; ocirun used /run/ocirun, which is not the user's
    (mkdir: Permission denied), and every rootless podman run failed."""
    b = _nested_bundle(rl, rootfs_template, "b", ["/bin/sh", "-c", "id -u; cat /proc/self/uid_map"])
    cid = rtlib.new_id("rlns")
    _as_root_of_a_user_namespace(rl, (
        '{o} run --bundle {b} {cid}-run >{b}/run.out 2>{b}/run.err; echo $? >{b}/run.rc; '
        '{o} create --bundle {b} {cid} >{b}/create.out 2>{b}/create.err; echo $? >{b}/create.rc; '
        'ls "$XDG_RUNTIME_DIR/ocirun" >{b}/state.ls; {o} delete --force {cid}; '
        'ls "$XDG_RUNTIME_DIR/ocirun" >{b}/after.ls'
    ).replace("{b}", str(b)).replace("{cid}", cid))
    assert (b / "run.rc").read_text().strip() == "0", (b / "run.err").read_text()
    assert (b / "run.out").read_text().split() == ["0", "0", "0", "1"]
    assert (b / "create.rc").read_text().strip() == "0", (b / "create.err").read_text()
    assert (b / "state.ls").read_text().split() == [cid]
    assert not (Path("/run/ocirun") / cid).exists()
    assert (b / "after.ls").read_text().split() == []


def test_rootless_as_root_of_a_user_namespace_stderr(rl, rootfs_template):
    """There, the cgroup it cannot make is skipped without a word on stderr
    (as runc and crun) and a failing create says only its error: podman
    takes the runtime's stderr for the error message, its first line with
    "Permission denied" first; ocirun's note "rootless: cannot create the
    cgroup (...: Permission denied)" made `podman run IMG /no/such/binary`
    report that note and exit 126 instead of the real error and 127."""
    b = _nested_bundle(rl, rootfs_template, "b", ["/bin/true"])
    bad = _nested_bundle(rl, rootfs_template, "bad", ["/no/such/binary"])
    cid = rtlib.new_id("rlns")
    _as_root_of_a_user_namespace(rl, (
        '{o} run --bundle {b} {cid}-run >{b}/run.out 2>{b}/run.err; echo $? >{b}/run.rc; '
        '{o} create --bundle {b} {cid} >{b}/create.out 2>{b}/create.err; {o} delete --force {cid}; '
        '{o} run --bundle {bad} {cid}-bad >/dev/null 2>{b}/bad.err; echo $? >{b}/bad.rc; '
        '{o} --debug run --bundle {b} {cid}-debug >/dev/null 2>{b}/debug.err'
    ).replace("{bad}", str(bad)).replace("{b}", str(b)).replace("{cid}", cid))
    assert (b / "run.rc").read_text().strip() == "0", (b / "run.err").read_text()
    assert (b / "run.err").read_text() == ""
    assert (b / "create.err").read_text() == ""
    assert (b / "bad.rc").read_text().strip() != "0"
    assert (b / "bad.err").read_text() == "ocirun: process.args[0]: `/no/such/binary`: no such file or directory\n"
    # still there for --debug
    assert "rootless: cannot create the cgroup" in (b / "debug.err").read_text()
    assert not list((rl.xdg / "ocirun").glob(cid + "*"))
