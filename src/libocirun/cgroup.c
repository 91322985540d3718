/* The cgroup manager: detects the host's layout once (v1, hybrid, v2) from
 * /proc/self/mountinfo and /proc/self/cgroup, computes the container's
 * cgroup directory in every hierarchy, creates and removes them, moves
 * processes in, and dispatches resource writes to the v1 or v2 ops table
 * (cgroup_v1.c, cgroup_v2.c).  config-linux.md#control-groups.
 *
 * Ownership rule: destroy() removes only directories create() made (the
 * chain from `created` down to `path` in every hierarchy), deepest first,
 * and never a cgroup that existed before.  Parents shared with other
 * containers stay when they are not empty. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "utils.h"

/* ------------------------------------------------------------------ */
/* Layout detection                                                    */
/* ------------------------------------------------------------------ */

/* v1 controllers ocirun manages; other hierarchies are left alone. */
static const char *const known_v1[] = {
  "cpuset", "cpu",        "cpuacct", "memory", "devices", "freezer", "net_cls",      "net_prio",
  "blkio",  "perf_event", "hugetlb", "pids",   "rdma",    "misc",    "name=systemd",
};

struct cg_layout_h
{
  char *controllers; /* "" for unified */
  char *mountpoint;
  char *self; /* the runtime's own cgroup, relative to the mountpoint ("/" = the mount root) */
  bool unified;
};

struct cg_layout
{
  enum cg_mode mode;
  struct cg_layout_h *h;
  size_t n;
};

static struct cg_layout *layout_cache;

struct mnt
{
  char *root, *mountpoint, *opts;
  bool v2;
};

static void
unescape_octal (char *s)
{
  char *w = s;
  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
        {
          *w++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 4;
        }
      else
        *w++ = *s++;
    }
  *w = '\0';
}

static bool
known_hierarchy (const char *controllers)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (known_v1); i++)
    if (cg_list_has (controllers, known_v1[i]))
      return true;
  return false;
}

static void
free_mnts (struct mnt *m, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (m[i].root);
      free (m[i].mountpoint);
      free (m[i].opts);
    }
  free (m);
}

/* Forget the cgroup mounts that a mount at `mountpoint` hides: those at
 * the same path or below it. */
static void
drop_covered (struct mnt *m, size_t *n, const char *mountpoint)
{
  size_t i = 0, l = strlen (mountpoint);
  /* "/" itself: after pivot_root its position in the list says nothing */
  if (strcmp (mountpoint, "/") == 0)
    return;
  while (i < *n)
    {
      const char *mp = m[i].mountpoint;
      bool covered = strncmp (mp, mountpoint, l) == 0 && (mp[l] == '\0' || mp[l] == '/');
      if (!covered)
        {
          i++;
          continue;
        }
      free (m[i].root);
      free (m[i].mountpoint);
      free (m[i].opts);
      memmove (&m[i], &m[i + 1], (*n - i - 1) * sizeof (*m));
      (*n)--;
    }
}

static int
read_cgroup_mounts (struct mnt **out, size_t *nout, ocirun_error_t *err)
{
  cleanup_free char *data = NULL;
  struct mnt *m = NULL;
  size_t n = 0;
  char *line, *save = NULL;

  if (read_all_file ("/proc/self/mountinfo", &data, NULL, err) < 0)
    return -1;
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[6] = { 0 }, *sep, *p = line, *fstype, *source, *super;
      int i;
      sep = strstr (line, " - ");
      if (sep == NULL)
        continue;
      *sep = '\0';
      for (i = 0; i < 6 && p; i++)
        {
          f[i] = p;
          p = strchr (p, ' ');
          if (p)
            *p++ = '\0';
        }
      if (f[4] == NULL)
        continue;
      fstype = sep + 3;
      source = strchr (fstype, ' ');
      if (source == NULL)
        continue;
      *source++ = '\0';
      super = strchr (source, ' ');
      super = super ? super + 1 : (char *) "";
      unescape_octal (f[4]);
      /* A mount listed later at or above a cgroup mount point covers it
       * (mountinfo lists a mount namespace's mounts in the order they were
       * stacked): e.g. a tmpfs over /sys/fs/cgroup/unified in a private
       * mount namespace.  What is visible at the path is what counts. */
      drop_covered (m, &n, f[4]);
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        continue;
      m = xrealloc (m, (n + 1) * sizeof (*m));
      unescape_octal (f[3]);
      m[n].root = xstrdup (f[3]);
      m[n].mountpoint = xstrdup (f[4]);
      m[n].opts = xstrdup (super);
      m[n].v2 = strcmp (fstype, "cgroup2") == 0;
      n++;
    }
  *out = m;
  *nout = n;
  return 0;
}

/* Prefer the mount at /sys/fs/cgroup/... with the widest root. */
static int
mount_score (const struct mnt *m)
{
  int s = 0;
  if (strncmp (m->mountpoint, "/sys/fs/cgroup", 14) == 0)
    s += 2;
  if (strcmp (m->root, "/") == 0)
    s += 1;
  return s;
}

/* own path in the hierarchy -> path relative to a mount whose root is `root` */
static char *
relative_to_root (const char *own, const char *root)
{
  size_t rl = strlen (root);
  if (strcmp (root, "/") == 0)
    return xstrdup (own);
  if (strncmp (own, root, rl) == 0 && (own[rl] == '/' || own[rl] == '\0'))
    return xstrdup (own[rl] ? own + rl : "/");
  /* our cgroup is outside what this mount shows (e.g. a cgroupns
   * boundary): the mount root is the best we can do */
  return xstrdup ("/");
}

static void
layout_add (struct cg_layout *l, const char *controllers, const char *mountpoint, const char *self, bool unified)
{
  l->h = xrealloc (l->h, (l->n + 1) * sizeof (*l->h));
  l->h[l->n].controllers = xstrdup (controllers);
  l->h[l->n].mountpoint = xstrdup (mountpoint);
  l->h[l->n].self = xstrdup (self);
  l->h[l->n].unified = unified;
  l->n++;
}

