"""Drive any OCI runtime through runc's command line (as containerd does).

    from runtime import Runtime, Container
    rt = Runtime("/usr/sbin/runc", root="/tmp/x/state")
    with Container(rt, bundle_dir, config) as c:
        c.create(); c.start(); status = c.wait(); out = c.probe_output()

The driver makes the calling process a child subreaper, so a container's init
process (whose parent, the runtime, exits after `create`) becomes our child:
`Container.wait()` gets its real exit status, as a containerd shim would.
"""

import ctypes
import select
import socket
import errno
import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import bundle as bundlelib

CGROUP_PREFIX = "/ocirun-conformance"
CGROUP_ROOT = Path("/sys/fs/cgroup")

_reaped = {}  # pid -> wait status, for processes reaped by reap_orphans()


def set_subreaper():
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap_orphans():
    """Reap exited orphans re-parented to us; remember their status."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reaped[pid] = status


def forget_reaped(pid):
    """A pid just given to a new container: a status remembered for it
    belongs to an earlier process (a long run forks far more than pid_max,
    32768 here, so pids come round again); without this, wait() of the new
    container returned that process's status (e.g. -9 of a killed one)."""
    _reaped.pop(pid, None)


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    @property
    def ok(self):
        return self.rc == 0

    def __repr__(self):
        return "<%s rc=%s out=%r err=%r>" % (" ".join(self.argv), self.rc,
                                             self.out[-2000:], self.err[-2000:])


class RuntimeError_(Exception):
    def __init__(self, res):
        super().__init__(repr(res))
        self.result = res


