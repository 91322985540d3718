/* The `parent` stage: `create` (and `run` = create + start + wait).  The
 * runtime process clones the container's first process (init.c) and
 * answers it over the sync socket until it is ready; docs/architecture.md
 * has the picture.  do_create reads as its steps; each step undoes nothing
 * itself: what the parent made is in `struct parent`, and create_undo
 * removes all of it on any failure. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
#include "trace.h"
#include "utils.h"
#include "validate.h"

#ifndef CLONE_INTO_CGROUP
#  define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct clone_args_
{
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  char *out;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  xasprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec);
  return out;
}

void
ocirun_kill_and_reap (pid_t pid)
{
  int status;
  if (pid <= 0)
    return;
  kill (pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
}

int
ocirun_write_pid_file (const char *path, pid_t pid, ocirun_error_t *err)
{
  cleanup_free char *tmp = NULL;
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  xasprintf (&tmp, "%s.ocirun-tmp", path);
  if (write_file (tmp, buf, (size_t) n, err) < 0)
    return ocirun_error_prefix (err, "--pid-file");
  if (rename (tmp, path) < 0)
    {
      unlink (tmp);
      return ocirun_make_error (err, errno, "--pid-file: rename to `%s`", path);
    }
  return 0;
}

oci_config *
ocirun_bundle_load (const char *bundle_arg, char **bundle, char **rootfs, char **raw, size_t *raw_len,
                    ocirun_error_t *err)
{
  cleanup_free char *config_path = NULL;
  cleanup_config oci_config *config = NULL;
  struct stat sb;

  *bundle = realpath (bundle_arg ? bundle_arg : ".", NULL);
  if (*bundle == NULL)
    {
      ocirun_make_error (err, errno, "bundle `%s`", bundle_arg ? bundle_arg : ".");
      return NULL;
    }
  xasprintf (&config_path, "%s/config.json", *bundle);
  config = ocirun_load_config (config_path, raw, raw_len, err);
  if (config == NULL)
    return NULL;
  ocirun_trace ("parse");
  if (ocirun_config_validate (config, true, err) < 0)
    return NULL;
  if (config->root->path[0] == '/')
    *rootfs = realpath (config->root->path, NULL);
  else
    {
      cleanup_free char *rel = NULL;
      xasprintf (&rel, "%s/%s", *bundle, config->root->path);
      *rootfs = realpath (rel, NULL);
    }
  if (*rootfs == NULL || stat (*rootfs, &sb) < 0 || !S_ISDIR (sb.st_mode))
    {
      ocirun_make_error (err, *rootfs ? ENOTDIR : errno, "root.path: `%s`", config->root->path);
      return NULL;
    }
  ocirun_trace ("validate");
  return steal_pointer (&config);
}

/* ---- the state of a container being created, shared with restore ---- */

/* The state record of a container being created (status "creating"). */
static void
status_init_creating (struct ocirun_status *st, const char *id, const char *bundle, const oci_config *config,
                      const char *rootfs)
{
  st->state = xmalloc0 (sizeof (oci_state));
  st->state->oci_version = xstrdup (OCI_SPEC_VERSION);
  st->state->id = xstrdup (id);
  st->state->status = xstrdup ("creating");
  st->state->bundle = xstrdup (bundle);
  st->state->annotations = config->annotations; /* borrowed: see ocirun_creating_release */
  st->created = now_rfc3339 ();
  st->rootfs = xstrdup (rootfs);
  st->terminal = config->process->terminal;
  st->config_needs = 0;
  if (config->hooks && config->hooks->poststart_len)
    st->config_needs |= OCIRUN_NEEDS_POSTSTART;
  if (config->hooks && config->hooks->poststop_len)
    st->config_needs |= OCIRUN_NEEDS_POSTSTOP;
  if (ocirun_init_pins_cpu (config))
    st->config_needs |= OCIRUN_NEEDS_UNPIN;
}

