/* CVE-2019-5736: keep the container from overwriting the runtime binary
 * through /proc/<pid>/exe of a runtime process that enters it. */
#ifndef OCIRUN_EXE_GUARD_H
#define OCIRUN_EXE_GUARD_H

#include <stdbool.h>

#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

/* true when /proc/self/exe cannot be written through: a sealed memfd, or
 * a file on a read-only mount */
bool ocirun_exe_is_safe (void);

/* main: remember argv for a later re-exec */
void ocirun_exe_guard_init (char **argv);

/* false when the container has a user namespace of its own: its
 * capabilities then never reach a runtime process' /proc/<pid>/exe */
bool ocirun_exe_guard_reachable (const oci_config *c);

/* Could processes of a container with this config (and this process to
 * run) open /proc/<pid>/exe of a runtime process entering it?  Only with
 * CAP_SYS_PTRACE in the initial user namespace: no user namespace of its
 * own, and CAP_SYS_PTRACE in some capability set of `p` (or no
 * process.capabilities at all: the runtime's own are kept). */
bool ocirun_exe_guard_needed (const oci_config *c, const oci_process *p);

/* `exec`: does a process already in the container have CAP_SYS_PTRACE in
 * its bounding set (an earlier `exec --cap`, a process.json)? */
bool ocirun_exe_guard_pids_need (const pid_t *pids, size_t n);

/* Make a later re-exec see `replacement` where main's argv had the string
 * `arg` (a pointer into argv, as getopt's optarg: `-p F`, `-pF` and
 * `--process=F` all work).  For arguments that cannot be read twice. */
void ocirun_exe_guard_replace_arg (const char *arg, const char *replacement);

/* Re-exec ourselves (main's argv) from a sealed memfd copy of
 * /proc/self/exe unless ocirun_exe_is_safe().  Returns 0 when nothing is
 * to be done; otherwise does not return unless it failed. */
int ocirun_exe_guard (ocirun_error_t *err);

#endif
