#!/usr/bin/python3
"""Print a per-spec-file summary of one results/<runtime>.json and the final
line "N passed, N failed".  Skips are listed with their reasons and are not
counted as passes.  Exit 1 if a check failed."""
import json
import sys
from collections import OrderedDict

FILES = ["runtime.md", "runtime-linux.md", "config.md", "config-linux.md", "features.md", "features-linux.md"]


def spec_file(r):
    if r["specs"]:
        return r["specs"][0][0].split("#")[0]
    return "(suite)"


def main(path):
    with open(path) as f:
        data = json.load(f)
    res = data["results"]
    per = OrderedDict((k, {"passed": 0, "failed": 0, "skipped": 0}) for k in FILES)
    for r in res:
        per.setdefault(spec_file(r), {"passed": 0, "failed": 0, "skipped": 0})
        per[spec_file(r)][r["outcome"] or "failed"] += 1
    print("runtime %s (%s), config ociVersion %s" % (data["runtime"], data.get("version", "?"), data.get("config_oci_version", "?")))
    for k, v in per.items():
        print("  %-18s %3d passed, %3d failed, %3d skipped" % (k, v["passed"], v["failed"], v["skipped"]))
    fails = [r for r in res if r["outcome"] == "failed"]
    skips = [r for r in res if r["outcome"] == "skipped"]
    if fails:
        print("failed checks:")
        for r in fails:
            ref = "%s (%s)" % (r["specs"][0][0], r["specs"][0][1][:70]) if r["specs"] else ""
            print("  FAIL %s  %s\n       %s" % (r["name"], ref, (r["message"] or "").split("\n")[0][:200]))
    if skips:
        print("skipped checks (not counted as passed):")
        for r in skips:
            print("  SKIP %s: %s" % (r["name"], (r["message"] or "").replace("Skipped: ", "")[:200]))
    np = sum(1 for r in res if r["outcome"] == "passed")
    print("%d skipped" % len(skips))
    print("%d passed, %d failed" % (np, len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
