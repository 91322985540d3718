"""A CRI client and a private containerd with its CRI plugin, for test_cri.py.

What the kubelet does on a node, done here by hand:

  * CriContainerd: a containerd 1.6 of our own (ctrlib.Containerd: own
    config, root, state and sockets below the session dir) with the CRI
    plugin (io.containerd.grpc.v1.cri) ON, cgroupfs driver, its own CNI
    config dir (one loopback-only network), the streaming server on
    127.0.0.1, `sandbox_image` = our pause image (so nothing is pulled) and
    one runtime handler per runtime under test:

        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<handler>]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.<handler>.options]
            BinaryName = "<ocirun or runc>"
            Root = "<base>/runtime-root/<handler>"

    RunPodSandbox's runtime_handler picks one (what a RuntimeClass does),
    so ocirun and runc (the self-check) share one daemon.
  * Cri: the CRI gRPC services (runtime.v1 RuntimeService, ImageService)
    with python3-grpcio and messages compiled at test time by protoc from
    cri_api.proto (our own subset of the published CRI API).
  * images: docker-archive tarballs made here from local trees (the busybox
    rootfs template; a pause image whose only file is cri_pause.c built
    with gcc -static), imported with `ctr -n k8s.io images import`.
  * stream(): the client side of the CRI streaming server (Exec/Attach
    URLs): a WebSocket (RFC 6455) client over the standard library speaking
    Kubernetes' `v4.channel.k8s.io` channel protocol (one leading byte per
    binary message: 0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize).
"""
import base64
import hashlib
import importlib
import io
import json
import os
import platform
import re
import socket
import struct
import subprocess
import sys
import tarfile
import time
import urllib.parse
from pathlib import Path

import ctrlib

HERE = Path(__file__).resolve().parent
PROTO = HERE / "cri_api.proto"
PAUSE_SRC = HERE / "cri_pause.c"
K8S_NS = "k8s.io"  # the containerd namespace of the CRI plugin
NETNS_DIR = Path("/var/run/netns")  # containerd 1.6 CRI: fixed
CNI_BIN_DIR = Path("/usr/lib/cni")  # Debian's containernetworking-plugins

PAUSE_IMAGE = "localhost/ocirun-test/pause:1"
BUSYBOX_IMAGE = "localhost/ocirun-test/busybox:1"

CRI_CONFIG = """\
version = 2
root = "{root}"
state = "{state}"
disabled_plugins = [
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

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "{stream_port}"
  enable_selinux = false
  disable_apparmor = true
  # root here lacks CAP_SYS_RESOURCE: the sandbox's default oom_score_adj
  # (-998) could not be set by any runtime; clamp to containerd's own
  restrict_oom_score_adj = true
  tolerate_missing_hugetlb_controller = true
  max_concurrent_downloads = 1

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "{default}"
{runtimes}
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{cni_conf}"
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
"""

RUNTIME = """\
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{name}.options]
        BinaryName = "{binary}"
        Root = "{root}"
        SystemdCgroup = false
"""

