"""config-linux.md and runtime-linux.md checks."""
import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import runtime as rtlib
from helpers import MS_SHARED, NsHolder, find_mount, sys_mount, sys_umount
from spec import spec

CL, RL = "config-linux.md", "runtime-linux.md"
CGROOT = Path("/sys/fs/cgroup")

NS_FILE = {"pid": "pid", "network": "net", "mount": "mnt", "ipc": "ipc", "uts": "uts",
           "user": "user", "cgroup": "cgroup", "time": "time"}
USERNS_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]


def run_probe(new_container, cfg, *cmds):
    cfg["process"]["args"] = ["/probe", *cmds] if cmds else ["/probe", "all"]
    c = new_container(cfg)
    return c, c.run()


def add_userns(cfg):
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = USERNS_MAP
    cfg["linux"]["gidMappings"] = USERNS_MAP


def cgroup_v1_controllers():
    return [p.name for p in CGROOT.iterdir() if p.is_dir() and p.name not in ("unified", "systemd")
            and (p / "cgroup.procs").exists()]


def is_cgroup2_only():
    return (CGROOT / "cgroup.controllers").exists()


# ---------------------------------------------------------- default filesystems / devices
@spec(CL + "#configLinuxDefaultFilesystems", "The following filesystems SHOULD be made available in each container's filesystem")
def test_default_filesystems(new_container, cfg):
    c, out = run_probe(new_container, cfg, "mounts")
    want = {"/proc": "proc", "/sys": "sysfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs"}
    for mp, fs in want.items():
        m = find_mount(out["mounts"], mp)
        assert m and m["fstype"] == fs, "%s is not %s: %s" % (mp, fs, m)


DEFAULT_DEVICES = {"/dev/null": (1, 3), "/dev/zero": (1, 5), "/dev/full": (1, 7), "/dev/random": (1, 8),
                   "/dev/urandom": (1, 9), "/dev/tty": (5, 0)}


@spec(CL + "#configLinuxDefaultDevices", "In addition to any devices configured with this setting, the runtime MUST also supply")
def test_default_devices(new_container, cfg):
    cmds = []
    for p in list(DEFAULT_DEVICES) + ["/dev/ptmx"]:
        cmds += ["stat", p]
    c, out = run_probe(new_container, cfg, *cmds)
    for p, (ma, mi) in DEFAULT_DEVICES.items():
        st = out["stat"][p]
        assert st["exists"] and st["type"] == "char" and (st["major"], st["minor"]) == (ma, mi), (p, st)
    ptmx = out["stat"]["/dev/ptmx"]
    assert ptmx["exists"], ptmx
    assert (ptmx["type"] == "symlink" and ptmx["target"] in ("pts/ptmx", "/dev/pts/ptmx")) or \
        (ptmx["type"] == "char" and (ptmx["major"], ptmx["minor"]) == (5, 2)), ptmx


@spec(RL + "#runtimeLinuxDevSymbolicLinks", "runtimes MUST create the following symlinks if the source file exists after processing mounts")
def test_dev_symlinks(new_container, cfg):
    want = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1",
            "/dev/stderr": "/proc/self/fd/2"}
    cmds = []
    for p in want:
        cmds += ["stat", p]
    c, out = run_probe(new_container, cfg, *cmds)
    for p, t in want.items():
        st = out["stat"][p]
        assert st["exists"] and st["type"] == "symlink" and st["target"] == t, (p, st)


@spec(RL + "#runtimeLinuxFileDescriptors", "By default, only the stdin, stdout and stderr file descriptors are kept open")
def test_only_stdio_fds(new_container, cfg):
    c, out = run_probe(new_container, cfg, "fds")
    extra = {k: v for k, v in out["fds"].items() if k not in ("0", "1", "2")}
    assert not extra, "extra fds open in the container process: %s" % extra


