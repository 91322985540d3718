#!/usr/bin/python3
"""Side-by-side benchmark of ocirun, crun and runc (Debian packages).

Each round runs every runtime once per measurement, in a rotating order, so
that drift on the machine (other load, page cache, thermal) hits all the
runtimes alike.  Reported: the median wall time and CPU time per runtime,
the quartiles, and the ratio to ocirun (and to the kernel's floor).

    sudo bench/run.py [--quick] [--rounds 15] [--scenario run-true] [--runtime ocirun=./ocirun]

On a cgroup v1 "hybrid" host (a cgroup2 mount at /sys/fs/cgroup/unified
with controllers in it), crun 1.8.1 refuses to run.  So that every runtime
pays the same, the WHOLE benchmark (all runtimes) then runs in one private
mount namespace in which an empty tmpfs covers /sys/fs/cgroup/unified: the
harness re-executes itself under `unshare -m` once, at the start; the host's
mounts are untouched.  No runtime call is wrapped.

Each sample records the wall time and the CPU time (user + system of the
runtime and everything it waited for, from wait4's rusage) of the commands,
and the peak RSS of the largest process among them (ru_maxrss).

Scenarios (see bench/README.md): run-true (+ the unshare floor), lifecycle,
exec, state, list, state/list with N containers present, run with N extra
mounts, run with seccomp profiles of N rules (cold: no compiled cache;
cached), parallel lifecycles (containers/s), the memory-limit sweep.

No result here is a pass/fail: numbers are printed and written as JSON
(bench/results/latest.json); bench/plot.py draws the curves, bench/table.py
prints the README table.
"""
import argparse
import concurrent.futures
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
CG_PARENT = "ocirun-bench"

# harmless syscalls for generated seccomp profiles: rules deny them only for
# an argument value nobody passes, so every runtime's setup and /bin/true
# run as without the filter
SECCOMP_SYSCALLS = ["getpriority", "setpriority", "ioprio_get", "ioprio_set", "personality", "umask",
                    "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "getpgid",
                    "getsid", "sysinfo", "times", "alarm", "flock", "fadvise64", "syncfs", "msync",
                    "mlock", "munlock", "madvise", "mincore", "getitimer", "setitimer", "timerfd_create",
                    "eventfd2", "inotify_init1", "epoll_create1", "signalfd4", "memfd_create",
                    "userfaultfd", "membarrier", "pkey_alloc", "pkey_free", "io_setup", "io_destroy",
                    "semget", "msgget", "shmget", "mq_unlink"]


def hybrid_host():
    try:
        with open("/sys/fs/cgroup/unified/cgroup.controllers") as f:
            return f.read().strip() != ""
    except OSError:
        return False


def make_rootfs(path, n_mount_dirs=0):
    os.makedirs(os.path.join(path, "bin"), exist_ok=True)
    for d in ("proc", "sys", "dev", "tmp", "etc", "m"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy2("/bin/busybox", os.path.join(path, "bin", "busybox"))
    for a in ("sh", "true", "sleep", "echo", "cat"):
        dst = os.path.join(path, "bin", a)
        if not os.path.lexists(dst):
            os.symlink("busybox", dst)
    # destinations of the `mounts` scenario: the rootfs is read-only
    for i in range(n_mount_dirs):
        os.makedirs(os.path.join(path, "m", str(i)), exist_ok=True)


def base_config(args, cgroups_path, rootfs, seccomp=None, extra_mounts=(), memory=256 * 1024 * 1024):
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
        ] + list(extra_mounts),
        "linux": {
            "cgroupsPath": cgroups_path,
            "resources": {"memory": {"limit": memory}, "pids": {"limit": 1024}},
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }
    if seccomp:
        cfg["linux"]["seccomp"] = seccomp
    return cfg


