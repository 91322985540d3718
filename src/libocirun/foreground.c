/* A foreground run, exec or restore: forward signals, proxy the pty, wait
 * (foreground.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "foreground.h"
#include "terminal.h"
#include "utils.h"

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
