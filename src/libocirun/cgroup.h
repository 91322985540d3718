/* cgroups behind one small ops table (docs/design.md, style 5): the container side
 * only sees this interface; cgroup_v1.c and cgroup_v2.c implement it and
 * cgroup.c detects the host's layout (v1, v2, hybrid) once, at run time. */
#ifndef OCIRUN_CGROUP_H
#define OCIRUN_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

typedef struct ocirun_cgroup ocirun_cgroup;

/* Parent, before the container's process exists: create the cgroup for
 * container `id` at linux.cgroupsPath (absolute, relative to the runtime's
 * own cgroup, or the default "/ocirun/<id>" when absent) in every hierarchy,
 * and apply linux.resources to it, with the device rules: deny all, the
 * runc default set, then linux.resources.devices (linux.devices entries are
 * not added, as runc).  Errors name the resource field.  On failure nothing
 * is left.  `rootless`: when the cgroup cannot be created (EACCES, EPERM)
 * a warning is logged and *out is a no-op manager, unless resources other
 * than device rules were asked for.  See docs/cgroups.md. */
int ocirun_cgroup_create (const char *id, const oci_linux *lnx, bool rootless, ocirun_cgroup **out,
                          ocirun_error_t *err);
/* The same with the systemd driver (--systemd-cgroup, cgroup_systemd.c):
 * linux.cgroupsPath is "slice:prefix:name"; this parses it, maps the
 * resources and the org.systemd.property.* annotations to unit properties
 * and connects to the bus (errors here, before anything exists).  The unit
 * itself is started by the first ocirun_cgroup_enter (it needs the pid),
 * which then applies the resources to the files as well. */
int ocirun_cgroup_create_systemd (const char *id, const oci_linux *lnx, const oci_map *annotations, bool rootless,
                                  ocirun_cgroup **out, ocirun_error_t *err);
/* Built with libsystemd (configure --enable-systemd)? */
bool ocirun_cgroup_systemd_available (void);
/* The systemd unit of the container, NULL with the cgroupfs driver. */
const char *ocirun_cgroup_systemd_unit (ocirun_cgroup *cg);
/* O_DIRECTORY fd of the unified (v2) cgroup for clone3(CLONE_INTO_CGROUP),
 * -1 when that is not usable (v1 or hybrid layout, rootless without a
 * cgroup).  The fd belongs to `cg` (closed by destroy/free): do not close it. */
int ocirun_cgroup_clone_fd (ocirun_cgroup *cg);
/* Move `pid` into the container's cgroup in every hierarchy.  `sub` is an
 * optional sub-cgroup (exec --cgroup), NULL for the container's own. */
int ocirun_cgroup_enter (ocirun_cgroup *cg, pid_t pid, const char *sub, ocirun_error_t *err);
/* Serialise what later verbs need (paths, which dirs we created) into a
 * malloc()ed string kept in the state dir; load it back. */
char *ocirun_cgroup_save (ocirun_cgroup *cg);
int ocirun_cgroup_load (const char *saved, ocirun_cgroup **out, ocirun_error_t *err);

int ocirun_cgroup_update (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err);
int ocirun_cgroup_freeze (ocirun_cgroup *cg, bool freeze, ocirun_error_t *err);
int ocirun_cgroup_is_frozen (ocirun_cgroup *cg, bool *frozen, ocirun_error_t *err);
/* Every pid in the container's cgroup (and its sub-cgroups). */
int ocirun_cgroup_pids (ocirun_cgroup *cg, pid_t **pids, size_t *n, ocirun_error_t *err);
/* Signal every process in the cgroup (cgroup.kill for SIGKILL on v2). */
int ocirun_cgroup_kill (ocirun_cgroup *cg, int signo, ocirun_error_t *err);
/* runc's `events --stats` "data" object as a malloc()ed JSON string. */
int ocirun_cgroup_stats_json (ocirun_cgroup *cg, char **json, ocirun_error_t *err);
/* SIGKILL every process of the cgroup in every hierarchy (freeze, kill,
 * thaw on v1; cgroup.kill on v2) until none is left (bounded, ~10 s). */
int ocirun_cgroup_kill_all (ocirun_cgroup *cg, ocirun_error_t *err);
/* Is any process left in the container's cgroup, in any hierarchy? */
int ocirun_cgroup_has_processes (ocirun_cgroup *cg, bool *any, ocirun_error_t *err);
/* Before ocirun_cgroup_create: what it would make, in the form of
 * ocirun_cgroup_save (nothing is made), so the state record names the
 * cgroup before it exists: a runtime killed in between leaves nothing
 * that `delete --force` cannot find.  NULL on error. */
char *ocirun_cgroup_plan (const char *id, const oci_linux *lnx, bool rootless, ocirun_error_t *err);
/* Remove the directories create made (never one it did not create).
 * Waits briefly for the cgroup to empty. */
int ocirun_cgroup_destroy (ocirun_cgroup *cg, ocirun_error_t *err);
void ocirun_cgroup_free (ocirun_cgroup *cg);

/* Check linux.resources without touching the system (the errors create and
 * update would give for bad values, e.g. "linux.resources.memory.swap: must
 * be >= memory.limit").  For config validation before clone. */
int ocirun_cgroup_validate (const oci_resources *r, ocirun_error_t *err);
/* "v1", "hybrid" or "v2". */
const char *ocirun_cgroup_mode_name (ocirun_cgroup *cg);
/* The container's cgroup directory on the host for a v1 controller
 * ("memory"), "unified" for the cgroup2 one, NULL/"" for the main one;
 * NULL when there is none. */
const char *ocirun_cgroup_path (ocirun_cgroup *cg, const char *controller);
/* The v1 -> v2 conversions (docs/cgroups.md): cpu.shares -> cpu.weight
 * (crun: 1 + ((shares - 2) * 9999) / 262142) and blkio weight -> io.weight
 * (1 + (weight - 10) * 9999 / 990).  0 stays 0 ("not set"). */
uint64_t ocirun_cgroup_shares_to_weight (uint64_t shares);
uint64_t ocirun_cgroup_blkio_to_io_weight (uint64_t weight);
/* The container's cgroup relative to its hierarchy's root ("/a/b", as in
 * /proc/PID/cgroup) in the main hierarchy (v2: the unified one); NULL when
 * there is none.  For criu --cgroup-root. */
const char *ocirun_cgroup_relative_path (ocirun_cgroup *cg);
/* true for the no-op manager of a rootless container without cgroup access */
bool ocirun_cgroup_is_empty_manager (ocirun_cgroup *cg);

/* Child, in the container's mount namespace before pivot_root: mount the
 * cgroup filesystem(s) for a mounts[] entry of type "cgroup"/"cgroup2" on
 * `target_fd` (an O_PATH fd of the destination inside the rootfs).
 * `flags` are the MS_* flags of the entry (MS_RDONLY ...); `cgroupns` tells
 * whether the container has its own cgroup namespace. */
int ocirun_cgroup_mount (ocirun_cgroup *cg, int target_fd, const char *dest, unsigned long flags, bool cgroupns,
                         ocirun_error_t *err);

#endif
