/* The operations of runtime.md#operations on an existing container: start,
 * state, kill, delete; list, and the verbs that act on its cgroup (pause,
 * ps, update, events).  create and run are the parent stage (create.c). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include "container_internal.h"
#include "exe_guard.h"
#include "foreground.h"
#include "hooks.h"
#include "init.h"
#include "intermediate.h"
#include "job.h"
#include "mounts.h"
#include "namespaces.h"
#include "netdev.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

int
ocirun_validate_id (const char *id, ocirun_error_t *err)
{
  const char *p;
  if (id == NULL || *id == '\0')
    return ocirun_make_error (err, 0, "container id: must not be empty");
  if (strlen (id) > 1024)
    return ocirun_make_error (err, 0, "container id: longer than 1024 characters");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return ocirun_make_error (err, 0, "container id `%s`: invalid", id);
  for (p = id; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
      {
        /* keep the message on one line whatever the caller passed */
        cleanup_free char *shown = xmalloc0 (strlen (id) * 4 + 1);
        const char *q;
        char *o = shown;
        for (q = id; *q; q++)
          o += isprint ((unsigned char) *q) ? sprintf (o, "%c", *q) : sprintf (o, "\\x%02x", (unsigned char) *q);
        return ocirun_make_error (err, 0, "container id `%s`: invalid character (allowed: letters, digits, `_+-.`)",
                                  shown);
      }
  return 0;
}

oci_config *
ocirun_load_config (const char *path, char **raw, size_t *raw_len, ocirun_error_t *err)
{
  char *perr = NULL;
  oci_config *c;
  if (read_all_file (path, raw, raw_len, err) < 0)
    return NULL;
  c = oci_config_parse_data (*raw, *raw_len, "config.json", &perr);
  if (c == NULL)
    {
      ocirun_make_error (err, 0, "%s", perr ? perr : "config.json: invalid");
      free (perr);
      free (*raw);
      *raw = NULL;
    }
  return c;
}

char *
ocirun_state_json (struct ocirun_status *st, const char *status)
{
  oci_state s = *st->state;
  s.status = (char *) status;
  if (strcmp (status, "stopped") == 0)
    s.has_pid = false;
  return oci_state_generate (&s, false);
}

oci_config *
ocirun_load_saved_config (struct ocirun_status *st, ocirun_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *raw = NULL;
  size_t len;
  xasprintf (&path, "%s/config.json", st->dir);
  return ocirun_load_config (path, &raw, &len, err);
}

int
ocirun_status_open (const char *root, const char *id, int flags, struct ocirun_status *st, ocirun_error_t *err)
{
  int ret;
  st->dirfd = -1;
  if (ocirun_validate_id (id, err) < 0)
    return -1;
  if (flags & STATUS_READONLY)
    ret = ocirun_status_load_readonly (root, id, st, err);
  else
    ret = ocirun_status_load (root, id, st, err);
  if (ret < 0 && !((flags & STATUS_KEEP_INCOMPLETE) && st->incomplete))
    ocirun_status_release (st);
  return ret;
}

static int kill_locked (struct ocirun_status *st, int signo, bool all, ocirun_error_t *err);

/* The init could not run the program (startContainer hook, execve): it
 * left the reason in start.err (init.c), created empty during setup. */
static int
read_start_error (struct ocirun_status *st, ocirun_error_t *err)
{
  cleanup_close int efd = openat (st->dirfd, "start.err", O_RDONLY | O_CLOEXEC);
  cleanup_free char *msg = NULL;
  struct stat esb;
  if (efd < 0 || fstat (efd, &esb) < 0 || esb.st_size == 0)
    return 0;
  if (read_all_fd (efd, "start.err", &msg, NULL, err) == 0)
    ocirun_make_error (err, 0, "%s", msg);
  return -1;
}

/* runtime.md "start": signal the init waiting on the exec fifo, holding
 * the container's lock.  *poststart_failed: the container is to be
 * deleted once the lock is released. */
