"""Rootless podman (+ conmon) with ocirun as its OCI runtime.

A test user made for the session (USER, uid picked by useradd) with
/etc/subuid and /etc/subgid ranges SUBID..SUBID+SUBSIZE-1 (ranges no other
suite uses: tests/userns maps 100000 and 200000, its rootless test user
300000), removed at the end.  podman runs AS THAT USER (setpriv --reuid
--regid --init-groups, env -i), with everything it owns in one private
directory D owned by the user: storage (vfs), runroot, tmpdir, events log,
containers.conf, storage.conf, registries.conf, network config dir, HOME
and XDG_RUNTIME_DIR (D/xdg, mode 0700).

How rootless podman 4.3 runs ocirun: podman makes a user namespace
(uid 0 -> the user's uid, 1.. -> the subuid range, written by
newuidmap/newgidmap) kept alive by a "pause process" (its pid in
D/tmp/pause.pid, the --tmpdir), and runs conmon and ocirun as uid 0 inside it,
in its mount namespace.  It passes no --root, so ocirun (as runc) keeps its
state in $XDG_RUNTIME_DIR/ocirun = D/xdg/ocirun.  On cgroup v1 a rootless
container has no cgroup (podman passes no cgroupsPath; ocirun cannot make
one and runs without).  The container's mounts live in the pause process's
mount namespace, so that is where the leak checks look for them.
"""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import podlib
from podlib import IMAGE  # noqa: F401

USER = "ocirun-podrl"
SUBID = 400000
SUBSIZE = 65536


def missing_tools():
    """Why rootless podman cannot be tested here (None if it can)."""
    why = podlib.missing_tools()
    if why:
        return why
    for tool, pkg in (("newuidmap", "uidmap"), ("newgidmap", "uidmap"), ("setpriv", "util-linux"),
                      ("useradd", "passwd")):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            return "%s is not installed (Debian: apt-get install %s)" % (tool, pkg)
    try:
        if int(Path("/proc/sys/user/max_user_namespaces").read_text()) == 0:
            return "user namespaces are disabled (user.max_user_namespaces = 0)"
    except OSError:
        return "no user namespaces in this kernel"
    return None


def _edit_subid(path, add):
    """Our user's lines in /etc/subuid or /etc/subgid: exactly one range
    (useradd may have allocated one of its own: SUB_UID_MIN, 100000, which
    the userns tests map), or none."""
    p = Path(path)
    lines = [ln for ln in p.read_text().splitlines() if not ln.startswith(USER + ":")] if p.exists() else []
    if add:
        lines.append("%s:%d:%d" % (USER, SUBID, SUBSIZE))
    p.write_text("".join(ln + "\n" for ln in lines))


def create_user(home):
    subprocess.run(["userdel", USER], capture_output=True)  # a leftover of an interrupted run
    subprocess.run(["useradd", "-M", "-d", str(home), "-s", "/bin/sh", USER], check=True, capture_output=True)
    _edit_subid("/etc/subuid", True)
    _edit_subid("/etc/subgid", True)
    return pwd.getpwnam(USER)


