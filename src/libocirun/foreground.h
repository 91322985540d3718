/* A foreground `run`, `exec` or `restore`: the runtime stays, forwards
 * signals to the container's process and waits for it (foreground.c). */
#ifndef OCIRUN_FOREGROUND_H
#define OCIRUN_FOREGROUND_H

#include <signal.h>
#include <sys/types.h>

#include "error.h"

/* Become the subreaper of what we start and block the signals we forward
 * (and SIGCHLD) before the child exists, so none is lost. */
void ocirun_foreground_prepare (sigset_t *mask, sigset_t *old);
/* Wait for pid, forwarding the signals blocked in `mask` (SIGWINCH resizes
 * the pty) and proxying the pty when master >= 0.  *exit_code: the
 * process' status, 128+N when killed by signal N. */
int ocirun_wait_foreground (pid_t pid, int master, const sigset_t *mask, int *exit_code, ocirun_error_t *err);

#endif