static int
start_locked (struct ocirun_context *ctx, struct ocirun_status *st, bool *poststart_failed, ocirun_error_t *err)
{
  cleanup_config oci_config *config = NULL;
  cleanup_close int fifo = -1;
  cleanup_free char *fifo_path = NULL;
  cleanup_free char *json = NULL;
  const char *live = ocirun_status_live (st);
  struct pollfd pfd;
  bool unpin;

  if (strcmp (live, "created") != 0)
    return ocirun_make_error (err, 0, "container `%s` is %s: start needs a container in the created state", ctx->id,
                              live);
  /* the saved config only for its poststart hooks (the record says; an
   * older record does not: read it) */
  if (ocirun_status_needs_config (st, OCIRUN_NEEDS_POSTSTART))
    {
      config = ocirun_load_saved_config (st, err);
      if (config == NULL)
        return -1;
    }
  /* the init was pinned to one CPU for its setup: the record says, or
   * (an older record) the config, as create decided */
  unpin = st->config_needs >= 0 ? (st->config_needs & OCIRUN_NEEDS_UNPIN) != 0 : ocirun_init_pins_cpu (config);
  xasprintf (&fifo_path, "%s/exec.fifo", st->dir);
  fifo = open (fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      if (errno == ENXIO || errno == ENOENT)
        return ocirun_make_error (err, 0, "container `%s` is not waiting to start (its process exited)", ctx->id);
      return ocirun_make_error (err, errno, "open `%s`", fifo_path);
    }
  ocirun_fault_point ("start:write-fifo");
  if (write (fifo, "0", 1) != 1)
    return ocirun_make_error (err, errno, "start container `%s`", ctx->id);
  ocirun_fault_point ("start:fifo-written");
  unlink (fifo_path);
  free (st->state->status);
  st->state->status = xstrdup ("running");
  if (ocirun_status_write (st, err) < 0)
    return -1;

  /* The init closes its end of the fifo (O_CLOEXEC) when it execs the
   * user's program (or dies): that is POLLERR on our end.  poststart hooks
   * run "after the user-specified process is executed" (runtime.md). */
  pfd.fd = fifo;
  pfd.events = 0;
  while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
    ;
  if (unpin)
    ocirun_init_unpin_after_exec (st->state->pid);
  if (read_start_error (st, err) < 0)
    return -1;
  if (config && config->hooks && config->hooks->poststart_len)
    {
      ocirun_error_t tmp = NULL;
      json = ocirun_state_json (st, "running");
      if (ocirun_hooks_run (config->hooks, HOOK_POSTSTART, json, &tmp) < 0)
        {
          /* runtime.md step 9: "If any poststart hook fails, the runtime
           * MUST generate an error, stop the container, and continue the
           * lifecycle at step 12", the destruction (runc 1.1 runs poststart
           * within create and destroys the container when a hook fails) */
          ocirun_error_t ignore = NULL;
          kill_locked (st, SIGKILL, true, &ignore);
          ocirun_error_release (&ignore);
          *err = tmp;
          *poststart_failed = true;
          return -1;
        }
    }
  return 0;
}

int
ocirun_container_start (struct ocirun_context *ctx, ocirun_error_t *err)
{
  bool poststart_failed = false;
  int ret;
  {
    cleanup_status struct ocirun_status st = OCIRUN_STATUS_INIT;
    if (ocirun_status_open (ctx->root, ctx->id, 0, &st, err) < 0)
      return -1;
    ret = start_locked (ctx, &st, &poststart_failed, err);
  }
  if (poststart_failed)
    {
      /* after the lock is released: delete takes it */
      ocirun_error_t ignore = NULL;
      if (ocirun_container_delete (ctx, true, &ignore) < 0)
        ocirun_warning ("%s", ignore->msg);
      ocirun_error_release (&ignore);
    }
  return ret;
}

int
ocirun_container_state (struct ocirun_context *ctx, char **json, ocirun_error_t *err)
{
  cleanup_status struct ocirun_status st = OCIRUN_STATUS_INIT;
  oci_state s;
  if (ocirun_status_open (ctx->root, ctx->id, STATUS_READONLY, &st, err) < 0)
    return -1;
  s = *st.state;
  s.status = (char *) ocirun_status_live (&st);
  if (strcmp (s.status, "stopped") == 0 || !ocirun_status_pid_alive (&st))
    s.has_pid = false;
  *json = oci_state_generate (&s, true);
  return 0;
}

static int
signal_pid (pid_t pid, int signo, ocirun_error_t *err)
{
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd >= 0)
    {
      int r = (int) syscall (SYS_pidfd_send_signal, pidfd, signo, NULL, 0);
      int e = errno;
      close (pidfd);
      if (r < 0 && e != ESRCH)
        return ocirun_make_error (err, e, "send signal %d to %d", signo, pid);
      return 0;
    }
  if (kill (pid, signo) < 0 && errno != ESRCH)
    return ocirun_make_error (err, errno, "send signal %d to %d", signo, pid);
  return 0;
}

