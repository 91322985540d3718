/* The `child`/`init` stage: the container's first process, from clone to
 * execve (docs/architecture.md, "The stages").  Every failure goes back to
 * the parent over the sync socket with its real cause. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caps.h"
#include "devices.h"
#include "hardening.h"
#include "hooks.h"
#include "init.h"
#include "intermediate.h"
#include "job.h"
#include "lsm.h"
#include "mounts.h"
#include "namespaces.h"
#include "netdev.h"
#include "paths.h"
#include "process.h"
#include "rlimits.h"
#include "sync.h"
#include "sysctl.h"
#include "terminal.h"
#include "trace.h"
#include "utils.h"

/* A small memory limit (256k) sometimes killed the container: its setup
 * ("the container's setup process exited unexpectedly") or, at `start`,
 * its program inside execve (exit 137), more often under CPU load.  The
 * kernel charges a cgroup's memory in batches of 64 pages (256 KiB on
 * x86) cached per CPU (the memcg "stock"): the first charge on one CPU
 * takes the whole limit into that CPU's stock, and once the process runs
 * on another CPU its charges find the counter at the limit.  Reclaim then
 * drains the other CPU's stock only asynchronously (a work item there),
 * which a busy CPU runs too late, and the OOM killer fires with nothing in
 * use (dmesg: "usage 256kB, limit 256kB", kmem 28-64kB, rss 0; the setup
 * really charges ~40 KiB: the clone's copies are the runtime's).  So with
 * a limit below one batch per CPU (plus one), setup and the execve stay on
 * the CPU the process is on after the cgroup join (which applied the
 * cpuset's mask); `start` gives the program its mask back once the execve
 * is done (ocirun_init_unpin_after_exec). */
#define MEMCG_BATCH_BYTES (64LL * 4096)

bool
ocirun_init_pins_cpu (const oci_config *c)
{
  long ncpu;
  if (!(c->linux_ && c->linux_->resources && c->linux_->resources->memory && c->linux_->resources->memory->has_limit
        && c->linux_->resources->memory->limit > 0))
    return false;
  ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  return ncpu > 1 && c->linux_->resources->memory->limit < (ncpu + 1) * MEMCG_BATCH_BYTES;
}

static void
pin_cpu_for_setup (const oci_config *c)
{
  cpu_set_t one;
  int cpu;
  if (!ocirun_init_pins_cpu (c))
    return;
  cpu = sched_getcpu ();
  if (cpu < 0)
    return;
  CPU_ZERO (&one);
  CPU_SET (cpu, &one);
  sched_setaffinity (0, sizeof one, &one);
}

/* `start`, after the init's execve: the CPUs this runtime may use (as the
 * init had them before the pin; the kernel narrows them to the container's
 * cpuset, which the join had given the init) */
void
ocirun_init_unpin_after_exec (pid_t pid)
{
  cpu_set_t all;
  int i;
  if (pid <= 0)
    return;
  if (sched_getaffinity (0, sizeof all, &all) < 0)
    {
      CPU_ZERO (&all);
      for (i = 0; i < CPU_SETSIZE; i++)
        CPU_SET (i, &all);
    }
  if (sched_setaffinity (pid, sizeof all, &all) < 0)
    ocirun_debug ("restore the cpu affinity of pid %d: %s", (int) pid, strerror (errno));
}

/* After `start`: leave the reason we could not run the program where
 * `start` looks once our end of the exec fifo closes (job->start_err_fd). */
static void __attribute__ ((noreturn)) fail_after_start (struct ocirun_job *job, ocirun_error_t *err, int code)
{
  const char *msg = (err && *err) ? (*err)->msg : "container process failed";
  if (job->start_err_fd >= 0 && write_all (job->start_err_fd, msg, strlen (msg)) < 0)
    _exit (code);
  _exit (code);
}

