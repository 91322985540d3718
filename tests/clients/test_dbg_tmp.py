import pytest, json, time
from pathlib import Path
import crilib
from test_cri import cri_env, handler, pods

def test_dbg(pods):
    pb = pods.pb
    sid, cfg = pods.run(name="grace")
    c = pods.create(sid, "pp", ["sleep", "100"])
    with open("/tmp/crix/out.txt", "w") as f:
        print(pods.exec_sync(c, "sh", "-c", "ls -l /proc/keys /proc/timer_list; grep proc /proc/self/mountinfo"), file=f)
