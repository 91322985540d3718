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
#include "container_internal.h"
#include "exe_guard.h"
#include "foreground.h"
#include "init.h"
#include "intermediate.h"
#include "job.h"
#include "namespaces.h"
#include "paths.h"
#include "process.h"
#include "rlimits.h"
#include "status.h"
#include "sync.h"
#include "trace.h"
#include "userns.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#  define CLONE_NEWTIME 0x00000080
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
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[*n] = xstrdup (s);
  (*v)[*n + 1] = NULL;
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
  ocirun_fd_path (mfd, path, sizeof path);
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
      /* no profile/label in process.json: the container's, as runc
       * (libcontainer newInitConfig), never unconfined */
      if (config->process && (p->apparmor_profile == NULL || *p->apparmor_profile == '\0'))
        {
          free (p->apparmor_profile);
          p->apparmor_profile = steal_pointer (&config->process->apparmor_profile);
        }
      if (config->process && (p->selinux_label == NULL || *p->selinux_label == '\0'))
        {
          free (p->selinux_label);
          p->selinux_label = steal_pointer (&config->process->selinux_label);
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

static void __attribute__ ((noreturn)) exec_child (struct ocirun_job *job, int pidfd, int nsflags, int rootfd)
{
  ocirun_error_t err = NULL;
  const oci_process *p = job->config->process;

  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  prctl (PR_SET_NAME, STAGE_EXEC, 0, 0, 0);
  if (sync_ask_for_setup (job->sync_sock, NULL) < 0)
    _exit (1);
  if (sync_wait_for_idmaps (job->sync_sock, &err) < 0)
    _exit (1);
  ocirun_trace ("wait: runtime setup");
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
  /* the pid namespace applies to our children: become the intermediate
   * stage, which forks the exec process and exits */
  if ((nsflags & CLONE_NEWPID) && ocirun_intermediate_fork (job->sync_sock, &err) < 0)
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
  ocirun_trace ("namespaces join");
  if (ocirun_process_setup (job, p, &err) < 0)
    goto fail;
  if (sync_send_ready (job->sync_sock, NULL) < 0)
    _exit (1);
  /* outlive the runtime only once it wrote the pid file (sync.h) */
  if (sync_child_detach (job->sync_sock) < 0)
    _exit (1);
  close (job->sync_sock);
  ocirun_trace ("wait: runtime records");
  ocirun_trace_report ();
  ocirun_exec_process (p, job->exec_path, &err);
  ocirun_log (OCIRUN_LOG_ERROR, "%s", err->msg);
  _exit (127);
fail:
  sync_send_error (job->sync_sock, &err);
  _exit (1);
}

/* What exec reads of the container, under its lock (then released, so
 * other commands go on while the process runs). */
struct target
{
  pid_t init_pid;
  unsigned long long start_time;
  char *state; /* for the seccomp agent: the container's state, as for the init */
  char *config_path;
  ocirun_cgroup *cg;
};

static void
target_release (struct target *t)
{
  free (t->state);
  free (t->config_path);
  if (t->cg)
    ocirun_cgroup_free (t->cg);
}

static int
read_target (struct ocirun_context *ctx, const struct ocirun_exec_options *o, struct target *t, ocirun_error_t *err)
{
  cleanup_status struct ocirun_status st = OCIRUN_STATUS_INIT;
  oci_state cur;
  const char *live;

  if (ocirun_status_open (ctx->root, ctx->id, 0, &st, err) < 0)
    return -1;
  live = ocirun_status_live (&st);
  if (strcmp (live, "running") != 0 && strcmp (live, "created") != 0
      && !(strcmp (live, "paused") == 0 && o->ignore_paused))
    return ocirun_make_error (err, 0, "container `%s` is %s: cannot exec in it%s", ctx->id, live,
                              strcmp (live, "paused") == 0 ? " (use --ignore-paused)" : "");
  t->init_pid = st.state->pid;
  cur = *st.state;
  cur.status = (char *) live;
  t->state = oci_state_generate (&cur, false);
  t->start_time = st.start_time;
  if (st.cgroup && *st.cgroup && ocirun_cgroup_load (st.cgroup, &t->cg, err) < 0)
    return -1;
  xasprintf (&t->config_path, "%s/config.json", st.dir);
  return 0;
}

/* The container's config with the process to run in place of its own. */
static oci_config *
load_exec_config (struct ocirun_context *ctx, struct ocirun_exec_options *o, const struct target *t,
                  ocirun_error_t *err)
{
  cleanup_free char *raw = NULL;
  cleanup_config oci_config *config = NULL;
  size_t len;

  config = ocirun_load_config (t->config_path, &raw, &len, err);
  if (config == NULL || build_process (config, o, err) < 0)
    return NULL;
  /* the process decides whether there is a terminal, as in runc: with
   * --process it is process.json's `terminal` (containerd's shim passes
   * --console-socket and a process.json, never --tty), else --tty */
  if (config->process->terminal && o->detach && !ctx->console_socket)
    {
      ocirun_make_error (err, 0, "exec: a terminal (--tty or process.terminal) with --detach needs a --console-socket");
      return NULL;
    }
  if (!config->process->terminal && ctx->console_socket)
    {
      ocirun_make_error (err, 0,
                         "exec: --console-socket is only meaningful with a terminal (--tty or process.terminal)");
      return NULL;
    }
  if (ocirun_rlimits_validate (config->process, "exec", err) < 0
      || ocirun_cpu_affinity_validate (config->process, "exec", err) < 0)
    return NULL;
  return steal_pointer (&config);
}

/* CVE-2019-5736: our child enters the container; if a process there (or
 * the one we start) has CAP_SYS_PTRACE, run from a sealed copy.  This may
 * re-exec us: nothing may be open or changed yet. */
static int
guard_binary (const oci_config *config, ocirun_cgroup *cg, ocirun_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t npids = 0;
  bool need;

  if (!ocirun_exe_guard_reachable (config) || ocirun_exe_is_safe ())
    return 0;
  need = ocirun_exe_guard_needed (config, config->process);
  if (!need && cg)
    {
      ocirun_error_t tmp = NULL;
      if (ocirun_cgroup_pids (cg, &pids, &npids, &tmp) < 0)
        {
          ocirun_error_release (&tmp);
          need = true; /* cannot tell: be safe */
        }
      else
        need = ocirun_exe_guard_pids_need (pids, npids);
    }
  return need ? ocirun_exe_guard (err) : 0;
}

/* A pidfd pins the init (checked to be still the container's after
 * opening); without a mount namespace, its root (its chroot) too. */
static int
pin_init (struct ocirun_context *ctx, const struct target *t, int nsflags, int *pidfd, int *rootfd, ocirun_error_t *err)
{
  char path[64];
  *pidfd = (int) syscall (SYS_pidfd_open, t->init_pid, 0);
  if (*pidfd < 0 || process_start_time (t->init_pid) != t->start_time)
    return ocirun_make_error (err, 0, "container `%s` is stopped: cannot exec in it", ctx->id);
  if (nsflags & CLONE_NEWNS)
    return 0;
  snprintf (path, sizeof path, "/proc/%d/root", t->init_pid);
  *rootfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*rootfd < 0 || process_start_time (t->init_pid) != t->start_time)
    return ocirun_make_error (err, *rootfd < 0 ? errno : 0, "container `%s`: open the root of its init", ctx->id);
  return 0;
}

