"""Callers send zeros, empty objects and empty strings for "unset" (issue 9).

Docker 20.10 sends `"blockIO": {"weight": 0}` on every create and, on every
`docker update` (even `--restart always`), the whole resources object with
each field it does not change at 0.  runc 1.1 reads a 0 as "leave the file
as it is"; so must ocirun.  Each test checks both that the runtime accepts
the value and that the cgroup file kept its previous value: the default of
a new cgroup (that of a container made without resources) on create, the
limit set before on update.  docs/runc-compat.md lists every such field.

Where runc is installed, the non-resource cases are also run with runc, as
a check of the test itself: what is listed here must be accepted by runc.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import helpers
from helpers import bundlelib, deepcopy, default_config, status_of, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent / "cgroups"))
from cglib import LAYOUT  # noqa: E402

MiB = 1024 * 1024
RUNC = shutil.which("runc")
U64_MAX = 2 ** 64 - 1

# what moby 20.10 puts in linux.resources for a plain `docker run` (daemon/
# oci_linux.go WithResources: getMemoryResources, getCPUResources,
# "blockIO" with the weight always present, no pids without --pids-limit)
DOCKER_CREATE_RESOURCES = {
    "devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 8, "access": "rwm"},
        {"allow": True, "type": "c", "major": 5, "minor": 0, "access": "rwm"},
        {"allow": True, "type": "c", "major": 5, "minor": 1, "access": "rwm"},
        {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"},
        {"allow": True, "type": "c", "major": 136, "access": "rwm"},
        {"allow": True, "type": "c", "major": 5, "minor": 2, "access": "rwm"},
    ],
    "memory": {"disableOOMKiller": False},
    "cpu": {"shares": 0},
    "blockIO": {"weight": 0},
}

# what moby 20.10 sends to the runtime's `update --resources -` for
# `docker update --restart always` (daemon/update_linux.go
# toContainerdResources: every field present, unchanged ones at 0)
DOCKER_UPDATE_ZEROS = {
    "memory": {"limit": 0, "reservation": 0, "kernel": 0},
    "cpu": {"shares": 0, "quota": 0, "period": 0, "cpus": "", "mems": ""},
    "blockIO": {"weight": 0},
}

# every zero, empty string and empty object linux.resources can hold
ALL_ZEROS = {
    "memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0,
               "swappiness": U64_MAX, "disableOOMKiller": False, "checkBeforeUpdate": False},
    "cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0,
            "cpus": "", "mems": ""},
    "blockIO": {"weight": 0, "leafWeight": 0,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 0, "leafWeight": 0},
                                 {"major": 8, "minor": 16}]},
    "pids": {"limit": 0},
    "network": {"classID": 0, "priorities": []},
    "hugepageLimits": [],
    "rdma": {},
    "unified": {},
}


def with_resources(args, res):
    cfg = default_config(args)
    r = cfg["linux"].setdefault("resources", {})
    r.update(deepcopy(res))
    return cfg


def cg_files():
    """The limit files each test compares: (controller, file)."""
    if LAYOUT.is_v2:
        return [("cpu", "cpu.max"), ("cpu", "cpu.weight"), ("cpu", "cpu.idle"), ("memory", "memory.max"),
                ("memory", "memory.low"), ("memory", "memory.swap.max"), ("pids", "pids.max"),
                ("cpuset", "cpuset.cpus"), ("cpuset", "cpuset.mems"), ("io", "io.weight"),
                ("io", "io.bfq.weight"), ("io", "io.max")]
    return [("cpu", "cpu.shares"), ("cpu", "cpu.cfs_quota_us"), ("cpu", "cpu.cfs_period_us"),
            ("cpu", "cpu.rt_runtime_us"), ("cpu", "cpu.rt_period_us"), ("cpu", "cpu.idle"),
            ("memory", "memory.limit_in_bytes"), ("memory", "memory.soft_limit_in_bytes"),
            ("memory", "memory.memsw.limit_in_bytes"), ("memory", "memory.swappiness"),
            ("memory", "memory.oom_control"), ("pids", "pids.max"), ("cpuset", "cpuset.cpus"),
            ("cpuset", "cpuset.mems"), ("blkio", "blkio.weight"), ("blkio", "blkio.bfq.weight"),
            ("blkio", "blkio.throttle.read_bps_device"), ("net_cls", "net_cls.classid")]


def snapshot(c):
    """{"ctrl/file": content} of the limit files of c's cgroup that exist
    (memory.oom_control: only its oom_kill_disable line; the rest counts)."""
    res = {}
    for ctrl, name in cg_files():
        d = LAYOUT.dir(ctrl, c.cgroups_path)
        if d is None or not (d / name).exists():
            continue
        v = (d / name).read_text().strip()
        if name == "memory.oom_control":
            v = v.splitlines()[0]
        res["%s/%s" % (ctrl, name)] = v
    return res


def read(c, ctrl, name):
    return (LAYOUT.dir(ctrl, c.cgroups_path) / name).read_text().strip()


def created(ctr, cfg):
    c = ctr(cfg)
    r = c.create(check=False)
    assert r.rc == 0, "create failed: %s" % r.err
    return c


@pytest.fixture
def baseline(ctr):
    """The limit files of a container made without resources: the kernel's
    defaults for a new cgroup below our parent."""
    c = created(ctr, with_resources(["/probe", "pause"], {}))
    snap = snapshot(c)
    assert snap, "no cgroup files found for %s" % c.cgroups_path
    return snap


# ---------------------------------------------------------------- create
@pytest.mark.parametrize("res", [DOCKER_CREATE_RESOURCES, ALL_ZEROS, DOCKER_UPDATE_ZEROS,
                                 {"memory": {}, "cpu": {}, "blockIO": {}, "pids": {}, "network": {}}],
                         ids=["docker-20.10-create", "every-zero", "docker-update-block", "empty-objects"])
def test_zeros_on_create_leave_the_defaults(ctr, baseline, res):
    c = created(ctr, with_resources(["/probe", "pause"], res))
    assert snapshot(c) == baseline
    # the kernel's defaults, spelled out for the two limits of the issue
    if LAYOUT.is_v2:
        assert read(c, "cpu", "cpu.max").startswith("max ")
    else:
        assert read(c, "cpu", "cpu.cfs_quota_us") == "-1"
    assert read(c, "pids", "pids.max") == "max"


@pytest.mark.parametrize("field,res", [
    ("blockIO.weight", {"blockIO": {"weight": 0}}),
    ("blockIO.leafWeight", {"blockIO": {"leafWeight": 0}}),
    ("blockIO.weightDevice", {"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 0}]}}),
    ("cpu.quota", {"cpu": {"quota": 0}}),
    ("cpu.quota+period", {"cpu": {"quota": 0, "period": 0}}),
    ("cpu.shares", {"cpu": {"shares": 0}}),
    ("cpu.realtime", {"cpu": {"realtimeRuntime": 0, "realtimePeriod": 0}}),
    ("cpu.cpus+mems", {"cpu": {"cpus": "", "mems": ""}}),
    ("memory.limit", {"memory": {"limit": 0}}),
    ("memory.reservation", {"memory": {"reservation": 0}}),
    ("memory.swap", {"memory": {"swap": 0}}),
    ("memory.kernel", {"memory": {"kernel": 0, "kernelTCP": 0}}),
    ("memory.swappiness-2^64-1", {"memory": {"swappiness": U64_MAX}}),
    ("memory.disableOOMKiller-false", {"memory": {"disableOOMKiller": False}}),
    ("pids.limit", {"pids": {"limit": 0}}),
    ("pids-empty", {"pids": {}}),
    ("network.classID", {"network": {"classID": 0}}),
])
def test_each_zero_alone_on_create(ctr, baseline, field, res):
    """Before the fix: blockIO.weight 0 -> "must be between 10 and 1000",
    cpu.quota 0 -> "must be -1 (unlimited) or > 0", pids {} -> "missing
    required property", classID 0 -> "net_cls ... not available"."""
    c = created(ctr, with_resources(["/probe", "pause"], res))
    assert snapshot(c) == baseline, field