def seccomp_profile(n_rules):
    """defaultAction ALLOW and n_rules rules, each denying one harmless
    syscall for one argument value nobody passes"""
    rules = []
    for i in range(n_rules):
        rules.append({"names": [SECCOMP_SYSCALLS[i % len(SECCOMP_SYSCALLS)]], "action": "SCMP_ACT_ERRNO",
                      "args": [{"index": 0, "value": 0x5eed0000 + i // len(SECCOMP_SYSCALLS),
                                "op": "SCMP_CMP_EQ"}]})
    return {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": rules}


class Sample:
    """wall and CPU seconds of one or more commands, peak RSS in KiB"""

    def __init__(self, wall=0.0, cpu=0.0, rss=0):
        self.wall, self.cpu, self.rss = wall, cpu, rss

    def __add__(self, o):
        return Sample(self.wall + o.wall, self.cpu + o.cpu, max(self.rss, o.rss))


SPAWN = None  # bench/spawn.c, built at the start (see there for why)


def build_spawn(work):
    global SPAWN
    out = os.path.join(work, "spawn")
    for extra in (["-static"], []):
        if subprocess.run(["cc", "-O2"] + extra + ["-o", out, os.path.join(HERE, "spawn.c")]).returncode == 0:
            SPAWN = out
            return
    print("NOTE: no C compiler: peak RSS includes the interpreter's (bench/spawn.c)")


def start(argv, env=None):
    """Popen of argv (through bench/spawn when built); finish() -> Sample"""
    errf = tempfile.TemporaryFile()
    if SPAWN:
        r, w = os.pipe()
        t0 = time.perf_counter()
        p = subprocess.Popen([SPAWN, str(w)] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=errf, env=env, pass_fds=(w,))
        os.close(w)
    else:
        r = None
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf, env=env)
    return (p, r, t0, errf)


def finish(h, name, argv, check=True):
    p, r, t0, errf = h
    with errf:
        _, status, ru = os.wait4(p.pid, 0)
        dt = time.perf_counter() - t0
        if r is not None:
            with os.fdopen(r) as f:
                line = f.read().split()
            if len(line) != 4:
                raise RuntimeError("%s: bench/spawn failed" % name)
            s = Sample(int(line[0]) / 1e9, int(line[1]) / 1e6, int(line[2]))
            rc = int(line[3])
        else:
            s = Sample(dt, ru.ru_utime + ru.ru_stime, ru.ru_maxrss)
            rc = os.waitstatus_to_exitcode(status)
        if rc != 0 and check:
            errf.seek(0)
            raise RuntimeError("%s %s: exit %d: %s" % (name, " ".join(argv[1:]), rc,
                                                       errf.read().decode().strip()[-400:]))
    s.rc = rc
    return s


def timed(argv, name, env=None, check=True):
    # stderr goes to a file, not a pipe: a created container keeps the
    # caller's stdio open, so a pipe would never reach EOF
    return finish(start(argv, env), name, argv, check)


