"""features.md / features-linux.md: the `features` output against the spec and
against what the runtime then accepts."""
import json

import pytest

from helpers import host_bounding_caps, load_schema, semver_tuple, validate_schema
from spec import spec

F, FL = "features.md", "features-linux.md"


@pytest.fixture(scope="module")
def feats(rt):
    if rt.features_json is None:
        r = rt.features()
        pytest.skip("runtime has no working `features` command (rc=%s: %s); features.md checks "
                    "need one" % (r.rc, (r.err or r.out).strip()[:120]))
    return rt.features_json


def _create_ok(new_container, cfg):
    cfg["process"]["args"] = ["/probe", "proc"]
    c = new_container(cfg)
    r = c.create(check=False)
    ok = r.ok
    c.destroy()
    return ok, r


@spec(F + "#featuresSpecificationVersion", "The Features structure MUST NOT contain properties that are not defined in this version")
def test_features_schema_and_no_unknown_properties(feats):
    errs = validate_schema(feats, "features-schema.json")
    assert not errs, errs
    schema = load_schema("features-schema.json")
    linux = load_schema("features-linux.json")["linux"]

    def props(s):
        if "$ref" in s and s["$ref"].startswith("features-linux.json"):
            return linux
        return s

    unknown = []

    def walk(obj, s, path):
        s = props(s)
        if not isinstance(obj, dict) or "properties" not in s:
            return
        for k, v in obj.items():
            if k not in s["properties"]:
                if path.endswith("annotations"):
                    continue
                unknown.append(path + "." + k)
            else:
                walk(v, s["properties"][k], path + "." + k)
    walk(feats, schema, "")
    assert not unknown, "properties not defined by the spec: %s" % unknown


@spec(F + "#featuresSpecificationVersion", "ociVersionMin (string, REQUIRED) The minimum recognized version")
def test_features_ocimin(feats):
    assert isinstance(feats.get("ociVersionMin"), str) and semver_tuple(feats["ociVersionMin"]), feats.get("ociVersionMin")


@spec(F + "#featuresSpecificationVersion", "ociVersionMax (string, REQUIRED) The maximum recognized version")
def test_features_ocimax(feats):
    assert isinstance(feats.get("ociVersionMax"), str) and semver_tuple(feats["ociVersionMax"]), feats.get("ociVersionMax")


@spec(F + "#featuresSpecificationVersion", "The value MUST NOT be less than the value of the ociVersionMin property")
def test_features_max_not_less_than_min(feats):
    assert semver_tuple(feats["ociVersionMax"]) >= semver_tuple(feats["ociVersionMin"]), feats


def _mk_version_test(which, quote):
    @spec(F + "#featuresSpecificationVersion", quote)
    def t(new_container, cfg, feats):
        cfg["ociVersion"] = feats[which]
        ok, r = _create_ok(new_container, cfg)
        assert ok, "config with ociVersion %s (%s) refused: %s" % (feats[which], which, r.err.strip()[-300:])
    t.__name__ = "test_features_%s_accepted" % which
    t.__doc__ = "a config with ociVersion = features.%s is accepted" % which
    return t


test_features_ociVersionMin_accepted = _mk_version_test("ociVersionMin", "ociVersionMin ... The runtime MUST accept this value as the ociVersion property of config.json")
test_features_ociVersionMax_accepted = _mk_version_test("ociVersionMax", "ociVersionMax ... The runtime MUST accept this value as the ociVersion property of config.json")


@spec(F + "#features", "the content of the Features structure SHOULD be determined on the compilation time of the runtime")
def test_features_stable(rt, feats):
    """Two invocations give the same structure (a proxy: execution-time probing would vary)."""
    r = rt.features()
    assert r.ok and json.loads(r.out) == feats


@spec(F + "#featuresHooks", "The runtime MUST support the elements in this array as the hooks property of config.json")
def test_features_hooks_supported(rt, work, rootfs_template, feats):
    from test_hooks import HookRun
    kinds = feats.get("hooks")
    if not kinds:
        pytest.skip("features lists no hooks")
    h = HookRun(rt, work, rootfs_template, hooks={k: [(0, {})] for k in kinds})
    try:
        assert h.create().ok
        assert h.start().ok
        h.c.wait_output()
        h.stop_and_delete()
        missing = [k for k in kinds if k + "1" not in h.order()]
        assert not missing, "advertised hooks not run: %s" % missing
    finally:
        h.c.destroy()