/* The parent's side of the exec stage's handshake: cgroup, the
 * intermediate's pid, ready (with the pty / seccomp listener relayed),
 * the pid file, release. */
static int
exec_handshake (struct ocirun_context *ctx, struct ocirun_exec_options *o, const oci_config *config,
                const struct target *t, int sock, int nsflags, pid_t *pid, int *master, ocirun_error_t *err)
{
  if (sync_wait_for_setup_request (sock, err) < 0)
    return -1;
  ocirun_trace ("wait: exec process started");
  if (t->cg && ocirun_cgroup_enter (t->cg, *pid, o->cgroup, err) < 0)
    return -1;
  ocirun_trace ("cgroup enter");
  if (sync_send_setup_done (sock, err) < 0)
    return -1;
  if ((nsflags & CLONE_NEWPID) && ocirun_intermediate_reap (sock, pid, err) < 0)
    return -1;
  if (ocirun_parent_wait_ready (sock, ctx->console_socket, config->linux_ ? config->linux_->seccomp : NULL, t->state,
                                master, err)
      < 0)
    return -1;
  ocirun_trace ("wait: exec process ready");
  if (o->pid_file && ocirun_write_pid_file (o->pid_file, *pid, err) < 0)
    return -1;
  if (sync_parent_release (sock, err) < 0)
    return -1;
  ocirun_trace ("record");
  return 0;
}

