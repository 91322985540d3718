/* The runtime library's entry points, one per operation of runtime.md. */
#ifndef OCIRUN_CONTAINER_H
#define OCIRUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

struct ocirun_context
{
  const char *root; /* state root: --root, default /run/ocirun */
  const char *id;
  const char *bundle; /* --bundle, default cwd */
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool detach; /* run --detach */
  bool keep;   /* run --keep: leave the stopped container for `delete` */
  bool rootless;
  bool systemd_cgroup;
  bool foreground_tty; /* run without --detach and without a console socket */
  const char *criu;    /* global --criu: the criu binary (default: criu in PATH) */
  /* the compiled-seccomp cache directory, NULL for none; never in `root`,
   * which other runc-style runtimes may share (see main.c) */
  const char *seccomp_cache;
};

int ocirun_container_create (struct ocirun_context *ctx, ocirun_error_t *err);
int ocirun_container_start (struct ocirun_context *ctx, ocirun_error_t *err);
/* create + start; when not detached, waits and stores the exit status
 * (128+N for a signal) in *exit_status. */
int ocirun_container_run (struct ocirun_context *ctx, int *exit_status, ocirun_error_t *err);
/* The spec state JSON (malloc()ed). */
int ocirun_container_state (struct ocirun_context *ctx, char **json, ocirun_error_t *err);
int ocirun_container_kill (struct ocirun_context *ctx, int signo, bool all, ocirun_error_t *err);
int ocirun_container_delete (struct ocirun_context *ctx, bool force, ocirun_error_t *err);

struct ocirun_container_info
{
  char *id;
  pid_t pid;
  char *status;
  char *bundle;
  char *created; /* RFC 3339 */
  char *owner;
};
int ocirun_container_list (const char *root, struct ocirun_container_info **out, size_t *n, ocirun_error_t *err);
void ocirun_container_info_free (struct ocirun_container_info *v, size_t n);

struct ocirun_exec_options
{
  const char *process_path; /* --process: the spec's process object */
  char **args;
  size_t args_len;
  bool tty;
  bool detach;
  const char *cwd;
  char **env;
  size_t env_len;
  const char *user; /* UID[:GID] */
  char **additional_gids;
  size_t additional_gids_len;
  char **caps;
  size_t caps_len;
  bool no_new_privs;
  const char *process_label;
  const char *apparmor;
  const char *pid_file;
  const char *cgroup; /* a sub-cgroup of the container's */
  bool ignore_paused;
};
/* Run a process in a running container; when not detached, wait and store
 * its exit status (128+N for a signal). ctx->console_socket and
 * ctx->preserve_fds apply. */
int ocirun_container_exec (struct ocirun_context *ctx, struct ocirun_exec_options *o, int *exit_status,
                           ocirun_error_t *err);

/* pause/resume (freezer), pids in the cgroup, update resources, stats JSON
 * (runc's `events --stats` data object). */
int ocirun_container_pause (struct ocirun_context *ctx, bool pause, ocirun_error_t *err);
int ocirun_container_pids (struct ocirun_context *ctx, pid_t **pids, size_t *n, ocirun_error_t *err);
int ocirun_container_update (struct ocirun_context *ctx, const oci_resources *r, ocirun_error_t *err);
int ocirun_container_stats (struct ocirun_context *ctx, char **json, ocirun_error_t *err);
int ocirun_container_oom_count (struct ocirun_context *ctx, unsigned long long *count, ocirun_error_t *err);

/* checkpoint/restore (criu.c): runc's flags of the same names */
struct ocirun_criu_options
{
  const char *image_path;          /* required (the CLI defaults it to ./checkpoint, as runc) */
  const char *work_path;           /* default: image_path */
  const char *parent_path;         /* checkpoint: previous images (pre-dump), relative to image_path */
  const char *manage_cgroups_mode; /* soft (default), full, strict, ignore */
  const char *lsm_profile;         /* restore */
  const char *lsm_mount_context;   /* restore */
  bool leave_running;
  bool pre_dump;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool auto_dedup;
  bool empty_ns_net; /* --empty-ns network */
};
/* Dump the container's process tree with criu.  Without leave_running (or
 * pre_dump) the container is then deleted, as runc does. */
int ocirun_container_checkpoint (struct ocirun_context *ctx, const struct ocirun_criu_options *o, ocirun_error_t *err);
/* Re-create container ctx->id from ctx->bundle and restore its tree from
 * the images; ctx->detach, ctx->pid_file apply.  In the foreground, waits
 * and stores the exit status (as run) and deletes the container. */
int ocirun_container_restore (struct ocirun_context *ctx, const struct ocirun_criu_options *o, int *exit_status,
                              ocirun_error_t *err);

/* Checks that the id is usable as a directory name and sane. */
int ocirun_validate_id (const char *id, ocirun_error_t *err);

#endif
