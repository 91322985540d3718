#!/usr/bin/python3
"""Draw the curves of a bench/run.py result with gnuplot (Debian:
gnuplot-nox) as SVG (or PNG: an output name ending in .png).

    bench/plot.py [bench/results/latest.json [bench/results/curves.svg]]

Panels: `state` and `list` against the containers present, `run` against
extra mounts, `run` against seccomp rules (cold and cached), and the
parallel throughput; one line per runtime, median wall time."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIMES = ("ocirun", "crun", "runc")


def series(res, prefix, rt):
    pts = []
    for k, v in res.items():
        if k.startswith(prefix) and isinstance(v.get(rt), dict) and "median_ms" in v[rt]:
            pts.append((int(k.split("@")[1]), v[rt]["median_ms"]))
    return sorted(pts)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results", "latest.json")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(src), "curves.svg")
    with open(src) as f:
        data = json.load(f)
    res = data["results"]
    tmp = tempfile.mkdtemp(prefix="ocirun-plot-")
    panels = [("state@", "`state` with N containers present", "containers present"),
              ("list@", "`list` with N containers present", "containers present"),
              ("mounts@", "`run` with N extra bind mounts", "extra mounts"),
              ("seccomp-cold@", "`run`, seccomp profile of N rules (no cache)", "rules"),
              ("seccomp-cached@", "`run`, seccomp profile of N rules (cached)", "rules")]
    term = ('set terminal png size 1200,900 font "sans,10"' if out.endswith(".png")
            else 'set terminal svg size 1200,900 dynamic font "sans,11"')
    script = [term,
              'set output "%s"' % out,
              'set multiplot layout 2,3 title "ocirun vs crun 1.8.1 vs runc 1.1.5: median wall ms '
              '(loaded shared 2-core machine; %s)"' % data.get("meta", {}).get("date", ""),
              "set logscale x", "set key top left", "set grid", "set ylabel 'ms'"]
    for prefix, title, xlabel in panels:
        plots = []
        for rt in RUNTIMES:
            pts = series(res, prefix, rt)
            if not pts:
                continue
            fn = os.path.join(tmp, "%s-%s.dat" % (prefix.strip("@"), rt))
            with open(fn, "w") as f:
                for x, y in pts:
                    f.write("%d %.3f\n" % (x, y))
            plots.append("'%s' using 1:2 with linespoints title '%s'" % (fn, rt))
        script.append("set title \"%s\"" % title.replace("`", ""))
        script.append("set xlabel '%s'" % xlabel)
        script.append("plot " + ", ".join(plots) if plots else "plot 0 notitle")
    # throughput: a bar per runtime
    par = [k for k in res if k.startswith("parallel@")]
    script.append("unset logscale x")
    if par:
        k = par[0]
        fn = os.path.join(tmp, "parallel.dat")
        with open(fn, "w") as f:
            for i, rt in enumerate(RUNTIMES):
                v = res[k].get(rt, {})
                if "containers_per_s" in v:
                    f.write("%d %s %.2f\n" % (i, rt, v["containers_per_s"]))
        script += ["set title '%s lifecycles (run) at once: containers/s'" % k.split("@")[1],
                   "set xlabel ''", "set ylabel 'containers/s'", "set style fill solid 0.6",
                   "set boxwidth 0.6", "set xrange [-0.5:2.5]", "set yrange [0:*]",
                   "plot '%s' using 1:3:xtic(2) with boxes notitle" % fn]
    script.append("unset multiplot")
    gp = os.path.join(tmp, "curves.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gnuplot", gp], check=True)
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)
    print("written: %s" % out)


if __name__ == "__main__":
    main()