def test_negative_quota_and_pids_mean_unlimited(ctr):
    """runc: any negative quota is unlimited (the v1 kernel's reading of
    cfs_quota_us), any negative pids.limit "max"."""
    c = created(ctr, with_resources(["/probe", "pause"], {"cpu": {"quota": -5, "period": 200000},
                                                          "pids": {"limit": -5}}))
    if LAYOUT.is_v2:
        assert read(c, "cpu", "cpu.max") == "max 200000"
    else:
        assert read(c, "cpu", "cpu.cfs_quota_us") == "-1"
        assert read(c, "cpu", "cpu.cfs_period_us") == "200000"
    assert read(c, "pids", "pids.max") == "max"


@pytest.mark.skipif(LAYOUT.is_v2, reason="memory.swappiness is cgroup v1 only")
def test_swappiness_zero_is_a_value(ctr, baseline):
    """Not every 0 is "unset": swappiness 0 is written (runc too)."""
    assert baseline.get("memory/memory.swappiness") not in (None, "0"), baseline
    c = created(ctr, with_resources(["/probe", "pause"], {"memory": {"swappiness": 0}}))
    assert read(c, "memory", "memory.swappiness") == "0"


def test_docker_20_10_config_runs(ctr):
    """A config.json of the shape dockerd 20.10 writes for `docker run
    busybox id` (moby daemon/oci_linux.go and oci/defaults.go): zeros and
    Go's omitempty leftovers everywhere."""
    caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
    cfg = default_config(["/probe", "ids", "umask", "oom"])
    cfg["process"] = {
        "user": {"uid": 0, "gid": 0},
        "args": ["/probe", "ids", "umask", "oom"],
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=0123456789ab"],
        "cwd": "/",
        "capabilities": {k: list(caps) for k in ("bounding", "effective", "inheritable", "permitted")},
        "oomScoreAdj": 0,
    }
    cfg["hostname"] = "0123456789ab"
    cfg["linux"]["resources"] = deepcopy(DOCKER_CREATE_RESOURCES)
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_unprivileged_port_start": "0",
                              "net.ipv4.ping_group_range": "0 2147483647"}
    cfg["linux"]["namespaces"] = [{"type": "mount"}, {"type": "network"}, {"type": "uts"}, {"type": "pid"},
                                  {"type": "ipc"}]
    cfg["linux"]["maskedPaths"] = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                                   "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                   "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
    cfg["linux"]["readonlyPaths"] = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
    c = ctr(cfg)
    p = c.run()
    assert c.exit_code() == 0, c.stderr_text()
    assert p["uid"] == [0, 0, 0], p


