/* libocispec: the runtime-spec 1.3 data model as tables for the engine in
 * oci_json.c, plus the small checks that belong to the model itself.
 *
 * One table per struct of oci_spec.h, in the order of config.md and
 * config-linux.md.  Property names are exactly those of the JSON schemas
 * (schema/config-schema.json, config-linux.json, defs*.json); `required`
 * follows the schemas' "required" lists and the REQUIRED markers of the
 * spec text.  Checks that need the host (paths exist, capability and
 * syscall names) are the runtime's job, not the model's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "oci_json.h"
#include "oci_spec.h"

#define ARRAY_LEN(a) (sizeof (a) / sizeof ((a)[0]))

/* A plain property.  */
#define P(st, json, kind, req, member) OCI_FIELD (st, json, kind, req, member, OCI_NO_AUX, NULL)
/* An optional scalar with its has_<member> flag.  */
#define H(st, json, kind, member) OCI_FIELD (st, json, kind, false, member, OCI_AUX (st, has_##member), NULL)
/* A string array with its <member>_len.  */
#define SA(st, json, member) OCI_FIELD (st, json, OCI_F_STRING_ARRAY, false, member, OCI_AUX (st, member##_len), NULL)
/* An array of objects (or keyed objects) with its <member>_len.  */
#define OA(st, json, kind, member, ty) OCI_FIELD (st, json, kind, false, member, OCI_AUX (st, member##_len), &(ty))
/* An optional object, allocated.  */
#define O(st, json, member, ty) OCI_FIELD (st, json, OCI_F_OBJECT, false, member, OCI_NO_AUX, &(ty))

#define TYPE(var, st, fields_, validate_)                                                                 \
  static const oci_type var = { .name = #st,                                                             \
                                .size = sizeof (st),                                                     \
                                .fields = fields_,                                                       \
                                .n_fields = ARRAY_LEN (fields_),                                         \
                                .validate = validate_,                                                   \
                                .key_offset = OCI_NO_AUX }
#define KEYED_TYPE(var, st, fields_, key_member, known)                                                   \
  static const oci_type var = { .name = #st,                                                             \
                                .size = sizeof (st),                                                     \
                                .fields = fields_,                                                       \
                                .n_fields = ARRAY_LEN (fields_),                                         \
                                .key_offset = OCI_AUX (st, key_member),                                  \
                                .known_keys = known }

const char *
oci_map_get (const oci_map *m, const char *key)
{
  size_t i;
  if (m == NULL || key == NULL)
    return NULL;
  /* From the end: with a key given twice, the last one wins (as in Go).  */
  for (i = m->len; i > 0; i--)
    if (strcmp (m->keys[i - 1], key) == 0)
      return m->values[i - 1];
  return NULL;
}

/* --- checks that belong to the model ------------------------------------ */

static bool
in_list (const char *s, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (s, *list) == 0)
      return true;
  return false;
}

static int
validate_user (oci_parse_ctx *ctx, const oci_type *t, void *obj, uint64_t seen)
{
  oci_user *u = obj;
  /* umask(2) only looks at the permission bits.  */
  if (u->has_umask && u->umask > 0777)
    return oci_json_error_at (ctx, "umask", "value %u out of range [0, 511] (0777)", u->umask);
  return 0;
}

static int
validate_hook (oci_parse_ctx *ctx, const oci_type *t, void *obj, uint64_t seen)
{
  oci_hook *h = obj;
  /* config.md#posix-platform-hooks: "timeout ... MUST be greater than zero" */
  if (h->has_timeout && h->timeout <= 0)
    return oci_json_error_at (ctx, "timeout", "must be greater than zero, got %lld", (long long) h->timeout);
  return 0;
}

static int
validate_namespace (oci_parse_ctx *ctx, const oci_type *t, void *obj, uint64_t seen)
{
  static const char *const types[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL };
  oci_namespace *ns = obj;
  if (! in_list (ns->type, types))
    return oci_json_error_at (ctx, "type", "unknown namespace type \"%s\"", ns->type);
  return 0;
}

