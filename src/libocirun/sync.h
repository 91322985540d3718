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

#endif
