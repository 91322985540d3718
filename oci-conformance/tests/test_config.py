"""config.md: root, mounts and their options, process, user, hostname, annotations,
extensibility and invalid values — observed by the probe inside the container."""
import json
import os
import resource

import pytest

from helpers import (MS_REC, MS_SHARED, caps_from_hex, find_mount, host_bounding_caps, mount_opts,
                     sys_mount, sys_umount)
from spec import spec

C, R = "config.md", "runtime.md"


def run_probe(new_container, cfg, *cmds):
    cfg["process"]["args"] = ["/probe", *cmds] if cmds else ["/probe", "all"]
    c = new_container(cfg)
    return c, c.run()


# ------------------------------------------------------------------ root
@spec(C + "#configRoot", "If true then the root filesystem MUST be read-only inside the container")
def test_root_readonly(new_container, cfg):
    cfg["root"]["readonly"] = True
    c, out = run_probe(new_container, cfg, "mounts", "readonly", "/", "write", "/etc/passwd")
    ro = out["readonly"]["/"]
    assert ro["st_rdonly"] and not ro["writable"], ro
    assert ro["errno"] == "EROFS", ro
    assert not out["write"]["/etc/passwd"]["writable"], out["write"]


@spec(C + "#configRoot", "If true then the root filesystem MUST be read-only inside the container")
def test_root_readwrite_by_default(new_container, cfg):
    """(control) with readonly false the rootfs is writable, so the check above can fail"""
    cfg["root"]["readonly"] = False
    c, out = run_probe(new_container, cfg, "readonly", "/")
    assert out["readonly"]["/"]["writable"], out["readonly"]


@spec(C + "#configRoot", "path is either an absolute path or a relative path to the bundle")
def test_root_absolute_path(new_container, cfg):
    c = new_container(cfg)
    cfg2 = c.config
    cfg2["root"]["path"] = str(c.rootfs)
    cfg2["process"]["args"] = ["/probe", "cwd"]
    c.write_config(cfg2)
    out = c.run()
    assert out["cwd"] == "/"


@spec(C + "#configRoot", "A directory MUST exist at the path declared by the field")
def test_root_path_missing(new_container, cfg):
    cfg["root"]["path"] = "no-such-rootfs"
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "create succeeded with a missing root.path: %r" % r


@spec(C + "#configRoot", "On all other platforms, this field is REQUIRED")
def test_root_missing(new_container, cfg):
    del cfg["root"]
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "create succeeded without root: %r" % r


# ------------------------------------------------------------------ mounts
@spec(C + "#configMounts", "The runtime MUST mount entries in the listed order")
def test_mounts_listed_order(new_container, cfg):
    cfg["mounts"] += [
        {"destination": "/mnt/o", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/mnt/o/inner", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/mnt/s", "type": "tmpfs", "source": "tmpfs", "options": ["mode=0700"]},
        {"destination": "/mnt/s", "type": "tmpfs", "source": "tmpfs", "options": ["mode=0750"]},
    ]
    c, out = run_probe(new_container, cfg, "mounts")
    ms = out["mounts"]
    outer, inner = find_mount(ms, "/mnt/o"), find_mount(ms, "/mnt/o/inner")
    assert outer and inner, "mounts missing: %s" % [m["mountpoint"] for m in ms]
    assert inner["parent"] == outer["id"], "/mnt/o/inner is not mounted on top of /mnt/o"
    stack = [m for m in ms if m["mountpoint"] == "/mnt/s"]
    assert len(stack) == 2, stack
    top = [m for m in stack if m["parent"] == stack[0]["id"] or m["parent"] == stack[1]["id"]]
    assert top and "mode=750" in top[0]["superopts"], \
        "the second /mnt/s entry is not mounted over the first: %s" % [(m["id"], m["parent"], m["superopts"]) for m in stack]


@spec(C + "#configMounts", "it MAY be a relative path, in which case it MUST be interpreted as relative to \"/\"")
def test_mount_relative_destination(new_container, cfg):
    cfg["mounts"].append({"destination": "mnt/rel", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]})
    c, out = run_probe(new_container, cfg, "mounts")
    assert find_mount(out["mounts"], "/mnt/rel"), [m["mountpoint"] for m in out["mounts"]]