@spec(CL + "#configLinuxDevices", "lists devices that MUST be available in the container")
def test_devices_created(new_container, cfg):
    cfg["linux"]["devices"] = [
        {"path": "/dev/oc-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 1, "gid": 2},
        {"path": "/dev/oc-fifo", "type": "p", "fileMode": 0o600},
        {"path": "/outside-dev/oc-zero", "type": "c", "major": 1, "minor": 5},
    ]
    c, out = run_probe(new_container, cfg, "stat", "/dev/oc-null", "stat", "/dev/oc-fifo", "stat", "/outside-dev/oc-zero")
    st = out["stat"]["/dev/oc-null"]
    assert st["exists"] and st["type"] == "char" and (st["major"], st["minor"]) == (1, 3), st
    assert st["mode"] == 0o620 and (st["uid"], st["gid"]) == (1, 2), st
    assert out["stat"]["/dev/oc-fifo"].get("type") == "fifo", out["stat"]["/dev/oc-fifo"]
    z = out["stat"]["/outside-dev/oc-zero"]
    assert z["exists"] and z["type"] == "char" and (z["major"], z["minor"]) == (1, 5), z


@spec(CL + "#configLinuxDevices", "If a file already exists at path that does not match the requested device, the runtime MUST generate an error")
def test_device_path_conflict(new_container, cfg):
    cfg["linux"]["devices"] = [{"path": "/oc-dev", "type": "c", "major": 1, "minor": 3}]
    c = new_container(cfg)
    (c.rootfs / "oc-dev").write_text("a regular file, not a device")
    r = c.create(check=False)
    assert not r.ok, "create succeeded although /oc-dev is a regular file"


# ---------------------------------------------------------- namespaces
@pytest.mark.parametrize("nstype", sorted(NS_FILE))
@spec(CL + "#configLinuxNamespaces", "The following namespace types SHOULD be supported")
@spec(CL + "#configLinuxNamespaces", "If path is not specified, the runtime MUST create a new container namespace of type type")
def test_namespace_created(new_container, cfg, host_ns, nstype):
    if not any(n["type"] == nstype for n in cfg["linux"]["namespaces"]):
        if nstype == "user":
            add_userns(cfg)
        else:
            cfg["linux"]["namespaces"].append({"type": nstype})
    c, out = run_probe(new_container, cfg, "ns")
    f = NS_FILE[nstype]
    assert out["ns"][f] and out["ns"][f] != host_ns[f], "no new %s namespace: %s" % (nstype, out["ns"][f])


@pytest.mark.parametrize("nstype", ["network", "ipc", "uts", "cgroup", "pid", "time", "user"])
@spec(CL + "#configLinuxNamespaces", "If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace")
def test_namespace_inherited(new_container, cfg, host_ns, nstype):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != nstype]
    if nstype == "network":
        cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/sys"]
    if nstype == "uts":
        cfg.pop("hostname", None)
    c, out = run_probe(new_container, cfg, "ns")
    f = NS_FILE[nstype]
    assert out["ns"][f] == host_ns[f], "%s namespace %s is not the runtime's %s" % (nstype, out["ns"][f], host_ns[f])


@pytest.fixture
def ns_holder():
    h = NsHolder("--net", "--uts")
    yield h
    h.stop()


@pytest.fixture
def netns_file(ns_holder, work):
    return ns_holder.bind("net", work / "netns")


@spec(CL + "#configLinuxNamespaces", "The runtime MUST place the container process in the namespace associated with that path")
def test_namespace_path_joined(new_container, cfg, netns_file, ns_holder, work):
    utsfile = ns_holder.bind("uts", work / "utsns")
    for n in cfg["linux"]["namespaces"]:
        if n["type"] == "network":
            n["path"] = str(netns_file)
        if n["type"] == "uts":
            n["path"] = str(utsfile)
    c, out = run_probe(new_container, cfg, "ns")
    assert out["ns"]["net"] == "net:[%d]" % os.stat(netns_file).st_ino
    assert out["ns"]["uts"] == "uts:[%d]" % os.stat(utsfile).st_ino


@spec(CL + "#configLinuxNamespaces", "The runtime MUST generate an error if path is not associated with a namespace of type type")
def test_namespace_path_wrong_type(new_container, cfg, netns_file):
    for n in cfg["linux"]["namespaces"]:
        if n["type"] == "uts":
            n["path"] = str(netns_file)  # a network namespace given as uts
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "a network namespace was accepted as the uts namespace"


@spec(CL + "#configLinuxNamespaces", "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error")
def test_namespace_duplicate(new_container, cfg):
    cfg["linux"]["namespaces"].append({"type": "ipc"})
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "duplicate ipc namespace accepted"


