"""mounts, root, maskedPaths, readonlyPaths, rootfsPropagation, --no-pivot
(config.md#mounts, config-linux.md)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error


def run_probe(ctr, cfg, *extra, setup=None):
    c = ctr(cfg)
    if setup:
        setup(c)
    r = c.run_fg(*extra)
    assert r.rc == 0, r
    outs = [json.loads(ln) for ln in r.out.splitlines() if ln.startswith("{")]
    assert outs, r
    return outs[0]


def mount_at(probe, mp):
    ms = [m for m in probe["mounts"] if m["mountpoint"] == mp]
    assert ms, "no mount at %s: %s" % (mp, [m["mountpoint"] for m in probe["mounts"]])
    return ms[-1]  # the top one


def opts(m):
    return set(m["options"].split(","))


@pytest.fixture
def hostdir(work):
    d = Path(work) / "hostdir"
    (d / "sub").mkdir(parents=True)
    (d / "file").write_text("from-host\n")
    return d


def test_bind_mount_and_ro(ctr, hostdir):
    cfg = default_config(["/probe", "mounts", "cat", "/mnt/rw/file", "write", "/mnt/rw/new",
                          "write", "/mnt/ro/new2", "cat", "/mnt/ro/file"])
    cfg["mounts"] += [
        {"destination": "/mnt/rw", "type": "bind", "source": str(hostdir), "options": ["bind"]},
        {"destination": "/mnt/ro", "type": "bind", "source": str(hostdir), "options": ["bind", "ro"]},
    ]
    p = run_probe(ctr, cfg)
    assert p["cat"]["/mnt/rw/file"] == "from-host\n"
    assert p["cat"]["/mnt/ro/file"] == "from-host\n"
    assert p["write"]["/mnt/rw/new"]["writable"] is True
    assert p["write"]["/mnt/ro/new2"]["writable"] is False
    assert p["write"]["/mnt/ro/new2"]["errno"] == "EROFS"
    assert "ro" in opts(mount_at(p, "/mnt/ro"))
    assert not (hostdir / "new2").exists()


def test_rbind_includes_submounts_bind_does_not(ctr, hostdir, work):
    sub = hostdir / "sub"
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "subtmp", str(sub)], check=True)
    try:
        (sub / "inner").write_text("inner\n")
        cfg = default_config(["/probe", "cat", "/mnt/r/sub/inner", "cat", "/mnt/b/sub/inner"])
        cfg["mounts"] += [
            {"destination": "/mnt/r", "type": "bind", "source": str(hostdir), "options": ["rbind"]},
            {"destination": "/mnt/b", "type": "bind", "source": str(hostdir), "options": ["bind"]},
        ]
        p = run_probe(ctr, cfg)
        assert p["cat"]["/mnt/r/sub/inner"] == "inner\n"
        assert p["cat"]["/mnt/b/sub/inner"] in (None, "") or "inner" not in str(p["cat"]["/mnt/b/sub/inner"])
    finally:
        subprocess.run(["umount", "-l", str(sub)], check=True)


def test_bind_file(ctr, hostdir):
    cfg = default_config(["/probe", "cat", "/etc/bound"])
    cfg["mounts"].append({"destination": "/etc/bound", "type": "bind", "source": str(hostdir / "file"),
                          "options": ["bind", "ro"]})
    assert run_probe(ctr, cfg)["cat"]["/etc/bound"] == "from-host\n"


def test_bind_relative_source_is_relative_to_bundle(ctr):
    cfg = default_config(["/probe", "cat", "/mnt/x/data"])
    cfg["mounts"].append({"destination": "/mnt/x", "type": "bind", "source": "extra", "options": ["bind"]})

    def setup(c):
        (c.bundle / "extra").mkdir()
        (c.bundle / "extra" / "data").write_text("bundle-relative\n")
    assert run_probe(ctr, cfg, setup=setup)["cat"]["/mnt/x/data"] == "bundle-relative\n"


def test_nosuid_nodev_noexec(ctr):
    cfg = default_config(["/probe", "mounts", "write", "/mnt/t/x"])
    cfg["mounts"].append({"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                          "options": ["nosuid", "nodev", "noexec", "size=8m", "mode=0700", "uid=12", "gid=34"]})
    cfg["process"]["args"] = ["/bin/sh", "-c",
                              "cp /bin/busybox /mnt/t/bb && (/mnt/t/bb true; echo exec=$?); "
                              "/probe mounts stat /mnt/t"]
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    assert "exec=126" in r.out  # Permission denied from noexec
    p = json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])
    m = mount_at(p, "/mnt/t")
    assert {"nosuid", "nodev", "noexec"} <= opts(m)
    assert m["fstype"] == "tmpfs"
    assert "size=8192k" in m["superopts"]
    st = p["stat"]["/mnt/t"]
    assert st["mode"] == 0o700 and st["uid"] == 12 and st["gid"] == 34


def test_proc_sysfs_devpts_mqueue(ctr):
    p = run_probe(ctr, default_config(["/probe", "mounts", "cat", "/proc/self/comm"]))
    assert mount_at(p, "/proc")["fstype"] == "proc"
    assert p["cat"]["/proc/self/comm"] == "probe\n"
    assert mount_at(p, "/sys")["fstype"] == "sysfs"
    assert "ro" in opts(mount_at(p, "/sys"))
    dp = mount_at(p, "/dev/pts")
    assert dp["fstype"] == "devpts" and "newinstance" not in dp["options"]
    assert "gid=5" in dp["superopts"] and "ptmxmode=666" in dp["superopts"]
    assert mount_at(p, "/dev/mqueue")["fstype"] == "mqueue"
    assert mount_at(p, "/dev/shm")["fstype"] == "tmpfs"


def test_relative_destination_is_relative_to_root(ctr):
    """config.md: a relative destination (deprecated) MUST be interpreted as
    relative to "/".  runc 1.1 accepts it with a warning on stderr; so do
    we, one line naming the field (issue 15)."""
    cfg = default_config(["/probe", "mounts"])
    cfg["mounts"].append({"destination": "mnt/rel", "type": "tmpfs", "source": "tmpfs"})
    idx = len(cfg["mounts"]) - 1
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    p = json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])
    assert mount_at(p, "/mnt/rel")["fstype"] == "tmpfs"
    warnings = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(warnings) == 1, r.err
    assert warnings[0].startswith("ocirun: warning: mounts[%d].destination: `mnt/rel`" % idx), warnings
    assert "deprecated" in warnings[0] and "`/mnt/rel`" in warnings[0], warnings


def test_absolute_destinations_give_no_warning(ctr):
    cfg = default_config(["/probe", "mounts"])
    cfg["mounts"].append({"destination": "/mnt/abs", "type": "tmpfs", "source": "tmpfs"})
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    assert "warning" not in r.err, r.err


@pytest.mark.parametrize("fstype,options,bad,kernel_says", [
    ("tmpfs", ["nosuid", "foo"], "foo", "Unknown parameter"),
    ("tmpfs", ["nodev", "size=abc"], "size=abc", "Bad value"),
    ("tmpfs", ["noexex"], "noexex", "Unknown parameter"),  # a misspelt flag ends up as data
    ("mqueue", ["foo"], "foo", "Unknown parameter"),
    ("proc", ["hidepid=banana"], "hidepid=banana", "hidepid"),
], ids=["unknown", "bad-value", "misspelt-flag", "mqueue", "proc"])
def test_bad_mount_option_is_named(ctr, fstype, options, bad, kernel_says):
    """issue 15: mount(2) says only EINVAL; the error names
    mounts[N].options, the option as written, and what the filesystem said
    about it (runc: `... data: foo: invalid argument`)."""
    cfg = default_config(["/probe", "mounts"])
    cfg["mounts"].append({"destination": "/mnt/bad", "type": fstype, "source": fstype, "options": options})
    idx = len(cfg["mounts"]) - 1
    c = ctr(cfg)
    r = c.run_fg()
    msg = one_line_error(r)
    assert msg.startswith("mounts[%d].options: `%s`" % (idx, bad)), msg
    assert "`%s` filesystem" % fstype in msg and kernel_says in msg, msg
    assert c.left_behind() == []


def test_unknown_option_of_a_bind_mount_is_ignored(ctr, hostdir):
    """A bind mount passes no data to a filesystem: runc accepts options it
    does not know there, and so do we."""
    cfg = default_config(["/probe", "mounts", "cat", "/mnt/b/file"])
    cfg["mounts"].append({"destination": "/mnt/b", "type": "bind", "source": str(hostdir),
                          "options": ["rbind", "foo"]})
    assert run_probe(ctr, cfg)["cat"]["/mnt/b/file"] == "from-host\n"


def test_destination_created_when_missing(ctr):
    cfg = default_config(["/probe", "mounts"])
    cfg["mounts"].append({"destination": "/a/b/c", "type": "tmpfs", "source": "tmpfs"})
    assert mount_at(run_probe(ctr, cfg), "/a/b/c")["fstype"] == "tmpfs"


@pytest.mark.parametrize("link", ["/tmp/HOSTTARGET", "../../../../../../../../HOSTTARGET"],
                         ids=["absolute", "dotdot"])
def test_symlink_destination_stays_inside_rootfs(ctr, work, link):
    """A mount destination that is a symlink pointing outside the rootfs
    must be resolved inside the rootfs: the host path is untouched."""
    host_target = Path(work) / "host-target"
    host_target.mkdir()
    (host_target / "canary").write_text("host\n")
    target = link.replace("HOSTTARGET", str(host_target).lstrip("/")) if link.startswith("..") \
        else str(host_target)
    cfg = default_config(["/probe", "mounts", "write", "/evil/written"])
    cfg["mounts"].append({"destination": "/evil", "type": "tmpfs", "source": "tmpfs"})

    def setup(c):
        os.symlink(target, c.rootfs / "evil")
    before = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout
    c = ctr(cfg)
    setup(c)
    r = c.run_fg()
    after = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout
    # whatever the runtime did (refuse, or mount inside the rootfs), the host
    # directory is untouched and no host mount appeared on it
    assert sorted(os.listdir(host_target)) == ["canary"]
    assert (host_target / "canary").read_text() == "host\n"
    assert str(host_target) not in after
    assert before.count("\n") == after.count("\n") or str(work) not in after
    if r.rc != 0:
        msg = one_line_error(r)
        assert "mounts[" in msg and "/evil" in msg, msg
    else:
        p = json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])
        assert p["write"]["/evil/written"]["writable"] is True


def test_bind_source_symlink_escape_in_rootfs_is_not_followed_for_dest(ctr, work):
    """A symlink in an intermediate component of the destination."""
    host_target = Path(work) / "host-target2"
    host_target.mkdir()
    cfg = default_config(["/probe", "mounts"])
    cfg["mounts"].append({"destination": "/lnk/sub", "type": "tmpfs", "source": "tmpfs"})
    c = ctr(cfg)
    os.symlink(str(host_target), c.rootfs / "lnk")
    r = c.run_fg()
    assert os.listdir(host_target) in ([], ["sub"]) or True
    assert not (host_target / "sub").exists(), "mkdir followed the symlink out of the rootfs"
    assert not helpers.mounts_mentioning(host_target)
    if r.rc != 0:
        one_line_error(r)


def test_masked_paths(ctr):
    cfg = default_config(["/probe", "masked", "/proc/kcore", "masked", "/sys/firmware",
                          "cat", "/proc/kcore", "stat", "/sys/firmware", "write", "/sys/firmware/x",
                          "masked", "/etc/hostname", "cat", "/etc/hostname", "mounts"])
    cfg["linux"]["maskedPaths"] += ["/etc/hostname", "/does/not/exist"]
    p = run_probe(ctr, cfg)
    # file: reads empty (bind of /dev/null); dir: an empty read-only tmpfs
    assert p["cat"]["/proc/kcore"] in ("", None)
    assert p["cat"]["/etc/hostname"] == ""
    fw = mount_at(p, "/sys/firmware")
    assert fw["fstype"] == "tmpfs" and "ro" in opts(fw)
    assert p["write"]["/sys/firmware/x"]["writable"] is False
    for path in ("/proc/kcore", "/sys/firmware", "/etc/hostname"):
        assert p["masked"][path].get("masked", True) is not False, p["masked"][path]


def test_readonly_paths(ctr):
    cfg = default_config(["/probe", "readonly", "/proc/sys", "write", "/proc/sys/kernel/domainname",
                          "write", "/var/newfile", "write", "/tmp/ok"])
    cfg["linux"]["readonlyPaths"] += ["/var", "/no/such/path"]
    p = run_probe(ctr, cfg)
    assert p["write"]["/proc/sys/kernel/domainname"]["writable"] is False
    assert p["write"]["/proc/sys/kernel/domainname"]["errno"] == "EROFS"
    assert p["write"]["/var/newfile"]["errno"] == "EROFS"
    assert p["write"]["/tmp/ok"]["writable"] is True


def test_root_readonly(ctr):
    cfg = default_config(["/probe", "mounts", "write", "/newfile", "write", "/tmp/x", "write", "/dev/shm/x"])
    cfg["root"]["readonly"] = True
    p = run_probe(ctr, cfg)
    assert "ro" in opts(mount_at(p, "/"))
    assert p["write"]["/newfile"]["errno"] == "EROFS"
    assert p["write"]["/tmp/x"]["errno"] == "EROFS"
    assert p["write"]["/dev/shm/x"]["writable"] is True  # its own tmpfs


@pytest.mark.parametrize("prop", ["private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable"])
def test_rootfs_propagation_accepted(ctr, prop):
    """Every propagation mode runc accepts gives a working container (the
    host here has only private mounts, so the visible effect is nil)."""
    cfg = default_config(["/bin/cat", "/proc/self/mountinfo"])
    cfg["linux"]["rootfsPropagation"] = prop
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    assert [ln for ln in r.out.splitlines() if ln.split()[4] == "/"], r.out


def test_no_pivot(ctr):
    p = run_probe(ctr, default_config(["/probe", "mounts", "cat", "/etc/hostname"]), "--no-pivot")
    assert p["cat"]["/etc/hostname"] == "rootfs\n"  # the bundle's, not the host's
    assert mount_at(p, "/proc")["fstype"] == "proc"


def test_container_mounts_do_not_leak_to_host(ctr, work):
    """Mounts made for the container never show in the host's mount table
    (checked for every test by no_leaks too; here while it runs)."""
    c = ctr(default_config(["/probe", "pause"]))
    c.config["mounts"].append({"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"})
    c.write_config()
    c.create()
    c.start()
    c.wait_output(1)
    assert helpers.mounts_mentioning(c.bundle) == []


def test_mount_cgroup_type_is_a_clear_error_or_works(ctr):
    cfg = default_config(["/probe", "mounts"])
    cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                          "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})
    c = ctr(cfg)
    r = c.run_fg()
    if r.rc != 0:
        msg = one_line_error(r)
        assert "mounts[6]" in msg, msg
        assert c.left_behind() == []
    else:
        p = json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])
        assert any(m["mountpoint"].startswith("/sys/fs/cgroup") for m in p["mounts"])
