/* `exec`: run one more process in a running container (the `exec` stage).
 * It joins every namespace of the container's init through a pidfd
 * (setns(pidfd, flags), one atomic call), its cgroup, and gets the same
 * process treatment as the init (caps, seccomp, rlimits, user, fds). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "caps.h"
#include "exe_guard.h"
#include "job.h"
#include "rlimits.h"
#include "status.h"
#include "sync.h"
#include "userns.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static char **
strv_dup (char *const *v, size_t n)
{
  char **r = xmalloc0 ((n + 1) * sizeof (char *));
  size_t i;
  for (i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

static void
strv_free (char **v, size_t n)
{
  size_t i;
  for (i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

static void
strv_append (char ***v, size_t *n, const char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof (char *));
  if (nv == NULL)
    abort ();
  nv[*n] = xstrdup (s);
  nv[*n + 1] = NULL;
  *v = nv;
  (*n)++;
}

static int
parse_id (const char *s, uint32_t *out)
{
  long long v;
  if (parse_int64 (s, &v) < 0 || v < 0 || v > UINT32_MAX)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

static oci_process *
process_from_stream (struct ocirun_exec_options *o, char **perr, ocirun_error_t *err)
{
  cleanup_free char *raw = NULL;
  cleanup_close int mfd = -1;
  char path[64];
  size_t len = 0;

  if (read_all_file (o->process_path, &raw, &len, err) < 0)
    return NULL;
  mfd = (int) syscall (SYS_memfd_create, "ocirun-process.json", 0);
  if (mfd < 0 || write_all (mfd, raw, len) < 0)
    {
      ocirun_make_error (err, errno, "process.json: keep a copy of `%s`", o->process_path);
      return NULL;
    }
  snprintf (path, sizeof path, "/proc/self/fd/%d", mfd);
  ocirun_exe_guard_replace_arg (o->process_path, path);
  steal_fd (&mfd); /* until our exit or the re-exec */
  return oci_process_parse_data (raw, len, "process.json", perr);
}

/* The process to run: process.json as given, or the container's own
 * process with the command-line overrides (runc's behaviour). */
static int
build_process (oci_config *config, struct ocirun_exec_options *o, ocirun_error_t *err)
{
  oci_process *p;
  size_t i;

  if (o->process_path)
    {
      char *perr = NULL;
      struct stat sb;
      if (stat (o->process_path, &sb) == 0 && !S_ISREG (sb.st_mode))
        {
          /* a pipe (`--process <(...)`, /dev/stdin) can be read once: keep
           * what it held in a memfd that a re-exec (exe_guard) reads again */
          p = process_from_stream (o, &perr, err);
          if (p == NULL && perr == NULL)
            return -1;
        }
      else
        p = oci_process_parse_file (o->process_path, "process.json", &perr);
      if (p == NULL)
        {
          ocirun_make_error (err, 0, "%s", perr ? perr : "process.json: invalid");
          free (perr);
          return -1;
        }
      oci_process_free (config->process);
      config->process = p;
      return ocirun_process_validate (p, "process.json", err);
    }

  p = config->process;
  if (p == NULL)
    return ocirun_make_error (err, 0, "the container's config has no process to copy defaults from");
  if (o->args_len == 0)
    return ocirun_make_error (err, 0, "exec: no command given (use `exec ID -- CMD ...` or --process)");
  strv_free (p->args, p->args_len);
  p->args = strv_dup (o->args, o->args_len);
  p->args_len = o->args_len;
  p->terminal = o->tty;
  /* the container's consoleSize is about its own terminal */
  free (p->console_size);
  p->console_size = NULL;
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (i = 0; i < o->env_len; i++)
    ocirun_process_setenv (p, o->env[i]);
  if (o->user)
    {
      cleanup_free char *u = xstrdup (o->user);
      char *colon = strchr (u, ':');
      if (colon)
        *colon++ = '\0';
      if (parse_id (u, &p->user.uid) < 0 || (colon && parse_id (colon, &p->user.gid) < 0))
        return ocirun_make_error (err, 0, "exec --user: expected UID[:GID] as numbers, got `%s`", o->user);
      if (!colon)
        p->user.gid = 0;
    }
  if (o->additional_gids_len)
    {
      free (p->user.additional_gids);
      p->user.additional_gids = xmalloc0 (o->additional_gids_len * sizeof (uint32_t));
      p->user.additional_gids_len = o->additional_gids_len;
      for (i = 0; i < o->additional_gids_len; i++)
        if (parse_id (o->additional_gids[i], &p->user.additional_gids[i]) < 0)
          return ocirun_make_error (err, 0, "exec --additional-gids: expected a number, got `%s`",
                                    o->additional_gids[i]);
    }
  if (o->caps_len)
    {
      if (p->capabilities == NULL)
        p->capabilities = xmalloc0 (sizeof (oci_capabilities));
      for (i = 0; i < o->caps_len; i++)
        {
          if (ocirun_cap_from_name (o->caps[i]) < 0)
            return ocirun_make_error (err, 0, "exec --cap: unknown capability `%s`", o->caps[i]);
          strv_append (&p->capabilities->bounding, &p->capabilities->bounding_len, o->caps[i]);
          strv_append (&p->capabilities->effective, &p->capabilities->effective_len, o->caps[i]);
          strv_append (&p->capabilities->permitted, &p->capabilities->permitted_len, o->caps[i]);
        }
    }
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  return ocirun_process_validate (p, "exec", err);
}

