"""linux.resources through the ocirun CLI with real containers: the value in
the cgroup file (layout-aware: v1/hybrid or pure v2 file names and
conversions) and its effect where a container can observe it."""
import os
import re
from pathlib import Path

import pytest

import helpers
from cglib import LAYOUT, PARENT, cfg_with, make_parent, nothing_left, remove_tree
from helpers import wait_for

MiB = 1024 * 1024
needs_v2 = pytest.mark.skipif(not LAYOUT.is_v2, reason="pure cgroup v2 only (host is %s)" % LAYOUT.kind)


def signal_of(status):
    """The signal that killed a container (from a raw wait status), or None."""
    if status is not None and os.WIFSIGNALED(status):
        return os.WTERMSIG(status)
    return None


def last_cpu():
    """The highest CPU our own cpuset allows (a container may be pinned there)."""
    return max(os.sched_getaffinity(0))


def memory_events(c):
    """OOM kill counter of the container's memory cgroup."""
    if LAYOUT.is_v2:
        text = c.read("memory", "memory.events")
    else:
        text = c.read("memory", "memory.oom_control")
    m = re.search(r"^oom_kill (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- memory
def test_memory_limit_file_and_oom_kill(cctr):
    """A process allocating beyond memory.limit is OOM-killed (SIGKILL:
    status 137 to a shell) and the cgroup counts the kill."""
    limit = 32 * MiB
    # dd's 64 MiB buffer is filled from /dev/zero: every page is charged
    c = cctr(cfg_with(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                      {"memory": {"limit": limit, "swap": limit}}))
    c.create()
    if LAYOUT.is_v2:
        assert c.read("memory", "memory.max") == str(limit)
        assert c.read("memory", "memory.swap.max") == "0"  # swap == limit: no swap
    else:
        assert c.read("memory", "memory.limit_in_bytes") == str(limit)
        if (c.cgdir("memory") / "memory.memsw.limit_in_bytes").exists():
            assert c.read("memory", "memory.memsw.limit_in_bytes") == str(limit)
    c.start()
    st = c.wait(60)
    assert signal_of(st) == 9, "dd was not OOM-killed: status %r, stderr %r" % (st, c.stderr_text())
    kills = memory_events(c)
    if kills is not None:
        assert kills >= 1


def test_memory_below_limit_is_fine(cctr):
    """The control: the same allocation below the limit exits 0."""
    c = cctr(cfg_with(["dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"],
                      {"memory": {"limit": 64 * MiB, "swap": 64 * MiB}}))
    c.create()
    c.start()
    assert c.exit_code(60) == 0, c.stderr_text()


def test_memory_oom_in_shell_gives_137(cctr):
    """runc's convention seen from inside: a child killed by the OOM killer
    is reported by sh as 137."""
    c = cctr(cfg_with(["sh", "-c", "dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo status=$?"],
                      {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}}))
    c.create()
    c.start()
    assert c.exit_code(60) == 0, c.stderr_text()
    assert "status=137" in c.stdout_text(), c.stdout_text()


def test_memory_reservation_and_unlimited(cctr):
    c = cctr(cfg_with(["/probe", "pause"], {"memory": {"limit": -1, "reservation": 16 * MiB}}))
    c.create()
    if LAYOUT.is_v2:
        assert c.read("memory", "memory.max") == "max"
        assert c.read("memory", "memory.low") == str(16 * MiB)
    else:
        assert int(c.read("memory", "memory.limit_in_bytes")) >= 2 ** 62
        assert c.read("memory", "memory.soft_limit_in_bytes") == str(16 * MiB)


# ---------------------------------------------------------------- pids
FORK_LOOP = ("i=0; while [ $i -lt 20 ]; do sleep 1000 & i=$((i+1)); echo forked $i; done; echo all-forked")


def test_pids_limit_file_and_fork_fails(cctr):
    """With pids.limit 5 the shell (1) + 4 sleeps fill the cgroup: the 5th
    fork fails with EAGAIN ("can't fork")."""
    c = cctr(cfg_with(["sh", "-c", FORK_LOOP], {"pids": {"limit": 5}}))
    c.create()
    assert c.read("pids", "pids.max") == "5"
    c.start()
    c.wait(60)
    out, err = c.stdout_text(), c.stderr_text()
    assert "all-forked" not in out, out
    assert re.search(r"can't fork|Resource temporarily unavailable", err), err
    assert out.count("forked ") == 4, out


