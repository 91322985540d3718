"""Pods through containerd 1.6's CRI plugin, driven as the kubelet drives it.

A private containerd (crilib.CriContainerd: own root, state, sockets,
config; CRI plugin on; cgroupfs driver; a loopback-only CNI network; the
streaming server on 127.0.0.1; sandbox_image = our pause image) runs for
the module with two runtime handlers, `ocirun` (BinaryName = the ocirun
under test) and `runc` (/usr/sbin/runc, the self-check: a case failing
with runc is a bug in the test, or the host cannot do it and it skips with
the reason).  Every test runs once per handler; the client (crilib.Cri)
speaks runtime.v1 gRPC with messages from cri_api.proto; Exec/Attach
streams go over a WebSocket with the v4.channel.k8s.io protocol.

Covered: RunPodSandbox (own net/ipc/uts, shared pid with
namespace_options.pid = POD, host network), two containers joining the
sandbox's namespaces (hostname, netns, ipc, localhost between them, the
pause process seen from the shared pid namespace), ContainerStatus,
ExecSync (exit code, stdout/stderr, timeout), Exec and Attach streams with
a tty (resize, stdin, exit code) and without (stdout/stderr apart), logs in
the CRI format at log_path, UpdateContainerResources, ContainerStats,
StopContainer's grace period (SIGTERM, then SIGKILL), a crash-looping
container recreated three times with attempt numbers, resource limits,
and the security context (runAsUser/Group/Username, readOnlyRootfs,
noNewPrivs, capabilities add/drop, seccomp RuntimeDefault/Unconfined/
Localhost, privileged, the kubelet's masked and read-only paths).  Also
what a node sees every day: OOM kills, sysctls, hostPID/IPC and node-agent
pods, mounts (volumes, a device, /dev/termination-log, nested read-only
secrets, HostToContainer and Bidirectional propagation), non-root
processes reopening their stdio, `kill --all` in shared-pid pods, a
killed pause, TARGET pid namespaces (kubectl debug), containers removed
before they start, concurrent pods and exec probes, a pod cgroup made
beforehand, service-link-sized environments and a containerd restart.

Every pod gets its own cgroup parent helpers.CGROUP_PREFIX/cri-<id> (what
the kubelet's pod cgroup is); the `pods` fixture stops and removes every
pod at teardown and fails the test if the runtime's state dir, a cgroup
below the parent, a mount, the netns, the shim or a process of the pod is
left.
"""
import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import ctrlib
import crilib
import helpers
from helpers import rtlib, wait_for

NEEDED = ("containerd", "ctr", "containerd-shim-runc-v2", "protoc", "gcc")
_missing = [b for b in NEEDED if shutil.which(b) is None]
_missing += [str(p) for p in (crilib.CNI_BIN_DIR / "loopback", crilib.CNI_BIN_DIR / "static") if not p.exists()]
for _mod, _pkg in (("grpc", "python3-grpcio"), ("google.protobuf", "python3-protobuf")):
    try:
        if importlib.util.find_spec(_mod) is None:
            _missing.append(_pkg)
    except ModuleNotFoundError:  # no `google` package at all
        _missing.append(_pkg)
pytestmark = pytest.mark.skipif(bool(_missing), reason="the CRI tests need %s (Debian: containerd, "
                                "protobuf-compiler, gcc, containernetworking-plugins, python3-grpcio, "
                                "python3-protobuf)"
                                % ", ".join(_missing))

RUNC = "/usr/sbin/runc"
HANDLERS = ["ocirun", "runc"]
BUSYBOX = crilib.BUSYBOX_IMAGE

# what the kubelet sends for every unprivileged container (procMount
# Default); containerd 1.6 masks nothing the request does not name
MASKED_PATHS = ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
READONLY_PATHS = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

CAP_CHOWN, CAP_KILL, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_TIME = 0, 5, 13, 21, 25


@pytest.fixture(scope="module")
def cri_env(session_dir, ocirun_bin, rootfs_template):
    """(daemon, Cri client, protobuf module) for the module."""
    base = session_dir / "cri"
    runtimes = {"ocirun": str(ocirun_bin)}
    if os.access(RUNC, os.X_OK):
        runtimes["runc"] = RUNC
    d = crilib.CriContainerd(base / "d", runtimes, "ocirun")
    pb = crilib.load_api(base / "gen")
    images = crilib.make_images(base / "images", rootfs_template)
    try:
        d.start()
    except RuntimeError as e:
        pytest.fail("private containerd (CRI) did not start: %s" % e, pytrace=False)
    cri = crilib.Cri(d.sock, pb)
    try:
        for ref, tar in images.items():
            r = d.ctr("images", "import", tar)
            assert r.rc == 0, r
        wait_for(lambda: {i for img in cri.ListImages().images for i in img.repo_tags} >= set(images),
                 timeout=20)
        yield d, cri, pb
    finally:
        for p in cri.ListPodSandbox().items:  # what a failed teardown left
            try:
                cri.StopPodSandbox(pod_sandbox_id=p.id)
                cri.RemovePodSandbox(pod_sandbox_id=p.id)
            except crilib.CriError:
                pass
        cri.close()
        for pid in d.shims():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        d.stop()
        rtlib.reap_orphans()
        # the daemon's log (with the shims' and so the runtimes' errors) for
        # a look after the run: tests/.build/logs/cri-containerd.log
        logs = helpers.TESTS_DIR / ".build" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy(d.log, logs / "cri-containerd.log")
        except OSError:
            pass
        # the image snapshots stay mounted by nobody, but overlay mounts of a
        # crashed run would: unmount what is ours before removing the tree
        for ln in reversed(helpers.mounts_mentioning(base)):
            os.system("umount -l '%s' 2>/dev/null" % ln.split()[4])
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=HANDLERS)
def handler(request, cri_env):
    d = cri_env[0]
    if request.param not in d.runtimes:
        pytest.skip("%s is not installed: no runc self-check" % RUNC)
    return request.param


