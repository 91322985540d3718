/* linux.sysctl (config-linux.md#sysctl): only namespaced sysctls, and only
 * those whose namespace the container owns (runc's rules), written under
 * the container's own /proc/sys after checking it really is procfs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

#include "sysctl.h"
#include "utils.h"

static bool
has_ns (const oci_config *c, const char *type)
{
  size_t i;
  for (i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    if (strcmp (c->linux_->namespaces[i].type, type) == 0)
      return true;
  return false;
}

static int
check_key (const oci_config *c, const char *key, ocirun_error_t *err)
{
  static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                     "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced" };
  size_t i;
  if (*key == '\0' || strstr (key, "..") || key[0] == '.' || key[0] == '/')
    return ocirun_make_error (err, 0, "linux.sysctl[\"%s\"]: invalid name", key);
  for (i = 0; i < ARRAY_SIZE (ipc); i++)
    if (strcmp (key, ipc[i]) == 0)
      goto need_ipc;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    goto need_ipc;
  if (strncmp (key, "net.", 4) == 0)
    {
      if (!has_ns (c, "network"))
        return ocirun_make_error (err, 0, "linux.sysctl[\"%s\"]: needs a network namespace", key);
      return 0;
    }
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel/hostname") == 0)
    {
      /* runc refuses it: two sources for one name, and `hostname` is set
       * before the sysctls, so the sysctl would silently win */
      if (!has_ns (c, "uts"))
        return ocirun_make_error (err, 0, "linux.sysctl[\"%s\"]: needs a uts namespace", key);
      return ocirun_make_error (err, 0, "linux.sysctl[\"%s\"]: not allowed: it conflicts with the `hostname` field",
                                key);
    }
  if (strcmp (key, "kernel.domainname") == 0)
    {
      if (!has_ns (c, "uts"))
        return ocirun_make_error (err, 0, "linux.sysctl[\"%s\"]: needs a uts namespace", key);
      return 0;
    }
  return ocirun_make_error (err, 0, "linux.sysctl[\"%s\"]: not a namespaced sysctl: refusing to change the host's",
                            key);
need_ipc:
  if (!has_ns (c, "ipc"))
    return ocirun_make_error (err, 0, "linux.sysctl[\"%s\"]: needs an ipc namespace", key);
  return 0;
}

int
ocirun_sysctl_validate (const oci_config *c, ocirun_error_t *err)
{
  size_t i;
  if (c->linux_ == NULL)
    return 0;
  for (i = 0; i < c->linux_->sysctl.len; i++)
    if (check_key (c, c->linux_->sysctl.keys[i], err) < 0)
      return -1;
  return 0;
}

int
ocirun_sysctl_apply (const oci_config *c, ocirun_error_t *err)
{
  cleanup_close int dir = -1;
  struct statfs sfs;
  size_t i;
  if (c->linux_ == NULL || c->linux_->sysctl.len == 0)
    return 0;
  dir = open ("/proc/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return ocirun_make_error (err, errno, "linux.sysctl: open `/proc/sys` in the container");
  if (fstatfs (dir, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    return ocirun_make_error (err, 0, "linux.sysctl: `/proc/sys` in the container is not procfs");
  for (i = 0; i < c->linux_->sysctl.len; i++)
    {
      cleanup_free char *rel = xstrdup (c->linux_->sysctl.keys[i]);
      const char *v = c->linux_->sysctl.values[i];
      char *p;
      /* dots separate the levels unless the name is already slash-separated */
      if (strchr (rel, '/') == NULL)
        for (p = rel; *p; p++)
          if (*p == '.')
            *p = '/';
      if (write_file_at (dir, rel, v, strlen (v), err) < 0)
        return ocirun_error_prefix (err, "linux.sysctl[\"%s\"]", c->linux_->sysctl.keys[i]);
    }
  return 0;
}