@spec(CL + "#configLinuxUserNamespaceMappings", "describes the user namespace uid mappings from the host to the container")
def test_userns_mappings(new_container, cfg):
    add_userns(cfg)
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 1000},
                                   {"containerID": 1000, "hostID": 200000, "size": 10}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 2000}]
    c, out = run_probe(new_container, cfg, "cat", "/proc/self/uid_map", "cat", "/proc/self/gid_map")
    um = sorted(tuple(int(x) for x in l.split()) for l in out["cat"]["/proc/self/uid_map"].splitlines())
    gm = sorted(tuple(int(x) for x in l.split()) for l in out["cat"]["/proc/self/gid_map"].splitlines())
    assert um == [(0, 100000, 1000), (1000, 200000, 10)], um
    assert gm == [(0, 300000, 2000)], gm


@spec(CL + "#configLinuxUserNamespaceMappings", "The runtime SHOULD NOT modify the ownership of referenced filesystems to realize the mapping")
def test_userns_no_chown(new_container, cfg):
    add_userns(cfg)
    c = new_container(cfg)
    before = {p: (os.lstat(p).st_uid, os.lstat(p).st_gid) for p in [c.rootfs, c.rootfs / "probe", c.rootfs / "etc" / "passwd"]}
    c.config["process"]["args"] = ["/probe", "ids"]
    c.write_config()
    c.run()
    after = {p: (os.lstat(p).st_uid, os.lstat(p).st_gid) for p in before}
    assert before == after, "ownership changed: %s -> %s" % (before, after)


@spec(CL + "#configLinuxTimeOffset", "timeOffsets (object, OPTIONAL) sets the offset for Time Namespace")
def test_time_offsets(new_container, cfg):
    cfg["linux"]["namespaces"].append({"type": "time"})
    cfg["linux"]["timeOffsets"] = {"monotonic": {"secs": 864000, "nanosecs": 0},
                                   "boottime": {"secs": 1728000, "nanosecs": 0}}
    c, out = run_probe(new_container, cfg, "clocks")
    host_mono = time.clock_gettime(time.CLOCK_MONOTONIC)
    host_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    assert abs(out["clocks"]["monotonic"] - host_mono - 864000) < 60, (out["clocks"], host_mono)
    assert abs(out["clocks"]["boottime"] - host_boot - 1728000) < 60, (out["clocks"], host_boot)


# ---------------------------------------------------------- network devices
@pytest.fixture
def netdev_runtime(rt, work):
    """A private network namespace holding a dummy interface with an address;
    the runtime under test runs inside it (nothing touches the host's network)."""
    holder = NsHolder("--net")
    ns = holder.bind("net", work / "rt-netns")
    try:
        def ip(*a):
            subprocess.run(["nsenter", "--net=%s" % ns, "ip", *a], check=True, capture_output=True)
        # a veth pair (dummy links are not available on every kernel)
        ip("link", "add", "ocdummy0", "type", "veth", "peer", "name", "ocpeer0")
        ip("addr", "add", "10.254.254.1/24", "dev", "ocdummy0")  # exists only inside this netns
        r = rtlib.Runtime(rt.path, rt.root, rt.global_args, prefix=rt.prefix + ["nsenter", "--net=%s" % ns])
        r.private_mntns = rt.private_mntns
        yield r, ns
    finally:
        holder.stop()


def _netdev_container(new_container, cfg, rtx, devices, script):
    cfg["linux"]["netDevices"] = devices
    cfg["process"]["args"] = ["/bin/sh", "-c", script]
    c = new_container(cfg)
    c.rt = rtx
    return c


@spec(CL + "#configLinuxNetworkDevices", "A set of network devices that MUST be made")
def test_netdevices_moved_and_renamed(new_container, cfg, netdev_runtime):
    rtx, ns = netdev_runtime
    c = _netdev_container(new_container, cfg, rtx, {"ocdummy0": {"name": "ctr0"}}, "ls /sys/class/net")
    r = c.create(check=False)
    assert r.ok, r
    c.start()
    c.wait()
    names = c.stdout_text().split()
    assert "ctr0" in names, "ctr0 not in the container: %s" % names


@spec(CL + "#configLinuxNetworkDevices", "The runtime MUST preserve existing network interface attributes")
def test_netdevices_address_preserved(new_container, cfg, netdev_runtime):
    rtx, ns = netdev_runtime
    c = _netdev_container(new_container, cfg, rtx, {"ocdummy0": {}}, "ip -o -4 addr show dev ocdummy0")
    r = c.create(check=False)
    assert r.ok, r
    c.start()
    c.wait()
    assert "10.254.254.1/24" in c.stdout_text(), c.stdout_text() + c.stderr_text()