int
ocirun_container_exec (struct ocirun_context *ctx, struct ocirun_exec_options *o, int *exit_status, ocirun_error_t *err)
{
  struct target t = { 0 };
  struct ocirun_job job;
  cleanup_close int pidfd = -1;
  cleanup_close int rootfd = -1;
  cleanup_close int sock = -1;
  cleanup_close int master = -1;
  cleanup_config oci_config *config = NULL;
  cleanup_seccomp_filter ocirun_seccomp_filter *seccomp = NULL;
  sigset_t mask, old;
  int sv[2];
  int nsflags, ret = -1, k;
  pid_t pid;

  *exit_status = 0;
  memset (&job, 0, sizeof job);
  for (k = 0; k < NS_COUNT; k++)
    job.ns_fds[k] = -1;
  job.sync_sock = -1;
  job.fifo_fd = -1;
  job.start_err_fd = -1;

  if (read_target (ctx, o, &t, err) < 0)
    goto out;
  config = load_exec_config (ctx, o, &t, err);
  if (config == NULL)
    goto out;
  job.ctx = ctx;
  job.config = config;
  job.is_exec = true;
  if (config->linux_ && config->linux_->seccomp
      && ocirun_seccomp_compile (config->linux_->seccomp, ctx->seccomp_cache, &seccomp, err) < 0)
    goto out;
  job.seccomp = seccomp;
  if (guard_binary (config, t.cg, err) < 0)
    goto out;
  nsflags = ns_flags_of (config);
  if (pin_init (ctx, &t, nsflags, &pidfd, &rootfd, err) < 0)
    goto out;

  if (!o->detach)
    ocirun_foreground_prepare (&mask, &old);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      ocirun_make_error (err, errno, "socketpair");
      goto out;
    }
  sock = sv[0];
  if ((nsflags & CLONE_NEWUSER)
      && ocirun_userns_check_user (config->process, t.init_pid,
                                   o->process_path ? "process.json: user"
                                   : o->user       ? "exec --user"
                                                   : "process.user",
                                   err)
             < 0)
    {
      close (sv[1]);
      goto out;
    }
  /* execCPUAffinity.initial: where we run until the cgroup is joined */
  if (ocirun_cpu_affinity_apply (config->process, false, err) < 0)
    {
      close (sv[1]);
      goto out;
    }
  ocirun_trace ("load state, config");
  pid = fork ();
  if (pid == 0)
    {
      ocirun_trace_restart ("exec");
      close (sv[0]);
      sync_die_with_parent (sv[1]);
      job.sync_sock = sv[1];
      ocirun_reset_signals ();
      exec_child (&job, pidfd, nsflags, rootfd);
    }
  if (pid < 0)
    ocirun_make_error (err, errno, "fork");
  close (sv[1]);
  if (pid < 0)
    goto out;
  ocirun_trace ("fork");
  if (exec_handshake (ctx, o, config, &t, sock, nsflags, &pid, &master, err) < 0)
    {
      ocirun_kill_and_reap (pid);
      goto out;
    }
  ret = 0;
  if (!o->detach)
    {
      ret = ocirun_wait_foreground (pid, master, &mask, exit_status, err);
      ocirun_trace ("wait: exec and exit");
      sigprocmask (SIG_SETMASK, &old, NULL);
    }
out:
  target_release (&t);
  return ret;
}