class Runtime:
    """One runtime binary plus a private state dir (--root)."""

    def __init__(self, path, root, global_args=(), prefix=()):
        self.path = str(path)
        self.root = str(root)
        self.global_args = list(global_args)
        self.prefix = list(prefix)  # e.g. ["nsenter", "--net=..."]
        self.private_mntns = False
        Path(self.root).mkdir(parents=True, exist_ok=True)

    def argv(self, *args):
        return self.prefix + [self.path, "--root", self.root] + self.global_args + [str(a) for a in args]

    def run(self, *args, timeout=60, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, input=None, env=None):
        argv = self.argv(*args)
        kw = {}
        if input is not None:
            kw["input"] = input.encode() if isinstance(input, str) else input
        else:
            kw["stdin"] = stdin
        p = subprocess.run(argv, stdout=stdout, stderr=stderr, timeout=timeout, env=env, **kw)
        out = p.stdout.decode(errors="replace") if isinstance(p.stdout, bytes) else ""
        err = p.stderr.decode(errors="replace") if isinstance(p.stderr, bytes) else ""
        return Result(argv, p.returncode, out, err)

    # --- the verbs -------------------------------------------------------
    def create(self, cid, bundle, pid_file=None, console_socket=None, **kw):
        args = ["create", "--bundle", str(bundle)]
        if pid_file:
            args += ["--pid-file", str(pid_file)]
        if console_socket:
            args += ["--console-socket", str(console_socket)]
        return self.run(*(args + [cid]), **kw)

    def start(self, cid, **kw):
        return self.run("start", cid, **kw)

    def state(self, cid, **kw):
        return self.run("state", cid, **kw)

    def state_json(self, cid):
        r = self.state(cid)
        if r.rc != 0:
            raise RuntimeError_(r)
        return json.loads(r.out)

    def kill(self, cid, sig="TERM", **kw):
        return self.run("kill", cid, str(sig), **kw)

    def delete(self, cid, force=False, **kw):
        return self.run(*(["delete"] + (["--force"] if force else []) + [cid]), **kw)

    def features(self, timeout=30):
        """`features` is run without --root, as containerd does (it has no
        state; crun 1.8.1 rejects `--root DIR features`)."""
        argv = self.prefix + [self.path] + self.global_args + ["features"]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        return Result(argv, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def new_id(prefix="oc"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


class Container:
    """A container made from a fresh bundle; a context manager that always
    force-deletes it and removes its cgroups on exit.

    The container's stdout/stderr go to files in the bundle directory
    (outside the rootfs); probe_output() parses the probe's JSON lines.
    """

    def __init__(self, runtime, workdir, config=None, cid=None, cgroups=True,
                 rootfs_template=None):
        self.rt = runtime
        self.id = cid or new_id()
        self.bundle = Path(workdir) / self.id
        self.config = bundlelib.deepcopy(config if config is not None else bundlelib.default_config())
        self.cgroups_path = None
        if cgroups and "linux" in self.config:
            self.cgroups_path = self.config["linux"].get("cgroupsPath") or "%s/%s" % (CGROUP_PREFIX, self.id)
            self.config["linux"]["cgroupsPath"] = self.cgroups_path
        bundlelib.make_bundle(self.bundle, self.config, rootfs_template=rootfs_template)
        self.stdout_path = self.bundle / "stdout"
        self.stderr_path = self.bundle / "stderr"
        self.pid_file = self.bundle / "pid"
        self.pid = None
        self.exit_status = None  # raw wait status once reaped

    # --- context manager -------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()
        return False

    @property
    def rootfs(self):
        return self.bundle / "rootfs"

    def write_config(self, cfg=None):
        if cfg is not None:
            self.config = cfg
        bundlelib.write_config(self.bundle, self.config)

    # --- lifecycle -------------------------------------------------------
    def create(self, check=True, console_socket=None, timeout=60):
        with open(self.stdout_path, "ab") as o, open(self.stderr_path, "ab") as e:
            pos = e.tell()
            r = self.rt.create(self.id, self.bundle, pid_file=self.pid_file,
                               console_socket=console_socket, stdout=o, stderr=e,
                               timeout=timeout)
        with open(self.stderr_path, "rb") as e:
            e.seek(pos)
            r.err = e.read().decode(errors="replace")
        if r.ok:
            try:
                self.pid = int(Path(self.pid_file).read_text().strip())
                forget_reaped(self.pid)
            except (FileNotFoundError, ValueError):
                self.pid = None
        if check and not r.ok:
            raise RuntimeError_(r)
        return r

    def start(self, check=True):
        r = self.rt.start(self.id)
        if check and not r.ok:
            raise RuntimeError_(r)
        return r

    def state(self):
        return self.rt.state_json(self.id)

    def kill(self, sig="TERM", check=True):
        r = self.rt.kill(self.id, sig)
        if check and not r.ok:
            raise RuntimeError_(r)
        return r

    def delete(self, force=False, check=True):
        r = self.rt.delete(self.id, force=force)
        if check and not r.ok:
            raise RuntimeError_(r)
        return r

    def wait(self, timeout=20):
        """Wait for the container process to exit; return its wait status
        (os.waitstatus_to_exitcode-able) or None if it could not be reaped
        (then it is only known to be gone)."""
        if self.exit_status is not None:
            return self.exit_status
        if self.pid is None:
            raise AssertionError("container has no pid")
        deadline = time.monotonic() + timeout
        while True:
            if self.pid in _reaped:
                self.exit_status = _reaped.pop(self.pid)
                return self.exit_status
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid == self.pid:
                    self.exit_status = status
                    return status
            except ChildProcessError:
                # not our child (the runtime keeps a monitor process): poll
                if not pid_alive(self.pid):
                    return None
            if time.monotonic() > deadline:
                raise TimeoutError("container %s (pid %s) still running after %ss"
                                   % (self.id, self.pid, timeout))
            time.sleep(0.02)

    def exit_code(self, timeout=20):
        st = self.wait(timeout)
        return None if st is None else os.waitstatus_to_exitcode(st)

    def wait_output(self, n=1, timeout=20):
        """Wait until the container printed n probe JSON lines; return them."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.probe_outputs()
            if len(out) >= n:
                return out
            if time.monotonic() > deadline:
                raise TimeoutError("no probe output from %s: stdout=%r stderr=%r" % (
                    self.id, self.stdout_text(), self.stderr_text()))
            time.sleep(0.02)

    def run(self, timeout=30):
        """create + start + wait; return the probe's first JSON object."""
        self.create()
        self.start()
        self.wait(timeout)
        outs = self.probe_outputs()
        if not outs:
            raise AssertionError("probe printed nothing: stdout=%r stderr=%r" % (
                self.stdout_text(), self.stderr_text()))
        return outs[0]

    def stdout_text(self):
        try:
            return self.stdout_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def probe_outputs(self):
        res = []
        for line in self.stdout_text().splitlines():
            line = line.strip()
            if line.startswith("{") and line.endswith("}"):
                try:
                    res.append(json.loads(line))
                except ValueError:
                    pass
        return res

    # --- cleanup ---------------------------------------------------------
    def cgroup_dirs(self):
        """Existing directories of this container's cgroup, any hierarchy."""
        if not self.cgroups_path or not self.cgroups_path.startswith(CGROUP_PREFIX + "/"):
            return []
        rel = self.cgroups_path.lstrip("/")
        dirs = []
        for ctrl in sorted(CGROUP_ROOT.iterdir()):
            d = ctrl / rel
            if d.is_dir():
                dirs.append(d)
        return dirs

    def destroy(self):
        try:
            self.rt.delete(self.id, force=True, timeout=30)
        except Exception:
            pass
        if self.pid and pid_alive(self.pid):
            # only ever our own container's init
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.pid:
            try:
                self.wait(timeout=5)
            except Exception:
                pass
        remove_cgroup(self.cgroups_path)
        import shutil
        shutil.rmtree(self.bundle, ignore_errors=True)


def remove_cgroup(path):
    """rmdir cgroup `path` (only below CGROUP_PREFIX) in every hierarchy,
    deepest first; kill leftover processes of *that* cgroup first."""
    if not path or not path.startswith(CGROUP_PREFIX + "/"):
        return
    rel = path.lstrip("/")
    remove_cgroup_dirs([ctrl / rel for ctrl in sorted(CGROUP_ROOT.iterdir())])


def remove_cgroup_dirs(dirs, tries=50, pause=0.05, reap=None):
    """rmdir each existing cgroup dir in `dirs` and its sub-cgroups, deepest
    first; SIGKILL what is still in a busy one (callers only pass cgroups
    they made).  `reap` is called between tries (e.g. reap_orphans)."""
    for d in dirs:
        if not d.is_dir():
            continue
        subdirs = sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for sd in subdirs + [d]:
            for _ in range(tries):
                try:
                    os.rmdir(sd)
                    break
                except OSError as e:
                    if e.errno == errno.ENOENT:
                        break
                    if e.errno != errno.EBUSY:
                        break
                    try:
                        for pid in (sd / "cgroup.procs").read_text().split():
                            os.kill(int(pid), signal.SIGKILL)
                    except (OSError, ValueError):
                        pass
                    if reap:
                        reap()
                    time.sleep(pause)


def remove_cgroup_prefix_if_empty(sub=""):
    for ctrl in sorted(CGROUP_ROOT.iterdir()):
        d = ctrl / CGROUP_PREFIX.lstrip("/") / sub if sub else ctrl / CGROUP_PREFIX.lstrip("/")
        if d.is_dir():
            try:
                os.rmdir(d)
            except OSError:
                pass


class ConsoleSocket:
    """The --console-socket server: receives the pty master (SCM_RIGHTS)."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.fds = []

    def receive(self, timeout=10):
        self.sock.settimeout(timeout)
        try:
            conn, _ = self.sock.accept()
        except socket.timeout:
            return None
        with conn:
            conn.settimeout(timeout)
            _msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
        self.fds += fds
        return fds[0] if fds else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.unlink(self.path)
        except OSError:
            pass
        return False


def read_all(fd, timeout=10):
    """Read a pty master until the other side is gone (EIO) or timeout."""
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    return buf
