/* checkpoint and restore with CRIU (runc's `checkpoint`/`restore`).
 *
 * The criu binary is run as a command (`criu dump`, `criu pre-dump`,
 * `criu restore`), not through its RPC: no link-time dependency (runc's
 * swrk RPC needs protobuf), and the only cost is paid by these two verbs.
 * The mapping of a container to criu options follows runc's libcontainer
 * (container_linux.go Checkpoint/Restore):
 *   - `--root` is the container's rootfs on the host;
 *   - every bind mount of mounts[] is an external mount: at dump it is
 *     named by its destination (`--external mnt[DEST]:DEST`), at restore the
 *     name is bound from the source of the bundle's config
 *     (`--external mnt[DEST]:SOURCE`);
 *   - a network namespace joined from a path is external at dump
 *     (`--external net[INODE]:extRootNetNS`) and handed back at restore
 *     (`--inherit-fd fd[N]:extRootNetNS`);
 *   - the init's stdio is recorded in descriptors.json (runc's file, same
 *     format: readlink of /proc/PID/fd/0..2); a pipe there is replaced at
 *     restore by our own stdio (`--inherit-fd fd[N]:pipe:[INODE]`), which is
 *     how containerd and conmon reconnect a restored container's output;
 *   - restore creates the container's cgroup (cgroupsPath, resources) as
 *     create does, runs criu inside it, and points criu's cgroup root at it
 *     (`--cgroup-root`), so the tree lands there whatever the mode;
 *   - `--restore-detached` + `--pidfile`: criu exits once the tree runs;
 *     its root is reparented to us (a foreground restore is a subreaper and
 *     waits for it, as run does) or to the caller's subreaper.
 * A terminal (process.terminal) container is refused: runc hands the pty
 * master to the console socket through criu's RPC notifications, which the
 * command line does not have. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "container_internal.h"
#include "foreground.h"
#include "job.h"
#include "mount_opts.h"
#include "status.h"
#include "utils.h"

#define DESCRIPTORS "descriptors.json"

static const char *
criu_binary (const struct ocirun_context *ctx, char **found, ocirun_error_t *err)
{
  const char *path = getenv ("PATH");
  cleanup_free char *dirs = NULL;
  char *save = NULL, *d;
  *found = NULL;
  if (ctx->criu && *ctx->criu)
    {
      if (strchr (ctx->criu, '/'))
        {
          if (access (ctx->criu, X_OK) < 0)
            {
              ocirun_make_error (err, errno, "--criu `%s`", ctx->criu);
              return NULL;
            }
          return ctx->criu;
        }
    }
  dirs = xstrdup (path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *p = NULL;
      xasprintf (&p, "%s/%s", d, ctx->criu && *ctx->criu ? ctx->criu : "criu");
      if (access (p, X_OK) == 0)
        {
          *found = steal_pointer (&p);
          return *found;
        }
    }
  ocirun_make_error (err, 0, "the criu binary `%s` was not found in PATH (install criu, or pass --criu PATH)",
                     ctx->criu && *ctx->criu ? ctx->criu : "criu");
  return NULL;
}

/* ---- argv building ---- */

struct args
{
  char **v;
  size_t n, cap;
};

