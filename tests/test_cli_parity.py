"""The command line as callers and scripts meet it (issue 9): every verb
answers --help and `ocirun help VERB`, `kill ID 0` probes liveness, `ps`
of a stopped container, `list` in id order and only containers, a
terminal requested with no terminal to attach to, syntax errors in
config.json, the seccomp cache kept out of the state root, and a cgroup
path reused after run -d / kill KILL / delete.

What runc 1.1 does was checked against /usr/sbin/runc on the same bundles
(tests/FINDINGS.md, issue 9).  Each test starts real containers, except
the pure command-line ones."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error, rtlib, wait_for

VERBS = ["create", "start", "run", "state", "kill", "delete", "exec", "pause", "resume", "ps", "update",
         "events", "checkpoint", "restore", "list", "spec", "features"]


def probe_cfg(*args):
    return default_config(["/probe"] + list(args))


def no_pidns(cfg):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    return cfg


def cli(ocirun_bin, *args, **kw):
    p = subprocess.run([ocirun_bin] + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30, **kw)
    return rtlib.Result([ocirun_bin] + list(args), p.returncode, p.stdout, p.stderr)


# ------------------------------------------------------------------ --help, help VERB
def test_global_help_lists_every_verb_and_points_to_verb_help(ocirun_bin):
    r = cli(ocirun_bin, "--help")
    assert r.rc == 0 and r.err == "", r
    listed = re.findall(r"^  ([a-z]+) ", r.out.split("global options:")[0], re.M)
    assert set(VERBS) <= set(listed), listed
    assert "ocirun COMMAND --help" in r.out
    assert cli(ocirun_bin, "help").out == r.out


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(ocirun_bin, verb):
    """`pause --help`, `resume --help` and `features --help` answered
    "unknown option `pause`"; `ocirun help VERB` printed the global help."""
    outs = []
    for args in ([verb, "--help"], [verb, "-h"], ["help", verb]):
        r = cli(ocirun_bin, *args)
        assert r.rc == 0 and r.err == "", r
        assert r.out.startswith("usage: ocirun %s" % verb), r
        assert "--help" in r.out
        outs.append(r.out)
    assert outs[0] == outs[1] == outs[2]


def test_help_of_unknown_verb_fails(ocirun_bin):
    msg = one_line_error(cli(ocirun_bin, "help", "nope"))
    assert "nope" in msg


def test_unknown_option_is_named(ocirun_bin):
    """getopt leaves optind on `-xa` until its last letter: the letter is
    named, not the previous argument."""
    msg = one_line_error(cli(ocirun_bin, "--root", "/nonexistent-ocirun-root", "kill", "-xa", "id"))
    assert "`-x`" in msg and "kill --help" in msg, msg
    msg = one_line_error(cli(ocirun_bin, "--root", "/nonexistent-ocirun-root", "pause", "--bogus", "id"))
    assert "`--bogus`" in msg, msg