@spec(CL + "#configLinuxNetworkDevices", "The runtime MUST set the network device state to \"up\"")
def test_netdevices_up(new_container, cfg, netdev_runtime):
    rtx, ns = netdev_runtime
    c = _netdev_container(new_container, cfg, rtx, {"ocdummy0": {}}, "cat /sys/class/net/ocdummy0/flags")
    r = c.create(check=False)
    assert r.ok, r
    c.start()
    c.wait()
    txt = c.stdout_text().strip()
    assert txt.startswith("0x") and int(txt, 16) & 1, "interface not up (flags %r)" % txt


@spec(CL + "#configLinuxNetworkDevices", "exists in the container namespace, the runtime MUST generate an error")
def test_netdevices_name_conflict(new_container, cfg, netdev_runtime):
    rtx, ns = netdev_runtime
    c = _netdev_container(new_container, cfg, rtx, {"ocdummy0": {"name": "lo"}}, "true")
    r = c.create(check=False)
    assert not r.ok, "moving a device to the existing name 'lo' was accepted"


@spec(CL + "#configLinuxNetworkDevices", "In that case, the runtime MUST allow the move")
def test_netdevices_name_template(new_container, cfg, netdev_runtime):
    rtx, ns = netdev_runtime
    c = _netdev_container(new_container, cfg, rtx, {"ocdummy0": {"name": "ctr%d"}}, "ls /sys/class/net")
    r = c.create(check=False)
    assert r.ok, r
    c.start()
    c.wait()
    assert any(n.startswith("ctr") for n in c.stdout_text().split()), c.stdout_text()


# ---------------------------------------------------------- cgroups
def _proc_cgroup(pid):
    return dict((l.split(":", 2)[1], l.split(":", 2)[2]) for l in Path("/proc/%d/cgroup" % pid).read_text().splitlines())


@spec(CL + "#configLinuxCgroupsPath", "In the case of an absolute path (starting with /), the runtime MUST take the path to be relative to the cgroups mount point")
def test_cgroups_path_absolute(new_container, cfg):
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "pause"]
    c.write_config()
    c.create()
    cg = _proc_cgroup(c.pid)
    keys = ("memory", "pids", "cpu,cpuacct", "cpu", "devices", "blkio", "freezer")
    if is_cgroup2_only():
        keys = ("",)
    ctrls = [k for k in keys if k in cg]
    assert ctrls, cg
    wrong = {k: cg[k] for k in ctrls if cg[k] != c.cgroups_path}
    assert not wrong, "container not at %s in: %s" % (c.cgroups_path, wrong)
    for ctrl in cgroup_v1_controllers():
        if ctrl in ("memory", "pids", "devices"):
            assert (CGROOT / ctrl / c.cgroups_path.lstrip("/")).is_dir(), ctrl


@spec(CL + "#configLinuxCgroupsPath", "the runtime MUST consistently attach to the same place in the cgroups hierarchy given the same value of cgroupsPath")
def test_cgroups_path_consistent(new_container, cfg):
    path = "/ocirun-conformance/same-%d" % os.getpid()
    seen = []
    for _ in range(2):
        cfg2 = json.loads(json.dumps(cfg))
        cfg2["linux"]["cgroupsPath"] = path
        cfg2["process"]["args"] = ["/probe", "pause"]
        c = new_container(cfg2)
        c.create()
        seen.append(_proc_cgroup(c.pid))
        c.destroy()
    assert seen[0] == seen[1], seen
    assert seen[0].get("memory") == path, seen[0]


@spec(CL + "#configLinuxCgroupsPath", "Runtimes SHOULD NOT change the ownership of container cgroups when")
def test_cgroup_ownership_v1(new_container, cfg):
    if is_cgroup2_only():
        pytest.skip("host is cgroup v2 only; this rule is about cgroup v1")
    add_userns(cfg)
    cfg["linux"]["namespaces"].append({"type": "cgroup"})
    cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                          "options": ["nosuid", "noexec", "nodev", "relatime", "rw"]})
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "pause"]
    c.write_config()
    r = c.create(check=False)
    if not r.ok:
        pytest.skip("runtime cannot mount cgroup rw in a user namespace here: %s" % r.err.strip()[-200:])
    owners = {}
    for d in c.cgroup_dirs():
        for f in [d] + [d / "cgroup.procs", d / "tasks"]:
            if f.exists():
                st = os.stat(f)
                owners[str(f)] = (st.st_uid, st.st_gid)
    assert owners and all(o == (0, 0) for o in owners.values()), owners


