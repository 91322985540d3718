/* What the verbs share: container.c (the verbs on an existing container),
 * create.c (the parent stage), exec.c and criu.c. */
#ifndef OCIRUN_CONTAINER_INTERNAL_H
#define OCIRUN_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "container.h"
#include "error.h"
#include "oci_spec.h"
#include "seccomp.h"
#include "status.h"

/* ---- cleanup helpers, one per owned type (docs/design.md, style 3) ---- */
static inline void
cleanup_configp (oci_config **c)
{
  oci_config_free (*c);
}
static inline void
cleanup_cgroupp (ocirun_cgroup **cg)
{
  if (*cg)
    ocirun_cgroup_free (*cg);
}
static inline void
cleanup_seccomp_filterp (ocirun_seccomp_filter **f)
{
  if (*f)
    ocirun_seccomp_filter_free (*f);
}
#define cleanup_config __attribute__ ((cleanup (cleanup_configp)))
#define cleanup_cgroup __attribute__ ((cleanup (cleanup_cgroupp)))
#define cleanup_seccomp_filter __attribute__ ((cleanup (cleanup_seccomp_filterp)))
/* a status from ocirun_status_open (or OCIRUN_STATUS_INIT): released at the
 * end of the scope */
#define cleanup_status __attribute__ ((cleanup (ocirun_status_release)))
#define OCIRUN_STATUS_INIT                                                                                             \
  {                                                                                                                    \
    .dirfd = -1, .config_needs = -1                                                                                    \
  }

/* ---- container.c ---- */

/* Every verb on an existing container: validate the id, open and lock its
 * state dir, read its record.  On failure *st is released (nothing to
 * free), except with STATUS_KEEP_INCOMPLETE, where an incomplete dir
 * (st->incomplete) stays locked for delete to remove. */
enum
{
  STATUS_READONLY = 1 << 0,        /* never wait for the lock (state, list) */
  STATUS_KEEP_INCOMPLETE = 1 << 1, /* delete */
};
int ocirun_status_open (const char *root, const char *id, int flags, struct ocirun_status *st, ocirun_error_t *err);
/* Read and parse a config.json; *raw gets its text (malloc()ed). */
oci_config *ocirun_load_config (const char *path, char **raw, size_t *raw_len, ocirun_error_t *err);
/* The config.json saved in a container's state dir. */
oci_config *ocirun_load_saved_config (struct ocirun_status *st, ocirun_error_t *err);
/* The state JSON a hook (or a seccomp agent) sees, with `status` (malloc()ed). */
char *ocirun_state_json (struct ocirun_status *st, const char *status);

/* ---- create.c: the parent stage ---- */

/* The bundle (default "."): its real path, its config.json parsed and
 * validated, root.path resolved to a directory.  NULL on error (nothing to
 * free then); the caller frees *bundle, *rootfs, *raw and the config. */
oci_config *ocirun_bundle_load (const char *bundle_arg, char **bundle, char **rootfs, char **raw, size_t *raw_len,
                                ocirun_error_t *err);
/* The state of a container being created, for create and restore: its
 * state dir (locked, status "creating", config.json saved, exec.fifo when
 * asked) and its cgroup, each recorded before it is made so that a runtime
 * killed at any instant leaves what `delete --force` finds.  On failure
 * what was made is undone and nothing is held. */
int ocirun_creating_open (struct ocirun_context *ctx, const char *bundle, const char *rootfs, oci_config *config,
                          const char *raw, size_t raw_len, bool exec_fifo, struct ocirun_status *st, ocirun_cgroup **cg,
                          ocirun_error_t *err);
/* Its undo, for a create or restore failing later: destroy the cgroup,
 * remove the state dir (failures are warnings).  Frees nothing. */
void ocirun_creating_undo (const char *root, struct ocirun_status *st, ocirun_cgroup *cg);
/* Release the status of ocirun_creating_open (its record borrows the
 * config's annotations). */
void ocirun_creating_release (struct ocirun_status *st);
/* Until the child says it is ready, handle what it sends: its pty master
 * (to the console socket, or kept in *master for a foreground caller) and
 * its seccomp listener fd (to linux.seccomp.listenerPath, with the state). */
int ocirun_parent_wait_ready (int sock, const char *console_socket, const oci_seccomp *seccomp, const char *state_json,
                              int *master, ocirun_error_t *err);
/* --pid-file: written to a temporary name and renamed (atomic for readers). */
int ocirun_write_pid_file (const char *path, pid_t pid, ocirun_error_t *err);
/* SIGKILL a child of ours and reap it (pid <= 0: nothing). */
void ocirun_kill_and_reap (pid_t pid);

#endif
