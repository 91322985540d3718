#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "cgroup.h"
#include "status.h"
#include "sync.h"
#include "utils.h"

int
ocirun_state_dir_ensure (const char *root, ocirun_error_t *err)
{
  struct stat sb;
  if (stat (root, &sb) == 0)
    {
      if (!S_ISDIR (sb.st_mode))
        return ocirun_make_error (err, ENOTDIR, "state root `%s`", root);
      return 0;
    }
  return mkdir_p (root, 0700, err);
}

static int
lock_dir (struct ocirun_status *st, ocirun_error_t *err)
{
  if (flock (st->dirfd, LOCK_EX) < 0)
    return ocirun_make_error (err, errno, "lock `%s`", st->dir);
  return 0;
}

int
ocirun_status_create (const char *root, const char *id, struct ocirun_status *st, ocirun_error_t *err)
{
  int ret;
  memset (st, 0, sizeof *st);
  st->dirfd = -1;
  st->config_needs = -1;
  ret = ocirun_state_dir_ensure (root, err);
  if (ret < 0)
    return ret;
  xasprintf (&st->dir, "%s/%s", root, id);
  if (mkdir (st->dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return ocirun_make_error (err, 0, "container `%s` already exists", id);
      return ocirun_make_error (err, errno, "mkdir `%s`", st->dir);
    }
  st->dirfd = open (st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (st->dirfd < 0)
    return ocirun_make_error (err, errno, "open `%s`", st->dir);
  return lock_dir (st, err);
}

static int parse_needs (char *list);

static int
parse_runtime_record (struct ocirun_status *st, char *data)
{
  char *save = NULL, *line;
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *eq = strchr (line, '=');
      if (eq == NULL)
        continue;
      *eq++ = '\0';
      if (strcmp (line, "start_time") == 0)
        st->start_time = strtoull (eq, NULL, 10);
      /* a key given twice (a damaged record): the last one wins */
      else if (strcmp (line, "created") == 0)
        {
          free (st->created);
          st->created = xstrdup (eq);
        }
      else if (strcmp (line, "cgroup") == 0)
        {
          free (st->cgroup);
          st->cgroup = xstrdup (eq);
        }
      else if (strcmp (line, "rootfs") == 0)
        {
          free (st->rootfs);
          st->rootfs = xstrdup (eq);
        }
      else if (strcmp (line, "terminal") == 0)
        st->terminal = strcmp (eq, "1") == 0;
      else if (strcmp (line, "needs") == 0)
        st->config_needs = parse_needs (eq);
    }
  return 0;
}

static const struct
{
  const char *name;
  int bit;
} needs_names[] = {
  { "poststart", OCIRUN_NEEDS_POSTSTART },
  { "poststop", OCIRUN_NEEDS_POSTSTOP },
  { "unpin", OCIRUN_NEEDS_UNPIN },
};

/* "poststart,unpin" -> bits; a word we do not know (a newer ocirun's
 * record) -> -1: read the config, as for a record without the key */
static int
parse_needs (char *list)
{
  char *save = NULL, *w;
  int bits = 0;
  size_t i;
  for (w = strtok_r (list, ",", &save); w; w = strtok_r (NULL, ",", &save))
    {
      for (i = 0; i < ARRAY_SIZE (needs_names); i++)
        if (strcmp (w, needs_names[i].name) == 0)
          break;
      if (i == ARRAY_SIZE (needs_names))
        return -1;
      bits |= needs_names[i].bit;
    }
  return bits;
}

static void
format_needs (int bits, char *buf, size_t size)
{
  size_t i, used = 0;
  buf[0] = '\0';
  for (i = 0; i < ARRAY_SIZE (needs_names); i++)
    if (bits & needs_names[i].bit)
      used += snprintf (buf + used, size - used, "%s%s", used ? "," : "", needs_names[i].name);
}

bool
ocirun_status_needs_config (const struct ocirun_status *st, int needs)
{
  return st->config_needs < 0 || (st->config_needs & needs) != 0;
}

static int status_load (const char *root, const char *id, struct ocirun_status *st, bool readonly, ocirun_error_t *err);

/* state.json and runtime are replaced by rename, never written in place:
 * a read of one shorter than asked is its end, without the read that
 * returns 0 (`list` reads both of every container) */
static int
read_record_fd (int fd, const char *name, char **out, size_t *len, ocirun_error_t *err)
{
  enum
  {
    SMALL = 4096
  };
  char *buf = xmalloc0 (SMALL + 1);
  ssize_t n;
  do
    n = read (fd, buf, SMALL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      free (buf);
      return ocirun_make_error (err, errno, "read `%s`", name);
    }
  if (n < SMALL)
    {
      buf[n] = '\0';
      *out = buf;
      if (len)
        *len = (size_t) n;
      return 0;
    }
  free (buf);
  if (lseek (fd, 0, SEEK_SET) < 0)
    return ocirun_make_error (err, errno, "seek `%s`", name);
  return read_all_fd (fd, name, out, len, err);
}

int
ocirun_status_load (const char *root, const char *id, struct ocirun_status *st, ocirun_error_t *err)
{
  return status_load (root, id, st, false, err);
}

int
ocirun_status_load_readonly (const char *root, const char *id, struct ocirun_status *st, ocirun_error_t *err)
{
  return status_load (root, id, st, true, err);
}

static int
status_load (const char *root, const char *id, struct ocirun_status *st, bool readonly, ocirun_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *rec = NULL;
  cleanup_close int fd = -1;
  char *perr = NULL;
  size_t len;
  bool has_record;
  int ret;

  memset (st, 0, sizeof *st);
  st->dirfd = -1;
  st->config_needs = -1; /* unless the record says */
  xasprintf (&st->dir, "%s/%s", root, id);
  st->dirfd = open (st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (st->dirfd < 0)
    {
      if (errno == ENOENT)
        return ocirun_make_error (err, 0, "container `%s` does not exist", id);
      return ocirun_make_error (err, errno, "open `%s`", st->dir);
    }
  if (readonly)
    {
      if (flock (st->dirfd, LOCK_SH | LOCK_NB) < 0)
        {
          if (errno != EWOULDBLOCK)
            return ocirun_make_error (err, errno, "lock `%s`", st->dir);
          st->busy = true;
        }
    }
  else
    {
      ret = lock_dir (st, err);
      if (ret < 0)
        return ret;
    }

  /* with the lock held, a temporary file of an atomic write is what a
   * runtime killed between its open and its rename left: never read, and
   * removed (readers without the lock leave it to the next writer) */
  if (!readonly)
    {
      unlinkat (st->dirfd, ".state.json.tmp", 0);
      unlinkat (st->dirfd, ".runtime.tmp", 0);
    }
  /* the private record first: a state dir without a usable state.json
   * (a create or delete killed half-way) still names its cgroup */
  fd = openat (st->dirfd, "runtime", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      ret = read_record_fd (fd, "runtime", &rec, NULL, err);
      if (ret < 0)
        return ret;
      st->written_record = xstrdup (rec);
      parse_runtime_record (st, rec);
      close (fd);
    }
  has_record = fd >= 0 || st->written_record != NULL;
  fd = openat (st->dirfd, "state.json", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          /* crun keeps its record in `status`: another runtime's container
           * in a shared root is never ours to remove */
          if (!has_record && faccessat (st->dirfd, "status", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            return ocirun_make_error (err, 0, "container `%s` was not created by ocirun", id);
          st->incomplete = !readonly;
          return ocirun_make_error (err, 0, "container `%s` does not exist (its creation did not complete)", id);
        }
      return ocirun_make_error (err, errno, "open `%s/state.json`", st->dir);
    }
  ret = read_record_fd (fd, "state.json", &data, &len, err);
  if (ret < 0)
    return ret;
  st->state = oci_state_parse_data (data, len, "state.json", &perr);
  if (st->state == NULL && !has_record)
    {
      /* runc's (or youki's) state.json in a root shared with them (Docker
       * gives every runc-style runtime the same one): not ours, not touched */
      free (perr);
      return ocirun_make_error (err, 0,
                                "container `%s` was not created by ocirun (its state.json is another runtime's)", id);
    }
  if (st->state == NULL)
    {
      /* written atomically: only a damaged disk or a hand edit gets here */
      st->incomplete = !readonly;
      ocirun_make_error (err, 0, "container `%s`: %s", id, perr ? perr : "invalid state");
      free (perr);
      return -1;
    }
  return 0;
}

int
ocirun_status_write (struct ocirun_status *st, ocirun_error_t *err)
{
  cleanup_free char *json = oci_state_generate (st->state, false);
  cleanup_free char *rec = NULL;
  char needs[64] = "";
  bool has_needs = st->config_needs >= 0;
  int ret;
  if (json == NULL)
    return ocirun_make_error (err, ENOMEM, "generate state");
#ifdef OCIRUN_FAULT_INJECTION
  {
    char name[64];
    snprintf (name, sizeof name, "state-write:%s", st->state->status ? st->state->status : "?");
    ocirun_fault_point (name);
  }
#endif
  if (has_needs)
    format_needs (st->config_needs, needs, sizeof needs);
  xasprintf (&rec, "start_time=%llu\ncreated=%s\ncgroup=%s\nrootfs=%s\nterminal=%d\n%s%s%s", st->start_time,
             st->created ? st->created : "", st->cgroup ? st->cgroup : "", st->rootfs ? st->rootfs : "",
             st->terminal ? 1 : 0, has_needs ? "needs=" : "", needs, has_needs ? "\n" : "");
  /* the private record changes twice in a container's life: skip the rest */
  if (st->written_record == NULL || strcmp (st->written_record, rec) != 0)
    {
      ret = write_file_atomic_at (st->dirfd, "runtime", rec, strlen (rec), err);
      if (ret < 0)
        return ret;
      free (st->written_record);
      st->written_record = steal_pointer (&rec);
    }
  return write_file_atomic_at (st->dirfd, "state.json", json, strlen (json), err);
}

bool
ocirun_status_pid_alive (struct ocirun_status *st)
{
  return st->state && st->state->has_pid && st->state->pid > 0 && st->start_time
         && process_start_time (st->state->pid) == st->start_time;
}

/* Is anything left in the container's cgroup (any hierarchy)? */
static bool
cgroup_busy (struct ocirun_status *st)
{
  ocirun_cgroup *cg = NULL;
  ocirun_error_t tmp = NULL;
  bool any = false;
  if (st->cgroup == NULL || *st->cgroup == '\0')
    return false;
  if (ocirun_cgroup_load (st->cgroup, &cg, &tmp) == 0 && ocirun_cgroup_has_processes (cg, &any, &tmp) < 0)
    any = false;
  ocirun_error_release (&tmp);
  ocirun_cgroup_free (cg);
  return any;
}

/* The init reads the exec fifo and execs the user's program: until then
 * it has a stage name, STAGE_CHILD or STAGE_INIT (job.h, init.c).  `start`
 * records "running" after its write to the fifo; a `start` killed in
 * between left "created". */
static bool
init_still_waiting (pid_t pid)
{
  char path[64], comm[64] = "";
  cleanup_close int fd = -1;
  ssize_t n;
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return true;
  n = read (fd, comm, sizeof comm - 1);
  if (n <= 0)
    return true;
  comm[n] = '\0';
  return strncmp (comm, "ocirun:[", 8) == 0;
}

const char *
ocirun_status_live (struct ocirun_status *st)
{
  const char *s = st->state->status ? st->state->status : "stopped";
  if (strcmp (s, "creating") == 0)
    {
      if (st->busy)
        return s;
      /* nobody holds the lock: the create died half-way.  Its processes
       * die with it (sync.h, sync_die_with_parent), but while one is left
       * the container is not "stopped" (kill and delete --force reach it) */
      return ocirun_status_pid_alive (st) || cgroup_busy (st) ? s : "stopped";
    }
  if (strcmp (s, "stopped") == 0)
    return s;
  if (!ocirun_status_pid_alive (st))
    return "stopped";
  if (strcmp (s, "created") == 0 && !init_still_waiting (st->state->pid))
    return "running";
  if (st->cgroup && *st->cgroup && strcmp (s, "running") == 0)
    {
      ocirun_cgroup *cg = NULL;
      ocirun_error_t tmp = NULL;
      bool frozen = false;
      if (ocirun_cgroup_load (st->cgroup, &cg, &tmp) == 0 && ocirun_cgroup_is_frozen (cg, &frozen, &tmp) == 0 && frozen)
        s = "paused";
      ocirun_error_release (&tmp);
      ocirun_cgroup_free (cg);
    }
  return s;
}

int
ocirun_status_remove (const char *root, struct ocirun_status *st, ocirun_error_t *err)
{
  return rm_rf (st->dir, err);
}

void
ocirun_status_release (struct ocirun_status *st)
{
  if (st->dirfd >= 0)
    close (st->dirfd);
  st->dirfd = -1;
  free (st->dir);
  oci_state_free (st->state);
  free (st->created);
  free (st->cgroup);
  free (st->rootfs);
  free (st->written_record);
  memset (st, 0, sizeof *st);
  st->dirfd = -1;
  st->config_needs = -1;
}