/* The record names the cgroup before it exists: a runtime killed while
 * making it leaves nothing `delete --force` cannot find.  The systemd
 * driver makes nothing before the unit starts (at the first enter), and
 * its record is written right after, before that. */
static int
creating_cgroup (struct ocirun_context *ctx, oci_config *config, struct ocirun_status *st, ocirun_cgroup **cg,
                 ocirun_error_t *err)
{
  cleanup_free char *saved = NULL;
  if (ctx->systemd_cgroup)
    {
      if (ocirun_cgroup_create_systemd (ctx->id, config->linux_, &config->annotations, ctx->rootless, cg, err) < 0)
        return -1;
    }
  else
    {
      st->cgroup = ocirun_cgroup_plan (ctx->id, config->linux_, ctx->rootless, err);
      if (st->cgroup == NULL || ocirun_status_write (st, err) < 0)
        return -1;
      if (ocirun_cgroup_create (ctx->id, config->linux_, ctx->rootless, cg, err) < 0)
        return -1;
    }
  saved = ocirun_cgroup_save (*cg);
  free (st->cgroup);
  st->cgroup = steal_pointer (&saved);
  return ocirun_status_write (st, err);
}

int
ocirun_creating_open (struct ocirun_context *ctx, const char *bundle, const char *rootfs, oci_config *config,
                      const char *raw, size_t raw_len, bool exec_fifo, struct ocirun_status *st, ocirun_cgroup **cg,
                      ocirun_error_t *err)
{
  *cg = NULL;
  if (ocirun_status_create (ctx->root, ctx->id, st, err) < 0)
    {
      /* never remove a directory we did not make (a duplicate id) */
      ocirun_status_release (st);
      return -1;
    }
  status_init_creating (st, ctx->id, bundle, config, rootfs);
  if (write_file_atomic_at (st->dirfd, "config.json", raw, raw_len, err) < 0)
    goto fail;
  if (exec_fifo && mkfifoat (st->dirfd, "exec.fifo", 0600) < 0)
    {
      ocirun_make_error (err, errno, "mkfifo `%s/exec.fifo`", st->dir);
      goto fail;
    }
  ocirun_trace ("state dir");
  if (creating_cgroup (ctx, config, st, cg, err) < 0)
    goto fail;
  ocirun_trace ("cgroup setup");
  return 0;
fail:
  ocirun_creating_undo (ctx->root, st, *cg);
  if (*cg)
    ocirun_cgroup_free (*cg);
  *cg = NULL;
  ocirun_creating_release (st);
  return -1;
}

static void
warn_cleanup (ocirun_error_t *tmp)
{
  ocirun_warning ("cleanup: %s", (*tmp)->msg);
  ocirun_error_release (tmp);
}

void
ocirun_creating_undo (const char *root, struct ocirun_status *st, ocirun_cgroup *cg)
{
  ocirun_error_t tmp = NULL;
  if (cg && ocirun_cgroup_destroy (cg, &tmp) < 0)
    warn_cleanup (&tmp);
  ocirun_rootfs_release_shared (st->dir); /* mounts.c: no mount namespace of its own */
  if (ocirun_status_remove (root, st, &tmp) < 0)
    warn_cleanup (&tmp);
}

void
ocirun_creating_release (struct ocirun_status *st)
{
  if (st->state)
    st->state->annotations = (oci_map) { 0 }; /* the config's */
  ocirun_status_release (st);
}

/* ---- the parent's side of the handshake, shared with exec ---- */

/* What the child sends before it is ready, for ocirun_parent_wait_ready. */
struct ready_relay
{
  const char *console_socket;
  const oci_seccomp *seccomp;
  const char *state_json;
  int master;
};

static int
relay_fd (void *data, enum sync_msg type, int fd, ocirun_error_t *err)
{
  struct ready_relay *r = data;
  int ret = 0;
  if (type == SYNC_CHILD_PTY)
    {
      ocirun_debug ("received the pty master from the child");
      if (r->console_socket)
        {
          ret = ocirun_console_socket_send (r->console_socket, fd, err);
          close (fd);
        }
      else if (r->master < 0)
        r->master = fd;
      else
        close (fd);
      return ret;
    }
  ocirun_debug ("received the seccomp listener from the child");
  ret = ocirun_seccomp_send_listener (r->seccomp, fd, r->state_json, err);
  close (fd);
  return ret;
}

