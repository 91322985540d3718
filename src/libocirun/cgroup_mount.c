/* mounts[] entries of type "cgroup" / "cgroup2" (config.md#mounts, the
 * /sys/fs/cgroup of the container).  Runs in the child, in the container's
 * mount namespace, before pivot_root: the host's /sys/fs/cgroup is still
 * reachable.  The target is an O_PATH fd inside the rootfs; every mount
 * goes onto /proc/self/fd/N, never a path string (docs/design.md: mount onto
 * fds).
 *
 *   v2, cgroupns:     a cgroup2 mount (the namespace root is the container's cgroup)
 *   v2, no cgroupns:  a bind mount of the container's cgroup directory
 *   v1/hybrid:        a tmpfs, then one directory per hierarchy named as on
 *                     the host ("memory", "cpu,cpuacct" + symlinks "cpu" and
 *                     "cpuacct", "systemd"), each a cgroup mount of that
 *                     hierarchy (cgroupns) or a bind mount of the container's
 *                     directory in it (no cgroupns: runc's approach); hybrid
 *                     also gets the unified hierarchy at <target>/unified.
 * MS_RDONLY (the config's "ro") makes every piece read-only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "paths.h"
#include "utils.h"

#ifndef TMPFS_MAGIC
#  define TMPFS_MAGIC 0x01021994
#endif

#define FD_PATH(buf, fd) ocirun_fd_path (fd, buf, sizeof (buf))

/* the per-mount flags we keep from the entry; the cgroup file systems are
 * always nosuid,nodev,noexec */
static unsigned long
mount_flags (unsigned long flags)
{
  return MS_NOSUID | MS_NODEV | MS_NOEXEC
         | (flags & (MS_RDONLY | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME));
}

/* A mount made on /proc/self/fd/N covers N's dentry, but N (and the magic
 * link) keep naming the covered directory.  Look the name up again from
 * the parent to get the root of the new mount. */
static int
reopen_mounted (int fd, const char *dest, ocirun_error_t *err)
{
  char link[64], target[PATH_MAX];
  cleanup_close int parent = -1;
  ssize_t l;
  const char *name;
  int r;

  FD_PATH (link, fd);
  l = readlink (link, target, sizeof target - 1);
  if (l < 0)
    return ocirun_make_error (err, errno, "mount `%s`: readlink `%s`", dest, link);
  target[l] = '\0';
  name = strrchr (target, '/');
  name = name ? name + 1 : target;
  if (*name == '\0')
    return ocirun_make_error (err, EINVAL, "mount `%s`: the target is a root directory", dest);
  parent = openat (fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0)
    return ocirun_make_error (err, errno, "mount `%s`: open the parent directory", dest);
  r = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (r < 0)
    return ocirun_make_error (err, errno, "mount `%s`: reopen the target", dest);
  return r;
}

/* bind `src` (a host cgroup directory) onto dirfd/name with `mflags` */
static int
bind_cgroup (const char *src, int dirfd, const char *name, unsigned long mflags, const char *dest, ocirun_error_t *err)
{
  cleanup_close int sub = -1, mounted = -1;
  char p[64];

  sub = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return ocirun_make_error (err, errno, "mount `%s`: open `%s`", dest, name);
  FD_PATH (p, sub);
  if (mount (src, p, NULL, MS_BIND, NULL) < 0)
    return ocirun_make_error (err, errno, "mount `%s`: bind `%s` on `%s`", dest, src, name);
  /* the flags of a bind mount only take with a remount of the new mount */
  mounted = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (mounted < 0)
    return ocirun_make_error (err, errno, "mount `%s`: open `%s`", dest, name);
  FD_PATH (p, mounted);
  if (mount (NULL, p, NULL, MS_REMOUNT | MS_BIND | mflags, NULL) < 0)
    return ocirun_make_error (err, errno, "mount `%s`: remount `%s`", dest, name);
  return 0;
}

static int
mount_fs (const char *fstype, const char *opts, int dirfd, const char *name, unsigned long mflags, const char *dest,
          ocirun_error_t *err)
{
  cleanup_close int sub = -1;
  char p[64];
  sub = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return ocirun_make_error (err, errno, "mount `%s`: open `%s`", dest, name);
  FD_PATH (p, sub);
  if (mount (fstype, p, fstype, mflags, opts) < 0)
    return ocirun_make_error (err, errno, "mount `%s`: mount %s (%s) on `%s`", dest, fstype, opts ? opts : "", name);
  return 0;
}