@spec(C + "#configLinuxMountOptions", "Runtimes SHOULD treat unknown options as filesystem-specific ones")
def test_mount_fs_specific_options(new_container, cfg):
    cfg["mounts"].append({"destination": "/mnt/fs", "type": "tmpfs", "source": "tmpfs",
                          "options": ["nosuid", "mode=0710", "size=2m"]})
    c, out = run_probe(new_container, cfg, "mounts", "stat", "/mnt/fs")
    m = find_mount(out["mounts"], "/mnt/fs")
    assert m, "mount missing"
    assert out["stat"]["/mnt/fs"]["mode"] == 0o710
    assert "size=2048k" in m["superopts"], m


# --- the option table -------------------------------------------------------
@pytest.fixture(scope="module")
def host_tree(session_dir):
    """A host tmpfs (made shared) with a sub-mount, to bind into containers:
    src/file, src/sub/subfile (sub is its own tmpfs)."""
    src = session_dir / "mount-src"
    src.mkdir(exist_ok=True)
    sys_mount("oc-src", src, "tmpfs", 0, "size=1m")
    try:
        (src / "file").write_text("f")
        (src / "sub").mkdir()
        sys_mount("oc-sub", src / "sub", "tmpfs", 0, "size=1m")
        (src / "sub" / "subfile").write_text("s")
        sys_mount(None, src, None, MS_SHARED | MS_REC)
        yield src
    finally:
        sys_umount(src / "sub")
        sys_umount(src)


def _no(opt):
    return lambda m: opt not in mount_opts(m)


def _has(opt):
    return lambda m: opt in mount_opts(m)


def _exists(m):
    return m is not None


def _strict(m):
    o = mount_opts(m)
    return "relatime" not in o and "noatime" not in o


def _prop(kind):
    def f(m):
        opt = " ".join(m["optional"])
        if kind == "shared":
            return "shared:" in opt
        if kind == "slave":
            return "master:" in opt and "shared:" not in opt
        if kind == "private":
            return "shared:" not in opt and "master:" not in opt and "unbindable" not in opt
        if kind == "unbindable":
            return "unbindable" in opt
    return f


# option -> (mount kind, expectation on the mount (and on its sub-mount for recursive ones))
#   kind "tmpfs": a tmpfs at /mnt/t; "bind": bind of host_tree at /mnt/b; "rbind": rbind of host_tree
OPTION_CASES = {
    "async": ("tmpfs", _no("sync")),
    "atime": ("tmpfs", _no("noatime")),
    "defaults": ("tmpfs", _has("rw")),
    "dev": ("tmpfs", _no("nodev")),
    "diratime": ("tmpfs", _no("nodiratime")),
    "dirsync": ("tmpfs", _has("dirsync")),
    "exec": ("tmpfs", _no("noexec")),
    "iversion": ("tmpfs", _exists),
    "lazytime": ("tmpfs", _has("lazytime")),
    "loud": ("tmpfs", _exists),
    "noatime": ("tmpfs", _has("noatime")),
    "nodev": ("tmpfs", _has("nodev")),
    "nodiratime": ("tmpfs", _has("nodiratime")),
    "noexec": ("tmpfs", _has("noexec")),
    "noiversion": ("tmpfs", _exists),
    "nolazytime": ("tmpfs", _no("lazytime")),
    "norelatime": ("tmpfs", _exists),
    "nostrictatime": ("tmpfs", _has("relatime")),
    "nosuid": ("tmpfs", _has("nosuid")),
    "nosymfollow": ("tmpfs", _has("nosymfollow")),
    "relatime": ("tmpfs", _has("relatime")),
    "ro": ("tmpfs", _has("ro")),
    "rw": ("tmpfs", _has("rw")),
    "silent": ("tmpfs", _exists),
    "strictatime": ("tmpfs", _strict),
    "suid": ("tmpfs", _no("nosuid")),
    "symfollow": ("tmpfs", _no("nosymfollow")),
    "sync": ("tmpfs", _has("sync")),
    "private": ("bind", _prop("private")),
    "shared": ("bind", _prop("shared")),
    "slave": ("bind", _prop("slave")),
    "unbindable": ("bind", _prop("unbindable")),
    "rprivate": ("rbind", _prop("private")),
    "rshared": ("rbind", _prop("shared")),
    "rslave": ("rbind", _prop("slave")),
    "runbindable": ("rbind", _prop("unbindable")),
    "ratime": ("rbind", _no("noatime")),
    "rdev": ("rbind", _no("nodev")),
    "rdiratime": ("rbind", _no("nodiratime")),
    "rexec": ("rbind", _no("noexec")),
    "rnoatime": ("rbind", _has("noatime")),
    "rnodiratime": ("rbind", _has("nodiratime")),
    "rnoexec": ("rbind", _has("noexec")),
    "rnorelatime": ("rbind", lambda m: "relatime" not in mount_opts(m)),
    "rnostrictatime": ("rbind", _has("relatime")),
    "rnosuid": ("rbind", _has("nosuid")),
    "rnosymfollow": ("rbind", _has("nosymfollow")),
    "rrelatime": ("rbind", _has("relatime")),
    "rro": ("rbind", _has("ro")),
    "rrw": ("rbind", _has("rw")),
    "rstrictatime": ("rbind", _strict),
    "rsuid": ("rbind", _no("nosuid")),
    "rsymfollow": ("rbind", _no("nosymfollow")),
}
# options whose "off" state is the default get a base option that turns the
# flag on first, so that the option under test has something to undo: options
# are applied as mount(8) applies them ("the last option wins if there are
# conflicting ones")
BASE = {"async": ["sync"], "atime": ["noatime"], "dev": ["nodev"], "diratime": ["nodiratime"],
        "exec": ["noexec"], "suid": ["nosuid"], "symfollow": ["nosymfollow"], "nolazytime": ["lazytime"],
        "rw": ["ro"], "strictatime": ["noatime"], "nostrictatime": ["strictatime"],
        "ratime": ["rnoatime"], "rdev": ["rnodev"], "rdiratime": ["rnodiratime"], "rexec": ["rnoexec"],
        "rnorelatime": ["rstrictatime"], "rnostrictatime": ["rstrictatime"], "rrw": ["rro"],
        "rstrictatime": ["rnoatime"], "rsuid": ["rnosuid"], "rsymfollow": ["rnosymfollow"]}