class Runtime:
    def __init__(self, name, path, work):
        self.name = name
        self.path = path
        self.root = os.path.join(work, "state-" + name)
        self.work = work
        self.env = None
        # any ocirun build (an A/B run names two): it has the seccomp cache
        try:
            v = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
        except OSError:
            v = ""
        self.is_ocirun = v.startswith("ocirun")

    def cmd(self, *args):
        return [self.path, "--root", self.root] + list(args)

    def call(self, *args, check=True):
        return timed(self.cmd(*args), self.name, env=self.env, check=check)

    def quiet(self, *args):
        return subprocess.run(self.cmd(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, env=self.env)

    def bundle(self, tag, cfg):
        b = os.path.join(self.work, "bundle-%s-%s" % (self.name, tag))
        os.makedirs(b, exist_ok=True)
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(cfg, f)
        return b

    def wait_stopped(self, cid):
        for _ in range(2000):
            st = self.quiet("state", cid)
            if b'"stopped"' in st.stdout or st.returncode != 0:
                return
            time.sleep(0.002)


def cgpath(rt, tag):
    return "/%s/%s-%s" % (CG_PARENT, rt.name, tag)


class Bench:
    def __init__(self, a, rts, rootfs):
        self.a = a
        self.rts = rts
        self.rootfs = rootfs
        self.results = {}
        self.seq = 0

    def cid(self, rt, tag):
        self.seq += 1
        return "b-%s-%s-%d-%d" % (rt.name, tag, os.getpid(), self.seq)

    def measure(self, key, fn, rounds, parts=None, extra=None):
        """Interleaved rounds of fn(rt) -> Sample for every runtime (plus a
        warm-up round); a runtime that fails once is dropped from this key."""
        parts = parts or self.rts
        samples = {rt.name: [] for rt in parts}
        errors = {}
        for rnd in range(rounds + 1):
            order = parts[rnd % len(parts):] + parts[:rnd % len(parts)]
            for rt in order:
                if rt.name in errors:
                    continue
                try:
                    s = fn(rt)
                except RuntimeError as e:
                    errors[rt.name] = str(e)
                    continue
                if rnd > 0:
                    samples[rt.name].append(s)
        res = {}
        for rt in parts:
            if rt.name in errors:
                res[rt.name] = {"error": errors[rt.name]}
                continue
            v = samples[rt.name]
            walls = sorted(s.wall * 1000 for s in v)
            cpus = [s.cpu * 1000 for s in v]
            q = statistics.quantiles(walls, n=4) if len(walls) >= 4 else [walls[0], 0, walls[-1]]
            res[rt.name] = {"median_ms": round(statistics.median(walls), 2), "p25_ms": round(q[0], 2),
                            "p75_ms": round(q[2], 2), "cpu_median_ms": round(statistics.median(cpus), 2),
                            "max_rss_kib": max(s.rss for s in v), "samples": len(v)}
        if extra:
            res.update(extra)
        self.results[key] = res
        self.show(key, res)
        return res

    def show(self, key, res):
        print("\n== %s (ms; ratio to ocirun)" % key)
        print("%-8s %9s %9s %9s %8s %9s %8s %9s" % ("runtime", "median", "p25", "p75", "ratio", "cpu", "ratio",
                                                     "rss KiB"))
        base = res.get("ocirun", {})
        for name, r in res.items():
            if not isinstance(r, dict):
                continue
            if "error" in r:
                print("%-8s failed: %s" % (name, r["error"]))
                continue
            if "median_ms" not in r:
                continue
            wr = r["median_ms"] / base["median_ms"] if base.get("median_ms") else float("nan")
            cr = r["cpu_median_ms"] / base["cpu_median_ms"] if base.get("cpu_median_ms") else float("nan")
            print("%-8s %9.2f %9.2f %9.2f %7.2fx %9.2f %7.2fx %9d" % (name, r["median_ms"], r["p25_ms"], r["p75_ms"],
                                                                      wr, r["cpu_median_ms"], cr, r["max_rss_kib"]))
        sys.stdout.flush()

    # ---------------------------------------------------------------- scenarios
    def run_true(self):
        bundles = {rt.name: rt.bundle("run", base_config(["/bin/true"], cgpath(rt, "run"), self.rootfs))
                   for rt in self.rts}
        floor = Runtime("floor", "unshare", self.a.work)

        def fn(rt):
            if rt.name == "floor":
                return timed(["unshare", "-m", "-u", "-i", "-p", "--net", "--fork", "/bin/true"], "unshare")
            cid = self.cid(rt, "run")
            return rt.call("run", "--bundle", bundles[rt.name], cid)
        self.measure("run-true", fn, self.a.rounds, parts=self.rts + [floor])

    def lifecycle(self):
        bundles = {rt.name: rt.bundle("lc", base_config(["/bin/true"], cgpath(rt, "lc"), self.rootfs))
                   for rt in self.rts}

        def fn(rt):
            """create + start + (wait, not timed) + delete: what containerd's shim does"""
            cid = self.cid(rt, "lc")
            t = rt.call("create", "--bundle", bundles[rt.name], cid)
            t += rt.call("start", cid)
            rt.wait_stopped(cid)
            t += rt.call("delete", cid)
            return t
        self.measure("lifecycle", fn, self.a.rounds)

    def with_running(self, tag, args, body, rounds, key, populate=0, start=False):
        """one container per runtime, created (and started with start=True),
        plus `populate` stopped ones; body(rt, cid) timed"""
        made = {rt.name: [] for rt in self.rts}
        target = {}
        try:
            for rt in self.rts:
                b = rt.bundle(tag, base_config(args, cgpath(rt, tag), self.rootfs))
                cid = self.cid(rt, tag)
                rt.call("create", "--bundle", b, cid)
                made[rt.name].append(cid)
                if start:
                    rt.call("start", cid)
                target[rt.name] = cid
                if populate:
                    self.populate(rt, tag, populate, made[rt.name])
            self.measure(key, lambda rt: body(rt, target[rt.name]), rounds,
                         extra={"containers_present": populate + 1})
        finally:
            for rt in self.rts:
                self.delete_all(rt, made[rt.name])

    def populate(self, rt, tag, n, made):
        """n stopped containers (run -d of /bin/true), each with its cgroup"""
        def one(i):
            cid = self.cid(rt, "%s-p%d" % (tag, i))
            b = rt.bundle("%s-p%d" % (tag, i), base_config(["/bin/true"], cgpath(rt, "%s-p%d" % (tag, i)),
                                                           self.rootfs))
            r = subprocess.run(rt.cmd("run", "-d", "--bundle", b, cid), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=rt.env)
            made.append(cid)  # before the check: a failed run -d may leave something to delete
            if r.returncode != 0:
                raise RuntimeError("%s populate: %s" % (rt.name, r.stderr.decode()[-300:]))
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            futs = [ex.submit(one, i) for i in range(n)]
            for f in futs:
                f.result()

    def delete_all(self, rt, cids):
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda c: rt.quiet("delete", "--force", c), cids))

    def exec_(self):
        self.with_running("exec", ["/bin/sleep", "3600"], lambda rt, cid: rt.call("exec", cid, "/bin/true"),
                          self.a.rounds, "exec", start=True)

    def state(self, n=0, key="state"):
        self.with_running("state%d" % n, ["/bin/sleep", "3600"], lambda rt, cid: rt.call("state", cid),
                          self.a.rounds, key, populate=n)

    def list_(self, n=0, key="list"):
        self.with_running("list%d" % n, ["/bin/sleep", "3600"], lambda rt, cid: rt.call("list"),
                          self.a.rounds, key, populate=n)

    def scaling_state_list(self):
        for n in self.a.containers:
            # one created container (the target of `state`) + n-1 stopped ones
            made = {rt.name: [] for rt in self.rts}
            target = {}
            try:
                for rt in self.rts:
                    b = rt.bundle("sl%d" % n, base_config(["/bin/sleep", "3600"], cgpath(rt, "sl%d" % n),
                                                         self.rootfs))
                    cid = self.cid(rt, "sl%d" % n)
                    rt.call("create", "--bundle", b, cid)
                    made[rt.name].append(cid)
                    target[rt.name] = cid
                    self.populate(rt, "sl%d" % n, n - 1, made[rt.name])
                self.measure("state@%d" % n, lambda rt: rt.call("state", target[rt.name]), self.a.scale_rounds,
                             extra={"containers_present": n})
                self.measure("list@%d" % n, lambda rt: rt.call("list"), self.a.scale_rounds,
                             extra={"containers_present": n})
            finally:
                for rt in self.rts:
                    self.delete_all(rt, made[rt.name])

    def mounts(self):
        src = os.path.join(self.a.work, "mount-src")
        os.makedirs(src, exist_ok=True)
        for n in self.a.mounts:
            extra = [{"destination": "/m/%d" % i, "type": "bind", "source": src, "options": ["rbind", "rprivate"]}
                     for i in range(n)]
            bundles = {rt.name: rt.bundle("mnt%d" % n, base_config(["/bin/true"], cgpath(rt, "mnt%d" % n),
                                                                   self.rootfs, extra_mounts=extra))
                       for rt in self.rts}
            self.measure("mounts@%d" % n,
                         lambda rt: rt.call("run", "--bundle", bundles[rt.name], self.cid(rt, "mnt")),
                         self.a.scale_rounds, extra={"extra_mounts": n})

    def seccomp(self):
        cache = os.path.join(self.a.work, "seccomp-cache")
        for n in self.a.rules:
            prof = seccomp_profile(n)
            bundles = {rt.name: rt.bundle("sc%d" % n, base_config(["/bin/true"], cgpath(rt, "sc%d" % n),
                                                                  self.rootfs, seccomp=prof))
                       for rt in self.rts}
            for mode in ("cold", "cached"):
                def fn(rt):
                    env = dict(os.environ)
                    if rt.is_ocirun:
                        if mode == "cold":
                            env["OCIRUN_SECCOMP_CACHE"] = ""  # set but empty: no cache
                        else:
                            env["OCIRUN_SECCOMP_CACHE"] = cache
                    rt.env = env
                    try:
                        return rt.call("run", "--bundle", bundles[rt.name], self.cid(rt, "sc"))
                    finally:
                        rt.env = None
                self.measure("seccomp-%s@%d" % (mode, n), fn, self.a.scale_rounds, extra={"rules": n})

    def parallel(self):
        k = self.a.parallel
        bundles = {rt.name: [rt.bundle("par%d" % i, base_config(["/bin/true"], cgpath(rt, "par%d" % i),
                                                                self.rootfs)) for i in range(k)]
                   for rt in self.rts}

        def fn(rt):
            t0 = time.perf_counter()
            argvs = [rt.cmd("run", "--bundle", bundles[rt.name][i], self.cid(rt, "par%d" % i)) for i in range(k)]
            hs = [start(argv) for argv in argvs]
            ss = [finish(h, rt.name, argv, check=False) for h, argv in zip(hs, argvs)]
            wall = time.perf_counter() - t0
            bad = [x.rc for x in ss if x.rc != 0]
            if bad:
                raise RuntimeError("%s parallel run: exit codes %s" % (rt.name, bad))
            return Sample(wall, sum(x.cpu for x in ss), max(x.rss for x in ss))
        res = self.measure("parallel@%d" % k, fn, self.a.scale_rounds, extra={"containers": k})
        for name, r in res.items():
            if isinstance(r, dict) and "median_ms" in r:
                r["containers_per_s"] = round(k / (r["median_ms"] / 1000), 1)
                print("%-8s %.1f containers/s" % (name, r["containers_per_s"]))

    def memory_sweep(self):
        """`run /bin/true` with a 256k limit, n times each (interleaved);
        then, going down, the smallest limit at which all tries pass"""
        out = {}
        tries = self.a.memory_tries
        bundles = {}
        for lim in [256 * 1024] + self.a.memory_limits:
            bundles[lim] = {rt.name: rt.bundle("mem%d" % lim, base_config(["/bin/true"], cgpath(rt, "mem%d" % lim),
                                                                          self.rootfs, memory=lim))
                            for rt in self.rts}
        ok = {rt.name: 0 for rt in self.rts}
        last_err = {}
        for i in range(tries):
            for rt in self.rts[i % len(self.rts):] + self.rts[:i % len(self.rts)]:
                cid = self.cid(rt, "mem")
                s = rt.call("run", "--bundle", bundles[256 * 1024][rt.name], cid, check=False)
                if s.rc == 0:
                    ok[rt.name] += 1
                else:
                    last_err[rt.name] = "exit %d" % s.rc
                    rt.quiet("delete", "--force", cid)
        for rt in self.rts:
            out[rt.name] = {"256k_ok": ok[rt.name], "256k_tries": tries}
            if rt.name in last_err:
                out[rt.name]["256k_last_failure"] = last_err[rt.name]
        small_tries = max(3, tries // 6)
        for rt in self.rts:
            smallest = None
            for lim in self.a.memory_limits:
                good = 0
                for _ in range(small_tries):
                    cid = self.cid(rt, "mem")
                    s = rt.call("run", "--bundle", bundles[lim][rt.name], cid, check=False)
                    if s.rc == 0:
                        good += 1
                    else:
                        rt.quiet("delete", "--force", cid)
                        break
                if good == small_tries:
                    smallest = lim
                else:
                    break
            out[rt.name]["smallest_ok_bytes"] = smallest
            out[rt.name]["smallest_tries"] = small_tries
        self.results["memory-limit"] = out
        print("\n== memory-limit: `run /bin/true` with linux.resources.memory.limit")
        for name, r in out.items():
            print("%-8s 256k: %d/%d passed; smallest limit passing %d/%d: %s" % (
                name, r["256k_ok"], r["256k_tries"], r["smallest_tries"], r["smallest_tries"],
                "%dk" % (r["smallest_ok_bytes"] // 1024) if r["smallest_ok_bytes"] else "none tried"))


SCENARIOS = ["run-true", "lifecycle", "exec", "state", "list", "scaling", "mounts", "seccomp", "parallel",
             "memory"]


def enter_private_ns():
    """Re-execute this script in a private mount namespace where an empty
    tmpfs covers a hybrid host's cgroup2 mount (see the module docstring)."""
    if not hybrid_host() or os.environ.get("OCIRUN_BENCH_NS") == "1":
        return
    os.environ["OCIRUN_BENCH_NS"] = "1"
    script = ('mount --make-rprivate / && mount -t tmpfs ocirun-bench /sys/fs/cgroup/unified'
              ' && exec "$@"')
    # the script that was started (bench/breakdown.py imports this one)
    os.execvp("unshare", ["unshare", "-m", "sh", "-c", script, "sh", sys.executable,
                          os.path.abspath(sys.argv[0])] + sys.argv[1:])


def cgroup_hierarchies():
    """mount points of the cgroup hierarchies seen here (v1 and v2)"""
    out = []
    with open("/proc/self/mountinfo") as f:
        for ln in f:
            p = ln.split(" - ")
            if len(p) == 2 and p[1].split()[0] in ("cgroup", "cgroup2"):
                out.append(ln.split()[4])
    return out


def prepare_cgroups():
    """The parent of every container's cgroup exists before the first
    container, as in production (containerd's /default, Docker's /docker,
    a kubepods slice): no runtime pays for making or removing it (ocirun
    removes a parent it made once empty, crun and runc leave it: with a
    parent made per container the runtimes did unequal work)."""
    for mp in cgroup_hierarchies():
        d = os.path.join(mp, CG_PARENT)
        try:
            os.mkdir(d)
        except FileExistsError:
            pass
        except OSError:
            continue
        for f in ("cpuset.cpus", "cpuset.mems"):  # v1 cpuset: empty until set
            try:
                with open(os.path.join(mp, f)) as src:
                    v = src.read().strip()
                with open(os.path.join(d, f), "w") as dst:
                    dst.write(v)
            except OSError:
                pass


def cleanup_cgroups():
    # the runtimes remove their leaf cgroups (what a failed run left, too:
    # all below our own parent); the parent is ours
    for mp in cgroup_hierarchies():
        d = os.path.join(mp, CG_PARENT)
        if not os.path.isdir(d):
            continue
        for sub in sorted((os.path.join(r, x) for r, ds, _ in os.walk(d) for x in ds), key=len, reverse=True):
            try:
                os.rmdir(sub)
            except OSError:
                pass
        try:
            os.rmdir(d)
        except OSError:
            pass


def ints(s):
    return [int(x) for x in s.split(",") if x]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="a smoke run: few rounds, small curves")
    ap.add_argument("--rounds", type=int, help="rounds of the single-command scenarios (default 15)")
    ap.add_argument("--scale-rounds", type=int, help="rounds of each point of a curve (default 7)")
    ap.add_argument("--containers", type=ints, help="state/list curve: containers present (1,100,1000)")
    ap.add_argument("--mounts", type=ints, help="run curve: extra bind mounts (1,50,500)")
    ap.add_argument("--rules", type=ints, help="seccomp curve: rules (50,400,2000)")
    ap.add_argument("--parallel", type=int, help="lifecycles started at once (16)")
    ap.add_argument("--memory-tries", type=int, help="runs with a 256k limit per runtime (30)")
    ap.add_argument("--scenario", action="append", choices=SCENARIOS)
    ap.add_argument("--runtime", action="append", help="name=path")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/run.py: run as root")
    enter_private_ns()
    q = a.quick
    a.rounds = a.rounds or (3 if q else 15)
    a.scale_rounds = a.scale_rounds or (2 if q else 7)
    a.containers = a.containers or ([1, 10] if q else [1, 100, 1000])
    a.mounts = a.mounts or ([1, 10] if q else [1, 50, 500])
    a.rules = a.rules or ([50, 400] if q else [50, 400, 2000])
    a.parallel = a.parallel or (4 if q else 16)
    a.memory_tries = a.memory_tries or (3 if q else 30)
    a.memory_limits = [192 * 1024, 160 * 1024, 128 * 1024, 96 * 1024, 64 * 1024, 48 * 1024, 32 * 1024]

    runtimes = a.runtime or ["ocirun=" + os.path.join(TOP, "ocirun"), "crun=/usr/bin/crun",
                             "runc=/usr/sbin/runc"]
    a.work = tempfile.mkdtemp(prefix="ocirun-bench-")
    # state roots, bundles and rootfs on a tmpfs, as /run is where runtimes
    # keep their state in production (here /run and /tmp are ext4, whose
    # unlinks with `discard` wait for the disk: noise for every runtime)
    tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "ocirun-bench", a.work]).returncode == 0
    rts = []
    for spec in runtimes:
        name, path = spec.split("=", 1)
        if os.path.exists(path):
            rts.append(Runtime(name, os.path.abspath(path), a.work))
        else:
            print("skip %s: %s not found" % (name, path))
    build_spawn(a.work)
    rootfs = os.path.join(a.work, "rootfs")
    make_rootfs(rootfs, max(a.mounts))
    load = os.getloadavg()
    print("NOTE: absolute numbers come from a shared, loaded machine (%d CPUs, load average %.2f at the start);"
          " the runtimes are interleaved round by round, so compare the ratios." % (os.cpu_count(), load[0]))
    prepare_cgroups()
    b = Bench(a, rts, rootfs)
    scenarios = a.scenario or SCENARIOS
    t0 = time.time()
    try:
        for sc in scenarios:
            {"run-true": b.run_true, "lifecycle": b.lifecycle, "exec": b.exec_, "state": b.state,
             "list": b.list_, "scaling": b.scaling_state_list, "mounts": b.mounts, "seccomp": b.seccomp,
             "parallel": b.parallel, "memory": b.memory_sweep}[sc]()
    finally:
        for rt in rts:
            subprocess.run(["rm", "-rf", rt.root])
        if tmpfs:
            subprocess.run(["umount", "-l", a.work])
        shutil.rmtree(a.work, ignore_errors=True)
        cleanup_cgroups()
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    meta = {"kernel": os.uname().release, "cpus": os.cpu_count(), "loadavg_start": list(load),
            "loadavg_end": list(os.getloadavg()), "quick": q, "rounds": a.rounds, "scale_rounds": a.scale_rounds,
            "duration_s": round(time.time() - t0, 1), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "note": "shared 2-core machine with other jobs running: absolute numbers are from a loaded machine; "
                    "runtimes interleaved round by round, compare ratios",
            "work_on_tmpfs": tmpfs, "git": subprocess.run(["git", "-C", TOP, "describe", "--always", "--dirty"],
                                                          capture_output=True, text=True).stdout.strip(), "runtimes": {rt.name: rt.path for rt in rts}}
    with open(a.out, "w") as f:
        json.dump({"meta": meta, "results": b.results}, f, indent=1)
    print("\nwritten: %s" % a.out)


if __name__ == "__main__":
    main()