class Pods:
    """One test's pods: builds configs like the kubelet, remembers what it
    made, judges what StopPodSandbox/RemovePodSandbox left."""

    def __init__(self, d, cri, pb, handler, work):
        self.d, self.cri, self.pb, self.handler, self.work = d, cri, pb, handler, work
        self.pods = {}  # sandbox id -> (config, cgroup parent, netns path)
        self.ctrs = {}  # container id -> sandbox id

    # ------------------------------------------------------------ sandboxes
    def sandbox_config(self, name="pod", hostname=None, pid=None, network=None, privileged=False,
                       cgroup_parent=None, sysctls=None, dns=None, run_as_user=None, readonly=False,
                       seccomp=None):
        pb = self.pb
        uid = helpers.new_id("cri")
        ns = pb.NamespaceOption(pid=pb.CONTAINER if pid is None else pid,
                                network=pb.POD if network is None else network, ipc=pb.POD)
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="ocirun-test", attempt=0),
            hostname=hostname if hostname is not None else ("" if network == pb.NODE else name + "-host"),
            log_directory=str(self.work / "logs" / uid),
            dns_config=dns,
            labels={"ocirun-test": str(os.getpid())},
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent=cgroup_parent or "%s/%s" % (helpers.CGROUP_PREFIX, uid),
                sysctls=sysctls or {},
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=ns, privileged=privileged, readonly_rootfs=readonly, seccomp=seccomp,
                    run_as_user=None if run_as_user is None else pb.Int64Value(value=run_as_user))))

    def run(self, config=None, **kw):
        cfg = config or self.sandbox_config(**kw)
        os.makedirs(cfg.log_directory, exist_ok=True)
        sid = self.cri.RunPodSandbox(config=cfg, runtime_handler=self.handler).pod_sandbox_id
        info = self.sandbox_info(sid)
        netns = None
        for n in info["runtimeSpec"]["linux"].get("namespaces", []):
            if n["type"] == "network" and n.get("path"):
                netns = n["path"]
        self.pods[sid] = (cfg, cfg.linux.cgroup_parent, netns)
        return sid, cfg

    def sandbox_info(self, sid):
        r = self.cri.PodSandboxStatus(pod_sandbox_id=sid, verbose=True)
        return json.loads(r.info["info"])

    def sandbox_pid(self, sid):
        return self.sandbox_info(sid)["pid"]

    # ------------------------------------------------------------ containers
    def container_config(self, name, command, attempt=0, tty=False, stdin=False, resources=None,
                         security=None, envs=(), log_path=None, mounts=(), devices=(), working_dir=""):
        pb = self.pb
        return pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=attempt),
            image=pb.ImageSpec(image=BUSYBOX), command=list(command), working_dir=working_dir,
            envs=[pb.KeyValue(key=k, value=v) for k, v in envs],
            mounts=list(mounts), devices=list(devices),
            log_path=log_path or "%s/%d.log" % (name, attempt),
            tty=tty, stdin=stdin,
            linux=pb.LinuxContainerConfig(resources=resources, security_context=security))

    def create(self, sid, name, command, start=True, **kw):
        cfg = self.pods[sid][0]
        ccfg = self.container_config(name, command, **kw)
        # the kubelet copies the pod's namespace options into every
        # container's security context (containerd reads the container's)
        ccfg.linux.security_context.namespace_options.CopyFrom(
            cfg.linux.security_context.namespace_options)
        if not ccfg.linux.security_context.privileged:
            ccfg.linux.security_context.masked_paths.extend(MASKED_PATHS)
            ccfg.linux.security_context.readonly_paths.extend(READONLY_PATHS)
        os.makedirs(os.path.join(cfg.log_directory, os.path.dirname(ccfg.log_path)), exist_ok=True)
        cid = self.cri.CreateContainer(pod_sandbox_id=sid, config=ccfg, sandbox_config=cfg).container_id
        self.ctrs[cid] = sid
        if start:
            self.cri.StartContainer(container_id=cid)
        return cid

    def status(self, cid):
        return self.cri.ContainerStatus(container_id=cid).status

    def pid(self, cid):
        return json.loads(self.cri.ContainerStatus(container_id=cid, verbose=True).info["info"])["pid"]

    def wait_exited(self, cid, timeout=30):
        try:
            wait_for(lambda: self.status(cid).state == self.pb.CONTAINER_EXITED, timeout=timeout)
        except TimeoutError:
            raise AssertionError("container %s did not exit: %s" % (cid, self.status(cid)))
        return self.status(cid)

    def exec_sync(self, cid, *cmd, timeout=20):
        r = self.cri.ExecSync(container_id=cid, cmd=list(cmd), timeout=timeout)
        return r.exit_code, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def sh(self, cid, script):
        """ExecSync `sh -c script`; its stdout, asserting exit 0."""
        rc, out, err = self.exec_sync(cid, "sh", "-c", script)
        assert rc == 0, (script, rc, out, err)
        return out

    def log(self, sid, cid):
        st = self.status(cid)
        try:
            # bytes: a tty's lone \r must not become a line break
            return Path(st.log_path).read_bytes().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def runtime_cli(self, *args):
        """The handler's binary on the shim's --root (ocirun or runc)."""
        argv = [self.d.runtimes[self.handler], "--root", str(self.d.runtime_root(self.handler) / crilib.K8S_NS)]
        argv += [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        return ctrlib.Result(argv, p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))

    # ------------------------------------------------------------ what is left
    def runtime_state(self):
        """State dirs in the runtime's --root (the shim's Root + /k8s.io)."""
        try:
            return set(os.listdir(self.d.runtime_root(self.handler) / crilib.K8S_NS))
        except FileNotFoundError:
            return set()

    def cgroups_below(self, parent):
        res = []
        for d in helpers.cgroup_dirs_for(parent):
            res += [str(p) for p in d.iterdir() if p.is_dir()]
        return res

    def left_behind(self, sid):
        cfg, parent, netns = self.pods[sid]
        ids = {sid} | {c for c, s in self.ctrs.items() if s == sid}
        out = []
        st = self.runtime_state() & ids
        if st:
            out.append("runtime state %s" % sorted(st))
        cg = self.cgroups_below(parent)
        if cg:
            out.append("cgroups %s" % cg)
        mnts = [ln.split()[4] for ln in helpers.mounts_mentioning(self.d.base) if any(i in ln for i in ids)]
        if mnts:
            out.append("mounts %s" % mnts)
        if netns and os.path.exists(netns):
            out.append("netns %s" % netns)
        shims = [p for p, c in self.d.shims().items() if c in ids]
        if shims:
            out.append("shim %s" % [helpers.proc_desc(p) for p in shims])
        if self.d.shim_socket(sid).exists():
            out.append("shim socket %s" % self.d.shim_socket(sid))
        procs = [p for p in helpers.procs_rooted_in(self.d.state) if rtlib.pid_alive(p)
                 and any(i in os.readlink("/proc/%d/root" % p) for i in ids)]
        if procs:
            out.append("processes %s" % [helpers.proc_desc(p) for p in procs])
        return out

    def remove(self, sid):
        """What the kubelet does when a pod goes: StopPodSandbox, RemovePodSandbox."""
        self.cri.StopPodSandbox(pod_sandbox_id=sid)
        self.cri.RemovePodSandbox(pod_sandbox_id=sid)

    def judge(self, sid, timeout=10):
        """[] or what the pod left (after a moment for the shim to go)."""
        try:
            wait_for(lambda: not self.left_behind(sid), timeout=timeout)
            return []
        except TimeoutError:
            return self.left_behind(sid)


@pytest.fixture
def pods(cri_env, handler, work):
    d, cri, pb = cri_env
    p = Pods(d, cri, pb, handler, work)
    yield p
    leaks = []
    for sid in list(p.pods):
        try:
            p.remove(sid)
        except crilib.CriError as e:
            if e.code != "NOT_FOUND":  # the test removed it
                leaks.append("%s: %s" % (sid[:12], e))
        left = p.judge(sid)
        if left:
            leaks.append("%s: %s" % (sid[:12], "; ".join(left)))
    for sid, (cfg, parent, netns) in p.pods.items():
        # the pod's cgroup (the kubelet's to make and remove), then by hand
        # whatever the runtime left below it
        helpers.remove_cgroup(parent)
        if netns and os.path.exists(netns):
            os.system("umount '%s' 2>/dev/null" % netns)
            try:
                os.unlink(netns)
            except OSError:
                pass
    for pid, c in d.shims().items():
        if c in p.pods:
            os.kill(pid, 9)
    rtlib.reap_orphans()
    if leaks:
        pytest.fail("left behind: " + " | ".join(leaks), pytrace=False)


def ns_of(pid, kind):
    return os.readlink("/proc/%d/ns/%s" % (pid, kind))


def caps(status_text, field="CapEff"):
    for ln in status_text.splitlines():
        if ln.startswith(field + ":"):
            return int(ln.split()[1], 16)
    raise AssertionError("no %s in %r" % (field, status_text))


def cgroup_file(parent, cid, controller, name):
    return Path("/sys/fs/cgroup") / controller / parent.lstrip("/") / cid / name


# ================================================================ sandboxes
def test_sandbox_has_own_namespaces(pods, host_ns):
    pb = pods.pb
    sid, cfg = pods.run(name="solo")
    st = pods.cri.PodSandboxStatus(pod_sandbox_id=sid).status
    assert st.state == pb.SANDBOX_READY, st
    assert st.runtime_handler == pods.handler
    # the loopback-only network: the pod's address is its own lo's
    assert st.network.ip == "127.0.0.1", st
    # the runtime under test made it: its state dir is in the handler's
    # root, and its `state` agrees with the CRI's pid
    assert sid in pods.runtime_state()
    pid = pods.sandbox_pid(sid)
    state = pods.runtime_cli("state", sid)
    assert state.rc == 0, state
    assert json.loads(state.out)["status"] == "running" and json.loads(state.out)["pid"] == pid, state
    assert Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")[0] == b"/pause"
    for kind in ("net", "ipc", "uts", "mnt", "pid"):
        assert ns_of(pid, kind) != host_ns[kind], kind
    # the pause process is pid 1 of its own pid namespace
    nspid = [ln for ln in Path("/proc/%d/status" % pid).read_text().splitlines() if ln.startswith("NSpid:")]
    assert nspid[0].split()[-1] == "1", nspid
    # its cgroup is below the pod's cgroup parent
    cg = Path("/proc/%d/cgroup" % pid).read_text()
    assert "%s/%s" % (cfg.linux.cgroup_parent, sid) in cg, cg