@spec(F + "#featuresMountOptions", "The runtime MUST recognize the elements in this array as the options of mounts objects in config.json")
def test_features_mount_options_recognized(new_container, cfg, feats, work):
    opts = feats.get("mountOptions") or []
    if not opts:
        pytest.skip("features lists no mountOptions")
    src = work / "bindsrc"
    src.mkdir()
    bindish = {"bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable",
               "runbindable"}
    refused = []
    for o in opts:
        c2 = json.loads(json.dumps(cfg))
        if o in ("idmap", "ridmap"):
            m = {"destination": "/mnt/o", "type": "bind", "source": str(src), "options": ["rbind", o],
                 "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}],
                 "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 10}]}
        elif o in bindish or o.startswith("r") and o not in ("ro", "rw", "relatime", "remount"):
            m = {"destination": "/mnt/o", "type": "bind", "source": str(src),
                 "options": (["rbind"] if o not in ("bind", "rbind") else []) + [o]}
        elif o == "remount":
            continue  # needs an existing mount to act on; checked in test_config
        else:
            m = {"destination": "/mnt/o", "type": "tmpfs", "source": "tmpfs", "options": [o]}
        c2["mounts"].append(m)
        ok, r = _create_ok(new_container, c2)
        if not ok:
            refused.append("%s (%s)" % (o, r.err.strip()[-120:]))
    assert not refused, "advertised mount options refused: %s" % refused


FS_SPECIFIC = ("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "huge", "mpol", "inode64", "newinstance",
               "ptmxmode", "upperdir", "lowerdir", "workdir")


@spec(F + "#featuresMountOptions", "this array SHOULD NOT contain filesystem-specific mount options")
def test_features_no_fs_specific_options(feats):
    bad = [o for o in feats.get("mountOptions") or [] if "=" in o or o.split("=")[0] in FS_SPECIFIC]
    assert not bad, bad


@spec(F + "#featuresAnnotations", "Annotations MUST be a key-value map that follows the same convention")
def test_features_annotations(feats):
    a = feats.get("annotations")
    if a is None:
        pytest.skip("features has no annotations")
    assert isinstance(a, dict) and all(isinstance(k, str) and k and isinstance(v, str) for k, v in a.items()), a


@spec(FL + "#linuxFeaturesNamespaces", "The runtime MUST recognize the elements in this array as the type of linux.namespaces objects")
def test_features_namespaces_recognized(new_container, cfg, feats):
    nss = (feats.get("linux") or {}).get("namespaces") or []
    if not nss:
        pytest.skip("features lists no namespaces")
    refused = []
    for n in nss:
        c2 = json.loads(json.dumps(cfg))
        if not any(x["type"] == n for x in c2["linux"]["namespaces"]):
            c2["linux"]["namespaces"].append({"type": n})
        if n == "user":
            c2["linux"]["uidMappings"] = c2["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        ok, r = _create_ok(new_container, c2)
        if not ok:
            refused.append("%s (%s)" % (n, r.err.strip()[-150:]))
    assert not refused, "advertised namespaces refused: %s" % refused


@spec(FL + "#linuxFeaturesCapabilities", "The runtime MUST recognize the elements in this array in the process.capabilities object")
def test_features_capabilities_recognized(new_container, cfg, feats):
    caps = (feats.get("linux") or {}).get("capabilities") or []
    if not caps:
        pytest.skip("features lists no capabilities")
    grantable = [c for c in caps if c in host_bounding_caps()]
    for k in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][k] = grantable
    ok, r = _create_ok(new_container, cfg)
    assert ok, "advertised capabilities refused: %s" % r.err.strip()[-300:]


def _seccomp_try(new_container, cfg, sec):
    c2 = json.loads(json.dumps(cfg))
    base = {"defaultAction": "SCMP_ACT_ALLOW"}
    base.update(sec)
    c2["linux"]["seccomp"] = base
    return _create_ok(new_container, c2)


def _seccomp_list(feats, key):
    s = (feats.get("linux") or {}).get("seccomp") or {}
    if not s.get("enabled", True) or not s.get(key):
        pytest.skip("features lists no seccomp %s" % key)
    return s[key]


@spec(FL + "#linuxFeaturesSeccomp", "MUST recognize the elements in this array in the [syscalls[].action property")
def test_features_seccomp_actions(new_container, cfg, feats, work):
    refused = []
    for a in _seccomp_list(feats, "actions"):
        sec = {"syscalls": [{"names": ["acct"], "action": a}]}
        if a == "SCMP_ACT_NOTIFY":
            continue  # needs a listener socket; covered by the listenerPath checks
        ok, r = _seccomp_try(new_container, cfg, sec)
        if not ok:
            refused.append("%s (%s)" % (a, r.err.strip()[-120:]))
    assert not refused, refused


@spec(FL + "#linuxFeaturesSeccomp", "MUST recognize the elements in this array in the [syscalls[].args[].op property")
def test_features_seccomp_operators(new_container, cfg, feats):
    refused = []
    for op in _seccomp_list(feats, "operators"):
        arg = {"index": 0, "value": 1, "op": op}
        if op == "SCMP_CMP_MASKED_EQ":
            arg["valueTwo"] = 1
        ok, r = _seccomp_try(new_container, cfg, {"syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO", "args": [arg]}]})
        if not ok:
            refused.append("%s (%s)" % (op, r.err.strip()[-120:]))
    assert not refused, refused


