"""process.*: args, env, cwd, user, umask, rlimits, caps, ... (config.md#process)."""
import json
import os
import signal
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error, wait_for


def probe_cfg(*args):
    return default_config(["/probe"] + list(args))


def run_probe(ctr, cfg):
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    outs = [json.loads(ln) for ln in r.out.splitlines() if ln.startswith("{")]
    assert outs, r
    return outs[0]


def status_field(ctr, cfg_mod=None, field="SigBlk"):
    cfg = default_config(["/bin/cat", "/proc/self/status"])
    if cfg_mod:
        cfg_mod(cfg)
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    for ln in r.out.splitlines():
        if ln.startswith(field + ":"):
            return ln.split(":", 1)[1].strip()
    raise AssertionError("no %s in %r" % (field, r.out))


def test_signal_mask_is_clear(ctr):
    """The user process starts with no blocked and no ignored signals
    (runc/crun reset the mask the runtime used internally)."""
    assert status_field(ctr, field="SigBlk") == "0000000000000000"
    assert status_field(ctr, field="SigIgn") == "0000000000000000"


# ------------------------------------------------------------------ basics
def test_args_env_exact(ctr):
    cfg = probe_cfg("proc", "env")
    cfg["process"]["env"] = ["PATH=/bin:/sbin", "A=1", "B=with space", "EMPTY="]
    p = run_probe(ctr, cfg)
    assert p["argv"] == ["/probe", "proc", "env"]
    # and HOME, which runc adds from /etc/passwd when env lacks it
    assert sorted(p["env"]) == sorted(cfg["process"]["env"] + ["HOME=/root"])


def test_args0_looked_up_in_path(ctr):
    cfg = default_config(["probe", "proc"])
    cfg["process"]["env"] = ["PATH=/nope:/"]
    p = run_probe(ctr, cfg)
    assert p["argv"][0] == "probe"


def test_cwd_and_missing_cwd_created(ctr):
    cfg = probe_cfg("cwd")
    cfg["process"]["cwd"] = "/work/dir/deep"
    assert run_probe(ctr, cfg)["cwd"] == "/work/dir/deep"


