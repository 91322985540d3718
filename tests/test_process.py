"""process.*: args, env, cwd, user, umask, rlimits, caps, ... (config.md#process)."""
import json
import os
import signal
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error, wait_for


def probe_cfg(*args):
    return default_config(["/probe"] + list(args))


def run_probe(ctr, cfg):
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r
    outs = [json.loads(ln) for ln in r.out.splitlines() if ln.startswith("{")]
    assert outs, r
    return outs[0]


def status_field(ctr, cfg_mod=None, field="SigBlk"):
    cfg = default_config(["/bin/cat", "/proc/self/status"])
    if cfg_mod:
        cfg_mod(cfg)
    r = ctr(cfg).run_fg()
    assert r.rc == 0, r
    for ln in r.out.splitlines():
        if ln.startswith(field + ":"):
            return ln.split(":", 1)[1].strip()
    raise AssertionError("no %s in %r" % (field, r.out))


def test_signal_mask_is_clear(ctr):
    """The user process starts with no blocked and no ignored signals
    (runc/crun reset the mask the runtime used internally)."""
    assert status_field(ctr, field="SigBlk") == "0000000000000000"
    assert status_field(ctr, field="SigIgn") == "0000000000000000"