static int
validate_device (oci_parse_ctx *ctx, const oci_type *t, void *obj, uint64_t seen)
{
  static const char *const types[] = { "c", "b", "u", "p", NULL };
  oci_device *d = obj;

  if (! in_list (d->type, types))
    return oci_json_error_at (ctx, "type", "unknown device type \"%s\" (expected c, b, u or p)", d->type);
  /* config-linux.md#devices: major, minor are REQUIRED unless type is p.  */
  if (strcmp (d->type, "p") != 0)
    {
      if (! oci_json_seen (t, seen, "major"))
        return oci_json_error_at (ctx, "major", "missing required property");
      if (! oci_json_seen (t, seen, "minor"))
        return oci_json_error_at (ctx, "minor", "missing required property");
    }
  /* Permission bits plus setuid/setgid/sticky; the file type comes from
     `type`.  podman (and docker) pass the host node's whole st_mode, type
     bits included (S_IFCHR|0666 = 8630), which runc accepts: so do we, when
     those bits are the file type `type` names (S_IFBLK for b, S_IFIFO for p,
     S_IFCHR for c and u).  */
  if (d->has_file_mode && d->file_mode > 07777)
    {
      uint32_t want = d->type[0] == 'b' ? 0060000 : d->type[0] == 'p' ? 0010000 : 0020000;
      if (d->file_mode > 0177777 || (d->file_mode & 0170000) != want)
        return oci_json_error_at (ctx, "fileMode",
                                  "value %u (0%o) is neither permission bits (07777) nor those plus the file "
                                  "type of \"%s\" (0%o)",
                                  d->file_mode, d->file_mode, d->type, want);
    }
  return 0;
}

/* --- config.json -------------------------------------------------------- */

static const oci_field root_fields[] = {
  P (oci_root, "path", OCI_F_STRING, true, path),
  P (oci_root, "readonly", OCI_F_BOOL, false, readonly),
};
TYPE (root_type, oci_root, root_fields, NULL);

static const oci_field id_mapping_fields[] = {
  P (oci_id_mapping, "containerID", OCI_F_UINT32, true, container_id),
  P (oci_id_mapping, "hostID", OCI_F_UINT32, true, host_id),
  P (oci_id_mapping, "size", OCI_F_UINT32, true, size),
};
TYPE (id_mapping_type, oci_id_mapping, id_mapping_fields, NULL);

static const oci_field mount_fields[] = {
  P (oci_mount, "destination", OCI_F_STRING, true, destination),
  P (oci_mount, "type", OCI_F_STRING, false, type),
  P (oci_mount, "source", OCI_F_STRING, false, source),
  SA (oci_mount, "options", options),
  OA (oci_mount, "uidMappings", OCI_F_OBJECT_ARRAY, uid_mappings, id_mapping_type),
  OA (oci_mount, "gidMappings", OCI_F_OBJECT_ARRAY, gid_mappings, id_mapping_type),
};
TYPE (mount_type, oci_mount, mount_fields, NULL);

static const oci_field console_size_fields[] = {
  P (oci_console_size, "height", OCI_F_UINT64, true, height),
  P (oci_console_size, "width", OCI_F_UINT64, true, width),
};
TYPE (console_size_type, oci_console_size, console_size_fields, NULL);

/* uid and gid are REQUIRED by the schema, but runc reads "user": {} as
   uid 0, gid 0 (Go's zero values) and callers send it: optional here
   (docs/runc-compat.md).  */
static const oci_field user_fields[] = {
  P (oci_user, "uid", OCI_F_UINT32, false, uid),
  P (oci_user, "gid", OCI_F_UINT32, false, gid),
  H (oci_user, "umask", OCI_F_UINT32, umask),
  OCI_FIELD (oci_user, "additionalGids", OCI_F_UINT32_ARRAY, false, additional_gids,
             OCI_AUX (oci_user, additional_gids_len), NULL),
  P (oci_user, "username", OCI_F_STRING, false, username),
};
TYPE (user_type, oci_user, user_fields, validate_user);

static const oci_field capabilities_fields[] = {
  SA (oci_capabilities, "bounding", bounding),       SA (oci_capabilities, "effective", effective),
  SA (oci_capabilities, "inheritable", inheritable), SA (oci_capabilities, "permitted", permitted),
  SA (oci_capabilities, "ambient", ambient),
};
TYPE (capabilities_type, oci_capabilities, capabilities_fields, NULL);

static const oci_field rlimit_fields[] = {
  P (oci_rlimit, "type", OCI_F_STRING, true, type),
  P (oci_rlimit, "hard", OCI_F_UINT64, true, hard),
  P (oci_rlimit, "soft", OCI_F_UINT64, true, soft),
};
TYPE (rlimit_type, oci_rlimit, rlimit_fields, NULL);