def test_two_containers_share_the_pod(pods):
    """pid = POD: both containers and the pause process in one pid ns; net,
    ipc, uts are the sandbox's; localhost reaches the other container."""
    pb = pods.pb
    sid, cfg = pods.run(name="shared", pid=pb.POD)
    pause = pods.sandbox_pid(sid)
    server = pods.create(sid, "server", [
        "sh", "-c", "printf '#!/bin/sh\\necho from-server-$(hostname)\\n' > /tmp/a.sh; chmod +x /tmp/a.sh; "
        "exec nc -ll -p 8080 -e /tmp/a.sh"])
    client = pods.create(sid, "client", ["sleep", "1000"])
    for cid in (server, client):
        assert pods.status(cid).state == pb.CONTAINER_RUNNING
        pid = pods.pid(cid)
        for kind in ("net", "ipc", "uts", "pid"):
            assert ns_of(pid, kind) == ns_of(pause, kind), (cid, kind)
        assert ns_of(pid, "mnt") != ns_of(pause, "mnt")
        assert pods.sh(cid, "hostname").strip() == cfg.hostname
        # the shared pid namespace: pid 1 is the sandbox's pause
        assert pods.sh(cid, "cat /proc/1/cmdline | tr '\\0' ' '").strip() == "/pause"
    # inode of the netns, seen from inside both
    assert pods.sh(server, "readlink /proc/self/ns/net") == pods.sh(client, "readlink /proc/self/ns/net")
    # the pod's /dev/shm (containerd's tmpfs of the sandbox) is one for both
    pods.sh(server, "echo shm-shared > /dev/shm/note")
    assert pods.sh(client, "cat /dev/shm/note") == "shm-shared\n"
    # the client sees the server's nc, and reaches it over localhost
    assert "nc -ll -p 8080" in pods.sh(client, "ps -o args")
    try:
        wait_for(lambda: "from-server-" + cfg.hostname in
                 pods.exec_sync(client, "sh", "-c", "nc -w 5 localhost 8080 </dev/null")[1], timeout=15)
    except TimeoutError:
        raise AssertionError(pods.exec_sync(client, "sh", "-c", "nc -w 5 localhost 8080 </dev/null; netstat -ltn"))


def test_pid_namespace_per_container(pods):
    """pid = CONTAINER (the kubelet's default): the container's init is pid 1,
    the pause process is not visible; net/uts are still the pod's."""
    sid, cfg = pods.run(name="ownpid")
    pause = pods.sandbox_pid(sid)
    cid = pods.create(sid, "c", ["sleep", "1000"])
    pid = pods.pid(cid)
    assert ns_of(pid, "pid") != ns_of(pause, "pid")
    assert ns_of(pid, "net") == ns_of(pause, "net")
    assert pods.sh(cid, "cat /proc/1/cmdline | tr '\\0' ' '").strip() == "sleep 1000"
    assert "pause" not in pods.sh(cid, "ps -o args")
    # the loopback-only network: `lo`, up, and nothing else
    links = pods.sh(cid, "ip -o link").splitlines()
    assert len(links) == 1 and links[0].split()[1] == "lo:" and "UP" in links[0], links
    assert "127.0.0.1" in pods.sh(cid, "ip -o -4 addr show dev lo")


def test_host_network(pods, host_ns):
    pb = pods.pb
    sid, cfg = pods.run(name="hostnet", network=pb.NODE)
    pause = pods.sandbox_pid(sid)
    assert ns_of(pause, "net") == host_ns["net"]
    assert ns_of(pause, "uts") == host_ns["uts"]
    assert ns_of(pause, "ipc") != host_ns["ipc"]
    cid = pods.create(sid, "c", ["sleep", "1000"])
    assert ns_of(pods.pid(cid), "net") == host_ns["net"]
    assert pods.sh(cid, "cat /proc/sys/kernel/hostname") == Path("/proc/sys/kernel/hostname").read_text()


# ================================================================ containers
def test_status_logs_and_exit(pods):
    pb = pods.pb
    sid, cfg = pods.run(name="logs")
    cid = pods.create(sid, "logger", ["sh", "-c", "echo to-out; echo to-err >&2; printf no-newline; "
                                      "exec sleep 1000"])
    st = pods.status(cid)
    assert st.state == pb.CONTAINER_RUNNING and st.started_at > 0 and st.finished_at == 0, st
    assert st.metadata.name == "logger" and st.image.image == BUSYBOX
    assert st.log_path == os.path.join(cfg.log_directory, "logger/0.log")
    try:
        wait_for(lambda: "to-err" in pods.log(sid, cid), timeout=15)
    except TimeoutError:
        raise AssertionError("log: %r" % pods.log(sid, cid))
    lines = crilib.parse_cri_log(pods.log(sid, cid))
    got = [(s, t, c) for _, s, t, c in lines]
    assert ("stdout", "F", "to-out") in got and ("stderr", "F", "to-err") in got, got
    pods.cri.StopContainer(container_id=cid, timeout=0)
    st = pods.wait_exited(cid)
    assert st.exit_code == 137 and st.finished_at >= st.started_at, st
    # the unterminated last line is written when the stream ends
    assert "no-newline" in [c for _, s, _, c in crilib.parse_cri_log(pods.log(sid, cid)) if s == "stdout"]

    c2 = pods.create(sid, "fails", ["sh", "-c", "exit 7"])
    st = pods.wait_exited(c2)
    assert st.exit_code == 7 and st.reason == "Error", st
    # a command that does not exist: CreateContainer or StartContainer fails
    # naming it, and the container is not left running
    with pytest.raises(crilib.CriError) as ei:
        pods.create(sid, "nosuch", ["/no/such/binary"])
    assert "/no/such/binary" in ei.value.details, ei.value


def test_exec_sync(pods):
    sid, cfg = pods.run(name="execsync")
    cid = pods.create(sid, "c", ["sleep", "1000"], envs=[("GREETING", "hello")])
    rc, out, err = pods.exec_sync(cid, "sh", "-c", "echo out-$GREETING; echo err-line >&2; exit 3")
    assert (rc, out, err) == (3, "out-hello\n", "err-line\n")
    rc, out, err = pods.exec_sync(cid, "id", "-u")
    assert (rc, out.strip()) == (0, "0")
    # a command that does not exist
    try:
        rc, out, err = pods.exec_sync(cid, "/no/such/binary")
        assert rc != 0, (rc, out, err)
    except crilib.CriError as e:
        assert "no such file" in e.details.lower() or "not found" in e.details.lower(), e
    # the timeout: containerd ends the exec'd process and reports the deadline
    with pytest.raises(crilib.CriError) as ei:
        pods.exec_sync(cid, "sleep", "77", timeout=1)
    assert "timeout" in ei.value.details.lower() or ei.value.code == "DEADLINE_EXCEEDED", ei.value
    try:
        wait_for(lambda: "sleep 77" not in pods.sh(cid, "ps -o args"), timeout=15)
    except TimeoutError:
        raise AssertionError("the timed-out exec is still running: %s" % pods.sh(cid, "ps -o pid,args"))
    # and the container is still fine
    assert pods.sh(cid, "echo alive") == "alive\n"


def test_exec_stream_tty(pods):
    """Exec with a tty over the streaming server: an interactive shell that
    sees the resize, reads stdin and reports its exit code."""
    sid, cfg = pods.run(name="exectty")
    cid = pods.create(sid, "c", ["sleep", "1000"])
    url = pods.cri.Exec(container_id=cid, cmd=["sh"], tty=True, stdin=True, stdout=True).url
    res = crilib.stream(url, resize=(101, 33),
                        stdin_chunks=["tty; stty size; echo sum-$((40+2)); exit 5\n"], until=["#"])
    out = res.out[crilib.STDOUT].decode(errors="replace")
    assert "/dev/pts/" in out and "33 101" in out and "sum-42" in out, res
    assert res.exit_code == 5, res
    assert res.out[crilib.STDERR] == b""


def test_exec_stream_no_tty(pods):
    sid, cfg = pods.run(name="execpipe")
    cid = pods.create(sid, "c", ["sleep", "1000"])
    url = pods.cri.Exec(container_id=cid, cmd=["sh", "-c", "echo o1; echo e1 >&2; [ -t 1 ] || echo notty; "
                                               "exit 2"], stdout=True, stderr=True).url
    res = crilib.stream(url)
    assert res.out[crilib.STDOUT] == b"o1\nnotty\n" and res.out[crilib.STDERR] == b"e1\n", res
    assert res.exit_code == 2, res
    url = pods.cri.Exec(container_id=cid, cmd=["true"], stdout=True).url
    assert crilib.stream(url).exit_code == 0