# A loopback-only network: the pod's netns gets `lo` up and no other
# interface, nothing on the host side.  A conflist of `loopback` alone is
# refused by containerd 1.6 ("failed to find network info for sandbox":
# it wants an IP config for eth0 in the result, and loopback's result names
# only `lo`), so the list starts with the `static` IPAM plugin run as a
# plain plugin: it touches nothing and reports 127.0.0.1/8 (without an
# interface index: go-cni files it under eth0), which is the address the
# pod really has on its own `lo`; `loopback` then brings `lo` up and passes
# that result on.  The pod IP the CRI reports is therefore 127.0.0.1.
CNI_CONFLIST = {
    "cniVersion": "1.0.0",
    "name": "ocirun-test-lo",
    "plugins": [
        {"type": "static", "ipam": {"type": "static", "addresses": [{"address": "127.0.0.1/8"}]}},
        {"type": "loopback"},
    ],
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class CriContainerd(ctrlib.Containerd):
    """A private containerd with the CRI plugin; runtimes = {handler: binary}."""

    def __init__(self, base, runtimes, default):
        super().__init__(base, runtimes[default])
        self.runtimes = dict(runtimes)
        self.default = default
        self.cni_conf = self.base / "cni"
        self.stream_port = free_port()

    def runtime_root(self, handler):
        """The shim's --root for ocirun/runc is this + /k8s.io."""
        return self.base / "runtime-root" / handler

    def config_text(self):
        self.cni_conf.mkdir(parents=True, exist_ok=True)
        (self.cni_conf / "10-ocirun-test-lo.conflist").write_text(json.dumps(CNI_CONFLIST))
        rts = "".join(RUNTIME.format(name=h, binary=b, root=self.runtime_root(h))
                      for h, b in self.runtimes.items())
        return CRI_CONFIG.format(root=self.root, state=self.state, sock=self.sock, pause=PAUSE_IMAGE,
                                 stream_port=self.stream_port, default=self.default, runtimes=rts,
                                 cni_bin=CNI_BIN_DIR, cni_conf=self.cni_conf)

    def environ(self):
        # BinaryName names each runtime: no `runc` shadowing here (the
        # runc handler must get the real runc)
        return dict(os.environ)

    def ctr(self, *args, timeout=60):
        argv = ["ctr", "--address", self.sock, "--namespace", K8S_NS] + [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        return ctrlib.Result(argv, p.returncode, p.stdout.decode(errors="replace"),
                             p.stderr.decode(errors="replace"))

    def shim_socket(self, group_id):
        h = hashlib.sha256(("%s/%s/%s" % (self.sock, K8S_NS, group_id)).encode()).hexdigest()
        return ctrlib.SHIM_SOCKET_DIR / h


# ---------------------------------------------------------------- protobuf
def load_api(outdir):
    """protoc cri_api.proto -> OUTDIR/cri_api_pb2.py; import it."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["protoc", "-I", str(HERE), "--python_out=%s" % outdir, str(PROTO)], check=True,
                   capture_output=True)
    if str(outdir) not in sys.path:
        sys.path.insert(0, str(outdir))
    return importlib.import_module("cri_api_pb2")


class CriError(Exception):
    def __init__(self, method, code, details):
        super().__init__("%s: %s: %s" % (method, code, details))
        self.method, self.code, self.details = method, code, details


class Cri:
    """runtime.v1.RuntimeService / ImageService over the daemon's socket:
    cri.RunPodSandbox(config=..., runtime_handler=...) builds the request
    from keywords (or takes a ready request as the only argument) and
    returns the response; a gRPC error raises CriError.  The call's own
    deadline is the keyword `deadline`."""

    IMAGE_METHODS = {"ListImages", "ImageStatus"}

    def __init__(self, sock, pb, timeout=60):
        import grpc  # python3-grpcio; the caller skips without it

        self.grpc = grpc
        self.pb = pb
        self.timeout = timeout
        self.channel = grpc.insecure_channel("unix://" + str(sock))
        self._stubs = {}

    def close(self):
        self.channel.close()

    def _stub(self, name):
        if name not in self._stubs:
            svc = "ImageService" if name in self.IMAGE_METHODS else "RuntimeService"
            self._stubs[name] = self.channel.unary_unary(
                "/runtime.v1.%s/%s" % (svc, name),
                request_serializer=lambda m: m.SerializeToString(),
                response_deserializer=getattr(self.pb, name + "Response").FromString)
        return self._stubs[name]

    def __getattr__(self, name):
        if not name[:1].isupper() or not hasattr(self.pb, name + "Request"):
            raise AttributeError(name)

        def call(*req, deadline=None, **kw):
            # `deadline` (seconds) bounds the gRPC call; `timeout` is a
            # request field of StopContainer and ExecSync
            request = req[0] if req else getattr(self.pb, name + "Request")(**kw)
            try:
                return self._stub(name)(request, timeout=deadline or self.timeout)
            except self.grpc.RpcError as e:
                raise CriError(name, e.code().name, e.details()) from None
        return call


# ---------------------------------------------------------------- images
def go_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
            "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


def _layer_tar(tree):
    """An uncompressed layer tarball of `tree` (every file owned by 0:0)."""
    buf = io.BytesIO()

    def owner(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for p in sorted(Path(tree).iterdir()):
            t.add(str(p), arcname=p.name, filter=owner)
    return buf.getvalue()


def write_docker_archive(dest, ref, tree, entrypoint=None, cmd=None):
    """`docker save`'s format (manifest.json, config, one layer) for one image."""
    layer = _layer_tar(tree)
    diff = hashlib.sha256(layer).hexdigest()
    cfg = {
        "architecture": go_arch(),
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Entrypoint": entrypoint, "Cmd": cmd, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]},
        "history": [{"created_by": "ocirun tests/clients/crilib.py"}],
    }
    cfg_bytes = json.dumps(cfg, sort_keys=True).encode()
    cfg_name = hashlib.sha256(cfg_bytes).hexdigest() + ".json"
    manifest = [{"Config": cfg_name, "RepoTags": [ref], "Layers": [diff + "/layer.tar"]}]
    with tarfile.open(str(dest), "w") as t:
        for name, data in ((diff + "/layer.tar", layer), (cfg_name, cfg_bytes),
                           ("manifest.json", json.dumps(manifest).encode())):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    return dest


def build_pause(dest):
    subprocess.run(["gcc", "-static", "-Os", "-Wall", "-Wextra", "-Werror", "-o", str(dest), str(PAUSE_SRC)],
                   check=True, capture_output=True)
    return dest


def make_images(workdir, busybox_tree):
    """Both images as docker archives below workdir: {ref: tarball}."""
    workdir = Path(workdir)
    pause_tree = workdir / "pause-tree"
    pause_tree.mkdir(parents=True, exist_ok=True)
    build_pause(pause_tree / "pause")
    return {
        PAUSE_IMAGE: write_docker_archive(workdir / "pause.tar", PAUSE_IMAGE, pause_tree, entrypoint=["/pause"]),
        BUSYBOX_IMAGE: write_docker_archive(workdir / "busybox.tar", BUSYBOX_IMAGE, busybox_tree, cmd=["sh"]),
    }


# ---------------------------------------------------------------- CRI log format
LOG_RE = re.compile(r"^(\S+) (stdout|stderr) ([FP]) (.*)$")


def parse_cri_log(text):
    """[(timestamp, stream, tag, content)] of a CRI log file; a line that
    does not match the format raises."""
    res = []
    for ln in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        m = LOG_RE.match(ln)
        if not m:
            raise AssertionError("not a CRI log line: %r" % ln)
        res.append(m.groups())
    return res


# ---------------------------------------------------------------- streaming
STDIN, STDOUT, STDERR, ERROR, RESIZE = range(5)


class StreamResult:
    def __init__(self):
        self.out = {STDOUT: b"", STDERR: b""}
        self.status = None  # the error channel's Status object (dict)
        self.closed = False

    @property
    def exit_code(self):
        """0 on Success; the ExitCode cause of a NonZeroExitCode failure."""
        if self.status is None:
            return None
        if self.status.get("status") == "Success":
            return 0
        for c in (self.status.get("details") or {}).get("causes") or []:
            if c.get("reason") == "ExitCode":
                return int(c.get("message"))
        return -1

    def __repr__(self):
        return "StreamResult(stdout=%r, stderr=%r, status=%r)" % (
            self.out[STDOUT][-2000:], self.out[STDERR][-2000:], self.status)


class WebSocket:
    """A minimal RFC 6455 client: handshake, masked binary frames out,
    unmasked frames in (ping answered, close ends the stream)."""

    def __init__(self, url, protocol="v4.channel.k8s.io", timeout=30):
        u = urllib.parse.urlsplit(url)
        assert u.scheme == "http", url
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n"
               "Origin: http://%s\r\n\r\n" % (path, u.netloc, key, protocol, u.netloc))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError("streaming server closed during the handshake: %r" % head)
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode(errors="replace").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise AssertionError("streaming server refused the upgrade: %r" % head)
        hdrs = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                .digest()).decode()
        assert hdrs.get("sec-websocket-accept") == want, hdrs
        self.protocol = hdrs.get("sec-websocket-protocol")

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, payload, opcode=2):
        hdr = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + body)

    def recv(self):
        """(opcode, payload) of the next whole message; None at EOF/close."""
        data, op = b"", None
        while True:
            try:
                b0, b1 = self._recv_exact(2)
            except EOFError:
                return None
            fin, opcode = b0 & 0x80, b0 & 0x0F
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            mask = self._recv_exact(4) if b1 & 0x80 else None
            payload = self._recv_exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 8:  # close: answer it, the stream is over
                try:
                    self.send(payload[:2], opcode=8)
                except OSError:
                    pass
                return None
            if opcode == 9:
                self.send(payload, opcode=10)
                continue
            if opcode == 10:
                continue
            if opcode != 0:
                op = opcode
            data += payload
            if fin:
                return op, data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def stream(url, stdin_chunks=(), resize=None, timeout=30, until=None):
    """Connect to an Exec/Attach URL; send a resize (cols, rows) and the
    stdin chunks (each after the previous output was seen to contain
    `until`, if given as a list parallel to stdin_chunks, else at once);
    collect stdout/stderr and the status until the server closes."""
    ws = WebSocket(url, timeout=timeout)
    res = StreamResult()
    assert ws.protocol == "v4.channel.k8s.io", ws.protocol
    try:
        if resize:
            ws.send(bytes([RESIZE]) + json.dumps({"Width": resize[0], "Height": resize[1]}).encode())
        pending = list(stdin_chunks)
        waits = list(until) if until else [None] * len(pending)
        deadline = time.monotonic() + timeout

        def feed():
            while pending and (waits[0] is None or waits[0].encode() in res.out[STDOUT]):
                ws.send(bytes([STDIN]) + pending.pop(0).encode())
                waits.pop(0)
        feed()
        while time.monotonic() < deadline:
            try:
                m = ws.recv()
            except socket.timeout:
                raise AssertionError("stream timed out: %r" % res) from None
            if m is None:
                res.closed = True
                break
            _, data = m
            if not data:
                continue
            ch, body = data[0], data[1:]
            if ch in (STDOUT, STDERR):
                res.out[ch] += body
            elif ch == ERROR and body:
                res.status = json.loads(body)
            feed()
        else:
            raise AssertionError("stream did not end in %ss: %r" % (timeout, res))
    finally:
        ws.close()
    return res