static int
detect_layout (struct cg_layout **out, ocirun_error_t *err)
{
  struct mnt *m = NULL;
  size_t nm = 0, i;
  cleanup_free char *self = NULL;
  char *line, *save = NULL;
  struct cg_layout *l = NULL;
  bool have_v1 = false;
  char *own_unified = NULL;

  if (layout_cache)
    {
      *out = layout_cache;
      return 0;
    }
  if (read_cgroup_mounts (&m, &nm, err) < 0)
    return -1;
  if (read_all_file ("/proc/self/cgroup", &self, NULL, err) < 0)
    {
      free_mnts (m, nm);
      return -1;
    }
  l = xmalloc0 (sizeof (*l));
  for (line = strtok_r (self, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2, *ctrls, *path;
      struct mnt *best = NULL;
      c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c1 = *c2 = '\0';
      ctrls = c1 + 1;
      path = c2 + 1;
      if (*ctrls == '\0')
        {
          own_unified = path; /* "0::/path" */
          continue;
        }
      if (!known_hierarchy (ctrls))
        continue;
      for (i = 0; i < nm; i++)
        {
          const char *p = ctrls;
          bool all = !m[i].v2;
          /* every controller of the hierarchy must be a mount option */
          while (all && p && *p)
            {
              const char *e = strchr (p, ',');
              cleanup_free char *w = e ? strndup (p, (size_t) (e - p)) : xstrdup (p);
              if (!cg_list_has (m[i].opts, w))
                all = false;
              p = e ? e + 1 : NULL;
            }
          if (all && (best == NULL || mount_score (&m[i]) > mount_score (best)))
            best = &m[i];
        }
      if (best == NULL)
        continue; /* hierarchy exists but is not mounted here */
      {
        cleanup_free char *rel = relative_to_root (path, best->root);
        layout_add (l, ctrls, best->mountpoint, rel, false);
      }
      if (strncmp (ctrls, "name=", 5) != 0)
        have_v1 = true;
    }
  {
    struct mnt *best = NULL;
    for (i = 0; i < nm; i++)
      if (m[i].v2 && (best == NULL || mount_score (&m[i]) > mount_score (best)))
        best = &m[i];
    if (best)
      {
        cleanup_free char *rel = relative_to_root (own_unified ? own_unified : "/", best->root);
        if (!have_v1)
          {
            /* pure v2: named v1 hierarchies (a leftover name=systemd) are ignored */
            for (i = 0; i < l->n; i++)
              {
                free (l->h[i].controllers);
                free (l->h[i].mountpoint);
                free (l->h[i].self);
              }
            l->n = 0;
          }
        layout_add (l, "", best->mountpoint, rel, true);
        l->mode = have_v1 ? CG_MODE_HYBRID : CG_MODE_V2;
      }
    else if (have_v1)
      l->mode = CG_MODE_V1;
  }
  free_mnts (m, nm);
  if (l->mode == 0)
    {
      free (l->h);
      free (l);
      return ocirun_make_error (err, 0, "no cgroup filesystem is mounted");
    }
  layout_cache = l;
  *out = l;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

/* Normalise cgroupsPath (or the default) into "/a/b" plus whether it is
 * relative to the runtime's own cgroup. */
/* The parent of containers without linux.cgroupsPath.  It is ocirun's
 * own, whoever made it: every destroy removes it once empty (with two
 * containers, the one that made it may go first, and "the parents we made"
 * alone would leave it for good). */
#define DEFAULT_PARENT "/ocirun"

static int
container_path (const char *id, const char *cgroups_path, char **out, bool *relative, ocirun_error_t *err)
{
  const char *p = cgroups_path;
  char *norm, *w;
  cleanup_free char *copy = NULL;
  char *tok, *save = NULL;

  *relative = false;
  if (p == NULL || *p == '\0')
    {
      if (id == NULL || *id == '\0' || strchr (id, '/') || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
        return ocirun_make_error (err, 0, "invalid container id for a cgroup path");
      xasprintf (out, "%s/%s", DEFAULT_PARENT, id);
      return 0;
    }
  if (p[0] != '/' && strchr (p, ':'))
    return ocirun_make_error (err, 0, "linux.cgroupsPath \"%s\": systemd cgroup paths need --systemd-cgroup", p);
  if (strchr (p, '\n'))
    return ocirun_make_error (err, 0, "linux.cgroupsPath: must not contain a newline");
  *relative = p[0] != '/';
  copy = xstrdup (p);
  norm = w = xmalloc0 (strlen (p) + 2);
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        {
          free (norm);
          return ocirun_make_error (err, 0, "linux.cgroupsPath \"%s\": must not contain `..`", p);
        }
      *w++ = '/';
      strcpy (w, tok);
      w += strlen (tok);
    }
  if (norm[0] == '\0')
    {
      free (norm);
      return ocirun_make_error (err, 0, "linux.cgroupsPath \"%s\": must not be the root cgroup", p);
    }
  *out = norm;
  return 0;
}

static char *
join_path (const char *a, const char *b, const char *c)
{
  char *r;
  /* a is the mountpoint; b and c start with '/' or are "/" */
  xasprintf (&r, "%s%s%s", a, strcmp (b, "/") == 0 ? "" : b, c);
  return r;
}

/* v2 (pure) relative paths: like runc, relative to the PARENT of our own
 * cgroup -- our own cgroup has processes (ours), and the "no internal
 * processes" rule would forbid enabling controllers for a child of it. */
static char *
v2_relative_base (const char *self)
{
  char *b = xstrdup (self);
  char *s = strrchr (b, '/');
  if (s && s != b)
    *s = '\0';
  else
    strcpy (b, "/");
  return b;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                           */
/* ------------------------------------------------------------------ */

static void
hier_free (struct cg_hier *h)
{
  free (h->controllers);
  free (h->mountpoint);
  free (h->path);
  free (h->created);
}

void
ocirun_cgroup_free (ocirun_cgroup *cg)
{
  size_t i;
  if (cg == NULL)
    return;
  for (i = 0; i < cg->n; i++)
    hier_free (&cg->h[i]);
  free (cg->h);
  if (cg->clone_fd >= 0)
    close (cg->clone_fd);
  cg_sd_free (cg->sd);
  free (cg);
}

static ocirun_cgroup *
cg_new (enum cg_mode mode)
{
  ocirun_cgroup *cg = xmalloc0 (sizeof (*cg));
  cg->mode = mode;
  cg->ops = mode == CG_MODE_V2 ? &cg_v2_ops : &cg_v1_ops;
  cg->clone_fd = -1;
  return cg;
}

static void
cg_add (ocirun_cgroup *cg, const char *controllers, const char *mountpoint, char *path, bool unified)
{
  cg->h = xrealloc (cg->h, (cg->n + 1) * sizeof (*cg->h));
  memset (&cg->h[cg->n], 0, sizeof (cg->h[cg->n]));
  cg->h[cg->n].controllers = xstrdup (controllers);
  cg->h[cg->n].mountpoint = xstrdup (mountpoint);
  cg->h[cg->n].path = path;
  cg->h[cg->n].unified = unified;
  cg->n++;
}

/* v1 cpuset: a new cgroup starts with empty cpuset.cpus/mems and no task
 * can join it until they are set; copy them from the parent. */
static int
cpuset_init (const char *dir, ocirun_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  cleanup_free char *parent = xstrdup (dir);
  char *s = strrchr (parent, '/');
  size_t i;
  if (s == NULL)
    return 0;
  *s = '\0';
  for (i = 0; i < ARRAY_SIZE (files); i++)
    {
      cleanup_free char *cur = NULL, *pv = NULL;
      ocirun_error_t e = NULL;
      if (cg_read (dir, files[i], &cur, &e) < 0)
        {
          ocirun_error_release (&e);
          continue;
        }
      if (cur[strspn (cur, " \n")] != '\0')
        continue;
      if (cg_read (parent, files[i], &pv, err) < 0)
        return -1;
      pv[strcspn (pv, "\n")] = '\0';
      if (pv[0] == '\0')
        continue;
      if (cg_write (dir, files[i], NULL, err, "%s", pv) < 0)
        return -1;
    }
  return 0;
}

/* v2: enable in `dir`'s cgroup.subtree_control every controller it has
 * (cgroup.controllers) and does not enable yet.  A failure (a cgroup with
 * processes in it: "no internal processes") is only logged: the write of a
 * resource that needs the controller will then fail with its own error. */
static void
v2_enable_controllers (const char *dir)
{
  cleanup_free char *avail = NULL, *enabled = NULL, *req = NULL;
  ocirun_error_t e = NULL;
  char *tok, *save = NULL;
  size_t len = 0;
  int r;

  if (cg_read (dir, "cgroup.controllers", &avail, &e) < 0 || cg_read (dir, "cgroup.subtree_control", &enabled, &e) < 0)
    {
      ocirun_error_release (&e);
      return;
    }
  req = xmalloc0 (strlen (avail) * 2 + 2);
  for (tok = strtok_r (avail, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    {
      char pad[64];
      snprintf (pad, sizeof pad, " %s ", tok);
      {
        cleanup_free char *en = NULL;
        xasprintf (&en, " %s ", enabled);
        for (char *c = en; *c; c++)
          if (*c == '\n')
            *c = ' ';
        if (strstr (en, pad))
          continue;
      }
      len += (size_t) sprintf (req + len, "%s+%s", len ? " " : "", tok);
    }
  if (len == 0)
    return;
  r = cg_write_raw (dir, "cgroup.subtree_control", req);
  if (r == 0)
    return;
  /* one at a time, so one refusal does not block the others */
  save = NULL;
  for (tok = strtok_r (req, " ", &save); tok; tok = strtok_r (NULL, " ", &save))
    {
      r = cg_write_raw (dir, "cgroup.subtree_control", tok);
      if (r < 0)
        ocirun_debug ("cgroup: cannot enable %s in `%s/cgroup.subtree_control`: %s", tok + 1, dir, strerror (-r));
    }
}

/* mkdir every missing component of `path` below `mountpoint`; remember the
 * shallowest one made.  Returns -errno of a failing mkdir in *mkdir_errno. */
static int
make_path (ocirun_cgroup *cg, struct cg_hier *h, int *mkdir_errno, ocirun_error_t *err)
{
  size_t ml = strlen (h->mountpoint);
  cleanup_free char *p = xstrdup (h->path);
  char *s = p + ml;
  bool cpuset = !h->unified && cg_list_has (h->controllers, "cpuset");
  bool v2 = h->unified && cg->mode == CG_MODE_V2;

  *mkdir_errno = 0;
  if (v2)
    v2_enable_controllers (h->mountpoint);
  while (*s)
    {
      char *next = strchr (s + 1, '/');
      if (next)
        *next = '\0';
      if (mkdir (p, 0755) == 0)
        {
          if (h->created == NULL)
            h->created = xstrdup (p);
          /* v1 cpuset, a parent we made: the kernel then copies cpus and
           * mems into each new child itself; the writes of cpuset_init
           * each rebuild the scheduler domains (with sched_load_balance
           * on, the default), the costliest step of a v1 cgroup create */
          if (cpuset && next)
            (void) cg_write_raw (p, "cgroup.clone_children", "1");
        }
      else if (errno != EEXIST)
        {
          *mkdir_errno = errno;
          return ocirun_make_error (err, errno, "create cgroup `%s`", p);
        }
      /* also an existing level whose cpuset is still empty (another create
       * between its mkdir and its copy): fill it from its parent, as runc's
       * cpusetEnsureParent does; only empty values are ever written */
      if (cpuset && cpuset_init (p, err) < 0)
        return -1;
      /* enable controllers for the next level (not in the leaf: it gets
       * the container's processes) */
      if (v2 && next)
        v2_enable_controllers (p);
      if (next == NULL)
        break;
      *next = '/';
      s = next;
    }
  return 0;
}

/* Remove dir's child cgroups (made inside the container or by exec
 * --cgroup), deepest first. */
static int
rmdir_children (const char *dir, ocirun_error_t *err)
{
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;
  if (d == NULL)
    return errno == ENOENT ? 0 : ocirun_make_error (err, errno, "open `%s`", dir);
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      xasprintf (&sub, "%s/%s", dir, de->d_name);
      if (rmdir_children (sub, err) < 0)
        return -1;
      if (rmdir (sub) < 0 && errno != ENOENT)
        return ocirun_make_error (err, errno, "remove cgroup `%s`", sub);
    }
  return 0;
}

static int
rmdir_retry (const char *dir)
{
  int i;
  /* the last task may still be on its way out: retry for ~200 ms */
  for (i = 0; i < 40; i++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY)
        return -errno;
      {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep (&ts, NULL);
      }
    }
  return -EBUSY;
}

static int
destroy_hier (struct cg_hier *h, ocirun_error_t *err)
{
  cleanup_free char *p = NULL;
  size_t cl;
  int r;

  if (h->created == NULL)
    return 0; /* not ours */
  /* the common case (no child cgroup, no task left): one rmdir, without
   * listing the directory first */
  if (rmdir (h->path) == 0 || errno == ENOENT)
    r = 0;
  else
    {
      if (rmdir_children (h->path, err) < 0)
        return -1;
      r = rmdir_retry (h->path);
    }
  if (r < 0)
    return ocirun_make_error (err, -r, "remove cgroup `%s`", h->path);
  /* then the parents we made, up to and including `created`; a parent
   * another container still uses is not empty: leave it */
  p = xstrdup (h->path);
  cl = strlen (h->created);
  for (;;)
    {
      char *s = strrchr (p, '/');
      if (s == NULL || (size_t) (s - p) < cl)
        break;
      *s = '\0';
      if (rmdir (p) < 0 && errno != ENOENT)
        {
          ocirun_debug ("cgroup: keeping `%s`: %s", p, strerror (errno));
          break;
        }
    }
  free (h->created);
  h->created = NULL;
  return 0;
}

static bool
resources_requested (const oci_resources *r)
{
  /* device rules do not count: rootless containers get them from the
   * user namespace, and generated rootless configs carry "deny all"; nor
   * do zeros, which ask for nothing (Docker's "blockIO": {"weight": 0}) */
  return r && cg_resources_wanted (r);
}

static int
apply_devices (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err)
{
  cleanup_free struct cg_dev_rule *rules = NULL;
  size_t n = 0;
  struct cg_hier *h;

  if (cg->rootless)
    return 0; /* neither devices.allow nor bpf(2) are possible unprivileged */
  if (cg_device_rules (r, &rules, &n, err) < 0)
    return -1;
  if (cg->mode == CG_MODE_V2)
    {
      h = cg_unified (cg);
      return cg_devices_v2_apply (h->path, rules, n, err);
    }
  h = cg_find (cg, "devices");
  if (h == NULL)
    {
      if (r && r->devices_len)
        return ocirun_make_error (err, 0, "linux.resources.devices: the devices controller is not available");
      return 0;
    }
  return cg_devices_v1_apply (h->path, rules, n, err);
}

/* config-linux.md#control-groups: a runtime MAY check that the cgroup is
 * fit for purpose and MUST then error -- for create, a cgroup that already
 * has processes or is frozen (as runc: "container's cgroup is not empty"). */
static int
check_fit (ocirun_cgroup *cg, ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < cg->n; i++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;
      ocirun_error_t e = NULL;
      if (cg->h[i].created)
        continue; /* new: empty */
      if (cg_collect_pids (cg->h[i].path, &pids, &n, &e) < 0)
        {
          ocirun_error_release (&e);
          continue;
        }
      if (n)
        return ocirun_make_error (err, EBUSY, "container's cgroup `%s` is not empty: %zu process(es) found",
                                  cg->h[i].path, n);
    }
  {
    bool frozen = false;
    ocirun_error_t e = NULL;
    if (cg->ops->is_frozen (cg, &frozen, &e) < 0)
      ocirun_error_release (&e);
    else if (frozen)
      return ocirun_make_error (err, EBUSY, "container's cgroup `%s` is frozen", cg_main (cg)->path);
  }
  return 0;
}

/* The container's cgroup directory in every hierarchy (nothing made yet). */
static int
cg_paths (const char *id, const oci_linux *lnx, bool rootless, struct cg_layout **lp, ocirun_cgroup **out,
          ocirun_error_t *err)
{
  struct cg_layout *l = NULL;
  cleanup_free char *path = NULL;
  bool relative;
  ocirun_cgroup *cg;
  size_t i;

  *out = NULL;
  if (container_path (id, lnx ? lnx->cgroups_path : NULL, &path, &relative, err) < 0)
    return -1;
  if (detect_layout (&l, err) < 0)
    return -1;
  cg = cg_new (l->mode);
  cg->rootless = rootless;
  for (i = 0; i < l->n; i++)
    {
      const struct cg_layout_h *lh = &l->h[i];
      char *dir;
      if (!relative)
        dir = join_path (lh->mountpoint, "/", path);
      else if (lh->unified && l->mode == CG_MODE_V2)
        {
          cleanup_free char *base = v2_relative_base (lh->self);
          dir = join_path (lh->mountpoint, base, path);
        }
      else
        dir = join_path (lh->mountpoint, lh->self, path);
      cg_add (cg, lh->controllers, lh->mountpoint, dir, lh->unified);
      if (lnx == NULL || lnx->cgroups_path == NULL || *lnx->cgroups_path == '\0')
        cg->h[cg->n - 1].created = join_path (lh->mountpoint, "/", DEFAULT_PARENT);
    }
  if (lp)
    *lp = l;
  *out = cg;
  return 0;
}

char *
ocirun_cgroup_plan (const char *id, const oci_linux *lnx, bool rootless, ocirun_error_t *err)
{
  ocirun_cgroup *cg = NULL;
  char *saved;
  size_t i;

  if (cg_paths (id, lnx, rootless, NULL, &cg, err) < 0)
    return NULL;
  for (i = 0; i < cg->n; i++)
    {
      struct cg_hier *h = &cg->h[i];
      cleanup_free char *p = xstrdup (h->path);
      char *s = p + strlen (h->mountpoint);
      struct stat sb;
      /* the shallowest level that does not exist yet is the one create
       * will make (another create making it first: destroy then finds it
       * busy and keeps it, as for any shared parent) */
      while (*s)
        {
          char *next = strchr (s + 1, '/');
          if (next)
            *next = '\0';
          if (h->created == NULL && stat (p, &sb) < 0 && errno == ENOENT)
            {
              h->created = xstrdup (p);
              break;
            }
          if (next == NULL)
            break;
          *next = '/';
          s = next;
        }
    }
  saved = ocirun_cgroup_save (cg);
  ocirun_cgroup_free (cg);
  return saved;
}

int
ocirun_cgroup_create (const char *id, const oci_linux *lnx, bool rootless, ocirun_cgroup **out, ocirun_error_t *err)
{
  struct cg_layout *l = NULL;
  const oci_resources *res = lnx ? lnx->resources : NULL;
  ocirun_cgroup *cg;
  size_t i;

  *out = NULL;
  if (ocirun_cgroup_validate (res, err) < 0)
    return -1;
  if (cg_paths (id, lnx, rootless, &l, &cg, err) < 0)
    return -1;

  for (i = 0; i < cg->n; i++)
    {
      int mkerr = 0;
      if (make_path (cg, &cg->h[i], &mkerr, err) < 0)
        {
          ocirun_error_t e2 = NULL;
          size_t j;
          for (j = 0; j <= i; j++)
            if (destroy_hier (&cg->h[j], &e2) < 0)
              {
                ocirun_warning ("cleaning up after a failed cgroup create: %s", e2->msg);
                ocirun_error_release (&e2);
              }
          if (rootless && (mkerr == EACCES || mkerr == EPERM || mkerr == EROFS) && !resources_requested (res))
            {
              /* a note for the unprivileged user at a shell; as root of a
               * user namespace a container engine made (rootless podman)
               * only a debug line: runc and crun say nothing there, and
               * podman takes the runtime's whole stderr for the error, its
               * first "Permission denied" line first, so this note would
               * hide the real error of a failing create */
              ocirun_log (geteuid () != 0 ? OCIRUN_LOG_WARNING : OCIRUN_LOG_INFO,
                          "rootless: cannot create the cgroup (%s); running without cgroup limits", (*err)->msg);
              ocirun_error_release (err);
              /* an empty manager that remembers our own cgroups (for mounts) */
              for (j = 0; j < cg->n; j++)
                {
                  /* what was made (or marked ours, the default parent) in
                   * another hierarchy goes: the empty manager owns nothing */
                  ocirun_error_t e2 = NULL;
                  if (cg->h[j].created && destroy_hier (&cg->h[j], &e2) < 0)
                    ocirun_error_release (&e2);
                  free (cg->h[j].created);
                  cg->h[j].created = NULL;
                  free (cg->h[j].path);
                  cg->h[j].path = join_path (l->h[j].mountpoint, l->h[j].self, "");
                }
              cg->empty = true;
              *out = cg;
              return 0;
            }
          ocirun_cgroup_free (cg);
          return -1;
        }
      if (cg->h[i].created == NULL)
        ocirun_debug ("cgroup: `%s` already exists, joining it", cg->h[i].path);
    }

  if (check_fit (cg, err) < 0 || (res && cg->ops->set (cg, res, false, err) < 0) || apply_devices (cg, res, err) < 0)
    {
      ocirun_error_t e2 = NULL;
      if (ocirun_cgroup_destroy (cg, &e2) < 0)
        {
          ocirun_warning ("cleaning up after a failed cgroup create: %s", e2->msg);
          ocirun_error_release (&e2);
        }
      ocirun_cgroup_free (cg);
      return -1;
    }
  *out = cg;
  return 0;
}

int
ocirun_cgroup_create_systemd (const char *id, const oci_linux *lnx, const oci_map *annotations, bool rootless,
                              ocirun_cgroup **out, ocirun_error_t *err)
{
  struct cg_layout *l = NULL;
  ocirun_cgroup *cg;
  size_t i;

  *out = NULL;
  if (ocirun_cgroup_validate (lnx ? lnx->resources : NULL, err) < 0)
    return -1;
  if (detect_layout (&l, err) < 0)
    return -1;
  cg = cg_new (l->mode);
  cg->rootless = rootless;
  if (cg_sd_prepare (cg, id, lnx, annotations, err) < 0)
    {
      ocirun_cgroup_free (cg);
      return -1;
    }
  /* systemd places the unit at the same path in every hierarchy it
   * manages; the v1 controllers it does not manage get that path by hand
   * when the unit has started (systemd_first_enter) */
  for (i = 0; i < l->n; i++)
    {
      cg_add (cg, l->h[i].controllers, l->h[i].mountpoint, join_path (l->h[i].mountpoint, "/", cg->sd->cgpath),
              l->h[i].unified);
      /* the unit's cgroup is the container's in every hierarchy: destroy
       * sweeps what systemd leaves (and the v1 ones made by hand); saved
       * now, as the state is written before the unit starts */
      cg->h[i].created = xstrdup (cg->h[i].path);
    }
  *out = cg;
  return 0;
}

/* The first enter of a systemd container: start the unit with the pid,
 * then the hierarchies systemd does not manage (v1 cpuset, freezer,
 * net_cls, hugetlb ...), then every resource written to the files, as the
 * cgroupfs driver does. */
static int
systemd_first_enter (ocirun_cgroup *cg, pid_t pid, ocirun_error_t *err)
{
  size_t i;
  if (cg_sd_start (cg, pid, err) < 0)
    return -1;
  for (i = 0; i < cg->n; i++)
    {
      struct cg_hier *h = &cg->h[i];
      struct stat stb;
      if (stat (h->path, &stb) < 0)
        {
          int mkerr = 0;
          if (make_path (cg, h, &mkerr, err) < 0)
            return -1;
        }
      if (cg_write (h->path, "cgroup.procs", NULL, err, "%d", (int) pid) < 0)
        return ocirun_error_prefix (err, "move pid %d into the cgroup", (int) pid);
    }
  if (cg->sd->res && cg->ops->set (cg, cg->sd->res, false, err) < 0)
    return -1;
  return apply_devices (cg, cg->sd->res, err);
}

const char *
ocirun_cgroup_systemd_unit (ocirun_cgroup *cg)
{
  return cg && cg->sd ? cg->sd->unit : NULL;
}

int
ocirun_cgroup_clone_fd (ocirun_cgroup *cg)
{
  struct cg_hier *h;
  if (cg == NULL || cg->empty || cg->mode != CG_MODE_V2 || (cg->sd && cg->sd->pending))
    return -1;
  if (cg->clone_fd >= 0)
    return cg->clone_fd;
  h = cg_unified (cg);
  if (h == NULL)
    return -1;
  cg->clone_fd = open (h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return cg->clone_fd;
}

static bool
valid_sub (const char *sub)
{
  cleanup_free char *copy = xstrdup (sub);
  char *tok, *save = NULL;
  if (*sub == '\0')
    return false;
  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    if (strcmp (tok, "..") == 0)
      return false;
  return true;
}

int
ocirun_cgroup_enter (ocirun_cgroup *cg, pid_t pid, const char *sub, ocirun_error_t *err)
{
  size_t i;
  if (cg->empty)
    return 0;
  if (cg->sd && cg->sd->pending && sub == NULL)
    return systemd_first_enter (cg, pid, err);
  if (sub && !valid_sub (sub))
    return ocirun_make_error (err, 0, "invalid sub-cgroup \"%s\"", sub);
  for (i = 0; i < cg->n; i++)
    {
      cleanup_free char *dir = NULL;
      if (sub)
        xasprintf (&dir, "%s/%s", cg->h[i].path, sub[0] == '/' ? sub + 1 : sub);
      else
        dir = xstrdup (cg->h[i].path);
      if (cg_write (dir, "cgroup.procs", NULL, err, "%d", (int) pid) < 0)
        return ocirun_error_prefix (err, "move pid %d into the cgroup", (int) pid);
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* save / load                                                         */
/* ------------------------------------------------------------------ */

static const char *const mode_names[] = { [CG_MODE_V1] = "v1", [CG_MODE_HYBRID] = "hybrid", [CG_MODE_V2] = "v2" };

static void
gen_str_or_null (yajl_gen g, const char *key, const char *v)
{
  cg_json_key (g, key);
  if (v)
    yajl_gen_string (g, (const unsigned char *) v, strlen (v));
  else
    yajl_gen_null (g);
}

char *
ocirun_cgroup_save (ocirun_cgroup *cg)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len, i;
  char *r;

  if (g == NULL)
    return NULL;
  yajl_gen_map_open (g);
  cg_json_u64 (g, "version", 1);
  cg_json_str (g, "mode", mode_names[cg->mode]);
  cg_json_key (g, "rootless");
  yajl_gen_bool (g, cg->rootless);
  cg_json_key (g, "empty");
  yajl_gen_bool (g, cg->empty);
  cg_json_key (g, "hierarchies");
  yajl_gen_array_open (g);
  for (i = 0; i < cg->n; i++)
    {
      yajl_gen_map_open (g);
      cg_json_str (g, "controllers", cg->h[i].controllers);
      cg_json_str (g, "mountpoint", cg->h[i].mountpoint);
      cg_json_str (g, "path", cg->h[i].path);
      gen_str_or_null (g, "created", cg->h[i].created);
      cg_json_key (g, "unified");
      yajl_gen_bool (g, cg->h[i].unified);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  if (cg->sd)
    cg_sd_save (cg->sd, g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  r = strndup ((const char *) buf, len);
  yajl_gen_free (g);
  return r;
}

static const char *
tree_str (yajl_val v, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val s = yajl_tree_get (v, path, yajl_t_string);
  return s ? YAJL_GET_STRING (s) : NULL;
}

static bool
tree_bool (yajl_val v, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val b = yajl_tree_get (v, path, yajl_t_any);
  return b && YAJL_IS_TRUE (b);
}

int
ocirun_cgroup_load (const char *saved, ocirun_cgroup **out, ocirun_error_t *err)
{
  char ebuf[256];
  yajl_val root, arr;
  const char *mode_s;
  const char *hpath[] = { "hierarchies", NULL };
  enum cg_mode mode = 0;
  ocirun_cgroup *cg;
  size_t i;

  *out = NULL;
  root = yajl_tree_parse (saved ? saved : "", ebuf, sizeof ebuf);
  if (root == NULL)
    return ocirun_make_error (err, 0, "load cgroup state: invalid JSON");
  mode_s = tree_str (root, "mode");
  for (i = 1; i < ARRAY_SIZE (mode_names); i++)
    if (mode_s && strcmp (mode_s, mode_names[i]) == 0)
      mode = (enum cg_mode) i;
  arr = yajl_tree_get (root, hpath, yajl_t_array);
  if (mode == 0 || arr == NULL)
    {
      yajl_tree_free (root);
      return ocirun_make_error (err, 0, "load cgroup state: missing mode or hierarchies");
    }
  cg = cg_new (mode);
  cg->rootless = tree_bool (root, "rootless");
  cg->empty = tree_bool (root, "empty");
  for (i = 0; i < YAJL_GET_ARRAY (arr)->len; i++)
    {
      yajl_val h = YAJL_GET_ARRAY (arr)->values[i];
      const char *c = tree_str (h, "controllers"), *m = tree_str (h, "mountpoint"), *p = tree_str (h, "path");
      const char *created = tree_str (h, "created");
      if (c == NULL || m == NULL || p == NULL || p[0] != '/' || strncmp (p, m, strlen (m)) != 0
          || (created && strncmp (p, created, strlen (created)) != 0))
        {
          yajl_tree_free (root);
          ocirun_cgroup_free (cg);
          return ocirun_make_error (err, 0, "load cgroup state: invalid hierarchy entry %zu", i);
        }
      cg_add (cg, c, m, xstrdup (p), tree_bool (h, "unified"));
      cg->h[cg->n - 1].created = xstrdup (created);
    }
  if (cg_sd_load (cg, root, err) < 0)
    {
      yajl_tree_free (root);
      ocirun_cgroup_free (cg);
      return -1;
    }
  yajl_tree_free (root);
  *out = cg;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */
/* ------------------------------------------------------------------ */

int
ocirun_cgroup_update (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err)
{
  if (r == NULL)
    return 0;
  if (cg->empty)
    {
      if (resources_requested (r))
        return ocirun_make_error (err, 0, "update: the container has no cgroup (rootless without cgroup access)");
      return 0;
    }
  if (ocirun_cgroup_validate (r, err) < 0)
    return -1;
  if (cg->sd && cg_sd_update (cg, r, err) < 0)
    return -1;
  if (cg->ops->set (cg, r, true, err) < 0)
    return -1;
  if (r->devices_len && apply_devices (cg, r, err) < 0)
    return -1;
  return 0;
}

int
ocirun_cgroup_freeze (ocirun_cgroup *cg, bool freeze, ocirun_error_t *err)
{
  if (cg->empty)
    return ocirun_make_error (err, 0, "%s: the container has no cgroup", freeze ? "pause" : "resume");
  return cg->ops->freeze (cg, freeze, err);
}

int
ocirun_cgroup_is_frozen (ocirun_cgroup *cg, bool *frozen, ocirun_error_t *err)
{
  *frozen = false;
  if (cg->empty)
    return 0;
  return cg->ops->is_frozen (cg, frozen, err);
}

static int
pid_cmp (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

static int
collect (const char *dir, pid_t **pids, size_t *n, size_t *cap, ocirun_error_t *err)
{
  cleanup_free char *procs = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  char *line, *save = NULL;

  if (cg_read (dir, "cgroup.procs", &procs, err) < 0)
    {
      /* removed under us (ENOENT), or being removed: a dead cgroup's
       * files read ENODEV (systemd removes a scope's cgroups as soon as its
       * processes are gone, racing a delete that lists them) */
      if ((*err)->status == ENOENT || (*err)->status == ENODEV)
        {
          ocirun_error_release (err);
          return 0;
        }
      return -1;
    }
  for (line = strtok_r (procs, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      long long v;
      if (parse_int64 (line, &v) < 0)
        continue;
      if (*n == *cap)
        {
          *cap = *cap ? *cap * 2 : 16;
          *pids = xrealloc (*pids, *cap * sizeof (pid_t));
        }
      (*pids)[(*n)++] = (pid_t) v;
    }
  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT || errno == ENODEV ? 0 : ocirun_make_error (err, errno, "open `%s`", dir);
  while ((de = readdir (d)))
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      xasprintf (&sub, "%s/%s", dir, de->d_name);
      if (collect (sub, pids, n, cap, err) < 0)
        return -1;
    }
  return 0;
}

int
cg_collect_pids (const char *dir, pid_t **pids, size_t *n, ocirun_error_t *err)
{
  size_t cap = 0;
  *pids = NULL;
  *n = 0;
  if (collect (dir, pids, n, &cap, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  if (*n)
    qsort (*pids, *n, sizeof (pid_t), pid_cmp);
  return 0;
}

int
ocirun_cgroup_pids (ocirun_cgroup *cg, pid_t **pids, size_t *n, ocirun_error_t *err)
{
  struct cg_hier *h;
  *pids = NULL;
  *n = 0;
  if (cg->empty)
    return 0;
  h = cg_main (cg);
  if (h == NULL)
    return 0;
  return cg_collect_pids (h->path, pids, n, err);
}

int
ocirun_cgroup_kill (ocirun_cgroup *cg, int signo, ocirun_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, i;
  bool was_frozen = false, froze = false;
  bool can_freeze;
  int r;

  if (cg->empty)
    return 0;
  r = cg->ops->kill (cg, signo, err);
  if (r <= 0)
    return r;
  /* Generic path: freeze so nothing forks between listing and signalling
   * (runc does the same), signal every pid, thaw. */
  can_freeze = cg->mode == CG_MODE_V2 ? true : cg_find (cg, "freezer") != NULL;
  if (can_freeze)
    {
      ocirun_error_t e = NULL;
      if (cg->ops->is_frozen (cg, &was_frozen, &e) < 0)
        ocirun_error_release (&e);
      else if (!was_frozen && cg->ops->freeze (cg, true, &e) == 0)
        froze = true;
      else
        ocirun_error_release (&e);
    }
  r = ocirun_cgroup_pids (cg, &pids, &n, err);
  if (r == 0)
    for (i = 0; i < n; i++)
      if (kill (pids[i], signo) < 0 && errno != ESRCH)
        {
          r = ocirun_make_error (err, errno, "kill pid %d", (int) pids[i]);
          break;
        }
  /* thaw what we froze; a SIGKILLed paused container is thawed too so the
   * signal takes effect */
  if (froze || (was_frozen && signo == SIGKILL))
    {
      ocirun_error_t e = NULL;
      if (cg->ops->freeze (cg, false, &e) < 0)
        {
          if (r == 0)
            {
              *err = e;
              return -1;
            }
          ocirun_error_release (&e);
        }
    }
  return r;
}

/* Every pid in the container's cgroup in ANY hierarchy: a create killed
 * half-way through ocirun_cgroup_enter (v1: one hierarchy after the other)
 * leaves a process in some hierarchies only. */
static int
pids_everywhere (ocirun_cgroup *cg, pid_t **pids, size_t *n, bool *gone, ocirun_error_t *err)
{
  size_t i, cap = 0;
  *pids = NULL;
  *n = 0;
  *gone = true;
  for (i = 0; i < cg->n; i++)
    {
      ocirun_error_t e = NULL;
      struct stat sb;
      if (stat (cg->h[i].path, &sb) < 0)
        continue;
      *gone = false;
      /* collect takes a cgroup removed under us as empty */
      if (collect (cg->h[i].path, pids, n, &cap, &e) < 0)
        {
          *err = e;
          free (*pids);
          *pids = NULL;
          *n = 0;
          return -1;
        }
    }
  return 0;
}

int
ocirun_cgroup_has_processes (ocirun_cgroup *cg, bool *any, ocirun_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  bool gone;
  *any = false;
  if (cg == NULL || cg->empty)
    return 0;
  if (pids_everywhere (cg, &pids, &n, &gone, err) < 0)
    return -1;
  *any = n > 0;
  return 0;
}

int
ocirun_cgroup_kill_all (ocirun_cgroup *cg, ocirun_error_t *err)
{
  int i;
  if (cg == NULL || cg->empty)
    return 0;
  /* ~10 s: the SIGKILLed tasks leave on their own; whatever forked between
   * listing and signalling is caught by the next round */
  for (i = 0; i < 1000; i++)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, k;
      bool gone;
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      if (pids_everywhere (cg, &pids, &n, &gone, err) < 0)
        return -1;
      if (n == 0)
        return 0;
      if (i % 20 == 0)
        {
          ocirun_error_t e = NULL;
          /* freeze, kill, thaw (v1 freezer); cgroup.kill (v2); a frozen
           * cgroup is thawed so the signal takes effect */
          if (ocirun_cgroup_kill (cg, SIGKILL, &e) < 0)
            {
              ocirun_debug ("cgroup kill: %s", e->msg);
              ocirun_error_release (&e);
            }
          for (k = 0; k < n; k++)
            kill (pids[k], SIGKILL);
        }
      nanosleep (&ts, NULL);
    }
  return ocirun_make_error (err, EBUSY, "the processes of the container's cgroup `%s` did not exit",
                            cg_main (cg) ? cg_main (cg)->path : "?");
}

int
ocirun_cgroup_stats_json (ocirun_cgroup *cg, char **json, ocirun_error_t *err)
{
  yajl_gen g;
  const unsigned char *buf;
  size_t len;

  *json = NULL;
  if (cg->empty)
    {
      *json = xstrdup ("{}");
      return 0;
    }
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return ocirun_make_error (err, ENOMEM, "stats");
  yajl_gen_map_open (g);
  if (cg->ops->stats (cg, g, err) < 0)
    {
      yajl_gen_free (g);
      return -1;
    }
  yajl_gen_map_close (g);
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    {
      yajl_gen_free (g);
      return ocirun_make_error (err, 0, "stats: cannot generate JSON");
    }
  *json = strndup ((const char *) buf, len);
  yajl_gen_free (g);
  return 0;
}

int
ocirun_cgroup_destroy (ocirun_cgroup *cg, ocirun_error_t *err)
{
  size_t i;
  int ret = 0;
  if (cg == NULL || cg->empty)
    return 0;
  if (cg->clone_fd >= 0)
    {
      close (cg->clone_fd);
      cg->clone_fd = -1;
    }
  /* systemd driver: a unit that never started (e.g. it already existed:
   * another container's) left nothing of ours; else the unit goes first */
  if (cg->sd && cg->sd->pending)
    return 0;
  if (cg->sd && cg_sd_stop (cg, err) < 0)
    ret = -1;
  /* every hierarchy, even after a failure, reporting the first error */
  for (i = 0; i < cg->n; i++)
    {
      ocirun_error_t e = NULL;
      if (destroy_hier (&cg->h[i], &e) < 0)
        {
          if (ret == 0)
            {
              *err = e;
              ret = -1;
            }
          else
            ocirun_error_release (&e);
        }
    }
  return ret;
}

/* Accessors for tests and the runtime core (state, `ps`, debug output). */
const char *
ocirun_cgroup_mode_name (ocirun_cgroup *cg)
{
  return mode_names[cg->mode];
}

const char *
ocirun_cgroup_path (ocirun_cgroup *cg, const char *controller)
{
  struct cg_hier *h;
  if (controller == NULL || *controller == '\0')
    h = cg->mode == CG_MODE_V2 ? cg_unified (cg) : cg_main (cg);
  else if (strcmp (controller, "unified") == 0)
    h = cg_unified (cg);
  else
    h = cg_find (cg, controller);
  return h ? h->path : NULL;
}

const char *
ocirun_cgroup_relative_path (ocirun_cgroup *cg)
{
  struct cg_hier *h = cg->mode == CG_MODE_V2 ? cg_unified (cg) : cg_main (cg);
  size_t n;
  if (h == NULL || h->path == NULL || h->mountpoint == NULL)
    return NULL;
  n = strlen (h->mountpoint);
  if (strncmp (h->path, h->mountpoint, n) != 0 || (h->path[n] != '/' && h->path[n] != '\0'))
    return NULL;
  return h->path[n] ? h->path + n : "/";
}

bool
ocirun_cgroup_is_empty_manager (ocirun_cgroup *cg)
{
  return cg->empty;
}