# "rdev"'s base uses rnodev, which the table does not list; host_tree mounts
# are nodev-free, so that base only matters for runtimes that know rnodev.
BASE["rdev"] = []


def _option_level(opt):
    from catalogue import BY_KEY
    for lv in ("MUST", "SHOULD"):
        if ("config.md#configLinuxMountOptions", "%s | %s |" % (opt, lv)) in BY_KEY:
            return lv
    raise KeyError(opt)


def _make_option_test(opt):
    kind, expect = OPTION_CASES[opt]
    lv = _option_level(opt)

    @spec(C + "#configLinuxMountOptions", "%s | %s |" % (opt, lv))
    def t(new_container, cfg, host_tree):
        opts = BASE.get(opt, []) + [opt]
        if kind == "tmpfs":
            dest = "/mnt/t"
            cfg["mounts"].append({"destination": dest, "type": "tmpfs", "source": "tmpfs", "options": opts})
        else:
            dest = "/mnt/b"
            cfg["mounts"].append({"destination": dest, "type": "bind", "source": str(host_tree),
                                  "options": [kind] + opts})
        c = new_container(cfg)
        cfg = c.config
        cfg["process"]["args"] = ["/probe", "mounts"]
        c.write_config(cfg)
        r = c.create(check=False)
        assert r.ok, "option %r refused: %s" % (opt, (r.err or r.out).strip()[-300:])
        c.start()
        c.wait()
        out = c.probe_outputs()[0]
        m = find_mount(out["mounts"], dest)
        assert m is not None, "no mount at %s" % dest
        assert m["fstype"] == "tmpfs", m
        assert expect(m), "option %r not in effect on %s: options=%s super=%s optional=%s" % (
            opt, dest, m["options"], m["superopts"], m["optional"])
        if kind == "rbind":
            sm = find_mount(out["mounts"], dest + "/sub")
            assert sm is not None, "sub-mount not visible under rbind"
            assert expect(sm), "option %r not applied recursively: %s %s %s" % (
                opt, sm["options"], sm["superopts"], sm["optional"])
    t.__name__ = "test_mount_option_%s" % opt
    t.__doc__ = "mount option %r (%s) is implemented" % (opt, lv)
    return t


for _opt in OPTION_CASES:
    globals()["test_mount_option_%s" % _opt] = _make_option_test(_opt)


@spec(C + "#configLinuxMountOptions", "bind | MUST |")
def test_mount_option_bind(new_container, cfg, host_tree):
    """bind: the host directory is visible, its sub-mount is not."""
    cfg["mounts"].append({"destination": "/mnt/b", "type": "bind", "source": str(host_tree), "options": ["bind"]})
    c, out = run_probe(new_container, cfg, "mounts", "cat", "/mnt/b/file", "stat", "/mnt/b/sub/subfile")
    assert out["cat"]["/mnt/b/file"] == "f"
    assert not out["stat"]["/mnt/b/sub/subfile"]["exists"], "bind (non-recursive) brought the sub-mount along"


