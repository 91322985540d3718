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
  char *bundle; /* absolute */
  char *rootfs; /* absolute */
  char *state_dir;
  int sync_sock; /* child's end */
  int fifo_fd;   /* exec fifo, opened by the child */
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
  int *mount_trees;    /* mounts.c: per mounts[i], a tree the parent made before clone, or -1 */
  int *mount_ro_later; /* mounts.c: per mounts[i], a mount read-only once the devices exist, or -1 */
  bool rootfs_is_host; /* mounts.c: root.path is the host's "/" (no mount namespace): no devices */
};

/* stage names for prctl(PR_SET_NAME) (docs/design.md, style 6) */
#define STAGE_CHILD "ocirun:[child]"
#define STAGE_INIT "ocirun:[init]"
#define STAGE_INTERMEDIATE "ocirun:[interm]" /* comm holds 15 characters */
#define STAGE_EXEC "ocirun:[exec]"

#endif