def test_pids_unlimited_and_zero(cctr):
    c = cctr(cfg_with(["/probe", "pause"], {"pids": {"limit": -1}}))
    c.create()
    assert c.read("pids", "pids.max") == "max"


# ---------------------------------------------------------------- cpu
def v2_weight(shares):
    shares = min(max(shares, 2), 262144)
    return 1 + ((shares - 2) * 9999) // 262142


def test_cpu_shares_quota_period_files(cctr):
    cpu = {"shares": 512, "quota": 50000, "period": 100000}
    c = cctr(cfg_with(["/probe", "pause"], {"cpu": cpu}))
    c.create()
    if LAYOUT.is_v2:
        assert c.read("cpu", "cpu.weight") == str(v2_weight(512))
        assert c.read("cpu", "cpu.max") == "50000 100000"
    else:
        assert c.read("cpu", "cpu.shares") == "512"
        assert c.read("cpu", "cpu.cfs_quota_us") == "50000"
        assert c.read("cpu", "cpu.cfs_period_us") == "100000"


@pytest.mark.parametrize("shares", [2, 1024, 262144])
def test_cpu_weight_conversion(cctr, shares):
    c = cctr(cfg_with(["/probe", "pause"], {"cpu": {"shares": shares}}))
    c.create()
    if LAYOUT.is_v2:
        assert c.read("cpu", "cpu.weight") == str(v2_weight(shares))
    else:
        assert c.read("cpu", "cpu.shares") == str(shares)


def test_cpu_quota_unlimited_with_period(cctr):
    c = cctr(cfg_with(["/probe", "pause"], {"cpu": {"quota": -1, "period": 250000}}))
    c.create()
    if LAYOUT.is_v2:
        assert c.read("cpu", "cpu.max") == "max 250000"
    else:
        assert c.read("cpu", "cpu.cfs_quota_us") == "-1"
        assert c.read("cpu", "cpu.cfs_period_us") == "250000"


def throttled(c):
    m = re.search(r"^nr_throttled (\d+)$", c.read("cpu", "cpu.stat"), re.M)
    return int(m.group(1)) if m else 0


def test_cpu_quota_throttles_a_busy_loop(cctr):
    """A busy loop under a 1% quota gets throttled (cpu.stat nr_throttled
    grows; polled, no timing assumption)."""
    c = cctr(cfg_with(["sh", "-c", "while :; do :; done"], {"cpu": {"quota": 1000, "period": 100000}}))
    c.create()
    c.start()
    wait_for(lambda: throttled(c) > 0, timeout=60, interval=0.2)


def test_cpuset_file_and_affinity(cctr):
    cpu = str(last_cpu())
    c = cctr(cfg_with(["/probe", "affinity"], {"cpu": {"cpus": cpu, "mems": "0"}}))
    c.create()
    assert c.read("cpuset", "cpuset.cpus") == cpu
    assert c.read("cpuset", "cpuset.mems") == "0"
    c.start()
    c.wait(60)
    p = c.probe()
    assert [int(x) for x in p["affinity"]] == [int(cpu)], p


# ---------------------------------------------------------------- blkio
def blkio_weight_file(c):
    d = c.cgdir("io" if LAYOUT.is_v2 else "blkio")
    if d is None:
        return None, None
    names = ["io.bfq.weight", "io.weight"] if LAYOUT.is_v2 else ["blkio.weight", "blkio.bfq.weight"]
    for n in names:
        if (d / n).exists():
            return d, n
    return d, None


