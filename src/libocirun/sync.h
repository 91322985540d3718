/* The sync socket between the runtime (`parent` stage) and the container's
 * first process (`child`/`init` stage).  A SOCK_SEQPACKET socketpair: each
 * message is one packet: a header, an optional payload, optional fds. */
#ifndef OCIRUN_SYNC_H
#define OCIRUN_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum sync_msg
{
  SYNC_CHILD_WANT_SETUP = 1,   /* child: I exist in my new namespaces; join me to the cgroup, write my id maps */
  SYNC_PARENT_SETUP_DONE,      /* parent: cgroup joined, id maps written: go on */
  SYNC_CHILD_CREATE_RUNTIME,   /* child: mounts ready, before pivot_root: run prestart + createRuntime hooks */
  SYNC_PARENT_HOOKS_DONE,      /* parent: those hooks ran; payload: the state JSON for the container's hooks */
  SYNC_CHILD_PTY,              /* child: the pty master (SCM_RIGHTS) for the console socket / foreground */
  SYNC_CHILD_SECCOMP_LISTENER, /* child: the seccomp notify fd (SCM_RIGHTS) for linux.seccomp.listenerPath */
  SYNC_CHILD_READY,            /* child: set up; now waiting on the exec fifo for `start` */
  SYNC_CHILD_ERROR,            /* child: setup failed; errno in `err`, message as payload */
  SYNC_CHILD_INIT_PID,         /* child: I forked the real init/exec process (a pid namespace created after
                                  joining a user namespace); payload: its pid; I exit now */
  SYNC_PARENT_RECORDED,        /* parent: the state record says "created" (exec: the pid file is written):
                                  stop dying with me */
  SYNC_CHILD_DETACHED,         /* child: parent-death signal cleared: the runtime may exit now */
};

struct sync_hdr
{
  int32_t type;
  int32_t err;
  uint32_t len;
};

/* ---- the messages, one function each, in the order they flow ----
 * Every function fills *err on failure.  A wait that gets SYNC_CHILD_ERROR
 * instead returns the child's message with its errno in (*err)->status; a
 * wait that gets EOF (the other side died) fails too: both sides treat
 * that as "abort".  docs/architecture.md has the picture. */

/* child, exec: I exist in my namespaces (SYNC_CHILD_WANT_SETUP) */
int sync_ask_for_setup (int sock, ocirun_error_t *err);
/* parent: wait for that */
int sync_wait_for_setup_request (int sock, ocirun_error_t *err);
/* parent: cgroup joined, id maps written, net devices moved (SYNC_PARENT_SETUP_DONE) */
int sync_send_setup_done (int sock, ocirun_error_t *err);
/* child, exec: wait for the cgroup and the id maps */
int sync_wait_for_idmaps (int sock, ocirun_error_t *err);

/* intermediate: the pid of the process that goes on (SYNC_CHILD_INIT_PID) */
int sync_send_init_pid (int sock, pid_t pid, ocirun_error_t *err);
/* parent: wait for it */
int sync_wait_for_init_pid (int sock, pid_t *pid, ocirun_error_t *err);

/* child: mounts ready, run prestart + createRuntime (SYNC_CHILD_CREATE_RUNTIME) */
int sync_ask_for_runtime_hooks (int sock, ocirun_error_t *err);
/* parent: wait for that */
int sync_wait_for_hooks_request (int sock, ocirun_error_t *err);
/* parent: the hooks ran; the state JSON for the container's own hooks (SYNC_PARENT_HOOKS_DONE) */
int sync_send_hooks_done (int sock, const char *state_json, ocirun_error_t *err);
/* child: wait for that; *state_json is malloc()ed */
int sync_wait_for_hooks_done (int sock, char **state_json, ocirun_error_t *err);

/* child, exec: the pty master (SYNC_CHILD_PTY) */
int sync_send_pty (int sock, int master, ocirun_error_t *err);
/* child, exec: the seccomp notify fd (SYNC_CHILD_SECCOMP_LISTENER) */
int sync_send_seccomp_listener (int sock, int listener, ocirun_error_t *err);
/* child, exec: set up, waiting for `start` (SYNC_CHILD_READY) */
int sync_send_ready (int sock, ocirun_error_t *err);
/* parent: wait for SYNC_CHILD_READY; each fd sent before it (type
 * SYNC_CHILD_PTY or SYNC_CHILD_SECCOMP_LISTENER) goes to on_fd, which owns
 * it from then on; on_fd < 0 stops the wait. */
typedef int (*sync_fd_handler) (void *data, enum sync_msg type, int fd, ocirun_error_t *err);
int sync_wait_for_ready (int sock, sync_fd_handler on_fd, void *data, ocirun_error_t *err);

/* child, exec: setup failed: errno and message to the parent (SYNC_CHILD_ERROR) */
void sync_send_error (int sock, ocirun_error_t *err);

/* Child stages, first thing after clone/fork (with the runtime's end of
 * the socket already closed in this process): die with the runtime.
 * PR_SET_PDEATHSIG only covers a parent that dies from now on; a parent
 * that died before is seen as the socket's hang-up (getppid() cannot tell:
 * it is 0 in a new pid namespace).  The kernel clears the parent-death
 * signal on a credential change (commit_creds), so this is a fast path
 * only: what guarantees the child never outlives a dead runtime before it
 * is recorded is that every wait on the socket treats EOF as "abort". */
void sync_die_with_parent (int sock);
/* Child stages, after SYNC_CHILD_READY: wait for SYNC_PARENT_RECORDED,
 * clear the parent-death signal, answer SYNC_CHILD_DETACHED.  Returns -1
 * (the caller _exit()s) when the runtime is gone or sent something else. */
int sync_child_detach (int sock);
/* Parent: the other side of sync_child_detach. */
int sync_parent_release (int sock, ocirun_error_t *err);

/* Fault injection, compiled only with configure --enable-fault-injection
 * (a test build): every fault point of the runtime process (not of its
 * children) counts; OCIRUN_FAULT_STEP=N makes the runtime SIGKILL itself
 * at its N-th point (OCIRUN_FAULT_ACTION=stop: SIGSTOP instead), and
 * OCIRUN_FAULT_TRACE=1 prints "ocirun-fault: N NAME" to stderr for each.
 * Points: each sync message sent (before) or received (after), each state
 * record write, and named steps of start and delete. */
#ifdef OCIRUN_FAULT_INJECTION
void ocirun_fault_point (const char *name);
#else
#  define ocirun_fault_point(name) ((void) 0)
#endif

#endif
