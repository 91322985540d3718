/* container.c's helpers shared with criu.c (restore re-creates a
 * container the way create does). */
#ifndef OCIRUN_CONTAINER_INTERNAL_H
#define OCIRUN_CONTAINER_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

struct ocirun_status;

/* Read and parse a config.json; *raw gets its text (malloc()ed). */
oci_config *ocirun_load_config (const char *path, char **raw, size_t *raw_len, ocirun_error_t *err);
/* The state record of a container being created (status "creating"). */
void ocirun_status_init_creating (struct ocirun_status *st, const char *id, const char *bundle,
                                  const oci_config *config, const char *rootfs);
/* The bundle (default "."): its real path, its config.json parsed and
 * validated, root.path resolved to a directory.  NULL on error (nothing to
 * free then); the caller frees *bundle, *rootfs, *raw and the config. */
oci_config *ocirun_bundle_load (const char *bundle_arg, char **bundle, char **rootfs, char **raw, size_t *raw_len,
                                ocirun_error_t *err);
/* --pid-file: written to a temporary name and renamed (atomic for readers). */
int ocirun_write_pid_file (const char *path, pid_t pid, ocirun_error_t *err);
/* Until the child says it is ready, handle what it sends: its pty master
 * (to the console socket, or kept in *master for a foreground caller) and
 * its seccomp listener fd (to linux.seccomp.listenerPath, with the state). */
int ocirun_parent_wait_ready (int sock, const char *console_socket, const oci_seccomp *seccomp, const char *state_json,
                              int *master, ocirun_error_t *err);
/* Now, RFC 3339 with nanoseconds (malloc()ed). */
char *ocirun_now_rfc3339 (void);

#endif