def test_attach_tty(pods):
    """A tty container with stdin (`kubectl run -it`): Attach, type, see the
    echo; `exit` ends the container; the log has the session."""
    sid, cfg = pods.run(name="attach")
    cid = pods.create(sid, "shell", ["sh"], tty=True, stdin=True)
    url = pods.cri.Attach(container_id=cid, stdin=True, tty=True, stdout=True).url
    res = crilib.stream(url, resize=(90, 20), stdin_chunks=["\n", "echo attached-$((6*7)); stty size\n", "exit 4\n"],
                        until=[None, "#", "attached-42"])
    out = res.out[crilib.STDOUT].decode(errors="replace")
    assert "attached-42" in out and "20 90" in out, res
    st = pods.wait_exited(cid)
    assert st.exit_code == 4, st
    log = crilib.parse_cri_log(pods.log(sid, cid))
    assert any("attached-42" in c for _, s, _, c in log if s == "stdout"), log


def test_update_resources_and_stats(pods):
    pb = pods.pb
    sid, cfg = pods.run(name="update")
    parent = cfg.linux.cgroup_parent
    cid = pods.create(sid, "c", ["sh", "-c", "while :; do :; done"],
                      resources=pb.LinuxContainerResources(memory_limit_in_bytes=64 << 20, cpu_shares=512,
                                                           cpu_period=100000, cpu_quota=20000))
    mem = cgroup_file(parent, cid, "memory", "memory.limit_in_bytes")
    shares = cgroup_file(parent, cid, "cpu", "cpu.shares")
    quota = cgroup_file(parent, cid, "cpu", "cpu.cfs_quota_us")
    if not mem.exists():
        pytest.skip("no cgroup v1 memory controller at %s" % mem.parent)
    assert int(mem.read_text()) == 64 << 20
    assert int(shares.read_text()) == 512
    assert int(quota.read_text()) == 20000
    cpus = Path("/sys/fs/cgroup/cpuset/cpuset.cpus").read_text().strip()
    first_cpu = cpus.split(",")[0].split("-")[0]
    pods.cri.UpdateContainerResources(container_id=cid, linux=pb.LinuxContainerResources(
        memory_limit_in_bytes=128 << 20, cpu_shares=256, cpu_period=100000, cpu_quota=50000,
        cpuset_cpus=first_cpu))
    assert cgroup_file(parent, cid, "cpuset", "cpuset.cpus").read_text().strip() == first_cpu
    memsw = cgroup_file(parent, cid, "memory", "memory.memsw.limit_in_bytes")
    if memsw.exists():
        # containerd sets swap = memory (no swapping): memsw raised first
        assert int(memsw.read_text()) == 128 << 20
    # and down again: the memory limit must go first, then memsw
    pods.cri.UpdateContainerResources(container_id=cid, linux=pb.LinuxContainerResources(
        memory_limit_in_bytes=32 << 20, cpu_shares=256, cpu_period=100000, cpu_quota=50000,
        cpuset_cpus=first_cpu))
    assert int(mem.read_text()) == 32 << 20
    if memsw.exists():
        assert int(memsw.read_text()) == 32 << 20
    pods.cri.UpdateContainerResources(container_id=cid, linux=pb.LinuxContainerResources(
        memory_limit_in_bytes=128 << 20, cpu_shares=256, cpu_period=100000, cpu_quota=50000,
        cpuset_cpus=first_cpu))
    assert "Cpus_allowed_list:\t%s\n" % first_cpu in pods.sh(cid, "cat /proc/self/status")
    assert int(mem.read_text()) == 128 << 20
    assert int(shares.read_text()) == 256
    assert int(quota.read_text()) == 50000
    # the container's own view agrees (its cgroup namespace or the host path)
    assert str(128 << 20) in pods.sh(cid, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                                     "/sys/fs/cgroup/memory/%s/%s/memory.limit_in_bytes 2>/dev/null; true"
                                     % (parent.lstrip("/"), cid))

    def stats():
        return pods.cri.ContainerStats(container_id=cid).stats
    try:
        wait_for(lambda: stats().cpu.usage_core_nano_seconds.value > 0, timeout=15)
    except TimeoutError:
        raise AssertionError(stats())
    s = stats()
    assert s.attributes.id == cid and s.attributes.metadata.name == "c"
    assert s.memory.working_set_bytes.value > 0 and s.memory.usage_bytes.value > 0, s
    assert s.cpu.timestamp > 0


def test_stop_grace_period(pods):
    """StopContainer(timeout): SIGTERM first; SIGKILL when it is ignored."""
    pb = pods.pb
    sid, cfg = pods.run(name="grace")
    polite = pods.create(sid, "polite", ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo ready; "
                                         "while :; do sleep 0.1; done"])
    stubborn = pods.create(sid, "stubborn", ["sh", "-c", "trap 'echo ignored-term' TERM; echo ready; "
                                             "while :; do sleep 0.1; done"])
    for cid in (polite, stubborn):
        wait_for(lambda: "ready" in pods.log(sid, cid), timeout=15)
    pods.cri.StopContainer(container_id=polite, timeout=30)
    st = pods.status(polite)
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 0, st
    assert "got-term" in pods.log(sid, polite)
    pods.cri.StopContainer(container_id=stubborn, timeout=2)
    st = pods.status(stubborn)
    assert st.state == pb.CONTAINER_EXITED and st.exit_code == 137, st
    # it got (and ignored) the SIGTERM before the SIGKILL
    assert "ignored-term" in pods.log(sid, stubborn)
    # stopping again is not an error (the kubelet retries)
    pods.cri.StopContainer(container_id=stubborn, timeout=2)


def test_remove_pod_leaves_nothing(pods):
    pb = pods.pb
    sid, cfg = pods.run(name="gone", pid=pb.POD)
    a = pods.create(sid, "a", ["sleep", "1000"])
    b = pods.create(sid, "b", ["sh", "-c", "sleep 1000 & sleep 1000"])
    ids = {sid, a, b}
    assert ids <= pods.runtime_state()
    assert len(pods.cgroups_below(cfg.linux.cgroup_parent)) >= 3
    netns = pods.pods[sid][2]
    assert netns and os.path.exists(netns)
    pids = [pods.sandbox_pid(sid), pods.pid(a), pods.pid(b)]
    pods.remove(sid)
    assert pods.judge(sid) == []
    assert not (ids & pods.runtime_state())
    assert not any(rtlib.pid_alive(p) for p in pids)
    with pytest.raises(crilib.CriError):
        pods.cri.PodSandboxStatus(pod_sandbox_id=sid)
    # RemovePodSandbox again: idempotent
    pods.cri.RemovePodSandbox(pod_sandbox_id=sid)


def test_crash_loop_restarts(pods):
    """The kubelet's restart of a crashing container: each attempt is a new
    container (CreateContainer with the next attempt number, then
    StartContainer); the previous one is removed once the next runs."""
    pb = pods.pb
    sid, cfg = pods.run(name="crashloop")
    seen = []
    prev = None
    for attempt in range(4):  # the first run and three restarts
        cid = pods.create(sid, "crasher", ["sh", "-c", "echo attempt-$ATTEMPT; exit 3"], attempt=attempt,
                          envs=[("ATTEMPT", str(attempt))])
        st = pods.wait_exited(cid)
        assert st.exit_code == 3 and st.metadata.attempt == attempt, st
        assert "attempt-%d" % attempt in pods.log(sid, cid)
        if prev:
            pods.cri.RemoveContainer(container_id=prev)
        prev = cid
        seen.append(cid)
    assert len(set(seen)) == 4
    left = pods.cri.ListContainers(filter=pb.ContainerFilter(pod_sandbox_id=sid)).containers
    assert [(c.id, c.metadata.attempt) for c in left] == [(seen[-1], 3)]
    # the removed attempts are gone from the runtime too
    assert not (set(seen[:-1]) & pods.runtime_state())
    # every attempt has its own log file
    for attempt in range(4):
        assert "attempt-%d" % attempt in (Path(cfg.log_directory) / ("crasher/%d.log" % attempt)).read_text()