static void args_add (struct args *a, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
args_add (struct args *a, const char *fmt, ...)
{
  va_list ap;
  char *s;
  if (a->n + 2 > a->cap)
    {
      a->cap = a->cap ? a->cap * 2 : 32;
      a->v = xrealloc (a->v, a->cap * sizeof *a->v);
    }
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
}

static void
args_free (struct args *a)
{
  size_t i;
  for (i = 0; i < a->n; i++)
    free (a->v[i]);
  free (a->v);
  memset (a, 0, sizeof *a);
}

static const char *
netns_path (const oci_config *c)
{
  size_t i;
  for (i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    if (strcmp (c->linux_->namespaces[i].type, "network") == 0 && c->linux_->namespaces[i].path
        && *c->linux_->namespaces[i].path)
      return c->linux_->namespaces[i].path;
  return NULL;
}

/* Options shared by dump and restore. */
static void
common_args (struct args *a, const struct ocirun_criu_options *o)
{
  if (o->tcp_established)
    args_add (a, "--tcp-established");
  if (o->ext_unix_sk)
    args_add (a, "--ext-unix-sk");
  if (o->shell_job)
    args_add (a, "--shell-job");
  if (o->file_locks)
    args_add (a, "--file-locks");
  if (o->auto_dedup)
    args_add (a, "--auto-dedup");
  args_add (a, "--manage-cgroups=%s", o->manage_cgroups_mode ? o->manage_cgroups_mode : "soft");
}

/* The first "Error" line criu wrote to its log (the cause; later ones say
 * "Dumping FAILED"), for a one-line message.  criu's probe of /dev/net/tun
 * logs an error on hosts without it and goes on: skipped. */
static char *
log_error_line (const char *log)
{
  cleanup_free char *data = NULL;
  ocirun_error_t tmp = NULL;
  char *line, *save = NULL, *last = NULL;
  if (read_all_file (log, &data, NULL, &tmp) < 0)
    {
      ocirun_error_release (&tmp);
      return NULL;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if ((strstr (line, "Error (") || strstr (line, "Error:")) && !strstr (line, "criu/tun.c"))
      {
        last = line;
        break;
      }
  if (last == NULL)
    return NULL;
  /* "(00.012345) Error (criu/cr-dump.c:123): ..." -> from "Error" on */
  return xstrdup (strstr (last, "Error"));
}

/* Run criu with `a`, stdin /dev/null, stdout/stderr appended to `log`
 * (criu's own log, for what it prints before it opens it).  keep[]: fds
 * (> 2) criu inherits at the same numbers.  When `cg` is
 * given, criu runs in that cgroup (restore: the tree it forks is born
 * there, whatever --manage-cgroups says). */
static int
run_criu (const char *bin, struct args *a, const char *log, const int *keep, size_t nkeep, ocirun_cgroup *cg,
          int *status, ocirun_error_t *err)
{
  int go[2];
  pid_t pid;
  size_t i;
  char c = 0;

  if (pipe2 (go, O_CLOEXEC) < 0)
    return ocirun_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (go[0]);
      close (go[1]);
      return ocirun_make_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      int fd;
      close (go[1]);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (read (go[0], &c, 1) != 1)
        _exit (127);
      /* criu's own mounts (the cgroup "yard" of a restore: a tmpfs and
       * cgroup mounts in its work dir) live in a mount namespace of its
       * own, a slave of ours: when criu dies half-way with us (SIGKILL,
       * the parent-death signal above) the kernel drops them instead of
       * leaving them on the host (docs/faults.md) */
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        _exit (127);
      fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd >= 0)
        dup2 (fd, 0);
      fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0)
        {
          dup2 (fd, 1);
          dup2 (fd, 2);
        }
      for (i = 0; i < nkeep; i++)
        if (keep[i] > 2)
          fcntl (keep[i], F_SETFD, 0);
      ocirun_reset_signals ();
      execv (bin, a->v);
      _exit (127);
    }
  close (go[0]);
  if (cg && ocirun_cgroup_enter (cg, pid, NULL, err) < 0)
    {
      close (go[1]);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return -1;
    }
  if (write (go[1], &c, 1) != 1)
    {
      int e = errno;
      close (go[1]);
      kill (pid, SIGKILL);
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return ocirun_make_error (err, e, "start criu");
    }
  close (go[1]);
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return ocirun_make_error (err, errno, "wait for criu");
  return 0;
}

static int
criu_failed (const char *what, int status, const char *log, ocirun_error_t *err)
{
  cleanup_free char *line = log_error_line (log);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127 && line == NULL)
    return ocirun_make_error (err, 0, "criu %s: could not run criu; see `%s`", what, log);
  if (line)
    return ocirun_make_error (err, 0, "criu %s failed: %s; see `%s`", what, line, log);
  if (WIFSIGNALED (status))
    return ocirun_make_error (err, 0, "criu %s failed (killed by signal %d); see `%s`", what, WTERMSIG (status), log);
  return ocirun_make_error (err, 0, "criu %s failed (exit status %d); see `%s`", what, WEXITSTATUS (status), log);
}