static int
set_names (const oci_config *c, ocirun_error_t *err)
{
  if (c->hostname && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return ocirun_make_error (err, errno, "hostname: set `%s`", c->hostname);
  if (c->domainname && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return ocirun_make_error (err, errno, "domainname: set `%s`", c->domainname);
  return 0;
}

/* socket activation: LISTEN_FDS passes through with LISTEN_PID=1, as runc
 * does; returns how many fds (from 3) survive the execve */
static int
preserved_fds (struct ocirun_job *job, oci_process *p)
{
  int n = job->ctx->preserve_fds;
  const char *lf = getenv ("LISTEN_FDS");
  long long v;
  if (lf && parse_int64 (lf, &v) == 0 && v > 0 && v < 4096)
    {
      char buf[32];
      if (!job->is_exec)
        {
          snprintf (buf, sizeof buf, "LISTEN_FDS=%lld", v);
          ocirun_process_setenv (p, buf);
          ocirun_process_setenv (p, "LISTEN_PID=1");
        }
      if (v > n)
        n = (int) v;
    }
  return n;
}

/* runtime.md#state: "For hooks executed in the container namespace, [pid]
 * is the pid as seen by the container."  The status stays the parent's
 * ("created": create's hooks run after lifecycle step 2). */
static char *
state_in_container (const char *json)
{
  char *perr = NULL, *out;
  oci_state *s = oci_state_parse_data (json, strlen (json), "state", &perr);
  if (s == NULL)
    {
      free (perr);
      return xstrdup (json);
    }
  s->has_pid = true;
  s->pid = getpid ();
  out = oci_state_generate (s, false);
  oci_state_free (s);
  return out;
}

/* runc (reOpenDevNull): an init whose stdio is the host's /dev/null gets
 * the container's own /dev/null instead, so that no fd refers to a mount
 * outside the container (criu cannot dump such a file: "Can't lookup
 * mount"), opened read-write as runc does.  After pivot_root. */
static int
reopen_dev_null (ocirun_error_t *err)
{
  struct stat fsb, nsb;
  int fd, null = -1;
  for (fd = 0; fd < 3; fd++)
    {
      if (fstat (fd, &fsb) < 0 || !S_ISCHR (fsb.st_mode) || fsb.st_rdev != makedev (1, 3))
        continue;
      if (null < 0)
        {
          null = open ("/dev/null", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
          if (null < 0)
            return 0; /* no /dev/null in the container: keep the host's */
          if (fstat (null, &nsb) < 0 || !S_ISCHR (nsb.st_mode) || nsb.st_rdev != makedev (1, 3))
            {
              close (null);
              return 0;
            }
        }
      if (fsb.st_dev == nsb.st_dev && fsb.st_ino == nsb.st_ino)
        continue;
      if (dup3 (null, fd, 0) < 0)
        {
          close (null);
          return ocirun_make_error (err, errno, "reopen /dev/null as fd %d", fd);
        }
    }
  if (null >= 0)
    close (null);
  return 0;
}

/* Load the filter and, with SCMP_ACT_NOTIFY, hand the listener to the
 * runtime at once: the next syscall we make may be one the profile
 * notifies (setresuid, capset, fchdir ...), and it would block forever if
 * the agent did not have the listener yet (the runtime waits on us, we on
 * the agent).  sendmsg is the one syscall a notifying profile must let
 * through for this to work, as with runc and crun. */
static int
install_seccomp (struct ocirun_job *job, ocirun_error_t *err)
{
  int listener = -1, ret;
  ocirun_trace ("process setup");
  ret = ocirun_seccomp_install (job->seccomp, &listener, err);
  ocirun_trace ("seccomp load");
  if (ret < 0 || listener < 0)
    return ret;
  ret = sync_send_seccomp_listener (job->sync_sock, listener, err);
  close (listener);
  return ret;
}

/* process.terminal: a pty, its master handed to the runtime; without one,
 * a session of our own. */
static int
setup_terminal (struct ocirun_job *job, const oci_process *p, ocirun_error_t *err)
{
  int master = -1, ret;
  if (!p->terminal)
    {
      /* runc (nsexec) makes every container process a session leader: never
       * part of the caller's session (its job control, its SIGHUP), and a
       * tree criu can dump ("a session leader ... is outside of its pid
       * namespace" otherwise) */
      if (setsid () < 0 && errno != EPERM)
        return ocirun_make_error (err, errno, "setsid");
      return 0;
    }
  ret = ocirun_terminal_setup_child (job, &master, err);
  if (ret < 0)
    return ret;
  ret = sync_send_pty (job->sync_sock, master, err);
  close (master);
  return ret;
}

/* The process' side of setup, shared by init and exec: terminal, rlimits,
 * scheduling, keyring, privileges (bounding set, seccomp, uid/gid, the
 * other cap sets, no_new_privs) and the fds that survive the execve. */
int
ocirun_process_setup (struct ocirun_job *job, const oci_process *p, ocirun_error_t *err)
{
  const oci_config *c = job->config;
  const char *cwd_field = job->is_exec ? "exec.cwd" : "process.cwd";
  cleanup_close int cwdfd = -1;
  bool cwd_done;
  int ret;

  ret = setup_terminal (job, p, err);
  if (ret < 0)
    return ret;
  ret = ocirun_rlimits_apply (p, err);
  if (ret < 0)
    return ret;
  ret = ocirun_process_prepare (p, err);
  if (ret < 0)
    return ret;
  if (!job->is_exec)
    {
      if (!p->terminal && (ret = reopen_dev_null (err)) < 0)
        return ret;
      ret = ocirun_personality_apply (c->linux_, err);
      if (ret < 0)
        return ret;
      ret = ocirun_memory_policy_apply (c->linux_, err);
      if (ret < 0)
        return ret;
    }
  else
    {
      /* the exec'd process is now in the container's cgroup */
      ret = ocirun_cpu_affinity_apply (p, true, err);
      if (ret < 0)
        return ret;
    }
  if (!job->is_exec && !job->ctx->no_new_keyring)
    {
      ret = ocirun_keyring_new (job->ctx->id, err);
      if (ret < 0)
        return ret;
    }

  job->exec_path = ocirun_find_executable (p, err);
  if (job->exec_path == NULL)
    return -1;
  ocirun_process_default_home ((oci_process *) p);

  /* The cwd is resolved and opened now, while we are still root: a
   * seccomp profile need not allow openat2 (nor openat), and a cwd only
   * root may enter works for any process.user, as in runc, which changes
   * directory before dropping privileges and again after.
   * CVE-2024-21626: resolved inside the container's root. */
  cwdfd = ocirun_open_cwd_in_container (p->cwd, cwd_field, err);
  if (cwdfd < 0)
    return -1;
  cwd_done = fchdir (cwdfd) == 0;
  ret = ocirun_lsm_apply (p, err);
  if (ret < 0)
    return ret;
  /* CVE-2024-21626 class: nothing of the runtime's survives the execve
   * but stdio and the fds the caller asked to pass.  Before the filter:
   * close_range or /proc/self/fd may be denied after it; what is opened
   * from here on is O_CLOEXEC. */
  ret = mark_fds_cloexec_from (3 + preserved_fds (job, (oci_process *) p), err);
  if (ret < 0)
    return ret;

  /* stdio the process may reopen (/dev/stdout): before the filter, which
   * may deny fstat/fchown */
  ret = ocirun_stdio_chown (p->user.uid, p->terminal, err);
  if (ret < 0)
    return ret;

  /* From here on, only what any seccomp profile allows in practice (the
   * filter may be loaded next): prctl, capset, setgroups, set*id, fchdir,
   * close, sendmsg/read/write on fds we hold, and execve. */
  ret = ocirun_caps_drop_bounding (p->capabilities, err);
  if (ret < 0)
    return ret;
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it
   * while we still have it.  With no_new_privs, as late as possible. */
  if (job->seccomp && !p->no_new_privileges)
    {
      ret = install_seccomp (job, err);
      if (ret < 0)
        return ret;
    }
  ret = ocirun_user_apply (p, err);
  if (ret < 0)
    return ret;
  ret = ocirun_caps_apply (p->capabilities, err);
  if (ret < 0)
    return ret;
  ret = ocirun_caps_set_ambient (p->capabilities, err);
  if (ret < 0)
    return ret;
  /* root of a user namespace may have been refused the cwd: again as the
   * process' own user */
  if (!cwd_done && fchdir (cwdfd) < 0)
    return ocirun_make_error (err, errno, "%s: chdir to `%s`", cwd_field, p->cwd);
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return ocirun_make_error (err, errno, "process.noNewPrivileges: prctl");
  if (job->seccomp && p->no_new_privileges)
    {
      ret = install_seccomp (job, err);
      if (ret < 0)
        return ret;
    }
  ocirun_trace ("process setup");

  return 0;
}

/* Everything from clone to "ready", run as the container's init.  Longer
 * than our ~120-line rule on purpose: it is the one straight list of the
 * setup steps in the order the spec and the kernel need (docs/architecture.md),
 * read top to bottom; each step is a call into its module. */
static int
init_setup (struct ocirun_job *job, char **hook_state, ocirun_error_t *err)
{
  const oci_config *c = job->config;
  const oci_process *p = c->process;
  cleanup_close int rootfd = -1;
  cleanup_free char *state = NULL;
  bool userns = job->ns_new[NS_USER] || job->ns_fds[NS_USER] >= 0;
  int ret;

  /* the runtime process is not ptrace-able or dumpable from the container;
   * an unprivileged runtime needs us dumpable until it wrote our id maps
   * (/proc/PID/uid_map is root's otherwise) */
  if (geteuid () == 0)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  ocirun_reset_signals ();
  prctl (PR_SET_NAME, STAGE_CHILD, 0, 0, 0);
  /* if the runtime dies half-way, so do we: nothing is left behind */
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  /* kept (O_CLOEXEC) so a failure after `start` can be left for `start`
   * to report; the directory itself is not kept (see job.h) */
  {
    cleanup_close int dirfd = openat (AT_FDCWD, job->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0)
      job->fifo_fd = openat (dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
    if (job->fifo_fd < 0)
      return ocirun_make_error (err, errno, "open the exec fifo in `%s`", job->state_dir);
    job->start_err_fd = openat (dirfd, "start.err", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (job->start_err_fd < 0)
      return ocirun_make_error (err, errno, "create `%s/start.err`", job->state_dir);
  }
  /* a joined user namespace with new namespaces, or the reverse */
  ret = ocirun_ns_child_enter (job, err);
  if (ret < 0)
    return ret;
  /* it made a pid namespace, which only our children enter: become the
   * intermediate stage, which forks the init and exits */
  if (ret > 0 && ocirun_intermediate_fork (job->sync_sock, err) < 0)
    return -1;
  ocirun_trace ("stage start");

  ret = sync_ask_for_setup (job->sync_sock, err);
  if (ret < 0)
    return ret;
  ret = sync_wait_for_idmaps (job->sync_sock, err);
  if (ret < 0)
    return ret;
  ocirun_trace ("wait: runtime setup");
  pin_cpu_for_setup (c);
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);

  ret = ocirun_ns_join (job, err);
  if (ret < 0)
    return ret;
  if (userns)
    {
      /* become root of the (new or joined) user namespace, when 0 is mapped */
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        ocirun_debug ("cannot become root in the user namespace: %s", strerror (errno));
    }

  ocirun_trace ("namespaces join");
  ret = ocirun_rootfs_prepare (job, &rootfd, err);
  if (ret < 0)
    return ret;
  ret = ocirun_devices_create (job, rootfd, err);
  if (ret < 0)
    return ret;
  ret = ocirun_mounts_finish_readonly (job, err);
  if (ret < 0)
    return ret;
  ocirun_trace ("mounts");
  if (p && p->cwd)
    {
      /* a missing cwd is created, as runc does */
      int cwdfd = ocirun_open_in_root (rootfd, p->cwd, O_PATH | O_DIRECTORY, S_IFDIR, err);
      if (cwdfd < 0)
        return ocirun_error_prefix (err, "process.cwd");
      close (cwdfd);
    }

  /* prestart + createRuntime hooks run in the runtime's namespaces */
  ret = sync_ask_for_runtime_hooks (job->sync_sock, err);
  if (ret < 0)
    return ret;
  ret = sync_wait_for_hooks_done (job->sync_sock, &state, err);
  if (ret < 0)
    return ret;
  ocirun_trace ("wait: runtime hooks");
  /* createContainer: in the container's namespaces, before pivot_root */
  if (c->hooks && c->hooks->create_container_len)
    {
      cleanup_free char *st = state_in_container (state);
      /* runc runs them from the rootfs directory */
      if (fchdir (rootfd) < 0)
        return ocirun_make_error (err, errno, "chdir to the rootfs `%s`", job->rootfs);
      ret = ocirun_hooks_run_in_container (c->hooks, HOOK_CREATE_CONTAINER, st, p, err);
      if (ret < 0)
        return ret;
      ocirun_trace ("hooks");
    }

  ret = ocirun_rootfs_pivot (job, rootfd, err);
  if (ret < 0)
    return ret;
  ocirun_trace ("pivot_root");
  /* hostname and sysctls before readonlyPaths makes /proc/sys read-only */
  ret = set_names (c, err);
  if (ret < 0)
    return ret;
  ret = ocirun_netdev_loopback_up (c, err);
  if (ret < 0)
    return ret;
  ret = ocirun_sysctl_apply (c, err);
  if (ret < 0)
    return ret;
  ocirun_trace ("hostname, sysctl");
  ret = ocirun_rootfs_finalize (job, err);
  if (ret < 0)
    return ret;
  ocirun_trace ("masked, readonly paths");

  ret = ocirun_process_setup (job, p, err);
  if (ret < 0)
    return ret;

  *hook_state = steal_pointer (&state);
  return 0;
}

void
ocirun_init_main (struct ocirun_job *job)
{
  ocirun_error_t err = NULL;
  cleanup_free char *state = NULL;
  char c;
  ssize_t r;

  if (init_setup (job, &state, &err) < 0)
    {
      sync_send_error (job->sync_sock, &err);
      _exit (1);
    }
  prctl (PR_SET_NAME, STAGE_INIT, 0, 0, 0);
  if (sync_send_ready (job->sync_sock, NULL) < 0)
    _exit (1);
  /* we outlive the runtime only once it recorded us as "created" (a
   * runtime killed before that takes us with it: sync.h) */
  if (sync_child_detach (job->sync_sock) < 0)
    _exit (1);
  close (job->sync_sock);
  ocirun_trace ("wait: runtime records");

  /* wait for `start` (runtime.md: "start ... MUST run the user-specified program") */
  do
    r = read (job->fifo_fd, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    _exit (1);
  ocirun_trace ("wait: start");

  if (job->config->hooks && job->config->hooks->start_container_len)
    {
      cleanup_free char *st = state_in_container (state);
      if (ocirun_hooks_run_in_container (job->config->hooks, HOOK_START_CONTAINER, st, job->config->process, &err) < 0)
        fail_after_start (job, &err, 1);
      ocirun_trace ("hooks");
    }
  ocirun_trace_report ();
  ocirun_exec_process (job->config->process, job->exec_path, &err);
  fail_after_start (job, &err, 127);
}
