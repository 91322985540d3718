"""Helpers shared by the security tests (fixtures are in conftest.py); a
module of its own name so tests/*/ conftest modules do not shadow each other."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path


import helpers  # noqa: E402,F401
from helpers import bundlelib, rtlib  # noqa: E402,F401

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


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

