"""Why the reference runtimes fail the checks they fail.

tools/report.py joins these with results/<runtime>.json; a failure of a
reference runtime with no entry here is reported as UNEXPLAINED (and the
report exits 1).  Keys are fnmatch patterns on check names.  Each text says
what was observed and, where known, why: a bug or missing feature of that
version, a spec feature newer than the version it implements (runc 1.1.5 says
"spec: 1.0.2-dev", crun 1.8.1 "spec: 1.0.0"), or a host limitation.
"""

REFERENCE_RUNTIMES = ["runc", "crun"]

NEWER_FIELD = ("not implemented: the field is newer than the spec version this release implements, so the "
               "runtime treats it as an unknown property and ignores it")
NEWER_INVALID = ("the field is unknown to this release (newer than the spec version it implements); unknown "
                 "properties must be ignored, so its invalid value goes unnoticed. A spec-1.3 runtime must reject it")

COMMON = {
    "test_delete_created_container": (
        "delete of a `created` container succeeds: the runtime kills and removes it (runc and crun both treat "
        "`delete` of a created container like a forced delete; containerd relies on it), whereas the spec asks "
        "for an error and no effect"),
    "test_netdevices_*": NEWER_FIELD + " (linux.netDevices is new in spec 1.3): the interface stays in the "
                                      "runtime's network namespace",
    "test_memory_policy": NEWER_FIELD + " (linux.memoryPolicy is new in spec 1.3)",
    "test_scheduler": NEWER_FIELD + " (process.scheduler)",
    "test_io_priority": NEWER_FIELD + " (process.ioPriority)",
    "test_invalid_values_rejected[[]ioprio-class[]]": NEWER_INVALID,
    "test_invalid_values_rejected[[]memory-policy-mode[]]": NEWER_INVALID,
    "test_invalid_values_rejected[[]scheduler-policy[]]": NEWER_INVALID,
    "test_pids_limit_zero": ("linux.resources.pids.limit 0 is treated as 'not set' (pids.max stays `max`); the spec "
                             "note asks runtimes to apply 0 as the kernel would"),
    "test_intel_rdt_without_resctrl": ("a config with linux.intelRdt (closID only) is accepted although no resctrl "
                                      "filesystem is mounted; the runtime does not check"),
    "test_device_path_conflict": ("a regular file at a linux.devices path is silently replaced/covered by the "
                                  "device instead of being reported as an error"),
    "test_capabilities_ungrantable_not_fatal": (
        "host limitation exposes it: root here lacks CAP_SYS_RESOURCE even in its bounding set, and the runtime "
        "fails create when the config asks for it (capset EPERM) instead of warning and continuing as the "
        "SHOULD NOT asks"),
}