static int
validate_mode (const char *mode, ocirun_error_t *err)
{
  static const char *const modes[] = { "soft", "full", "strict", "ignore" };
  size_t i;
  if (mode == NULL)
    return 0;
  for (i = 0; i < ARRAY_SIZE (modes); i++)
    if (strcmp (mode, modes[i]) == 0)
      return 0;
  return ocirun_make_error (err, 0, "--manage-cgroups-mode: `%s`: expected soft, full, strict or ignore", mode);
}

/* runc's descriptors.json: ["/dev/null","pipe:[1234]","pipe:[1235]"] */
static int
write_descriptors (pid_t pid, const char *image_dir, ocirun_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  cleanup_free char *path = NULL;
  size_t len;
  int fd, ret;
  yajl_gen_array_open (g);
  for (fd = 0; fd < 3; fd++)
    {
      char link[64], target[4096];
      ssize_t n;
      snprintf (link, sizeof link, "/proc/%d/fd/%d", pid, fd);
      n = readlink (link, target, sizeof target - 1);
      if (n < 0)
        n = 0; /* a closed fd: criu will not look for it */
      target[n] = '\0';
      yajl_gen_string (g, (const unsigned char *) target, (size_t) n);
    }
  yajl_gen_array_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  xasprintf (&path, "%s/" DESCRIPTORS, image_dir);
  ret = write_file (path, buf, len, err);
  yajl_gen_free (g);
  return ret;
}

static int
read_descriptors (const char *image_dir, char *out[3], ocirun_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *data = NULL;
  char ebuf[256];
  yajl_val v;
  size_t i;
  out[0] = out[1] = out[2] = NULL;
  xasprintf (&path, "%s/" DESCRIPTORS, image_dir);
  if (read_all_file (path, &data, NULL, err) < 0)
    {
      if ((*err)->status != ENOENT)
        return -1;
      /* an image from plain `criu dump`: nothing to reconnect */
      ocirun_error_release (err);
      return 0;
    }
  v = yajl_tree_parse (data, ebuf, sizeof ebuf);
  if (v == NULL || !YAJL_IS_ARRAY (v))
    {
      if (v)
        yajl_tree_free (v);
      return ocirun_make_error (err, 0, "`%s`: expected a JSON array of strings", path);
    }
  for (i = 0; i < 3 && i < v->u.array.len; i++)
    if (YAJL_IS_STRING (v->u.array.values[i]))
      out[i] = xstrdup (YAJL_GET_STRING (v->u.array.values[i]));
  yajl_tree_free (v);
  return 0;
}

/* ---- checkpoint ---- */

/* criu's command line for a dump (or pre-dump) of the container whose
 * record is st, into image (criu's work files in work). */
static int
checkpoint_args (struct args *a, const struct ocirun_criu_options *o, struct ocirun_status *st,
                 const oci_config *config, const char *image, const char *work, const char *log, const char *freeze,
                 ocirun_error_t *err)
{
  bool pre_dump = o->pre_dump;
  bool leave_running = o->leave_running || pre_dump;
  size_t i;

  args_add (a, "criu");
  args_add (a, pre_dump ? "pre-dump" : "dump");
  args_add (a, "--tree=%d", st->state->pid);
  args_add (a, "--images-dir=%s", image);
  args_add (a, "--work-dir=%s", work);
  args_add (a, "--log-file=%s", log);
  args_add (a, "-v4");
  args_add (a, "--root=%s", st->rootfs ? st->rootfs : "/");
  common_args (a, o);
  if (leave_running && !pre_dump)
    args_add (a, "--leave-running");
  if (freeze && *freeze)
    args_add (a, "--freeze-cgroup=%s", freeze);
  if (pre_dump || o->parent_path)
    args_add (a, "--track-mem");
  if (o->parent_path)
    args_add (a, "--prev-images-dir=%s", o->parent_path);
  if (o->empty_ns_net)
    args_add (a, "--empty-ns=net");
  /* runc: a bind mount is external, named by its destination */
  for (i = 0; i < config->mounts_len; i++)
    if (ocirun_mount_is_bind (&config->mounts[i]))
      args_add (a, "--external=mnt[%s]:%s", config->mounts[i].destination, config->mounts[i].destination);
  if (netns_path (config))
    {
      struct stat sb;
      if (stat (netns_path (config), &sb) < 0)
        return ocirun_make_error (err, errno, "linux.namespaces: network path `%s`", netns_path (config));
      args_add (a, "--external=net[%lu]:extRootNetNS", (unsigned long) sb.st_ino);
    }
  return 0;
}