static int
mount_v2 (ocirun_cgroup *cg, int target_fd, const char *dest, unsigned long mflags, bool cgroupns, ocirun_error_t *err)
{
  struct cg_hier *u = cg_unified (cg);
  char p[64];
  FD_PATH (p, target_fd);
  if (cgroupns || u == NULL)
    {
      if (mount ("cgroup2", p, "cgroup2", mflags, NULL) < 0)
        return ocirun_make_error (err, errno, "mount `%s`: mount cgroup2", dest);
      return 0;
    }
  {
    cleanup_close int mounted = -1;
    if (mount (u->path, p, NULL, MS_BIND, NULL) < 0)
      return ocirun_make_error (err, errno, "mount `%s`: bind `%s`", dest, u->path);
    mounted = reopen_mounted (target_fd, dest, err);
    if (mounted < 0)
      return -1;
    FD_PATH (p, mounted);
    if (mount (NULL, p, NULL, MS_REMOUNT | MS_BIND | mflags, NULL) < 0)
      return ocirun_make_error (err, errno, "mount `%s`: remount `%s`", dest, u->path);
  }
  return 0;
}

int
ocirun_cgroup_mount (ocirun_cgroup *cg, int target_fd, const char *dest, unsigned long flags, bool cgroupns,
                     ocirun_error_t *err)
{
  unsigned long mflags = mount_flags (flags);
  cleanup_close int root = -1;
  struct statfs sfs;
  char p[64];
  size_t i;

  if (cg->mode == CG_MODE_V2)
    return mount_v2 (cg, target_fd, dest, mflags, cgroupns, err);

  FD_PATH (p, target_fd);
  if (mount ("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return ocirun_make_error (err, errno, "mount `%s`: mount tmpfs", dest);
  root = reopen_mounted (target_fd, dest, err);
  if (root < 0)
    return -1;
  if (fstatfs (root, &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
    return ocirun_make_error (err, EINVAL, "mount `%s`: the tmpfs is not where it was mounted", dest);

  for (i = 0; i < cg->n; i++)
    {
      struct cg_hier *h = &cg->h[i];
      cleanup_free char *base = NULL;
      const char *name;
      if (h->unified)
        continue;
      base = xstrdup (h->mountpoint);
      name = basename (base);
      if (mkdirat (root, name, 0755) < 0 && errno != EEXIST)
        return ocirun_make_error (err, errno, "mount `%s`: mkdir `%s`", dest, name);
      if (cgroupns)
        {
          /* with its own cgroup namespace the hierarchy's root is the
           * container's cgroup: mount the hierarchy itself */
          cleanup_free char *opts = NULL;
          if (strncmp (h->controllers, "name=", 5) == 0)
            xasprintf (&opts, "none,%s", h->controllers);
          else
            opts = xstrdup (h->controllers);
          if (mount_fs ("cgroup", opts, root, name, mflags, dest, err) < 0)
            return -1;
        }
      else if (bind_cgroup (h->path, root, name, mflags, dest, err) < 0)
        return -1;
      if (strchr (name, ','))
        {
          /* "cpu,cpuacct" -> symlinks "cpu" and "cpuacct", as on the host */
          cleanup_free char *copy = xstrdup (name);
          char *tok, *save = NULL;
          for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            if (symlinkat (name, root, tok) < 0 && errno != EEXIST)
              return ocirun_make_error (err, errno, "mount `%s`: symlink `%s`", dest, tok);
        }
    }
  if (cg->mode == CG_MODE_HYBRID)
    {
      struct cg_hier *u = cg_unified (cg);
      if (u)
        {
          if (mkdirat (root, "unified", 0755) < 0 && errno != EEXIST)
            return ocirun_make_error (err, errno, "mount `%s`: mkdir `unified`", dest);
          if (cgroupns)
            {
              if (mount_fs ("cgroup2", NULL, root, "unified", mflags, dest, err) < 0)
                return -1;
            }
          else if (bind_cgroup (u->path, root, "unified", mflags, dest, err) < 0)
            return -1;
        }
    }
  /* last: the tmpfs itself (its directories are made) */
  FD_PATH (p, root);
  if (mount (NULL, p, NULL, MS_REMOUNT | MS_BIND | mflags, NULL) < 0)
    return ocirun_make_error (err, errno, "mount `%s`: remount tmpfs", dest);
  return 0;
}