@spec(FL + "#linuxFeaturesSeccomp", "MUST recognize the elements in this array in the architectures property")
def test_features_seccomp_archs(new_container, cfg, feats):
    """Each arch next to the native one.  libseccomp cannot put archs of the other
    endianness in one filter with the native arch: an error saying the arch could
    not be *added* means it was recognized, and is not counted."""
    refused = []
    for a in _seccomp_list(feats, "archs"):
        ok, r = _seccomp_try(new_container, cfg, {"architectures": ["SCMP_ARCH_X86_64", a],
                                                   "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO"}]})
        if not ok and "adding architecture" not in r.err:
            refused.append("%s (%s)" % (a, r.err.strip()[-120:]))
    assert not refused, refused


@spec(FL + "#linuxFeaturesSeccomp", "MUST recognize the elements in this array in the flags property")
def test_features_seccomp_known_flags(new_container, cfg, feats):
    """knownFlags: recognized (accepted, or refused only as unsupported by this kernel)."""
    refused = []
    supported = set(((feats.get("linux") or {}).get("seccomp") or {}).get("supportedFlags") or [])
    for f in _seccomp_list(feats, "knownFlags"):
        ok, r = _seccomp_try(new_container, cfg, {"flags": [f], "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO"}]})
        if not ok and (f in supported or "unknown" in r.err.lower() or "unrecogni" in r.err.lower()):
            refused.append("%s (%s)" % (f, r.err.strip()[-120:]))
    assert not refused, refused


@spec(FL + "#linuxFeaturesSeccomp", "MUST recognize and support the elements in this array in the flags property")
def test_features_seccomp_supported_flags(new_container, cfg, feats):
    refused = []
    for f in _seccomp_list(feats, "supportedFlags"):
        ok, r = _seccomp_try(new_container, cfg, {"flags": [f], "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO"}]})
        if not ok:
            refused.append("%s (%s)" % (f, r.err.strip()[-120:]))
    assert not refused, refused


@spec(FL + "#linuxFeaturesMemoryPolicy", "MUST recognize the elements in this array as the mode of linux.memoryPolicy objects")
def test_features_memory_policy_modes(new_container, cfg, feats):
    mp = (feats.get("linux") or {}).get("memoryPolicy") or {}
    if not mp.get("modes"):
        pytest.skip("features lists no memoryPolicy modes")
    refused = []
    for m in mp["modes"]:
        c2 = json.loads(json.dumps(cfg))
        c2["linux"]["memoryPolicy"] = {"mode": m} if m in ("MPOL_DEFAULT", "MPOL_LOCAL") else {"mode": m, "nodes": "0"}
        ok, r = _create_ok(new_container, c2)
        if not ok:
            refused.append("%s (%s)" % (m, r.err.strip()[-120:]))
    assert not refused, refused


@spec(FL + "#linuxFeaturesMemoryPolicy", "MUST recognize the elements in this in the flags property of the linux.memoryPolicy object")
def test_features_memory_policy_flags(new_container, cfg, feats):
    mp = (feats.get("linux") or {}).get("memoryPolicy") or {}
    if not mp.get("flags"):
        pytest.skip("features lists no memoryPolicy flags")
    refused = []
    for f in mp["flags"]:
        c2 = json.loads(json.dumps(cfg))
        c2["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0", "flags": [f]}
        ok, r = _create_ok(new_container, c2)
        if not ok:
            refused.append("%s (%s)" % (f, r.err.strip()[-120:]))
    assert not refused, refused
