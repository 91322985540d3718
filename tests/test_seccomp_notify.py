"""linux.seccomp with SCMP_ACT_NOTIFY and a real agent (issue 17: a
deadlock).  The agent receives the listener over listenerPath and answers
every notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE, as a container
manager's agent (e.g. for mknod or mount emulation) would for calls it lets
through.

Without no_new_privileges the filter is loaded while the runtime still
has setup to do (setgroups, setresuid, capset, fchdir); when the profile
notifies one of them, the listener must reach the agent BEFORE that call,
or the container's init waits for an agent that never got the listener
and the runtime waits for the init, forever."""
import json
import os
import socket
import struct
import threading

import pytest

from helpers import default_config

# <linux/seccomp.h>: struct seccomp_notif is 80 bytes, seccomp_notif_resp 24
NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif)
NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp)
FLAG_CONTINUE = 1
NR = {"setresuid": 117, "setresgid": 119, "setgroups": 116, "capset": 126, "fchdir": 81,
      "getppid": 110}


class Agent:
    """listenerPath server: takes the listener, answers CONTINUE, records
    the syscall numbers it saw."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.seen = []
        self.state = None
        self.stop = False
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        import fcntl
        conn, _ = self.sock.accept()
        msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
        data = msg
        while True:
            more = conn.recv(65536)
            if not more:
                break
            data += more
        conn.close()
        self.state = json.loads(data.decode())
        lfd = fds[0]
        try:
            while not self.stop:
                buf = bytearray(80)
                try:
                    fcntl.ioctl(lfd, NOTIF_RECV, buf, True)
                except OSError:
                    break  # ENOENT: the target died; the filter is gone with it
                nid, pid, flags, nr = struct.unpack_from("=QIIi", buf, 0)
                self.seen.append(nr)
                resp = bytearray(struct.pack("=QqiI", nid, 0, 0, FLAG_CONTINUE))
                try:
                    fcntl.ioctl(lfd, NOTIF_SEND, resp, True)
                except OSError:
                    pass
        finally:
            os.close(lfd)

    def close(self):
        self.stop = True
        self.sock.close()


@pytest.mark.parametrize("nnp", [False, True], ids=["no-nnp", "nnp"])
def test_notify_on_the_runtimes_own_setup_calls(ctr, work, nnp):
    names = ["setresuid", "setresgid", "setgroups", "capset", "fchdir", "getppid"]
    agent = Agent(work / "agent.sock")
    try:
        cfg = default_config(["/bin/sh", "-c", "echo ppid=$PPID"])
        cfg["process"]["noNewPrivileges"] = nnp
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [1001]}
        cfg["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": agent.path,
            "syscalls": [{"names": names, "action": "SCMP_ACT_NOTIFY"}],
        }
        r = ctr(cfg).run_fg(timeout=60)
        assert r.rc == 0, r
        assert "ppid=" in r.out, r
        agent.t.join(10)
        assert agent.state and "seccompFd" in agent.state.get("fds", []), agent.state
        # the container's own getppid went through the agent (sh's $PPID)
        assert NR["getppid"] in agent.seen, agent.seen
        if not nnp:
            # the runtime's setup calls after the filter were notified too,
            # and answered: no deadlock
            assert NR["setresuid"] in agent.seen or NR["capset"] in agent.seen, agent.seen
    finally:
        agent.close()


class SilentAgent(Agent):
    """takes the listener and never answers: a notified call blocks for good"""

    def serve(self):
        conn, _ = self.sock.accept()
        msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
        conn.close()
        self.fds = fds
        self.state = msg

    def close(self):
        super().close()
        for fd in getattr(self, "fds", []):
            os.close(fd)


def test_delete_force_finishes_while_create_hangs_on_the_agent(ctr, work):
    """A create whose init blocks in a notified setresuid that the agent
    never answers hangs, holding the container's lock (as runc's would
    hang).  `delete --force` must still finish and leave nothing: it kills
    what the record names, the hung create then fails and lets go."""
    import subprocess
    import time
    agent = SilentAgent(work / "agent.sock")
    try:
        cfg = default_config(["/bin/true"])
        cfg["process"]["noNewPrivileges"] = False
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
        cfg["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "listenerPath": agent.path,
            "syscalls": [{"names": ["setresuid", "setuid"], "action": "SCMP_ACT_NOTIFY"}],
        }
        c = ctr(cfg)
        with open(c.stderr_path, "w") as errf:
            create = subprocess.Popen(c.rt.argv("create", "--bundle", str(c.bundle), c.id),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
        try:
            agent.t.join(30)
            assert agent.state is not None, "the runtime never handed the listener over"
            # the create is stuck now (no timing assertion: it just has not returned)
            assert create.poll() is None, "create returned although the agent never answered"
            r = c.rt.run("delete", "--force", c.id, timeout=60)
            assert r.rc == 0, r
            create.wait(timeout=60)
            assert create.returncode != 0
            assert not c.state_dir().exists()
        finally:
            if create.poll() is None:
                create.kill()
                create.wait()
    finally:
        agent.close()