int
ocirun_parent_wait_ready (int sock, const char *console_socket, const oci_seccomp *seccomp, const char *state_json,
                          int *master, ocirun_error_t *err)
{
  struct ready_relay r = { console_socket, seccomp, state_json, -1 };
  *master = -1;
  if (sync_wait_for_ready (sock, relay_fd, &r, err) < 0)
    {
      if (r.master >= 0)
        close (r.master);
      return -1;
    }
  ocirun_debug ("the child is ready");
  *master = r.master;
  return 0;
}

/* ---- create, step by step ---- */

/* Everything the parent holds or made while it creates; create_undo
 * removes what was made, parent_release frees what is held. */
struct parent
{
  struct ocirun_context *ctx;
  struct ocirun_job job; /* what the child gets (a copy, through clone) */
  oci_config *config;
  char *bundle, *rootfs, *raw;
  size_t raw_len;
  struct ocirun_status st; /* locked state dir, from ocirun_creating_open */
  bool have_status;
  int sock;      /* our end of the sync socket */
  int own_pidns; /* ours, while joined to the container's for the clone */
  pid_t pid;     /* the child, then the init */
  int master;    /* foreground tty */
  ocirun_netdev_moved *netdevs;
  bool hooks_started;
};

static void
parent_release (struct parent *p)
{
  int k;
  if (p->master >= 0)
    close (p->master);
  if (p->sock >= 0)
    close (p->sock);
  if (p->own_pidns >= 0)
    close (p->own_pidns);
  for (k = 0; k < NS_COUNT; k++)
    if (p->job.ns_fds[k] >= 0)
      close (p->job.ns_fds[k]);
  if (p->have_status)
    ocirun_creating_release (&p->st);
  ocirun_netdev_moved_free (&p->netdevs);
  if (p->job.cgroup)
    ocirun_cgroup_free (p->job.cgroup);
  if (p->job.seccomp)
    ocirun_seccomp_filter_free (p->job.seccomp);
  oci_config_free (p->config);
  free (p->bundle);
  free (p->rootfs);
  free (p->raw);
}
#define cleanup_parent __attribute__ ((cleanup (parent_release)))

static void
parent_init (struct parent *p, struct ocirun_context *ctx)
{
  int k;
  memset (p, 0, sizeof *p);
  p->ctx = ctx;
  p->sock = p->own_pidns = p->master = -1;
  p->pid = -1;
  p->st.dirfd = -1;
  p->job.ctx = ctx;
  p->job.sync_sock = p->job.fifo_fd = p->job.start_err_fd = -1;
  for (k = 0; k < NS_COUNT; k++)
    p->job.ns_fds[k] = -1;
}

/* The bundle, its config validated; the terminal arrangement checked. */
static int
load_bundle (struct parent *p, ocirun_error_t *err)
{
  struct ocirun_context *ctx = p->ctx;
  const oci_process *proc;
  int tty;

  if (ocirun_validate_id (ctx->id, err) < 0)
    return -1;
  p->config = ocirun_bundle_load (ctx->bundle, &p->bundle, &p->rootfs, &p->raw, &p->raw_len, err);
  if (p->config == NULL)
    return -1;
  p->job.config = p->config;
  p->job.bundle = p->bundle;
  p->job.rootfs = p->rootfs;
  proc = p->config->process;
  if (proc->terminal && !ctx->console_socket && !ctx->foreground_tty)
    return ocirun_make_error (err, 0,
                              "process.terminal is true: a --console-socket is required to create the container");
  if (!proc->terminal && ctx->console_socket)
    return ocirun_make_error (err, 0, "--console-socket: only meaningful when process.terminal is true");
  if (!proc->terminal || !ctx->foreground_tty || ctx->console_socket || isatty (0) || isatty (1) || isatty (2))
    return 0;
  /* a foreground run proxies the container's pty to the caller's
   * terminal.  With none on stdio and no controlling terminal there is
   * nobody to type into it: an interactive shell would wait forever,
   * ignoring the SIGTERM we forward to it.  runc looks the same way
   * (stderr, stdout, stdin, then /dev/tty) and fails at once ("open
   * /dev/tty: no such device or address"). */
  tty = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0)
    return ocirun_make_error (err, errno,
                              "process.terminal is true but there is no terminal to attach the container to "
                              "(pass --console-socket, or run from a terminal): open `/dev/tty`");
  close (tty);
  return 0;
}