static int
ns_flags_of (const oci_config *c)
{
  int flags = 0;
  size_t i;
  for (i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    {
      const char *t = c->linux_->namespaces[i].type;
      int k;
      for (k = 0; k < NS_COUNT; k++)
        if (strcmp (t, ocirun_ns_name ((enum ocirun_ns) k)) == 0)
          flags |= ocirun_ns_clone_flag ((enum ocirun_ns) k);
    }
  return flags;
}

static void __attribute__ ((noreturn))
exec_child (struct ocirun_job *job, int pidfd, int nsflags, int rootfd)
{
  ocirun_error_t err = NULL;
  const oci_process *p = job->config->process;

  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl (PR_SET_NAME, "ocirun:[exec]", 0, 0, 0);
  if (sync_send (job->sync_sock, SYNC_CHILD_WANT_SETUP, 0, NULL, 0, -1) < 0)
    _exit (1);
  if (sync_expect (job->sync_sock, SYNC_PARENT_SETUP_DONE, NULL, NULL, &err) < 0)
    _exit (1);
  /* every namespace at once, the pid namespace too: it only applies to
   * children, so we fork once more (a sibling of ours, the runtime's child).
   * The runtime itself never joins it: whatever it forks later (hooks,
   * LeakSanitizer's exit-time tracer) stays in its own pid namespace, which
   * root of a user namespace could not re-enter. */
  if (nsflags && setns (pidfd, nsflags) < 0)
    {
      ocirun_make_error (&err, errno, "join the container's namespaces");
      goto fail;
    }
  close (pidfd);
  if ((nsflags & CLONE_NEWPID) && ocirun_ns_fork_init (job->sync_sock, &err) < 0)
    goto fail;
  if ((nsflags & CLONE_NEWNS) && chdir ("/") < 0)
    {
      ocirun_make_error (&err, errno, "chdir to the container's `/`");
      goto fail;
    }
  /* no mount namespace of its own: the init is chrooted in the rootfs
   * (mounts.c), and so are we */
  if (rootfd >= 0 && (fchdir (rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0))
    {
      ocirun_make_error (&err, errno, "chroot to the container's root");
      goto fail;
    }
  if (ocirun_process_setup (job, p, &err) < 0)
    goto fail;
  if (sync_send (job->sync_sock, SYNC_CHILD_READY, 0, NULL, 0, -1) < 0)
    _exit (1);
  /* outlive the runtime only once it wrote the pid file (sync.h) */
  if (sync_child_detach (job->sync_sock) < 0)
    _exit (1);
  close (job->sync_sock);
  ocirun_exec_process (p, job->exec_path, &err);
  ocirun_log (OCIRUN_LOG_ERROR, "%s", err->msg);
  _exit (127);
fail:
  sync_send_error (job->sync_sock, &err);
  _exit (1);
}

int
ocirun_container_exec (struct ocirun_context *ctx, struct ocirun_exec_options *o, int *exit_status,
                       ocirun_error_t *err)
{
  struct ocirun_status st;
  struct ocirun_job job;
  cleanup_free char *config_path = NULL;
  cleanup_free char *raw = NULL;
  cleanup_close int pidfd = -1;
  cleanup_close int rootfd = -1;
  cleanup_free char *state = NULL;
  oci_config *config = NULL;
  ocirun_cgroup *cg = NULL;
  char *perr = NULL;
  const char *live;
  sigset_t mask, old;
  int sv[2] = { -1, -1 };
  int master = -1, nsflags, ret = -1, k;
  pid_t pid = -1, init_pid;
  unsigned long long start_time;

  *exit_status = 0;
  memset (&job, 0, sizeof job);
  for (k = 0; k < NS_COUNT; k++)
    job.ns_fds[k] = -1;
  job.sync_sock = -1;
  job.fifo_fd = -1;

  if (ocirun_validate_id (ctx->id, err) < 0)
    return -1;
  /* read what we need under the lock, then let other commands go on */
  if (ocirun_status_load (ctx->root, ctx->id, &st, err) < 0)
    {
      ocirun_status_release (&st);
      return -1;
    }
  live = ocirun_status_live (&st);
  if (strcmp (live, "running") != 0 && strcmp (live, "created") != 0
      && !(strcmp (live, "paused") == 0 && o->ignore_paused))
    {
      ocirun_make_error (err, 0, "container `%s` is %s: cannot exec in it%s", ctx->id, live,
                         strcmp (live, "paused") == 0 ? " (use --ignore-paused)" : "");
      ocirun_status_release (&st);
      return -1;
    }
  init_pid = st.state->pid;
  {
    /* for the seccomp agent: the container's state, as for the init */
    oci_state cur = *st.state;
    cur.status = (char *) live;
    state = oci_state_generate (&cur, false);
  }
  start_time = st.start_time;
  if (st.cgroup && *st.cgroup && ocirun_cgroup_load (st.cgroup, &cg, err) < 0)
    {
      ocirun_status_release (&st);
      return -1;
    }
  xasprintf (&config_path, "%s/config.json", st.dir);
  ocirun_status_release (&st);

  if (read_all_file (config_path, &raw, NULL, err) < 0)
    goto out;
  config = oci_config_parse_data (raw, strlen (raw), "config.json", &perr);
  if (config == NULL)
    {
      ocirun_make_error (err, 0, "%s", perr ? perr : "config.json: invalid");
      free (perr);
      goto out;
    }
  if (build_process (config, o, err) < 0)
    goto out;
  /* the process decides whether there is a terminal, as in runc: with
   * --process it is process.json's `terminal` (containerd's shim passes
   * --console-socket and a process.json, never --tty), else --tty */
  if (config->process->terminal && o->detach && !ctx->console_socket)
    {
      ocirun_make_error (err, 0, "exec: a terminal (--tty or process.terminal) with --detach needs a --console-socket");
      goto out;
    }
  if (!config->process->terminal && ctx->console_socket)
    {
      ocirun_make_error (err, 0, "exec: --console-socket is only meaningful with a terminal (--tty or process.terminal)");
      goto out;
    }
  if (ocirun_rlimits_validate (config->process, "exec", err) < 0
      || ocirun_cpu_affinity_validate (config->process, "exec", err) < 0)
    goto out;
  job.ctx = ctx;
  job.config = config;
  job.is_exec = true;
  if (config->linux_ && config->linux_->seccomp)
    {
      if (ocirun_seccomp_compile (config->linux_->seccomp, ctx->seccomp_cache, &job.seccomp, err) < 0)
        goto out;
    }

  /* CVE-2019-5736: our child enters the container; if a process there
   * (or the one we start) has CAP_SYS_PTRACE, run from a sealed copy.
   * This may re-exec us: nothing is open or changed yet. */
  if (ocirun_exe_guard_reachable (config) && !ocirun_exe_is_safe ())
    {
      bool need = ocirun_exe_guard_needed (config, config->process);
      if (!need && cg)
        {
          cleanup_free pid_t *pids = NULL;
          size_t npids = 0;
          ocirun_error_t tmp = NULL;
          if (ocirun_cgroup_pids (cg, &pids, &npids, &tmp) < 0)
            {
              ocirun_error_release (&tmp);
              need = true; /* cannot tell: be safe */
            }
          else
            need = ocirun_exe_guard_pids_need (pids, npids);
        }
      if (need && ocirun_exe_guard (err) < 0)
        goto out;
    }

  /* a pidfd pins the init: check it is still the container's after opening */
  pidfd = (int) syscall (SYS_pidfd_open, init_pid, 0);
  if (pidfd < 0 || process_start_time (init_pid) != start_time)
    {
      ocirun_make_error (err, 0, "container `%s` is stopped: cannot exec in it", ctx->id);
      goto out;
    }
  nsflags = ns_flags_of (config);
  if (!(nsflags & CLONE_NEWNS))
    {
      /* the init's root (its chroot), pinned while the pidfd pins the init */
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/root", init_pid);
      rootfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0 || process_start_time (init_pid) != start_time)
        {
          ocirun_make_error (err, rootfd < 0 ? errno : 0, "container `%s`: open the root of its init", ctx->id);
          goto out;
        }
    }

  if (!o->detach)
    {
      ocirun_foreground_prepare (&mask, &old);
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      ocirun_make_error (err, errno, "socketpair");
      goto out;
    }
  if ((nsflags & CLONE_NEWUSER)
      && ocirun_userns_check_user (config->process, init_pid,
                                   o->process_path ? "process.json: user" : o->user ? "exec --user" : "process.user",
                                   err)
             < 0)
    goto out;
  /* execCPUAffinity.initial: where we run until the cgroup is joined */
  if (ocirun_cpu_affinity_apply (config->process, false, err) < 0)
    goto out;
  pid = fork ();
  if (pid < 0)
    {
      ocirun_make_error (err, errno, "fork");
      goto out;
    }
  if (pid == 0)
    {
      close (sv[0]);
      sync_die_with_parent (sv[1]);
      job.sync_sock = sv[1];
      ocirun_reset_signals ();
      exec_child (&job, pidfd, nsflags, rootfd);
    }
  close (sv[1]);
  sv[1] = -1;

  if (sync_expect (sv[0], SYNC_CHILD_WANT_SETUP, NULL, NULL, err) < 0)
    goto fail;
  if (cg && ocirun_cgroup_enter (cg, pid, o->cgroup, err) < 0)
    goto fail;
  if (sync_send (sv[0], SYNC_PARENT_SETUP_DONE, 0, NULL, 0, -1) < 0)
    {
      ocirun_make_error (err, errno, "sync with the exec process");
      goto fail;
    }
  if ((nsflags & CLONE_NEWPID) && ocirun_ns_recv_init_pid (sv[0], &pid, err) < 0)
    goto fail;
  if (ocirun_parent_wait_ready (sv[0], ctx->console_socket, config->linux_ ? config->linux_->seccomp : NULL,
                                state, &master, err)
      < 0)
    goto fail;
  if (o->pid_file)
    {
      cleanup_free char *tmp = NULL;
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%d", pid);
      xasprintf (&tmp, "%s.ocirun-tmp", o->pid_file);
      if (write_file (tmp, buf, (size_t) n, err) < 0 || rename (tmp, o->pid_file) < 0)
        {
          if (*err == NULL)
            ocirun_make_error (err, errno, "--pid-file: rename to `%s`", o->pid_file);
          unlink (tmp);
          goto fail;
        }
    }
  if (sync_parent_release (sv[0], err) < 0)
    goto fail;
  if (o->detach)
    {
      ret = 0;
      goto out;
    }

  ret = ocirun_wait_foreground (pid, master, &mask, exit_status, err);
  sigprocmask (SIG_SETMASK, &old, NULL);
  goto out;

fail:
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
out:
  if (master >= 0)
    close (master);
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  if (cg)
    ocirun_cgroup_free (cg);
  if (job.seccomp)
    ocirun_seccomp_filter_free (job.seccomp);
  oci_config_free (config);
  return ret;
}