@spec(C + "#configLinuxMountOptions", "rbind | MUST |")
def test_mount_option_rbind(new_container, cfg, host_tree):
    cfg["mounts"].append({"destination": "/mnt/b", "type": "bind", "source": str(host_tree), "options": ["rbind"]})
    c, out = run_probe(new_container, cfg, "mounts", "cat", "/mnt/b/file", "cat", "/mnt/b/sub/subfile")
    assert out["cat"]["/mnt/b/file"] == "f"
    assert out["cat"]["/mnt/b/sub/subfile"] == "s", "rbind did not bring the sub-mount"


@spec(C + "#configLinuxMountOptions", "remount | MUST |")
def test_mount_option_remount(new_container, cfg):
    """A later entry with `remount` changes the flags of the mount made by an earlier one."""
    cfg["mounts"] += [
        {"destination": "/mnt/r", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/mnt/r", "type": "tmpfs", "source": "tmpfs", "options": ["remount", "ro"]},
    ]
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "mounts"]
    c.write_config()
    r = c.create(check=False)
    assert r.ok, "remount refused: %s" % r.err.strip()[-300:]
    c.start()
    c.wait()
    ms = [m for m in c.probe_outputs()[0]["mounts"] if m["mountpoint"] == "/mnt/r"]
    assert len(ms) == 1, "remount created a second mount: %s" % ms
    assert "ro" in mount_opts(ms[0]), ms[0]


# --- idmap ------------------------------------------------------------------
@pytest.mark.parametrize("opt", ["idmap", "ridmap"])
@spec(C + "#configLinuxMountOptions", "no uidMappings and gidMappings specified and the container isn't using user namespaces, an error MUST be returned")
def test_idmap_without_mappings_or_userns(new_container, cfg, host_tree, opt):
    cfg["mounts"].append({"destination": "/mnt/i", "type": "bind", "source": str(host_tree), "options": ["rbind", opt]})
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "%s without mappings nor user namespace was accepted" % opt


def _idmap_case(new_container, cfg, host_tree, opt, with_userns):
    (host_tree / "owned").write_text("o")
    os.chown(host_tree / "owned", 1000, 1000)
    m = {"destination": "/mnt/i", "type": "bind", "source": str(host_tree), "options": ["rbind", opt]}
    if not with_userns:
        # host uid 1000 appears as 2000 in the mount
        m["uidMappings"] = [{"containerID": 2000, "hostID": 1000, "size": 10}]
        m["gidMappings"] = [{"containerID": 2000, "hostID": 1000, "size": 10}]
    cfg["mounts"].append(m)
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "stat", "/mnt/i/owned", "stat", "/mnt/i/sub/subfile"]
    c.write_config()
    r = c.create(check=False)
    assert r.ok, "%s mount refused: %s" % (opt, r.err.strip()[-300:])
    c.start()
    c.wait()
    return c.probe_outputs()[0]


@pytest.mark.parametrize("opt", ["idmap", "ridmap"])
@spec(C + "#configLinuxMountOptions", "If uidMappings or gidMappings are specified for the mount, the runtime MUST use those values")
def test_idmap_with_mount_mappings(new_container, cfg, host_tree, opt):
    out = _idmap_case(new_container, cfg, host_tree, opt, False)
    st = out["stat"]["/mnt/i/owned"]
    assert (st["uid"], st["gid"]) == (2000, 2000), "idmapped mount shows %s:%s, expected 2000:2000" % (st["uid"], st["gid"])


@spec(C + "#configLinuxMountOptions", "idmap | SHOULD |")
def test_mount_option_idmap(new_container, cfg, host_tree):
    out = _idmap_case(new_container, cfg, host_tree, "idmap", False)
    assert out["stat"]["/mnt/i/owned"]["uid"] == 2000


@spec(C + "#configLinuxMountOptions", "ridmap | SHOULD |")
def test_mount_option_ridmap(new_container, cfg, host_tree):
    os.chown(host_tree / "sub" / "subfile", 1001, 1001)
    out = _idmap_case(new_container, cfg, host_tree, "ridmap", False)
    assert out["stat"]["/mnt/i/owned"]["uid"] == 2000
    assert out["stat"]["/mnt/i/sub/subfile"].get("uid") == 2001, "ridmap not applied to the sub-mount: %s" % out["stat"]["/mnt/i/sub/subfile"]