/* What needs nothing made yet: the binary guard, the namespaces to join,
 * the seccomp filter. */
static int
prepare_job (struct parent *p, ocirun_error_t *err)
{
  oci_config *config = p->config;
  /* CVE-2019-5736: before anything is made (this may re-exec us) */
  if (ocirun_exe_guard_needed (config, config->process) && ocirun_exe_guard (err) < 0)
    return -1;
  if (ocirun_ns_prepare (&p->job, err) < 0)
    return -1;
  ocirun_trace ("namespaces prepare");
  if (config->linux_->seccomp)
    {
      if (ocirun_seccomp_compile (config->linux_->seccomp, p->ctx->seccomp_cache, &p->job.seccomp, err) < 0)
        return -1;
      ocirun_trace ("seccomp compile");
    }
  return 0;
}

static pid_t
clone_child (struct ocirun_job *job, ocirun_error_t *err)
{
  struct clone_args_ args;
  int cgfd = job->cgroup ? ocirun_cgroup_clone_fd (job->cgroup) : -1;
  long pid;

  memset (&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  args.flags = ocirun_ns_clone_flags (job);
  if (cgfd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgfd;
    }
  pid = syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && (errno == ENOSYS || (errno == EINVAL && cgfd >= 0)))
    {
      /* kernels before 5.7 (CLONE_INTO_CGROUP) or without clone3 */
      args.flags &= ~CLONE_INTO_CGROUP;
      if (errno == ENOSYS)
        pid = syscall (SYS_clone, (unsigned long) args.flags | SIGCHLD, NULL, NULL, NULL, NULL);
      else
        pid = syscall (SYS_clone3, &args, sizeof args);
    }
  if (pid < 0)
    return ocirun_make_error (err, errno, "clone the container process");
  return (pid_t) pid;
}

/* The child stage starts: clone, then (in the child) init.c from the top.
 * Back here with p->pid the process that will be the init (through the
 * intermediate stage when there is one). */
static int
spawn_child (struct parent *p, ocirun_error_t *err)
{
  struct ocirun_job *job = &p->job;
  int sv[2];

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return ocirun_make_error (err, errno, "socketpair");
  p->sock = sv[0];
  if (job->ns_fds[NS_PID] >= 0)
    {
      /* only the container's init joins that pid namespace: keep ours to
       * return to, so hooks (runtime namespace) and whatever else this
       * command forks later are not born in the container's */
      p->own_pidns = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      if (p->own_pidns < 0 || setns (job->ns_fds[NS_PID], CLONE_NEWPID) < 0)
        {
          ocirun_make_error (err, errno, p->own_pidns < 0 ? "open `/proc/self/ns/pid`" : "join the pid namespace");
          close (sv[1]);
          return -1;
        }
    }
  if (ocirun_ns_set_time_offsets (job, err) < 0 || ocirun_mounts_prepare_idmapped (job, err) < 0)
    {
      close (sv[1]);
      return -1;
    }
  p->pid = clone_child (job, err);
  if (p->pid == 0)
    {
      ocirun_trace_restart ("container");
      /* the state dir lock belongs to this command, not to the container */
      close (p->st.dirfd);
      close (sv[0]);
      /* first of all: a runtime killed from here on takes us with it */
      sync_die_with_parent (sv[1]);
      job->sync_sock = sv[1];
      ocirun_init_main (job);
    }
  close (sv[1]);
  if (p->pid < 0)
    return -1;
  ocirun_trace ("clone");
  ocirun_mounts_release_idmapped (job); /* the child has its copies */
  /* best effort: root of a user namespace (rootless podman) may not enter
   * its own pid namespace (owned by the parent user namespace) again */
  if (p->own_pidns >= 0 && setns (p->own_pidns, CLONE_NEWPID) < 0)
    ocirun_debug ("cannot return to the runtime's pid namespace: %s", strerror (errno));
  if (ocirun_ns_child_forks_init (job) && ocirun_intermediate_reap (p->sock, &p->pid, err) < 0)
    return -1;
  return 0;
}