def test_blkio_weight_file(rt, cctr):
    """blockIO.weight lands in blkio.weight / blkio.bfq.weight (v1) or
    io.bfq.weight / io.weight (v2, converted).  Where the kernel has no
    weight file at all, create must fail naming the field and leave nothing
    (runc fails too); the test is then skipped."""
    c = cctr(cfg_with(["/probe", "pause"], {"blockIO": {"weight": 300}}))
    r = c.create(check=False)
    if r.rc != 0:
        msg = helpers.one_line_error(r)
        assert "linux.resources.blockIO.weight" in msg, msg
        assert nothing_left(rt, c) == []
        if "no such file" in msg.lower():
            pytest.skip("no blkio/io weight file on this kernel: " + msg)
        raise AssertionError(msg)
    d, name = blkio_weight_file(c)
    assert name, "no weight file in %s" % d
    text = (d / name).read_text()
    want = 300
    if name == "io.weight":
        want = 1 + (300 - 10) * 9999 // 990
    assert re.search(r"^default %d$" % want, text, re.M) or text.strip() == str(want), text


# ---------------------------------------------------------------- devices
DEV_SCRIPT = ("mknod /dev/x c 1 11 && mknod /dev/y c 42 42 || exit 99; "
              "dd if=/dev/x of=/dev/null count=0 2>&1 | sed 's/^/x: /'; "
              "dd if=/dev/y of=/dev/null count=0 2>&1 | sed 's/^/y: /'; "
              "dd if=/dev/null of=/dev/null count=0 2>&1 && echo null: ok")


def test_devices_non_default_device_denied(cctr):
    """mknod is allowed (c *:* m) but opening a non-default device is EPERM;
    an explicitly allowed one passes the cgroup check (ENXIO: no driver);
    default devices work.  On v2 this is the eBPF program."""
    c = cctr(cfg_with(["sh", "-c", DEV_SCRIPT], {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 42, "minor": 42, "access": "r"},
    ]}))
    c.create()
    if not LAYOUT.is_v2:
        lst = c.read("devices", "devices.list").splitlines()
        assert "c 42:42 r" in lst and "c 1:3 rwm" in lst, lst
        assert not any(ln.startswith("a ") for ln in lst), lst
    c.start()
    assert c.exit_code(60) == 0, (c.stdout_text(), c.stderr_text())
    out = c.stdout_text()
    assert re.search(r"^x: .*Operation not permitted", out, re.M), out
    assert re.search(r"^y: ", out, re.M) and not re.search(r"^y: .*Operation not permitted", out, re.M), out
    assert "null: ok" in out, out


def test_devices_later_rule_wins(rt, cctr):
    """Rules apply in order: deny 42:42 after allowing every char device.
    The eBPF program (v2) does it.  cgroup v1 cannot punch a hole in a
    wildcard exception (the kernel silently ignores such a deny); runc's
    device emulator refuses the config ("cannot punch hole in existing
    wildcard rule").  Either refusing cleanly or really denying is right;
    creating the container with 42:42 still open is not."""
    c = cctr(cfg_with(["sh", "-c", DEV_SCRIPT], {"devices": [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "access": "rwm"},
        {"allow": False, "type": "c", "major": 42, "minor": 42, "access": "rwm"},
    ]}))
    r = c.create(check=False)
    if r.rc != 0:
        msg = helpers.one_line_error(r)
        assert not LAYOUT.is_v2, msg
        assert "linux.resources.devices" in msg, msg
        assert nothing_left(rt, c) == []
        return
    c.start()
    assert c.exit_code(60) == 0, (c.stdout_text(), c.stderr_text())
    out = c.stdout_text()
    assert re.search(r"^y: .*Operation not permitted", out, re.M), out
    # 1:11 is allowed by the `c *:* rwm` rule: no EPERM from the cgroup
    # (the kmsg driver may still refuse without CAP_SYSLOG, which is EPERM
    # too, so only 42:42 is checked for the denial)
    assert "null: ok" in out, out


# ---------------------------------------------------------------- hugetlb
HUGE_SIZES = sorted(p.name for p in Path("/sys/kernel/mm/hugepages").glob("hugepages-*")) \
    if Path("/sys/kernel/mm/hugepages").is_dir() else []


