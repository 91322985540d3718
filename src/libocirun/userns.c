/* User namespaces: the id maps of config-linux.md#user-namespace-mappings
 * and of config.md#mounts (uidMappings/gidMappings, idmap/ridmap).
 *
 * Root writes /proc/PID/{uid,gid}_map itself.  An unprivileged runtime may
 * write a single mapping of its own id (after "deny" in setgroups for the
 * gid map, user_namespaces(7)); anything else goes through the setuid
 * helpers newuidmap/newgidmap (shadow's uidmap package), which allow the
 * ranges /etc/subuid and /etc/subgid grant the user. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "job.h"
#include "mount_opts.h"
#include "userns.h"
#include "utils.h"

/* the kernel's limit on lines in a map (since 4.15) */
#define MAX_MAP_LINES 340

static bool
range_overlaps (uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
  return (uint64_t) a < (uint64_t) b + blen && (uint64_t) b < (uint64_t) a + alen;
}

static bool
id_mapped (const oci_id_mapping *m, size_t n, uint32_t id)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (id >= m[i].container_id && (uint64_t) id < (uint64_t) m[i].container_id + m[i].size)
      return true;
  return false;
}

int
ocirun_idmap_validate (const oci_id_mapping *m, size_t n, const char *field, ocirun_error_t *err)
{
  size_t i, j;
  if (n > MAX_MAP_LINES)
    return ocirun_make_error (err, 0, "%s: at most %d ranges are allowed, got %zu", field, MAX_MAP_LINES, n);
  for (i = 0; i < n; i++)
    {
      if (m[i].size == 0)
        return ocirun_make_error (err, 0, "%s[%zu].size: must be greater than zero", field, i);
      if ((uint64_t) m[i].container_id + m[i].size > UINT32_MAX)
        return ocirun_make_error (err, 0, "%s[%zu]: containerID %u + size %u is past the last id", field, i,
                                  m[i].container_id, m[i].size);
      if ((uint64_t) m[i].host_id + m[i].size > UINT32_MAX)
        return ocirun_make_error (err, 0, "%s[%zu]: hostID %u + size %u is past the last id", field, i, m[i].host_id,
                                  m[i].size);
      /* the kernel refuses overlapping ranges on either side (EINVAL):
       * say which ones before anything is created */
      for (j = 0; j < i; j++)
        {
          if (range_overlaps (m[i].container_id, m[i].size, m[j].container_id, m[j].size))
            return ocirun_make_error (err, 0, "%s[%zu]: containerID range %u-%u overlaps %s[%zu]", field, i,
                                      m[i].container_id, m[i].container_id + m[i].size - 1, field, j);
          if (range_overlaps (m[i].host_id, m[i].size, m[j].host_id, m[j].size))
            return ocirun_make_error (err, 0, "%s[%zu]: hostID range %u-%u overlaps %s[%zu]", field, i, m[i].host_id,
                                      m[i].host_id + m[i].size - 1, field, j);
        }
    }
  return 0;
}

static bool
has_option (const oci_mount *m, const char *a, const char *b)
{
  size_t i;
  for (i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], a) == 0 || (b && strcmp (m->options[i], b) == 0))
      return true;
  return false;
}

static const oci_namespace *
find_ns (const oci_linux *l, const char *type)
{
  size_t i;
  for (i = 0; l && i < l->namespaces_len; i++)
    if (strcmp (l->namespaces[i].type, type) == 0)
      return &l->namespaces[i];
  return NULL;
}