/* The child exists: join it to the cgroup, write its id maps, move the
 * net devices into its namespace, record its pid. */
static int
setup_child (struct parent *p, ocirun_error_t *err)
{
  if (sync_wait_for_setup_request (p->sock, err) < 0)
    return -1;
  ocirun_trace ("wait: container started");
  if (ocirun_cgroup_clone_fd (p->job.cgroup) < 0 && ocirun_cgroup_enter (p->job.cgroup, p->pid, NULL, err) < 0)
    return -1;
  ocirun_trace ("cgroup enter");
  if (ocirun_ns_write_idmaps (&p->job, p->pid, err) < 0)
    return -1;
  /* linux.netDevices: into the child's network namespace before it goes on */
  if (ocirun_netdev_move (&p->job, p->pid, &p->netdevs, err) < 0)
    return -1;
  p->st.state->has_pid = true;
  p->st.state->pid = p->pid;
  p->st.start_time = process_start_time (p->pid);
  if (ocirun_status_write (&p->st, err) < 0)
    return -1;
  ocirun_trace ("id maps, record pid");
  return sync_send_setup_done (p->sock, err);
}

/* runtime.md lifecycle steps 3-5: prestart, createRuntime, when the child
 * has its mounts ready.  The state they read says "created": runtime.md
 * defines `creating` as step 2 and `created` as after it (crun does the
 * same; runc 1.1 says "creating").  The record on disk stays "creating"
 * until record_created: that is what recovery after a crash reads. */
static int
run_runtime_hooks (struct parent *p, ocirun_error_t *err)
{
  cleanup_free char *json = NULL;
  if (sync_wait_for_hooks_request (p->sock, err) < 0)
    return -1;
  ocirun_trace ("wait: container mounts");
  json = ocirun_state_json (&p->st, "created");
  p->hooks_started = true;
  if (ocirun_hooks_run (p->config->hooks, HOOK_PRESTART, json, err) < 0
      || ocirun_hooks_run (p->config->hooks, HOOK_CREATE_RUNTIME, json, err) < 0)
    return -1;
  ocirun_trace ("hooks");
  return sync_send_hooks_done (p->sock, json, err);
}

static int
wait_child_ready (struct parent *p, ocirun_error_t *err)
{
  cleanup_free char *cur = ocirun_state_json (&p->st, "creating");
  if (ocirun_parent_wait_ready (p->sock, p->ctx->console_socket, p->config->linux_->seccomp, cur, &p->master, err) < 0)
    return -1;
  ocirun_trace ("wait: container ready");
  return 0;
}

/* The init waits for `start`: record it "created", then let it go. */
static int
record_created (struct parent *p, ocirun_error_t *err)
{
  if (p->ctx->pid_file && ocirun_write_pid_file (p->ctx->pid_file, p->pid, err) < 0)
    return -1;
  free (p->st.state->status);
  p->st.state->status = xstrdup ("created");
  if (ocirun_status_write (&p->st, err) < 0)
    return -1;
  /* recorded: only now may the init outlive us (until here a runtime
   * killed at any instant takes the init with it, and the record says
   * "creating": delete --force finds everything) */
  if (sync_parent_release (p->sock, err) < 0)
    return -1;
  ocirun_trace ("record created");
  return 0;
}