static const oci_field scheduler_fields[] = {
  P (oci_scheduler, "policy", OCI_F_STRING, true, policy),
  H (oci_scheduler, "nice", OCI_F_INT32, nice),
  H (oci_scheduler, "priority", OCI_F_INT32, priority),
  SA (oci_scheduler, "flags", flags),
  H (oci_scheduler, "runtime", OCI_F_UINT64, runtime),
  H (oci_scheduler, "deadline", OCI_F_UINT64, deadline),
  H (oci_scheduler, "period", OCI_F_UINT64, period),
};
TYPE (scheduler_type, oci_scheduler, scheduler_fields, NULL);

/* The schema requires only "class"; config.md calls priority REQUIRED too,
   but the model keeps has_priority so a runtime can default it.  */
static const oci_field io_priority_fields[] = {
  P (oci_io_priority, "class", OCI_F_STRING, true, class_),
  H (oci_io_priority, "priority", OCI_F_INT32, priority),
};
TYPE (io_priority_type, oci_io_priority, io_priority_fields, NULL);

static const oci_field exec_cpu_affinity_fields[] = {
  P (oci_exec_cpu_affinity, "initial", OCI_F_STRING, false, initial),
  P (oci_exec_cpu_affinity, "final", OCI_F_STRING, false, final),
};
TYPE (exec_cpu_affinity_type, oci_exec_cpu_affinity, exec_cpu_affinity_fields, NULL);

/* "args" is OPTIONAL in config.json (REQUIRED only for start, which the
   runtime checks) and REQUIRED in exec's process.json: same fields, two
   types.  */
#define PROCESS_FIELDS(args_required)                                                                     \
  P (oci_process, "terminal", OCI_F_BOOL, false, terminal),                                               \
      O (oci_process, "consoleSize", console_size, console_size_type),                                   \
      OCI_FIELD (oci_process, "user", OCI_F_INLINE, false, user, OCI_NO_AUX, &user_type),                \
      OCI_FIELD (oci_process, "args", OCI_F_STRING_ARRAY, args_required, args, OCI_AUX (oci_process, args_len), \
                 NULL),                                                                                   \
      P (oci_process, "commandLine", OCI_F_STRING, false, command_line), SA (oci_process, "env", env),    \
      P (oci_process, "cwd", OCI_F_STRING, true, cwd),                                                    \
      O (oci_process, "capabilities", capabilities, capabilities_type),                                  \
      OA (oci_process, "rlimits", OCI_F_OBJECT_ARRAY, rlimits, rlimit_type),                              \
      P (oci_process, "apparmorProfile", OCI_F_STRING, false, apparmor_profile),                          \
      H (oci_process, "oomScoreAdj", OCI_F_INT32, oom_score_adj),                                         \
      P (oci_process, "selinuxLabel", OCI_F_STRING, false, selinux_label),                                \
      P (oci_process, "noNewPrivileges", OCI_F_BOOL, false, no_new_privileges),                           \
      O (oci_process, "scheduler", scheduler, scheduler_type),                                           \
      O (oci_process, "ioPriority", io_priority, io_priority_type),                                      \
      O (oci_process, "execCPUAffinity", exec_cpu_affinity, exec_cpu_affinity_type)

static const oci_field process_fields[] = { PROCESS_FIELDS (false) };
TYPE (process_type, oci_process, process_fields, NULL);

static const oci_field exec_process_fields[] = { PROCESS_FIELDS (true) };
TYPE (exec_process_type, oci_process, exec_process_fields, NULL);

static const oci_field hook_fields[] = {
  P (oci_hook, "path", OCI_F_STRING, true, path),
  SA (oci_hook, "args", args),
  SA (oci_hook, "env", env),
  H (oci_hook, "timeout", OCI_F_INT64, timeout),
};
TYPE (hook_type, oci_hook, hook_fields, validate_hook);

static const oci_field hooks_fields[] = {
  OA (oci_hooks, "prestart", OCI_F_OBJECT_ARRAY, prestart, hook_type),
  OA (oci_hooks, "createRuntime", OCI_F_OBJECT_ARRAY, create_runtime, hook_type),
  OA (oci_hooks, "createContainer", OCI_F_OBJECT_ARRAY, create_container, hook_type),
  OA (oci_hooks, "startContainer", OCI_F_OBJECT_ARRAY, start_container, hook_type),
  OA (oci_hooks, "poststart", OCI_F_OBJECT_ARRAY, poststart, hook_type),
  OA (oci_hooks, "poststop", OCI_F_OBJECT_ARRAY, poststop, hook_type),
};
TYPE (hooks_type, oci_hooks, hooks_fields, NULL);