# ---------------------------------------------------------------- update
LIMITS = {"cpu": {"shares": 512, "quota": 30000, "period": 100000},
          "memory": {"limit": 96 * MiB, "reservation": 48 * MiB},
          "pids": {"limit": 40}}


@pytest.fixture
def limited(ctr):
    c = ctr(with_resources(["/probe", "pause"], LIMITS))
    c.create()
    c.start()
    wait_for(lambda: status_of(c.rt, c.id) == "running")
    return c


def update(c, *args, res=None):
    r = c.rt.run("update", *args, c.id, input=json.dumps(res) if res is not None else None)
    assert r.rc == 0, "update %s failed: %s" % (list(args), r.err)
    return r


@pytest.mark.parametrize("how", ["docker-restart-always", "every-zero", "empty", "runc-flags"])
def test_update_with_zeros_changes_nothing(limited, how):
    """`docker update --restart always`: before the fix, "linux.resources.
    cpu.quota: must be -1 (unlimited) or > 0, got 0"."""
    c = limited
    before = snapshot(c)
    if how == "runc-flags":
        update(c, "--memory", "0", "--memory-reservation", "0", "--cpu-share", "0", "--cpu-quota", "0",
               "--cpu-period", "0", "--pids-limit", "0", "--blkio-weight", "0", "--cpuset-cpus", "",
               "--cpuset-mems", "")
    else:
        res = {"docker-restart-always": DOCKER_UPDATE_ZEROS, "every-zero": ALL_ZEROS, "empty": {}}[how]
        update(c, "--resources", "-", res=res)
    assert snapshot(c) == before
    # the limits of LIMITS, spelled out
    assert read(c, "pids", "pids.max") == "40"
    if LAYOUT.is_v2:
        assert read(c, "cpu", "cpu.max") == "30000 100000"
        assert read(c, "memory", "memory.max") == str(96 * MiB)
    else:
        assert read(c, "cpu", "cpu.cfs_quota_us") == "30000"
        assert read(c, "cpu", "cpu.shares") == "512"
        assert read(c, "memory", "memory.limit_in_bytes") == str(96 * MiB)
    assert status_of(c.rt, c.id) == "running"


def test_update_of_swap_alone_uses_the_limit_set_before(ctr):
    """`docker update --memory-swap 256m` sends limit 0: runc merges the
    limit from its state; before the fix ocirun refused "swap: cannot be set
    without memory.limit"."""
    c = created(ctr, with_resources(["/probe", "pause"], {"memory": {"limit": 64 * MiB, "swap": 128 * MiB}}))
    d = LAYOUT.dir("memory", c.cgroups_path)
    swapfile = "memory.swap.max" if LAYOUT.is_v2 else "memory.memsw.limit_in_bytes"
    if not (d / swapfile).exists():
        pytest.skip("no swap accounting on this host (%s)" % swapfile)
    update(c, "--resources", "-", res={"memory": {"limit": 0, "reservation": 0, "swap": 256 * MiB}})
    if LAYOUT.is_v2:
        assert read(c, "memory", "memory.max") == str(64 * MiB)
        assert read(c, "memory", "memory.swap.max") == str(192 * MiB)
    else:
        assert read(c, "memory", "memory.limit_in_bytes") == str(64 * MiB)
        assert read(c, "memory", "memory.memsw.limit_in_bytes") == str(256 * MiB)