RUNC = dict(COMMON)
RUNC.update({
    "test_domainname": NEWER_FIELD + " (domainname is not set by runc 1.1.5; the UTS domainname stays '(none)')",
    "test_invalid_values_rejected[[]personality-domain[]]": NEWER_INVALID,
    "test_personality_linux32": NEWER_FIELD + " (linux.personality)",
    "test_namespace_created[[]time[]]": "runc 1.1.5 does not know the time namespace (\"namespace time does not exist\"); time namespaces postdate its spec version",
    "test_time_offsets": "runc 1.1.5 does not know the time namespace (\"namespace time does not exist\"), so timeOffsets cannot be applied",
    "test_idmap_*": "runc 1.1.5 has no idmapped-mount support: `idmap`/`ridmap` and mounts[].uidMappings are ignored (newer than its spec version)",
    "test_mount_option_idmap": "runc 1.1.5 has no idmapped-mount support: the mapping is not applied",
    "test_idmap_not_passed_to_mount": "runc 1.1.5 has no idmapped-mount support: a tmpfs mount with `idmap` fails to be created",
    "test_mount_option_ridmap": "runc 1.1.5 has no idmapped-mount support: the mapping is not applied",
    "test_mount_option_defaults": "bug in runc 1.1.5: `defaults` is passed to mount(2) as filesystem data, which tmpfs rejects (EINVAL)",
    "test_mount_option_ratime": "runc 1.1.5 bug: `ratime` fails (EINVAL) on its own and does not undo an earlier `rnoatime` (recursive atime attributes are combined, not applied in order)",
    "test_mount_option_rnostrictatime": "runc 1.1.5 bug: `rnostrictatime` fails (EINVAL from the recursive mount_setattr) on its own and does not restore relatime after `rstrictatime`",
    "test_mount_option_rstrictatime": "runc 1.1.5 bug: `rstrictatime` after `rnoatime` fails with EINVAL (conflicting recursive atime attributes are sent together to mount_setattr)",
    "test_mount_option_rdiratime": "runc 1.1.5: a later `rdiratime` does not undo an earlier `rnodiratime` (recursive set/clear attributes are accumulated; mount(8) lets the last option win)",
    "test_mount_option_rexec": "runc 1.1.5: a later `rexec` does not undo an earlier `rnoexec` (recursive set/clear attributes are accumulated; mount(8) lets the last option win)",
    "test_mount_option_rsuid": "runc 1.1.5: a later `rsuid` does not undo an earlier `rnosuid` (recursive set/clear attributes are accumulated; mount(8) lets the last option win)",
    "test_mount_option_rsymfollow": "runc 1.1.5: a later `rsymfollow` does not undo an earlier `rnosymfollow` (recursive set/clear attributes are accumulated; mount(8) lets the last option win)",
    "test_features_mount_options_recognized": "runc 1.1.5 advertises `defaults`, `ratime` and `rnostrictatime` but fails containers using them (see the mount option checks)",
    "test_rootfs_propagation[[]shared[]]": (
        "runc 1.1.5 applies rootfsPropagation to `/` of the new mount namespace before pivot_root (not "
        "recursively for shared/slave/unbindable), then makes the rootfs's parent mount private and bind-mounts "
        "the rootfs from it: the container's `/` ends up private"),
    "test_rootfs_propagation[[]slave[]]": "same cause as rootfs_propagation[shared]: the container's `/` ends up private, not a slave of the host mount",
    "test_rootfs_propagation[[]unbindable[]]": "same cause as rootfs_propagation[shared]: the container's `/` ends up private, not unbindable",
    "test_seccomp_errno_on_wrong_action[[]*[]]": "runc 1.1.5 accepts errnoRet/defaultErrnoRet with actions that take no errno (it ignores the value) instead of failing",
    "test_poststart_timing": "runc 1.1.5 runs poststart hooks at the end of `create` (before `start` is called, before the program is exec'ed), not during `start`",
    "test_poststart_hook_failure": "consequence of runc 1.1.5 running poststart hooks during `create`: a failing poststart hook fails `create`, and `start` is never reached",
    "test_poststop_failure_continues": "runc 1.1.5 stops running poststop hooks at the first one that fails (delete itself succeeds): the remaining hooks are skipped",
    "test_startContainer_hook_failure": (
        "runc 1.1.5 runs startContainer hooks in its init process after `runc start` has signalled it and "
        "returned 0: the hook's failure kills the container but `start` reports success"),
})