@spec(CL + "#configLinuxDeviceAllowedlist", "The runtime MUST apply entries in the listed order")
def test_device_allowlist_order(new_container, cfg):
    if is_cgroup2_only():
        pytest.skip("cgroup v2: device rules are an eBPF program, not readable here")
    cfg["linux"]["resources"]["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 42, "minor": 42, "access": "rwm"},
        {"allow": False, "type": "c", "major": 42, "minor": 42, "access": "w"},
    ]
    c = new_container(cfg)
    c.config["process"]["args"] = ["/probe", "pause"]
    c.write_config()
    c.create()
    d = CGROOT / "devices" / c.cgroups_path.lstrip("/")
    rules = (d / "devices.list").read_text().split("\n")
    mine = [r for r in rules if r.startswith("c 42:42 ")]
    assert mine, "no rule for c 42:42: %s" % rules
    acc = mine[0].split()[2]
    assert "r" in acc and "m" in acc and "w" not in acc, "c 42:42 has %r; the later deny of w was not applied after the allow" % acc


def _cg_read(c, ctrl, f):
    return (CGROOT / ctrl / c.cgroups_path.lstrip("/") / f).read_text().strip()


@spec(CL + "#configLinuxMemory", "limit (int64, OPTIONAL) - sets limit of memory usage")
def test_memory_limit(new_container, cfg):
    cfg["linux"]["resources"]["memory"] = {"limit": 64 << 20}
    c = new_container(cfg)
    c.create()
    assert int(_cg_read(c, "memory", "memory.limit_in_bytes")) == 64 << 20


@spec(CL + "#configLinuxCPU", "shares (uint64, OPTIONAL) - specifies a relative share of CPU time")
def test_cpu_shares(new_container, cfg):
    cfg["linux"]["resources"]["cpu"] = {"shares": 512, "quota": 50000, "period": 100000}
    c = new_container(cfg)
    c.create()
    assert int(_cg_read(c, "cpu", "cpu.shares")) == 512
    assert int(_cg_read(c, "cpu", "cpu.cfs_quota_us")) == 50000


@spec(CL + "#configLinuxPIDS", "limit (int64, OPTIONAL) - specifies the maximum number of tasks in the cgroup")
def test_pids_limit(new_container, cfg):
    cfg["linux"]["resources"]["pids"] = {"limit": 77}
    c = new_container(cfg)
    c.create()
    assert _cg_read(c, "pids", "pids.max") == "77"


@spec(CL + "#configLinuxPIDS", "0 is a valid limit value for the pids cgroup controller from the kernel's perspective and SHOULD be treated as such by runtimes")
def test_pids_limit_zero(new_container, cfg):
    cfg["linux"]["resources"]["pids"] = {"limit": 0}
    c = new_container(cfg)
    r = c.create(check=False)
    assert r.ok, r
    assert _cg_read(c, "pids", "pids.max") == "0", "pids limit 0 was not applied (pids.max=%s)" % _cg_read(c, "pids", "pids.max")


@spec(CL + "#configLinuxUnified", "The runtime MUST generate an error when the configuration refers to a cgroup controller that is not present")
def test_unified_missing_controller(new_container, cfg):
    if is_cgroup2_only():
        pytest.skip("on a cgroup v2 host every usual controller is present")
    cfg["linux"]["resources"]["unified"] = {"memory.max": "67108864"}
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "unified memory.max accepted though the v2 hierarchy has no memory controller"


@spec(CL + "#configLinuxUnified", "The OCI runtime MUST ensure that the needed cgroup controllers are enabled for the cgroup")
def test_unified_controllers_enabled(new_container, cfg):
    if not is_cgroup2_only():
        pytest.skip("host is not cgroup v2 (this one is v1/hybrid): unified settings cannot be applied here")
    cfg["linux"]["resources"]["unified"] = {"pids.max": "33"}
    c = new_container(cfg)
    c.create()
    assert (CGROOT / c.cgroups_path.lstrip("/") / "pids.max").read_text().strip() == "33"


@spec(CL + "#configLinuxUnified", "Configuration unknown to the runtime MUST still be written to the relevant file")
def test_unified_unknown_written(new_container, cfg):
    if not is_cgroup2_only():
        pytest.skip("host is not cgroup v2 (this one is v1/hybrid): unified settings cannot be applied here")
    cfg["linux"]["resources"]["unified"] = {"memory.high": "123142144"}
    c = new_container(cfg)
    c.create()
    assert (CGROOT / c.cgroups_path.lstrip("/") / "memory.high").read_text().strip() == "123142144"