static int
kill_locked (struct ocirun_status *st, int signo, bool all, ocirun_error_t *err)
{
  int r;
  if (signo == 0)
    {
      /* a liveness probe: nothing is sent, so there is nothing to send to
       * the rest of the cgroup either (and no reason to freeze it); the
       * init exiting since the state was read is the same "not running" */
      int pidfd = (int) syscall (SYS_pidfd_open, st->state->pid, 0), e;
      if (pidfd >= 0)
        {
          r = (int) syscall (SYS_pidfd_send_signal, pidfd, 0, NULL, 0);
          e = errno;
          close (pidfd);
        }
      else
        {
          r = errno == ESRCH ? -1 : kill (st->state->pid, 0);
          e = errno;
        }
      if (r < 0 && e == ESRCH)
        return ocirun_make_error (err, 0, "container `%s` is stopped: no such process to signal", st->state->id);
      if (r < 0)
        return ocirun_make_error (err, e, "send signal 0 to %d", st->state->pid);
      return 0;
    }
  if (all && st->cgroup && *st->cgroup)
    {
      ocirun_cgroup *cg = NULL;
      r = ocirun_cgroup_load (st->cgroup, &cg, err);
      if (r == 0)
        r = ocirun_cgroup_kill (cg, signo, err);
      ocirun_cgroup_free (cg);
      if (r < 0)
        return r;
    }
  r = signal_pid (st->state->pid, signo, err);
  /* a SIGKILLed paused container is thawed, as runc does: in a frozen v1
   * cgroup the init cannot die, and containerd's `task kill -s KILL` of a
   * paused task would wait forever (--all thaws in ocirun_cgroup_kill).
   * Whatever the freezer says: a runtime killed inside the freeze-kill-thaw
   * of ocirun_cgroup_kill (delete --force, kill --all) left it FREEZING,
   * which v1 completes to FROZEN on its own after our look */
  if (r == 0 && !all && signo == SIGKILL && st->cgroup && *st->cgroup)
    {
      ocirun_cgroup *cg = NULL;
      ocirun_error_t e = NULL;
      if (ocirun_cgroup_load (st->cgroup, &cg, &e) == 0 && !ocirun_cgroup_is_empty_manager (cg))
        ocirun_cgroup_freeze (cg, false, &e);
      ocirun_error_release (&e);
      ocirun_cgroup_free (cg);
    }
  return r;
}

/* kill --all on a stopped container succeeds, as with runc: what is left in
 * its cgroup is signalled (without a pid namespace, processes outlive the
 * init), the init's pid is not (it may be reused).  containerd's `task
 * delete --force` (WithProcessKill) sends exactly this to a stopped task. */
static int
kill_stopped_all (struct ocirun_status *st, int signo, ocirun_error_t *err)
{
  ocirun_cgroup *cg = NULL;
  int r;
  /* runc: `kill --all ID 0` of a stopped container succeeds, probing nothing */
  if (signo == 0 || st->cgroup == NULL || *st->cgroup == '\0')
    return 0;
  r = ocirun_cgroup_load (st->cgroup, &cg, err);
  if (r == 0)
    r = ocirun_cgroup_kill (cg, signo, err);
  ocirun_cgroup_free (cg);
  if (r < 0 && *err && (*err)->status == ENOENT)
    {
      ocirun_error_release (err); /* the cgroup is gone: nothing left */
      r = 0;
    }
  return r;
}

int
ocirun_container_kill (struct ocirun_context *ctx, int signo, bool all, ocirun_error_t *err)
{
  cleanup_status struct ocirun_status st = OCIRUN_STATUS_INIT;
  const char *live;
  int ret = 0;
  if (ocirun_status_open (ctx->root, ctx->id, 0, &st, err) < 0)
    return -1;
  live = ocirun_status_live (&st);
  /* runtime.md kill: only a created or running container.  "no such
   * process" is what containerd's shim (checkKillError) reads as
   * "already exited" (NotFound), as runc's "container not running" */
  if (strcmp (live, "stopped") == 0 && !all)
    return ocirun_make_error (err, 0, "container `%s` is %s: no such process to signal", ctx->id, live);
  if (strcmp (live, "creating") == 0)
    {
      /* we hold the lock: the create that recorded "creating" died and
       * left processes; signal every one of them (runc's `kill` of a
       * container whose init is gone reaches its cgroup the same way) */
      if (ocirun_status_pid_alive (&st))
        ret = signal_pid (st.state->pid, signo, err);
      if (ret == 0)
        ret = kill_stopped_all (&st, signo, err);
      return ret;
    }
  if (strcmp (live, "stopped") == 0)
    return kill_stopped_all (&st, signo, err);
  return kill_locked (&st, signo, all, err);
}

