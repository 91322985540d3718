"""Many containers created and deleted at the same time, by concurrent CLI
calls: every call succeeds and no cgroup (in any hierarchy), state dir or
process is left.  The containers share parents that do not exist before:
concurrent calls make them (mkdir races; on v2 subtree_control writes) and
remove the ones they made when empty (rmdir races).

OCIRUN_CGT_PARALLEL sets the number (default 50; tests/vm/ci.sh lowers it
in the VM, where process creation is several times slower)."""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from cglib import LAYOUT, PARENT, CgContainer, cfg_with, leftover_cgroups, make_parent, pids_in, remove_tree
from helpers import new_id, rtlib

N = int(os.environ.get("OCIRUN_CGT_PARALLEL", "50"))


def one(c, barrier):
    """create, check the cgroup, delete --force; return problems."""
    barrier.wait(timeout=120)
    out = []
    r = c.create(check=False, timeout=300)
    if r.rc != 0:
        return ["%s: create rc=%s: %s" % (c.id, r.rc, r.err.strip())]
    d = c.cgdir("pids") or c.cgdir("memory")
    try:
        procs = (d / "cgroup.procs").read_text().split()
        if str(c.pid) not in procs:
            out.append("%s: pid %s not in %s (%s)" % (c.id, c.pid, d, procs))
    except OSError as e:
        out.append("%s: %s" % (c.id, e))
    r = c.rt.run("delete", "--force", c.id, timeout=300)
    if r.rc != 0:
        out.append("%s: delete rc=%s: %s" % (c.id, r.rc, r.err.strip()))
    return out


@pytest.mark.heavy
@pytest.mark.parametrize("parents", ["existing", "fresh", "fresh-nested"])
def test_parallel_create_delete(rt, work, rootfs_template, parents):
    """existing: the shared parent is made (and removed) by us, only the
    containers' own directories race.  fresh: the runtime calls make the
    shared parent(s) concurrently."""
    base = "%s/par-%s" % (PARENT, new_id("p"))
    if parents == "existing":
        make_parent(base)
    made = []
    for i in range(N):
        cid = new_id("par")
        sub = "%s/g%d" % (base, i % 5) if parents == "fresh-nested" else base
        cfg = cfg_with(["/probe", "pause"], {"pids": {"limit": 10}, "memory": {"limit": 64 * 1024 * 1024}})
        cfg["linux"]["cgroupsPath"] = "%s/%s" % (sub, cid)
        made.append(CgContainer(rt, work, config=cfg, cid=cid, rootfs_template=rootfs_template))
    barrier = threading.Barrier(N)
    try:
        with ThreadPoolExecutor(max_workers=N) as ex:
            problems = sum(ex.map(lambda c: one(c, barrier), made), [])
        rtlib.reap_orphans()
        assert problems == [], "\n".join(problems)
        assert os.listdir(rt.root) == []
        for c in made:
            assert c.left_behind() == [], c.left_behind()
        # no container's directory is left anywhere; shared parents may stay
        # (a parent is removed only by the call that made it, and only when
        # empty then: as runc, which never removes parents), but empty
        left = [p for p in leftover_cgroups() if p.rsplit("/", 1)[1].startswith("par-") and
                p.rsplit("/", 1)[1] != base.rsplit("/", 1)[1]]
        assert left == [], left
        for d in LAYOUT.existing_dirs(base):
            for sub in [d] + [x for x in d.rglob("*") if x.is_dir()]:
                assert pids_in(sub) == [], sub
    finally:
        for c in made:
            c.destroy()
        remove_tree(base)