@spec(C + "#configLinuxMountOptions", "This option SHOULD NOT be passed to the underlying mount(2) call")
def test_idmap_not_passed_to_mount(new_container, cfg):
    """A tmpfs with `idmap` (and mappings): tmpfs rejects unknown data, so the
    mount only succeeds if `idmap` is not handed to mount(2)."""
    cfg["mounts"].append({"destination": "/mnt/i", "type": "tmpfs", "source": "tmpfs", "options": ["idmap", "size=1m"],
                          "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
                          "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}]})
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "mounts"]
    c.write_config()
    r = c.create(check=False)
    assert r.ok, "tmpfs with idmap refused: %s" % r.err.strip()[-300:]
    c.start()
    c.wait()
    m = find_mount(c.probe_outputs()[0]["mounts"], "/mnt/i")
    assert m is not None and "idmap" not in m["superopts"].split(","), m


@spec(C + "#configLinuxMountOptions", "If they are not specified, the runtime MAY use the container's user namespace mapping, otherwise an error MUST be returned")
def test_idmap_userns_mapping_or_error(new_container, cfg, host_tree):
    """idmap without mount mappings in a user-namespaced container: either the
    container's mapping is used (host 1000 -> container 1000-100000...) or create fails."""
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["linux"].pop("resources", None)
    (host_tree / "owned2").write_text("o")
    os.chown(host_tree / "owned2", 101000, 101000)
    cfg["mounts"].append({"destination": "/mnt/i", "type": "bind", "source": str(host_tree), "options": ["rbind", "idmap"]})
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "stat", "/mnt/i/owned2"]
    c.write_config()
    r = c.create(check=False)
    if not r.ok:
        return  # an error is one of the two allowed outcomes
    c.start()
    c.wait()
    st = c.probe_outputs()[0]["stat"]["/mnt/i/owned2"]
    assert st["exists"], st


# ------------------------------------------------------------------ process
@spec(C + "#configProcess", "Runtimes MUST ignore consoleSize if terminal is false or unset")
def test_console_size_ignored_without_terminal(new_container, cfg):
    cfg["process"]["terminal"] = False
    cfg["process"]["consoleSize"] = {"height": 33, "width": 111}
    c, out = run_probe(new_container, cfg, "proc")
    assert out["isatty"] == [False, False, False]


@spec(C + "#configProcess", "a pseudoterminal pair is allocated for the process")
def test_terminal(new_container, cfg, work):
    import runtime as rtlib
    cfg["process"]["terminal"] = True
    cfg["process"]["consoleSize"] = {"height": 33, "width": 111}
    cfg["process"]["args"] = ["/probe", "proc", "stat", "/dev/console", "winsize"]
    c = new_container(cfg)
    with rtlib.ConsoleSocket(work / "console.sock") as cs:
        r = c.create(check=False, console_socket=cs.path)
        assert r.ok, r
        master = cs.receive(timeout=10)
        assert master is not None, "no pty master received on the console socket"
        c.start()
        data = rtlib.read_all(master, timeout=10)
    c.wait()
    lines = [l for l in data.decode(errors="replace").splitlines() if l.strip().startswith("{")]
    assert lines, "no probe output on the terminal: %r" % data[:500]
    out = json.loads(lines[0].strip())
    assert out["isatty"] == [True, True, True], out["isatty"]
    con = out["stat"]["/dev/console"]
    assert con["exists"] and con["type"] == "char", "/dev/console is not set up: %s" % con
    assert out["winsize"] == {"rows": 33, "cols": 111}, out["winsize"]


@spec(C + "#configProcess", "cwd (string, REQUIRED) is the working directory that will be set for the executable")
def test_cwd(new_container, cfg):
    cfg["process"]["cwd"] = "/tmp"
    c, out = run_probe(new_container, cfg, "cwd")
    assert out["cwd"] == "/tmp"


@spec(C + "#configProcess", "env (array of strings, OPTIONAL) with the same semantics as")
def test_env(new_container, cfg):
    cfg["process"]["env"] = ["PATH=/bin:/usr/bin", "A=1", "B=two words", "EMPTY="]
    c, out = run_probe(new_container, cfg, "env")
    for e in cfg["process"]["env"]:
        assert e in out["env"], (e, out["env"])