static void
wait_gone (pid_t pid, unsigned long long start_time)
{
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  int i;
  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      poll (&p, 1, 5000);
      close (pidfd);
    }
  /* the init may be our child (run): reap it; else wait for the exit */
  for (i = 0; i < 500; i++)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      waitpid (pid, NULL, WNOHANG);
      if (process_start_time (pid) != start_time)
        return;
      nanosleep (&ts, NULL);
    }
}

static bool
dir_exists (const char *root, const char *id)
{
  cleanup_free char *dir = NULL;
  struct stat sb;
  xasprintf (&dir, "%s/%s", root, id);
  return stat (dir, &sb) == 0;
}

/* Stop whatever is left of a container, whatever its record says: its
 * recorded init (when still the container's) and every process of its
 * cgroup in every hierarchy (freeze, kill, thaw on v1; cgroup.kill on v2),
 * until none is left.  `cg` may be NULL (no cgroup of its own). */
static int
stop_everything (struct ocirun_status *st, ocirun_cgroup *cg, ocirun_error_t *err)
{
  bool alive = ocirun_status_pid_alive (st);
  pid_t pid = alive ? st->state->pid : -1;
  unsigned long long start_time = st->start_time;
  if (alive)
    {
      ocirun_error_t tmp = NULL;
      signal_pid (pid, SIGKILL, &tmp);
      ocirun_error_release (&tmp);
    }
  if (cg && ocirun_cgroup_kill_all (cg, err) < 0)
    return -1;
  if (alive)
    wait_gone (pid, start_time);
  return 0;
}

/* Remove the state directory: state.json first, so a delete killed half-way
 * leaves a directory that every later load sees as incomplete, with its
 * `runtime` record (and the cgroup it names) still there. */
static int
remove_state_dir (const char *root, struct ocirun_status *st, ocirun_error_t *err)
{
  if (unlinkat (st->dirfd, "state.json", 0) < 0 && errno != ENOENT)
    return ocirun_make_error (err, errno, "remove `%s/state.json`", st->dir);
  ocirun_fault_point ("delete:state-json-removed");
  return ocirun_status_remove (root, st, err);
}

/* A state dir without a usable state.json, locked by us: what a create
 * killed before its first record, or a delete killed while removing the
 * dir, left.  Nobody else can be working on it (we hold its lock): remove
 * it and what its `runtime` record names. */
static int
delete_incomplete (struct ocirun_context *ctx, struct ocirun_status *st, ocirun_error_t *err)
{
  ocirun_cgroup *cg = NULL;
  int ret = 0;
  ocirun_error_release (err);
  if (st->cgroup && *st->cgroup && ocirun_cgroup_load (st->cgroup, &cg, err) < 0)
    {
      ocirun_warning ("container `%s`: %s", ctx->id, (*err)->msg);
      ocirun_error_release (err);
    }
  ocirun_fault_point ("delete:kill");
  if (cg && ocirun_cgroup_kill_all (cg, err) < 0)
    ret = -1;
  ocirun_fault_point ("delete:cgroup");
  if (ret == 0 && cg && ocirun_cgroup_destroy (cg, err) < 0)
    ret = -1;
  ocirun_cgroup_free (cg);
  if (ret == 0)
    ocirun_rootfs_release_shared (st->dir); /* mounts.c: no mount namespace of its own */
  ocirun_fault_point ("delete:state");
  if (ret == 0)
    ret = remove_state_dir (ctx->root, st, err);
  return ret;
}

/* The pid holding a flock on the file `fd` refers to, from /proc/locks
 * (0 when none is listed). */
