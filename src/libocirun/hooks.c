/* hooks (config.md#posix-platform-hooks): each hook runs with the state
 * JSON on its stdin, its own args and env, and an optional timeout. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "hooks.h"
#include "job.h"
#include "utils.h"

static const char *const hook_names[] = {
  [HOOK_PRESTART] = "prestart",
  [HOOK_CREATE_RUNTIME] = "createRuntime",
  [HOOK_CREATE_CONTAINER] = "createContainer",
  [HOOK_START_CONTAINER] = "startContainer",
  [HOOK_POSTSTART] = "poststart",
  [HOOK_POSTSTOP] = "poststop",
};

static void
hook_list (const oci_hooks *h, enum ocirun_hook_kind kind, oci_hook **list, size_t *n)
{
  switch (kind)
    {
    case HOOK_PRESTART:
      *list = h->prestart, *n = h->prestart_len;
      break;
    case HOOK_CREATE_RUNTIME:
      *list = h->create_runtime, *n = h->create_runtime_len;
      break;
    case HOOK_CREATE_CONTAINER:
      *list = h->create_container, *n = h->create_container_len;
      break;
    case HOOK_START_CONTAINER:
      *list = h->start_container, *n = h->start_container_len;
      break;
    case HOOK_POSTSTART:
      *list = h->poststart, *n = h->poststart_len;
      break;
    default:
      *list = h->poststop, *n = h->poststop_len;
      break;
    }
}

/* wait for pid up to timeout_ms (< 0: forever); 1 = timed out */
static int
wait_hook (pid_t pid, int timeout_ms, int *status)
{
  int pidfd;
  if (timeout_ms < 0)
    {
      while (waitpid (pid, status, 0) < 0)
        if (errno != EINTR)
          return -1;
      return 0;
    }
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      int r;
      do
        r = poll (&p, 1, timeout_ms);
      while (r < 0 && errno == EINTR);
      close (pidfd);
      if (r == 0)
        return 1;
      while (waitpid (pid, status, 0) < 0)
        if (errno != EINTR)
          return -1;
      return 0;
    }
  /* no pidfd: poll waitpid */
  {
    int waited = 0;
    for (;;)
      {
        pid_t r = waitpid (pid, status, WNOHANG);
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        if (r == pid)
          return 0;
        if (r < 0 && errno != EINTR)
          return -1;
        if (waited >= timeout_ms)
          return 1;
        nanosleep (&ts, NULL);
        waited += 5;
      }
  }
}

/* `inherit`: the environment of a hook without `env` (NULL-terminated) */
static int
run_one (const oci_hook *h, const char *kind, size_t idx, const char *state, char *const *inherit, ocirun_error_t *err)
{
  cleanup_close int in = memfd_create ("ocirun-hook-state", MFD_CLOEXEC);
  cleanup_free char **argv = NULL;
  cleanup_free char **envp = NULL;
  size_t i;
  pid_t pid;
  int status = 0, r, errpipe[2];

  if (in < 0)
    return ocirun_make_error (err, errno, "hooks.%s[%zu]: memfd_create", kind, idx);
  if (state && write_all (in, state, strlen (state)) < 0)
    return ocirun_make_error (err, errno, "hooks.%s[%zu]: write the state", kind, idx);
  lseek (in, 0, SEEK_SET);

  argv = xmalloc0 ((h->args_len + 2) * sizeof (char *));
  if (h->args_len == 0)
    argv[0] = h->path;
  for (i = 0; i < h->args_len; i++)
    argv[i] = h->args[i];
  envp = xmalloc0 ((h->env_len + 1) * sizeof (char *));
  for (i = 0; i < h->env_len; i++)
    envp[i] = h->env[i];

  /* the child reports a failed execve through a close-on-exec pipe, so
   * the error is said once, by us */
  if (pipe2 (errpipe, O_CLOEXEC) < 0)
    return ocirun_make_error (err, errno, "hooks.%s[%zu]: pipe", kind, idx);
  pid = fork ();
  if (pid < 0)
    {
      close (errpipe[0]);
      close (errpipe[1]);
      return ocirun_make_error (err, errno, "hooks.%s[%zu]: fork", kind, idx);
    }
  if (pid == 0)
    {
      int e;
      ocirun_reset_signals ();
      if (dup2 (in, 0) < 0)
        _exit (127);
      /* hooks[].env absent: the inherited environment, as runc (Go's
       * exec.Cmd with a nil Env); present, even empty: exactly that */
      execve (h->path, argv, h->env ? envp : inherit);
      e = errno;
      if (write (errpipe[1], &e, sizeof e) < 0)
        _exit (127);
      _exit (127);
    }
  close (errpipe[1]);
  {
    int e = 0;
    ssize_t n;
    do
      n = read (errpipe[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close (errpipe[0]);
    if (n == sizeof e)
      {
        waitpid (pid, NULL, 0);
        return ocirun_make_error (err, e, "hooks.%s[%zu]: exec `%s`", kind, idx, h->path);
      }
  }
  r = wait_hook (pid, h->has_timeout ? (int) (h->timeout * 1000) : -1, &status);
  if (r == 1)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      return ocirun_make_error (err, 0, "hooks.%s[%zu]: `%s` timed out after %llds", kind, idx, h->path,
                                (long long) h->timeout);
    }
  if (r < 0)
    return ocirun_make_error (err, errno, "hooks.%s[%zu]: wait for `%s`", kind, idx, h->path);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status))
    return ocirun_make_error (err, 0, "hooks.%s[%zu]: `%s` exited with status %d", kind, idx, h->path,
                              WEXITSTATUS (status));
  return ocirun_make_error (err, 0, "hooks.%s[%zu]: `%s` killed by signal %d", kind, idx, h->path, WTERMSIG (status));
}

/* Run every hook of a kind, in order; stop at the first failure.  A hook
 * without `env` gets `inherit`. */
static int
run_kind (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json, char *const *inherit,
          ocirun_error_t *err)
{
  oci_hook *list;
  size_t n, i;
  hook_list (hooks, kind, &list, &n);
  for (i = 0; i < n; i++)
    {
      ocirun_debug ("running hook %s[%zu] `%s`", hook_names[kind], i, list[i].path);
      if (run_one (&list[i], hook_names[kind], i, state_json, inherit, err) < 0)
        return -1;
    }
  return 0;
}

int
ocirun_hooks_run (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json, ocirun_error_t *err)
{
  if (hooks == NULL)
    return 0;
  return run_kind (hooks, kind, state_json, environ, err);
}

int
ocirun_hooks_run_in_container (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json,
                               const oci_process *p, ocirun_error_t *err)
{
  cleanup_free char **env = NULL;
  size_t i;
  if (hooks == NULL)
    return 0;
  /* runc's init has set the process' environment on itself when it runs
   * these, so a hook without `env` sees process.env */
  env = xmalloc0 (((p ? p->env_len : 0) + 1) * sizeof (char *));
  for (i = 0; p && i < p->env_len; i++)
    env[i] = p->env[i];
  return run_kind (hooks, kind, state_json, env, err);
}

/* poststop: every hook runs; a failure is a warning (runtime.md step 13) */
void
ocirun_hooks_run_all (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json)
{
  oci_hook *list;
  size_t n, i;
  if (hooks == NULL)
    return;
  hook_list (hooks, kind, &list, &n);
  for (i = 0; i < n; i++)
    {
      ocirun_error_t err = NULL;
      if (run_one (&list[i], hook_names[kind], i, state_json, environ, &err) < 0)
        {
          ocirun_warning ("%s", err->msg);
          ocirun_error_release (&err);
        }
    }
}