# ================================================================ security context
def test_run_as_user_and_readonly_rootfs(pods):
    pb = pods.pb
    sid, cfg = pods.run(name="secctx")
    sc = pb.LinuxContainerSecurityContext(run_as_user=pb.Int64Value(value=1000),
                                          run_as_group=pb.Int64Value(value=2000),
                                          supplemental_groups=[3000], readonly_rootfs=True,
                                          no_new_privs=True)
    cid = pods.create(sid, "c", ["sleep", "1000"], security=sc)
    assert pods.sh(cid, "id -u; id -g").split() == ["1000", "2000"]
    status = pods.sh(cid, "cat /proc/1/status")
    assert "NoNewPrivs:\t1" in status
    # a non-root user keeps no effective capabilities
    assert caps(status) == 0, hex(caps(status))
    assert "3000" in pods.sh(cid, "id -G").split()
    assert pods.sh(cid, "cat /proc/1/status | grep ^Uid:").split()[1:] == ["1000"] * 4
    rc, out, err = pods.exec_sync(cid, "touch", "/newfile")
    assert rc != 0 and "Read-only file system" in err, (rc, out, err)
    # the pod's /dev/shm is a tmpfs of its own: writable on a read-only rootfs
    assert pods.sh(cid, "touch /dev/shm/x && echo ok") == "ok\n"


def test_capabilities_add_drop(pods):
    pb = pods.pb
    sid, cfg = pods.run(name="caps")
    sc = pb.LinuxContainerSecurityContext(capabilities=pb.Capability(add_capabilities=["SYS_TIME"],
                                                                     drop_capabilities=["CHOWN"]))
    cid = pods.create(sid, "c", ["sleep", "1000"], security=sc)
    eff = caps(pods.sh(cid, "cat /proc/self/status"))
    assert eff & (1 << CAP_SYS_TIME) and not eff & (1 << CAP_CHOWN) and eff & (1 << CAP_KILL), hex(eff)
    assert not eff & (1 << CAP_SYS_ADMIN), hex(eff)
    bnd = caps(pods.sh(cid, "cat /proc/self/status"), "CapBnd")
    assert not bnd & (1 << CAP_CHOWN), hex(bnd)
    rc, out, err = pods.exec_sync(cid, "chown", "1:1", "/tmp")
    assert rc != 0, (rc, out, err)
    # drop ALL, add one
    sc = pb.LinuxContainerSecurityContext(capabilities=pb.Capability(add_capabilities=["NET_RAW"],
                                                                     drop_capabilities=["ALL"]))
    c2 = pods.create(sid, "c2", ["sleep", "1000"], security=sc)
    assert caps(pods.sh(c2, "cat /proc/self/status")) == 1 << CAP_NET_RAW


def test_seccomp(pods):
    pb = pods.pb
    sid, cfg = pods.run(name="seccomp")
    rd = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))
    cid = pods.create(sid, "default", ["sleep", "1000"], security=rd)
    assert "Seccomp:\t2" in pods.sh(cid, "cat /proc/self/status")
    # containerd's default profile refuses unshare(CLONE_NEWUSER... ) without
    # CAP_SYS_ADMIN; the everyday syscalls work
    rc, out, err = pods.exec_sync(cid, "unshare", "-U", "true")
    assert rc != 0, (rc, out, err)
    assert pods.sh(cid, "echo fine") == "fine\n"
    un = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.Unconfined))
    c2 = pods.create(sid, "unconfined", ["sleep", "1000"], security=un)
    assert "Seccomp:\t0" in pods.sh(c2, "cat /proc/self/status")
    # a profile of the node's (Localhost): mkdir refused with EPERM
    prof = pods.work / "no-mkdir.json"
    prof.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}))
    lh = pb.LinuxContainerSecurityContext(seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.Localhost,
                                                                     localhost_ref=str(prof)))
    c3 = pods.create(sid, "localhost", ["sleep", "1000"], security=lh)
    rc, out, err = pods.exec_sync(c3, "mkdir", "/tmp/d")
    assert rc != 0 and "not permitted" in err, (rc, out, err)
    assert pods.sh(c3, "touch /tmp/f && echo ok") == "ok\n"


def test_privileged(pods, host_ns):
    pb = pods.pb
    sid, cfg = pods.run(name="priv", privileged=True)
    cid = pods.create(sid, "c", ["sleep", "1000"],
                      security=pb.LinuxContainerSecurityContext(privileged=True))
    status = pods.sh(cid, "cat /proc/self/status")
    host_bnd = caps(Path("/proc/self/status").read_text(), "CapBnd")
    assert caps(status) == host_bnd, (hex(caps(status)), hex(host_bnd))
    assert "Seccomp:\t0" in status
    # host devices; no masked or read-only paths (elsewhere /proc/keys is
    # /dev/null and /proc/sys a read-only bind mount)
    assert pods.sh(cid, "test -c /dev/kmsg && echo dev") == "dev\n"
    assert pods.sh(cid, "test -c /proc/keys || echo unmasked") == "unmasked\n"
    assert pods.sh(cid, "grep -c ' /proc/sys ' /proc/self/mountinfo; true") == "0\n"
    # an unprivileged sibling in the same pod stays confined
    c2 = pods.create(sid, "plain", ["sleep", "1000"])
    assert not caps(pods.sh(c2, "cat /proc/self/status")) & (1 << CAP_SYS_ADMIN)
    assert pods.sh(c2, "test -c /proc/keys && echo masked; test -e /dev/kmsg || echo nokmsg") == "masked\nnokmsg\n"
    assert " ro," in pods.sh(c2, "grep ' /proc/sys ' /proc/self/mountinfo")


def test_mounts_devices_and_pod_files(pods):
    """What every kubelet container has: host-path volumes (rw and ro), a
    device, a working dir, and the pod's /etc/hostname, /etc/hosts,
    /etc/resolv.conf (containerd's files of the sandbox, bind-mounted)."""
    pb = pods.pb
    vol = pods.work / "vol"
    vol.mkdir()
    (vol / "in").write_text("from-host\n")
    ro = pods.work / "ro"
    ro.mkdir()
    (ro / "f").write_text("read-only\n")
    dns = pb.DNSConfig(servers=["192.0.2.53"], searches=["ocirun.test"], options=["ndots:2"])
    sid, cfg = pods.run(name="files", dns=dns)
    term = pods.work / "termination-log"
    term.write_text("")
    secrets = pods.work / "secrets"
    secrets.mkdir()
    (secrets / "token").write_text("s3cr3t")
    cid = pods.create(sid, "c", ["sleep", "1000"], working_dir="/data",
                      mounts=[pb.Mount(container_path="/data", host_path=str(vol)),
                              pb.Mount(container_path="/ro", host_path=str(ro), readonly=True),
                              # what the kubelet adds to every container: a file
                              # in /dev (a tmpfs) and a nested, absent read-only dir
                              pb.Mount(container_path="/dev/termination-log", host_path=str(term)),
                              pb.Mount(container_path="/var/run/secrets/kubernetes.io/serviceaccount",
                                       host_path=str(secrets), readonly=True)],
                      devices=[pb.Device(container_path="/dev/xnull", host_path="/dev/null", permissions="rwm"),
                               # not in the default allow list; writing it changes nothing
                               pb.Device(container_path="/dev/lc", host_path="/dev/loop-control",
                                         permissions="r")])
    assert pods.sh(cid, "pwd; cat in; echo from-pod > out") == "/data\nfrom-host\n"
    assert (vol / "out").read_text() == "from-pod\n"
    rc, out, err = pods.exec_sync(cid, "sh", "-c", "echo x > /ro/g")
    assert rc != 0 and "Read-only file system" in err, (rc, out, err)
    assert pods.sh(cid, "cat /ro/f") == "read-only\n"
    pods.sh(cid, "echo bye > /dev/termination-log")
    assert term.read_text() == "bye\n"
    assert pods.sh(cid, "cat /var/run/secrets/kubernetes.io/serviceaccount/token") == "s3cr3t"
    assert pods.sh(cid, "stat -c '%F %t,%T' /dev/xnull; echo data > /dev/xnull && echo wrote") == \
        "character special file 1,3\nwrote\n"
    # "r" only: the device cgroup lets it be opened for reading, not writing
    assert pods.sh(cid, "exec 3< /dev/lc && echo opened") == "opened\n"
    rc, out, err = pods.exec_sync(cid, "sh", "-c", "exec 3> /dev/lc")
    assert rc != 0 and "not permitted" in err, (rc, out, err)
    assert pods.sh(cid, "cat /etc/hostname").strip() == cfg.hostname
    resolv = pods.sh(cid, "cat /etc/resolv.conf")
    assert "nameserver 192.0.2.53" in resolv and "search ocirun.test" in resolv and "ndots:2" in resolv, resolv
    assert "localhost" in pods.sh(cid, "cat /etc/hosts")


