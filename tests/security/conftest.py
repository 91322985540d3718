"""Fixtures for the security tests: each test performs an attack on the
runtime from inside a container and checks that it fails.

Builds on tests/conftest.py (rt, work, cfg, ctr, the no_leaks check) and
oci-conformance/lib; adds the static /attack helper (attack.c) in the
rootfs, a private copy of the runtime binary for attacks aimed at it, and
a host "marker" file no container may reach.

    /usr/bin/python3 -m pytest tests/security -q
"""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

import helpers
from helpers import bundlelib, rtlib

HERE = Path(__file__).resolve().parent


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="session")
def attack_bin(session_dir):
    out = session_dir / "attack"
    subprocess.run([os.environ.get("CC", "gcc"), "-static", "-O2", "-o", str(out), str(HERE / "attack.c")],
                   check=True)
    return out


@pytest.fixture
def actr(ctr, attack_bin):
    """Like ctr (leak-checked containers), with /attack in the rootfs."""

    def make(config=None, **kw):
        c = ctr(config, **kw)
        shutil.copy2(attack_bin, c.rootfs / "attack")
        os.chmod(c.rootfs / "attack", 0o755)
        return c

    return make


@pytest.fixture
def rt_copy(rt, work):
    """This test's runtime, switched to a private COPY of the binary:
    attacks on the runtime binary aim at it, so a failing defence cannot
    break the build.  rt_copy.binary is the copy."""
    d = work / ("bin-" + uuid.uuid4().hex[:8])
    d.mkdir()
    binary = d / "ocirun"
    shutil.copy2(rt.path, binary)
    rt.path = str(binary)
    rt.binary = binary
    return rt


@pytest.fixture
def marker():
    """A host file no container may reach; returns its absolute path."""
    d = Path(tempfile.mkdtemp(prefix="ocirun-sec-marker-", dir="/var/tmp"))
    m = d / "MARKER"
    m.write_text("host secret\n")
    yield m
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def cfg_ptrace(cfg):
    """The default config plus CAP_SYS_PTRACE (no user namespace)."""
    for s in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][s].append("CAP_SYS_PTRACE")
    return cfg


# ------------------------------------------------------------------ helpers
def exec_in(rt, cid, *cmd, args=(), timeout=30, **kw):
    return rt.run("exec", *args, cid, "--", *cmd, timeout=timeout, **kw)


def json_line(text):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            return json.loads(line)
    raise AssertionError("no JSON line in %r" % text)


def refused(c, res, *words):
    """A refused create/run: one `ocirun: ...` line naming the field (every
    word in `words` appears), non-zero exit, and nothing of the container
    left (state dir, cgroup, host mounts, processes)."""
    msg = helpers.one_line_error(res)
    for w in words:
        assert w in msg, "%r not in %r" % (w, msg)
    assert c.left_behind() == [], c.left_behind()
    return msg
