"""Drive the real podman (+ conmon) with ocirun as its OCI runtime.

Everything podman owns lives in one private directory D: storage (vfs),
runroot, tmpdir, events log, containers.conf, storage.conf, network config
dir -- the host's podman configuration and storage are neither used nor
changed.  Every container gets `--network none` (no CNI/netavark needed)
and `--cgroup-parent /ocirun-podman-test-<pid>`, a cgroup parent this test
session owns, so leftovers are ours to find and remove.

Where ocirun keeps its state: podman 4.3 running as root passes no
`--root` to the runtime (it passes only the verb's flags, plus
`--runtime-flag`s, which its `container cleanup` process then drops), so
ocirun uses its default state directory, /run/ocirun.  Container ids are
podman's 64-hex ids, so the tests check /run/ocirun/<id> for the ids they
made, and nothing else there.
"""
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time
from pathlib import Path

RUNTIME_STATE = Path("/run/ocirun")  # ocirun's default --root
SECCOMP_CACHE = Path("/run/ocirun-seccomp-cache")  # ocirun's default compiled-seccomp cache (as root)
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "/ocirun-podman-test-%d" % os.getpid()
IMAGE = "localhost/ocirun-busybox"
CAP_SYS_RESOURCE = 24


def missing_tools():
    """Why podman cannot be tested here (None if it can)."""
    if shutil.which("podman") is None:
        return "podman is not installed (Debian: apt-get install podman conmon)"
    if shutil.which("conmon") is None and not Path("/usr/libexec/podman/conmon").exists():
        return "conmon is not installed (Debian: apt-get install conmon)"
    return None


def _bounding_has(cap):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return bool(int(line.split()[1], 16) & (1 << cap))
    return False


def _hard_limit(name):
    for line in Path("/proc/self/limits").read_text().splitlines():
        if line.startswith(name):
            v = line[len(name):].split()[1]
            return None if v == "unlimited" else int(v)
    return None


def cgroup_hierarchies():
    res = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        pre, post = line.split(" - ", 1)
        if post.split()[0] in ("cgroup", "cgroup2"):
            mp = pre.split()[4]
            if mp.startswith(str(CGROUP_ROOT)):
                res.append(Path(mp))
    return sorted(set(res))


def controller_dir(controller, rel):
    """The directory of cgroup `rel` in the v1 hierarchy of `controller`."""
    for h in cgroup_hierarchies():
        if controller in h.name.split(","):
            return h / rel.lstrip("/")
    raise LookupError("no cgroup v1 hierarchy for %s" % controller)