@spec(C + "#configProcess", "at least one entry is REQUIRED (non-Windows), and that entry is used with the same semantics as execvp's file")
def test_args_execvp_path_lookup(new_container, cfg):
    """args[0] without a slash is looked up in PATH (execvp semantics)."""
    cfg["process"]["env"] = ["PATH=/nonexistent:/"]
    c = new_container(cfg)
    c.config["process"]["args"] = ["probe", "proc"]
    c.write_config()
    c.create()
    c.start()
    c.wait()
    out = c.probe_outputs()
    assert out and out[0]["argv"] == ["probe", "proc"], (out, c.stderr_text())


@spec(C + "#configProcess", "at least one entry is REQUIRED (non-Windows), and that entry is used with the same semantics as execvp's file")
def test_args_empty_is_error(new_container, cfg):
    c = new_container(cfg)
    c.config["process"]["args"] = []
    c.write_config()
    r = c.create(check=False)
    if r.ok:
        r = c.start(check=False)
    assert not r.ok, "empty process.args accepted"


def _rl_values():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    h = min(hard, 4096)
    return h // 2, h


@spec(C + "#configPOSIXProcess", "rlim.rlim_cur MUST match the configured value")
def test_rlimit_soft(new_container, cfg):
    s, h = _rl_values()
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": s, "hard": h},
                                 {"type": "RLIMIT_CORE", "soft": 1234, "hard": 2345}]
    c, out = run_probe(new_container, cfg, "rlimits")
    assert out["rlimits"]["RLIMIT_NOFILE"][0] == s
    assert out["rlimits"]["RLIMIT_CORE"][0] == 1234


@spec(C + "#configPOSIXProcess", "rlim.rlim_max MUST match the configured value")
def test_rlimit_hard(new_container, cfg):
    """Hard limits at or below the runtime's own (root here lacks CAP_SYS_RESOURCE,
    so no runtime could raise one)."""
    s, h = _rl_values()
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": s, "hard": h},
                                 {"type": "RLIMIT_CORE", "soft": 1234, "hard": 2345}]
    c, out = run_probe(new_container, cfg, "rlimits")
    assert out["rlimits"]["RLIMIT_NOFILE"][1] == h
    assert out["rlimits"]["RLIMIT_CORE"][1] == 2345


@spec(C + "#configPOSIXProcess", "For each entry in rlimits, a getrlimit(3) on type MUST succeed")
def test_rlimit_getrlimit_succeeds(new_container, cfg):
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192}]
    c, out = run_probe(new_container, cfg, "rlimits")
    assert out["rlimits"]["RLIMIT_MSGQUEUE"] == [4096, 8192]


@spec(C + "#configPOSIXProcess", "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface")
def test_rlimit_unknown_type(new_container, cfg):
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NO_SUCH_LIMIT", "soft": 1, "hard": 1}]
    c = new_container(cfg)
    r = c.create(check=False)
    if r.ok:
        r = c.start(check=False)
    assert not r.ok, "unknown rlimit type accepted"


@spec(C + "#configPOSIXProcess", "If rlimits contains duplicated entries with same type, the runtime MUST generate an error")
def test_rlimit_duplicate(new_container, cfg):
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_CORE", "soft": 1, "hard": 2},
                                 {"type": "RLIMIT_CORE", "soft": 3, "hard": 4}]
    c = new_container(cfg)
    r = c.create(check=False)
    if r.ok:
        r = c.start(check=False)
    assert not r.ok, "duplicate rlimit entries accepted"


CAPS_B = ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
CAPS_A = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]


@spec(C + "#configLinuxProcess", "array of effective capabilities that are kept for the process")
def test_capabilities_non_root(new_container, cfg):
    """uid 1000 with ambient caps: after execve bounding=B, inheritable=ambient=permitted=effective=A."""
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    cfg["process"]["capabilities"] = {"bounding": CAPS_B, "effective": CAPS_A, "permitted": CAPS_A,
                                      "inheritable": CAPS_A, "ambient": CAPS_A}
    cfg["process"]["noNewPrivileges"] = False
    c, out = run_probe(new_container, cfg, "caps")
    st = out["status"]
    got = {k: caps_from_hex(st[k]) for k in ("CapBnd", "CapInh", "CapPrm", "CapEff", "CapAmb")}
    assert got == {"CapBnd": CAPS_B, "CapInh": CAPS_A, "CapPrm": CAPS_A, "CapEff": CAPS_A, "CapAmb": CAPS_A}, got