/* --- linux --------------------------------------------------------------- */

static const oci_field namespace_fields[] = {
  P (oci_namespace, "type", OCI_F_STRING, true, type),
  P (oci_namespace, "path", OCI_F_STRING, false, path),
};
TYPE (namespace_type, oci_namespace, namespace_fields, validate_namespace);

/* config-linux.md#offset-for-time-namespace: keyed by clock name; keys
   other than the two clocks are unknown properties and ignored.  */
static const char *const time_offset_keys[] = { "monotonic", "boottime", NULL };
static const oci_field time_offset_fields[] = {
  P (oci_time_offset, "secs", OCI_F_INT64, false, secs),
  P (oci_time_offset, "nanosecs", OCI_F_UINT32, false, nanosecs),
};
KEYED_TYPE (time_offset_type, oci_time_offset, time_offset_fields, name, time_offset_keys);

static const oci_field device_fields[] = {
  P (oci_device, "type", OCI_F_STRING, true, type),
  P (oci_device, "path", OCI_F_STRING, true, path),
  P (oci_device, "major", OCI_F_INT64, false, major),
  P (oci_device, "minor", OCI_F_INT64, false, minor),
  H (oci_device, "fileMode", OCI_F_UINT32, file_mode),
  H (oci_device, "uid", OCI_F_UINT32, uid),
  H (oci_device, "gid", OCI_F_UINT32, gid),
};
TYPE (device_type, oci_device, device_fields, validate_device);

static const oci_field device_cgroup_fields[] = {
  P (oci_device_cgroup, "allow", OCI_F_BOOL, true, allow),
  P (oci_device_cgroup, "type", OCI_F_STRING, false, type),
  H (oci_device_cgroup, "major", OCI_F_INT64, major),
  H (oci_device_cgroup, "minor", OCI_F_INT64, minor),
  P (oci_device_cgroup, "access", OCI_F_STRING, false, access),
};
TYPE (device_cgroup_type, oci_device_cgroup, device_cgroup_fields, NULL);

static const oci_field memory_fields[] = {
  H (oci_memory, "limit", OCI_F_INT64, limit),
  H (oci_memory, "reservation", OCI_F_INT64, reservation),
  H (oci_memory, "swap", OCI_F_INT64, swap),
  H (oci_memory, "kernel", OCI_F_INT64, kernel),
  H (oci_memory, "kernelTCP", OCI_F_INT64, kernel_tcp),
  H (oci_memory, "swappiness", OCI_F_UINT64, swappiness),
  H (oci_memory, "disableOOMKiller", OCI_F_BOOL, disable_oom_killer),
  H (oci_memory, "useHierarchy", OCI_F_BOOL, use_hierarchy),
  H (oci_memory, "checkBeforeUpdate", OCI_F_BOOL, check_before_update),
};
TYPE (memory_type, oci_memory, memory_fields, NULL);

static const oci_field cpu_fields[] = {
  H (oci_cpu, "shares", OCI_F_UINT64, shares),
  H (oci_cpu, "quota", OCI_F_INT64, quota),
  H (oci_cpu, "burst", OCI_F_UINT64, burst),
  H (oci_cpu, "period", OCI_F_UINT64, period),
  H (oci_cpu, "realtimeRuntime", OCI_F_INT64, realtime_runtime),
  H (oci_cpu, "realtimePeriod", OCI_F_UINT64, realtime_period),
  P (oci_cpu, "cpus", OCI_F_STRING, false, cpus),
  P (oci_cpu, "mems", OCI_F_STRING, false, mems),
  H (oci_cpu, "idle", OCI_F_INT64, idle),
};
TYPE (cpu_type, oci_cpu, cpu_fields, NULL);

static const oci_field blkio_weight_device_fields[] = {
  P (oci_blkio_weight_device, "major", OCI_F_INT64, true, major),
  P (oci_blkio_weight_device, "minor", OCI_F_INT64, true, minor),
  H (oci_blkio_weight_device, "weight", OCI_F_UINT16, weight),
  H (oci_blkio_weight_device, "leafWeight", OCI_F_UINT16, leaf_weight),
};
TYPE (blkio_weight_device_type, oci_blkio_weight_device, blkio_weight_device_fields, NULL);

