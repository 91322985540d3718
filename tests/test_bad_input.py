"""Bad input of every class: the runtime exits non-zero with ONE line
`ocirun: <message naming the field>` and leaves nothing behind (no state dir,
no cgroup, no host mounts, no processes; the autouse no_leaks fixture checks
the whole host as well)."""
import json
import os
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error


def expect_create_error(c, *needles, verb="create"):
    if verb == "create":
        r = c.create(check=False)
    else:
        r = c.run_fg()
    msg = one_line_error(r)
    for n in needles:
        assert n in msg, "%r not in error %r" % (n, msg)
    assert c.left_behind() == [], c.left_behind()
    assert c.probe_outputs() == [], "the user program ran"
    assert not c.state_dir().exists()
    return msg


def set_path(cfg, path, value):
    """set cfg[a][b][0]... from 'a.b.0' ('DEL' removes the key)."""
    parts = path.split(".")
    cur = cfg
    for p in parts[:-1]:
        cur = cur[int(p)] if isinstance(cur, list) else cur.setdefault(p, {})
    last = parts[-1]
    if value == "DEL":
        del cur[last]
    elif isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value


# (test id, json path to set, value, substrings the message must contain)
CASES = [
    ("args-not-array", "process.args", "/probe", ["process.args", "expected"]),
    ("args-item-not-string", "process.args", ["/probe", 3], ["process.args[1]"]),
    ("uid-string", "process.user.uid", "0", ["process.user.uid", "expected"]),
    ("uid-negative", "process.user.uid", -1, ["process.user.uid"]),
    ("terminal-string", "process.terminal", "no", ["process.terminal", "expected"]),
    ("env-not-array", "process.env", "A=1", ["process.env"]),
    ("hostname-number", "hostname", 7, ["hostname", "expected"]),
    ("mount-options-string", "mounts.1.options", "nosuid", ["mounts[1].options"]),
    ("mount-no-destination", "mounts.0.destination", "DEL", ["mounts[0].destination"]),
    ("root-path-number", "root.path", 1, ["root.path"]),
    ("no-ociVersion", "ociVersion", "DEL", ["ociVersion"]),
    ("ociVersion-major-2", "ociVersion", "2.0.0", ["ociVersion"]),
    ("ociVersion-garbage", "ociVersion", "banana", ["ociVersion"]),
    ("no-root", "root", "DEL", ["root"]),
    ("no-process", "process", "DEL", ["process"]),
    ("no-args", "process.args", [], ["process.args"]),
    ("cwd-relative", "process.cwd", "tmp", ["process.cwd"]),
    ("unknown-rlimit", "process.rlimits", [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}],
     ["process.rlimits[0].type", "RLIMIT_NOPE"]),
    ("rlimit-soft-over-hard", "process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}],
     ["process.rlimits[0]"]),
    ("unknown-namespace", "linux.namespaces", [{"type": "pid"}, {"type": "bogus"}],
     ["linux.namespaces[1].type", "bogus"]),
    ("duplicate-namespace", "linux.namespaces", [{"type": "uts"}, {"type": "mount"}, {"type": "pid"}, {"type": "pid"}],
     ["linux.namespaces[3]"]),
    ("namespace-path-missing", "linux.namespaces", [{"type": "uts"}, {"type": "mount"}, {"type": "network", "path": "/nonexistent/ns"}],
     ["linux.namespaces[2].path", "/nonexistent/ns"]),
    ("namespace-path-wrong-type", "linux.namespaces", [{"type": "uts"}, {"type": "mount"}, {"type": "network", "path": "/proc/1/ns/uts"}],
     ["linux.namespaces[2].path"]),
    ("namespace-path-not-ns", "linux.namespaces", [{"type": "uts"}, {"type": "mount"}, {"type": "ipc", "path": "/etc/hostname"}],
     ["linux.namespaces[2].path"]),
    ("uid-mappings-without-userns", "linux.uidMappings", [{"containerID": 0, "hostID": 100000, "size": 1000}],
     ["linux.uidMappings"]),
    ("hostname-without-uts", "linux.namespaces", [{"type": "mount"}, {"type": "pid"}], ["hostname"]),
    ("unknown-mount-option-type", "mounts.0.type", "nosuchfs", ["mounts[0]", "/proc"]),
    ("bind-source-missing", "mounts", [{"destination": "/mnt", "type": "bind", "source": "/nonexistent-src",
                                         "options": ["bind"]}], ["mounts[0]", "/nonexistent-src"]),
    ("device-bad-type", "linux.devices", [{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}],
     ["linux.devices[0].type"]),
    ("device-relative-path", "linux.devices", [{"path": "dev/x", "type": "c", "major": 1, "minor": 3}],
     ["linux.devices[0].path"]),
    ("masked-relative", "linux.maskedPaths", ["proc/kcore"], ["linux.maskedPaths[0]"]),
    ("sysctl-not-namespaced", "linux.sysctl", {"kernel.panic": "1"}, ["linux.sysctl", "kernel.panic"]),
    ("sysctl-net-without-netns", "linux.namespaces", [{"type": "mount"}, {"type": "uts"}],
     ["linux.sysctl", "net.ipv4.ip_forward"]),
    ("oom-score-out-of-range", "process.oomScoreAdj", 5000, ["process.oomScoreAdj"]),
    ("personality-unknown", "linux.personality", {"domain": "LINUX64"}, ["linux.personality.domain"]),
    ("scheduler-unknown-policy", "process.scheduler", {"policy": "SCHED_NOPE"}, ["process.scheduler.policy"]),
    ("ioprio-unknown-class", "process.ioPriority", {"class": "IOPRIO_CLASS_NOPE", "priority": 0},
     ["process.ioPriority.class"]),
    ("rootfs-propagation-bad", "linux.rootfsPropagation", "sideways", ["linux.rootfsPropagation"]),
]