static pid_t
flock_holder (int fd)
{
  cleanup_file FILE *f = fopen ("/proc/locks", "re");
  struct stat sb;
  char line[256];
  if (f == NULL || fstat (fd, &sb) < 0)
    return 0;
  while (fgets (line, sizeof line, f))
    {
      char kind[16], mode[16], rw[16];
      unsigned maj, min;
      unsigned long long ino;
      int pid;
      if (sscanf (line, "%*d: %15s %15s %15s %d %x:%x:%llu", kind, mode, rw, &pid, &maj, &min, &ino) != 7)
        continue;
      if (strcmp (kind, "FLOCK") == 0 && ino == (unsigned long long) sb.st_ino && major (sb.st_dev) == maj
          && minor (sb.st_dev) == min && pid > 0)
        return (pid_t) pid;
    }
  return 0;
}

/* Is `pid` an ocirun process (any stage, or one re-executed from its
 * sealed copy)?  Only those are ever killed for a lock. */
static bool
is_runtime_process (pid_t pid)
{
  char path[64], comm[32] = "";
  struct stat self, other;
  cleanup_file FILE *f = NULL;
  snprintf (path, sizeof path, "/proc/%d/exe", (int) pid);
  if (stat ("/proc/self/exe", &self) == 0 && stat (path, &other) == 0 && self.st_dev == other.st_dev
      && self.st_ino == other.st_ino)
    return true;
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  f = fopen (path, "re");
  return f && fgets (comm, sizeof comm, f) && strncmp (comm, "ocirun", 6) == 0;
}

/* delete --force must finish even while another command holds the
 * container's lock and waits for something that never comes: a create
 * whose init blocks in a syscall a seccomp agent never answers, a hook
 * that hangs (runc holds no lock across processes, so its delete --force
 * just kills).  When the lock is busy: kill what the record names (the
 * init, every process of the cgroup); the holder sees its child die and
 * gives up, cleaning after itself.  Should it still hold the lock after a
 * while, it is a runtime process stuck for good: it is killed too, and
 * the normal forced delete then removes what it left. */
static void
break_stuck_lock (struct ocirun_context *ctx)
{
  struct ocirun_status st;
  ocirun_error_t tmp = NULL;
  int i;

  {
    /* the usual case, a free lock, costs one open: the record is read
     * only when the lock is busy */
    cleanup_free char *dir = NULL;
    cleanup_close int fd = -1;
    xasprintf (&dir, "%s/%s", ctx->root, ctx->id);
    fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) == 0)
      return;
  }
  if ((ocirun_status_load_readonly (ctx->root, ctx->id, &st, &tmp) < 0 && st.dirfd < 0) || !st.busy)
    goto out; /* gone, or let go meanwhile */
  ocirun_debug ("delete --force: container `%s` is locked by another command: killing its processes", ctx->id);
  if (st.state && st.state->has_pid && ocirun_status_pid_alive (&st))
    kill (st.state->pid, SIGKILL);
  if (st.cgroup && *st.cgroup)
    {
      ocirun_cgroup *cg = NULL;
      if (ocirun_cgroup_load (st.cgroup, &cg, &tmp) == 0 && ocirun_cgroup_kill_all (cg, &tmp) < 0)
        ocirun_error_release (&tmp);
      ocirun_cgroup_free (cg);
      ocirun_error_release (&tmp);
    }
  for (i = 0; i < 1000; i++)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      if (flock (st.dirfd, LOCK_EX | LOCK_NB) == 0)
        goto out;
      if (i == 500)
        {
          pid_t holder = flock_holder (st.dirfd);
          if (holder > 0 && holder != getpid () && is_runtime_process (holder))
            {
              ocirun_warning ("container `%s`: killing runtime process %d, stuck holding its lock", ctx->id,
                              (int) holder);
              kill (holder, SIGKILL);
            }
        }
      nanosleep (&ts, NULL);
    }
out:
  ocirun_error_release (&tmp);
  ocirun_status_release (&st);
}