@spec(C + "#configLinuxProcess", "array of effective capabilities that are kept for the process")
def test_capabilities_root_bounding(new_container, cfg):
    cfg["process"]["capabilities"] = {"bounding": CAPS_B, "effective": CAPS_B, "permitted": CAPS_B}
    c, out = run_probe(new_container, cfg, "caps")
    st = out["status"]
    assert caps_from_hex(st["CapBnd"]) == CAPS_B
    assert caps_from_hex(st["CapEff"]) == CAPS_B
    assert caps_from_hex(st["CapInh"]) == [] and caps_from_hex(st["CapAmb"]) == []


@spec(C + "#configLinuxProcess", "Runtimes SHOULD NOT fail if the container configuration requests")
def test_capabilities_ungrantable_not_fatal(new_container, cfg):
    missing = sorted(set(["CAP_SYS_RESOURCE", "CAP_SYS_TIME"]) - host_bounding_caps())
    if not missing:
        pytest.skip("the runtime can grant every capability here; nothing ungrantable to ask for")
    for k in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][k] = cfg["process"]["capabilities"][k] + missing
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "caps"]
    c.write_config()
    r = c.create(check=False)
    assert r.ok, "create failed when asked for ungrantable %s: %s" % (missing, r.err.strip()[-300:])
    c.start()
    c.wait()
    assert c.probe_outputs()


@spec(C + "#configLinuxProcess", "be granted otherwise MUST be logged as a warning by")
def test_capabilities_unknown_name_is_warning(new_container, cfg):
    """An unknown capability is a warning, and a warning does not change the flow."""
    cfg["process"]["capabilities"]["bounding"].append("CAP_NO_SUCH_CAPABILITY")
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "caps"]
    c.write_config()
    r = c.create(check=False)
    assert r.ok, "unknown capability made create fail instead of a warning: %s" % r.err.strip()[-300:]
    c.start()
    c.wait()
    assert c.probe_outputs()


@spec(C + "#configLinuxProcess", "setting noNewPrivileges to true prevents the process from gaining additional privileges")
@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(new_container, cfg, nnp):
    cfg["process"]["noNewPrivileges"] = nnp
    c, out = run_probe(new_container, cfg, "status")
    assert out["status"]["NoNewPrivs"] == ("1" if nnp else "0")


def _my_oom():
    return int(open("/proc/self/oom_score_adj").read())


@spec(C + "#configLinuxProcess", "If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value")
def test_oom_score_adj_set(new_container, cfg):
    """A value above the runtime's own (lowering needs CAP_SYS_RESOURCE, absent here)."""
    cur = _my_oom()
    if cur >= 1000:
        pytest.skip("oom_score_adj is already 1000; raising it is impossible and lowering needs CAP_SYS_RESOURCE")
    want = min(1000, cur + 123)
    cfg["process"]["oomScoreAdj"] = want
    c, out = run_probe(new_container, cfg, "oom")
    assert out["oom_score_adj"] == want


@spec(C + "#configLinuxProcess", "If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj")
def test_oom_score_adj_unset(new_container, cfg):
    cfg["process"].pop("oomScoreAdj", None)
    c, out = run_probe(new_container, cfg, "oom")
    assert out["oom_score_adj"] == _my_oom()