int
ocirun_container_checkpoint (struct ocirun_context *ctx, const struct ocirun_criu_options *o, ocirun_error_t *err)
{
  struct ocirun_status st;
  struct args a = { 0 };
  cleanup_free char *bin_found = NULL;
  cleanup_free char *image = NULL;
  cleanup_free char *work = NULL;
  cleanup_free char *log = NULL;
  cleanup_free char *cfgpath = NULL;
  cleanup_free char *raw = NULL;
  oci_config *config = NULL;
  ocirun_cgroup *cg = NULL;
  const char *bin, *live, *freeze = NULL;
  bool pre_dump = o->pre_dump;
  bool leave_running = o->leave_running || pre_dump;
  bool was_paused;
  size_t raw_len;
  int status = 0, ret = -1;

  if (validate_mode (o->manage_cgroups_mode, err) < 0)
    return -1;
  if (ocirun_status_open (ctx->root, ctx->id, 0, &st, err) < 0)
    return -1;
  live = ocirun_status_live (&st);
  /* paused too: containerd's client pauses a task before it asks for the
   * checkpoint (and resumes it after), runc dumps it; criu finds the cgroup
   * frozen and leaves it in the state it found */
  was_paused = strcmp (live, "paused") == 0;
  if (strcmp (live, "running") != 0 && !was_paused)
    {
      ocirun_make_error (err, 0, "container `%s` is %s: checkpoint needs a running or paused container", ctx->id, live);
      goto out;
    }
  xasprintf (&cfgpath, "%s/config.json", st.dir);
  config = ocirun_load_config (cfgpath, &raw, &raw_len, err);
  if (config == NULL)
    goto out;
  if (config->process && config->process->terminal)
    {
      ocirun_make_error (err, 0,
                         "checkpoint: container `%s` has a terminal (process.terminal): not supported "
                         "(criu's command line cannot hand the pty to a console socket)",
                         ctx->id);
      goto out;
    }
  bin = criu_binary (ctx, &bin_found, err);
  if (bin == NULL)
    goto out;

  image = realpath (o->image_path, NULL);
  if (image == NULL)
    {
      if (mkdir_p (o->image_path, 0700, err) < 0)
        goto out;
      image = realpath (o->image_path, NULL);
    }
  work = o->work_path ? (mkdir_p (o->work_path, 0700, err) < 0 ? NULL : realpath (o->work_path, NULL))
                      : xstrdup (image);
  if (image == NULL || work == NULL)
    {
      ocirun_make_error (err, errno, "checkpoint: %s `%s`", image ? "--work-path" : "--image-path",
                         image ? o->work_path : o->image_path);
      goto out;
    }
  /* runc: dump.log for a pre-dump too (podman reads it on failure) */
  xasprintf (&log, "%s/dump.log", work);
  unlink (log);
  if (write_descriptors (st.state->pid, image, err) < 0)
    goto out;

  if (st.cgroup && *st.cgroup && ocirun_cgroup_load (st.cgroup, &cg, err) < 0)
    goto out;
  if (cg && !ocirun_cgroup_is_empty_manager (cg))
    freeze = ocirun_cgroup_path (cg, strcmp (ocirun_cgroup_mode_name (cg), "v2") == 0 ? NULL : "freezer");

  if (checkpoint_args (&a, o, &st, config, image, work, log, freeze, err) < 0)
    goto out;
  if (run_criu (bin, &a, log, NULL, 0, NULL, &status, err) < 0)
    goto out;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      if (freeze && *freeze && !was_paused)
        {
          /* criu thaws what it froze; make sure, the container was running */
          ocirun_error_t tmp = NULL;
          ocirun_cgroup_freeze (cg, false, &tmp);
          ocirun_error_release (&tmp);
        }
      criu_failed (pre_dump ? "pre-dump" : "dump", status, log, err);
      goto out;
    }
  ret = 0;
  if (!leave_running)
    {
      /* runc: the dumped container is destroyed (poststop hooks, cgroup,
       * state): its processes were killed by criu, restore re-creates it */
      ocirun_cgroup_free (cg);
      cg = NULL;
      oci_config_free (config);
      config = NULL;
      ocirun_status_release (&st);
      args_free (&a);
      return ocirun_container_delete (ctx, true, err);
    }
