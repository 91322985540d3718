"""CVE-2024-21626 (cwd outside the container), ptrace/dumpability of the
runtime's processes, and the device cgroup."""
import shlex
import subprocess

import pytest

from seclib import exec_in, json_line, refused


def test_cwd_proc_self_fd_is_refused(actr, cfg, marker):
    """process.cwd through a magic link (a leaked fd) is not a path."""
    for n in (3, 4, 5, 6, 7, 8):
        cfg["process"]["cwd"] = "/proc/self/fd/%d" % n
        cfg["process"]["args"] = ["/attack", "cwd", str(marker)]
        c = actr(cfg)
        res = c.create(check=False)
        if res.ok:
            c.start()
            c.wait()
            out = json_line(c.stdout_text())
            assert out["escaped"] is False, out
        else:
            refused(c, res, "process.cwd")


def test_cwd_dotdot_stays_inside(actr, cfg, marker):
    cfg["process"]["cwd"] = "/../../../../../../var/tmp"
    cfg["process"]["args"] = ["/attack", "cwd", str(marker)]
    c = actr(cfg)
    c.create()
    c.start()
    c.wait()
    out = json_line(c.stdout_text())
    assert out["escaped"] is False and out["cwd"] == "/var/tmp", out


def _running(actr, cfg):
    cfg["process"]["args"] = ["/bin/sleep", "60"]
    c = actr(cfg)
    c.create()
    c.start()
    return c


def test_exec_cwd_proc_self_fd_is_refused(actr, cfg, marker):
    c = _running(actr, cfg)
    for n in range(3, 10):
        # a host directory at fd 3 in the caller, on top
        argv = c.rt.argv("exec", "--cwd", "/proc/self/fd/%d" % n, c.id, "--", "/attack", "cwd", str(marker))
        p = subprocess.run(["bash", "-c", "exec 3<%s; exec %s" % (marker.parent, " ".join(map(shlex.quote, argv)))],
                           capture_output=True, text=True, timeout=30)
        if p.returncode == 0:
            assert json_line(p.stdout)["escaped"] is False, p.stdout
        else:
            assert "exec.cwd" in p.stderr, p.stderr


def test_ptrace_waiting_init_without_cap_sys_ptrace(actr, cfg):
    """The init waiting for `start` is a runtime process: not dumpable,
    not ptrace-able, its environ/mem/exe/fds closed to the container."""
    cfg["process"]["args"] = ["/bin/true"]
    c = actr(cfg)
    c.create()
    r = exec_in(c.rt, c.id, "/attack", "ptrace", "1")
    assert r.rc == 0, r
    out = json_line(r.out)
    assert out["attach"] != 0, out
    for k in ("environ", "mem", "exe", "fd"):
        assert out[k] != 0, out


@pytest.mark.parametrize("dev", [("8", "0"), ("1", "1"), ("7", "0")], ids=["sda", "mem", "loop0"])
def test_device_cgroup_denies_unlisted_device(actr, cfg, dev):
    """With CAP_MKNOD a container can make any node; the device cgroup
    (linux.resources.devices: deny all + the defaults) must stop the open."""
    cfg["process"]["args"] = ["/attack", "mknod-open", "/tmp/node", dev[0], dev[1]]
    c = actr(cfg)
    c.create()
    c.start()
    c.wait()
    out = json_line(c.stdout_text())
    assert out["mknod"] in (0, 1), out  # EPERM from the cgroup at mknod is fine too
    assert out["open"] == 1, out  # EPERM
