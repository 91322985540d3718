"""A private containerd daemon and a `ctr` driver for test_containerd.py.

Daemon (Containerd): its own config, root, state and grpc/ttrpc sockets
below a temp dir, the CRI plugin off, started and stopped by its pid.

Driver (Ctr): `ctr --address SOCK --namespace NS ...` with a per-session
namespace, and `run` with a local rootfs (no image, no pull): `--rootfs DIR
--runc-binary OCIRUN --runc-root ROOT --cgroup CG --fifo-dir FIFO`.  The
shim (containerd-shim-runc-v2) then runs `OCIRUN --root ROOT/NS --log
BUNDLE/log.json --log-format json VERB ...`.

What a container of ours may leave behind, and where:
  * ocirun state: ROOT/NS/<id> (the shim's --root)
  * cgroups: helpers.CGROUP_PREFIX/<id> in every hierarchy
  * the shim process (`containerd-shim-runc-v2 -namespace NS -id <id>
    -address SOCK`) and its ttrpc socket /run/containerd/s/<sha256(SOCK/NS/id)>
    (the path is fixed in containerd 1.6)
  * the container's processes (root below the test's work dir)
"""
import fcntl
import hashlib
import json
import os
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import helpers
from helpers import rtlib

SHIM_SOCKET_DIR = Path("/run/containerd/s")  # containerd 1.6: not configurable
DEFAULT_RUNC_ROOT = Path("/run/containerd/runc")  # the shim's default --root (+ /<namespace>)

CONFIG = """\
version = 2
root = "{root}"
state = "{state}"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{sock}"

[ttrpc]
  address = "{sock}.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""
"""


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __repr__(self):
        return "Result(%s -> rc=%s, out=%r, err=%r)" % (" ".join(map(str, self.argv)), self.rc,
                                                        self.out[-2000:], self.err[-2000:])