/* A create that failed at any step: remove everything it made. */
static void
create_undo (struct parent *p)
{
  if (p->master >= 0)
    close (p->master);
  p->master = -1;
  if (p->own_pidns >= 0)
    setns (p->own_pidns, CLONE_NEWPID); /* poststop hooks run in ours */
  ocirun_mounts_release_idmapped (&p->job);
  ocirun_kill_and_reap (p->pid);
  if (p->hooks_started && p->config->hooks && p->config->hooks->poststop_len)
    {
      /* runtime.md: a failed prestart/createRuntime/createContainer hook
       * stops the container and "continue[s] the lifecycle at step 12":
       * the container is destroyed and the poststop hooks run */
      cleanup_free char *stopped = ocirun_state_json (&p->st, "stopped");
      ocirun_hooks_run_all (p->config->hooks, HOOK_POSTSTOP, stopped);
    }
  ocirun_netdev_restore (&p->netdevs);
  ocirun_creating_undo (p->ctx->root, &p->st, p->job.cgroup);
}

struct created
{
  pid_t pid;
  int master; /* foreground tty, -1 otherwise */
};

static int
do_create (struct ocirun_context *ctx, struct created *out, ocirun_error_t *err)
{
  cleanup_parent struct parent p;

  parent_init (&p, ctx);
  if (load_bundle (&p, err) < 0 || prepare_job (&p, err) < 0)
    return -1;
  /* from here on there is state to undo */
  if (ocirun_creating_open (ctx, p.bundle, p.rootfs, p.config, p.raw, p.raw_len, true, &p.st, &p.job.cgroup, err) < 0)
    return -1;
  p.have_status = true;
  p.job.state_dir = p.st.dir;
  if (spawn_child (&p, err) < 0 || setup_child (&p, err) < 0 || run_runtime_hooks (&p, err) < 0
      || wait_child_ready (&p, err) < 0 || record_created (&p, err) < 0)
    {
      create_undo (&p);
      return -1;
    }
  out->pid = p.pid;
  out->master = steal_fd (&p.master);
  return 0;
}

int
ocirun_container_create (struct ocirun_context *ctx, ocirun_error_t *err)
{
  struct created c;
  int ret = do_create (ctx, &c, err);
  if (ret < 0)
    return ret;
  if (c.master >= 0)
    close (c.master);
  return 0;
}

/* ---- run: create + start, then (not detached) wait and forward signals ---- */

int
ocirun_container_run (struct ocirun_context *ctx, int *exit_status, ocirun_error_t *err)
{
  struct created c;
  sigset_t mask, old;
  int ret;

  *exit_status = 0;
  if (!ctx->detach)
    {
      ocirun_foreground_prepare (&mask, &old);
      ctx->foreground_tty = ctx->console_socket == NULL;
    }
  ret = do_create (ctx, &c, err);
  if (ret < 0)
    return ret;
  ret = ocirun_container_start (ctx, err);
  ocirun_trace ("start");
  if (ret < 0)
    {
      ocirun_error_t tmp = NULL;
      if (c.master >= 0)
        close (c.master);
      ocirun_container_delete (ctx, true, &tmp);
      ocirun_error_release (&tmp);
      return ret;
    }
  if (ctx->detach)
    {
      if (c.master >= 0)
        close (c.master);
      return 0;
    }

  ret = ocirun_wait_foreground (c.pid, c.master, &mask, exit_status, err);
  ocirun_trace ("wait: exec and exit");
  if (c.master >= 0)
    close (c.master);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (ret < 0)
    return ret;
  /* runc's --keep: the stopped container stays (state, ps, events still
   * answer) until the caller's `delete` */
  if (ctx->keep)
    return 0;
  {
    ocirun_error_t tmp = NULL;
    if (ocirun_container_delete (ctx, true, &tmp) < 0)
      {
        ocirun_warning ("%s", tmp->msg);
        ocirun_error_release (&tmp);
      }
    ocirun_trace ("delete");
  }
  return 0;
}