class Podman:
    def __init__(self, ocirun, base):
        self.ocirun = str(ocirun)
        self.base = Path(base)
        self.made = set()  # full ids of every container a test created
        for d in ("storage", "run", "tmp", "net"):
            (self.base / d).mkdir(parents=True, exist_ok=True)
        conf = ["[containers]"]
        if not _bounding_has(CAP_SYS_RESOURCE):
            # podman (as root) asks for RLIMIT_NOFILE and RLIMIT_NPROC of
            # 1048576; raising a hard limit needs CAP_SYS_RESOURCE, which this
            # machine's bounding set lacks, so every runtime (runc and crun
            # too) fails `create` with EPERM.  Ask for limits that are not
            # raises instead.
            nofile = min(_hard_limit("Max open files") or 1024, 1048576)
            conf.append('default_ulimits = ["nofile=%d:%d", "nproc=4096:4096"]' % (nofile, nofile))
        conf += [
            "[engine]",
            'cgroup_manager = "cgroupfs"',
            'events_logger = "file"',
            'events_logfile_path = "%s"' % (self.base / "events.log"),
            'runtime = "ocirun"',
            "[engine.runtimes]",
            'ocirun = ["%s"]' % self.ocirun,
            "[network]",
            'network_config_dir = "%s"' % (self.base / "net"),
        ]
        (self.base / "containers.conf").write_text("\n".join(conf) + "\n")
        (self.base / "storage.conf").write_text(
            '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n'
            % (self.base / "storage", self.base / "run"))
        (self.base / "registries.conf").write_text("unqualified-search-registries = []\n")
        self.env = dict(os.environ,
                        CONTAINERS_CONF=str(self.base / "containers.conf"),
                        CONTAINERS_STORAGE_CONF=str(self.base / "storage.conf"),
                        CONTAINERS_REGISTRIES_CONF=str(self.base / "registries.conf"))
        self.env.pop("CONTAINER_HOST", None)
        self.env.pop("CONTAINER_CONNECTION", None)

    def argv(self, *args):
        b = self.base
        return ["podman", "--root", str(b / "storage"), "--runroot", str(b / "run"),
                "--tmpdir", str(b / "tmp"), "--cgroup-manager", "cgroupfs",
                "--events-backend", "file", "--runtime", self.ocirun,
                "--storage-driver", "vfs"] + [str(a) for a in args]

    def __call__(self, *args, timeout=60, input=None, check=False):
        p = subprocess.run(self.argv(*args), env=self.env, input=input, capture_output=True,
                           text=True, timeout=timeout,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError("podman %s: rc=%d\nstdout=%s\nstderr=%s" % (
                " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p

    def ok(self, *args, **kw):
        """Run podman, assert it succeeded, return its stdout."""
        return self(*args, check=True, **kw).stdout

    def run_args(self, *args):
        return ["run", "--network", "none", "--cgroup-parent", CGROUP_PARENT] + list(args)

    def run(self, *args, **kw):
        p = self(*self.run_args(*args), **kw)
        self._remember()
        return p

    def start_detached(self, *args, opts=()):
        """`podman run -d [opts] IMAGE args`; returns the container's full id."""
        cid = self.ok(*self.run_args("-d", *opts, IMAGE, *args)).strip().splitlines()[-1]
        self.made.add(cid)
        return cid

    def _remember(self):
        for cid in self("ps", "-aq", "--no-trunc").stdout.split():
            self.made.add(cid)

    def inspect(self, cid):
        return json.loads(self.ok("inspect", cid))[0]

    def state(self, cid):
        return self.inspect(cid)["State"]

    def cgroup(self, cid):
        """The container's cgroup path (below CGROUP_PARENT)."""
        return "%s/libpod-%s" % (CGROUP_PARENT, cid)

    def wait_status(self, cid, status, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            st = self.state(cid)
            if st["Status"] == status:
                return st
            if time.monotonic() > deadline:
                raise AssertionError("%s: status %r, wanted %r" % (cid[:12], st["Status"], status))
            time.sleep(0.05)

    def wait_logs(self, cid, text, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            out = self("logs", cid).stdout
            if text in out:
                return out
            if time.monotonic() > deadline:
                raise AssertionError("%r never showed in the logs of %s: %r" % (text, cid[:12], out))
            time.sleep(0.05)

    # ------------------------------------------------------------ leftovers
    def leftovers(self):
        """What podman+ocirun left on the host (list of strings)."""
        out = []
        st = sorted(c[:12] for c in self.made if (RUNTIME_STATE / c).exists())
        if st:
            out.append("ocirun state dirs left in %s: %s" % (RUNTIME_STATE, st))
        cg = sorted(str(d) for d in self.container_cgroups())
        if cg:
            out.append("container cgroups left: %s" % cg)
        pr = self.processes()
        if pr:
            out.append("processes left: %s" % pr)
        mn = [ln for ln in Path("/proc/self/mountinfo").read_text().splitlines() if str(self.base) in ln]
        if mn:
            out.append("mounts left: %s" % mn)
        return out

    def container_cgroups(self):
        """Container cgroups (libpod-<id>) below our parent, any hierarchy."""
        res = []
        for h in cgroup_hierarchies():
            d = h / CGROUP_PARENT.lstrip("/")
            if d.is_dir():
                res += [p for p in d.iterdir() if p.is_dir() and p.name.startswith("libpod-")]
        return res

    def processes(self):
        """Live processes of ours: conmon/podman/ocirun naming our dir, or any
        process whose root is in our storage (container processes)."""
        res = []
        me = os.getpid()
        for e in os.listdir("/proc"):
            if not e.isdigit() or int(e) == me:
                continue
            try:
                with open("/proc/%s/stat" % e) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                        continue
                cmd = Path("/proc/%s/cmdline" % e).read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError):
                continue
            try:
                root = os.readlink("/proc/%s/root" % e)
            except OSError:
                root = ""
            if str(self.base) in cmd or root.startswith(str(self.base)):
                res.append("%s(%s)" % (e, cmd.strip()[:100]))
        return res

    def clean(self, timeout=20):
        """`podman rm -af`, then wait for conmon and podman's cleanup
        processes to go; return what is still left over."""
        self("rm", "-af", "-t", "0", timeout=120)
        deadline = time.monotonic() + timeout
        while True:
            reap()
            left = self.leftovers()
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.1)

    def force_cleanup(self):
        """Last resort after a failed check: remove what we made."""
        for c in self.made:
            subprocess.run([self.ocirun, "delete", "--force", c], capture_output=True)
        for p in self.processes():
            try:
                os.kill(int(p.split("(")[0]), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        for d in sorted(self.container_cgroups(), key=lambda p: len(str(p)), reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass
        reap()

    def destroy(self):
        """End of session: remove everything, podman's conmon cgroups and our
        cgroup parent included, and the private directory."""
        left = self.clean()
        if left:
            self.force_cleanup()
        for h in cgroup_hierarchies():
            d = h / CGROUP_PARENT.lstrip("/")
            if not d.is_dir():
                continue
            for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: len(str(p)), reverse=True):
                try:
                    os.rmdir(sub)
                except OSError:
                    pass
            try:
                os.rmdir(d)
            except OSError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)
        return left


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def make_podman(ocirun, rootfs):
    base = Path(tempfile.mkdtemp(prefix="ocirun-podman-"))
    os.chmod(base, 0o755)
    pm = Podman(ocirun, base)
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    p = subprocess.run(pm.argv("import", "-", IMAGE), env=pm.env, stdin=tar.stdout,
                       capture_output=True, text=True, timeout=120)
    tar.stdout.close()
    tar.wait()
    if p.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise AssertionError("podman import failed: %s" % p.stderr)
    return pm


def resize(fd, rows, cols):
    """Resize the terminal (the kernel sends SIGWINCH to its foreground
    process group: podman, which tells conmon)."""
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def run_on_pty(argv, env, steps, rows=33, cols=101, timeout=30):
    """Run argv with a new pty as its controlling terminal (window size
    rows x cols).  steps: [(wait_for_text, send)...], each send made once
    wait_for_text has appeared in the output (None: at once); send is text
    to type or a function called with the pty master.
    Returns (exit status, all output)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    out = b""
    deadline = time.monotonic() + timeout
    steps = list(steps)
    try:
        while True:
            while steps and (steps[0][0] is None or steps[0][0].encode() in out):
                send = steps.pop(0)[1]
                if callable(send):
                    send(fd)
                else:
                    os.write(fd, send.encode())
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError("pty session timed out; output so far: %r" % out)
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not r:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the other side is gone
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")
