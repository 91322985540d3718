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

import sys as _sys
_sys.path.insert(0, str(Path(__file__).resolve().parent))
from seclib import exec_in, json_line, refused, sha256  # noqa: E402,F401

import helpers
from helpers import bundlelib, rtlib

HERE = Path(__file__).resolve().parent


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