static int
validate_mount_idmap (const oci_config *c, size_t i, ocirun_error_t *err)
{
  const oci_mount *m = &c->mounts[i];
  bool idmap = has_option (m, "idmap", "ridmap");
  bool bind = ocirun_mount_is_bind (m);
  char field[64];

  /* config.md: uidMappings "MUST be specified along with gidMappings" and
   * the other way round */
  if (m->uid_mappings_len && !m->gid_mappings_len)
    return ocirun_make_error (err, 0, "mounts[%zu].gidMappings: required with mounts[%zu].uidMappings", i, i);
  if (m->gid_mappings_len && !m->uid_mappings_len)
    return ocirun_make_error (err, 0, "mounts[%zu].uidMappings: required with mounts[%zu].gidMappings", i, i);
  snprintf (field, sizeof field, "mounts[%zu].uidMappings", i);
  if (ocirun_idmap_validate (m->uid_mappings, m->uid_mappings_len, field, err) < 0)
    return -1;
  snprintf (field, sizeof field, "mounts[%zu].gidMappings", i);
  if (ocirun_idmap_validate (m->gid_mappings, m->gid_mappings_len, field, err) < 0)
    return -1;
  if (!idmap && !m->uid_mappings_len)
    return 0;
  /* mappings without idmap/ridmap: the options "SHOULD" say so; the
   * mapping is applied all the same (as runc does) */
  /* not a bind mount: the filesystem is made with fsopen() and idmapped
   * before it is attached; it must support idmapped mounts (tmpfs does
   * since Linux 6.3), which mount_setattr() reports */
  if (!bind && (m->type == NULL || strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0))
    return ocirun_make_error (err, 0, "mounts[%zu]: an idmapped mount of type `%s` is not supported", i,
                              m->type ? m->type : "");
  /* idmap without the mount's own mappings: "the runtime MAY use the
   * container's user namespace mapping"; without a user namespace "an
   * error MUST be returned" */
  if (!m->uid_mappings_len && find_ns (c->linux_, "user") == NULL)
    return ocirun_make_error (err, 0,
                              "mounts[%zu].options: `idmap` without mounts[%zu].uidMappings needs a user namespace in "
                              "linux.namespaces",
                              i, i);
  return 0;
}

int
ocirun_userns_validate (const oci_config *c, ocirun_error_t *err)
{
  const oci_linux *l = c->linux_;
  const oci_namespace *user = find_ns (l, "user");
  size_t i;

  if (l)
    {
      if (ocirun_idmap_validate (l->uid_mappings, l->uid_mappings_len, "linux.uidMappings", err) < 0
          || ocirun_idmap_validate (l->gid_mappings, l->gid_mappings_len, "linux.gidMappings", err) < 0)
        return -1;
    }
  /* a new user namespace: process.user must exist in it (setuid would
   * fail with EINVAL deep in the child otherwise) */
  if (user && !(user->path && *user->path) && c->process && l->uid_mappings_len && l->gid_mappings_len)
    {
      const oci_user *u = &c->process->user;
      if (!id_mapped (l->uid_mappings, l->uid_mappings_len, u->uid))
        return ocirun_make_error (err, 0, "process.user.uid: %u is not mapped in linux.uidMappings", u->uid);
      if (!id_mapped (l->gid_mappings, l->gid_mappings_len, u->gid))
        return ocirun_make_error (err, 0, "process.user.gid: %u is not mapped in linux.gidMappings", u->gid);
      for (i = 0; i < u->additional_gids_len; i++)
        if (!id_mapped (l->gid_mappings, l->gid_mappings_len, u->additional_gids[i]))
          return ocirun_make_error (err, 0, "process.user.additionalGids[%zu]: %u is not mapped in linux.gidMappings",
                                    i, u->additional_gids[i]);
    }
  for (i = 0; i < c->mounts_len; i++)
    if (validate_mount_idmap (c, i, err) < 0)
      return -1;
  return 0;
}

/* ---- writing the maps ---- */

