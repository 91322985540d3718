/* Defences of the process' last steps before execve that are not tied to
 * one spec section: the working directory and the fds the container gets
 * (the CVE-2024-21626 class). */
#ifndef OCIRUN_HARDENING_H
#define OCIRUN_HARDENING_H

#include "error.h"

/* An O_PATH fd of the directory `cwd` resolved inside the current root
 * ("/"), to fchdir to: no magic link (/proc/self/fd/N), no ".." above "/"
 * can take the process elsewhere.  Opened before the seccomp filter and
 * the uid change (init.c).  `field` names the config field in errors
 * ("process.cwd", "exec.cwd"). */
int ocirun_open_cwd_in_container (const char *cwd, const char *field, ocirun_error_t *err);

/* At the start of create/run/exec, before the runtime opens anything:
 * fill the holes in [3, 3 + n) with /dev/null, so that an fd the runtime
 * opens later can never land on a number the container inherits. */
int ocirun_preserved_fds_reserve (int n, ocirun_error_t *err);

/* main, right after the global options and before anything is opened, for
 * the verbs that start container processes (create, run, exec): reserve
 * the preserved fds (--preserve-fds, LISTEN_FDS) and keep argv for the
 * runtime binary's guard (exe_guard.c).  argv is main's, argv[verb] the verb. */
int ocirun_startup_hardening (char **argv, int verb, ocirun_error_t *err);

#endif
