"""Phase timing (issue 13): OCIRUN_TRACE=1 or --debug prints where the time
of a create/run/exec goes, per phase, for the runtime and the container
side; --log receives it in the log format in use.  No timing thresholds:
only names, well-formed non-negative numbers, and that the phases add up
to the total of their side."""
import json
import os
import re

from helpers import default_config

LINE = re.compile(r"^ocirun: trace: (\S+) (.+?)\s+(-?[0-9]+\.[0-9]+) ms  cpu\s+(-?[0-9]+\.[0-9]+) ms$")
FILE_LINE = re.compile(r"^trace: (\S+) (.+?)\s+(-?[0-9]+\.[0-9]+) ms  cpu\s+(-?[0-9]+\.[0-9]+) ms$")

RUNTIME_RUN = ["cli", "parse", "validate", "state dir", "cgroup setup", "clone", "wait: container started",
               "cgroup enter", "wait: container mounts", "hooks", "wait: container ready", "record created",
               "start", "wait: exec and exit", "delete", "total"]
CONTAINER = ["stage start", "wait: runtime setup", "mounts", "wait: runtime hooks", "pivot_root",
             "masked, readonly paths", "process setup", "wait: start", "total"]

SECCOMP = {"defaultAction": "SCMP_ACT_ALLOW",
           "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]}


def env(**kw):
    e = dict(os.environ)
    e.pop("OCIRUN_TRACE", None)
    e.update(kw)
    return e


def parse(lines, regex):
    """{side: [(phase, ms)]} from the trace lines among `lines` (the CPU
    time of each phase is checked here: non-negative, and the side's
    phases add up to its total as well)"""
    out = {}
    cpu = {}
    for ln in lines:
        m = regex.match(ln)
        if m:
            out.setdefault(m.group(1), []).append((m.group(2), float(m.group(3))))
            cpu.setdefault(m.group(1), []).append((m.group(2), float(m.group(4))))
    for side, phases in cpu.items():
        check_sum(phases)
    return out


def check_sum(phases):
    for _, ms in phases:
        assert ms >= 0, phases
    # the phases cover the side's whole time: they add up to its total
    # (each printed rounded to the microsecond)
    assert phases[-1][0] == "total", phases
    total = phases[-1][1]
    assert abs(sum(ms for _, ms in phases[:-1]) - total) <= 0.001 * len(phases) + 0.001, phases


def check_side(phases, expected):
    names = [p for p, _ in phases]
    for name in expected:
        assert name in names, (name, names)
    assert len(names) == len(set(names)), names  # a phase marked twice is summed, never repeated
    assert names[-1] == "total", names
    check_sum(phases)


def test_trace_env_prints_both_sides_text(ctr):
    c = ctr(default_config(["/bin/true"]))
    r = c.rt.run("run", "--bundle", c.bundle, c.id, env=env(OCIRUN_TRACE="1"))
    assert r.rc == 0, r
    sides = parse(r.err.splitlines(), LINE)
    assert set(sides) == {"runtime", "container"}, r.err
    check_side(sides["runtime"], RUNTIME_RUN)
    check_side(sides["container"], CONTAINER)
    # tracing alone is not --debug
    assert "debug:" not in r.err, r.err


def test_trace_seccomp_phases(ctr):
    cfg = default_config(["/bin/true"])
    cfg["linux"]["seccomp"] = SECCOMP
    c = ctr(cfg)
    r = c.rt.run("run", "--bundle", c.bundle, c.id, env=env(OCIRUN_TRACE="1"))
    assert r.rc == 0, r
    sides = parse(r.err.splitlines(), LINE)
    check_side(sides["runtime"], RUNTIME_RUN + ["seccomp compile"])
    check_side(sides["container"], CONTAINER + ["seccomp load"])


def test_trace_to_json_log(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    log = work / ("log-%s.json" % c.id)
    r = c.rt.run("--log", log, "--log-format", "json", "run", "--bundle", c.bundle, c.id,
                 env=env(OCIRUN_TRACE="1"))
    assert r.rc == 0, r
    # the log file has it all, the terminal nothing
    assert "trace" not in r.err, r.err
    recs = [json.loads(x) for x in log.read_text().splitlines()]
    sides = {}
    for x in recs:
        if x["level"] == "trace":
            assert isinstance(x["ms"], (int, float)) and x["ms"] >= 0, x
            assert isinstance(x["cpu_ms"], (int, float)) and x["cpu_ms"] >= 0, x
            assert x["phase"] in x["msg"] and x["msg"].startswith(x["side"] + " "), x
            sides.setdefault(x["side"], []).append((x["phase"], x["ms"]))
    assert set(sides) == {"runtime", "container"}, recs
    check_side(sides["runtime"], RUNTIME_RUN)
    check_side(sides["container"], CONTAINER)
    # --log alone (no --debug): the trace asked for, nothing else (no info
    # or debug lines: see test_log_file_of_a_failed_create_is_one_json_object)
    assert all(x["level"] == "trace" for x in recs), recs


def test_log_file_of_a_failed_create_is_one_json_object(ctr, work):
    """podman reads its `oci-log` (--log, --log-format json, appended to by
    every create of the container) as one json object after a failed
    create: a successful create writes nothing there, and a failed one
    exactly its error (runc's practice)."""
    c = ctr(default_config(["/bin/true"]))
    log = work / ("oci-log-%s" % c.id)
    # the created init keeps its stdio: files, not pipes
    with open(c.stdout_path, "wb") as o, open(c.stderr_path, "wb") as e:
        r = c.rt.run("--log", log, "--log-format", "json", "create", "--bundle", c.bundle, c.id, env=env(),
                     stdout=o, stderr=e)
    assert r.rc == 0, (r, c.stderr_text())
    assert log.read_text() == "", log.read_text()
    r = c.rt.run("--log", log, "--log-format", "json", "delete", "--force", c.id, env=env())
    assert r.rc == 0 and log.read_text() == "", (r, log.read_text())
    c2 = ctr(default_config(["/no/such/program"]))
    r = c2.rt.run("--log", log, "--log-format", "json", "create", "--bundle", c2.bundle, c2.id, env=env())
    assert r.rc != 0, r
    obj = json.loads(log.read_text())  # the whole file: one object
    assert obj["level"] == "error" and "no such file or directory" in obj["msg"], obj


def test_debug_logs_each_step_and_the_breakdown_text_log(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    log = work / ("log-%s.txt" % c.id)
    r = c.rt.run("--debug", "--log", log, "run", "--bundle", c.bundle, c.id, env=env())
    assert r.rc == 0, r
    lines = log.read_text().splitlines()
    sides = parse(lines, FILE_LINE)
    check_side(sides["runtime"], RUNTIME_RUN)
    check_side(sides["container"], CONTAINER)
    # every step as it ends, with its time
    steps = [ln for ln in lines if re.match(r"^debug: (runtime|container): .+ done in [0-9.]+ ms \(cpu [0-9.]+ ms\)$", ln)]
    assert any(s.startswith("debug: runtime: clone done in") for s in steps), lines
    assert any(s.startswith("debug: container: pivot_root done in") for s in steps), lines


def test_trace_exec(ctr):
    c = ctr(default_config(["sleep", "60"]))
    c.create()
    c.start()
    r = c.rt.run("exec", c.id, "/bin/true", env=env(OCIRUN_TRACE="1"))
    assert r.rc == 0, r
    sides = parse(r.err.splitlines(), LINE)
    assert set(sides) == {"runtime", "exec"}, r.err
    check_side(sides["runtime"], ["load state, config", "fork", "cgroup enter", "wait: exec process ready",
                                  "wait: exec and exit", "total"])
    check_side(sides["exec"], ["wait: runtime setup", "namespaces join", "process setup", "total"])


def test_no_trace_without_the_flag(ctr, work):
    c = ctr(default_config(["/bin/true"]))
    for val in (None, "0", ""):
        e = env() if val is None else env(OCIRUN_TRACE=val)
        r = c.rt.run("run", "--bundle", c.bundle, c.id, env=e)
        assert r.rc == 0, r
        assert r.err == "", r.err
    log = work / ("log-%s.txt" % c.id)
    r = c.rt.run("--log", log, "run", "--bundle", c.bundle, c.id, env=env())
    assert r.rc == 0, r
    text = log.read_text()
    assert "trace" not in text and "debug" not in text, text
