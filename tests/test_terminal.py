"""process.terminal: --console-socket receives the pty master (SCM_RIGHTS),
consoleSize, and a foreground `run` driven through a real pty."""
import array
import json
import os
import pty
import select
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from helpers import default_config, one_line_error, wait_for


class ConsoleSocket:
    """A unix socket server that accepts one connection and receives one fd
    over SCM_RIGHTS (what containerd's shim / conmon do)."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(60)
        self.fd = None
        self.name = None
        self.error = None
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                fds = array.array("i")
                msg, anc, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
                for level, typ, data in anc:
                    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
                self.name = msg
                if fds:
                    self.fd = fds[0]
                    for extra in fds[1:]:
                        os.close(extra)
        except Exception as e:  # noqa: BLE001
            self.error = e

    def wait_fd(self):
        self.t.join(60)
        assert self.error is None, self.error
        assert self.fd is not None, "no fd received on the console socket"
        return self.fd

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self.sock.close()


def read_until_eof(fd, want=None):
    """Read a pty master until EIO/EOF (the slave side closed) or until
    `want` appears; the 60s cap only bounds a hang."""
    buf = b""
    import time
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 1)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        if want and want.encode() in buf:
            break
    return buf.decode(errors="replace")


@pytest.fixture
def console(work):
    cs = ConsoleSocket(Path(work) / "console.sock")
    yield cs
    cs.close()


def test_console_socket_receives_pty(ctr, console):
    cfg = default_config(["/bin/sh", "-c", "stty size; tty; /probe proc; echo END-OF-TEST"], terminal=True)
    cfg["process"]["consoleSize"] = {"height": 33, "width": 101}
    c = ctr(cfg)
    c.create(console_socket=console.path)
    fd = console.wait_fd()
    # a pty master: /dev/ptmx
    assert os.readlink("/proc/self/fd/%d" % fd) in ("/dev/ptmx", "/dev/pts/ptmx"), os.readlink("/proc/self/fd/%d" % fd)
    c.start()
    out = read_until_eof(fd, want="END-OF-TEST")
    c.wait()
    assert "33 101" in out, out
    assert "/dev/pts/0" in out or "/dev/console" in out, out
    probe = json.loads([ln for ln in out.replace("\r", "").splitlines() if ln.startswith("{")][0])
    assert probe["isatty"] == [True, True, True]


def test_console_is_the_pty(ctr, console):
    cfg = default_config(["/probe", "stat", "/dev/console", "proc"], terminal=True)
    c = ctr(cfg)
    c.create(console_socket=console.path)
    fd = console.wait_fd()
    c.start()
    out = read_until_eof(fd, want="}")
    c.wait()
    probe = json.loads([ln for ln in out.replace("\r", "").splitlines() if ln.startswith("{")][0])
    st = probe["stat"]["/dev/console"]
    assert st["exists"] and st["type"] == "char" and st["major"] == 136, st  # a pts


def test_console_socket_without_terminal_is_ignored_or_rejected(ctr, console):
    c = ctr(default_config(["/probe", "proc"]))
    r = c.create(check=False, console_socket=console.path)
    if r.rc != 0:
        assert "console" in one_line_error(r)
        assert c.left_behind() == []


def test_foreground_run_through_real_pty(ctr, rt):
    """`ocirun run` with terminal:true, no console socket, attached to a pty:
    the container gets its own pty, output and input are relayed."""
    cfg = default_config(["/bin/sh", "-c", "tty; read x; echo got:$x; exit 3"], terminal=True)
    c = ctr(cfg)
    master, slave = os.openpty()
    try:
        p = subprocess.Popen(rt.argv("run", "--bundle", c.bundle, c.id), stdin=slave, stdout=slave,
                             stderr=slave, start_new_session=True)
        os.close(slave)
        slave = None
        first = read_until_eof(master, want="/dev/")
        os.write(master, b"abc\n")
        rest = read_until_eof(master, want="got:abc")
        rc = p.wait(timeout=60)
        out = first + rest
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
        if p.poll() is None:
            p.kill()
            p.wait()
    assert "got:abc" in out, out
    assert "/dev/pts/" in out or "/dev/console" in out, out
    assert rc == 3, out


def _set_winsize(fd, rows, cols):
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_foreground_run_forwards_window_size(ctr, rt):
    """`run` on a terminal: the container's pty starts with the caller's
    window size, and a resize (SIGWINCH to ocirun) reaches the container."""
    import signal
    cfg = default_config(["/bin/sh", "-c", "read a; stty size; read b; stty size; exit 0"], terminal=True)
    c = ctr(cfg)
    master, slave = os.openpty()
    _set_winsize(master, 30, 100)
    try:
        p = subprocess.Popen(rt.argv("run", "--bundle", c.bundle, c.id), stdin=slave, stdout=slave,
                             stderr=slave, start_new_session=True)
        os.close(slave)
        slave = None
        os.write(master, b"go\n")
        first = read_until_eof(master, want="30 100")
        _set_winsize(master, 40, 120)
        p.send_signal(signal.SIGWINCH)
        # the resize is asynchronous: ask again until the new size shows
        os.write(master, b"go\n")
        second = read_until_eof(master, want="40 120")
        rc = p.wait(timeout=60)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
        if p.poll() is None:
            p.kill()
            p.wait()
    assert "30 100" in first, first
    assert "40 120" in second, second
    assert rc == 0