@spec(CL + "#configLinuxIntelRdt", "If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error")
def test_intel_rdt_without_resctrl(new_container, cfg):
    if "resctrl" in Path("/proc/self/mounts").read_text():
        pytest.skip("resctrl is mounted on this host")
    cfg["linux"]["intelRdt"] = {"closID": "oc-conformance"}
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "intelRdt accepted without a mounted resctrl"


# ---------------------------------------------------------- misc linux
@spec(CL + "#configLinuxMemoryPolicy", "mode (string, REQUIRED)")
def test_memory_policy(new_container, cfg):
    cfg["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0"}
    c, out = run_probe(new_container, cfg, "mempolicy")
    assert out["mempolicy"] == {"mode": "MPOL_BIND", "nodes": [0]}, out["mempolicy"]


@spec(CL + "#configLinuxSysctl", "allows kernel parameters to be modified at runtime for the container")
def test_sysctl(new_container, cfg):
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1"}
    c, out = run_probe(new_container, cfg, "sysctl", "net.ipv4.ip_forward", "sysctl", "kernel.shm_rmid_forced")
    assert out["sysctl"] == {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1"}, out["sysctl"]


@spec(CL + "#configLinuxRootfsMountPropagation", "rootfsPropagation (string, OPTIONAL) sets the rootfs's mount propagation")
@pytest.mark.parametrize("prop", ["shared", "slave", "private", "unbindable"])
def test_rootfs_propagation(rt, cfg, prop, work, rootfs_template):
    """The bundle lives on a host mount that is shared (as / is on most hosts),
    so "slave" has a host peer group to receive events from."""
    mnt = work / "shared-parent"
    mnt.mkdir()
    sys_mount("oc-shared", mnt, "tmpfs", 0, "size=64m")
    c = None
    try:
        sys_mount(None, mnt, None, MS_SHARED)
        cfg["linux"]["rootfsPropagation"] = prop
        cfg["process"]["args"] = ["/probe", "mounts"]
        c = rtlib.Container(rt, mnt, config=cfg, rootfs_template=rootfs_template)
        out = c.run()
    finally:
        if c is not None:
            c.destroy()
        sys_umount(mnt)
    root = find_mount(out["mounts"], "/")
    opt = " ".join(root["optional"])
    ok = {"shared": "shared:" in opt,
          "slave": "master:" in opt and "shared:" not in opt,
          "private": not any(x in opt for x in ("shared:", "master:", "unbindable")),
          "unbindable": "unbindable" in opt}[prop]
    assert ok, "rootfs propagation %r not applied: %r" % (prop, root["optional"])


@spec(CL + "#configLinuxMaskedPaths", "will mask over the provided paths inside the container so that they cannot be read")
def test_masked_paths(new_container, cfg):
    cfg["linux"]["maskedPaths"] = ["/proc/kcore", "/sys/firmware", "/etc/oc-secret", "/oc-secret-dir"]
    c = new_container(cfg)
    (c.rootfs / "etc" / "oc-secret").write_text("secret")
    (c.rootfs / "oc-secret-dir").mkdir()
    (c.rootfs / "oc-secret-dir" / "f").write_text("secret")
    c.config["process"]["args"] = ["/probe", "masked", "/proc/kcore", "masked", "/sys/firmware",
                                   "masked", "/etc/oc-secret", "masked", "/oc-secret-dir"]
    c.write_config()
    out = c.run()["masked"]
    for p in ("/proc/kcore", "/etc/oc-secret"):
        m = out[p]
        assert not m.get("readable") or m.get("read_bytes") == 0, "%s readable: %s" % (p, m)
    for p in ("/sys/firmware", "/oc-secret-dir"):
        m = out[p]
        assert not m.get("readable") or m.get("entries") == 0, "%s listable: %s" % (p, m)


@spec(CL + "#configLinuxReadonlyPaths", "will set the provided paths as readonly inside the container")
def test_readonly_paths(new_container, cfg):
    cfg["linux"]["readonlyPaths"] = ["/proc/sys", "/proc/self/oom_score_adj", "/etc", "/tmp"]
    c, out = run_probe(new_container, cfg, "readonly", "/proc/sys", "readonly", "/proc/self/oom_score_adj",
                       "readonly", "/etc", "readonly", "/tmp")
    for p, r in out["readonly"].items():
        assert r["exists"] and r.get("st_rdonly") and not r["writable"], "%s not read-only: %s" % (p, r)


@spec(CL + "#configLinuxPersonality", "domain (string, REQUIRED) - the execution domain")
def test_personality_linux32(new_container, cfg):
    cfg["linux"]["personality"] = {"domain": "LINUX32"}
    c, out = run_probe(new_container, cfg, "personality", "uts")
    assert out["personality"] & 0xff == 0x0008, "personality %#x is not PER_LINUX32" % out["personality"]
    assert out["machine"] in ("i686", "i386"), out["machine"]


# ---------------------------------------------------------- seccomp
def _seccomp(cfg, **kw):
    s = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]}
    s.update(kw)
    cfg["linux"]["seccomp"] = s