static const oci_field blkio_throttle_device_fields[] = {
  P (oci_blkio_throttle_device, "major", OCI_F_INT64, true, major),
  P (oci_blkio_throttle_device, "minor", OCI_F_INT64, true, minor),
  P (oci_blkio_throttle_device, "rate", OCI_F_UINT64, true, rate),
};
TYPE (blkio_throttle_device_type, oci_blkio_throttle_device, blkio_throttle_device_fields, NULL);

static const oci_field blkio_fields[] = {
  H (oci_blkio, "weight", OCI_F_UINT16, weight),
  H (oci_blkio, "leafWeight", OCI_F_UINT16, leaf_weight),
  OA (oci_blkio, "weightDevice", OCI_F_OBJECT_ARRAY, weight_device, blkio_weight_device_type),
  OA (oci_blkio, "throttleReadBpsDevice", OCI_F_OBJECT_ARRAY, throttle_read_bps_device, blkio_throttle_device_type),
  OA (oci_blkio, "throttleWriteBpsDevice", OCI_F_OBJECT_ARRAY, throttle_write_bps_device,
      blkio_throttle_device_type),
  OA (oci_blkio, "throttleReadIOPSDevice", OCI_F_OBJECT_ARRAY, throttle_read_iops_device,
      blkio_throttle_device_type),
  OA (oci_blkio, "throttleWriteIOPSDevice", OCI_F_OBJECT_ARRAY, throttle_write_iops_device,
      blkio_throttle_device_type),
};
TYPE (blkio_type, oci_blkio, blkio_fields, NULL);

static const oci_field hugepage_limit_fields[] = {
  P (oci_hugepage_limit, "pageSize", OCI_F_STRING, true, page_size),
  P (oci_hugepage_limit, "limit", OCI_F_UINT64, true, limit),
};
TYPE (hugepage_limit_type, oci_hugepage_limit, hugepage_limit_fields, NULL);

static const oci_field net_priority_fields[] = {
  P (oci_net_priority, "name", OCI_F_STRING, true, name),
  P (oci_net_priority, "priority", OCI_F_UINT32, true, priority),
};
TYPE (net_priority_type, oci_net_priority, net_priority_fields, NULL);

static const oci_field network_fields[] = {
  H (oci_network, "classID", OCI_F_UINT32, class_id),
  OA (oci_network, "priorities", OCI_F_OBJECT_ARRAY, priorities, net_priority_type),
};
TYPE (network_type, oci_network, network_fields, NULL);

/* "limit" is REQUIRED by the schema; runc 1.1 reads "pids": {} as limit 0,
   "not set" (docs/runc-compat.md).  */
static const oci_field pids_fields[] = {
  P (oci_pids, "limit", OCI_F_INT64, false, limit),
};
TYPE (pids_type, oci_pids, pids_fields, NULL);

static const oci_field rdma_fields[] = {
  H (oci_rdma, "hcaHandles", OCI_F_UINT32, hca_handles),
  H (oci_rdma, "hcaObjects", OCI_F_UINT32, hca_objects),
};
KEYED_TYPE (rdma_type, oci_rdma, rdma_fields, name, NULL);

static const oci_field resources_fields[] = {
  OA (oci_resources, "devices", OCI_F_OBJECT_ARRAY, devices, device_cgroup_type),
  O (oci_resources, "memory", memory, memory_type),
  O (oci_resources, "cpu", cpu, cpu_type),
  O (oci_resources, "blockIO", block_io, blkio_type),
  OA (oci_resources, "hugepageLimits", OCI_F_OBJECT_ARRAY, hugepage_limits, hugepage_limit_type),
  O (oci_resources, "network", network, network_type),
  O (oci_resources, "pids", pids, pids_type),
  OA (oci_resources, "rdma", OCI_F_KEYED_ARRAY, rdma, rdma_type),
  P (oci_resources, "unified", OCI_F_STRING_MAP, false, unified),
};
TYPE (resources_type, oci_resources, resources_fields, NULL);

