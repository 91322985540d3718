/* The intermediate stage (intermediate.c): a process that exists only when
 * the container's process must be born in a pid namespace its creator
 * cannot be in itself (unshare(CLONE_NEWPID) and setns() of a pid
 * namespace apply to children only).  It forks that process and exits. */
#ifndef OCIRUN_INTERMEDIATE_H
#define OCIRUN_INTERMEDIATE_H

#include <sys/types.h>

#include "error.h"

/* Child or exec stage, once in the pid namespace for its children: fork
 * the process that goes on, as the runtime's child (CLONE_PARENT).  The
 * caller becomes the intermediate: it sends that pid to the runtime and
 * _exit()s, never returning.  Returns 0 in the new process, once the
 * intermediate is gone (so its messages come after the intermediate's). */
int ocirun_intermediate_fork (int sync_sock, ocirun_error_t *err);
/* Parent: the pid of the process that goes on; reaps the intermediate
 * (*pid on entry) and sets *pid to that process. */
int ocirun_intermediate_reap (int sync_sock, pid_t *pid, ocirun_error_t *err);

#endif
