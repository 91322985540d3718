/* process.terminal: the pty, the console socket, the foreground proxy
 * (terminal.c). */
#ifndef OCIRUN_TERMINAL_H
#define OCIRUN_TERMINAL_H

#include <sys/types.h>

#include "error.h"
#include "job.h"

int ocirun_terminal_setup_child (struct ocirun_job *job, int *master, ocirun_error_t *err);
int ocirun_console_socket_send (const char *path, int master, ocirun_error_t *err);
/* Foreground `run`/`exec` with a tty: copy between our stdio and the pty
 * master, forward signals read from sigfd (SIGWINCH resizes), until pid
 * exits; *status gets its wait status. */
int ocirun_terminal_proxy (int master, int sigfd, pid_t pid, int *status);

#endif
