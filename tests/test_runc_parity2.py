"""Round 2 of runc parity (issue 17): behaviour scripts and callers rely on,
each compared with what runc 1.1 does."""
import json
import os
import shutil
import subprocess

import pytest

import helpers
from helpers import default_config, wait_for

IFF_UP = 0x1


def lo_flags_script():
    # /sys/class/net/lo/flags is the interface's flags in hex (sysfs shows
    # the network namespace of the process that mounted it)
    return ["sh", "-c", "cat /sys/class/net/lo/flags"]


def test_loopback_is_up_in_a_new_network_namespace(ctr):
    cfg = default_config(lo_flags_script())
    assert {"type": "network"} in cfg["linux"]["namespaces"]
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    assert int(r.out.strip(), 16) & IFF_UP, r.out


def test_loopback_of_a_joined_network_namespace_is_left_alone(ctr):
    # a namespace joined by path belongs to whoever made it (a CNI plugin, a
    # pod's sandbox): its lo stays as it is, down here
    p = subprocess.Popen(["unshare", "--net", "sleep", "1000"])
    try:
        wait_for(lambda: helpers.ns_inode(p.pid, "net") != helpers.ns_inode(os.getpid(), "net"))
        cfg = default_config(lo_flags_script())
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]
        cfg["linux"]["namespaces"].append({"type": "network", "path": "/proc/%d/ns/net" % p.pid})
        r = ctr(cfg).run_fg()
        assert r.rc == 0, r
        assert not int(r.out.strip(), 16) & IFF_UP, r.out
    finally:
        p.kill()
        p.wait()


@pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")
@pytest.mark.parametrize("rootless", [False, True], ids=["root", "rootless"])
def test_spec_namespaces_are_runc_defaults(ocirun_bin, tmp_path, rootless):
    """`ocirun spec` gives runc's default namespace set (no cgroup namespace:
    a script adding one to a spec would fail with a duplicate)."""
    extra = ["--rootless"] if rootless else []
    (tmp_path / "o").mkdir()
    (tmp_path / "r").mkdir()
    subprocess.run([ocirun_bin, "spec"] + extra, cwd=tmp_path / "o", check=True)
    subprocess.run(["runc", "spec"] + extra, cwd=tmp_path / "r", check=True)
    ours = json.loads((tmp_path / "o" / "config.json").read_text())["linux"]["namespaces"]
    theirs = json.loads((tmp_path / "r" / "config.json").read_text())["linux"]["namespaces"]
    assert sorted(n["type"] for n in ours) == sorted(n["type"] for n in theirs)
    assert "cgroup" not in [n["type"] for n in ours]


# ---------------------------------------------------------------- hooks
HOOK_ENV = r"""#!/bin/sh
env > "$1.env"
pwd > "$1.pwd"
"""


@pytest.mark.parametrize("kind", ["createRuntime", "createContainer"])
def test_hook_without_env_inherits_as_runc(ctr, work, kind):
    """hooks[].env absent: a runtime-namespace hook sees the runtime's
    environment, a container-namespace hook sees process.env and starts in
    the rootfs directory, as with runc (hooks with `env`, even empty, get
    exactly it: test_hooks.py::test_hook_args_and_env)."""
    c = ctr(default_config(["/bin/true"]))
    script = work / ("hook-%s.sh" % c.id)
    script.write_text(HOOK_ENV)
    script.chmod(0o755)
    out = work / ("out-%s" % c.id)
    c.config["process"]["env"] = ["PATH=/bin", "FROM_PROCESS=1"]
    c.config["hooks"] = {kind: [{"path": str(script), "args": ["hook", str(out)]}]}
    c.write_config()
    r = c.rt.run("run", "--bundle", c.bundle, c.id, env=dict(os.environ, FROM_RUNTIME="1"))
    assert r.rc == 0, r
    env = (work / ("out-%s.env" % c.id)).read_text().splitlines()
    pwd = (work / ("out-%s.pwd" % c.id)).read_text().strip()
    if kind == "createRuntime":
        assert "FROM_RUNTIME=1" in env and "FROM_PROCESS=1" not in env, env
    else:
        assert "FROM_PROCESS=1" in env and "FROM_RUNTIME=1" not in env, env
        assert os.path.realpath(pwd) == os.path.realpath(c.rootfs), pwd