@spec(C + "#configLinuxProcess", "policy (string, REQUIRED) represents the scheduling policy")
def test_scheduler(new_container, cfg):
    cfg["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 3}
    c, out = run_probe(new_container, cfg, "sched")
    assert out["sched"]["policy"] == "SCHED_BATCH", out["sched"]
    assert out["sched"]["nice"] == 3, out["sched"]


@spec(C + "#configLinuxProcess", "class (string, REQUIRED) specifies the I/O scheduling class")
def test_io_priority(new_container, cfg):
    cfg["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    c, out = run_probe(new_container, cfg, "ioprio")
    assert out["ioprio"] == {"class": "IOPRIO_CLASS_BE", "priority": 6}, out["ioprio"]


# ------------------------------------------------------------------ user
@spec(C + "#configPOSIXUser", "uid (int, REQUIRED) specifies the user ID in the container namespace")
def test_user_uid(new_container, cfg):
    cfg["process"]["user"] = {"uid": 1234, "gid": 5678}
    c, out = run_probe(new_container, cfg, "ids")
    assert out["uid"] == [1234, 1234, 1234]


@spec(C + "#configPOSIXUser", "gid (int, REQUIRED) specifies the group ID in the container namespace")
def test_user_gid(new_container, cfg):
    cfg["process"]["user"] = {"uid": 1234, "gid": 5678}
    c, out = run_probe(new_container, cfg, "ids")
    assert out["gid"] == [5678, 5678, 5678]


@spec(C + "#configPOSIXUser", "additionalGids (array of ints, OPTIONAL) specifies additional group IDs")
def test_user_additional_gids(new_container, cfg):
    cfg["process"]["user"] = {"uid": 1234, "gid": 5678, "additionalGids": [2000, 3000]}
    c, out = run_probe(new_container, cfg, "ids")
    assert {2000, 3000} <= set(out["groups"]), out["groups"]
    assert set(out["groups"]) <= {2000, 3000, 5678}, out["groups"]


@spec(C + "#configPOSIXUser", "umask (int, OPTIONAL) specifies the umask of the user")
def test_user_umask(new_container, cfg):
    cfg["process"]["user"] = {"uid": 0, "gid": 0, "umask": 0o027}
    c, out = run_probe(new_container, cfg, "umask")
    assert out["umask"] == 0o027


# ------------------------------------------------------------------ uts
@spec(C + "#configHostname", "hostname (string, OPTIONAL) specifies the container's hostname")
def test_hostname(new_container, cfg):
    cfg["hostname"] = "conformance-host"
    c, out = run_probe(new_container, cfg, "uts")
    assert out["hostname"] == "conformance-host"


@spec(C + "#configDomainname", "domainname (string, OPTIONAL) specifies the container's domainname")
def test_domainname(new_container, cfg):
    cfg["domainname"] = "conformance.test"
    c, out = run_probe(new_container, cfg, "uts")
    assert out["domainname"] == "conformance.test"


# ------------------------------------------------------------------ annotations, extensibility
@spec(C + "#configAnnotations", "Runtimes MUST handle unknown annotation keys like any other unknown property")
def test_unknown_annotations(new_container, cfg):
    cfg["annotations"] = {"com.example.unknown": "x", "org.example.other/key": "", "io.x.y": "{\"a\": 1}"}
    c = new_container(cfg)
    c.create()
    st = c.state()
    if "annotations" in st:
        assert st["annotations"] == cfg["annotations"], st["annotations"]
    c.start()
    c.wait()
    assert c.probe_outputs()


@spec(C + "#configExtensibility", "Runtimes MAY log unknown properties but MUST otherwise ignore them")
def test_unknown_properties_ignored(new_container, cfg):
    cfg["org.example.topLevelUnknown"] = {"a": [1, 2]}
    cfg["process"]["org.example.unknownProcessField"] = True
    cfg["linux"]["org.example.unknownLinuxField"] = "x"
    cfg["root"]["org.example.unknownRootField"] = 1
    cfg["mounts"][0]["org.example.unknownMountField"] = None
    c, out = run_probe(new_container, cfg, "proc")
    assert out["argv"][0] == "/probe"


INVALID = {
    "namespace-type": lambda c: c["linux"]["namespaces"].append({"type": "no-such-namespace"}),
    "cwd-relative": lambda c: c["process"].__setitem__("cwd", "relative/dir"),
    "seccomp-action": lambda c: c["linux"].__setitem__("seccomp", {"defaultAction": "SCMP_ACT_NO_SUCH_ACTION"}),
    "seccomp-arch": lambda c: c["linux"].__setitem__("seccomp", {"defaultAction": "SCMP_ACT_ALLOW",
                                                                  "architectures": ["SCMP_ARCH_NO_SUCH"]}),
    "rootfs-propagation": lambda c: c["linux"].__setitem__("rootfsPropagation", "no-such-propagation"),
    "device-type": lambda c: c["linux"].__setitem__("devices", [{"path": "/dev/x", "type": "z", "major": 1, "minor": 3}]),
    "personality-domain": lambda c: c["linux"].__setitem__("personality", {"domain": "NO_SUCH_DOMAIN"}),
    "scheduler-policy": lambda c: c["process"].__setitem__("scheduler", {"policy": "SCHED_NO_SUCH"}),
    "ioprio-class": lambda c: c["process"].__setitem__("ioPriority", {"class": "IOPRIO_CLASS_NO_SUCH", "priority": 1}),
    "memory-policy-mode": lambda c: c["linux"].__setitem__("memoryPolicy", {"mode": "MPOL_NO_SUCH"}),
}


@pytest.mark.parametrize("case", sorted(INVALID))
@spec(C + "#configExtensibility", "Runtimes MUST generate an error when invalid or unsupported values are encountered")
def test_invalid_values_rejected(new_container, cfg, case):
    INVALID[case](cfg)
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "proc"]
    c.write_config()
    r = c.create(check=False)
    if r.ok:
        r = c.start(check=False)
    assert not r.ok, "invalid value (%s) accepted" % case
