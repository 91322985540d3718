"""A private Docker daemon and a `docker` driver for test_docker.py.

Daemon (Dockerd): Debian's dockerd 20.10 with everything of its own below
one temp dir D -- --data-root D/data, --exec-root D/exec, the API socket
D/docker.sock, --pidfile D/docker.pid, --config-file D/daemon.json (so the
host's /etc/docker/daemon.json is not read) -- no bridge, no iptables, the
cgroupfs driver, vfs storage, and --cgroup-parent CGROUP_PARENT (below this
test session's helpers.CGROUP_PREFIX), and two runtimes: runc (the default)
and `--add-runtime ocirun=<the built binary>`.  dockerd starts its own
containerd (D/exec/containerd/containerd.sock; its shims' sockets in
/run/containerd/s are named by a hash of that address, so they never meet
another daemon's).  Started and stopped by its pid.

Driver (Docker): /usr/bin/docker (Debian's 20.10 client; a newer client may
be first on PATH) with `-H unix://D/docker.sock`; `run` adds `--runtime RT`
and `--network none` unless the test asks for another network: no traffic
leaves loopback.

What a container of ours may leave behind, and where:
  * runtime state: D/exec/runtime-runc/moby/<id> (the shim's --root, the
    same for both runtimes: dockerd 20.10 names it after runc whatever the
    runtime)
  * the containerd bundle: D/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/<id>
  * cgroups: CGROUP_PARENT/<id> in every hierarchy
  * the shim (`containerd-shim-runc-v2 -namespace moby -id <id> -address D/...`)
  * the container's processes (their root is below D/data)
  * mounts mentioning D (beyond those the daemon keeps for itself)
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import helpers
from helpers import rtlib

DOCKER = "/usr/bin/docker"      # Debian's client, the daemon's version
DOCKERD = "/usr/sbin/dockerd"
COMPOSE = "/usr/bin/docker-compose"
CGROUP_PARENT = helpers.CGROUP_PREFIX + "/docker"
IMAGE = "ocirun-busybox"
NAMESPACE = "moby"              # dockerd's containerd namespace
# users of the image (HOME is read from /etc/passwd, or "/" without an entry)
PASSWD_EXTRA = "user:x:1001:1001:user:/home/user:/bin/sh\n"
GROUP_EXTRA = "user:x:1001:\n"


def missing_tools():
    """Why Docker cannot be tested here (None if it can)."""
    for b, pkg in ((DOCKERD, "docker.io"), (DOCKER, "docker.io"), ("/usr/bin/containerd", "containerd"),
                   ("/usr/bin/containerd-shim-runc-v2", "containerd")):
        if not os.access(b, os.X_OK):
            return "%s is not installed (Debian package `%s`)" % (b, pkg)
    if shutil.which("runc") is None:
        return "runc is not installed (the reference runtime of every case; Debian package `runc`)"
    return None


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        self.returncode, self.stdout, self.stderr = rc, out, err

    def __repr__(self):
        return "Result(%s -> rc=%s, out=%r, err=%r)" % (" ".join(map(str, self.argv)), self.rc,
                                                        self.out[-2000:], self.err[-2000:])


def _cmdline(pid):
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
    except OSError:
        return []


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def cgroup_dirs(rel):
    """Existing dirs of cgroup `rel` (below CGROUP_PARENT) in every hierarchy, deepest first."""
    res = []
    for h in helpers.cgroup_hierarchies():
        d = h / rel.lstrip("/")
        if d.is_dir():
            res += [p for p in d.rglob("*") if p.is_dir()] + [d]
    return sorted(set(res), key=lambda p: len(str(p)), reverse=True)


class Dockerd:
    """A private dockerd (and the containerd it starts): start() / stop(), by pid."""

    def __init__(self, base, ocirun):
        self.base = Path(base)
        self.ocirun = str(ocirun)
        self.data = self.base / "data"
        self.exec_root = self.base / "exec"
        self.sock = str(self.base / "docker.sock")
        self.pidfile = self.base / "docker.pid"
        self.log = self.base / "dockerd.log"
        self.proc = None
        self.mounts_at_start = set()

    @property
    def containerd_sock(self):
        return str(self.exec_root / "containerd" / "containerd.sock")

    def runtime_root(self, runtime=None):
        """The --root the shim gives the runtime: dockerd 20.10 sets the
        shim's root option to <exec-root>/runtime-runc for EVERY runc-style
        runtime (options.json in the bundle), and the shim adds /<namespace>:
        runc and ocirun share one state root."""
        return self.exec_root / "runtime-runc" / NAMESPACE

    def bundle(self, cid):
        return self.exec_root / "containerd" / "daemon" / "io.containerd.runtime.v2.task" / NAMESPACE / cid

    def start(self, timeout=60):
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "daemon.json").write_text("{}\n")
        argv = [DOCKERD, "--config-file", str(self.base / "daemon.json"),
                "--data-root", str(self.data), "--exec-root", str(self.exec_root),
                "-H", "unix://" + self.sock, "--pidfile", str(self.pidfile),
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
                "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", CGROUP_PARENT,
                "--storage-driver=vfs", "--add-runtime", "ocirun=" + self.ocirun]
        env = dict(os.environ)
        for k in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY"):
            env.pop(k, None)
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dockerd exited (%s): %s" % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.sock):
                r = subprocess.run([DOCKER, "-H", "unix://" + self.sock, "version", "--format",
                                    "{{.Server.Version}}"], capture_output=True, timeout=10)
                if r.returncode == 0:
                    self.mounts_at_start = set(helpers.mounts_mentioning(self.base))
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("dockerd did not answer in %ss: %s" % (timeout, self.log_tail()))

    def log_tail(self, n=30):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def containerd_pid(self):
        try:
            return int((self.exec_root / "containerd" / "containerd.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def shims(self):
        """{pid: container id} of the shims serving this daemon's containerd."""
        res = {}
        me = self.containerd_sock.encode()
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            argv = _cmdline(int(e))
            if argv and argv[0].endswith(b"containerd-shim-runc-v2") and me in argv and _alive(int(e)):
                res[int(e)] = argv[argv.index(b"-id") + 1].decode() if b"-id" in argv else "?"
        return res

    def container_procs(self):
        """Live processes whose root is below our data root (container processes)."""
        res = []
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            try:
                root = os.readlink("/proc/%s/root" % e)
            except OSError:
                continue
            if root.startswith(str(self.data) + "/") and _alive(int(e)):
                res.append(int(e))
        return res

    def new_mounts(self):
        """Mounts below D that were not there when the daemon was up, by
        mount point.  The daemon's own are not counted: its data root bound
        on itself and made private (dockerd's setupDaemonRootPropagation,
        then `unmount-on-shutdown`), and its handle on the host's network
        namespace, made by the first --network host."""
        own = {str(self.data), str(self.exec_root / "netns" / "default")}
        at_start = {m.split()[4] for m in self.mounts_at_start}
        return sorted(m for m in helpers.mounts_mentioning(self.base)
                      if m.split()[4] not in at_start and m.split()[4] not in own)

    def stop(self, timeout=30):
        """Stop dockerd by its pid (it stops its containerd), then whatever of
        ours is left: shims, container processes, mounts, cgroups, the dir."""
        left = []
        if self.proc is not None:
            ctrd = self.containerd_pid()
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    left.append("dockerd did not exit on SIGTERM")
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            self.proc = None
            if ctrd and _alive(ctrd) and str(self.exec_root).encode() in b" ".join(_cmdline(ctrd)):
                try:
                    helpers.wait_for(lambda: not _alive(ctrd), timeout=10)
                except TimeoutError:
                    left.append("containerd %d outlived dockerd" % ctrd)
                    os.kill(ctrd, signal.SIGKILL)
        for pid in list(self.shims()) + self.container_procs():
            left.append("process %s" % helpers.proc_desc(pid))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rtlib.reap_orphans()
        for ln in sorted(helpers.mounts_mentioning(self.base), key=lambda s: -len(s.split()[4])):
            subprocess.run(["umount", "-l", ln.split()[4]], capture_output=True)
        for d in cgroup_dirs(CGROUP_PARENT):
            try:
                os.rmdir(d)
            except OSError as e:
                left.append("cgroup %s: %s" % (d, e))
        shutil.rmtree(self.base, ignore_errors=True)
        return left


