/* The per-container state directory under the runtime root:
 *   <root>/<id>/state.json    the spec state (status as last recorded)
 *   <root>/<id>/runtime       private key=value record (start time, cgroup...)
 *   <root>/<id>/config.json   the config the container was created from
 *   <root>/<id>/exec.fifo     the create/start handshake (only while created)
 * Every command on a container holds flock(LOCK_EX) on the directory, so
 * concurrent commands on one container serialize. */
#ifndef OCIRUN_STATUS_H
#define OCIRUN_STATUS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

struct ocirun_status
{
  int dirfd; /* locked state dir */
  char *dir;
  oci_state *state;
  unsigned long long start_time; /* of the init pid, to detect pid reuse */
  char *created;
  char *cgroup; /* ocirun_cgroup_save() */
  char *rootfs;
  bool terminal;
  bool has_seccomp_listener;
  bool busy;            /* read-only load while another command holds the lock */
  char *written_record; /* the "runtime" record as last written/read */
  bool incomplete;      /* locked, but no usable state.json: what a create (or a
                           delete) killed half-way left; the load failed */
  int config_needs;     /* OCIRUN_NEEDS_* bits, or -1: unknown (a record written
                           before the key), the saved config.json must be read */
};

/* What `start` and `delete` need from the saved config.json, recorded at
 * create ("needs=" in the runtime record) so that without them they do
 * not read and parse it: for a big config that is milliseconds. */
#define OCIRUN_NEEDS_POSTSTART (1 << 0) /* poststart hooks */
#define OCIRUN_NEEDS_POSTSTOP (1 << 1)  /* poststop hooks */
#define OCIRUN_NEEDS_UNPIN (1 << 2)     /* the init was pinned to a CPU (init.c) */
/* Must the saved config be read for these needs? (unknown: yes) */
bool ocirun_status_needs_config (const struct ocirun_status *st, int needs);

/* mkdir the state dir (EEXIST -> "container `id` already exists") and lock it. */
int ocirun_status_create (const char *root, const char *id, struct ocirun_status *st, ocirun_error_t *err);
/* Open + lock an existing container's state dir and read its record. */
int ocirun_status_load (const char *root, const char *id, struct ocirun_status *st, ocirun_error_t *err);
/* For state/list: never wait for the lock (a hook of a create in progress
 * may call `state`); st->busy tells that another command holds it. */
int ocirun_status_load_readonly (const char *root, const char *id, struct ocirun_status *st, ocirun_error_t *err);
int ocirun_status_write (struct ocirun_status *st, ocirun_error_t *err);
/* Live status: "stopped" when the recorded pid is gone (or reused),
 * "paused" when the cgroup is frozen, "running" for a "created" record
 * whose init runs the program already (a `start` killed before recording
 * it), "creating" for an interrupted create while something of it is left
 * (process or cgroup member), else the recorded status. */
const char *ocirun_status_live (struct ocirun_status *st);
/* The recorded pid is alive and is still the container's (start time). */
bool ocirun_status_pid_alive (struct ocirun_status *st);
int ocirun_status_remove (const char *root, struct ocirun_status *st, ocirun_error_t *err);
void ocirun_status_release (struct ocirun_status *st);

int ocirun_state_dir_ensure (const char *root, ocirun_error_t *err);

#endif