out:
  args_free (&a);
  if (cg)
    ocirun_cgroup_free (cg);
  oci_config_free (config);
  ocirun_status_release (&st);
  return ret;
}

/* ---- restore ---- */

static int
read_pid (const char *path, pid_t *pid, ocirun_error_t *err)
{
  cleanup_free char *data = NULL;
  long long n;
  char *nl;
  if (read_all_file (path, &data, NULL, err) < 0)
    return -1;
  nl = strchr (data, '\n');
  if (nl)
    *nl = '\0';
  if (parse_int64 (data, &n) < 0 || n <= 0)
    return ocirun_make_error (err, 0, "`%s`: expected a pid, got `%s`", path, data);
  *pid = (pid_t) n;
  return 0;
}

/* What a restore reads and builds before and around criu. */
struct restore
{
  oci_config *config;
  char *bundle, *rootfs, *raw;
  size_t raw_len;
  char *image, *work, *log, *pidfile;
  char *bin_found;
  const char *bin;
  char *desc[3];       /* the init's stdio in the checkpoint (descriptors.json) */
  int stdio_copies[3]; /* ours, for criu's --inherit-fd */
  int keep[4];         /* fds criu inherits */
  size_t nkeep;
  int netns_fd;
  struct args a;
};

static void
restore_release (struct restore *r)
{
  size_t i;
  for (i = 0; i < 3; i++)
    {
      free (r->desc[i]);
      if (r->stdio_copies[i] >= 0)
        close (r->stdio_copies[i]);
    }
  if (r->netns_fd >= 0)
    close (r->netns_fd);
  args_free (&r->a);
  oci_config_free (r->config);
  free (r->bundle);
  free (r->rootfs);
  free (r->raw);
  free (r->image);
  free (r->work);
  free (r->log);
  free (r->pidfile);
  free (r->bin_found);
}

/* Everything checked before anything is made: the bundle, the images,
 * criu itself, the network namespace to hand back. */
static int
restore_check (struct ocirun_context *ctx, const struct ocirun_criu_options *o, struct restore *r, ocirun_error_t *err)
{
  cleanup_free char *inventory = NULL;

  if (ocirun_validate_id (ctx->id, err) < 0)
    return -1;
  if (validate_mode (o->manage_cgroups_mode, err) < 0)
    return -1;
  if (ctx->systemd_cgroup)
    return ocirun_make_error (err, 0, "--systemd-cgroup: restore with the systemd cgroup driver is not supported yet");
  r->config = ocirun_bundle_load (ctx->bundle, &r->bundle, &r->rootfs, &r->raw, &r->raw_len, err);
  if (r->config == NULL)
    return -1;
  if (r->config->process->terminal)
    return ocirun_make_error (err, 0,
                              "restore: process.terminal is true: not supported "
                              "(criu's command line cannot hand the pty to a console socket)");
  if (ctx->console_socket)
    return ocirun_make_error (err, 0, "--console-socket: only meaningful when process.terminal is true");
  r->image = realpath (o->image_path, NULL);
  if (r->image == NULL)
    return ocirun_make_error (err, errno, "restore: --image-path `%s`", o->image_path);
  xasprintf (&inventory, "%s/inventory.img", r->image);
  if (access (inventory, R_OK) < 0)
    return ocirun_make_error (err, 0, "restore: --image-path `%s`: no checkpoint there (no inventory.img)", r->image);
  r->bin = criu_binary (ctx, &r->bin_found, err);
  if (r->bin == NULL)
    return -1;
  if (read_descriptors (r->image, r->desc, err) < 0)
    return -1;
  if (netns_path (r->config))
    {
      r->netns_fd = open (netns_path (r->config), O_RDONLY | O_CLOEXEC);
      if (r->netns_fd < 0)
        return ocirun_make_error (err, errno, "linux.namespaces: network path `%s`", netns_path (r->config));
    }
  return 0;
}

