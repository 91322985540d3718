/* libocispec: the OCI runtime-spec 1.3 data model (Linux parts) as C structs,
 * with a yajl-based parser and generator.  Knows nothing about syscalls.
 *
 * Conventions (every struct follows them):
 *   - strings are `char *`, NULL when the property is absent;
 *   - optional scalars come with a `bool has_<name>` that is true only when
 *     the property was present in the document (absent != zero);
 *   - optional objects are pointers, NULL when absent;
 *   - arrays are `T *<name>; size_t <name>_len;` (string arrays: `char **`);
 *     an absent array is NULL, a present one is non-NULL even when empty;
 *     string arrays are also NULL-terminated (args/env go to execve as is);
 *   - string maps are `oci_map` (keys and values in document order);
 *   - objects keyed by name (linux.timeOffsets, linux.resources.rdma,
 *     linux.netDevices) become arrays whose elements carry the key.
 * Unknown properties are ignored (config.md: "runtimes MUST ignore unknown
 * properties"); JSON null counts as absent; a property given twice keeps the
 * last value.  A wrong JSON type or an invalid value is an error naming the
 * JSON path, e.g. "config.json: linux.resources.memory.limit: expected an
 * integer, got a string", "config.json: mounts[2].destination: missing
 * required property", "config.json: linux.sysctl[\"net.core.somaxconn\"]:
 * expected a string, got an integer".  Integers must fit the C type of their
 * field.  The model checks only what needs no host knowledge: required
 * properties, namespace types, device types, hook timeout > 0, umask <= 0777,
 * fileMode <= 07777.
 */
#ifndef OCI_SPEC_H
#define OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCI_SPEC_VERSION "1.3.0"

typedef struct
{
  char **keys;
  char **values;
  size_t len;
} oci_map;

const char *oci_map_get (const oci_map *m, const char *key);

typedef struct
{
  char *path;
  bool readonly;
} oci_root;

typedef struct
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
} oci_id_mapping;

typedef struct
{
  char *destination;
  char *type;
  char *source;
  char **options;
  size_t options_len;
  oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
} oci_mount;

typedef struct
{
  uint64_t height;
  uint64_t width;
} oci_console_size;

typedef struct
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t additional_gids_len;
  char *username; /* windows only; parsed, unused */
} oci_user;

typedef struct
{
  char **bounding;
  size_t bounding_len;
  char **effective;
  size_t effective_len;
  char **inheritable;
  size_t inheritable_len;
  char **permitted;
  size_t permitted_len;
  char **ambient;
  size_t ambient_len;
} oci_capabilities;

typedef struct
{
  char *type; /* "RLIMIT_NOFILE", ... */
  uint64_t hard;
  uint64_t soft;
} oci_rlimit;

typedef struct
{
  char *policy; /* SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE */
  bool has_nice;
  int32_t nice;
  bool has_priority;
  int32_t priority;
  char **flags;
  size_t flags_len;
  bool has_runtime;
  uint64_t runtime;
  bool has_deadline;
  uint64_t deadline;
  bool has_period;
  uint64_t period;
} oci_scheduler;

typedef struct
{
  char *class_; /* IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE */
  bool has_priority;
  int32_t priority;
} oci_io_priority;

typedef struct
{
  char *initial;
  char *final;
} oci_exec_cpu_affinity;

/* config.json's "process", and the whole of exec's process.json */
typedef struct
{
  bool terminal;
  oci_console_size *console_size;
  oci_user user;
  char **args;
  size_t args_len;
  char *command_line; /* windows only */
  char **env;
  size_t env_len;
  char *cwd;
  oci_capabilities *capabilities;
  oci_rlimit *rlimits;
  size_t rlimits_len;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int32_t oom_score_adj;
  char *selinux_label;
  bool no_new_privileges;
  oci_scheduler *scheduler;
  oci_io_priority *io_priority;
  oci_exec_cpu_affinity *exec_cpu_affinity;
} oci_process;

typedef struct
{
  char *path;
  char **args;
  size_t args_len;
  char **env;
  size_t env_len;
  bool has_timeout;
  int64_t timeout; /* seconds, > 0 */
} oci_hook;

