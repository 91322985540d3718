/* Default devices and linux.devices (config-linux.md#devices,
 * #default-devices) and the /dev symlinks of runtime-linux.md#dev-symbolic-links. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "devices.h"
#include "job.h"
#include "mount_opts.h"
#include "paths.h"
#include "userns.h"
#include "utils.h"

struct dev_spec
{
  const char *path;
  mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned maj, min;
  mode_t mode;
  bool has_uid, has_gid;
  uid_t uid;
  gid_t gid;
};

static const struct dev_spec default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666 },   { "/dev/zero", S_IFCHR, 1, 5, 0666 },    { "/dev/full", S_IFCHR, 1, 7, 0666 },
  { "/dev/random", S_IFCHR, 1, 8, 0666 }, { "/dev/urandom", S_IFCHR, 1, 9, 0666 }, { "/dev/tty", S_IFCHR, 5, 0, 0666 },
};

static int
split_parent (int rootfd, const char *path, char **base, ocirun_error_t *err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (slash == NULL || slash[1] == '\0')
    return ocirun_make_error (err, EINVAL, "invalid device path `%s`", path);
  *base = xstrdup (slash + 1);
  *slash = '\0';
  return ocirun_open_in_root (rootfd, *dir ? dir : "/", O_PATH | O_DIRECTORY, S_IFDIR, err);
}

/* With a new user namespace mknod is not allowed: bind the host's node. */
static int
bind_host_device (int parent, const char *base, const struct dev_spec *d, ocirun_error_t *err)
{
  cleanup_close int target = -1;
  cleanup_close int tree = -1;
  int f = openat (parent, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (f < 0)
    return ocirun_make_error (err, errno, "create `%s`", d->path);
  close (f);
  target = openat (parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return ocirun_make_error (err, errno, "open `%s`", d->path);
  tree = open_tree (AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return ocirun_make_error (err, errno, "bind the host's `%s`", d->path);
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return ocirun_make_error (err, errno, "bind the host's `%s`", d->path);
  return 0;
}

static int
create_device (struct ocirun_job *job, int rootfd, const struct dev_spec *d, bool replace, ocirun_error_t *err)
{
  cleanup_free char *base = NULL;
  cleanup_close int parent = split_parent (rootfd, d->path, &base, err);
  struct stat sb;

  if (parent < 0)
    return -1;
  if (fstatat (parent, base, &sb, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if ((sb.st_mode & S_IFMT) == d->type && (d->type == S_IFIFO || sb.st_rdev == makedev (d->maj, d->min)))
        return 0;
      /* runtime-linux.md#dev-symbolic-links: /dev/ptmx is the link to the
       * container's pts/ptmx that we made.  podman --privileged lists every
       * host device, the host's ptmx (c 5:2) too; runc and crun keep the
       * link (it serves that device, for the container's devpts), so do we. */
      if (!replace && S_ISLNK (sb.st_mode) && d->type == S_IFCHR && d->maj == 5 && d->min == 2
          && strcmp (d->path + strspn (d->path, "/"), "dev/ptmx") == 0)
        {
          char target[16];
          ssize_t n = readlinkat (parent, base, target, sizeof target - 1);
          if (n > 0)
            {
              target[n] = '\0';
              if (strcmp (target, "pts/ptmx") == 0)
                return 0;
            }
        }
      /* config-linux.md: "If a file already exists at path that does not
       * match the requested device, the runtime MUST generate an error" */
      if (!replace)
        return ocirun_make_error (err, EEXIST, "`%s` exists and is not the requested device", d->path);
      /* a default device: whatever the image put there (a symlink, a
       * file) is not the device: replace it */
      if (unlinkat (parent, base, S_ISDIR (sb.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return ocirun_make_error (err, errno, "default device `%s`: replace what is there%s", d->path,
                                  errno == EBUSY ? " (a mount from mounts[])" : "");
    }
  if (job->ns_new[NS_USER] || ocirun_userns_is_nested ())
    return bind_host_device (parent, base, d, err);
  if (mknodat (parent, base, d->type | (d->mode & 07777), makedev (d->maj, d->min)) < 0)
    return ocirun_make_error (err, errno, "mknod `%s`", d->path);
  if (fchmodat (parent, base, d->mode & 07777, 0) < 0)
    return ocirun_make_error (err, errno, "chmod `%s`", d->path);
  if ((d->has_uid || d->has_gid)
      && fchownat (parent, base, d->has_uid ? d->uid : (uid_t) -1, d->has_gid ? d->gid : (gid_t) -1,
                   AT_SYMLINK_NOFOLLOW)
             < 0)
    return ocirun_make_error (err, errno, "chown `%s`", d->path);
  return 0;
}

static int
dev_symlinks (int rootfd, ocirun_error_t *err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },
    { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" },
    { "/proc/self/fd/2", "stderr" },
  };
  cleanup_close int dev = ocirun_open_in_root (rootfd, "/dev", O_PATH | O_DIRECTORY, S_IFDIR, err);
  size_t i;
  if (dev < 0)
    return -1;
  for (i = 0; i < ARRAY_SIZE (links); i++)
    if (symlinkat (links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
      return ocirun_make_error (err, errno, "symlink `/dev/%s`", links[i][1]);
  /* /dev/ptmx -> pts/ptmx when the container has its own devpts */
  {
    struct stat sb;
    if (fstatat (dev, "pts/ptmx", &sb, 0) == 0)
      {
        if (fstatat (dev, "ptmx", &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK (sb.st_mode))
          unlinkat (dev, "ptmx", 0);
        if (symlinkat ("pts/ptmx", dev, "ptmx") < 0 && errno != EEXIST)
          return ocirun_make_error (err, errno, "symlink `/dev/ptmx`");
      }
  }
  return 0;
}

static bool
dev_is_bind_mounted (const oci_config *c)
{
  size_t i;
  for (i = 0; i < c->mounts_len; i++)
    {
      const oci_mount *m = &c->mounts[i];
      const char *d = m->destination;
      while (*d == '/')
        d++;
      if (strcmp (d, "dev") == 0 && ocirun_mount_is_bind (m))
        return true;
    }
  return false;
}

int
ocirun_devices_create (struct ocirun_job *job, int rootfd, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  mode_t old = umask (0);
  bool own_dev = !dev_is_bind_mounted (job->config);
  size_t i;
  int ret = 0;

  if (job->rootfs_is_host)
    return 0;

  for (i = 0; own_dev && i < ARRAY_SIZE (default_devices) && ret == 0; i++)
    ret = create_device (job, rootfd, &default_devices[i], true, err);
  for (i = 0; ret == 0 && l && i < l->devices_len; i++)
    {
      const oci_device *od = &l->devices[i];
      /* runc cleans the path (filepath.Clean): "/dev/fuse/" is /dev/fuse */
      cleanup_free char *path = path_clean (od->path);
      struct dev_spec d = { .path = path,
                            .maj = (unsigned) od->major,
                            .min = (unsigned) od->minor,
                            .mode = od->has_file_mode ? od->file_mode & 07777
                                                      : 0666, /* type bits: see validate_device */
                            .has_uid = od->has_uid,
                            .uid = od->uid,
                            .has_gid = od->has_gid,
                            .gid = od->gid };
      switch (od->type[0])
        {
        case 'c':
        case 'u':
          d.type = S_IFCHR;
          break;
        case 'b':
          d.type = S_IFBLK;
          break;
        default:
          d.type = S_IFIFO;
          break;
        }
      /* runtime-linux.md#dev-symbolic-links: with a /dev of our own,
       * /dev/ptmx ends up the link to pts/ptmx.  The host's ptmx (c 5:2,
       * listed by privileged containerd and podman containers) is what the
       * link serves; any other device there would be silently replaced (as
       * runc does): say so instead. */
      if (own_dev && strcmp (path, "/dev/ptmx") == 0 && !(d.type == S_IFCHR && d.maj == 5 && d.min == 2))
        ret = ocirun_make_error (err, EEXIST,
                                 "`/dev/ptmx` is the link to pts/ptmx; only the ptmx device (c 5:2) may be listed "
                                 "there");
      else
        ret = create_device (job, rootfd, &d, false, err);
      if (ret < 0)
        ocirun_error_prefix (err, "linux.devices[%zu]", i);
    }
  /* the symlinks last, as runc (createDevices, setupPtmx, setupDevSymlinks):
   * a linux.devices entry for /dev/ptmx (containerd's privileged containers
   * list every host device) is made, then replaced by pts/ptmx */
  if (ret == 0 && own_dev)
    ret = dev_symlinks (rootfd, err);
  umask (old);
  if (ret == 0 && job->config->process && job->config->process->terminal)
    {
      /* the mount point of the pty bound on /dev/console (terminal.c),
       * made while /dev is still writable */
      int fd = ocirun_open_in_root (rootfd, "/dev/console", O_PATH | O_NOFOLLOW, S_IFREG, err);
      if (fd < 0)
        return ocirun_error_prefix (err, "process.terminal");
      close (fd);
    }
  return ret;
}