class Containerd:
    """A private containerd: start() / stop(), by pid."""

    def __init__(self, base, ocirun):
        self.base = Path(base)
        self.ocirun = str(ocirun)
        self.root = self.base / "root"
        self.state = self.base / "state"
        self.sock = str(self.base / "containerd.sock")
        self.config = self.base / "config.toml"
        self.log = self.base / "containerd.log"
        self.proc = None

    def config_text(self):
        return CONFIG.format(root=self.root, state=self.state, sock=self.sock)

    def environ(self):
        # `runc` on the daemon's (and so the shims') PATH is ocirun: ctr 1.6
        # replaces the container's runtime options (--runc-binary,
        # --runc-root) with task options on --no-pivot and --uidmap, and
        # the shim then runs plain `runc` with the default --root
        bindir = self.base / "bin"
        bindir.mkdir(exist_ok=True)
        if not (bindir / "runc").is_symlink():
            (bindir / "runc").symlink_to(self.ocirun)
        return dict(os.environ, PATH="%s:%s" % (bindir, os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")))

    def start(self, timeout=30):
        self.base.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.config_text())
        env = self.environ()
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(["containerd", "--config", str(self.config)], env=env,
                                         stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("containerd exited (%s): %s" % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.sock):
                r = subprocess.run(["ctr", "--address", self.sock, "version"], capture_output=True,
                                   timeout=10)
                if r.returncode == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("containerd did not answer in %ss: %s" % (timeout, self.log_tail()))

    def log_tail(self, n=30):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def shims(self):
        """pids of the shims serving this daemon (their cmdline names our socket)."""
        res = {}
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            try:
                argv = Path("/proc/%s/cmdline" % e).read_bytes().split(b"\0")
            except OSError:
                continue
            if (argv and argv[0].endswith(b"containerd-shim-runc-v2") and b"-address" in argv
                    and self.sock.encode() in argv and rtlib.pid_alive(int(e))):
                cid = argv[argv.index(b"-id") + 1].decode() if b"-id" in argv else "?"
                res[int(e)] = cid
        return res

    def stop(self, timeout=20):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


class Ctr:
    """`ctr` against one daemon and one namespace."""

    def __init__(self, daemon, namespace, ocirun, runc_root, fifo_dir):
        self.daemon = daemon
        self.ns = namespace
        self.ocirun_bin = str(ocirun)
        self.runc_root = Path(runc_root)
        self.fifo_dir = Path(fifo_dir)

    def argv(self, *args):
        args = [str(a) for a in args]
        if args[:2] == ["task", "exec"]:
            # else its fifos go to /run/containerd/fifo (and their dirs stay)
            args[2:2] = ["--fifo-dir", str(self.fifo_dir)]
        return ["ctr", "--address", self.daemon.sock, "--namespace", self.ns] + args

    def __call__(self, *args, timeout=30, input=None):
        argv = self.argv(*args)
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("timed out after %ss: %s (containerd log: %s)" % (
                timeout, " ".join(argv), self.daemon.log_tail(10))) from e
        return Result(argv, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))

    def run_args(self, cid, rootfs, cmd, detach=False, rm=False, tty=False, extra=()):
        a = ["run", "--rootfs", "--runc-binary", self.ocirun_bin, "--runc-root", self.runc_root,
             "--cgroup", cgroup_path(cid), "--fifo-dir", self.fifo_dir]
        if detach:
            a.append("-d")
        if rm:
            a.append("--rm")
        if tty:
            a.append("--tty")
        return a + list(extra) + [rootfs, cid] + list(cmd)

    def tasks(self):
        """{id: (pid, status)} from `ctr task ls`."""
        r = self("task", "ls")
        assert r.rc == 0, r
        res = {}
        for ln in r.out.splitlines()[1:]:
            f = ln.split()
            if len(f) >= 3:
                res[f[0]] = (int(f[1]), f[2])
        return res

    def status(self, cid):
        return self.tasks().get(cid, (None, None))[1]

    def ps(self, cid):
        """[(pid, info)] from `ctr task ps`."""
        r = self("task", "ps", cid)
        assert r.rc == 0, r
        res = []
        for ln in r.out.splitlines()[1:]:
            f = ln.split(None, 1)
            if f:
                res.append((int(f[0]), f[1] if len(f) > 1 else ""))
        return res

    def ocirun_root(self):
        """The --root the shim gives ocirun."""
        return self.runc_root / self.ns

    def default_root(self):
        """The shim's --root when the task options dropped ours (see Containerd.start)."""
        return DEFAULT_RUNC_ROOT / self.ns

    def ocirun_state(self):
        """ocirun state dirs left in the shim's --root (ours and the default)."""
        res = set()
        for d in (self.ocirun_root(), self.default_root()):
            try:
                res |= set(os.listdir(d))
            except FileNotFoundError:
                pass
        return sorted(res)

    def ocirun(self, *args, timeout=30, root=None):
        """ocirun itself, on the shim's --root (to compare with what ctr says)."""
        argv = [self.ocirun_bin, "--root", str(root or self.ocirun_root())] + [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return Result(argv, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))

    def shim_socket(self, cid):
        """containerd 1.6 shim.SocketAddress: sha256 of <grpc address>/<ns>/<id>."""
        h = hashlib.sha256(("%s/%s/%s" % (self.daemon.sock, self.ns, cid)).encode()).hexdigest()
        return SHIM_SOCKET_DIR / h


def cgroup_path(cid):
    return "%s/%s" % (helpers.CGROUP_PREFIX, cid)


def run_on_pty(argv, rows=33, cols=101, timeout=30, input=None):
    """Run argv with a pty (of rows x cols) as its stdin/stdout/stderr, as a
    user at a terminal would run `ctr ... --tty`; return (rc, output)."""
    master, slave = os.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    finally:
        os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        if input is not None:
            os.write(master, input)
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if not r:
                if p.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last slave fd is gone
                break
            if not chunk:
                break
            out += chunk
        try:
            rc = p.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError("timed out on a pty: %s; output so far %r" % (" ".join(argv), out))
    finally:
        os.close(master)
    return rc, out.decode(errors="replace")


def copy_rootfs(template, dest):
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(template), str(dest)], check=True)
    return dest


# ---------------------------------------------------------------- raw gRPC
# ctr 1.6 has no `task update`; containerd's Tasks.Update (what the CRI
# plugin calls on `crictl update`) is reached here with python3-grpcio and a
# hand-encoded protobuf request (three fields), so the shim runs
# `ocirun update --resources - ID` with the resources on stdin.
def _varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _field(num, data):
    """A length-delimited protobuf field (wire type 2)."""
    return _varint((num << 3) | 2) + _varint(len(data)) + data


def update_task(daemon, namespace, cid, resources, timeout=30):
    """containerd.services.tasks.v1.Tasks/Update with `resources` (a
    runtime-spec LinuxResources dict; containerd carries it as JSON in a
    google.protobuf.Any, as typeurl does for non-proto types).  Returns
    None, or the gRPC error's details."""
    import grpc  # python3-grpcio; the caller skips without it

    any_ = _field(1, b"types.containerd.io/opencontainers/runtime-spec/1/LinuxResources") + \
        _field(2, json.dumps(resources).encode())
    req = _field(1, cid.encode()) + _field(2, any_)
    with grpc.insecure_channel("unix://" + daemon.sock) as ch:
        call = ch.unary_unary("/containerd.services.tasks.v1.Tasks/Update")
        try:
            call(req, timeout=timeout, metadata=[("containerd-namespace", namespace)])
        except grpc.RpcError as e:
            return "%s: %s" % (e.code().name, e.details())
    return None