typedef struct
{
  oci_hook *prestart;
  size_t prestart_len;
  oci_hook *create_runtime;
  size_t create_runtime_len;
  oci_hook *create_container;
  size_t create_container_len;
  oci_hook *start_container;
  size_t start_container_len;
  oci_hook *poststart;
  size_t poststart_len;
  oci_hook *poststop;
  size_t poststop_len;
} oci_hooks;

typedef struct
{
  char *type; /* pid network mount ipc uts user cgroup time */
  char *path;
} oci_namespace;

typedef struct
{
  char *name; /* "monotonic" or "boottime" (the key of linux.timeOffsets) */
  int64_t secs;
  uint32_t nanosecs;
} oci_time_offset;

typedef struct
{
  char *type; /* c b u p */
  char *path;
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
} oci_device;

typedef struct
{
  bool allow;
  char *type; /* a c b, NULL = all */
  bool has_major;
  int64_t major;
  bool has_minor;
  int64_t minor;
  char *access; /* rwm */
} oci_device_cgroup;

typedef struct
{
  bool has_limit;
  int64_t limit;
  bool has_reservation;
  int64_t reservation;
  bool has_swap;
  int64_t swap;
  bool has_kernel;
  int64_t kernel;
  bool has_kernel_tcp;
  int64_t kernel_tcp;
  bool has_swappiness;
  uint64_t swappiness;
  bool has_disable_oom_killer;
  bool disable_oom_killer;
  bool has_use_hierarchy;
  bool use_hierarchy;
  bool has_check_before_update;
  bool check_before_update;
} oci_memory;

typedef struct
{
  bool has_shares;
  uint64_t shares;
  bool has_quota;
  int64_t quota;
  bool has_burst;
  uint64_t burst;
  bool has_period;
  uint64_t period;
  bool has_realtime_runtime;
  int64_t realtime_runtime;
  bool has_realtime_period;
  uint64_t realtime_period;
  char *cpus;
  char *mems;
  bool has_idle;
  int64_t idle;
} oci_cpu;

typedef struct
{
  int64_t major;
  int64_t minor;
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
} oci_blkio_weight_device;

typedef struct
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
} oci_blkio_throttle_device;

typedef struct
{
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
  oci_blkio_weight_device *weight_device;
  size_t weight_device_len;
  oci_blkio_throttle_device *throttle_read_bps_device;
  size_t throttle_read_bps_device_len;
  oci_blkio_throttle_device *throttle_write_bps_device;
  size_t throttle_write_bps_device_len;
  oci_blkio_throttle_device *throttle_read_iops_device;
  size_t throttle_read_iops_device_len;
  oci_blkio_throttle_device *throttle_write_iops_device;
  size_t throttle_write_iops_device_len;
} oci_blkio;

typedef struct
{
  char *page_size; /* "2MB", "1GB" */
  uint64_t limit;
} oci_hugepage_limit;

typedef struct
{
  char *name;
  uint32_t priority;
} oci_net_priority;

typedef struct
{
  bool has_class_id;
  uint32_t class_id;
  oci_net_priority *priorities;
  size_t priorities_len;
} oci_network;

typedef struct
{
  int64_t limit; /* 0 (or absent) = not set, < 0 = unlimited (as runc) */
} oci_pids;

typedef struct
{
  char *name; /* the key of linux.resources.rdma */
  bool has_hca_handles;
  uint32_t hca_handles;
  bool has_hca_objects;
  uint32_t hca_objects;
} oci_rdma;

typedef struct
{
  oci_device_cgroup *devices;
  size_t devices_len;
  oci_memory *memory;
  oci_cpu *cpu;
  oci_blkio *block_io;
  oci_hugepage_limit *hugepage_limits;
  size_t hugepage_limits_len;
  oci_network *network;
  oci_pids *pids;
  oci_rdma *rdma;
  size_t rdma_len;
  oci_map unified;
} oci_resources;

typedef struct
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  char **schemata;
  size_t schemata_len;
  bool enable_monitoring;
} oci_intel_rdt;

