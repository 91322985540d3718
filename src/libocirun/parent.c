/* Pieces of the parent stage shared by create/run and exec. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "job.h"
#include "sync.h"
#include "utils.h"

/* Until the child says it is ready, handle what it sends: its pty master
 * (to the console socket, or kept in *master for a foreground caller) and
 * its seccomp listener fd (to linux.seccomp.listenerPath, with the state). */
int
ocirun_parent_wait_ready (int sock, const char *console_socket, const oci_seccomp *seccomp, const char *state_json,
                          int *master, ocirun_error_t *err)
{
  struct sync_hdr hdr;
  *master = -1;
  for (;;)
    {
      cleanup_free char *payload = NULL;
      int fd = -1, r = 0;
      if (sync_recv (sock, &hdr, &payload, &fd, err) < 0)
        goto fail;
      switch (hdr.type)
        {
        case SYNC_CHILD_READY:
          if (fd >= 0)
            close (fd);
          ocirun_debug ("the child is ready");
          return 0;
        case SYNC_CHILD_ERROR:
          if (fd >= 0)
            close (fd);
          /* the child's message already carries strerror */
          ocirun_make_error (err, 0, "%s", payload ? payload : "container setup failed");
          (*err)->status = hdr.err;
          goto fail;
        case SYNC_CHILD_PTY:
          ocirun_debug ("received the pty master from the child");
          if (console_socket)
            {
              r = ocirun_console_socket_send (console_socket, fd, err);
              close (fd);
            }
          else if (*master < 0)
            *master = fd;
          else
            close (fd);
          break;
        case SYNC_CHILD_SECCOMP_LISTENER:
          ocirun_debug ("received the seccomp listener from the child");
          r = ocirun_seccomp_send_listener (seccomp, fd, state_json, err);
          close (fd);
          break;
        default:
          if (fd >= 0)
            close (fd);
          break;
        }
      if (r < 0)
        goto fail;
    }
fail:
  if (*master >= 0)
    close (*master);
  *master = -1;
  return -1;
}

/* Foreground run/exec: become the subreaper of what we start, and block
 * the signals we forward (and SIGCHLD) from before the child exists, so
 * none is lost; ocirun_wait_foreground reads them. */
void
ocirun_foreground_prepare (sigset_t *mask, sigset_t *old)
{
  static const int forward[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP };
  size_t i;
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  sigemptyset (mask);
  for (i = 0; i < ARRAY_SIZE (forward); i++)
    sigaddset (mask, forward[i]);
  sigaddset (mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, mask, old);
}

/* Foreground run/exec: wait for pid, forwarding the signals blocked in
 * `mask` (SIGWINCH resizes the pty) and proxying the pty when master >= 0.
 * *exit_code: the process' status, 128+N when killed by signal N. */
int
ocirun_wait_foreground (pid_t pid, int master, const sigset_t *mask, int *exit_code, ocirun_error_t *err)
{
  cleanup_close int sigfd = signalfd (-1, mask, SFD_CLOEXEC);
  int status = 0;

  if (sigfd < 0)
    return ocirun_make_error (err, errno, "signalfd");
  if (master >= 0)
    ocirun_terminal_proxy (master, sigfd, pid, &status);
  else
    for (;;)
      {
        struct signalfd_siginfo si;
        ssize_t r = read (sigfd, &si, sizeof si);
        if (r != sizeof si)
          {
            if (r < 0 && errno == EINTR)
              continue;
            break;
          }
        if (si.ssi_signo == SIGCHLD)
          {
            pid_t w;
            bool done = false;
            int st;
            /* we are a subreaper: reap everything, note our child's status */
            while ((w = waitpid (-1, &st, WNOHANG)) > 0)
              if (w == pid)
                {
                  status = st;
                  done = true;
                }
            if (done)
              break;
            continue;
          }
        kill (pid, (int) si.ssi_signo);
      }
  *exit_code = WIFEXITED (status) ? WEXITSTATUS (status) : WIFSIGNALED (status) ? 128 + WTERMSIG (status) : 255;
  return 0;
}
