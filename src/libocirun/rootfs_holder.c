/* linux.rootfsPropagation "shared"/"rshared" (containerd asks for rshared
 * when a CRI mount is Bidirectional: CSI node plugins, FUSE mounters): a
 * mount the container makes below such a bind must reach the host, so the
 * bind has to be a peer of its source's group.  Turning `/` rslave first
 * (what ocirun does otherwise, to keep the container's mounts away from
 * the host) makes every copy in the new namespace a slave, and a later
 * "rshared" only adds a peer group of the container's own ("shared:N
 * master:M"): nothing goes back.  So for a shared root propagation `/`
 * keeps the host's groups, as runc keeps them, and only the mount that
 * holds the rootfs goes private (non-recursively, in this namespace):
 * the rootfs bind is then a private copy, pivot_root(2) accepts it, and
 * what the runtime mounts into it (proc, dev, masks) stays the container's,
 * while a bind of a shared source joins that source's peer group.
 * mount_namespaces(7), pivot_root(2) ("new_root ... must not have shared
 * propagation"). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "job.h"
#include "process.h"
#include "utils.h"

static int
mnt_id_of (const char *path, unsigned long long *id)
{
  struct statx stx;
  if (statx (AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) < 0)
    return -1;
  if (!(stx.stx_mask & STATX_MNT_ID))
    {
      errno = ENOTSUP;
      return -1;
    }
  *id = stx.stx_mnt_id;
  return 0;
}

int
ocirun_rootfs_holder_private (const char *rootfs, ocirun_error_t *err)
{
  cleanup_free char *p = xstrdup (rootfs);
  unsigned long long id, up;
  char *slash;

  if (mnt_id_of (p, &id) < 0)
    return ocirun_make_error (err, errno, "root.path: statx `%s`", rootfs);
  /* walk up to the top of the mount that holds the rootfs: the first
   * directory whose parent is on another mount (or `/`) */
  for (;;)
    {
      slash = strrchr (p, '/');
      if (slash == NULL || slash == p)
        {
          if (slash == p && p[1] != '\0')
            {
              if (mnt_id_of ("/", &up) < 0)
                return ocirun_make_error (err, errno, "statx `/`");
              if (up == id)
                strcpy (p, "/");
            }
          break;
        }
      *slash = '\0';
      if (mnt_id_of (p, &up) < 0)
        return ocirun_make_error (err, errno, "root.path: statx `%s`", p);
      if (up != id)
        {
          *slash = '/';
          break;
        }
    }
  if (mount (NULL, p, NULL, MS_PRIVATE, NULL) < 0)
    return ocirun_make_error (err, errno, "root.path: make the mount `%s` holding it private", p);
  return 0;
}