@pytest.mark.parametrize("name,path,value,needles", CASES, ids=[c[0] for c in CASES])
def test_bad_config(ctr, name, path, value, needles):
    cfg = default_config(["/probe", "ids"])
    if name == "sysctl-net-without-netns":
        cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    set_path(cfg, path, value)
    c = ctr(cfg)
    expect_create_error(c, *needles)


def test_bad_config_via_run_too(ctr):
    cfg = default_config(["/probe", "ids"])
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]
    expect_create_error(ctr(cfg), "RLIMIT_NOPE", verb="run")


@pytest.mark.parametrize("cset", ["bounding", "effective"])
def test_unknown_capability_is_a_warning(ctr, cset):
    """config.md: a capability that "cannot be mapped to a relevant kernel
    interface ... MUST be logged as a warning" (runc and crun go on): the
    container runs, the warning names the field, the other caps apply."""
    cfg = default_config(["/probe", "ids"])
    cfg["process"]["capabilities"][cset].append("CAP_NOPE")
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    assert "warning" in r.err and "process.capabilities.%s[" % cset in r.err and "CAP_NOPE" in r.err, r.err


def test_malformed_json(ctr):
    c = ctr(default_config(["/probe"]))
    (c.bundle / "config.json").write_text('{"ociVersion": "1.3.0", "process": {')
    msg = expect_create_error(c, "config.json")


def test_config_not_an_object(ctr):
    c = ctr(default_config(["/probe"]))
    (c.bundle / "config.json").write_text('[1, 2]')
    expect_create_error(c, "config.json")


def test_missing_config_json(ctr):
    c = ctr(default_config(["/probe"]))
    (c.bundle / "config.json").unlink()
    expect_create_error(c, "config.json")


def test_missing_bundle(rt, work):
    r = rt.create("nobundle", Path(work) / "does-not-exist")
    msg = one_line_error(r)
    assert "does-not-exist" in msg
    assert not (Path(rt.root) / "nobundle").exists()


def test_missing_rootfs(ctr):
    c = ctr(default_config(["/probe"]))
    c.config["root"]["path"] = "no-such-rootfs"
    c.write_config()
    expect_create_error(c, "root.path", "no-such-rootfs")


def test_rootfs_is_a_file(ctr):
    c = ctr(default_config(["/probe"]))
    (c.bundle / "afile").write_text("x")
    c.config["root"]["path"] = "afile"
    c.write_config()
    expect_create_error(c, "root.path")


@pytest.mark.parametrize("bad", ["a/b", "..", ".", "", "x" * 1024, "a b", "a\nb"],
                         ids=["slash", "dotdot", "dot", "empty", "long", "space", "newline"])
def test_bad_container_id(rt, ctr, bad):
    c = ctr(default_config(["/probe"]))
    r = rt.create(bad, c.bundle)
    msg = one_line_error(r)  # a newline in the id must not split the message
    assert "container id" in msg or "file name too long" in msg, msg
    assert sorted(os.listdir(rt.root)) == []


def test_missing_executable_in_path(ctr):
    c = ctr(default_config(["nonexistent-in-path"]))
    expect_create_error(c, "process.args[0]", "executable file not found", "nonexistent-in-path")


def test_missing_executable_absolute(ctr):
    c = ctr(default_config(["/nonexistent-binary"]))
    msg = expect_create_error(c, "process.args[0]", "/nonexistent-binary")
    assert "executable file not found" in msg or msg.lower().count("no such file or directory") == 1, msg


def test_args0_is_a_directory(ctr):
    c = ctr(default_config(["/tmp"]))
    r = c.create(check=False)
    msg = one_line_error(r)
    assert "/tmp" in msg
    assert c.left_behind() == []


def test_args0_not_executable(ctr):
    """As runc (LookPath), `create` fails: podman/conmon report the runtime's
    create error; a failure only at `start` reached podman as "`ocirun start
    ID` failed: exit status 1" with the real cause lost in the container's
    output (found with podman, tests/clients/test_podman.py)."""
    c = ctr(default_config(["/etc/passwd"]))
    msg = expect_create_error(c, "process.args[0]", "/etc/passwd", "permission denied")
    assert "process.args[0]: `/etc/passwd`: permission denied" in msg, msg


def test_args0_not_a_regular_file(ctr):
    c = ctr(default_config(["/dev/null"]))
    expect_create_error(c, "process.args[0]", "/dev/null", "permission denied")


def test_console_socket_missing(ctr, work):
    c = ctr(default_config(["/probe"], terminal=True))
    msg = one_line_error(c.create(check=False, console_socket=Path(work) / "no-sock"))
    assert "no-sock" in msg or "console" in msg
    assert c.left_behind() == []


def test_terminal_without_console_socket(ctr):
    c = ctr(default_config(["/probe"], terminal=True))
    msg = one_line_error(c.create(check=False))
    assert "console" in msg and "terminal" in msg, msg
    assert c.left_behind() == []


def test_unknown_verb_and_flag(rt):
    r = rt.run("frobnicate")
    assert r.rc != 0 and "frobnicate" in r.err
    r = rt.run("create", "--no-such-flag", "x")
    assert r.rc != 0 and "no-such-flag" in r.err


def test_pid_file_dir_missing(ctr, rt, work):
    c = ctr(default_config(["/probe", "pause"]))
    r = rt.run("create", "--bundle", c.bundle, "--pid-file", Path(work) / "nodir" / "pid", c.id)
    msg = one_line_error(r)
    assert "nodir" in msg
    assert c.left_behind() == []
