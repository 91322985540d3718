/* The intermediate stage: see intermediate.h.  Two cases need it:
 *  - create, when the child joins a user namespace by path and creates a
 *    pid namespace (namespaces.c, ocirun_ns_child_enter): the child
 *    unshare()s the pid namespace, which only its children enter;
 *  - exec into a container with a pid namespace: the exec stage setns()es
 *    to it, which again only applies to its children (the runtime itself
 *    never joins it, exec.c says why).
 * runc's nsexec has the same extra process; youki names it `intermediate`. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "intermediate.h"
#include "job.h"
#include "sync.h"
#include "utils.h"

int
ocirun_intermediate_fork (int sync_sock, ocirun_error_t *err)
{
  int pfd[2];
  pid_t pid;
  int n;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return ocirun_make_error (err, errno, "pipe");
  pid = (pid_t) syscall (SYS_clone, (unsigned long) CLONE_PARENT, NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      n = errno;
      close (pfd[0]);
      close (pfd[1]);
      return ocirun_make_error (err, n, "fork the container process in its pid namespace");
    }
  if (pid == 0)
    {
      char c;
      /* our parent is the runtime (CLONE_PARENT): die with it, even when
       * it died before this line */
      sync_die_with_parent (sync_sock);
      close (pfd[1]);
      /* EOF once the intermediate exited */
      while (read (pfd[0], &c, 1) < 0 && errno == EINTR)
        ;
      close (pfd[0]);
      return 0;
    }
  /* the intermediate: say who goes on, and go */
  prctl (PR_SET_NAME, STAGE_INTERMEDIATE, 0, 0, 0);
  close (pfd[0]);
  if (sync_send_init_pid (sync_sock, pid, NULL) < 0)
    {
      kill (pid, SIGKILL);
      _exit (1);
    }
  _exit (0);
}

int
ocirun_intermediate_reap (int sync_sock, pid_t *pid, ocirun_error_t *err)
{
  pid_t next;
  if (sync_wait_for_init_pid (sync_sock, &next, err) < 0)
    return -1;
  while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
    ;
  *pid = next;
  return 0;
}