/* criu's command line, once the state dir and the cgroup exist. */
static int
restore_args (const struct ocirun_criu_options *o, struct restore *r, struct ocirun_status *st, ocirun_cgroup *cg,
              ocirun_error_t *err)
{
  struct args *a = &r->a;
  size_t i;

  if (o->work_path)
    {
      if (mkdir_p (o->work_path, 0700, err) < 0)
        return -1;
      r->work = realpath (o->work_path, NULL);
      if (r->work == NULL)
        return ocirun_make_error (err, errno, "restore: --work-path `%s`", o->work_path);
    }
  else
    r->work = xstrdup (r->image);
  xasprintf (&r->log, "%s/restore.log", r->work);
  unlink (r->log);
  xasprintf (&r->pidfile, "%s/restore.pid", st->dir);

  args_add (a, "criu");
  args_add (a, "restore");
  args_add (a, "--images-dir=%s", r->image);
  args_add (a, "--work-dir=%s", r->work);
  args_add (a, "--log-file=%s", r->log);
  args_add (a, "-v4");
  args_add (a, "--root=%s", r->rootfs);
  args_add (a, "--restore-detached");
  args_add (a, "--pidfile=%s", r->pidfile);
  common_args (a, o);
  if (o->empty_ns_net)
    args_add (a, "--empty-ns=net");
  if (o->lsm_profile)
    args_add (a, "--lsm-profile=%s", o->lsm_profile);
  if (o->lsm_mount_context)
    args_add (a, "--lsm-mount-context=%s", o->lsm_mount_context);
  if (!ocirun_cgroup_is_empty_manager (cg))
    {
      const char *rel = ocirun_cgroup_relative_path (cg);
      if (rel && *rel && (o->manage_cgroups_mode == NULL || strcmp (o->manage_cgroups_mode, "ignore") != 0))
        args_add (a, "--cgroup-root=%s", rel);
    }
  for (i = 0; i < r->config->mounts_len; i++)
    if (ocirun_mount_is_bind (&r->config->mounts[i]))
      {
        const char *src = r->config->mounts[i].source ? r->config->mounts[i].source : "";
        cleanup_free char *abs = NULL;
        if (src[0] != '/')
          xasprintf (&abs, "%s/%s", r->bundle, src);
        args_add (a, "--external=mnt[%s]:%s", r->config->mounts[i].destination, abs ? abs : src);
      }
  if (r->netns_fd >= 0)
    {
      args_add (a, "--inherit-fd=fd[%d]:extRootNetNS", r->netns_fd);
      r->keep[r->nkeep++] = r->netns_fd;
    }
  /* runc: the init's stdio pipes become ours (containerd, conmon); criu
   * gets copies above 2, its own stdio goes to the log */
  for (i = 0; i < 3; i++)
    if (r->desc[i] && strncmp (r->desc[i], "pipe:", 5) == 0)
      {
        int d = fcntl ((int) i, F_DUPFD_CLOEXEC, 10);
        if (d < 0)
          return ocirun_make_error (err, errno, "restore: stdio fd %zu (a pipe in the checkpoint)", i);
        r->stdio_copies[i] = d;
        args_add (a, "--inherit-fd=fd[%d]:%s", d, r->desc[i]);
        r->keep[r->nkeep++] = d;
      }
  return 0;
}

