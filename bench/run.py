#!/usr/bin/python3
"""Side-by-side benchmark of ocirun, crun and runc (Debian packages).

Each round runs every runtime once per scenario, in a rotating order, so
that drift on the machine (other load, page cache, thermal) hits all the
runtimes alike.  Reported: the median wall time per runtime and scenario,
the interquartile range, and the ratio to ocirun.

    sudo bench/run.py [--rounds 30] [--scenario run-true] [--runtime ocirun=./ocirun]

On a cgroup v1 "hybrid" host (a cgroup2 mount at /sys/fs/cgroup/unified
with controllers in it), crun 1.8.1 refuses to run.  So that every runtime
pays the same, the WHOLE benchmark (all runtimes) then runs in one private
mount namespace in which an empty tmpfs covers /sys/fs/cgroup/unified: the
harness re-executes itself under `unshare -m` once, at the start; the host's
mounts are untouched.  No runtime call is wrapped.

Each sample records the wall time and the CPU time (user + system of the
runtime and everything it waited for, from wait4's rusage) of the commands.
The `floor` scenario is the kernel's floor for the same isolation:
`unshare -m -u -i -p --net --fork /bin/true` (no rootfs, no cgroup).

No result here is a pass/fail: numbers are printed and written as JSON
(bench/results/latest.json) for the closing notes and README.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def hybrid_host():
    try:
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            return f.read().strip() != ""
    except OSError:
        return False


def make_rootfs(path):
    os.makedirs(os.path.join(path, "bin"), exist_ok=True)
    for d in ("proc", "sys", "dev", "tmp", "etc"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(path, "bin", "busybox"))
    for a in ("sh", "true", "sleep", "echo", "cat"):
        dst = os.path.join(path, "bin", a)
        if not os.path.lexists(dst):
            os.symlink("busybox", dst)


def base_config(args, cgroups_path, rootfs, seccomp=None):
    cfg = {
        # 1.0.2: the newest version crun 1.8.1 accepts; the content is the same
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/bin:/usr/bin"],
            "cwd": "/",
            "capabilities": {k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                             for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": rootfs, "readonly": True},
        "hostname": "bench",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "cgroupsPath": cgroups_path,
            "resources": {"memory": {"limit": 256 * 1024 * 1024}, "pids": {"limit": 1024}},
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }
    if seccomp:
        cfg["linux"]["seccomp"] = seccomp
    return cfg


class Runtime:
    def __init__(self, name, path, work):
        self.name = name
        self.path = path
        self.root = os.path.join(work, "state-" + name)

    def cmd(self, *args):
        return [self.path, "--root", self.root] + list(args)

    def call(self, *args):
        return timed(self.cmd(*args), self.name)


class Sample:
    """wall and CPU seconds of one or more commands"""

    def __init__(self, wall=0.0, cpu=0.0):
        self.wall, self.cpu = wall, cpu

    def __add__(self, o):
        return Sample(self.wall + o.wall, self.cpu + o.cpu)


def timed(argv, name):
    # stderr goes to a file, not a pipe: a created container keeps the
    # caller's stdio open, so a pipe would never reach EOF
    with tempfile.TemporaryFile() as errf:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            errf.seek(0)
            raise RuntimeError("%s %s: %s" % (name, " ".join(argv[1:]), errf.read().decode().strip()))
    return Sample(dt, ru.ru_utime + ru.ru_stime)


def scenario_run_true(rt, bundle, cid):
    return rt.call("run", "--bundle", bundle, cid)


def scenario_state(rt, bundle, cid):
    """`state` of a created container (the create and delete are not timed)"""
    rt.call("create", "--bundle", bundle, cid)
    try:
        return rt.call("state", cid)
    finally:
        rt.call("delete", "--force", cid)


def scenario_floor(rt, bundle, cid):
    """the kernel's floor for the same namespaces: no runtime at all"""
    return timed(["unshare", "-m", "-u", "-i", "-p", "--net", "--fork", "/bin/true"], "unshare")


