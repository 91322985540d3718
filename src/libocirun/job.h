/* What the parent stage hands to the child/init stage (the child is a
 * clone of the parent's memory: no serialisation needed). */
#ifndef OCIRUN_JOB_H
#define OCIRUN_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "cgroup.h"
#include "container.h"
#include "error.h"
#include "oci_spec.h"
#include "seccomp.h"

/* index into job->ns_fds */
enum ocirun_ns
{
  NS_USER,
  NS_MNT,
  NS_PID,
  NS_NET,
  NS_IPC,
  NS_UTS,
  NS_CGROUP,
  NS_TIME,
  NS_COUNT
};

struct ocirun_job
{
  struct ocirun_context *ctx;
  oci_config *config;
  char *bundle;        /* absolute */
  char *rootfs;        /* absolute */
  char *state_dir;
  int sync_sock;       /* child's end */
  int fifo_fd;         /* exec fifo, opened by the child */
  /* init: start.err, opened (empty) during setup, where a failure after
   * `start` is left for `start` to read.  Not the state directory: the
   * init waits for `start` inside the container, and a container process
   * with CAP_SYS_PTRACE could walk out of a directory fd via /proc/1/fd. */
  int start_err_fd;
  int ns_fds[NS_COUNT];  /* namespaces to join (linux.namespaces[].path), -1 otherwise */
  bool ns_new[NS_COUNT]; /* namespaces to create */
  ocirun_seccomp_filter *seccomp;
  ocirun_cgroup *cgroup;
  char *exec_path;     /* args[0] resolved in the container (init side) */
  bool is_exec;        /* joining a running container (exec) */
};

/* stage names for prctl(PR_SET_NAME) (DESIGN.md, style 6) */
#define STAGE_CHILD "ocirun:[child]"
#define STAGE_INIT "ocirun:[init]"
#define STAGE_INTERMEDIATE "ocirun:[interm]" /* comm holds 15 characters */
#define STAGE_EXEC "ocirun:[exec]"

/* mounts.c */
int ocirun_open_in_root (int rootfd, const char *path, int flags, mode_t create_type, ocirun_error_t *err);
int ocirun_rootfs_prepare (struct ocirun_job *job, int *rootfd, ocirun_error_t *err);
int ocirun_rootfs_pivot (struct ocirun_job *job, int rootfd, ocirun_error_t *err);
int ocirun_rootfs_finalize (struct ocirun_job *job, ocirun_error_t *err);
bool ocirun_own_mount_ns (const struct ocirun_job *job);
void ocirun_rootfs_release_shared (const char *state_dir);
const char *ocirun_mount_option_name (size_t i);
bool ocirun_mount_has_idmap (const oci_mount *m);
/* a bind mount: type "bind" or a bind/rbind option */
bool ocirun_mount_is_bind (const oci_mount *m);
int ocirun_mounts_prepare_idmapped (struct ocirun_job *job, ocirun_error_t *err); /* parent, before clone */
void ocirun_mounts_release_idmapped (void);
int ocirun_mount_parse_options (char **options, size_t n, unsigned long *flags, char **data, ocirun_error_t *err);

/* devices.c */
int ocirun_devices_create (struct ocirun_job *job, int rootfd, ocirun_error_t *err);
int ocirun_dev_symlinks (int rootfd, ocirun_error_t *err);

/* caps.c */
int ocirun_caps_validate (const oci_capabilities *c, const char *where, ocirun_error_t *err);
int ocirun_caps_apply (const oci_capabilities *c, ocirun_error_t *err);
int ocirun_caps_drop_bounding (const oci_capabilities *c, ocirun_error_t *err);
int ocirun_caps_set_ambient (const oci_capabilities *c, ocirun_error_t *err);
int ocirun_cap_from_name (const char *name);
int ocirun_cap_last (void);
extern const char *const ocirun_cap_names[];
extern const int ocirun_cap_names_len;

/* sysctl.c */
int ocirun_sysctl_validate (const oci_config *c, ocirun_error_t *err);
int ocirun_sysctl_apply (const oci_config *c, ocirun_error_t *err);

/* validate.c */
int ocirun_config_validate (const oci_config *c, bool need_process, ocirun_error_t *err);

#endif