int
ocirun_container_delete (struct ocirun_context *ctx, bool force, ocirun_error_t *err)
{
  cleanup_status struct ocirun_status st = OCIRUN_STATUS_INIT;
  cleanup_config oci_config *config = NULL;
  cleanup_cgroup ocirun_cgroup *cg = NULL;
  const char *live;
  int ret;

  /* before break_stuck_lock looks at the directory the id names */
  if (ocirun_validate_id (ctx->id, err) < 0)
    return -1;
  if (force)
    break_stuck_lock (ctx);
  ret = ocirun_status_open (ctx->root, ctx->id, STATUS_KEEP_INCOMPLETE, &st, err);
  if (ret < 0)
    {
      if (st.incomplete)
        ret = delete_incomplete (ctx, &st, err);
      ocirun_status_release (&st);
      if (ret < 0 && force && !dir_exists (ctx->root, ctx->id))
        {
          /* runc: delete --force of an unknown container is not an error
           * (containerd cleans up that way) */
          ocirun_error_release (err);
          return 0;
        }
      return ret;
    }
  live = ocirun_status_live (&st);
  if (strcmp (live, "stopped") != 0 && !force)
    /* runtime.md delete: "Attempting to delete a container that is
     * not stopped MUST have no effect on the container and MUST
     * generate an error." */
    return ocirun_make_error (err, 0, "container `%s` is %s: stop it first, or use delete --force", ctx->id, live);
  if (ocirun_status_needs_config (&st, OCIRUN_NEEDS_POSTSTOP))
    {
      config = ocirun_load_saved_config (&st, err);
      ocirun_error_release (err);
    }
  if (st.cgroup && *st.cgroup && ocirun_cgroup_load (st.cgroup, &cg, err) < 0)
    return -1;
  ocirun_fault_point ("delete:kill");
  /* whatever the record says: a stopped container's init is gone, but
   * without a pid namespace what it started may not be (runc kills those
   * too), and a runtime killed half-way may have left anything */
  if (stop_everything (&st, cg, err) < 0)
    return -1;
  ocirun_fault_point ("delete:cgroup");
  if (cg && ocirun_cgroup_destroy (cg, err) < 0)
    return -1;
  ocirun_rootfs_release_shared (st.dir); /* mounts.c: no mount namespace of its own */
  ocirun_fault_point ("delete:state");
  if (remove_state_dir (ctx->root, &st, err) < 0)
    return -1;
  if (config && config->hooks && config->hooks->poststop_len)
    {
      cleanup_free char *json = ocirun_state_json (&st, "stopped");
      /* runtime.md step 13: warn, and the remaining hooks still run */
      ocirun_hooks_run_all (config->hooks, HOOK_POSTSTOP, json);
    }
  return 0;
}

/* ---- list ---- */

int
ocirun_container_list (const char *root, struct ocirun_container_info **out, size_t *n, ocirun_error_t *err)
{
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  struct ocirun_container_info *v = NULL;
  size_t len = 0;

  *out = NULL;
  *n = 0;
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return ocirun_make_error (err, errno, "open `%s`", root);
    }
  while ((de = readdir (d)))
    {
      struct ocirun_status st;
      ocirun_error_t tmp = NULL;
      struct stat sb;
      if (de->d_name[0] == '.')
        continue;
      if (ocirun_status_load_readonly (root, de->d_name, &st, &tmp) < 0)
        {
          ocirun_error_release (&tmp);
          ocirun_status_release (&st);
          continue;
        }
      v = xrealloc (v, (len + 1) * sizeof *v);
      memset (&v[len], 0, sizeof v[len]);
      v[len].id = xstrdup (de->d_name);
      v[len].status = xstrdup (ocirun_status_live (&st));
      v[len].pid = strcmp (v[len].status, "stopped") == 0 || !ocirun_status_pid_alive (&st) ? 0 : st.state->pid;
      v[len].bundle = xstrdup (st.state->bundle ? st.state->bundle : "");
      v[len].created = xstrdup (st.created ? st.created : "");
      v[len].owner = xstrdup (fstat (st.dirfd, &sb) == 0 && sb.st_uid == 0 ? "root" : "");
      len++;
      ocirun_status_release (&st);
    }
  *out = v;
  *n = len;
  return 0;
}

void
ocirun_container_info_free (struct ocirun_container_info *v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (v[i].id);
      free (v[i].status);
      free (v[i].bundle);
      free (v[i].created);
      free (v[i].owner);
    }
  free (v);
}

/* ---- verbs that act on the container's cgroup ---- */