@spec(CL + "#configLinuxSeccomp", "defaultAction (string, REQUIRED) - the default action for seccomp")
def test_seccomp_default_action(new_container, cfg):
    """defaultAction ERRNO with an allow-list: a syscall not listed fails with EPERM."""
    # every syscall the kernel headers know except mkdir/mkdirat is allowed, so the
    # runtime's own work after loading the filter is unaffected
    import re
    hdr = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
    if not hdr.exists():
        pytest.skip("no x86_64 syscall table (%s) to build an allow-list from" % hdr)
    allow = sorted(set(re.findall(r"#define __NR_(\w+)", hdr.read_text())) - {"mkdir", "mkdirat"})
    _seccomp(cfg, defaultAction="SCMP_ACT_ERRNO", syscalls=[{"names": allow, "action": "SCMP_ACT_ALLOW"}])
    c, out = run_probe(new_container, cfg, "status", "syscall", "mkdir", "syscall", "getcwd")
    assert out["status"]["Seccomp"] == "2", out["status"]
    assert out["syscalls"]["mkdir"]["errno"] == "EPERM", out["syscalls"]
    assert out["syscalls"]["getcwd"]["errno"] is None, out["syscalls"]


@spec(CL + "#configLinuxSeccomp", "action (string, REQUIRED) - the action for seccomp rules")
def test_seccomp_action_errno_ret(new_container, cfg):
    _seccomp(cfg, syscalls=[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}])
    c, out = run_probe(new_container, cfg, "status", "syscall", "mkdir", "syscall", "getcwd")
    assert out["syscalls"]["mkdir"]["errno"] == "ENOSYS", out["syscalls"]
    assert out["syscalls"]["getcwd"]["errno"] is None


@spec(CL + "#configLinuxSeccomp", "op (string, REQUIRED) - the operator for syscall arguments in seccomp")
def test_seccomp_args_op(new_container, cfg):
    _seccomp(cfg, syscalls=[{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                             "args": [{"index": 0, "value": 0xffffffff, "op": "SCMP_CMP_EQ"}]}])
    c, out = run_probe(new_container, cfg, "syscall", "personality", "syscall", "mkdir")
    assert out["syscalls"]["personality"]["errno"] == "EPERM", out["syscalls"]
    assert out["syscalls"]["mkdir"]["errno"] is None, out["syscalls"]


@pytest.mark.parametrize("where", ["default", "rule"])
@spec(CL + "#configLinuxSeccomp", "When the action doesn't support an errno, the runtime MUST print and error and fail")
def test_seccomp_errno_on_wrong_action(new_container, cfg, where):
    if where == "default":
        _seccomp(cfg, defaultErrnoRet=5, syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}])
    else:
        _seccomp(cfg, syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 5}])
    c = new_container(cfg)
    r = c.create(check=False)
    if r.ok:
        r = c.start(check=False)
    assert not r.ok, "errnoRet with an action that has no errno was accepted (%s)" % where
    assert (r.err + r.out).strip(), "failed without printing an error"


