#!/usr/bin/python3
"""Print README's performance tables (markdown) from a bench/run.py result.

    bench/table.py [--goals] [bench/results/latest.json]

The ratio in parentheses is the runtime's median over ocirun's (measured in
the same interleaved rounds); the goals of issue 13 are shown as the ratio
ocirun / crun (lower is better for ocirun)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def cell(res, key, rt, field="median_ms", unit="ms"):
    r = res.get(key, {}).get(rt)
    base = res.get(key, {}).get("ocirun", {})
    if not r or field not in r:
        return "n/a" if not r or "error" not in r else "fails"
    v = r[field]
    num = "%d" % v if unit == "KiB" else "%.1f" % v
    if rt == "ocirun" or not base.get(field):
        return "%s %s" % (num, unit)
    return "%s %s (%.2fx)" % (num, unit, v / base[field])


def cell2(res, key, rt):
    """wall / CPU ms, with the ratios to ocirun"""
    r = res.get(key, {}).get(rt)
    base = res.get(key, {}).get("ocirun", {})
    if not r or "median_ms" not in r:
        return "n/a" if not r or "error" not in r else "fails"
    txt = "%.1f / %.1f" % (r["median_ms"], r["cpu_median_ms"])
    if rt != "ocirun" and base.get("median_ms"):
        txt += " (%.2fx / %.2fx)" % (r["median_ms"] / base["median_ms"], r["cpu_median_ms"] / base["cpu_median_ms"])
    return txt


def ratio(res, key, a, b, field="median_ms"):
    try:
        return res[key][a][field] / res[key][b][field]
    except (KeyError, ZeroDivisionError, TypeError):
        return None


def fmt_ratio(x):
    return "n/a" if x is None else "%.2fx" % x


def main():
    args = [x for x in sys.argv[1:] if x != "--goals"]
    goals = "--goals" in sys.argv[1:]  # issue 13's targets, for the closing notes
    path = args[0] if args else os.path.join(HERE, "results", "latest.json")
    with open(path) as f:
        data = json.load(f)
    res = data["results"]
    meta = data.get("meta", {})
    rts = [r for r in ("ocirun", "crun", "runc") if any(r in v for v in res.values() if isinstance(v, dict))]
    print("Measured with `sudo bench/run.py` (%s rounds per scenario, %s per curve point; interleaved,"
          " medians; kernel %s, %s CPUs). The machine was shared with other jobs (load average %.1f at the"
          " start): absolute times are from a loaded machine, the ratios are what compares. Every runtime runs"
          " in the same private mount namespace, unwrapped. Data: `bench/results/latest.json`, curves:"
          " `bench/results/curves.svg`, this text: `bench/table.py`."
          % (meta.get("rounds", "?"), meta.get("scale_rounds", "?"), meta.get("kernel", "?"), meta.get("cpus", "?"),
             (meta.get("loadavg_start") or [0])[0]))
    print()
    names = {"ocirun": "ocirun", "crun": "crun 1.8.1", "runc": "runc 1.1.5"}
    print("| scenario | " + " | ".join(names[r] for r in rts) + " | ocirun/crun |" + (" goal |" if goals else ""))
    print("|---|" + "---|" * (len(rts) + 1 + goals))
    rows = [
        ("`run /bin/true`, wall", "run-true", "median_ms", "ms", "<= 0.45x"),
        ("`run /bin/true`, CPU", "run-true", "cpu_median_ms", "ms", ""),
        ("create + start + delete, wall", "lifecycle", "median_ms", "ms", "<= 0.35x"),
        ("`exec /bin/true`, wall", "exec", "median_ms", "ms", "<= 0.4x"),
        ("`state`, wall", "state", "median_ms", "ms", "<= 0.3x"),
        ("`list` (1 container), wall", "list", "median_ms", "ms", "<= 0.3x"),
        ("peak RSS (largest process of a `run`)", "run-true", "max_rss_kib", "KiB", "<= 1x"),
    ]
    for label, key, field, unit, goal in rows:
        if key not in res:
            continue
        print("| %s | %s | %s |" % (label, " | ".join(cell(res, key, r, field, unit) for r in rts),
                                    fmt_ratio(ratio(res, key, "ocirun", "crun", field)))
              + (" %s |" % goal if goals else ""))
    fl = res.get("run-true", {}).get("floor")
    oc = res.get("run-true", {}).get("ocirun")
    if fl and oc and "cpu_median_ms" in fl:
        print()
        print("The kernel's floor for the same namespaces (`unshare -m -u -i -p --net --fork /bin/true`),"
              " measured in the same rounds: %.1f ms wall, %.1f ms CPU; ocirun's `run` costs %.2fx the floor's"
              " CPU%s and %.2fx its wall time."
              % (fl["median_ms"], fl["cpu_median_ms"], oc["cpu_median_ms"] / fl["cpu_median_ms"],
                 " (goal <= 1.3x)" if goals else "", oc["median_ms"] / fl["median_ms"]))
    # the curves
    curves = [("`state` with N containers present", "state@", "containers"),
              ("`list` with N containers present", "list@", "containers"),
              ("`run` with N extra bind mounts", "mounts@", "mounts"),
              ("`run` with a seccomp profile of N rules, no compiled cache (cold)", "seccomp-cold@", "rules"),
              ("`run` with a seccomp profile of N rules, cached", "seccomp-cached@", "rules")]
    print()
    print("How the cost grows (median wall / CPU ms; ratios to ocirun). With 7 rounds per point on a loaded"
          " machine the wall times are noisy; the CPU times are the steadier measure:")
    print()
    print("| curve | N | " + " | ".join(names[r] for r in rts) + " |")
    print("|---|---|" + "---|" * len(rts))
    for label, prefix, _ in curves:
        keys = sorted((k for k in res if k.startswith(prefix)), key=lambda k: int(k.split("@")[1]))
        for k in keys:
            print("| %s | %s | %s |" % (label, k.split("@")[1], " | ".join(cell2(res, k, r) for r in rts)))
    par = [k for k in res if k.startswith("parallel@")]
    for k in par:
        n = k.split("@")[1]
        print()
        print("%s `run`s started at once: " % n + ", ".join(
            "%s %s containers/s" % (names[r], res[k][r].get("containers_per_s", "n/a")) for r in rts if r in res[k]
        ) + ".")
    mem = res.get("memory-limit")
    if mem:
        print()
        print("`run /bin/true` with `linux.resources.memory.limit` 256 KiB: " + ", ".join(
            "%s %d/%d" % (names[r], mem[r]["256k_ok"], mem[r]["256k_tries"]) for r in rts if r in mem)
            + "; the smallest limit that passed every try: " + ", ".join(
            "%s %s" % (names[r], "%d KiB" % (mem[r]["smallest_ok_bytes"] // 1024) if mem[r].get("smallest_ok_bytes")
                       else "none (fails at 256 KiB)") for r in rts if r in mem) + ".")


if __name__ == "__main__":
    main()