/* Load a live container's cgroup, requiring one of the given states. */
static int
load_cgroup_in_state (struct ocirun_context *ctx, const char *verb, const char *const *ok_states, ocirun_cgroup **cg,
                      ocirun_error_t *err)
{
  cleanup_status struct ocirun_status st = OCIRUN_STATUS_INIT;
  const char *live;
  bool ok = false;

  *cg = NULL;
  if (ocirun_status_open (ctx->root, ctx->id, 0, &st, err) < 0)
    return -1;
  live = ocirun_status_live (&st);
  for (; *ok_states; ok_states++)
    if (strcmp (live, *ok_states) == 0)
      ok = true;
  if (!ok)
    return ocirun_make_error (err, 0, "container `%s` is %s: cannot %s it", ctx->id, live, verb);
  if (st.cgroup == NULL || *st.cgroup == '\0')
    return ocirun_make_error (err, 0, "container `%s` has no cgroup: cannot %s it", ctx->id, verb);
  return ocirun_cgroup_load (st.cgroup, cg, err);
}

int
ocirun_container_pause (struct ocirun_context *ctx, bool pause, ocirun_error_t *err)
{
  static const char *const running[] = { "running", "created", NULL };
  static const char *const paused[] = { "paused", NULL };
  ocirun_cgroup *cg = NULL;
  int ret = load_cgroup_in_state (ctx, pause ? "pause" : "resume", pause ? running : paused, &cg, err);
  if (ret == 0)
    ret = ocirun_cgroup_freeze (cg, pause, err);
  ocirun_cgroup_free (cg);
  return ret;
}

int
ocirun_container_pids (struct ocirun_context *ctx, pid_t **pids, size_t *n, ocirun_error_t *err)
{
  /* stopped too, as runc: what is left in the cgroup (without a pid
   * namespace, processes outlive the init), nothing once it is gone */
  static const char *const live[] = { "running", "created", "paused", "stopped", NULL };
  ocirun_cgroup *cg = NULL;
  int ret = load_cgroup_in_state (ctx, "list the processes of", live, &cg, err);
  *pids = NULL;
  *n = 0;
  if (ret == 0)
    ret = ocirun_cgroup_pids (cg, pids, n, err);
  if (ret < 0 && *err && (*err)->status == ENOENT && cg != NULL)
    {
      ocirun_error_release (err);
      ret = 0;
    }
  ocirun_cgroup_free (cg);
  return ret;
}

int
ocirun_container_update (struct ocirun_context *ctx, const oci_resources *r, ocirun_error_t *err)
{
  static const char *const live[] = { "running", "created", "paused", NULL };
  ocirun_cgroup *cg = NULL;
  int ret = load_cgroup_in_state (ctx, "update", live, &cg, err);
  if (ret == 0)
    ret = ocirun_cgroup_update (cg, r, err);
  ocirun_cgroup_free (cg);
  return ret;
}

int
ocirun_container_stats (struct ocirun_context *ctx, char **json, ocirun_error_t *err)
{
  static const char *const live[] = { "running", "created", "paused", NULL };
  ocirun_cgroup *cg = NULL;
  int ret = load_cgroup_in_state (ctx, "read the stats of", live, &cg, err);
  if (ret == 0)
    ret = ocirun_cgroup_stats_json (cg, json, err);
  ocirun_cgroup_free (cg);
  return ret;
}

/* How many times the kernel's OOM killer acted in the container's cgroup
 * (v1: memory.oom_control, v2: memory.events "oom_kill"). */
int
ocirun_container_oom_count (struct ocirun_context *ctx, unsigned long long *count, ocirun_error_t *err)
{
  static const char *const live[] = { "running", "created", "paused", NULL };
  ocirun_cgroup *cg = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *data = NULL;
  const char *dir, *mode;
  char *p;
  int ret;

  *count = 0;
  ret = load_cgroup_in_state (ctx, "read the events of", live, &cg, err);
  if (ret < 0)
    {
      ocirun_cgroup_free (cg);
      return ret;
    }
  mode = ocirun_cgroup_mode_name (cg);
  dir = ocirun_cgroup_path (cg, strcmp (mode, "v2") == 0 ? NULL : "memory");
  if (dir && *dir)
    {
      xasprintf (&path, "%s/%s", dir, strcmp (mode, "v2") == 0 ? "memory.events" : "memory.oom_control");
      if (read_all_file (path, &data, NULL, err) == 0 && (p = strstr (data, "oom_kill ")))
        *count = strtoull (p + 9, NULL, 10);
      ocirun_error_release (err);
    }
  ocirun_cgroup_free (cg);
  return 0;
}
