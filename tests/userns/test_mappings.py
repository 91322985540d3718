"""linux.uidMappings/gidMappings written by the runtime (config-linux.md
#user-namespace-mappings): single and multiple ranges, ownership of files
created inside, and the errors for bad mappings."""
import os

from conftest import BASE, SIZE, assert_nothing_left, userns_config


def test_single_range(new_container):
    c = new_container(userns_config(["/bin/sh", "-c", "touch /tmp/made-inside && exec /probe ids "
                                     "cat /proc/self/uid_map cat /proc/self/gid_map"]))
    out = c.run()
    assert out["uid"] == [0, 0, 0] and out["gid"] == [0, 0, 0]
    assert out["cat"]["/proc/self/uid_map"].split() == ["0", str(BASE), str(SIZE)]
    assert out["cat"]["/proc/self/gid_map"].split() == ["0", str(BASE), str(SIZE)]
    st = os.stat(c.rootfs / "tmp" / "made-inside")
    assert (st.st_uid, st.st_gid) == (BASE, BASE)
