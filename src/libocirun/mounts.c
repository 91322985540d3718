/* The container's filesystem: root, mounts[], pivot_root, maskedPaths,
 * readonlyPaths (config.md#root, #mounts; config-linux.md#masked-paths ...).
 *
 * Every destination is resolved inside the rootfs with openat2
 * (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), and we mount onto the resolved
 * fd, never onto a path string: a symlink in the image (or one swapped in
 * during setup) cannot redirect a mount to the host (CVE-2021-30465). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "job.h"
#include "lsm.h"
#include "mount_opts.h"
#include "mounts.h"
#include "paths.h"
#include "process.h"
#include "userns.h"
#include "utils.h"

/* MS_* per-mount flags -> MOUNT_ATTR_* for mount_setattr on a bind mount */
static void
flags_to_attr (unsigned long flags, struct mount_attr *a)
{
  memset (a, 0, sizeof *a);
  if (flags & MS_RDONLY)
    a->attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    a->attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    a->attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    a->attr_set |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    a->attr_set |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW)
    a->attr_set |= MOUNT_ATTR_NOSYMFOLLOW;
  if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME))
    {
      a->attr_clr |= MOUNT_ATTR__ATIME;
      a->attr_set |= (flags & MS_NOATIME)       ? MOUNT_ATTR_NOATIME
                     : (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                                : MOUNT_ATTR_RELATIME;
    }
}

/* the per-mount flags of a detached bind tree */
static int
set_tree_flags (int tree, const oci_mount *m, const struct ocirun_mount_opts *pm, size_t idx, ocirun_error_t *err)
{
  struct mount_attr attr, rec = pm->rec;
  flags_to_attr (pm->flags, &attr);
  if ((attr.attr_set || attr.attr_clr) && mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return ocirun_make_error (err, errno, "mounts[%zu]: set the flags of `%s`", idx, m->destination);
  if (pm->has_rec && mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &rec, sizeof rec) < 0)
    return ocirun_make_error (err, errno, "mounts[%zu]: set the recursive flags of `%s`", idx, m->destination);
  return 0;
}

/* ---- filesystem-specific options (mounts[].options left for the data) ----
 *
 * mount(2) answers EINVAL for any option the filesystem refuses, without
 * saying which.  A filesystem context (fsopen(2)) takes them one at a time
 * with fsconfig(2), which fails on the one refused and keeps the
 * filesystem's own words in the context's log: so an error can name the
 * option, as the user wrote it, and why. */

/* the last error the filesystem logged in context `fs` ("tmpfs: Unknown
 * parameter 'foo'"), in buf; empty when it said nothing */
static void
fs_context_error (int fs, char *buf, size_t len)
{
  char msg[256];
  ssize_t n;

  buf[0] = '\0';
  while ((n = read (fs, msg, sizeof msg - 1)) > 0)
    {
      msg[n] = '\0';
      msg[strcspn (msg, "\n")] = '\0';
      if (msg[0] == 'e' && msg[1] == ' ')
        snprintf (buf, len, "%s", msg + 2);
    }
}

/* Hand each option of the comma-separated `data` to the context `fs`; on
 * the first one refused, an error naming mounts[idx].options and it. */
