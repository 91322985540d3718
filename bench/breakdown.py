#!/usr/bin/python3
"""Median phase breakdown (OCIRUN_TRACE=1) of N `ocirun run /bin/true` with
the bench's config, in the bench's conditions (private mount namespace,
state on tmpfs, the cgroup parent made beforehand).

    sudo bench/breakdown.py [--runs 20] [--ocirun ./ocirun] [--seccomp N] [--out FILE.json]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402

LINE = re.compile(r"^ocirun: trace: (\S+) (.+?)\s+([0-9.]+) ms  cpu\s+([0-9.]+) ms$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--ocirun", default=os.path.join(bench.TOP, "ocirun"))
    ap.add_argument("--seccomp", type=int, default=0, help="a generated profile of N rules")
    ap.add_argument("--out")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/breakdown.py: run as root")
    bench.enter_private_ns()
    work = tempfile.mkdtemp(prefix="ocirun-breakdown-")
    subprocess.run(["mount", "-t", "tmpfs", "ocirun-breakdown", work], check=True)
    bench.prepare_cgroups()
    try:
        rootfs = os.path.join(work, "rootfs")
        bench.make_rootfs(rootfs)
        b = os.path.join(work, "bundle")
        os.makedirs(b)
        cfg = bench.base_config(["/bin/true"], "/%s/breakdown" % bench.CG_PARENT, rootfs,
                                seccomp=bench.seccomp_profile(a.seccomp) if a.seccomp else None)
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, OCIRUN_TRACE="1", OCIRUN_SECCOMP_CACHE=os.path.join(work, "cache"))
        wall, cpu, order = {}, {}, []
        for i in range(a.runs + 1):
            r = subprocess.run([a.ocirun, "--root", os.path.join(work, "state"), "run", "--bundle", b, "bd%d" % i],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                sys.exit("run failed: " + r.stderr)
            if i == 0:
                continue  # warm-up
            for ln in r.stderr.splitlines():
                m = LINE.match(ln)
                if m:
                    k = (m.group(1), m.group(2))
                    if k not in wall:
                        order.append(k)
                    wall.setdefault(k, []).append(float(m.group(3)))
                    cpu.setdefault(k, []).append(float(m.group(4)))
    finally:
        subprocess.run(["umount", "-l", work])
        os.rmdir(work)
        bench.cleanup_cgroups()
    res = []
    print("%-10s %-26s %10s %10s   (medians of %d runs, ms; a loaded shared machine)" % ("side", "phase", "wall",
                                                                                         "cpu", a.runs))
    for k in sorted(order, key=lambda k: (k[0] != "runtime", order.index(k))):
        w, c = statistics.median(wall[k]), statistics.median(cpu[k])
        res.append({"side": k[0], "phase": k[1], "wall_ms": round(w, 3), "cpu_ms": round(c, 3)})
        print("%-10s %-26s %10.3f %10.3f" % (k[0], k[1], w, c))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"runs": a.runs, "seccomp_rules": a.seccomp, "phases": res}, f, indent=1)


if __name__ == "__main__":
    main()