def docker_update(**fields):
    """toContainerdResources of moby 20.10 for a `docker update` that sets
    only `fields` (keys: memory, shares, cpus, quota, period, pids)."""
    res = deepcopy(DOCKER_UPDATE_ZEROS)
    if "memory" in fields:
        res["memory"]["limit"] = fields["memory"]
    if "shares" in fields:
        res["cpu"]["shares"] = fields["shares"]
    if "cpus" in fields:
        res["cpu"]["cpus"] = fields["cpus"]
    if "quota" in fields:
        res["cpu"]["quota"] = fields["quota"]
        res["cpu"]["period"] = fields["period"]
    if "pids" in fields:
        res["pids"] = {"limit": fields["pids"]}
    return res


def expect_changed(what):
    v1 = {
        "memory": {"memory/memory.limit_in_bytes": str(200 * MiB)},
        "shares": {"cpu/cpu.shares": "256"},
        "cpus": {"cpuset/cpuset.cpus": "0"},
        "quota": {"cpu/cpu.cfs_quota_us": "50000"},
        "pids": {"pids/pids.max": "7"},
    }
    v2 = {
        "memory": {"memory/memory.max": str(200 * MiB)},
        "shares": {"cpu/cpu.weight": str(1 + ((256 - 2) * 9999) // 262142)},
        "cpus": {"cpuset/cpuset.cpus": "0"},
        "quota": {"cpu/cpu.max": "50000 100000"},
        "pids": {"pids/pids.max": "7"},
    }
    return (v2 if LAYOUT.is_v2 else v1)[what]


@pytest.mark.parametrize("what,fields", [
    ("memory", {"memory": 200 * MiB}),         # docker update --memory 200m
    ("shares", {"shares": 256}),               # docker update --cpu-shares 256
    ("cpus", {"cpus": "0"}),                   # docker update --cpuset-cpus 0
    ("quota", {"quota": 50000, "period": 100000}),  # docker update --cpus 0.5
    ("pids", {"pids": 7}),                     # docker update --pids-limit 7
])
def test_docker_update_of_one_field_changes_only_it(limited, what, fields):
    c = limited
    before = snapshot(c)
    update(c, "--resources", "-", res=docker_update(**fields))
    after = snapshot(c)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    want = expect_changed(what)
    for k, v in want.items():
        assert after.get(k) == v, (k, after.get(k), v)
    # v1 cpuset: an unchanged value reads the same; nothing else moved
    assert set(changed) <= set(want), changed


# ---------------------------------------------------------------- other fields
def runc_run(work, rootfs_template, cfg):
    """Run cfg with runc (own --root, cgroup below our prefix); its Result."""
    cid = helpers.new_id("rc")
    helpers.OWN_IDS.add(cid)
    cfg = deepcopy(cfg)
    cfg["linux"]["cgroupsPath"] = "%s/%s" % (helpers.CGROUP_PREFIX, cid)
    b = bundlelib.make_bundle(work / cid, cfg, rootfs_template=rootfs_template)
    state = str(work / "runc-state")
    try:
        r = subprocess.run([RUNC, "--root", state, "run", "-b", str(b), cid], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
    finally:
        subprocess.run([RUNC, "--root", state, "delete", "-f", cid], capture_output=True, timeout=60)
        helpers.remove_cgroup(cfg["linux"]["cgroupsPath"])
        shutil.rmtree(b, ignore_errors=True)
    return r


def no_uts(cfg):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "uts"]


CONFIG_CASES = [
    # (id, mutation of the config)
    ("hostname-empty-no-uts", lambda c: (c.update(hostname=""), no_uts(c))),
    ("domainname-empty", lambda c: c.update(domainname="")),
    ("annotations-empty", lambda c: c.update(annotations={})),
    ("hooks-empty", lambda c: c.update(hooks={"prestart": [], "poststop": []})),
    ("mount-options-empty", lambda c: c["mounts"][0].update(options=[])),
    ("user-empty-object", lambda c: c["process"].update(user={})),
    ("user-additionalGids-empty", lambda c: c["process"]["user"].update(additionalGids=[])),
    ("capabilities-empty-object", lambda c: c["process"].update(capabilities={})),
    ("rlimits-empty", lambda c: c["process"].update(rlimits=[])),
    ("env-empty", lambda c: c["process"].update(env=[])),
    ("consoleSize-zero", lambda c: c["process"].update(consoleSize={"height": 0, "width": 0})),
    ("oomScoreAdj-zero", lambda c: c["process"].update(oomScoreAdj=0)),
    ("labels-empty", lambda c: c["process"].update(apparmorProfile="", selinuxLabel="")),
    ("namespace-path-empty", lambda c: c["linux"]["namespaces"][0].update(path="")),
    ("devices-empty", lambda c: c["linux"].update(devices=[])),
    ("sysctl-empty", lambda c: c["linux"].update(sysctl={})),
    ("resources-empty", lambda c: c["linux"].update(resources={})),
    ("resources-devices-empty", lambda c: c["linux"]["resources"].update(devices=[])),
    ("resources-device-type-empty", lambda c: c["linux"]["resources"].update(
        devices=[{"allow": False, "type": "", "access": "rwm"}])),
    ("masked-readonly-empty", lambda c: c["linux"].update(maskedPaths=[], readonlyPaths=[])),
    ("mappings-empty", lambda c: c["linux"].update(uidMappings=[], gidMappings=[])),
    ("rootfsPropagation-empty", lambda c: c["linux"].update(rootfsPropagation="")),
    ("mountLabel-empty", lambda c: c["linux"].update(mountLabel="")),
    ("intelRdt-empty", lambda c: c["linux"].update(intelRdt={})),
    ("timeOffsets-zero-no-timens", lambda c: c["linux"].update(timeOffsets={"monotonic": {}})),
    ("netDevices-empty", lambda c: c["linux"].update(netDevices={})),
    ("execCPUAffinity-empty", lambda c: c["process"].update(execCPUAffinity={"initial": "", "final": ""})),
]


@pytest.mark.parametrize("mutate", [m for _, m in CONFIG_CASES], ids=[i for i, _ in CONFIG_CASES])
def test_empty_values_in_config_run(ctr, work, rootfs_template, mutate):
    cfg = default_config(["/probe", "ids"])
    mutate(cfg)
    c = ctr(cfg)
    p = c.run()
    assert c.exit_code() == 0, c.stderr_text()
    assert p["uid"][0] == 0, p
    if RUNC:
        r = runc_run(work, rootfs_template, cfg)
        assert r.returncode == 0, "runc refuses this case too (fix the test): %s" % r.stderr


def test_seccomp_without_syscalls_runs(ctr, rt, work, rootfs_template):
    cfg = default_config(["/probe", "ids"])
    cfg["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [], "flags": [],
                               "syscalls": []}
    c = ctr(cfg)
    c.run()
    assert c.exit_code() == 0, c.stderr_text()
    if RUNC:
        r = runc_run(work, rootfs_template, cfg)
        assert r.returncode == 0, "runc refuses this case too (fix the test): %s" % r.stderr


@pytest.fixture
def running(ctr):
    c = ctr(default_config(["/probe", "pause"]))
    c.create()
    c.start()
    c.wait_output(1)
    return c


@pytest.mark.parametrize("proc,want_uid,want_umask", [
    ({"user": {}}, 0, 0o22),
    ({}, 0, 0o22),
    ({"user": {"uid": 0, "gid": 0, "additionalGids": []}, "env": [], "rlimits": [], "capabilities": {},
      "consoleSize": {"height": 0, "width": 0}, "oomScoreAdj": 0, "apparmorProfile": "",
      "noNewPrivileges": False}, 0, 0o22),
    ({"user": {"uid": 1000}}, 1000, 0o22),
], ids=["user-empty", "user-absent", "every-empty", "gid-absent"])
def test_exec_process_json_with_empty_values(running, work, proc, want_uid, want_umask):
    c = running
    p = {"args": ["/probe", "ids", "umask"], "cwd": "/", "env": ["PATH=/bin"]}
    p.update(proc)
    f = work / "process.json"
    f.write_text(json.dumps(p))
    r = c.rt.run("exec", "--process", str(f), c.id)
    assert r.rc == 0, r
    out = json.loads([ln for ln in r.out.splitlines() if ln.startswith("{")][0])
    assert out["uid"] == [want_uid] * 3, out
    assert out["umask"] == want_umask, out
