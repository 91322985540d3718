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

/* stage names for prctl(PR_SET_NAME) (DESIGN.md, style 6) */
#define STAGE_CHILD "ocirun:[child]"
#define STAGE_INIT "ocirun:[init]"

/* init.c: the child stage; never returns (execve or _exit). */
int ocirun_process_setup (struct ocirun_job *job, const oci_process *p, ocirun_error_t *err);
void ocirun_init_main (struct ocirun_job *job) __attribute__ ((noreturn));

/* namespaces.c */
const char *ocirun_ns_name (enum ocirun_ns ns);
int ocirun_ns_clone_flag (enum ocirun_ns ns);
int ocirun_ns_prepare (struct ocirun_job *job, ocirun_error_t *err);
int ocirun_ns_write_idmaps (struct ocirun_job *job, pid_t pid, ocirun_error_t *err);
int ocirun_ns_set_time_offsets (struct ocirun_job *job, ocirun_error_t *err);
int ocirun_ns_join (struct ocirun_job *job, ocirun_error_t *err);
uint64_t ocirun_ns_clone_flags (const struct ocirun_job *job);
int ocirun_ns_child_enter (struct ocirun_job *job, ocirun_error_t *err);
int ocirun_ns_fork_init (int sync_sock, ocirun_error_t *err);
int ocirun_ns_await_init (struct ocirun_job *job, int sync_sock, pid_t *pid, ocirun_error_t *err);
int ocirun_ns_recv_init_pid (int sync_sock, pid_t *pid, ocirun_error_t *err);

/* hooks.c */
enum ocirun_hook_kind
{
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
};
int ocirun_hooks_run (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json, ocirun_error_t *err);
void ocirun_hooks_run_all (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json);
/* createContainer, startContainer: from init, in the container's
 * namespaces; a hook without `env` gets process.env (as with runc) */
int ocirun_hooks_run_in_container (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json,
                                   const oci_process *p, ocirun_error_t *err);

/* process.c: the process' attributes, in the order init applies them */
int ocirun_process_validate (const oci_process *p, const char *where, ocirun_error_t *err);
int ocirun_rlimits_validate (const oci_process *p, const char *where, ocirun_error_t *err);
int ocirun_rlimits_apply (const oci_process *p, ocirun_error_t *err);
int ocirun_process_prepare (const oci_process *p, ocirun_error_t *err); /* oom, personality, scheduler, ioprio, umask */
int ocirun_personality_apply (const oci_linux *l, ocirun_error_t *err);
int ocirun_memory_policy_validate (const oci_linux *l, ocirun_error_t *err);
int ocirun_memory_policy_apply (const oci_linux *l, ocirun_error_t *err);
int ocirun_cpu_affinity_validate (const oci_process *p, const char *where, ocirun_error_t *err);
int ocirun_cpu_affinity_apply (const oci_process *p, bool final, ocirun_error_t *err);
void ocirun_process_setenv (oci_process *p, const char *kv);
int ocirun_user_apply (const oci_process *p, ocirun_error_t *err);
int ocirun_stdio_chown (uid_t uid, bool own_pty, ocirun_error_t *err);
int ocirun_rootfs_holder_private (const char *rootfs, ocirun_error_t *err);
int ocirun_keyring_new (const char *id, ocirun_error_t *err);
char *ocirun_find_executable (const oci_process *p, ocirun_error_t *err);
void ocirun_process_default_home (oci_process *p);
int ocirun_exec_process (const oci_process *p, const char *path, ocirun_error_t *err);

/* terminal.c */
int ocirun_terminal_setup_child (struct ocirun_job *job, int *master, ocirun_error_t *err);
int ocirun_console_socket_send (const char *path, int master, ocirun_error_t *err);
/* Foreground `run`/`exec` with a tty: copy between our stdio and the pty
 * master, forward signals read from sigfd (SIGWINCH resizes), until pid
 * exits; *status gets its wait status. */
int ocirun_terminal_proxy (int master, int sigfd, pid_t pid, int *status);

/* parent.c */
int ocirun_parent_wait_ready (int sock, const char *console_socket, const oci_seccomp *seccomp, const char *state_json,
                              int *master, ocirun_error_t *err);
void ocirun_foreground_prepare (sigset_t *mask, sigset_t *old);
int ocirun_wait_foreground (pid_t pid, int master, const sigset_t *mask, int *exit_code, ocirun_error_t *err);

#endif