def test_sandbox_sysctls(pods):
    """Pod sysctls (namespaced ones: net.*, kernel.shm*) are set in the
    sandbox and seen by its containers, the host's stay as they were."""
    host_ping = Path("/proc/sys/net/ipv4/ping_group_range").read_text()
    host_shm = Path("/proc/sys/kernel/shm_rmid_forced").read_text()
    sid, cfg = pods.run(name="sysctl", sysctls={"net.ipv4.ping_group_range": "1000 2000",
                                                "kernel.shm_rmid_forced": "1" if host_shm.strip() == "0" else "0"})
    cid = pods.create(sid, "c", ["sleep", "1000"])
    assert pods.sh(cid, "cat /proc/sys/net/ipv4/ping_group_range").split() == ["1000", "2000"]
    assert pods.sh(cid, "cat /proc/sys/kernel/shm_rmid_forced") != host_shm
    assert Path("/proc/sys/net/ipv4/ping_group_range").read_text() == host_ping
    assert Path("/proc/sys/kernel/shm_rmid_forced").read_text() == host_shm


def test_oom_killed(pods):
    """A container over its memory limit: the kernel kills it and the CRI
    reports OOMKilled (the shim watches the container's memory cgroup; the
    event may land just after the exit, so the reason is polled)."""
    pb = pods.pb
    sid, cfg = pods.run(name="oom")
    mem = 16 << 20
    cid = pods.create(sid, "hog", ["sh", "-c", "echo start; exec dd if=/dev/zero of=/dev/null bs=64M count=1"],
                      resources=pb.LinuxContainerResources(memory_limit_in_bytes=mem,
                                                           memory_swap_limit_in_bytes=mem))
    st = pods.wait_exited(cid)
    assert st.exit_code == 137, (st, pods.log(sid, cid))
    try:
        wait_for(lambda: pods.status(cid).reason == "OOMKilled", timeout=10)
    except TimeoutError:
        raise AssertionError("no OOMKilled: %s" % pods.status(cid))


def test_host_pid_and_ipc(pods, host_ns):
    """hostPID/hostIPC pods: no pid or ipc namespace of their own."""
    pb = pods.pb
    cfg = pods.sandbox_config(name="hostpid", pid=pb.NODE)
    cfg.linux.security_context.namespace_options.ipc = pb.NODE
    sid, cfg = pods.run(config=cfg)
    pause = pods.sandbox_pid(sid)
    assert ns_of(pause, "pid") == host_ns["pid"] and ns_of(pause, "ipc") == host_ns["ipc"]
    assert ns_of(pause, "net") != host_ns["net"]
    cid = pods.create(sid, "c", ["sleep", "1000"])
    pid = pods.pid(cid)
    assert ns_of(pid, "pid") == host_ns["pid"] and ns_of(pid, "ipc") == host_ns["ipc"]
    # it sees the host's processes: ours among them
    assert pods.sh(cid, "test -d /proc/%d && echo seen" % os.getpid()) == "seen\n"


def test_sandbox_as_user_readonly(pods, host_ns):
    """The pod-level security context applies to the pause container: run as
    65535 on a read-only rootfs under the runtime's default seccomp profile
    (what the kubelet sends for a pod with runAsUser,
    readOnlyRootFilesystem and seccompProfile RuntimeDefault)."""
    pb = pods.pb
    sid, cfg = pods.run(name="pauseuser", run_as_user=65535, readonly=True,
                        seccomp=pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault))
    pause = pods.sandbox_pid(sid)
    uids = [ln for ln in Path("/proc/%d/status" % pause).read_text().splitlines() if ln.startswith("Uid:")]
    assert uids[0].split()[1:] == ["65535"] * 4, uids
    assert "Seccomp:\t2" in Path("/proc/%d/status" % pause).read_text()
    info = pods.sandbox_info(sid)
    assert info["runtimeSpec"]["root"].get("readonly") is True
    mnt = [ln for ln in Path("/proc/%d/mountinfo" % pause).read_text().splitlines() if ln.split()[4] == "/"]
    assert mnt and "ro" in mnt[0].split()[5].split(","), mnt


def test_kill_all_on_exit_in_shared_pid_pod(pods):
    """pid = POD: when a container's main process exits, the shim ends what
    it left in its cgroup (`<runtime> kill --all <id> KILL`: the container
    has no pid namespace of its own, so the kernel would not)."""
    pb = pods.pb
    sid, cfg = pods.run(name="killall", pid=pb.POD)
    watcher = pods.create(sid, "watcher", ["sleep", "1000"])
    cid = pods.create(sid, "leaver", ["sh", "-c", "sleep 4242 & echo bg-$!; exit 0"])
    st = pods.wait_exited(cid)
    assert st.exit_code == 0, st
    try:
        wait_for(lambda: "sleep 4242" not in pods.sh(watcher, "ps -o args"), timeout=15)
    except TimeoutError:
        raise AssertionError("the exited container's background process lives on: %s"
                             % pods.sh(watcher, "ps -o pid,args"))
    for d in helpers.cgroup_dirs_for("%s/%s" % (cfg.linux.cgroup_parent, cid)):
        assert (d / "cgroup.procs").read_text().strip() == "", d


def test_pause_killed(pods):
    """The pod's pause process dies (OOM, a stray kill): the sandbox is
    NOTREADY, the pod's containers (pid = POD) die with it, and Stop/Remove
    still clean everything up."""
    pb = pods.pb
    sid, cfg = pods.run(name="pausekill", pid=pb.POD)
    cid = pods.create(sid, "c", ["sleep", "1000"])
    pause = pods.sandbox_pid(sid)
    os.kill(pause, 9)
    try:
        wait_for(lambda: pods.cri.PodSandboxStatus(pod_sandbox_id=sid).status.state == pb.SANDBOX_NOTREADY,
                 timeout=15)
    except TimeoutError:
        raise AssertionError(pods.cri.PodSandboxStatus(pod_sandbox_id=sid).status)
    st = pods.wait_exited(cid)
    assert st.exit_code == 137, st
    pods.remove(sid)
    assert pods.judge(sid) == []