/* Run criu in the container's cgroup; *pid: the restored tree's root. */
static int
restore_run (struct restore *r, ocirun_cgroup *cg, pid_t *pid, ocirun_error_t *err)
{
  int status = 0;
  if (run_criu (r->bin, &r->a, r->log, r->nkeep ? r->keep : NULL, r->nkeep,
                ocirun_cgroup_is_empty_manager (cg) ? NULL : cg, &status, err)
      < 0)
    return -1;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return criu_failed ("restore", status, r->log, err);
  if (read_pid (r->pidfile, pid, err) < 0)
    return ocirun_error_prefix (err, "criu restore");
  unlink (r->pidfile);
  return 0;
}

/* The restored tree runs: record it "running", write the pid file. */
static int
restore_record (struct ocirun_context *ctx, struct restore *r, struct ocirun_status *st, pid_t pid, ocirun_error_t *err)
{
  st->state->has_pid = true;
  st->state->pid = pid;
  st->start_time = process_start_time (pid);
  free (st->state->status);
  st->state->status = xstrdup ("running");
  /* it already exited: a foreground restore still reports its status */
  if (st->start_time == 0 && ctx->detach)
    return ocirun_make_error (err, 0, "criu restore: the restored process %d exited at once; see `%s`", pid, r->log);
  if (ocirun_status_write (st, err) < 0)
    return -1;
  if (ctx->pid_file && ocirun_write_pid_file (ctx->pid_file, pid, err) < 0)
    return -1;
  return 0;
}

int
ocirun_container_restore (struct ocirun_context *ctx, const struct ocirun_criu_options *o, int *exit_status,
                          ocirun_error_t *err)
{
  struct restore r = { .stdio_copies = { -1, -1, -1 }, .netns_fd = -1 };
  struct ocirun_status st = OCIRUN_STATUS_INIT;
  cleanup_cgroup ocirun_cgroup *cg = NULL;
  sigset_t mask, old;
  pid_t pid = -1;
  int ret = -1;

  *exit_status = 0;
  if (restore_check (ctx, o, &r, err) < 0)
    goto out;
  if (!ctx->detach)
    ocirun_foreground_prepare (&mask, &old);
  /* from here on there is state to undo: as create, the record names
   * the cgroup before it exists */
  if (ocirun_creating_open (ctx, r.bundle, r.rootfs, r.config, r.raw, r.raw_len, false, &st, &cg, err) < 0)
    goto out;
  if (restore_args (o, &r, &st, cg, err) < 0 || restore_run (&r, cg, &pid, err) < 0
      || restore_record (ctx, &r, &st, pid, err) < 0)
    {
      ocirun_error_t tmp = NULL;
      if (pid > 0)
        kill (pid, SIGKILL);
      if (cg)
        ocirun_cgroup_kill (cg, SIGKILL, &tmp);
      ocirun_error_release (&tmp);
      ocirun_creating_undo (ctx->root, &st, cg);
      if (pid > 0)
        while (waitpid (pid, NULL, WNOHANG) > 0)
          ;
      ocirun_creating_release (&st);
      if (!ctx->detach)
        sigprocmask (SIG_SETMASK, &old, NULL);
      goto out;
    }
  ocirun_creating_release (&st);
  ret = 0;
  if (!ctx->detach)
    {
      /* foreground: wait as run does, then delete */
      ocirun_error_t tmp = NULL;
      ret = ocirun_wait_foreground (pid, -1, &mask, exit_status, err);
      sigprocmask (SIG_SETMASK, &old, NULL);
      if (ocirun_container_delete (ctx, true, &tmp) < 0)
        {
          ocirun_warning ("%s", tmp->msg);
          ocirun_error_release (&tmp);
        }
    }
out:
  restore_release (&r);
  return ret;
}
