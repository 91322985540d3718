/* Shared between cgroup.c (layout, paths, lifecycle), cgroup_v1.c,
 * cgroup_v2.c, cgroup_devices.c and cgroup_mount.c.  Not part of the
 * library's interface: the rest of ocirun only includes cgroup.h. */
#ifndef OCIRUN_CGROUP_INTERNAL_H
#define OCIRUN_CGROUP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"

enum cg_mode
{
  CG_MODE_V1 = 1,     /* only v1 controller hierarchies */
  CG_MODE_HYBRID = 2, /* v1 controllers + a cgroup2 mount (usually /sys/fs/cgroup/unified) */
  CG_MODE_V2 = 3,     /* the unified hierarchy only */
};

/* One hierarchy the container's cgroup lives in. */
struct cg_hier
{
  char *controllers; /* v1: "memory", "cpu,cpuacct", "name=systemd"; "" for the unified one */
  char *mountpoint;  /* where the host mounts the hierarchy: /sys/fs/cgroup/memory */
  char *path;        /* the container's cgroup directory (absolute host path) */
  char *created;     /* the shallowest directory create() made: every directory
                        from it down to `path` is ours; NULL when we made none */
  bool unified;      /* cgroup2 */
};

struct cg_ops;
struct cg_sd;

struct ocirun_cgroup
{
  enum cg_mode mode;
  const struct cg_ops *ops;
  struct cg_hier *h;
  size_t n;
  bool rootless;
  /* rootless and the cgroup could not be created: every operation is a
   * no-op, `h` holds the runtime's own cgroups (for mounts) */
  bool empty;
  int clone_fd;
  struct cg_sd *sd; /* --systemd-cgroup: the unit (cgroup_systemd.c), else NULL */
};

/* The ops table (docs/design.md, style 5): one writer per controller lives in
 * cgroup_v1.c / cgroup_v2.c; hybrid uses the v1 table, which also knows
 * where the unified hierarchy may help (hugetlb, unified keys). */
struct cg_ops
{
  const char *name;
  /* apply linux.resources; `update` is true for `ocirun update` */
  int (*set) (ocirun_cgroup *cg, const oci_resources *r, bool update, ocirun_error_t *err);
  int (*freeze) (ocirun_cgroup *cg, bool freeze, ocirun_error_t *err);
  int (*is_frozen) (ocirun_cgroup *cg, bool *frozen, ocirun_error_t *err);
  /* signal every process; returns 1 when not handled (generic fallback) */
  int (*kill) (ocirun_cgroup *cg, int signo, ocirun_error_t *err);
  int (*stats) (ocirun_cgroup *cg, yajl_gen g, ocirun_error_t *err);
};

extern const struct cg_ops cg_v1_ops;
extern const struct cg_ops cg_v2_ops;

/* runc's reading of linux.resources (libcontainer/cgroups/fs and fs2 write
 * a value only when it is not the Go zero value): callers such as Docker
 * send 0 for every field they do not set, on create and on update, so a 0
 * means "leave the file as it is".  Fields where 0 is a real value
 * (swappiness, hugepage limits, throttle rates, burst, idle) are not read
 * this way.  docs/runc-compat.md lists them. */
#define CG_SET(obj, field) ((obj)->has_##field && (obj)->field != 0)
/* memory.swappiness: Docker used to send uint64(-1) for "unset" */
#define CG_SWAPPINESS_SET(m) ((m)->has_swappiness && (m)->swappiness != UINT64_MAX)
/* Whether linux.resources.memory / blockIO ask for any write at all: an
 * object of zeros needs no controller (cgroup_files.c). */
bool cg_memory_wanted (const oci_memory *m);
bool cg_blkio_wanted (const oci_blkio *b);
/* Whether any of linux.resources (devices aside) asks for a write. */
bool cg_resources_wanted (const oci_resources *r);

/* --- hierarchies (cgroup_files.c) --- */

/* Does the comma-separated list `opts` contain `word`? */
bool cg_list_has (const char *opts, const char *word);

/* The v1 hierarchy that has `controller`, or NULL. */
struct cg_hier *cg_find (ocirun_cgroup *cg, const char *controller);
/* The unified (cgroup2) hierarchy, or NULL (pure v1). */
struct cg_hier *cg_unified (ocirun_cgroup *cg);
/* The hierarchy used to list and signal processes. */
struct cg_hier *cg_main (ocirun_cgroup *cg);

/* Write one value to dir/file.  On failure the error reads
 * "<field>: write `<file>` in `<dir>`: <strerror>" (field may be NULL). */