def test_concurrent_pods(pods):
    """The kubelet starts pods in parallel: four pods whose cgroup parents
    share a parent nobody made yet, each with two containers started at
    once."""
    import threading
    shared = "%s/%s" % (helpers.CGROUP_PREFIX, helpers.new_id("crish"))
    cfgs = [pods.sandbox_config(name="par%d" % i, cgroup_parent="%s/pod%d" % (shared, i)) for i in range(4)]
    errors, sids = [], []

    def one(cfg):
        try:
            sid, _ = pods.run(config=cfg)
            sids.append(sid)
            cids = []
            ts = [threading.Thread(target=lambda n=n: cids.append(pods.create(sid, "c%d" % n, ["sleep", "1000"])))
                  for n in range(2)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            for c in cids:
                assert pods.status(c).state == pods.pb.CONTAINER_RUNNING
            assert len(cids) == 2
        except Exception as e:  # noqa: BLE001 -- reported below
            errors.append(repr(e))
    ts = [threading.Thread(target=one, args=(c,)) for c in cfgs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    try:
        assert not errors, errors
        assert len(sids) == 4
    finally:
        for sid in sids:
            pods.remove(sid)
            assert pods.judge(sid) == []
        helpers.remove_cgroup(shared)


def test_attach_no_tty(pods):
    """Attach to a plain container: its stdout and stderr arrive apart."""
    sid, cfg = pods.run(name="attachpipe")
    cid = pods.create(sid, "talker", ["sh", "-c", "while :; do echo tick; echo tock >&2; sleep 0.2; done"])
    ws = crilib.WebSocket(pods.cri.Attach(container_id=cid, stdout=True, stderr=True).url)
    got = {crilib.STDOUT: b"", crilib.STDERR: b""}
    try:
        while b"tick" not in got[crilib.STDOUT] or b"tock" not in got[crilib.STDERR]:
            m = ws.recv()
            assert m is not None, got
            if m[1] and m[1][0] in got:
                got[m[1][0]] += m[1][1:]
    finally:
        ws.close()
    assert b"tock" not in got[crilib.STDOUT] and b"tick" not in got[crilib.STDERR], got


def test_target_pid_namespace(pods):
    """An ephemeral debug container (`kubectl debug --target`): pid =
    TARGET joins another container's pid namespace by path."""
    pb = pods.pb
    sid, cfg = pods.run(name="debug")
    app = pods.create(sid, "app", ["sh", "-c", "exec sleep 3131"])
    ccfg = pods.container_config("debugger", ["sleep", "1000"])
    ccfg.linux.security_context.namespace_options.CopyFrom(
        pb.NamespaceOption(network=pb.POD, ipc=pb.POD, pid=pb.TARGET, target_id=app))
    dbg = pods.cri.CreateContainer(pod_sandbox_id=sid, config=ccfg, sandbox_config=cfg).container_id
    pods.ctrs[dbg] = sid
    pods.cri.StartContainer(container_id=dbg)
    assert ns_of(pods.pid(dbg), "pid") == ns_of(pods.pid(app), "pid")
    assert pods.sh(dbg, "cat /proc/1/cmdline | tr '\\0' ' '").strip() == "sleep 3131"
    pods.cri.StopContainer(container_id=dbg, timeout=0)
    st = pods.wait_exited(dbg)
    assert st.exit_code == 137, st
    # the target lives on
    assert pods.status(app).state == pb.CONTAINER_RUNNING


def test_exec_stream_stdin(pods):
    """Exec with stdin and no tty: bytes in, bytes out, through a pipe."""
    sid, cfg = pods.run(name="execstdin")
    cid = pods.create(sid, "c", ["sleep", "1000"])
    url = pods.cri.Exec(container_id=cid, cmd=["sh", "-c", "head -c 11 | tr a-z A-Z"], stdin=True, stdout=True,
                        stderr=True).url
    res = crilib.stream(url, stdin_chunks=["hello", " world"])
    assert res.out[crilib.STDOUT] == b"HELLO WORLD" and res.exit_code == 0, res


def test_stop_ends_exec_sessions(pods):
    """pid = POD: stopping a container ends the processes exec'd into it
    (they share no pid namespace that would die with its init: the shim's
    `kill --all` must find them in the container's cgroup)."""
    pb = pods.pb
    sid, cfg = pods.run(name="execstop", pid=pb.POD)
    watcher = pods.create(sid, "watcher", ["sleep", "1000"])
    cid = pods.create(sid, "c", ["sleep", "1000"])
    url = pods.cri.Exec(container_id=cid, cmd=["sh", "-c", "echo started; exec sleep 5151"], stdout=True).url
    ws = crilib.WebSocket(url)
    try:
        out = b""
        while b"started" not in out:
            m = ws.recv()
            assert m is not None, out
            if m[1][:1] == bytes([crilib.STDOUT]):
                out += m[1][1:]
        assert "sleep 5151" in pods.sh(watcher, "ps -o args")
        pods.cri.StopContainer(container_id=cid, timeout=5)
        # `sleep` is not its pid namespace's init here: SIGTERM ends it
        assert pods.wait_exited(cid).exit_code == 143
        try:
            wait_for(lambda: "sleep 5151" not in pods.sh(watcher, "ps -o args"), timeout=15)
        except TimeoutError:
            raise AssertionError("exec'd process outlived its container: %s" % pods.sh(watcher, "ps -o pid,args"))
    finally:
        ws.close()


def test_created_never_started(pods):
    """The kubelet may remove a container it created but never started (the
    pod went away in between): its waiting init goes, nothing is left."""
    pb = pods.pb
    sid, cfg = pods.run(name="unstarted")
    cid = pods.create(sid, "c", ["sleep", "1000"], start=False)
    assert pods.status(cid).state == pb.CONTAINER_CREATED
    pods.cri.RemoveContainer(container_id=cid)
    with pytest.raises(crilib.CriError):
        pods.status(cid)
    c2 = pods.create(sid, "c2", ["sleep", "1000"], start=False)
    assert pods.status(c2).state == pb.CONTAINER_CREATED
    # and one left in CREATED when the pod goes (the fixture judges it)
    pods.remove(sid)
    assert pods.judge(sid) == []


def test_kubelet_qos_resources(pods):
    """What the kubelet sends for a BestEffort container (cpu_shares 2,
    oom_score_adj 1000, a CFS period with no quota, no memory limit) and a
    Burstable one (oom_score_adj between): the init and every exec'd
    process get the oom_score_adj; the period is set without a quota."""
    pb = pods.pb
    sid, cfg = pods.run(name="qos")
    parent = cfg.linux.cgroup_parent
    be = pods.create(sid, "besteffort", ["sleep", "1000"], resources=pb.LinuxContainerResources(
        cpu_shares=2, oom_score_adj=1000, cpu_period=100000, cpu_quota=0, memory_limit_in_bytes=0))
    assert pods.sh(be, "cat /proc/1/oom_score_adj /proc/self/oom_score_adj").split() == ["1000", "1000"]
    assert int(cgroup_file(parent, be, "cpu", "cpu.shares").read_text()) == 2
    assert int(cgroup_file(parent, be, "cpu", "cpu.cfs_period_us").read_text()) == 100000
    assert int(cgroup_file(parent, be, "cpu", "cpu.cfs_quota_us").read_text()) == -1
    bu = pods.create(sid, "burstable", ["sleep", "1000"], resources=pb.LinuxContainerResources(
        cpu_shares=102, oom_score_adj=937, cpu_period=100000, cpu_quota=20000, memory_limit_in_bytes=256 << 20))
    assert pods.sh(bu, "cat /proc/1/oom_score_adj /proc/self/oom_score_adj").split() == ["937", "937"]
    # the exec'd process is in the container's cgroups too
    assert pods.sh(bu, "cat /proc/self/cgroup") == pods.sh(bu, "cat /proc/1/cgroup")


def test_non_root_reopens_its_stdio(pods):
    """A non-root container (nginx's images log to /dev/stdout) reopens its
    stdio by path: the runtime hands the container user its stdio (runc's
    fixStdioPermissions), for the init, an exec, and an exec with a tty."""
    pb = pods.pb
    sid, cfg = pods.run(name="stdio")
    sc = pb.LinuxContainerSecurityContext(run_as_user=pb.Int64Value(value=1000),
                                          run_as_group=pb.Int64Value(value=1000))
    cid = pods.create(sid, "c", ["sh", "-c", "echo init-out > /dev/stdout; echo init-err > /dev/stderr; "
                                 "exec sleep 1000"], security=sc)
    try:
        wait_for(lambda: "init-err" in pods.log(sid, cid), timeout=15)
    except TimeoutError:
        raise AssertionError("log: %r" % pods.log(sid, cid))
    got = [(s_, c) for _, s_, _, c in crilib.parse_cri_log(pods.log(sid, cid))]
    assert ("stdout", "init-out") in got and ("stderr", "init-err") in got, got
    rc, out, err = pods.exec_sync(cid, "sh", "-c", "echo exec-out > /dev/stdout; echo exec-err > /dev/stderr")
    assert (rc, out, err) == (0, "exec-out\n", "exec-err\n")
    url = pods.cri.Exec(container_id=cid, cmd=["sh"], tty=True, stdin=True, stdout=True).url
    res = crilib.stream(url, stdin_chunks=["stat -c %u $(tty); echo via-$((1+1))-tty > $(tty); exit $?\n"],
                        until=["$"])
    out = res.out[crilib.STDOUT].decode(errors="replace")
    assert res.exit_code == 0 and "1000" in out and "via-2-tty" in out, res


def test_mount_propagation(pods):
    """HostToContainer (rslave): a mount made on the host later shows up in
    the container; Bidirectional (rshared, privileged: CSI node plugins):
    a mount made in the container shows up on the host."""
    pb = pods.pb
    shared = pods.work / "shared"
    shared.mkdir()
    # containerd wants the source on a shared (or, for rslave, slave) mount
    subprocess.run(["mount", "--bind", str(shared), str(shared)], check=True)
    subprocess.run(["mount", "--make-rshared", str(shared)], check=True)
    try:
        (shared / "h2c").mkdir()
        (shared / "bidi").mkdir()
        sid, cfg = pods.run(name="propagation", privileged=True)
        c1 = pods.create(sid, "h2c", ["sleep", "1000"], mounts=[
            pb.Mount(container_path="/h2c", host_path=str(shared),
                     propagation=pb.PROPAGATION_HOST_TO_CONTAINER)])
        c2 = pods.create(sid, "bidi", ["sleep", "1000"], mounts=[
            pb.Mount(container_path="/bidi", host_path=str(shared), propagation=pb.PROPAGATION_BIDIRECTIONAL)],
            security=pb.LinuxContainerSecurityContext(privileged=True))
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "from-host", str(shared / "h2c")], check=True)
        (shared / "h2c" / "marker").write_text("host-made")
        assert pods.sh(c1, "cat /h2c/h2c/marker") == "host-made"
        pods.sh(c2, "mount -t tmpfs -o size=1m from-pod /bidi/bidi && echo pod-made > /bidi/bidi/marker")
        try:
            wait_for(lambda: (shared / "bidi" / "marker").exists(), timeout=10)
        except TimeoutError:
            raise AssertionError("the container's mount did not reach the host: %s"
                                 % helpers.mounts_mentioning(shared))
        assert (shared / "bidi" / "marker").read_text() == "pod-made\n"
        pods.remove(sid)
        assert pods.judge(sid) == []
    finally:
        subprocess.run(["umount", "-R", "-l", str(shared)], capture_output=True)