static const oci_field intel_rdt_fields[] = {
  P (oci_intel_rdt, "closID", OCI_F_STRING, false, clos_id),
  P (oci_intel_rdt, "l3CacheSchema", OCI_F_STRING, false, l3_cache_schema),
  P (oci_intel_rdt, "memBwSchema", OCI_F_STRING, false, mem_bw_schema),
  SA (oci_intel_rdt, "schemata", schemata),
  P (oci_intel_rdt, "enableMonitoring", OCI_F_BOOL, false, enable_monitoring),
};
TYPE (intel_rdt_type, oci_intel_rdt, intel_rdt_fields, NULL);

static const oci_field seccomp_arg_fields[] = {
  P (oci_seccomp_arg, "index", OCI_F_UINT32, true, index),
  P (oci_seccomp_arg, "value", OCI_F_UINT64, true, value),
  H (oci_seccomp_arg, "valueTwo", OCI_F_UINT64, value_two),
  P (oci_seccomp_arg, "op", OCI_F_STRING, true, op),
};
TYPE (seccomp_arg_type, oci_seccomp_arg, seccomp_arg_fields, NULL);

static const oci_field seccomp_syscall_fields[] = {
  OCI_FIELD (oci_seccomp_syscall, "names", OCI_F_STRING_ARRAY, true, names, OCI_AUX (oci_seccomp_syscall, names_len),
             NULL),
  P (oci_seccomp_syscall, "action", OCI_F_STRING, true, action),
  H (oci_seccomp_syscall, "errnoRet", OCI_F_UINT32, errno_ret),
  OA (oci_seccomp_syscall, "args", OCI_F_OBJECT_ARRAY, args, seccomp_arg_type),
};
TYPE (seccomp_syscall_type, oci_seccomp_syscall, seccomp_syscall_fields, NULL);

static const oci_field seccomp_fields[] = {
  P (oci_seccomp, "defaultAction", OCI_F_STRING, true, default_action),
  H (oci_seccomp, "defaultErrnoRet", OCI_F_UINT32, default_errno_ret),
  SA (oci_seccomp, "architectures", architectures),
  SA (oci_seccomp, "flags", flags),
  P (oci_seccomp, "listenerPath", OCI_F_STRING, false, listener_path),
  P (oci_seccomp, "listenerMetadata", OCI_F_STRING, false, listener_metadata),
  OA (oci_seccomp, "syscalls", OCI_F_OBJECT_ARRAY, syscalls, seccomp_syscall_type),
};
TYPE (seccomp_type, oci_seccomp, seccomp_fields, NULL);

static const oci_field personality_fields[] = {
  P (oci_personality, "domain", OCI_F_STRING, true, domain),
  SA (oci_personality, "flags", flags),
};
TYPE (personality_type, oci_personality, personality_fields, NULL);

static const oci_field memory_policy_fields[] = {
  P (oci_memory_policy, "mode", OCI_F_STRING, true, mode),
  P (oci_memory_policy, "nodes", OCI_F_STRING, false, nodes),
  SA (oci_memory_policy, "flags", flags),
};
TYPE (memory_policy_type, oci_memory_policy, memory_policy_fields, NULL);

static const oci_field net_device_fields[] = {
  P (oci_net_device, "name", OCI_F_STRING, false, name),
};
KEYED_TYPE (net_device_type, oci_net_device, net_device_fields, host_name, NULL);

/* "rootfsPropagation": "" is "not set" for runc (the default propagation
   stays); the model makes it absent so every user sees one meaning
   (docs/runc-compat.md).  */
static int
validate_linux (oci_parse_ctx *ctx, const oci_type *t, void *obj, uint64_t seen)
{
  oci_linux *l = obj;
  if (l->rootfs_propagation && l->rootfs_propagation[0] == '\0')
    {
      free (l->rootfs_propagation);
      l->rootfs_propagation = NULL;
    }
  return 0;
}