class Listener:
    """A seccomp agent socket: records what the runtime sends."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.sock.settimeout(15)
        self.conns = []
        self.t = threading.Thread(target=self._serve, daemon=True)
        self.t.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        rec = {"msgs": [], "fds": [], "closed": False}
        conn.settimeout(10)
        try:
            while True:
                msg, anc, flags, _ = conn.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
                fds = []
                for lvl, typ, data in anc:
                    if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        fds += list(memoryview(data).cast("i"))
                rec["msgs"].append((msg, fds))
                rec["fds"] += fds
                if not msg:
                    rec["closed"] = True
                    break
        except OSError:
            pass
        self.conns.append(rec)
        conn.close()

    def close(self):
        self.sock.close()
        for c in self.conns:
            for fd in c["fds"]:
                try:
                    os.close(fd)
                except OSError:
                    pass


@pytest.fixture
def notify_run(new_container, cfg, work):
    lst = Listener(work / "agent.sock")
    _seccomp(cfg, listenerPath=lst.path, listenerMetadata="oc-meta",
             syscalls=[{"names": ["mknod"], "action": "SCMP_ACT_NOTIFY"}])
    cfg["process"]["args"] = ["/probe", "proc"]
    c = new_container(cfg)
    r = c.create(check=False)
    if r.ok:
        c.start(check=False)
        try:
            c.wait(10)
        except TimeoutError:
            pass
    lst.t.join(10)
    yield r, lst, c
    lst.close()


def _agent_state(notify_run):
    r, lst, c = notify_run
    assert r.ok, "create with a seccomp listener failed: %s" % r.err.strip()[-300:]
    assert lst.conns, "the runtime never connected to listenerPath"
    conn = lst.conns[0]
    payload = b"".join(m for m, _ in conn["msgs"])
    return conn, json.loads(payload.decode())


@spec(CL + "#configLinuxSeccomp", "This socket MUST use AF_UNIX domain and SOCK_STREAM type")
def test_seccomp_listener_stream(notify_run):
    conn, st = _agent_state(notify_run)
    assert st


@spec(CL + "#configLinuxSeccomp", "The runtime MUST send exactly one container process state per connection")
@spec(CL + "#configLinuxSeccomp", "The connection MUST NOT be reused and it MUST be closed after sending a seccomp state")
def test_seccomp_listener_one_state_then_close(notify_run):
    conn, st = _agent_state(notify_run)
    assert conn["closed"], "connection not closed after the state"
    assert len(notify_run[1].conns) == 1


@spec(CL + "#containerprocessstate", "The container runtime MUST send the container process state over the UNIX socket as regular payload serialized in JSON")
@spec(CL + "#configLinuxSeccomp", "seccompFd (string, REQUIRED) is the seccomp file descriptor returned by the seccomp syscall")
def test_seccomp_process_state_payload(notify_run):
    conn, st = _agent_state(notify_run)
    assert st.get("fds") and "seccompFd" in st["fds"], st
    assert len(conn["fds"]) == len(st["fds"]), (conn["fds"], st["fds"])
    i = st["fds"].index("seccompFd")
    link = os.readlink("/proc/self/fd/%d" % conn["fds"][i])
    assert "seccomp" in link, "fd %s is not a seccomp notify fd: %s" % (i, link)
    assert st.get("metadata") == "oc-meta", st


@spec(CL + "#containerprocessstate", "If more than one sendmsg(2) is used, the file descriptors MUST be sent only in the first call")
def test_seccomp_fds_first_message(notify_run):
    conn, st = _agent_state(notify_run)
    with_fds = [i for i, (m, fds) in enumerate(conn["msgs"]) if fds]
    assert with_fds == [0], "fds sent in messages %s" % with_fds


@spec(CL + "#containerprocessstate", "ociVersion (string, REQUIRED) is version of the Open Container Initiative Runtime Specification with which the container process state complies")
def test_seccomp_state_ociversion(notify_run):
    conn, st = _agent_state(notify_run)
    assert isinstance(st.get("ociVersion"), str) and st["ociVersion"], st


@spec(CL + "#containerprocessstate", "pid (int, REQUIRED) is the container process ID, as seen by the runtime")
def test_seccomp_state_pid(notify_run):
    conn, st = _agent_state(notify_run)
    c = notify_run[2]
    assert st.get("pid") == c.pid, (st.get("pid"), c.pid)


@spec(CL + "#containerprocessstate", "state (state, REQUIRED) is the state of the container")
def test_seccomp_state_state(notify_run):
    conn, st = _agent_state(notify_run)
    s = st.get("state")
    assert isinstance(s, dict) and s.get("id") == notify_run[2].id and "status" in s and "bundle" in s, s


@spec(CL + "#configLinuxSeccomp", "If sending to this socket fails, the runtime MUST generate an error")
def test_seccomp_listener_unreachable(new_container, cfg, work):
    _seccomp(cfg, listenerPath=str(work / "no-such.sock"), syscalls=[{"names": ["mknod"], "action": "SCMP_ACT_NOTIFY"}])
    c = new_container(cfg)
    r = c.create(check=False)
    if r.ok:
        r = c.start(check=False)
    assert not r.ok, "unreachable listenerPath accepted"