static char *
format_map (const oci_id_mapping *m, size_t n, size_t *len)
{
  char *buf = NULL;
  size_t i;
  FILE *f = open_memstream (&buf, len);
  if (f == NULL)
    abort ();
  for (i = 0; i < n; i++)
    fprintf (f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  fclose (f);
  return buf;
}

static int
write_direct (pid_t pid, const char *file, const oci_id_mapping *m, size_t n, const char *field, ocirun_error_t *err)
{
  cleanup_free char *buf = NULL;
  char path[64];
  size_t len = 0;

  buf = format_map (m, n, &len);
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  if (write_file_at (AT_FDCWD, path, buf, len, err) < 0)
    return ocirun_error_prefix (err, "%s", field);
  return 0;
}

/* newuidmap/newgidmap, looked up in $PATH (as runc does) */
static char *
find_helper (const char *name)
{
  const char *path = getenv ("PATH");
  cleanup_free char *copy = xstrdup (path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  char *save = NULL, *dir;

  for (dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *p;
      if (*dir != '/')
        continue;
      xasprintf (&p, "%s/%s", dir, name);
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  return NULL;
}

/* What newuidmap will check, said up front with the field's name: every
 * range is either our own single id or inside one of our /etc/subuid
 * (subgid) ranges. */
static int
check_subids (const char *file, uint32_t own, const oci_id_mapping *m, size_t n, const char *field, ocirun_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *name = NULL;
  ocirun_error_t tmp = NULL;
  struct passwd *pw = getpwuid (geteuid ());
  struct
  {
    uint64_t start, count;
  } ranges[64];
  size_t nr = 0, i, k;
  char owns[16], *line, *save = NULL;

  name = xstrdup (pw ? pw->pw_name : "");
  snprintf (owns, sizeof owns, "%u", geteuid ());
  if (read_all_file (file, &text, NULL, &tmp) < 0)
    ocirun_error_release (&tmp); /* no file: no ranges */
  for (line = text ? strtok_r (text, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2;
      long long start, count;
      if (c1 == NULL || (c2 = strchr (c1 + 1, ':')) == NULL)
        continue;
      *c1 = *c2 = '\0';
      if (strcmp (line, name) != 0 && strcmp (line, owns) != 0)
        continue;
      if (parse_int64 (c1 + 1, &start) < 0 || parse_int64 (c2 + 1, &count) < 0 || start < 0 || count <= 0)
        continue;
      if (nr < ARRAY_SIZE (ranges))
        {
          ranges[nr].start = (uint64_t) start;
          ranges[nr].count = (uint64_t) count;
          nr++;
        }
    }
  for (i = 0; i < n; i++)
    {
      bool ok = m[i].size == 1 && m[i].host_id == own;
      for (k = 0; !ok && k < nr; k++)
        ok = m[i].host_id >= ranges[k].start
             && (uint64_t) m[i].host_id + m[i].size <= ranges[k].start + ranges[k].count;
      if (ok)
        continue;
      if (nr == 0)
        return ocirun_make_error (err, 0,
                                  "%s: no entry for user `%s` (%u) in %s: an unprivileged user can map only "
                                  "its own id without one",
                                  field, name, geteuid (), file);
      return ocirun_make_error (err, 0, "%s[%zu]: hostID range %u-%u is not allowed for user `%s` by %s", field, i,
                                m[i].host_id, m[i].host_id + m[i].size - 1, name, file);
    }
  return 0;
}

/* Run newuidmap/newgidmap PID ID HOSTID SIZE...; its stderr becomes our error. */
static int
run_helper (const char *helper, pid_t pid, const oci_id_mapping *m, size_t n, const char *field, ocirun_error_t *err)
{
  cleanup_free char *out = NULL;
  char **argv = xmalloc0 ((3 * n + 3) * sizeof (char *));
  int pfd[2], status = 0;
  size_t i, k = 0;
  pid_t child;
  int ret = 0;

  argv[k++] = xstrdup (helper);
  xasprintf (&argv[k++], "%d", pid);
  for (i = 0; i < n; i++)
    {
      xasprintf (&argv[k++], "%u", m[i].container_id);
      xasprintf (&argv[k++], "%u", m[i].host_id);
      xasprintf (&argv[k++], "%u", m[i].size);
    }
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    {
      ret = ocirun_make_error (err, errno, "%s: pipe", field);
      goto out;
    }
  child = fork ();
  if (child < 0)
    {
      close (pfd[0]);
      close (pfd[1]);
      ret = ocirun_make_error (err, errno, "%s: fork", field);
      goto out;
    }
  if (child == 0)
    {
      dup2 (pfd[1], 1);
      dup2 (pfd[1], 2);
      execv (helper, argv);
      dprintf (2, "exec: %s", strerror (errno));
      _exit (127);
    }
  close (pfd[1]);
  read_all_fd (pfd[0], helper, &out, NULL, err);
  ocirun_error_release (err);
  close (pfd[0]);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      char *nl;
      if (out && (nl = strchr (out, '\n')))
        *nl = '\0';
      ret = ocirun_make_error (err, 0, "%s: `%s` failed: %s", field, helper, out && *out ? out : "no message");
    }
out:
  for (i = 0; i < k; i++)
    free (argv[i]);
  free (argv);
  return ret;
}

/* Unprivileged: the helper to use (NULL: write directly), or an error
 * naming what is missing. */
static int
pick_helper (bool gid, const oci_id_mapping *m, size_t n, const char *field, char **helper, ocirun_error_t *err)
{
  const char *name = gid ? "newgidmap" : "newuidmap";
  uint32_t own = gid ? getegid () : geteuid ();

  *helper = NULL;
  if (n == 0 || geteuid () == 0 || (n == 1 && m[0].size == 1 && m[0].host_id == own))
    return 0;
  *helper = find_helper (name);
  if (*helper == NULL)
    return ocirun_make_error (err, 0,
                              "%s: `%s` not found (install the uidmap package): an unprivileged user needs it to map "
                              "more than its own id",
                              field, name);
  if (check_subids (gid ? "/etc/subgid" : "/etc/subuid", own, m, n, field, err) < 0)
    {
      free (steal_pointer (helper));
      return -1;
    }
  return 0;
}

int
ocirun_userns_check_maps (const oci_id_mapping *uids, size_t nu, const oci_id_mapping *gids, size_t ng,
                          const char *where, ocirun_error_t *err)
{
  cleanup_free char *hu = NULL;
  cleanup_free char *hg = NULL;
  char field[64];
  snprintf (field, sizeof field, "%s.uidMappings", where);
  if (pick_helper (false, uids, nu, field, &hu, err) < 0)
    return -1;
  snprintf (field, sizeof field, "%s.gidMappings", where);
  return pick_helper (true, gids, ng, field, &hg, err);
}

static int
write_one (pid_t pid, bool gid, const oci_id_mapping *m, size_t n, const char *field, ocirun_error_t *err)
{
  const char *file = gid ? "gid_map" : "uid_map";
  cleanup_free char *helper = NULL;

  if (n == 0)
    return 0;
  if (pick_helper (gid, m, n, field, &helper, err) < 0)
    return -1;
  if (helper == NULL && geteuid () == 0)
    return write_direct (pid, file, m, n, field, err);
  if (helper == NULL)
    {
      /* user_namespaces(7): an unprivileged gid_map needs setgroups denied */
      if (gid)
        {
          char path[64];
          snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
          if (write_file_at (AT_FDCWD, path, "deny", 4, err) < 0)
            return ocirun_error_prefix (err, "%s", field);
        }
      return write_direct (pid, file, m, n, field, err);
    }
  return run_helper (helper, pid, m, n, field, err);
}

int
ocirun_userns_write_maps (pid_t pid, const oci_id_mapping *uids, size_t nu, const oci_id_mapping *gids, size_t ng,
                          const char *where, ocirun_error_t *err)
{
  char field[64];
  snprintf (field, sizeof field, "%s.uidMappings", where);
  if (write_one (pid, false, uids, nu, field, err) < 0)
    return -1;
  snprintf (field, sizeof field, "%s.gidMappings", where);
  return write_one (pid, true, gids, ng, field, err);
}

int
ocirun_userns_open_mapped (const oci_id_mapping *uids, size_t nu, const oci_id_mapping *gids, size_t ng,
                           const char *where, ocirun_error_t *err)
{
  char path[64];
  int pfd[2], fd = -1, ret;
  pid_t pid;

  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return ocirun_make_error (err, errno, "%s: pipe", where);
  /* a helper born in a new user namespace, kept alive (blocked on the
   * pipe) until we hold its namespace open (crun and runc do the same) */
  pid = (pid_t) syscall (SYS_clone, (unsigned long) (CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid < 0)
    {
      ret = errno;
      close (pfd[0]);
      close (pfd[1]);
      return ocirun_make_error (err, ret, "%s: create a user namespace for the idmapped mount", where);
    }
  if (pid == 0)
    {
      char c;
      close (pfd[1]);
      while (read (pfd[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (pfd[0]);
  ret = ocirun_userns_write_maps (pid, uids, nu, gids, ng, where, err);
  if (ret == 0)
    {
      snprintf (path, sizeof path, "/proc/%d/ns/user", pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        ret = ocirun_make_error (err, errno, "%s: open `%s`", where, path);
    }
  close (pfd[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return ret < 0 ? ret : fd;
}

/* ---- reading the maps ---- */

static int
read_map (const char *path, oci_id_mapping **out, size_t *n, ocirun_error_t *err)
{
  cleanup_free char *text = NULL;
  char *line, *save = NULL;
  oci_id_mapping *v = NULL;
  size_t len = 0;

  *out = NULL;
  *n = 0;
  if (read_all_file (path, &text, NULL, err) < 0)
    return -1;
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned int a, b, c;
      if (sscanf (line, "%u %u %u", &a, &b, &c) != 3)
        continue;
      v = xrealloc (v, (len + 1) * sizeof *v);
      v[len].container_id = a;
      v[len].host_id = b;
      v[len].size = c;
      len++;
    }
  *out = v;
  *n = len;
  return 0;
}

bool
ocirun_userns_is_nested (void)
{
  /* asked once per default device and twice by main: remembered per
   * process (a clone asks again: it may have joined another user namespace
   * by then; nothing asks before its own setns/unshare) */
  static pid_t cached_pid;
  static bool cached;
  cleanup_free oci_id_mapping *m = NULL;
  ocirun_error_t tmp = NULL;
  size_t n = 0;
  pid_t self = getpid ();
  if (cached_pid == self)
    return cached;
  if (read_map ("/proc/self/uid_map", &m, &n, &tmp) < 0)
    {
      ocirun_error_release (&tmp);
      return false;
    }
  cached = !(n == 1 && m[0].container_id == 0 && m[0].host_id == 0 && m[0].size == UINT32_MAX);
  cached_pid = self;
  return cached;
}

int
ocirun_userns_check_user (const oci_process *p, pid_t pid, const char *where, ocirun_error_t *err)
{
  cleanup_free oci_id_mapping *um = NULL;
  cleanup_free oci_id_mapping *gm = NULL;
  char path[64];
  size_t nu = 0, ng = 0, i;

  snprintf (path, sizeof path, "/proc/%d/uid_map", pid);
  if (read_map (path, &um, &nu, err) < 0)
    return -1;
  snprintf (path, sizeof path, "/proc/%d/gid_map", pid);
  if (read_map (path, &gm, &ng, err) < 0)
    return -1;
  if (!id_mapped (um, nu, p->user.uid))
    return ocirun_make_error (err, 0, "%s: uid %u is not mapped in the container's user namespace", where, p->user.uid);
  if (!id_mapped (gm, ng, p->user.gid))
    return ocirun_make_error (err, 0, "%s: gid %u is not mapped in the container's user namespace", where, p->user.gid);
  for (i = 0; i < p->user.additional_gids_len; i++)
    if (!id_mapped (gm, ng, p->user.additional_gids[i]))
      return ocirun_make_error (err, 0, "%s: additional gid %u is not mapped in the container's user namespace", where,
                                p->user.additional_gids[i]);
  return 0;
}
