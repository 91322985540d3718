"""HOME comes from the container's /etc/passwd (runc's behaviour, issue 9):
the image decides what that file is.  A symlink to a host file, a FIFO, a
directory or a huge file must neither leak the host's data into the
container's environment nor hang or break create."""
import os
from pathlib import Path

import pytest


def _env_home(c):
    r = c.run_fg(timeout=60)
    assert r.rc == 0, r
    homes = [ln[5:] for ln in r.out.splitlines() if ln.startswith("HOME=")]
    assert len(homes) == 1, r.out
    return homes[0]


def _cfg(cfg):
    cfg["process"]["args"] = ["/bin/sh", "-c", "env"]
    return cfg


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_passwd_symlink_to_host_file_is_resolved_inside(actr, cfg, marker, kind):
    """A host passwd-like file with a home only the host knows: the link
    is followed inside the rootfs, where the target does not exist."""
    host_passwd = marker.parent / "passwd"
    host_passwd.write_text("root:x:0:0:root:/HOST-SECRET-HOME:/bin/sh\n")
    c = actr(_cfg(cfg))
    p = c.rootfs / "etc" / "passwd"
    p.unlink()
    target = str(host_passwd) if kind == "absolute" else "../../../../../../../.." + str(host_passwd)
    os.symlink(target, p)
    assert _env_home(c) == "/"


def test_passwd_symlink_inside_the_rootfs_is_followed(actr, cfg):
    c = actr(_cfg(cfg))
    p = c.rootfs / "etc" / "passwd"
    (c.rootfs / "etc" / "passwd.real").write_text("root:x:0:0:root:/from-link:/bin/sh\n")
    p.unlink()
    os.symlink("/etc/passwd.real", p)
    assert _env_home(c) == "/from-link"


def test_passwd_fifo_does_not_hang(actr, cfg):
    c = actr(_cfg(cfg))
    p = c.rootfs / "etc" / "passwd"
    p.unlink()
    os.mkfifo(p)
    assert _env_home(c) == "/"


def test_passwd_directory(actr, cfg):
    c = actr(_cfg(cfg))
    p = c.rootfs / "etc" / "passwd"
    p.unlink()
    p.mkdir()
    assert _env_home(c) == "/"


def test_passwd_huge_and_garbage(actr, cfg):
    """Lines without enough fields, a uid that is not a number, binary
    junk, then the entry: the entry is found and nothing breaks."""
    c = actr(_cfg(cfg))
    junk = b"x" * (1 << 20) + b"\n" + b"\0\xff:::\n" + b"a:b:notanumber:0:g:/bad:/s\n" + b"root:x:0:0:r:/found:/bin/sh\n"
    (c.rootfs / "etc" / "passwd").write_bytes(junk)
    assert _env_home(c) == "/found"