def remove_user(pw):
    """Kill what runs as the user (all of it ours: the user is), drop its
    subordinate ranges, delete it."""
    for _ in range(50):
        pids = user_pids(pw)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        podlib.reap()
        if subprocess.run(["userdel", USER], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    _edit_subid("/etc/subuid", False)
    _edit_subid("/etc/subgid", False)


def _proc_uid(pid):
    """(real uid, state) of a live process, or None."""
    try:
        st = Path("/proc/%s/status" % pid).read_text()
    except OSError:
        return None
    d = dict(ln.split(":", 1) for ln in st.splitlines() if ":" in ln)
    return int(d["Uid"].split()[0]), d["State"].split()[0]


def user_pids(pw, exclude=()):
    """Live (not zombie) processes running as the user or as one of its
    subordinate ids (container processes)."""
    res = []
    for e in os.listdir("/proc"):
        if not e.isdigit() or int(e) in exclude:
            continue
        u = _proc_uid(e)
        if u is None or u[1] in ("Z", "X"):
            continue
        if u[0] == pw.pw_uid or SUBID <= u[0] < SUBID + SUBSIZE:
            res.append(int(e))
    return res


def cmdline(pid):
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


class RootlessPodman(podlib.Podman):
    """podlib.Podman run as the test user; see the module docstring."""

    def __init__(self, ocirun, base, pw):
        self.pw = pw
        super().__init__(ocirun, base)
        self.home = self.base / "home"
        self.xdg = self.base / "xdg"
        self.home.mkdir(exist_ok=True)
        self.xdg.mkdir(exist_ok=True)
        os.chmod(self.xdg, 0o700)
        subprocess.run(["chown", "-R", "%d:%d" % (pw.pw_uid, pw.pw_gid), str(self.base)], check=True)
        self.state_dir = self.xdg / "ocirun"  # where ocirun keeps its state (podman passes no --root)
        self.user_env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.home),
            "USER": USER,
            "LOGNAME": USER,
            "XDG_RUNTIME_DIR": str(self.xdg),
            "CONTAINERS_CONF": str(self.base / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(self.base / "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(self.base / "registries.conf"),
        }
        if "TERM" in os.environ:
            self.user_env["TERM"] = os.environ["TERM"]

    def as_user(self, argv):
        return (["setpriv", "--reuid", str(self.pw.pw_uid), "--regid", str(self.pw.pw_gid), "--init-groups",
                 "env", "-i"] + ["%s=%s" % kv for kv in self.user_env.items()] + list(argv))

    def argv(self, *args):
        return self.as_user(super().argv(*args))

    def run_args(self, *args):
        # no --cgroup-parent: a rootless container on cgroup v1 has no cgroup
        return ["run", "--network", "none"] + list(args)

    def cgroup(self, cid):
        raise AssertionError("a rootless container on cgroup v1 has no cgroup")

    # ------------------------------------------------------------ leftovers
    def pause_pid(self):
        """The pid of podman's rootless pause process (it holds the user and
        mount namespaces between podman commands), or None."""
        for f in (self.base / "tmp" / "pause.pid", self.xdg / "libpod" / "tmp" / "pause.pid"):
            try:
                pid = int(f.read_text())
            except (OSError, ValueError):
                continue
            u = _proc_uid(pid)
            if u and u[0] == self.pw.pw_uid and u[1] not in ("Z", "X"):
                return pid
        return None

    def leftovers(self):
        out = []
        # (entries starting with a dot are not containers)
        st = sorted(p.name[:12] for p in self.state_dir.iterdir()
                    if not p.name.startswith(".")) if self.state_dir.is_dir() else []
        if st:
            out.append("ocirun state dirs left in %s: %s" % (self.state_dir, st))
        cg = self.container_cgroups()
        if cg:
            out.append("container cgroups left: %s" % cg)
        pause = self.pause_pid()
        pr = ["%d(%s)" % (p, cmdline(p)[:100]) for p in user_pids(self.pw, exclude=(pause,))]
        if pr:
            out.append("processes left: %s" % pr)
        mn = []
        for pid in ("self", pause):
            if pid is None:
                continue
            try:
                mi = Path("/proc/%s/mountinfo" % pid).read_text().splitlines()
            except OSError:
                continue
            mn += [ln for ln in mi if str(self.base) in ln]
        if mn:
            out.append("mounts left: %s" % mn)
        return out

    def container_cgroups(self):
        """Any cgroup named after a container of ours (there should be none:
        the user cannot make one on this host)."""
        res = []
        for h in podlib.cgroup_hierarchies():
            for cid in self.made:
                for d in (h / "ocirun" / cid, h / ("libpod-" + cid)):
                    if d.is_dir():
                        res.append(str(d))
        return res

    def processes(self):
        return [str(p) for p in user_pids(self.pw, exclude=(self.pause_pid(),))]

    def force_cleanup(self):
        for cid in self.made:
            subprocess.run(self.as_user(["env", "XDG_RUNTIME_DIR=%s" % self.xdg, self.ocirun,
                                         "delete", "--force", cid]), capture_output=True)
        for p in user_pids(self.pw, exclude=(self.pause_pid(),)):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        podlib.reap()

    def destroy(self):
        left = self.clean()
        if left:
            self.force_cleanup()
        pause = self.pause_pid()
        if pause:
            os.kill(pause, signal.SIGKILL)
        podlib.reap()
        shutil.rmtree(self.base, ignore_errors=True)
        return left


def make_rootless_podman(ocirun, rootfs):
    base = Path(tempfile.mkdtemp(prefix="ocirun-podrl-"))
    os.chmod(base, 0o755)
    pw = create_user(base / "home")
    try:
        pm = RootlessPodman(ocirun, base, pw)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        p = subprocess.run(pm.argv("import", "-", IMAGE), stdin=tar.stdout, capture_output=True, text=True,
                           timeout=120)
        tar.stdout.close()
        tar.wait()
        if p.returncode != 0:
            raise AssertionError("podman import (as %s) failed: %s" % (USER, p.stderr))
    except BaseException:
        remove_user(pw)
        shutil.rmtree(base, ignore_errors=True)
        raise
    return pm