def test_run_as_username(pods):
    """run_as_username: containerd resolves the name in the image's
    /etc/passwd (busybox's `nobody`) and the runtime runs the process as it."""
    pb = pods.pb
    sid, cfg = pods.run(name="username")
    cid = pods.create(sid, "c", ["sleep", "1000"],
                      security=pb.LinuxContainerSecurityContext(run_as_username="nobody"))
    assert pods.sh(cid, "id -u; id -g").split() == ["65534", "65534"]


def test_pod_cgroup_made_beforehand(pods):
    """The kubelet makes the pod's cgroup (kubepods/<qos>/pod<uid>) in every
    hierarchy before RunPodSandbox.  Made with a bare mkdir, cgroup v1's
    cpuset leaves cpuset.cpus/mems empty there, and a task cannot join a
    cgroup below an empty cpuset: the runtime fills them from the nearest
    ancestor, as runc does."""
    parent = "%s/%s/kubepods/burstable/pod-x" % (helpers.CGROUP_PREFIX, helpers.new_id("crik"))
    made = []
    for h in helpers.cgroup_hierarchies():
        d = h / parent.lstrip("/")
        d.mkdir(parents=True, exist_ok=True)
        made.append(d)
    cpuset = Path("/sys/fs/cgroup/cpuset") / parent.lstrip("/")
    if not cpuset.is_dir():
        pytest.skip("no cgroup v1 cpuset hierarchy")
    try:
        cfg = pods.sandbox_config(name="premade", cgroup_parent=parent)
        sid, cfg = pods.run(config=cfg)
        cid = pods.create(sid, "c", ["sleep", "1000"])
        assert pods.status(cid).state == pods.pb.CONTAINER_RUNNING
        assert "%s/%s" % (parent, cid) in Path("/proc/%d/cgroup" % pods.pid(cid)).read_text()
        pods.remove(sid)
        assert pods.judge(sid) == []
    finally:
        helpers.remove_cgroup(parent.rsplit("/kubepods", 1)[0])


def test_parallel_exec_probes(pods):
    """Exec probes of many containers fire at once (the kubelet runs each
    probe on its own goroutine): ExecSyncs in parallel into one container,
    with stats and status queries in between, all answer correctly."""
    import threading
    sid, cfg = pods.run(name="probes")
    cid = pods.create(sid, "c", ["sleep", "1000"])
    results, errors = [], []

    def probe(n):
        try:
            for _ in range(3):
                rc, out, err = pods.exec_sync(cid, "sh", "-c", "echo probe-%d; exit %d" % (n, n % 3))
                results.append((n, rc, out))
                pods.cri.ContainerStats(container_id=cid)
        except Exception as e:  # noqa: BLE001 -- reported below
            errors.append(repr(e))
    ts = [threading.Thread(target=probe, args=(n,)) for n in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors
    assert len(results) == 24
    for n, rc, out in results:
        assert (rc, out) == (n % 3, "probe-%d\n" % n), (n, rc, out)
    assert pods.status(cid).state == pods.pb.CONTAINER_RUNNING


def test_large_environment(pods):
    """Service links: the kubelet puts ~7 variables per Service of the
    namespace into every container; thousands of variables, 200 KiB."""
    sid, cfg = pods.run(name="bigenv")
    envs = [("SVC_%04d_SERVICE_HOST" % i, "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256) + "x" * 80)
            for i in range(2000)]
    cid = pods.create(sid, "c", ["sleep", "1000"], envs=envs)
    out = pods.sh(cid, "env | grep -c ^SVC_; echo $SVC_1999_SERVICE_HOST")
    assert out.split("\n")[:2] == ["2000", envs[-1][1]], out[:200]


def test_containerd_restart(pods):
    """containerd restarts (an upgrade, a crash) under running pods: the
    shims and the runtime's containers live on, and after the restart the
    CRI finds them, execs into them, stops and removes them."""
    pb = pods.pb
    sid, cfg = pods.run(name="restart", pid=pb.POD)
    cid = pods.create(sid, "c", ["sleep", "1000"])
    pid = pods.pid(cid)
    pods.d.stop()
    assert rtlib.pid_alive(pid)
    try:
        pods.d.start()
    except RuntimeError as e:
        pytest.fail("containerd did not come back: %s" % e, pytrace=False)
    def running():
        try:
            return pods.status(cid).state == pb.CONTAINER_RUNNING
        except crilib.CriError:  # "server is not initialized yet": recovering
            return False
    try:
        wait_for(running, timeout=30)
    except TimeoutError:
        raise AssertionError("after the restart: %s" % pods.d.log_tail(20))
    assert pods.cri.PodSandboxStatus(pod_sandbox_id=sid).status.state == pb.SANDBOX_READY
    assert pods.pid(cid) == pid
    assert pods.sh(cid, "echo still-here") == "still-here\n"
    state = pods.runtime_cli("state", cid)
    assert state.rc == 0 and json.loads(state.out)["status"] == "running", state
    pods.cri.StopContainer(container_id=cid, timeout=5)
    assert pods.wait_exited(cid).exit_code == 143


def test_host_namespaces_privileged(pods, host_ns):
    """A node agent (kube-proxy, a CNI or CSI daemonset): hostNetwork,
    hostPID, hostIPC and a privileged container; only mnt (and cgroup)
    are its own."""
    pb = pods.pb
    cfg = pods.sandbox_config(name="nodeagent", network=pb.NODE, pid=pb.NODE, privileged=True)
    cfg.linux.security_context.namespace_options.ipc = pb.NODE
    sid, cfg = pods.run(config=cfg)
    cid = pods.create(sid, "agent", ["sleep", "1000"], security=pb.LinuxContainerSecurityContext(privileged=True))
    pid = pods.pid(cid)
    for kind in ("net", "pid", "ipc", "uts"):
        assert ns_of(pid, kind) == host_ns[kind], kind
    assert ns_of(pid, "mnt") != host_ns["mnt"]
    status = pods.sh(cid, "cat /proc/self/status")
    assert caps(status) == caps(Path("/proc/self/status").read_text(), "CapBnd")
    assert pods.sh(cid, "test -c /dev/loop-control && echo hostdev") == "hostdev\n"
    assert pods.sh(cid, "test -d /proc/%d && echo seen" % os.getpid()) == "seen\n"


def test_swap_unlimited_and_cpuset_mems(pods):
    """memory_swap_limit_in_bytes -1 (unlimited swap over a memory limit,
    what the kubelet's swap support sends) and cpuset_mems."""
    pb = pods.pb
    sid, cfg = pods.run(name="swap")
    mems = Path("/sys/fs/cgroup/cpuset/cpuset.mems").read_text().strip().split(",")[0].split("-")[0]
    cid = pods.create(sid, "c", ["sleep", "1000"], resources=pb.LinuxContainerResources(
        memory_limit_in_bytes=64 << 20, memory_swap_limit_in_bytes=-1, cpuset_mems=mems))
    parent = cfg.linux.cgroup_parent
    assert int(cgroup_file(parent, cid, "memory", "memory.limit_in_bytes").read_text()) == 64 << 20
    memsw = cgroup_file(parent, cid, "memory", "memory.memsw.limit_in_bytes")
    if memsw.exists():
        assert int(memsw.read_text()) > 64 << 20
    assert cgroup_file(parent, cid, "cpuset", "cpuset.mems").read_text().strip() == mems
