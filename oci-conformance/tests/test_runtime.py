"""runtime.md: state, lifecycle, operations, errors (seen from outside)."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from helpers import (NsHolder, container_mount_changes, is_probe_running, processes_in, mountinfo, ns_of, pid_alive_host, validate_schema,
                     wait_for)
from spec import spec

R = "runtime.md"
STANDARD_STATUSES = {"creating", "created", "running", "stopped"}


def pause_cfg(cfg, *extra):
    cfg["process"]["args"] = ["/probe", "all", *extra, "pause"]
    return cfg


# ------------------------------------------------------------------ state
@spec(R + "#runtimeState", "ociVersion (string, REQUIRED) is version of the Open Container Initiative Runtime Specification with which the state complies")
def test_state_ociversion(new_container):
    c = new_container()
    c.create()
    st = c.state()
    assert isinstance(st.get("ociVersion"), str) and st["ociVersion"], st


@spec(R + "#runtimeState", "id (string, REQUIRED) is the container's ID")
def test_state_id(new_container):
    c = new_container()
    c.create()
    assert c.state().get("id") == c.id


@spec(R + "#runtimeState", "status (string, REQUIRED) is the runtime state of the container")
def test_state_status_transitions(new_container, cfg):
    """status is created after create, running after start, stopped after the process exits."""
    c = new_container(pause_cfg(cfg))
    c.create()
    assert c.state().get("status") == "created"
    c.start()
    c.wait_output()
    assert c.state().get("status") == "running"
    c.kill("KILL")
    c.wait()
    assert wait_for(lambda: c.state().get("status") == "stopped", 5), c.state()


@spec(R + "#runtimeState", "Additional values MAY be defined by the runtime, however, they MUST be used to represent new runtime states")
def test_state_no_custom_status_for_standard_states(new_container, cfg):
    """In the standard states the runtime reports a standard status value."""
    c = new_container(pause_cfg(cfg))
    c.create()
    seen = [c.state()["status"]]
    c.start()
    c.wait_output()
    seen.append(c.state()["status"])
    c.kill("KILL")
    c.wait()
    time.sleep(0.1)
    seen.append(c.state()["status"])
    assert seen == ["created", "running", "stopped"], seen


@spec(R + "#runtimeState", "pid (int, REQUIRED when status is created or running on Linux")
def test_state_pid(new_container, cfg):
    """pid is present when created/running, an int, and is the container process (pid file)."""
    c = new_container(pause_cfg(cfg))
    c.create()
    st = c.state()
    assert isinstance(st.get("pid"), int) and st["pid"] > 0, st
    assert st["pid"] == c.pid, "state pid %s != pid-file %s" % (st["pid"], c.pid)
    c.start()
    c.wait_output()
    st = c.state()
    assert st.get("pid") == c.pid, st
    # the process that exec'ed the program is the one the state names
    assert is_probe_running(st["pid"]), "state pid %s is not running the user program" % st["pid"]


@spec(R + "#runtimeState", "bundle (string, REQUIRED) is the absolute path to the container's bundle directory")
def test_state_bundle(new_container):
    c = new_container()
    c.create()
    b = c.state().get("bundle")
    assert isinstance(b, str) and os.path.isabs(b), b
    assert os.path.realpath(b) == os.path.realpath(c.bundle)


@spec(R + "#runtimeState", "bundle (string, REQUIRED) is the absolute path to the container's bundle directory")
def test_state_bundle_relative_argument(new_container, rt):
    """Even when create is given a relative --bundle, state has the absolute path."""
    c = new_container()
    cwd = os.getcwd()
    os.chdir(c.bundle.parent)
    try:
        with open(c.stdout_path, "ab") as o:
            r = rt.create(c.id, c.bundle.name, pid_file=c.pid_file, stdout=o, stderr=o)
    finally:
        os.chdir(cwd)
    assert r.ok, r
    c.pid = int(Path(c.pid_file).read_text())
    b = c.state().get("bundle")
    assert isinstance(b, str) and os.path.isabs(b), b
    assert os.path.realpath(b) == os.path.realpath(c.bundle)


@spec(R + "#runtimeState", "the format MUST adhere to the JSON Schema schema/state-schema.json")
def test_state_schema(new_container, cfg):
    cfg["annotations"] = {"org.example.key": "value"}
    c = new_container(pause_cfg(cfg))
    c.create()
    errs = validate_schema(c.state(), "state-schema.json")
    assert not errs, errs
    c.start()
    c.wait_output()
    errs = validate_schema(c.state(), "state-schema.json")
    assert not errs, errs
    c.kill("KILL")
    c.wait()
    time.sleep(0.05)
    errs = validate_schema(c.state(), "state-schema.json")
    assert not errs, errs


@spec(R + "#runtimeState", "This MUST be unique across all containers on this host")
@spec(R + "#runtimeCreate", "If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way")
def test_create_duplicate_id(new_container, rt, work):
    """A second create with an existing ID fails and the first container is untouched."""
    c = new_container()
    c.create()
    before = c.state()
    c2 = new_container(cid=c.id + "-b")
    c2.id = c.id  # same ID, different bundle
    r = c2.create(check=False)
    assert not r.ok, "create with a duplicate id succeeded: %r" % r
    after = c.state()
    assert after["pid"] == before["pid"] and after["status"] == "created", (before, after)
    assert os.path.realpath(after["bundle"]) == os.path.realpath(c.bundle)
    c2.pid = None


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", ""])
@spec(R + "#runtimeCreate", "If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way")
def test_create_invalid_id(new_container, rt, bad_id):
    """An ID that cannot name a container (path separators, empty) is rejected."""
    c = new_container()
    r = rt.create(bad_id, c.bundle, pid_file=c.pid_file)
    if r.ok:
        rt.delete(bad_id, force=True)
    assert not r.ok, "create accepted id %r" % bad_id


# -------------------------------------------------------------- lifecycle
@spec(R + "#runtimeLifecycle", "the user-specified program (from process) MUST NOT be run at this time")
@spec(R + "#runtimeCreate", "process.args MUST NOT be applied until triggered by the start operation")
def test_create_does_not_run_program(new_container, cfg):
    c = new_container(pause_cfg(cfg))
    c.create()
    time.sleep(0.3)
    assert c.probe_outputs() == [], "the program printed before start"
    assert not is_probe_running(c.pid), "container process already exec'ed the program"
    c.start()
    c.wait_output()
    assert is_probe_running(c.pid)


@spec(R + "#runtimeLifecycle", "runtime environment MUST be created according to the configuration in config.json")
@spec(R + "#runtimeCreate", "All of the properties configured in config.json except for process MUST be applied")
def test_create_applies_config_before_start(new_container, cfg, host_ns):
    """After create (before start) namespaces, hostname, mounts and cgroup exist."""
    cfg["hostname"] = "created-host"
    cfg["mounts"].append({"destination": "/mnt/created", "type": "tmpfs", "source": "tmpfs",
                          "options": ["size=1m"]})
    c = new_container(cfg)
    c.create()
    for kind in ("pid", "net", "ipc", "uts", "mnt"):
        assert ns_of(c.pid, kind) != host_ns[kind], "no new %s namespace after create" % kind
    h = subprocess.run(["nsenter", "-t", str(c.pid), "-u", "hostname"], capture_output=True, text=True)
    assert h.stdout.strip() == "created-host", h
    mps = [m["mountpoint"] for m in mountinfo(c.pid)]
    assert "/mnt/created" in mps, mps
    cg = Path("/proc/%d/cgroup" % c.pid).read_text()
    assert c.cgroups_path in cg, cg


@spec(R + "#runtimeLifecycle", "unable to create the environment specified in the config.json, it MUST generate an error")
@spec(R + "#runtimeCreate", "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created")
def test_create_fails_on_unapplicable_config(new_container, cfg, rt):
    cfg["mounts"].append({"destination": "/mnt/x", "type": "no-such-fs-type", "source": "none"})
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok, "create succeeded with an impossible mount: %r" % r
    assert not rt.state(c.id).ok, "a container exists after a failed create"


@spec(R + "#runtimeErrors", "generating an error MUST leave the state of the environment as if the operation were never attempted")
def test_failed_create_leaves_nothing(new_container, cfg, rt):
    """A failed create leaves no container, no process, no cgroup, no host mount, no state."""
    before_mounts = Path("/proc/self/mountinfo").read_text()
    cfg["mounts"].append({"destination": "/mnt/x", "type": "no-such-fs-type", "source": "none"})
    c = new_container(cfg)
    r = c.create(check=False)
    assert not r.ok
    assert not rt.state(c.id).ok
    time.sleep(0.2)
    assert c.cgroup_dirs() == [], "cgroup left behind: %s" % c.cgroup_dirs()
    changed = container_mount_changes(before_mounts, c, rt)
    assert not changed, "host mount table changed: %s" % changed
    # nothing is running from that bundle
    leftovers = processes_in(c)
    assert not leftovers, "processes left: %s" % leftovers
    r2 = c.create(check=False)  # and the ID is still free (same failure, not "exists")
    assert "exist" not in (r2.err + r2.out).lower(), r2


@spec(R + "#runtimeLifecycle", "Any updates to config.json after this step MUST NOT affect the container")
def test_config_changes_after_create_ignored(new_container, cfg):
    cfg["process"]["env"].append("MARK=original")
    c = new_container(cfg)
    c.create()
    cfg2 = json.loads(json.dumps(c.config))
    cfg2["process"]["env"] = ["MARK=changed"]
    cfg2["process"]["args"] = ["/probe", "exit", "7"]
    cfg2["hostname"] = "changed"
    c.write_config(cfg2)
    c.start()
    c.wait()
    out = c.probe_outputs()[0]
    assert "MARK=original" in out["env"], out["env"]
    assert out["argv"][1] == "all", out["argv"]
    assert out["hostname"] == "oci-conformance"


@spec(R + "#runtimeLifecycle", "The runtime MUST run the user-specified program, as specified by process")
@spec(R + "#runtimeStart", "This operation MUST run the user-specified program as specified by process")
def test_start_runs_program(new_container, cfg):
    cfg["process"]["args"] = ["/probe", "proc", "exit", "3"]
    c = new_container(cfg)
    c.create()
    c.start()
    assert c.exit_code() in (3, None)
    out = c.probe_outputs()
    assert out and out[0]["argv"] == ["/probe", "proc", "exit", "3"], out
    if c.exit_status is None:
        pytest.skip("could not reap the container process to read its exit code")


@spec(R + "#runtimeLifecycle", "The container MUST be destroyed by undoing the steps performed during create phase")
@spec(R + "#runtimeDelete", "Deleting a container MUST delete the resources that were created during the create step")
def test_delete_removes_resources(new_container, cfg, rt):
    before_mounts = Path("/proc/self/mountinfo").read_text()
    c = new_container(pause_cfg(cfg))
    c.create()
    c.start()
    c.wait_output()
    assert c.cgroup_dirs(), "container has no cgroup directory under its cgroupsPath"
    c.kill("KILL")
    c.wait()
    r = c.delete()
    assert r.ok
    assert not rt.state(c.id).ok, "state still answers after delete"
    assert c.cgroup_dirs() == [], "cgroups left: %s" % c.cgroup_dirs()
    changed = container_mount_changes(before_mounts, c, rt)
    assert not changed, "host mount table changed: %s" % changed
    assert not any(Path(rt.root).glob("*%s*" % c.id)), "state files left in --root"


@spec(R + "#runtimeDelete", "resources associated with the container, but not created by this container, MUST NOT be deleted")
def test_delete_keeps_joined_namespace(new_container, cfg, work):
    """A network namespace joined by path (a bind mount made by the caller) survives the container's deletion."""
    holder = NsHolder("--net")
    try:
        nsfile = holder.bind("net", work / "netns")
        ino = os.stat(nsfile).st_ino
        for ns in cfg["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = str(nsfile)
        c = new_container(cfg)
        c.run()
        c.delete()
        holder.p.kill()  # now only the bind mount holds the namespace
        holder.p.wait()
        st = os.stat(nsfile)
        assert st.st_ino == ino, "the joined namespace's bind mount was removed"
        r = subprocess.run(["nsenter", "--net=%s" % nsfile, "true"])
        assert r.returncode == 0, "the joined namespace is gone"
    finally:
        holder.stop()


@spec(R + "#runtimeDelete", "resources associated with the container, but not created by this container, MUST NOT be deleted")
def test_delete_keeps_bind_source(new_container, cfg, work):
    """The host directory bind-mounted into the container and its content stay."""
    src = work / "bindsrc"
    src.mkdir()
    (src / "keep").write_text("x")
    cfg["mounts"].append({"destination": "/mnt/b", "type": "bind", "source": str(src), "options": ["rbind", "rw"]})
    c = new_container(cfg)
    c.run()
    c.delete()
    assert (src / "keep").read_text() == "x"


# -------------------------------------------------------------- operations
@spec(R + "#runtimeScopeContainer", "entity using a runtime to create a container MUST be able to use the operations")
@spec(R + "#runtimeOperations", "runtimes MUST support the following operations")
def test_all_operations_on_one_container(new_container, cfg, rt):
    c = new_container(pause_cfg(cfg))
    assert c.create(check=False).ok
    assert rt.state(c.id).ok
    assert rt.start(c.id).ok
    c.wait_output()
    assert rt.kill(c.id, "KILL").ok
    c.wait()
    time.sleep(0.05)
    assert rt.delete(c.id).ok


@spec(R + "#runtimeQueryState", "This operation MUST generate an error if it is not provided the ID of a container")
def test_state_without_id(rt):
    assert not rt.run("state").ok


@spec(R + "#runtimeQueryState", "Attempting to query a container that does not exist MUST generate an error")
def test_state_unknown_id(rt):
    r = rt.state("oc-no-such-container")
    assert not r.ok, r


@spec(R + "#runtimeQueryState", "This operation MUST return the state of a container as specified in the State section")
def test_state_returns_state(new_container):
    c = new_container()
    c.create()
    st = c.state()
    for k in ("ociVersion", "id", "status", "bundle"):
        assert k in st, st


@spec(R + "#runtimeCreate", "MUST generate an error if it is not provided a path to the bundle and the container ID")
def test_create_without_id(new_container, rt):
    c = new_container()
    r = rt.run("create", "--bundle", str(c.bundle))
    assert not r.ok, r


@spec(R + "#runtimeCreate", "MUST generate an error if it is not provided a path to the bundle and the container ID")
def test_create_bundle_without_config(rt, work):
    """A bundle path that holds no config.json is an error."""
    empty = work / "empty-bundle"
    empty.mkdir()
    r = rt.create("oc-nobundle", empty)
    rt.delete("oc-nobundle", force=True)
    assert not r.ok, r


@spec(R + "#runtimeCreate", "This operation MUST create a new container")
def test_create_creates(new_container):
    c = new_container()
    r = c.create()
    assert r.ok and c.pid and pid_alive_host(c.pid)
    assert c.state()["status"] == "created"


@spec(R + "#runtimeStart", "This operation MUST generate an error if it is not provided the container ID")
def test_start_without_id(rt):
    assert not rt.run("start").ok


@spec(R + "#runtimeStart", "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error")
def test_start_running_container(new_container, cfg):
    c = new_container(pause_cfg(cfg))
    c.create()
    c.start()
    c.wait_output()
    r = c.start(check=False)
    assert not r.ok, "second start succeeded"
    time.sleep(0.2)
    assert len(c.probe_outputs()) == 1, "the program ran again"
    assert c.state()["status"] == "running" and c.state()["pid"] == c.pid


@spec(R + "#runtimeStart", "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error")
def test_start_stopped_container(new_container, cfg):
    cfg["process"]["args"] = ["/probe", "proc"]
    c = new_container(cfg)
    c.create()
    c.start()
    c.wait()
    time.sleep(0.05)
    r = c.start(check=False)
    assert not r.ok, "start of a stopped container succeeded"
    time.sleep(0.2)
    assert len(c.probe_outputs()) == 1, "the program ran again"
    assert c.state()["status"] == "stopped"


@spec(R + "#runtimeStart", "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error")
def test_start_unknown_container(rt):
    assert not rt.start("oc-no-such-container").ok


@spec(R + "#runtimeStart", "This operation MUST generate an error if process was not set")
@spec("config.md#configProcess", "This property is REQUIRED when start is called")
def test_start_without_process(new_container, cfg):
    """Without `process`, start (or already create) fails and nothing runs."""
    del cfg["process"]
    c = new_container(cfg)
    r = c.create(check=False)
    if r.ok:
        r2 = c.start(check=False)
        assert not r2.ok, "start succeeded without process"
    assert c.probe_outputs() == []


@spec(R + "#runtimeKill", "This operation MUST generate an error if it is not provided the container ID")
def test_kill_without_id(rt):
    assert not rt.run("kill").ok


@spec(R + "#runtimeKill", "Attempting to send a signal to a container that is neither created nor running MUST have no effect")
def test_kill_stopped_container(new_container, cfg):
    cfg["process"]["args"] = ["/probe", "proc"]
    c = new_container(cfg)
    c.create()
    c.start()
    c.wait()
    time.sleep(0.05)
    r = c.kill("KILL", check=False)
    assert not r.ok, "kill of a stopped container succeeded"
    assert c.state()["status"] == "stopped"


@spec(R + "#runtimeKill", "Attempting to send a signal to a container that is neither created nor running MUST have no effect")
def test_kill_unknown_container(rt):
    assert not rt.kill("oc-no-such-container", "KILL").ok


@spec(R + "#runtimeKill", "This operation MUST send the specified signal to the container process")
@pytest.mark.parametrize("sig,num", [("USR1", 10), ("SIGUSR2", 12), ("15", 15)])
def test_kill_sends_signal(new_container, cfg, sig, num):
    """The probe exits 128+SIG for the signal it receives."""
    c = new_container(pause_cfg(cfg))
    c.create()
    c.start()
    c.wait_output()
    c.kill(sig)
    code = c.exit_code()
    if code is None:
        pytest.skip("could not reap the container process to read its exit code")
    assert code == 128 + num, "exit code %s, expected %s" % (code, 128 + num)


@spec(R + "#runtimeKill", "This operation MUST send the specified signal to the container process")
def test_kill_created_container(new_container, cfg):
    """A created (not started) container can be signalled (KILL stops it)."""
    c = new_container(pause_cfg(cfg))
    c.create()
    r = c.kill("KILL")
    assert r.ok
    c.wait()
    assert wait_for(lambda: c.state()["status"] == "stopped", 5)
    assert c.probe_outputs() == []


@spec(R + "#runtimeDelete", "This operation MUST generate an error if it is not provided the container ID")
def test_delete_without_id(rt):
    assert not rt.run("delete").ok


@spec(R + "#runtimeDelete", "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error")
def test_delete_running_container(new_container, cfg):
    c = new_container(pause_cfg(cfg))
    c.create()
    c.start()
    c.wait_output()
    r = c.delete(check=False)
    assert not r.ok, "delete of a running container succeeded"
    st = c.state()
    assert st["status"] == "running" and st["pid"] == c.pid and pid_alive_host(c.pid)


@spec(R + "#runtimeDelete", "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error")
def test_delete_created_container(new_container, cfg):
    c = new_container(pause_cfg(cfg))
    c.create()
    r = c.delete(check=False)
    assert not r.ok, "delete of a created (not stopped) container succeeded"
    st = c.state()
    assert st["status"] == "created" and pid_alive_host(c.pid)


@spec(R + "#runtimeDelete", "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error")
def test_delete_unknown_container(rt):
    assert not rt.delete("oc-no-such-container").ok