def huge_name(kb):
    kb = int(kb)
    for unit, n in (("GB", 1024 * 1024), ("MB", 1024), ("KB", 1)):
        if kb % n == 0:
            return "%d%s" % (kb // n, unit)


def hugetlb_usable():
    """v1 hugetlb hierarchy, pure v2 with hugetlb, or a hybrid unified
    hierarchy whose root enables hugetlb for its children (we do not change
    the host's root cgroup)."""
    if not HUGE_SIZES:
        return False
    if not LAYOUT.is_v2 and "hugetlb" in LAYOUT.v1:
        return True
    if LAYOUT.is_v2:
        return LAYOUT.has("hugetlb")
    return LAYOUT.unified is not None and "hugetlb" in LAYOUT.unified_subtree_control()


@pytest.mark.skipif(not hugetlb_usable(),
                    reason="no usable hugetlb controller here (v1: not mounted; hybrid: not in the "
                    "unified root's cgroup.subtree_control) or no huge page sizes")
def test_hugetlb_limit_file(cctr):
    size = huge_name(HUGE_SIZES[0][len("hugepages-"):-2])
    limit = 4 * 1024 * 1024 * 1024
    c = cctr(cfg_with(["/probe", "pause"], {"hugepageLimits": [{"pageSize": size, "limit": limit}]}))
    c.create()
    d, v2 = LAYOUT.hugetlb_dir(c.cgroups_path)
    name = "hugetlb.%s.max" % size if v2 else "hugetlb.%s.limit_in_bytes" % size
    assert (d / name).read_text().strip() == str(limit)
    # the process is in that hugetlb cgroup
    assert str(c.pid) in (d / "cgroup.procs").read_text().split()


# ---------------------------------------------------------------- unified
@needs_v2
def test_unified_values_written(cctr):
    c = cctr(cfg_with(["/probe", "pause"], {"unified": {"memory.high": str(48 * MiB), "pids.max": "9"}}))
    c.create()
    assert c.read("memory", "memory.high") == str(48 * MiB)
    assert c.read("pids", "pids.max") == "9"


@needs_v2
def test_unified_overrides_resources(cctr):
    """unified is written last: it wins over the typed field."""
    c = cctr(cfg_with(["/probe", "pause"], {"pids": {"limit": 20}, "unified": {"pids.max": "7"}}))
    c.create()
    assert c.read("pids", "pids.max") == "7"


@pytest.mark.skipif(LAYOUT.kind != "hybrid" or "hugetlb" not in LAYOUT.unified_subtree_control(),
                    reason="needs a hybrid layout whose unified root enables hugetlb for its children")
def test_unified_on_hybrid_goes_to_the_unified_hierarchy(cctr):
    size = huge_name(HUGE_SIZES[0][len("hugepages-"):-2]) if HUGE_SIZES else "2MB"
    key = "hugetlb.%s.max" % size
    c = cctr(cfg_with(["/probe", "pause"], {"unified": {key: str(8 * MiB)}}))
    c.create()
    assert (LAYOUT.unified / c.cgroups_path.lstrip("/") / key).read_text().strip() == str(8 * MiB)


# ---------------------------------------------------------------- v1 cpuset parents
@pytest.mark.skipif("cpuset" not in LAYOUT.v1, reason="v1 cpuset hierarchy only (host is %s)" % LAYOUT.kind)
def test_v1_cpuset_existing_parent_with_empty_cpuset(cctr):
    """An existing parent whose cpuset.cpus/mems are still empty (made by
    someone else, or by a concurrent `ocirun create` between its mkdir and
    its copy of the values: see test_parallel.py) must be filled from its
    own parent, as runc (cpusetEnsureParent) and crun do; otherwise no task
    can join the container's cgroup (ENOSPC)."""
    base = "%s/emptycs-%s" % (PARENT, helpers.new_id("p"))
    make_parent(base, init_cpuset=False)
    try:
        assert (LAYOUT.v1["cpuset"] / base.lstrip("/") / "cpuset.cpus").read_text().strip() == ""
        cfg = cfg_with(["/probe", "pause"])
        cfg["linux"]["cgroupsPath"] = "%s/ctr" % base
        c = cctr(cfg)
        r = c.create(check=False)
        assert r.rc == 0, r
        assert c.read("cpuset", "cpuset.cpus") != ""
        c.destroy()
    finally:
        remove_tree(base)