typedef struct
{
  uint32_t index;
  uint64_t value;
  bool has_value_two;
  uint64_t value_two;
  char *op; /* SCMP_CMP_NE ... SCMP_CMP_MASKED_EQ */
} oci_seccomp_arg;

typedef struct
{
  char **names;
  size_t names_len;
  char *action;
  bool has_errno_ret;
  uint32_t errno_ret;
  oci_seccomp_arg *args;
  size_t args_len;
} oci_seccomp_syscall;

typedef struct
{
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures;
  size_t architectures_len;
  char **flags;
  size_t flags_len;
  char *listener_path;
  char *listener_metadata;
  oci_seccomp_syscall *syscalls;
  size_t syscalls_len;
} oci_seccomp;

typedef struct
{
  char *domain; /* LINUX, LINUX32 */
  char **flags;
  size_t flags_len;
} oci_personality;

typedef struct
{
  char *mode; /* MPOL_DEFAULT ... */
  char *nodes;
  char **flags;
  size_t flags_len;
} oci_memory_policy;

typedef struct
{
  char *host_name; /* the key of linux.netDevices */
  char *name;      /* name inside the container; NULL = same */
} oci_net_device;

typedef struct
{
  oci_namespace *namespaces;
  size_t namespaces_len;
  oci_id_mapping *uid_mappings;
  size_t uid_mappings_len;
  oci_id_mapping *gid_mappings;
  size_t gid_mappings_len;
  oci_time_offset *time_offsets;
  size_t time_offsets_len;
  oci_device *devices;
  size_t devices_len;
  char *cgroups_path;
  oci_resources *resources;
  oci_intel_rdt *intel_rdt;
  oci_map sysctl;
  oci_seccomp *seccomp;
  char *rootfs_propagation;
  char **masked_paths;
  size_t masked_paths_len;
  char **readonly_paths;
  size_t readonly_paths_len;
  char *mount_label;
  oci_personality *personality;
  oci_memory_policy *memory_policy;
  oci_net_device *net_devices;
  size_t net_devices_len;
} oci_linux;

typedef struct
{
  char *oci_version;
  oci_root *root;
  oci_mount *mounts;
  size_t mounts_len;
  oci_process *process;
  char *hostname;
  char *domainname;
  oci_hooks *hooks;
  oci_map annotations;
  oci_linux *linux_;
} oci_config;

/* state.json as the spec defines it (runtime.md#state). */
typedef struct
{
  char *oci_version;
  char *id;
  char *status; /* creating created running stopped (and "paused", as runc) */
  bool has_pid;
  int pid;
  char *bundle;
  oci_map annotations;
} oci_state;

/* Parsers.  On failure they return NULL and set *err to a malloc()ed
 * one-line message that starts with `origin` (e.g. "config.json") followed
 * by the JSON path of the offending property.  The caller frees *err.
 * `origin` may be NULL: "config.json", "process.json", "resources" or
 * "state.json" is used.  process.json (exec) requires "args" and "cwd";
 * in config.json "process" and its "args" are optional (the runtime checks
 * them for start).  A "user" that is absent, or without uid/gid, leaves
 * uid and gid 0 (as runc). */
oci_config *oci_config_parse_file (const char *path, const char *origin, char **err);
oci_config *oci_config_parse_data (const char *data, size_t len, const char *origin, char **err);
void oci_config_free (oci_config *c);

oci_process *oci_process_parse_file (const char *path, const char *origin, char **err);
oci_process *oci_process_parse_data (const char *data, size_t len, const char *origin, char **err);
void oci_process_free (oci_process *p);

/* A bare linux.resources object (`update --resources`). */
oci_resources *oci_resources_parse_data (const char *data, size_t len, const char *origin, char **err);
void oci_resources_free (oci_resources *r);

oci_state *oci_state_parse_data (const char *data, size_t len, const char *origin, char **err);
void oci_state_free (oci_state *s);
/* Serialise a state to a malloc()ed NUL-terminated JSON string (NULL on
 * allocation failure, or if a string is not valid UTF-8).  Fields that are
 * absent are omitted; `pid` only when has_pid; "annotations" only when it
 * has entries. */
char *oci_state_generate (const oci_state *s, bool pretty);

#endif
