/* The sync socket between the runtime (`parent` stage) and the container's
 * first process (`child`/`init` stage).  A SOCK_SEQPACKET socketpair: each
 * message is one packet: a header, an optional payload, optional fds. */
#ifndef OCIRUN_SYNC_H
#define OCIRUN_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum sync_msg
{
  SYNC_CHILD_WANT_SETUP = 1,    /* child: I exist in my new namespaces; join me to the cgroup, write my id maps */
  SYNC_PARENT_SETUP_DONE,       /* parent: cgroup joined, id maps written: go on */
  SYNC_CHILD_CREATE_RUNTIME,    /* child: mounts ready, before pivot_root: run prestart + createRuntime hooks */
  SYNC_PARENT_HOOKS_DONE,       /* parent: those hooks ran; payload: the state JSON for the container's hooks */
  SYNC_CHILD_PTY,               /* child: the pty master (SCM_RIGHTS) for the console socket / foreground */
  SYNC_CHILD_SECCOMP_LISTENER,  /* child: the seccomp notify fd (SCM_RIGHTS) for linux.seccomp.listenerPath */
  SYNC_CHILD_READY,             /* child: set up; now waiting on the exec fifo for `start` */
  SYNC_CHILD_ERROR,             /* child: setup failed; errno in `err`, message as payload */
  SYNC_CHILD_INIT_PID,          /* child: I forked the real init/exec process (a pid namespace created after
                                   joining a user namespace); payload: its pid; I exit now */
  SYNC_PARENT_RECORDED,         /* parent: the state record says "created" (exec: the pid file is written):
                                   stop dying with me */
  SYNC_CHILD_DETACHED,          /* child: parent-death signal cleared: the runtime may exit now */
};

struct sync_hdr
{
  int32_t type;
  int32_t err;
  uint32_t len;
};

/* Send a message with an optional payload and an optional fd (-1 for none). */
int sync_send (int sock, enum sync_msg type, int errno_, const void *payload, size_t len, int fd);
/* Receive one message; *payload is malloc()ed (NUL-terminated) or NULL,
 * *fd receives a passed fd or -1.  Returns -1 on EOF/failure with err set. */
int sync_recv (int sock, struct sync_hdr *hdr, char **payload, int *fd, ocirun_error_t *err);
/* Receive and require a given type; a SYNC_CHILD_ERROR becomes *err. */
int sync_expect (int sock, enum sync_msg type, char **payload, int *fd, ocirun_error_t *err);
/* Child: report an error to the parent. */
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
#define ocirun_fault_point(name) ((void) 0)
#endif

#endif