static const oci_field linux_fields[] = {
  OA (oci_linux, "namespaces", OCI_F_OBJECT_ARRAY, namespaces, namespace_type),
  OA (oci_linux, "uidMappings", OCI_F_OBJECT_ARRAY, uid_mappings, id_mapping_type),
  OA (oci_linux, "gidMappings", OCI_F_OBJECT_ARRAY, gid_mappings, id_mapping_type),
  OA (oci_linux, "timeOffsets", OCI_F_KEYED_ARRAY, time_offsets, time_offset_type),
  OA (oci_linux, "devices", OCI_F_OBJECT_ARRAY, devices, device_type),
  P (oci_linux, "cgroupsPath", OCI_F_STRING, false, cgroups_path),
  O (oci_linux, "resources", resources, resources_type),
  O (oci_linux, "intelRdt", intel_rdt, intel_rdt_type),
  P (oci_linux, "sysctl", OCI_F_STRING_MAP, false, sysctl),
  O (oci_linux, "seccomp", seccomp, seccomp_type),
  P (oci_linux, "rootfsPropagation", OCI_F_STRING, false, rootfs_propagation),
  SA (oci_linux, "maskedPaths", masked_paths),
  SA (oci_linux, "readonlyPaths", readonly_paths),
  P (oci_linux, "mountLabel", OCI_F_STRING, false, mount_label),
  O (oci_linux, "personality", personality, personality_type),
  O (oci_linux, "memoryPolicy", memory_policy, memory_policy_type),
  OA (oci_linux, "netDevices", OCI_F_KEYED_ARRAY, net_devices, net_device_type),
};
TYPE (linux_type, oci_linux, linux_fields, validate_linux);

static const oci_field config_fields[] = {
  P (oci_config, "ociVersion", OCI_F_STRING, true, oci_version),
  O (oci_config, "root", root, root_type),
  OA (oci_config, "mounts", OCI_F_OBJECT_ARRAY, mounts, mount_type),
  O (oci_config, "process", process, process_type),
  P (oci_config, "hostname", OCI_F_STRING, false, hostname),
  P (oci_config, "domainname", OCI_F_STRING, false, domainname),
  O (oci_config, "hooks", hooks, hooks_type),
  P (oci_config, "annotations", OCI_F_STRING_MAP, false, annotations),
  O (oci_config, "linux", linux_, linux_type),
};
TYPE (config_type, oci_config, config_fields, NULL);

/* --- state.json ---------------------------------------------------------- */

static int
validate_state (oci_parse_ctx *ctx, const oci_type *t, void *obj, uint64_t seen)
{
  oci_state *s = obj;
  if (s->has_pid && s->pid < 0)
    return oci_json_error_at (ctx, "pid", "value %d out of range [0, %d]", s->pid, INT32_MAX);
  return 0;
}

_Static_assert (sizeof (int) == sizeof (int32_t), "oci_state.pid is parsed as int32");

static const oci_field state_fields[] = {
  P (oci_state, "ociVersion", OCI_F_STRING, true, oci_version),
  P (oci_state, "id", OCI_F_STRING, true, id),
  P (oci_state, "status", OCI_F_STRING, true, status),
  H (oci_state, "pid", OCI_F_INT32, pid),
  P (oci_state, "bundle", OCI_F_STRING, true, bundle),
  P (oci_state, "annotations", OCI_F_STRING_MAP, false, annotations),
};
TYPE (state_type, oci_state, state_fields, validate_state);

/* --- public entry points ------------------------------------------------- */

oci_config *
oci_config_parse_data (const char *data, size_t len, const char *origin, char **err)
{
  return oci_json_parse (&config_type, data, len, origin ? origin : "config.json", err);
}

oci_config *
oci_config_parse_file (const char *path, const char *origin, char **err)
{
  return oci_json_parse_file (&config_type, path, origin ? origin : "config.json", err);
}

void
oci_config_free (oci_config *c)
{
  oci_json_free (&config_type, c);
}

oci_process *
oci_process_parse_data (const char *data, size_t len, const char *origin, char **err)
{
  return oci_json_parse (&exec_process_type, data, len, origin ? origin : "process.json", err);
}

oci_process *
oci_process_parse_file (const char *path, const char *origin, char **err)
{
  return oci_json_parse_file (&exec_process_type, path, origin ? origin : "process.json", err);
}

void
oci_process_free (oci_process *p)
{
  oci_json_free (&process_type, p);
}

oci_resources *
oci_resources_parse_data (const char *data, size_t len, const char *origin, char **err)
{
  return oci_json_parse (&resources_type, data, len, origin ? origin : "resources", err);
}

void
oci_resources_free (oci_resources *r)
{
  oci_json_free (&resources_type, r);
}

oci_state *
oci_state_parse_data (const char *data, size_t len, const char *origin, char **err)
{
  return oci_json_parse (&state_type, data, len, origin ? origin : "state.json", err);
}

void
oci_state_free (oci_state *s)
{
  oci_json_free (&state_type, s);
}