def test_user_uid_gid_additional_gids(ctr):
    cfg = probe_cfg("ids")
    cfg["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20, 1001]}
    p = run_probe(ctr, cfg)
    assert p["uid"] == [1000, 1000, 1000]
    assert p["gid"] == [1001, 1001, 1001]
    assert sorted(set(p["groups"])) == [10, 20, 1001]


def test_no_additional_gids_means_none(ctr):
    cfg = probe_cfg("ids")
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    p = run_probe(ctr, cfg)
    assert set(p["groups"]) <= {1000}


def test_umask(ctr):
    cfg = probe_cfg("umask", "cat", "/proc/self/status")
    cfg["process"]["user"]["umask"] = 0o077
    assert run_probe(ctr, cfg)["umask"] == 0o077


def test_default_umask_is_0022(ctr):
    assert run_probe(ctr, probe_cfg("umask"))["umask"] == 0o022


# ------------------------------------------------------------------ rlimits
def test_rlimits_within_current(ctr):
    hard = os.getrlimit(os.sys.modules["resource"].RLIMIT_NOFILE)[1] if "resource" in os.sys.modules else None
    import resource
    nofile_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    cfg = probe_cfg("rlimits")
    cfg["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 256, "hard": min(512, nofile_hard)},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    ]
    p = run_probe(ctr, cfg)
    assert p["rlimits"]["RLIMIT_NOFILE"] == [256, min(512, nofile_hard)]
    assert p["rlimits"]["RLIMIT_CORE"] == [0, 0]
    assert p["rlimits"]["RLIMIT_NPROC"] == [300, 400]


def test_rlimit_over_hard_limit_is_a_clear_error(ctr):
    """Root here lacks CAP_SYS_RESOURCE: raising a hard limit fails for every
    runtime; the error must name the rlimit."""
    import resource
    nofile_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if nofile_hard == resource.RLIM_INFINITY or "CAP_SYS_RESOURCE" in helpers.host_caps("CapEff"):
        pytest.skip("this host can raise RLIMIT_NOFILE: no over-limit case to test")
    cfg = probe_cfg("rlimits")
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": nofile_hard * 4}]
    c = ctr(cfg)
    msg = one_line_error(c.create(check=False))
    assert "process.rlimits[0]" in msg or "RLIMIT_NOFILE" in msg, msg
    assert c.left_behind() == []


# ------------------------------------------------------------------ caps
def caps_of(p):
    st = p["status"]
    return {k: helpers.caps_from_hex(st[k]) for k in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb")}


def test_capabilities_root_default(ctr):
    p = run_probe(ctr, probe_cfg("status"))
    caps = caps_of(p)
    want = set(helpers.bundlelib.DEFAULT_CAPS)
    assert caps["CapBnd"] == want
    # root without file caps: P' = inheritable | bounding (capabilities(7))
    assert caps["CapPrm"] == want and caps["CapEff"] == want
    assert caps["CapInh"] == set() and caps["CapAmb"] == set()


def test_capabilities_five_sets_non_root(ctr):
    bnd = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT"]
    amb = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    cfg = probe_cfg("status")
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    cfg["process"]["capabilities"] = {
        "bounding": bnd, "permitted": bnd, "effective": bnd,
        "inheritable": amb + ["CAP_CHOWN"], "ambient": amb,
    }
    caps = caps_of(run_probe(ctr, cfg))
    assert caps["CapBnd"] == set(bnd)
    assert caps["CapInh"] == set(amb + ["CAP_CHOWN"])
    assert caps["CapAmb"] == set(amb)
    # non-root, no file caps: after execve permitted = effective = ambient
    assert caps["CapPrm"] == set(amb) and caps["CapEff"] == set(amb)


def test_capabilities_empty(ctr):
    cfg = probe_cfg("status")
    cfg["process"]["capabilities"] = {}
    caps = caps_of(run_probe(ctr, cfg))
    assert all(v == set() for v in caps.values()), caps


def test_no_new_privileges(ctr):
    for nnp, want in ((True, "1"), (False, "0")):
        cfg = probe_cfg("status")
        cfg["process"]["noNewPrivileges"] = nnp
        assert run_probe(ctr, cfg)["status"]["NoNewPrivs"] == want


def test_oom_score_adj_raise(ctr):
    cfg = probe_cfg("oom")
    cfg["process"]["oomScoreAdj"] = 500
    assert run_probe(ctr, cfg)["oom_score_adj"] == 500


# ------------------------------------------------------------------ misc linux
def test_sysctl_namespaced(ctr):
    cfg = probe_cfg("sysctl", "net.ipv4.ip_forward", "sysctl", "kernel.shm_rmid_forced")
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1"}
    host_fwd = open("/proc/sys/net/ipv4/ip_forward").read().strip()
    p = run_probe(ctr, cfg)
    assert p["sysctl"]["net.ipv4.ip_forward"].strip() == "1"
    assert p["sysctl"]["kernel.shm_rmid_forced"].strip() == "1"
    assert open("/proc/sys/net/ipv4/ip_forward").read().strip() == host_fwd


def test_sysctl_not_namespaced_rejected(ctr):
    cfg = probe_cfg()
    cfg["linux"]["sysctl"] = {"vm.swappiness": "10"}
    before = open("/proc/sys/vm/swappiness").read()
    c = ctr(cfg)
    msg = one_line_error(c.create(check=False))
    assert "linux.sysctl" in msg and "vm.swappiness" in msg, msg
    assert open("/proc/sys/vm/swappiness").read() == before
    assert c.left_behind() == []


def test_personality_linux32(ctr):
    cfg = default_config(["/bin/uname", "-m"])
    cfg["linux"]["personality"] = {"domain": "LINUX32"}
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    assert r.out.strip() == "i686"


def test_scheduler_and_nice(ctr):
    cfg = probe_cfg("sched")
    cfg["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    s = run_probe(ctr, cfg)["sched"]
    assert s["policy"] == "SCHED_BATCH" and s["nice"] == 7


def test_scheduler_idle(ctr):
    cfg = probe_cfg("sched")
    cfg["process"]["scheduler"] = {"policy": "SCHED_IDLE"}
    assert run_probe(ctr, cfg)["sched"]["policy"] == "SCHED_IDLE"


def test_io_priority(ctr):
    cfg = probe_cfg("ioprio")
    cfg["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    io = run_probe(ctr, cfg)["ioprio"]
    assert io["class"] == "IOPRIO_CLASS_BE" and io["priority"] == 6


def keys_visible(ctr, extra=()):
    cfg = probe_cfg("cat", "/proc/keys")
    cfg["linux"]["maskedPaths"] = [m for m in cfg["linux"]["maskedPaths"] if m != "/proc/keys"]
    c = ctr(cfg)
    r = c.run_fg(*extra)
    assert r.rc == 0, r
    p = json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])
    return c.id, p["cat"]["/proc/keys"] or ""


def test_new_session_keyring_named_after_container(ctr):
    cid, keys = keys_visible(ctr)
    assert cid in keys, keys


def test_no_new_keyring(ctr):
    cid, keys = keys_visible(ctr, ("--no-new-keyring",))
    assert cid not in keys, keys


# ------------------------------------------------------------------ fds
def test_only_stdio_fds(ctr):
    p = run_probe(ctr, probe_cfg("fds"))
    assert sorted(int(k) for k in p["fds"]) == [0, 1, 2], p["fds"]


def test_preserve_fds(ctr, rt, work):
    import subprocess
    c = ctr(probe_cfg("fds", "cat", "/proc/self/fd/3", "cat", "/proc/self/fd/4"))
    f3 = Path(work) / "f3"
    f3.write_text("three\n")
    f4 = Path(work) / "f4"
    f4.write_text("four\n")
    f5 = Path(work) / "f5"
    f5.write_text("five\n")
    fds = [os.open(str(f), os.O_RDONLY) for f in (f3, f4, f5)]
    try:
        # place them at 3, 4, 5 in the runtime
        def pre():
            for i, fd in enumerate(fds):
                os.dup2(fd, 3 + i)
        p = subprocess.run(rt.argv("run", "--bundle", c.bundle, "--preserve-fds", "2", c.id),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                           preexec_fn=pre, close_fds=False)
    finally:
        for fd in fds:
            os.close(fd)
    assert p.returncode == 0, p
    out = json.loads([ln for ln in p.stdout.decode().splitlines() if ln.startswith("{")][0])
    assert sorted(int(k) for k in out["fds"]) == [0, 1, 2, 3, 4], out["fds"]
    assert out["cat"]["/proc/self/fd/3"] == "three\n"
    assert out["cat"]["/proc/self/fd/4"] == "four\n"
