/* The `child`/`init` stage (init.c): the container's first process. */
#ifndef OCIRUN_INIT_H
#define OCIRUN_INIT_H

#include "error.h"
#include "job.h"
#include "oci_spec.h"

/* The process' side of setup, shared by init and exec (terminal, rlimits,
 * privileges, seccomp, fds). */
int ocirun_process_setup (struct ocirun_job *job, const oci_process *p, ocirun_error_t *err);
/* Right after clone; never returns (execve or _exit). */
void ocirun_init_main (struct ocirun_job *job) __attribute__ ((noreturn));
/* a small memory limit: setup and execve stay on one CPU (init.c says why) */
bool ocirun_init_pins_cpu (const oci_config *c);
void ocirun_init_unpin_after_exec (pid_t pid);

#endif