static int
fs_config_options (int fs, const char *type, const char *data, size_t idx, ocirun_error_t *err)
{
  cleanup_free char *copy = data ? xstrdup (data) : NULL;
  char *save = NULL, *opt;

  for (opt = copy ? strtok_r (copy, ",", &save) : NULL; opt; opt = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (opt, '=');
      char why[256];
      int r, e;
      if (eq)
        {
          *eq = '\0';
          r = fsconfig (fs, FSCONFIG_SET_STRING, opt, eq + 1, 0);
          *eq = '=';
        }
      else
        r = fsconfig (fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
      if (r == 0)
        continue;
      e = errno;
      fs_context_error (fs, why, sizeof why);
      return ocirun_make_error (err, e, "mounts[%zu].options: `%s` refused by the `%s` filesystem%s%s%s", idx, opt,
                                type, *why ? " (" : "", why, *why ? ")" : "");
    }
  return 0;
}

/* mount(2) of a filesystem failed with EINVAL: find the option it refused.
 * Returns -1 with *err set when one is found, 0 when it cannot be known
 * (no context for this type, a filesystem that checks its options only
 * as a whole). */
static int
explain_refused_option (const char *type, const char *data, size_t idx, ocirun_error_t *err)
{
  cleanup_close int fs = -1;

  if (data == NULL || *data == '\0')
    return 0;
  fs = fsopen (type, FSOPEN_CLOEXEC);
  if (fs < 0)
    return 0;
  return fs_config_options (fs, type, data, idx, err);
}

/* ---- idmapped mounts (config.md#mounts: uidMappings, gidMappings, idmap,
 * ridmap; runtime-spec 1.2) ----
 *
 * mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN over the source's
 * superblock (the host's user namespace), which the child no longer has
 * once it is in the container's user namespace.  So the parent makes them
 * before clone: a detached tree per mount, idmapped with a user namespace
 * that carries the mount's own mappings (or the container's, for `idmap`
 * without mappings), with its flags set.  The child inherits the fds and
 * only moves the trees into place (runc and crun do the same).  The fds
 * travel in job->mount_trees (the child's copy of the parent's memory). */

static char *
bind_source (struct ocirun_job *job, const oci_mount *m)
{
  char *src;
  if (m->source[0] == '/')
    src = xstrdup (m->source);
  else
    xasprintf (&src, "%s/%s", job->bundle, m->source);
  return src;
}

static int
prepare_idmapped (struct ocirun_job *job, const oci_mount *m, size_t idx, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  struct ocirun_mount_opts pm;
  cleanup_free char *data = NULL;
  cleanup_free char *src = NULL;
  cleanup_close int userns = -1;
  cleanup_close int tree = -1;
  struct mount_attr attr;
  char where[48];
  int ret;

  ret = ocirun_mount_options_parse (m->options, m->options_len, &pm, err);
  if (ret < 0)
    return ret;
  data = pm.data;
  if (!pm.idmap && m->uid_mappings_len == 0)
    return 0;
  if (m->source == NULL && ocirun_mount_opts_is_bind (m, &pm))
    return ocirun_make_error (err, 0, "mounts[%zu].source: required for a bind mount", idx);
  if (geteuid () != 0)
    return ocirun_make_error (err, EPERM,
                              "mounts[%zu]: an idmapped mount needs a privileged runtime (CAP_SYS_ADMIN over the "
                              "source's filesystem)",
                              idx);
  snprintf (where, sizeof where, "mounts[%zu]", idx);
  if (m->uid_mappings_len)
    userns = ocirun_userns_open_mapped (m->uid_mappings, m->uid_mappings_len, m->gid_mappings, m->gid_mappings_len,
                                        where, err);
  else if (job->ns_fds[NS_USER] >= 0)
    userns = fcntl (job->ns_fds[NS_USER], F_DUPFD_CLOEXEC, 3);
  else
    userns = ocirun_userns_open_mapped (l->uid_mappings, l->uid_mappings_len, l->gid_mappings, l->gid_mappings_len,
                                        "linux", err);
  if (userns < 0)
    return *err ? -1 : ocirun_make_error (err, errno, "mounts[%zu]: the user namespace for idmap", idx);

  if (ocirun_mount_opts_is_bind (m, &pm))
    {
      src = bind_source (job, m);
      tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((pm.flags & MS_REC) ? AT_RECURSIVE : 0));
      if (tree < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: bind `%s` on `%s`", idx, src, m->destination);
    }
  else
    {
      /* a new filesystem, detached, so it can be idmapped before it is
       * attached (and `idmap` is never handed to the filesystem) */
      cleanup_close int fs = fsopen (m->type, FSOPEN_CLOEXEC);
      src = xstrdup (m->source ? m->source : m->type);
      if (fs < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: fsopen `%s`", idx, m->type);
      if (fsconfig (fs, FSCONFIG_SET_STRING, "source", src, 0) < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: source `%s`", idx, src);
      if (fs_config_options (fs, m->type, data, idx, err) < 0)
        return -1;
      if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: create the `%s` filesystem", idx, m->type);
      tree = fsmount (fs, FSMOUNT_CLOEXEC, 0);
      if (tree < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: fsmount `%s`", idx, m->type);
    }
  memset (&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = (unsigned long long) userns;
  if (mount_setattr (tree, "", AT_EMPTY_PATH | (pm.ridmap ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
    {
      if (errno == EINVAL)
        return ocirun_make_error (err, errno, "mounts[%zu]: idmap `%s` (does its filesystem support idmapped mounts?)",
                                  idx, src);
      return ocirun_make_error (err, errno, "mounts[%zu]: idmap `%s`", idx, src);
    }
  ret = set_tree_flags (tree, m, &pm, idx, err);
  if (ret < 0)
    return ret;
  job->mount_trees[idx] = steal_fd (&tree);
  return 0;
}

/* A bind mount in a container with a user namespace: the source is
 * opened here, on the host side, as runc does.  Once in the user
 * namespace, the child's root is the container's root, which a source
 * below a directory only the host's root may enter (0700) refuses.  Best
 * effort: where we cannot (an unprivileged runtime may not clone a tree
 * of the host's), the child binds it itself as before and reports why
 * it could not. */
static void
prepare_bind_from_host (struct ocirun_job *job, const oci_mount *m, size_t idx)
{
  struct ocirun_mount_opts pm;
  cleanup_free char *src = NULL;
  cleanup_close int tree = -1;
  ocirun_error_t tmp = NULL;

  if (ocirun_mount_options_parse (m->options, m->options_len, &pm, &tmp) < 0)
    {
      ocirun_error_release (&tmp);
      return;
    }
  free (pm.data);
  if (!ocirun_mount_opts_is_bind (m, &pm) || m->source == NULL || (pm.flags & MS_REMOUNT))
    return;
  src = bind_source (job, m);
  tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((pm.flags & MS_REC) ? AT_RECURSIVE : 0));
  if (tree < 0)
    {
      ocirun_debug ("mounts[%zu]: the child binds `%s` itself: %s", idx, src, strerror (errno));
      return;
    }
  if (set_tree_flags (tree, m, &pm, idx, &tmp) < 0)
    {
      ocirun_debug ("mounts[%zu]: the child binds `%s` itself: %s", idx, src, tmp->msg);
      ocirun_error_release (&tmp);
      return;
    }
  job->mount_trees[idx] = steal_fd (&tree);
}

int
ocirun_mounts_prepare_idmapped (struct ocirun_job *job, ocirun_error_t *err)
{
  bool userns = job->ns_new[NS_USER] || job->ns_fds[NS_USER] >= 0;
  size_t i;
  for (i = 0; i < job->config->mounts_len; i++)
    {
      const oci_mount *m = &job->config->mounts[i];
      bool idmapped = m->uid_mappings_len || ocirun_mount_has_idmap (m);
      if (!idmapped && !(userns && ocirun_mount_is_bind (m)))
        continue;
      if (job->mount_trees == NULL)
        {
          size_t k;
          job->mount_trees = xmalloc0 (job->config->mounts_len * sizeof (int));
          for (k = 0; k < job->config->mounts_len; k++)
            job->mount_trees[k] = -1;
        }
      if (!idmapped)
        prepare_bind_from_host (job, m, i);
      else if (prepare_idmapped (job, m, i, err) < 0)
        return -1;
    }
  return 0;
}

/* Parent, once the child has its copies (or on failure). */
void
ocirun_mounts_release_idmapped (struct ocirun_job *job)
{
  size_t i;
  for (i = 0; job->mount_trees && i < job->config->mounts_len; i++)
    if (job->mount_trees[i] >= 0)
      close (job->mount_trees[i]);
  free (job->mount_trees);
  job->mount_trees = NULL;
}

static int
do_bind_mount (struct ocirun_job *job, const oci_mount *m, const char *src, int targetfd, struct ocirun_mount_opts *pm,
               size_t idx, ocirun_error_t *err)
{
  cleanup_close int tree = -1;
  struct mount_attr attr;
  unsigned int rec = (pm->flags & MS_REC) ? AT_RECURSIVE : 0;

  if (job->mount_trees && job->mount_trees[idx] >= 0)
    /* made by the parent (idmapped, or a bind from the host side of a
     * user namespace), flags set */
    tree = steal_fd (&job->mount_trees[idx]);
  else
    {
      tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
      if (tree < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: bind `%s` on `%s`", idx, src, m->destination);
      if (set_tree_flags (tree, m, pm, idx, err) < 0)
        return -1;
    }

  if (move_mount (tree, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return ocirun_make_error (err, errno, "mounts[%zu]: bind `%s` on `%s`", idx, src, m->destination);

  if (pm->prop)
    {
      memset (&attr, 0, sizeof attr);
      attr.propagation = pm->prop & ~MS_REC;
      if (mount_setattr (tree, "", AT_EMPTY_PATH | ((pm->prop & MS_REC) ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: set the propagation of `%s`", idx, m->destination);
    }
  return 0;
}

static int
do_fs_mount (struct ocirun_job *job, const oci_mount *m, int rootfd, const char *dest, int targetfd,
             struct ocirun_mount_opts *pm, size_t idx, int *ro_later, ocirun_error_t *err)
{
  char target[64];
  const char *src = m->source ? m->source : m->type;
  unsigned long flags = pm->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  bool defer_ro = false;
  int r;

  /* A read-only tmpfs (or whatever is mounted on /dev) may still need
   * directories and device nodes made in it by the mounts below it
   * (/dev/pts, /dev/shm) and by linux.devices: mounted read-write, made
   * read-only once everything below exists (runc does the same). */
  if ((flags & MS_RDONLY) && (strcmp (m->type, "tmpfs") == 0 || strcmp (dest, "/dev") == 0))
    {
      flags &= ~MS_RDONLY;
      defer_ro = true;
    }

  ocirun_fd_path (targetfd, target, sizeof target);
  r = mount (src, target, m->type, flags, pm->data);
  if (r < 0 && errno == EPERM && strcmp (m->type, "sysfs") == 0 && (job->ns_new[NS_USER] || ocirun_userns_is_nested ()))
    {
      /* a new user namespace without its own network namespace cannot
       * mount sysfs: bind the host's, read-only (as runc does). */
      struct ocirun_mount_opts b = *pm;
      oci_mount bm = *m;
      b.flags |= MS_BIND | MS_REC | MS_RDONLY;
      bm.type = (char *) "bind";
      return do_bind_mount (job, &bm, "/sys", targetfd, &b, idx, err);
    }
  if (r < 0)
    {
      int e = errno;
      if (e == EINVAL && explain_refused_option (m->type, pm->data, idx, err) < 0)
        return -1;
      if (e == EINVAL && pm->data && *pm->data)
        return ocirun_make_error (err, e, "mounts[%zu]: mount `%s` (type `%s`) on `%s` with the options `%s`", idx, src,
                                  m->type, dest, pm->data);
      return ocirun_make_error (err, e, "mounts[%zu]: mount `%s` (type `%s`) on `%s`", idx, src, m->type, dest);
    }
  if (ocirun_lsm_label_mount_root (job->config->linux_, m->type, rootfd, dest, err) < 0)
    return ocirun_error_prefix (err, "mounts[%zu]", idx);

  if (pm->prop || pm->has_rec || defer_ro)
    {
      /* the fd still points below the new mount: re-resolve the path */
      cleanup_close int top = ocirun_open_in_root (rootfd, dest, O_PATH, 0, err);
      if (top < 0)
        return -1;
      if (pm->prop)
        {
          ocirun_fd_path (top, target, sizeof target);
          if (mount (NULL, target, NULL, pm->prop, NULL) < 0)
            return ocirun_make_error (err, errno, "mounts[%zu]: set the propagation of `%s`", idx, dest);
        }
      if (pm->has_rec && mount_setattr (top, "", AT_EMPTY_PATH | AT_RECURSIVE, &pm->rec, sizeof pm->rec) < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: set the recursive flags of `%s`", idx, dest);
      /* the fd names this very mount, whatever is mounted on or below it later */
      if (defer_ro)
        *ro_later = steal_fd (&top);
    }
  return 0;
}

/* whether the comma-separated mount data has KEY=... */
static bool
has_data_option (const char *data, const char *key)
{
  size_t kl = strlen (key);
  const char *p = data;
  while (p && *p)
    {
      if (strncmp (p, key, kl) == 0 && p[kl] == '=')
        return true;
      p = strchr (p, ',');
      if (p)
        p++;
    }
  return false;
}

static int
mount_one (struct ocirun_job *job, int rootfd, const oci_mount *m, size_t idx, int *ro_later, ocirun_error_t *err)
{
  struct ocirun_mount_opts pm;
  cleanup_free char *data = NULL;
  cleanup_free char *src = NULL;
  cleanup_free char *dest = NULL;
  cleanup_close int targetfd = -1;
  mode_t create_type = S_IFDIR;
  bool bind;
  int ret;

  ret = ocirun_mount_options_parse (m->options, m->options_len, &pm, err);
  if (ret < 0)
    return ret;
  if (!ocirun_mount_opts_is_bind (m, &pm))
    ocirun_lsm_mount_data (job->config->linux_, m->type, &pm.data);
  data = pm.data;
  bind = ocirun_mount_opts_is_bind (m, &pm);
  if (!bind && m->type == NULL)
    return ocirun_make_error (err, 0, "mounts[%zu].type: required for a mount that is not a bind mount", idx);

  /* runtime-spec 1.2: a relative destination is relative to the container's "/" */
  if (m->destination[0] == '/')
    dest = xstrdup (m->destination);
  else
    xasprintf (&dest, "/%s", m->destination);

  if (bind)
    {
      struct stat sb;
      if (m->source == NULL)
        return ocirun_make_error (err, 0, "mounts[%zu].source: required for a bind mount", idx);
      src = bind_source (job, m);
      /* a tree the runtime made on the host side tells its type itself */
      if (job->mount_trees && job->mount_trees[idx] >= 0 ? fstat (job->mount_trees[idx], &sb) < 0 : stat (src, &sb) < 0)
        return ocirun_make_error (err, errno, "mounts[%zu].source: `%s`", idx, src);
      if (!S_ISDIR (sb.st_mode))
        create_type = S_IFREG;
    }

  if (!bind && strcmp (m->type, "tmpfs") == 0 && !has_data_option (data, "mode"))
    {
      /* a tmpfs without mode= keeps the mode of the directory it covers
       * (as runc: an image's 0700 /root stays 0700, not tmpfs's 1777); a
       * mount point the runtime creates gets tmpfs's default */
      ocirun_error_t ignore = NULL;
      cleanup_close int existing = ocirun_open_in_root (rootfd, dest, O_PATH, 0, &ignore);
      struct stat sb;
      ocirun_error_release (&ignore);
      if (existing >= 0 && fstat (existing, &sb) == 0 && S_ISDIR (sb.st_mode))
        {
          char *with_mode = NULL;
          xasprintf (&with_mode, "%s%smode=%o", data ? data : "", data && *data ? "," : "",
                     (unsigned) (sb.st_mode & 07777));
          free (data);
          data = pm.data = with_mode;
        }
    }

  targetfd = ocirun_open_in_root (rootfd, dest, O_PATH, create_type, err);
  if (targetfd < 0)
    return ocirun_error_prefix (err, "mounts[%zu].destination", idx);

  if (pm.flags & MS_REMOUNT)
    {
      /* "remount": change the flags of the mount already at the destination */
      char target[64];
      ocirun_fd_path (targetfd, target, sizeof target);
      if (mount (NULL, target, NULL, (pm.flags & ~MS_REC) | MS_REMOUNT, pm.data) < 0)
        return ocirun_make_error (err, errno, "mounts[%zu]: remount `%s`", idx, dest);
      return 0;
    }
  if (m->type && (strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0))
    {
      if (ocirun_cgroup_mount (job->cgroup, targetfd, dest, pm.flags,
                               job->ns_new[NS_CGROUP] || job->ns_fds[NS_CGROUP] >= 0, err)
          < 0)
        return ocirun_error_prefix (err, "mounts[%zu]", idx);
      return 0;
    }
  if (bind || (job->mount_trees && job->mount_trees[idx] >= 0))
    return do_bind_mount (job, m, src ? src : m->type, targetfd, &pm, idx, err);
  return do_fs_mount (job, m, rootfd, dest, targetfd, &pm, idx, ro_later, err);
}

static unsigned long
root_propagation (const char *s)
{
  if (s == NULL)
    return MS_SLAVE | MS_REC;
  if (strcmp (s, "shared") == 0)
    return MS_SHARED;
  if (strcmp (s, "rshared") == 0)
    return MS_SHARED | MS_REC;
  if (strcmp (s, "slave") == 0)
    return MS_SLAVE;
  if (strcmp (s, "rslave") == 0)
    return MS_SLAVE | MS_REC;
  if (strcmp (s, "private") == 0)
    return MS_PRIVATE;
  if (strcmp (s, "rprivate") == 0)
    return MS_PRIVATE | MS_REC;
  if (strcmp (s, "unbindable") == 0)
    return MS_UNBINDABLE;
  if (strcmp (s, "runbindable") == 0)
    return MS_UNBINDABLE | MS_REC;
  return 0;
}

/* ---- no mount namespace of the container's own ----
 *
 * config-linux.md#namespaces: a namespace type absent from the list is the
 * runtime's.  runc runs such a container chrooted in the rootfs, with
 * mounts[] made in the runtime's mount namespace.  So do we, without what
 * would change the host's own mounts: "/" keeps its propagation, the
 * rootfs is not bound onto itself, and the host's "/" as root.path takes
 * no mounts[] and no devices (a tmpfs on the host's /dev).  What
 * validate.c and here refuse matches runc's refusals (maskedPaths,
 * readonlyPaths, --no-pivot).  The mount points are recorded in the state
 * dir before the first mount, so `delete` (even after a SIGKILL of the
 * runtime half-way) unmounts them: nothing is left on the host. */
#define SHARED_MOUNTS_RECORD "host-mounts"

static int mount_all (struct ocirun_job *job, int rootfd, ocirun_error_t *err);

static bool
own_mount_ns (const struct ocirun_job *job)
{
  return job->ns_new[NS_MNT] || job->ns_fds[NS_MNT] >= 0;
}

static int
record_shared_mounts (struct ocirun_job *job, ocirun_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int dirfd = -1;
  size_t len = 0, i;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return ocirun_make_error (err, errno, "open_memstream");
  fprintf (f, "%s\n", job->rootfs);
  for (i = 0; i < job->config->mounts_len; i++)
    fprintf (f, "%s\n", job->config->mounts[i].destination);
  fclose (f);
  dirfd = open (job->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return ocirun_make_error (err, errno, "open `%s`", job->state_dir);
  return write_file_atomic_at (dirfd, SHARED_MOUNTS_RECORD, buf, len, err);
}

static int
prepare_shared (struct ocirun_job *job, int *rootfdp, ocirun_error_t *err)
{
  cleanup_close int rootfd = -1;
  struct stat rsb, hsb;
  bool host_root;
  size_t i;
  int ret;

  if (job->ctx->no_pivot)
    return ocirun_make_error (err, 0,
                              "--no-pivot: needs a mount namespace of the container's own "
                              "(linux.namespaces has no `mount`)");
  rootfd = open (job->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return ocirun_make_error (err, errno, "root.path: open `%s`", job->rootfs);
  if (fstat (rootfd, &rsb) < 0 || stat ("/", &hsb) < 0)
    return ocirun_make_error (err, errno, "root.path: stat `%s`", job->rootfs);
  host_root = rsb.st_dev == hsb.st_dev && rsb.st_ino == hsb.st_ino;
  if (host_root && job->config->mounts_len)
    return ocirun_make_error (err, 0,
                              "mounts: root.path is the host's `/` and linux.namespaces has no `mount`: "
                              "mounts[] would cover the host's own directories");
  for (i = 0; i < job->config->mounts_len; i++)
    if (strchr (job->config->mounts[i].destination, '\n'))
      return ocirun_make_error (err, 0, "mounts[%zu].destination: a newline in a path", i);
  if (job->config->mounts_len && (ret = record_shared_mounts (job, err)) < 0)
    return ret;
  /* the host's "/" takes no devices (a tmpfs on the host's /dev) */
  job->rootfs_is_host = host_root;
  ret = mount_all (job, rootfd, err);
  if (ret < 0)
    return ret;
  *rootfdp = steal_fd (&rootfd);
  return 0;
}

/* `delete` and a failed `create`: unmount what prepare_shared mounted on
 * the host.  Each destination is resolved inside the rootfs (the
 * container's root could have replaced a directory with a symlink to the
 * host's), and only a mount point found there is detached. */
void
ocirun_rootfs_release_shared (const char *state_dir)
{
  cleanup_free char *path = NULL;
  cleanup_free char *data = NULL;
  cleanup_free char **dest = NULL;
  cleanup_close int rootfd = -1;
  ocirun_error_t tmp = NULL;
  char *line, *save = NULL;
  size_t n = 0, cap = 0;

  xasprintf (&path, "%s/" SHARED_MOUNTS_RECORD, state_dir);
  if (read_all_file (path, &data, NULL, &tmp) < 0)
    {
      ocirun_error_release (&tmp);
      return;
    }
  line = strtok_r (data, "\n", &save);
  if (line == NULL || (rootfd = open (line, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    return;
  for (line = strtok_r (NULL, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (n == cap)
        {
          cap = cap ? cap * 2 : 16;
          dest = xrealloc (dest, cap * sizeof (char *));
        }
      dest[n++] = line;
    }
  while (n-- > 0)
    {
      const char *d = dest[n] + strspn (dest[n], "/");
      cleanup_close int fd = -1;
      struct statx stx;
      char target[64];
      if (*d == '\0')
        continue; /* the rootfs itself is the caller's */
      fd = ocirun_openat2 (rootfd, d, O_PATH | O_NOFOLLOW | O_CLOEXEC, OCIRUN_RESOLVE_IN_ROOT);
      if (fd < 0)
        continue;
      if (statx (fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0
          || !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
        continue;
      ocirun_fd_path (fd, target, sizeof target);
      if (umount2 (target, MNT_DETACH) < 0)
        ocirun_debug ("unmount `/%s` below `%s`: %s", d, state_dir, strerror (errno));
    }
  unlink (path);
}

/* Child, in its new mount namespace, before pivot_root: make the rootfs a
 * mount point of its own and mount everything in mounts[] into it.  Then
 * init makes the devices (devices.c) and calls
 * ocirun_mounts_finish_readonly. */
int
ocirun_rootfs_prepare (struct ocirun_job *job, int *rootfdp, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  unsigned long prop = root_propagation (l ? l->rootfs_propagation : NULL);
  cleanup_close int rootfd = -1;
  int ret;

  if (!own_mount_ns (job))
    return prepare_shared (job, rootfdp, err);

  /* keep our mounts from propagating to the host: rslave (rprivate when
   * asked).  A configured shared propagation is applied after pivot_root,
   * which refuses shared mounts (ocirun_rootfs_finalize). */
  if (prop & MS_SHARED)
    {
      /* a shared rootfsPropagation: `/` keeps the host's peer groups, a
       * bind of a shared source joins its group (rootfs_holder.c) */
      if (ocirun_rootfs_holder_private (job->rootfs, err) < 0)
        return -1;
    }
  else
    {
      prop = (prop & MS_PRIVATE) ? MS_PRIVATE | MS_REC : MS_SLAVE | MS_REC;
      if (mount (NULL, "/", NULL, prop, NULL) < 0)
        return ocirun_make_error (err, errno, "make `/` %s", (prop & MS_PRIVATE) ? "rprivate" : "rslave");
    }

  /* the bind copies the (now slave, not shared) propagation of its source,
   * which pivot_root accepts; rootfsPropagation is applied after it */
  if (mount (job->rootfs, job->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return ocirun_make_error (err, errno, "root.path: bind `%s`", job->rootfs);

  rootfd = open (job->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return ocirun_make_error (err, errno, "root.path: open `%s`", job->rootfs);
  ret = mount_all (job, rootfd, err);
  if (ret < 0)
    return ret;
  *rootfdp = steal_fd (&rootfd);
  return 0;
}

/* mounts[]; a read-only mount that must stay writable until the devices
 * exist leaves its fd in job->mount_ro_later */
static int
mount_all (struct ocirun_job *job, int rootfd, ocirun_error_t *err)
{
  size_t i, n = job->config->mounts_len;

  job->mount_ro_later = xmalloc0 ((n + 1) * sizeof (int));
  for (i = 0; i < n; i++)
    job->mount_ro_later[i] = -1;
  for (i = 0; i < n; i++)
    if (mount_one (job, rootfd, &job->config->mounts[i], i, &job->mount_ro_later[i], err) < 0)
      return -1;
  return 0;
}

/* Child, once the devices are made: read-only the mounts that had to stay
 * writable until then (a read-only /dev or tmpfs, see do_fs_mount). */
int
ocirun_mounts_finish_readonly (struct ocirun_job *job, ocirun_error_t *err)
{
  size_t i;
  int ret = 0;

  for (i = 0; job->mount_ro_later && i < job->config->mounts_len; i++)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      int fd = job->mount_ro_later[i];
      if (fd < 0)
        continue;
      if (ret == 0 && mount_setattr (fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        ret = ocirun_make_error (err, errno, "mounts[%zu]: make `%s` read-only", i, job->config->mounts[i].destination);
      close (fd);
    }
  free (job->mount_ro_later);
  job->mount_ro_later = NULL;
  return ret;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo */
static void
unescape_mountinfo (char *s)
{
  char *o = s;
  for (; *s; s++)
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
      {
        *o++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
        s += 3;
      }
    else
      *o++ = *s;
  *o = '\0';
}

/* --no-pivot leaves the old root in the container's mount namespace, out
 * of reach of chroot but not of the kernel: a procfs or sysfs mount there
 * is "fully visible", so a process of the container that makes a user
 * namespace may mount a fresh procfs without the masked paths
 * (fs/namespace.c: mount_too_revealing); runc's msMoveRoot closes the
 * same hole the same way.  Detach every full procfs and sysfs outside
 * the rootfs, or cover it with an empty tmpfs where it cannot be
 * detached.  Our mount namespace is rslave or rprivate: nothing of this
 * reaches the host. */
static int
hide_host_proc_sys (const char *rootfs, ocirun_error_t *err)
{
  cleanup_free char *data = NULL;
  char *line, *save = NULL;
  size_t rl = strlen (rootfs);

  if (read_all_file ("/proc/self/mountinfo", &data, NULL, err) < 0)
    return ocirun_error_prefix (err, "--no-pivot");
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[5], *sep, *q = line, *fstype;
      int n;
      for (n = 0; n < 5 && q; n++)
        {
          f[n] = q;
          q = strchr (q, ' ');
          if (q)
            *q++ = '\0';
        }
      sep = q ? strstr (q, " - ") : NULL;
      if (n < 5 || sep == NULL)
        continue;
      fstype = sep + 3;
      if (strncmp (fstype, "proc ", 5) != 0 && strncmp (fstype, "sysfs ", 6) != 0)
        continue;
      if (strcmp (f[3], "/") != 0)
        continue; /* a bind of part of it: not a full view */
      unescape_mountinfo (f[4]);
      if (strncmp (f[4], rootfs, rl) == 0 && (f[4][rl] == '/' || f[4][rl] == '\0'))
        continue; /* the container's own */
      if (umount2 (f[4], MNT_DETACH | UMOUNT_NOFOLLOW) == 0 || errno == ENOENT)
        continue; /* ENOENT: below one detached already */
      if (mount ("tmpfs", f[4], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0 && errno != ENOENT)
        return ocirun_make_error (err, errno, "--no-pivot: hide `%s` (type %.5s) from the container", f[4], fstype);
    }
  return 0;
}

int
ocirun_rootfs_pivot (struct ocirun_job *job, int rootfd, ocirun_error_t *err)
{
  if (fchdir (rootfd) < 0)
    return ocirun_make_error (err, errno, "chdir to the rootfs `%s`", job->rootfs);
  if (!own_mount_ns (job))
    {
      /* the runtime's mount namespace: nothing to move or pivot, as runc */
      if (chroot (".") < 0)
        return ocirun_make_error (err, errno, "chroot to `%s`", job->rootfs);
    }
  else if (job->ctx->no_pivot)
    {
      /* --no-pivot: for a rootfs on a ramfs, where pivot_root cannot work */
      if (hide_host_proc_sys (job->rootfs, err) < 0)
        return -1;
      if (mount (job->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return ocirun_make_error (err, errno, "move the rootfs `%s` to `/`", job->rootfs);
      if (chroot (".") < 0)
        return ocirun_make_error (err, errno, "chroot to `%s`", job->rootfs);
    }
  else
    {
      cleanup_close int oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (oldroot < 0)
        return ocirun_make_error (err, errno, "open the old root");
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return ocirun_make_error (err, errno, "pivot_root to `%s`", job->rootfs);
      /* the old root is now stacked on "/": detach it, without letting the
       * unmount propagate.  Go to it explicitly: what "." is right after
       * pivot_root is not something the kernel promises. */
      if (fchdir (oldroot) < 0)
        return ocirun_make_error (err, errno, "chdir to the old root");
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return ocirun_make_error (err, errno, "make the old root rslave");
      if (umount2 (".", MNT_DETACH) < 0)
        return ocirun_make_error (err, errno, "detach the old root");
    }
  if (chdir ("/") < 0)
    return ocirun_make_error (err, errno, "chdir to `/`");
  return 0;
}

static bool
under (const char *path, const char *dir)
{
  size_t l = strlen (dir);
  return strncmp (path, dir, l) == 0 && (path[l] == '/' || path[l] == '\0');
}

/* maskedPaths/readonlyPaths under /proc or /sys must still be on procfs or
 * sysfs: a mount over them (from the image or mounts[]) could otherwise
 * turn masking into a no-op. */
static int
check_fs_type (int fd, const char *path, ocirun_error_t *err)
{
  struct statfs sfs;
  if (!under (path, "/proc") && !under (path, "/sys"))
    return 0;
  if (fstatfs (fd, &sfs) < 0)
    return ocirun_make_error (err, errno, "statfs `%s`", path);
  if (under (path, "/proc") && sfs.f_type != PROC_SUPER_MAGIC && sfs.f_type != TMPFS_MAGIC)
    return ocirun_make_error (err, 0, "`%s` is not on procfs: refusing to trust it", path);
  if (under (path, "/sys") && sfs.f_type != SYSFS_MAGIC && sfs.f_type != TMPFS_MAGIC && sfs.f_type != CGROUP_SUPER_MAGIC
      && sfs.f_type != CGROUP2_SUPER_MAGIC)
    return ocirun_make_error (err, 0, "`%s` is not on sysfs: refusing to trust it", path);
  return 0;
}

static int
mask_path (int rootfd, int devnull, const char *path, ocirun_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_close int tree = -1;
  struct stat sb;

  fd = ocirun_open_in_root (rootfd, path, O_PATH | O_NOFOLLOW, 0, err);
  if (fd < 0)
    {
      if ((*err)->status == ENOENT)
        {
          ocirun_error_release (err);
          return 0;
        }
      return ocirun_error_prefix (err, "linux.maskedPaths");
    }
  if (check_fs_type (fd, path, err) < 0 || fstat (fd, &sb) < 0)
    return ocirun_error_prefix (err, "linux.maskedPaths");
  if (S_ISDIR (sb.st_mode))
    {
      cleanup_close int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
      if (fs < 0 || fsconfig (fs, FSCONFIG_SET_STRING, "size", "0", 0) < 0
          || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return ocirun_make_error (err, errno, "linux.maskedPaths: tmpfs for `%s`", path);
      tree = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
    }
  else
    tree = open_tree (devnull, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return ocirun_make_error (err, errno, "linux.maskedPaths: mask `%s`", path);
  if (move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return ocirun_make_error (err, errno, "linux.maskedPaths: mask `%s`", path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, ocirun_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_close int tree = -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };

  fd = ocirun_open_in_root (rootfd, path, O_PATH, 0, err);
  if (fd < 0)
    {
      if ((*err)->status == ENOENT)
        {
          ocirun_error_release (err);
          return 0;
        }
      return ocirun_error_prefix (err, "linux.readonlyPaths");
    }
  if (check_fs_type (fd, path, err) < 0)
    return ocirun_error_prefix (err, "linux.readonlyPaths");
  tree = open_tree (fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0)
    return ocirun_make_error (err, errno, "linux.readonlyPaths: bind `%s`", path);
  if (mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return ocirun_make_error (err, errno, "linux.readonlyPaths: make `%s` read-only", path);
  if (move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return ocirun_make_error (err, errno, "linux.readonlyPaths: bind `%s`", path);
  return 0;
}

/* After pivot_root: masking, read-only paths, read-only root, propagation. */
int
ocirun_rootfs_finalize (struct ocirun_job *job, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int devnull = -1;
  size_t i;

  if (rootfd < 0)
    return ocirun_make_error (err, errno, "open `/`");
  if (l && l->masked_paths_len)
    {
      struct stat sb;
      /* CVE-2025-31133: the container's /dev/null must really be the null
       * device, or masking would bind whatever it points to. */
      devnull = ocirun_open_in_root (rootfd, "/dev/null", O_PATH | O_NOFOLLOW, 0, err);
      if (devnull < 0)
        return ocirun_error_prefix (err, "linux.maskedPaths");
      if (fstat (devnull, &sb) < 0 || !S_ISCHR (sb.st_mode) || major (sb.st_rdev) != 1 || minor (sb.st_rdev) != 3)
        return ocirun_make_error (err, 0, "linux.maskedPaths: `/dev/null` in the container is not the null device");
      for (i = 0; i < l->masked_paths_len; i++)
        if (mask_path (rootfd, devnull, l->masked_paths[i], err) < 0)
          return -1;
    }
  for (i = 0; l && i < l->readonly_paths_len; i++)
    if (readonly_path (rootfd, l->readonly_paths[i], err) < 0)
      return -1;

  if (job->config->root && job->config->root->readonly)
    {
      /* "/" would be a mount of the host's (validate.c refuses it first) */
      if (!own_mount_ns (job))
        return ocirun_make_error (err, 0, "root.readonly: needs a mount namespace of the container's own");
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (rootfd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return ocirun_make_error (err, errno, "root.readonly: remount `/` read-only");
    }
  /* without a mount namespace of its own, "/" is a mount of the host's:
   * its propagation is not the container's to change */
  if (l && l->rootfs_propagation && own_mount_ns (job))
    {
      unsigned long prop = root_propagation (l->rootfs_propagation);
      if (mount (NULL, "/", NULL, prop, NULL) < 0)
        return ocirun_make_error (err, errno, "linux.rootfsPropagation: set `%s` on `/`", l->rootfs_propagation);
    }
  return 0;
}