def scenario_lifecycle(rt, bundle, cid):
    """create + start + (wait) + delete, each a separate command, as containerd does"""
    t = rt.call("create", "--bundle", bundle, cid)
    t += rt.call("start", cid)
    # the process is `true`: wait for it to be gone before delete
    for _ in range(500):
        st = subprocess.run(rt.cmd("state", cid), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if b'"stopped"' in st.stdout:
            break
        time.sleep(0.002)
    t += rt.call("delete", cid)
    return t


SCENARIOS = {
    "run-true": (scenario_run_true, ["/bin/true"], False),
    "lifecycle": (scenario_lifecycle, ["/bin/true"], False),
    "run-true-seccomp": (scenario_run_true, ["/bin/true"], True),
    "state": (scenario_state, ["/bin/sleep", "60"], False),
}


def enter_private_ns():
    """Re-execute this script in a private mount namespace where an empty
    tmpfs covers a hybrid host's cgroup2 mount (see the module docstring)."""
    if not hybrid_host() or os.environ.get("OCIRUN_BENCH_NS") == "1":
        return
    os.environ["OCIRUN_BENCH_NS"] = "1"
    script = ('mount --make-rprivate / && mount -t tmpfs ocirun-bench /sys/fs/cgroup/unified'
              ' && exec "$@"')
    os.execvp("unshare", ["unshare", "-m", "sh", "-c", script, "sh", sys.executable,
                          os.path.abspath(__file__)] + sys.argv[1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--scenario", action="append")
    ap.add_argument("--runtime", action="append", help="name=path")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/run.py: run as root")
    enter_private_ns()

    runtimes = a.runtime or ["ocirun=" + os.path.join(TOP, "ocirun"), "crun=/usr/bin/crun",
                             "runc=/usr/sbin/runc"]
    work = tempfile.mkdtemp(prefix="ocirun-bench-")
    rts = []
    for spec in runtimes:
        name, path = spec.split("=", 1)
        if os.path.exists(path):
            rts.append(Runtime(name, path, work))
        else:
            print("skip %s: %s not found" % (name, path))
    seccomp_profile = None
    prof = os.path.join(TOP, "tests", "data", "seccomp-default.json")
    if os.path.exists(prof):
        with open(prof) as f:
            seccomp_profile = json.load(f)
    rootfs = os.path.join(work, "rootfs")
    make_rootfs(rootfs)

    scenarios = a.scenario or list(SCENARIOS)
    results = {}
    try:
        for sc in scenarios:
            fn, args, wants_seccomp = SCENARIOS[sc]
            if wants_seccomp and seccomp_profile is None:
                print("skip %s: tests/data/seccomp-default.json missing" % sc)
                continue
            bundles = {}
            for rt in rts:
                b = os.path.join(work, "bundle-%s-%s" % (sc, rt.name))
                os.makedirs(b)
                # one shared rootfs, by absolute path (runc refuses a symlink)
                cfg = base_config(args, "/ocirun-bench/%s-%s" % (rt.name, sc), rootfs,
                                  seccomp_profile if wants_seccomp else None)
                with open(os.path.join(b, "config.json"), "w") as f:
                    json.dump(cfg, f)
                bundles[rt.name] = b
            # `run-true` also measures the kernel's floor, in the same rounds
            parts = rts + ([Runtime("floor", "unshare", work)] if sc == "run-true" else [])
            times = {rt.name: [] for rt in parts}
            cpus = {rt.name: [] for rt in parts}
            errors = {}
            # warm-up round, then rotating order
            for rnd in range(a.rounds + 1):
                order = parts[rnd % len(parts):] + parts[:rnd % len(parts)]
                for rt in order:
                    if rt.name in errors:
                        continue
                    cid = "bench-%s-%d-%d" % (rt.name, os.getpid(), rnd)
                    try:
                        if rt.name == "floor":
                            dt = scenario_floor(rt, None, cid)
                        else:
                            dt = fn(rt, bundles[rt.name], cid)
                    except RuntimeError as e:
                        errors[rt.name] = str(e)
                        subprocess.run(rt.cmd("delete", "--force", cid), capture_output=True)
                        continue
                    if rnd > 0:
                        times[rt.name].append(dt.wall * 1000)
                        cpus[rt.name].append(dt.cpu * 1000)
            results[sc] = {}
            base = None
            print("\n== %s (%d rounds, ms)" % (sc, a.rounds))
            print("%-8s %9s %9s %9s %8s %9s %8s" % ("runtime", "median", "p25", "p75", "ratio",
                                                    "cpu", "ratio"))
            cbase = None
            for rt in parts:
                if rt.name in errors:
                    print("%-8s failed: %s" % (rt.name, errors[rt.name]))
                    results[sc][rt.name] = {"error": errors[rt.name]}
                    continue
                v = sorted(times[rt.name])
                med = statistics.median(v)
                q = statistics.quantiles(v, n=4) if len(v) >= 4 else [v[0], med, v[-1]]
                cmed = statistics.median(cpus[rt.name])
                if base is None:
                    base, cbase = med, max(cmed, 1e-6)
                results[sc][rt.name] = {"median_ms": round(med, 2), "p25_ms": round(q[0], 2),
                                        "p75_ms": round(q[2], 2), "cpu_median_ms": round(cmed, 2),
                                        "samples": len(v)}
                print("%-8s %9.2f %9.2f %9.2f %7.2fx %9.2f %7.2fx" % (rt.name, med, q[0], q[2], med / base,
                                                                    cmed, cmed / cbase))
    finally:
        for rt in rts:
            subprocess.run(["rm", "-rf", rt.root])
        shutil.rmtree(work, ignore_errors=True)
        # the runtimes remove their leaf cgroups; the parent they made is ours too
        for base in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
            try:
                names = os.listdir(base)
            except OSError:
                continue
            for ctrl in names + [""]:
                d = os.path.join(base, ctrl, "ocirun-bench")
                if os.path.isdir(d):
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"rounds": a.rounds, "kernel": os.uname().release, "results": results}, f, indent=1)
    print("\nwritten: %s" % a.out)


if __name__ == "__main__":
    main()