# ---------------------------------------------------------------- exec
@pytest.mark.parametrize("caps", [None, ["CAP_KILL"]], ids=["runtime-caps", "caps"])
def test_exec_process_from_a_pipe(ctr, caps):
    """`exec --process /dev/stdin` (or `<(...)`): a pipe is read once.
    Without process.capabilities the runtime keeps its own, CAP_SYS_PTRACE
    among them, so it re-executes from a sealed copy (CVE-2019-5736) and
    must still have the process.json then."""
    c = ctr(default_config(["/bin/sleep", "100"]))
    c.create()
    c.start()
    proc = {"args": ["/bin/sh", "-c", "echo from-pipe; exit 7"], "cwd": "/", "env": ["PATH=/bin"]}
    if caps:
        proc["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}
    r = c.rt.run("exec", "--process", "/dev/stdin", c.id, input=json.dumps(proc))
    assert r.rc == 7, r
    assert r.out.strip() == "from-pipe", r
    # and the --process=FILE spelling
    r = c.rt.run("exec", "--process=/dev/stdin", c.id, input=json.dumps(proc))
    assert r.rc == 7, r


# ---------------------------------------------------------------- sysctl
def test_sysctl_kernel_hostname_conflicts_with_hostname(ctr):
    """runc refuses linux.sysctl kernel.hostname (the `hostname` field is
    the one place for it; set before the sysctls, it would silently lose)."""
    cfg = default_config(["/bin/true"])
    assert {"type": "uts"} in cfg["linux"]["namespaces"]
    cfg["linux"]["sysctl"] = {"kernel.hostname": "other"}
    c = ctr(cfg)
    msg = helpers.one_line_error(c.create(check=False))
    assert 'linux.sysctl["kernel.hostname"]' in msg and "hostname" in msg, msg
    assert not c.state_dir().exists()


def test_sysctl_kernel_domainname_is_accepted(ctr):
    cfg = default_config(["/bin/cat", "/proc/sys/kernel/domainname"])
    cfg["linux"]["sysctl"] = {"kernel.domainname": "example.test"}
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    assert r.out.strip() == "example.test"


# ---------------------------------------------------------------- shared root
@pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")
def test_delete_force_leaves_another_runtimes_container_alone(ctr, rt):
    """Docker gives every runc-style runtime the same --root: `ocirun delete
    --force` of a runc container there removed runc's state dir and left
    its process running.  It is refused now, and runc still owns it."""
    c = ctr(default_config(["/bin/sleep", "100"]))
    root = rt.root
    runc = ["runc", "--root", str(root)]
    # stdio to files: the container keeps them open (a pipe would never end)
    with open(c.stderr_path, "w") as err:
        r = subprocess.run(runc + ["run", "-d", "--bundle", str(c.bundle), c.id], stdin=subprocess.DEVNULL,
                           stdout=err, stderr=err, timeout=60)
    assert r.returncode == 0, c.stderr_path.read_text()
    try:
        r = rt.run("delete", "--force", c.id)
        msg = helpers.one_line_error(r)
        assert "not created by ocirun" in msg, msg
        out = subprocess.run(runc + ["state", c.id], capture_output=True, text=True, timeout=30)
        assert out.returncode == 0 and json.loads(out.stdout)["status"] == "running", out
    finally:
        subprocess.run(runc + ["delete", "--force", c.id], capture_output=True, timeout=60)


def test_delete_force_leaves_a_crun_style_dir_alone(rt):
    """crun records a container in `<root>/<id>/status` (no state.json)."""
    d = os.path.join(rt.root, "crun-made")
    os.makedirs(d)
    with open(os.path.join(d, "status"), "w") as f:
        f.write("{}")
    try:
        msg = helpers.one_line_error(rt.run("delete", "--force", "crun-made"))
        assert "not created by ocirun" in msg, msg
        assert os.path.exists(os.path.join(d, "status"))
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- cgroups
def _default_parent_dirs():
    return [h / "ocirun" for h in helpers.cgroup_hierarchies() if (h / "ocirun").exists()]


def test_default_cgroup_parent_goes_with_the_last_container(ctr):
    """Without linux.cgroupsPath a container lives in /ocirun/<id>.  With two
    of them, the one that made /ocirun may be deleted first; the other's
    delete must then remove /ocirun too (it was left behind for good)."""
    if _default_parent_dirs():
        pytest.skip("/ocirun exists already (containers without cgroupsPath are running here)")
    made = []
    try:
        for _ in range(2):
            cfg = default_config(["/bin/sleep", "100"])
            cfg["linux"].pop("cgroupsPath", None)
            c = ctr(cfg, cgroups=False)
            c.create()
            made.append(c)
        assert _default_parent_dirs()
        for c in made:
            r = c.rt.run("delete", "--force", c.id)
            assert r.rc == 0, r
        assert _default_parent_dirs() == []
    finally:
        for c in made:
            c.rt.run("delete", "--force", c.id)