CRUN = dict(COMMON)
CRUN.update({
    "test_namespace_created[[]time[]]": "crun 1.8.1 fails to create a container with a time namespace on this host (`write to sync socket: Broken pipe`)",
    "test_time_offsets": "crun 1.8.1 fails to create a container with a time namespace on this host (`write to sync socket: Broken pipe`)",
    "test_namespace_duplicate": "crun 1.8.1 does not check for duplicated namespace types and accepts the config",
    "test_invalid_values_rejected[[]cwd-relative[]]": "crun 1.8.1 does not validate process.cwd (a relative cwd is accepted)",
    "test_invalid_values_rejected[[]device-type[]]": "crun 1.8.1 does not reject an unknown linux.devices type",
    "test_invalid_values_rejected[[]rootfs-propagation[]]": "crun 1.8.1 does not reject an unknown rootfsPropagation value",
    "test_idmap_with_mount_mappings[[]*[]]": (
        "crun 1.8.1's idmapped mount does not map host uid/gid 1000 to 2000 as mounts[].uidMappings "
        "(containerID 2000, hostID 1000) asks: the file shows as 65534 (unmapped), i.e. the mapping is applied "
        "the other way round or not as specified"),
    "test_mount_option_idmap": "see idmap_with_mount_mappings: crun 1.8.1 shows the file as 65534, not 2000",
    "test_idmap_not_passed_to_mount": ("crun 1.8.1 supports `idmap` only on bind mounts: for a tmpfs it tries to open "
                                       "the source `tmpfs` as a path (EBADF) and fails the container"),
    "test_mount_option_ridmap": "crun 1.8.1 does not know `ridmap` (newer than its spec version); the mapping is not applied",
    "test_idmap_without_mappings_or_userns[[]ridmap[]]": "crun 1.8.1 does not know `ridmap` (newer than its spec version) and ignores it instead of failing",
    "test_mount_option_async": "crun 1.8.1 ORs mount flags: a later `async` does not clear an earlier `sync` (mount(8) lets the last conflicting option win)",
    "test_mount_option_atime": "crun 1.8.1 ORs mount flags: a later `atime` does not clear an earlier `noatime`",
    "test_mount_option_dev": "crun 1.8.1 ORs mount flags: a later `dev` does not clear an earlier `nodev`",
    "test_mount_option_diratime": "crun 1.8.1 ORs mount flags: a later `diratime` does not clear an earlier `nodiratime`",
    "test_mount_option_exec": "crun 1.8.1 ORs mount flags: a later `exec` does not clear an earlier `noexec`",
    "test_mount_option_suid": "crun 1.8.1 ORs mount flags: a later `suid` does not clear an earlier `nosuid`",
    "test_mount_option_nostrictatime": "crun 1.8.1 ORs mount flags: a later `nostrictatime` does not undo an earlier `strictatime`",
    "test_mount_option_iversion": "crun 1.8.1 does not know `iversion` and passes it to mount(2) as filesystem data (tmpfs: EINVAL)",
    "test_mount_option_noiversion": "crun 1.8.1 does not know `noiversion` and passes it to mount(2) as filesystem data (tmpfs: EINVAL)",
    "test_mount_option_loud": "crun 1.8.1 does not know `loud` and passes it to mount(2) as filesystem data (tmpfs: EINVAL)",
    "test_mount_option_silent": "crun 1.8.1 does not know `silent` and passes it to mount(2) as filesystem data (tmpfs: EINVAL)",
    "test_mount_option_nosymfollow": "crun 1.8.1 does not know `nosymfollow` and passes it to mount(2) as filesystem data (tmpfs: EINVAL)",
    "test_mount_option_symfollow": "crun 1.8.1 does not know `symfollow` and passes it to mount(2) as filesystem data (tmpfs: EINVAL)",
    "test_mount_option_r*atime": "crun 1.8.1's recursive mount_setattr for atime options fails with EINVAL",
    "test_mount_option_rnorelatime": "crun 1.8.1's recursive mount_setattr for atime options fails with EINVAL",
    "test_mount_option_rnodiratime": "crun 1.8.1's recursive mount_setattr for diratime options fails with EINVAL",
    "test_mount_option_rdiratime": "crun 1.8.1's recursive mount_setattr for diratime options fails with EINVAL",
    "test_mount_option_rexec": "crun 1.8.1: a later `rexec` does not undo an earlier `rnoexec` (recursive set/clear attributes accumulated)",
    "test_mount_option_rsuid": "crun 1.8.1: a later `rsuid` does not undo an earlier `rnosuid` (recursive set/clear attributes accumulated)",
    "test_mount_option_rnosymfollow": "crun 1.8.1 does not apply `rnosymfollow` (the sub-mounts stay symfollow)",
    "test_mount_option_shared": "the propagation asked for on the bind mount is not in effect in the running crun 1.8.1 container (it is private)",
    "test_mount_option_slave": "the propagation asked for on the bind mount is not in effect in the running crun 1.8.1 container (it is private)",
    "test_mount_option_unbindable": "the propagation asked for on the bind mount is not in effect in the running crun 1.8.1 container (it is private)",
    "test_mount_option_rshared": "the propagation asked for on the bind mount is not in effect in the running crun 1.8.1 container (it is private)",
    "test_mount_option_rslave": "the propagation asked for on the bind mount is not in effect in the running crun 1.8.1 container (it is private)",
    "test_mount_option_runbindable": "the propagation asked for on the bind mount is not in effect in the running crun 1.8.1 container (it is private)",
    "test_rootfs_propagation[[]slave[]]": "crun 1.8.1: with rootfsPropagation `slave` the container's `/` is private, not a slave of the (shared) host mount holding the bundle",
    "test_prestart_hook_failure": "crun 1.8.1 does not run poststop hooks when create fails in a hook (lifecycle step 13 skipped); error and cleanup are otherwise right",
    "test_createRuntime_hook_failure": "crun 1.8.1 does not run poststop hooks when create fails in a hook (lifecycle step 13 skipped); error and cleanup are otherwise right",
    "test_createContainer_hook_failure": "crun 1.8.1 does not run poststop hooks when create fails in a hook (lifecycle step 13 skipped); error and cleanup are otherwise right",
    "test_startContainer_hook_failure": "crun 1.8.1 runs startContainer hooks in the container process after `crun start` has returned 0; the hook's failure is not reported by start",
    "test_poststart_hook_failure": "crun 1.8.1 ignores a failing poststart hook: `start` returns 0 and the container keeps running",
    "test_poststart_timing": ("crun 1.8.1 runs poststart hooks as soon as it has signalled the container, without waiting for the "
                              "exec: the hook sees the container process still running crun's code, not the program"),
    "test_hooks_state_on_stdin": "crun 1.8.1 gives startContainer hooks a state with bundle \"/\" and pid 0 (and ociVersion \"1.0\")",
    "test_hooks_state_pid_container_ns": "crun 1.8.1 gives createContainer/startContainer hooks pid 0 in the state, not the container's own pid (1)",
})

EXPLANATIONS = {"runc": RUNC, "crun": CRUN}