class Docker:
    """`docker` against one daemon, making containers with one runtime."""

    def __init__(self, daemon, runtime):
        self.daemon = daemon
        self.runtime = runtime
        self.env = dict(os.environ, DOCKER_HOST="unix://" + daemon.sock,
                        DOCKER_CONFIG=str(daemon.base / "client"))
        self.env.pop("DOCKER_CONTEXT", None)

    def argv(self, *args):
        return [DOCKER, "-H", "unix://" + self.daemon.sock] + [str(a) for a in args]

    def __call__(self, *args, timeout=60, input=None):
        argv = self.argv(*args)
        try:
            p = subprocess.run(argv, env=self.env, capture_output=True, timeout=timeout, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise AssertionError("timed out after %ss: %s (dockerd log: %s)" % (
                timeout, " ".join(argv), self.daemon.log_tail(10))) from e
        return Result(argv, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))

    def ok(self, *args, **kw):
        """Run docker, assert it succeeded, return its stdout."""
        r = self(*args, **kw)
        assert r.rc == 0, r
        return r.out

    def run_args(self, *args):
        """`run --runtime RT [--network none] ARGS` (a test's own --network wins)."""
        a = [str(x) for x in args]
        net = any(x in ("--network", "--net") or x.startswith(("--network=", "--net=")) for x in a)
        return ["run", "--runtime", self.runtime] + ([] if net else ["--network", "none"]) + a

    def run(self, *args, **kw):
        return self(*self.run_args(*args), **kw)

    def start(self, *args, opts=()):
        """`docker run -d [opts] IMAGE args`; returns the full id of a running container."""
        out = self.ok(*self.run_args("-d", *opts, IMAGE, *args))
        return out.strip().splitlines()[-1]

    def inspect(self, cid):
        return json.loads(self.ok("inspect", cid))[0]

    def state(self, cid):
        return self.inspect(cid)["State"]

    def wait_status(self, cid, status, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            st = self.state(cid)
            if st["Status"] == status:
                return st
            if time.monotonic() > deadline:
                raise AssertionError("%s: status %r, wanted %r" % (cid[:12], st["Status"], status))
            time.sleep(0.05)

    def wait_logs(self, cid, text, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            r = self("logs", cid)
            if text in r.out + r.err:
                return r.out + r.err
            if time.monotonic() > deadline:
                raise AssertionError("%r never showed in the logs of %s: %r" % (text, cid[:12], r))
            time.sleep(0.05)

    def exec_status(self, cid, *fields):
        """Fields of /proc/self/status of a process exec'd in the container."""
        out = self.ok("exec", cid, "cat", "/proc/self/status")
        d = dict(ln.split(":", 1) for ln in out.splitlines() if ":" in ln)
        return [d[f].strip() for f in fields]

    def cgroup(self, cid):
        return "%s/%s" % (CGROUP_PARENT, cid)

    def cgroup_file(self, controller, cid, name):
        for h in helpers.cgroup_hierarchies():
            if controller in h.name.split(","):
                return h / self.cgroup(cid).lstrip("/") / name
        raise LookupError("no cgroup v1 hierarchy for %s" % controller)

    def runtime_cmd(self, *args):
        """The runtime itself on the shim's --root (to compare with what docker says)."""
        binary = self.daemon.ocirun if self.runtime == "ocirun" else shutil.which(self.runtime)
        argv = [binary, "--root", str(self.daemon.runtime_root(self.runtime))] + [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        return Result(argv, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))

    def all_ids(self):
        return self.ok("ps", "-aq", "--no-trunc").split()

    # ------------------------------------------------------------ leftovers
    def left_behind(self, ids):
        """What the runtime, the shim and dockerd left for containers `ids`
        (already removed from docker), and anything else of ours."""
        out = []
        for cid in ids:
            if (self.daemon.runtime_root() / cid).exists():
                out.append("runtime state %s" % (self.daemon.runtime_root() / cid))
            if self.daemon.bundle(cid).exists():
                out.append("bundle %s" % self.daemon.bundle(cid))
        # (the parent itself, made by the first container, stays until the daemon stops)
        cg = [str(d) for d in cgroup_dirs(CGROUP_PARENT) if d.name != CGROUP_PARENT.rsplit("/", 1)[1]]
        if cg:
            out.append("cgroups %s" % cg)
        shims = self.daemon.shims()
        if shims:
            out.append("shims %s" % [helpers.proc_desc(p) for p in shims])
        procs = self.daemon.container_procs()
        if procs:
            out.append("container processes %s" % [helpers.proc_desc(p) for p in procs])
        mn = self.daemon.new_mounts()
        if mn:
            out.append("mounts %s" % mn)
        return out

    def remove_all(self, timeout=60):
        """`docker rm -f` every container, and every volume; the ids removed."""
        ids = self.all_ids()
        if ids:
            self("rm", "-f", "-v", *ids, timeout=timeout)
        vols = self.ok("volume", "ls", "-q").split()
        if vols:
            self("volume", "rm", "-f", *vols)
        return ids

    def clean(self, ids, timeout=20):
        """Wait (the shim exits a moment after the delete) until nothing of
        `ids` is left; return what is still there."""
        deadline = time.monotonic() + timeout
        while True:
            rtlib.reap_orphans()
            left = self.left_behind(ids)
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.1)

    def force_cleanup(self, ids):
        """Last resort after a failed check: remove what we made, by hand."""
        for cid in ids:
            for rt in ("runc", "ocirun"):
                Docker(self.daemon, rt).runtime_cmd("delete", "--force", cid)
        for pid in list(self.daemon.shims()) + self.daemon.container_procs():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        rtlib.reap_orphans()
        for d in cgroup_dirs(CGROUP_PARENT):
            if d.name != CGROUP_PARENT.rsplit("/", 1)[1]:
                try:
                    os.rmdir(d)
                except OSError:
                    pass


def make_rootfs(template, dest):
    """The image's tree: the busybox template with a user 1001 (HOME /home/user)."""
    dest = Path(dest)
    subprocess.run(["cp", "-a", str(template), str(dest)], check=True)
    with open(dest / "etc" / "passwd", "a") as f:
        f.write(PASSWD_EXTRA)
    with open(dest / "etc" / "group", "a") as f:
        f.write(GROUP_EXTRA)
    (dest / "home" / "user").mkdir(parents=True, exist_ok=True)
    os.chown(dest / "home" / "user", 1001, 1001)
    os.chmod(dest / "root", 0o700)  # as on Debian: only root may enter
    return dest


def import_image(daemon, rootfs, name=IMAGE):
    """`docker import` of a local tree (no registry, no network)."""
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    p = subprocess.run([DOCKER, "-H", "unix://" + daemon.sock, "import", "--change", "ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin",
                        "--change", 'CMD ["sh"]', "-", name], stdin=tar.stdout, capture_output=True, timeout=120)
    tar.stdout.close()
    tar.wait()
    if p.returncode != 0:
        raise RuntimeError("docker import failed: %s" % p.stderr.decode(errors="replace"))


def parallel(fn, items):
    """fn(item) for every item, each in its own thread; the results in order."""
    res = [None] * len(items)

    def one(i, x):
        try:
            res[i] = fn(x)
        except BaseException as e:  # reported by the caller
            res[i] = e

    ts = [threading.Thread(target=one, args=(i, x)) for i, x in enumerate(items)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return res


def tempdir():
    d = Path(tempfile.mkdtemp(prefix="ocirun-docker-"))
    os.chmod(d, 0o755)
    return d