int cg_write (const char *dir, const char *file, const char *field, ocirun_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
/* Like cg_write but a missing file is not an error: returns 1 (skipped,
 * logged at debug level), 0 written, < 0 error. */
int cg_write_opt (const char *dir, const char *file, const char *field, ocirun_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
/* The raw writer: returns 0 or -errno, no error object. */
int cg_write_raw (const char *dir, const char *file, const char *data);
int cg_read (const char *dir, const char *file, char **out, ocirun_error_t *err);
/* Read a file holding a number ("max" reads as UINT64_MAX).  0 when absent. */
uint64_t cg_read_u64 (const char *dir, const char *file);
bool cg_exists (const char *dir, const char *file);
/* Whether `controller` is listed in dir/cgroup.controllers (v2). */
bool cg_v2_has_controller (const char *dir, const char *controller);

/* Value formatting shared by v1 and v2: -1 -> "-1" (v1) or "max" (v2). */
const char *cg_fmt_i64 (char *buf, size_t len, int64_t v, bool v2);

/* Keys of linux.resources.unified must be plain file names with a
 * controller prefix that is enabled for `dir`. */
int cg_unified_apply (const char *dir, const oci_map *unified, ocirun_error_t *err);

/* pids, recursively, from the cgroup.procs of dir and its children */
int cg_collect_pids (const char *dir, pid_t **pids, size_t *n, ocirun_error_t *err);

/* Parse "2MB" / "1GB" / "64KB" (base 1024).  0 on success. */
int cg_parse_page_size (const char *s, uint64_t *bytes);

/* --- device rules (cgroup_devices.c) --- */

struct cg_dev_rule
{
  bool allow;
  char type;            /* 'a' 'c' 'b' */
  int64_t major, minor; /* -1 = any */
  unsigned access;      /* CG_DEV_R | CG_DEV_W | CG_DEV_M */
};
#define CG_DEV_M 1 /* same bits as BPF_DEVCG_ACC_MKNOD/READ/WRITE */
#define CG_DEV_R 2
#define CG_DEV_W 4

/* deny-all + the runc default allow list + r->devices in order.
 * Validates the user rules (errors name linux.resources.devices[i]). */
int cg_device_rules (const oci_resources *r, struct cg_dev_rule **out, size_t *n, ocirun_error_t *err);
size_t cg_device_user_rules (size_t n);
int cg_devices_v1_apply (const char *dir, const struct cg_dev_rule *rules, size_t n, ocirun_error_t *err);
int cg_devices_v2_apply (const char *dir, const struct cg_dev_rule *rules, size_t n, ocirun_error_t *err);

/* --- JSON helpers for stats (cgroup.c) --- */
void cg_json_key (yajl_gen g, const char *key);
void cg_json_stats_tail (yajl_gen g);
void cg_json_u64 (yajl_gen g, const char *key, uint64_t v);
/* omitempty: nothing when v == 0 */
void cg_json_u64_oe (yajl_gen g, const char *key, uint64_t v);
void cg_json_str (yajl_gen g, const char *key, const char *v);

/* Parse "key value\n" files (memory.stat, cpu.stat); calls cb per line. */
typedef void (*cg_kv_cb) (const char *key, uint64_t value, void *data);
void cg_read_kv (const char *dir, const char *file, cg_kv_cb cb, void *data);
uint64_t cg_kv_get (const char *dir, const char *file, const char *key);

/* rdma.max: same syntax on v1 and v2 */
int cg_rdma_apply (const char *dir, const oci_resources *r, ocirun_error_t *err);
/* "cpuset" stats object from cpuset.* files (dir may be NULL) */
void cg_stats_cpuset (yajl_gen g, const char *dir, bool v2);
/* v1 blkio "8:0 Read 123" lines as runc BlkioEntry objects */
void cg_stats_blkio_entries (yajl_gen g, const char *key, const char *dir, const char *file);

/* --- the systemd driver (cgroup_systemd.c) --- */

/* one unit property for StartTransientUnit / SetUnitProperties */
struct cg_sd_prop
{
  char *name;
  char type; /* D-Bus signature: t u x i d b s; 'y' = "ay"; 'D' = DeviceAllow's "a(ss)" */
  uint64_t u;
  int64_t x;
  double d;
  bool b;
  char *s;
  uint8_t *bytes;
  size_t nbytes;
  char **pairs; /* 'D': path, access, path, access ... */
  size_t npairs;
};

struct cg_sd_props
{
  struct cg_sd_prop *v;
  size_t n;
};

struct cg_sd
{
  char *unit;   /* "ocirun-<id>.scope" or "x-y.slice" */
  char *slice;  /* the parent slice */
  char *cgpath; /* the unit's cgroup below the hierarchy root: "/system.slice/ocirun-x.scope" */
  bool user;    /* the user's systemd instance (rootless) */
  bool is_slice;
  bool pending;             /* create() ran; the unit starts with the first enter() */
  const oci_resources *res; /* create's resources, applied after the unit starts (not owned) */
  struct cg_sd_props props;
  void *bus;
};

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", "-.slice" -> "/";
 * a bad name is an error naming linux.cgroupsPath */
int cg_sd_expand_slice (const char *slice, char **out, ocirun_error_t *err);
/* "slice:prefix:name" -> the parent slice and the unit name (runc's rules) */
int cg_sd_parse_path (const char *cgroups_path, const char *id, bool rootless, char **slice, char **unit,
                      ocirun_error_t *err);
int cg_sd_resource_props (const oci_resources *r, bool v2, struct cg_sd_props *p, ocirun_error_t *err);
int cg_sd_annotation_props (const oci_map *ann, struct cg_sd_props *p, ocirun_error_t *err);
int cg_sd_cpuset_mask (const char *list, uint8_t **bytes, size_t *n);
/* "Name=type:value\n" lines, for tests and debug output */
char *cg_sd_props_text (const struct cg_sd_props *p);
void cg_sd_props_free (struct cg_sd_props *p);
/* parse the path and properties, connect to the bus, compute sd->cgpath */
int cg_sd_prepare (ocirun_cgroup *cg, const char *id, const oci_linux *lnx, const oci_map *annotations,
                   ocirun_error_t *err);
/* StartTransientUnit with `pid`, waiting for the job */
int cg_sd_start (ocirun_cgroup *cg, pid_t pid, ocirun_error_t *err);
int cg_sd_update (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err);
/* StopUnit (waiting for the job) + ResetFailedUnit; a missing unit is fine */
int cg_sd_stop (ocirun_cgroup *cg, ocirun_error_t *err);
void cg_sd_free (struct cg_sd *sd);
void cg_sd_save (struct cg_sd *sd, yajl_gen g);
int cg_sd_load (ocirun_cgroup *cg, yajl_val root, ocirun_error_t *err);

#endif
