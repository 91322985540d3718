/* Linux security modules (config.md#linux-process: selinuxLabel,
 * apparmorProfile; config-linux.md#mount-label).
 *
 * No library is loaded: setexeccon(3) and aa_change_onexec(2) are each one
 * write to a /proc/thread-self/attr file, and we do that write ourselves so
 * we can first prove the file is the real procfs one.  An image or a
 * mounts[] entry that puts something else at /proc (or over
 * /proc/self/attr/...) must not turn the write into a no-op or redirect it
 * (CVE-2019-16884, CVE-2025-52881).
 *
 * Hosts without the module: runc refuses a config that asks for a label
 * or profile it cannot apply, and so do we (a container meant to be
 * confined must not silently run unconfined):
 *  - selinuxLabel: runc's validator, libcontainer/configs/validate
 *    "selinux label is specified in config, but selinux is disabled or not
 *    supported" (and utils_linux.go validateProcessSpec, for exec);
 *  - apparmorProfile: runc's apparmor_disabled.go ErrApparmorNotEnabled
 *    "apparmor: config provided but apparmor not supported", and the
 *    apparmor build writes the attr file unconditionally, which fails with
 *    EINVAL when AppArmor is not the active LSM;
 *  - mountLabel: runc's label.FormatMountLabel is a no-op without SELinux:
 *    ignored, with a debug message. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "job.h"
#include "lsm.h"
#include "paths.h"
#include "utils.h"

#ifndef SELINUX_MAGIC
#  define SELINUX_MAGIC 0xf97cff8c
#endif
#define PROC_ROOT_INO 1

/* computed in the parent (validate), inherited by the child's clone */
static int selinux_on = -1;
static int apparmor_on = -1;

/* libselinux's is_selinux_enabled(): selinuxfs is mounted */
bool
ocirun_selinux_enabled (void)
{
  static const char *const where[] = { "/sys/fs/selinux", "/selinux" };
  size_t i;
  if (selinux_on >= 0)
    return selinux_on;
  selinux_on = 0;
  for (i = 0; i < ARRAY_SIZE (where); i++)
    {
      struct statfs sfs;
      if (statfs (where[i], &sfs) == 0 && (unsigned long) sfs.f_type == (unsigned long) SELINUX_MAGIC)
        selinux_on = 1;
    }
  return selinux_on;
}

/* runc's apparmor.IsEnabled(): securityfs has apparmor/ and the module
 * parameter says Y */
bool
ocirun_apparmor_enabled (void)
{
  char c = 0;
  struct stat sb;
  int fd;
  if (apparmor_on >= 0)
    return apparmor_on;
  apparmor_on = 0;
  if (stat ("/sys/kernel/security/apparmor", &sb) < 0)
    return false;
  fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (read (fd, &c, 1) == 1 && c == 'Y')
    apparmor_on = 1;
  close (fd);
  return apparmor_on;
}

/* Is `label` a context of the loaded policy?  selinuxfs's `context` file
 * answers (what libselinux's security_check_context does): a write of the
 * NUL-terminated context fails with EINVAL for an unknown user, role, type
 * or level.  1: valid, 0: invalid, -1: no answer (no selinuxfs, or the
 * policy denies the check): the kernel judges when the label is applied. */
static int
selinux_context_valid (const char *label)
{
  static const char *const where[] = { "/sys/fs/selinux/context", "/selinux/context" };
  size_t i, len = strlen (label) + 1;
  for (i = 0; i < ARRAY_SIZE (where); i++)
    {
      cleanup_close int fd = open (where[i], O_RDWR | O_CLOEXEC);
      ssize_t n;
      if (fd < 0)
        continue;
      n = write (fd, label, len);
      if (n == (ssize_t) len)
        return 1;
      return n < 0 && errno == EINVAL ? 0 : -1;
    }
  return -1;
}

/* linux.mountLabel goes into mount data as context="LABEL" */
static int
check_selinux_label (const char *label, const char *field, bool mount_label, ocirun_error_t *err)
{
  if (strchr (label, '\n') || (mount_label && strchr (label, '"')))
    return ocirun_make_error (err, 0, "%s: `%s` is not a valid SELinux context", field, label);
  if (selinux_context_valid (label) == 0)
    return ocirun_make_error (err, 0, "%s: `%s` is not a valid SELinux context for the loaded policy", field, label);
  return 0;
}

int
ocirun_lsm_validate_mount_label (const oci_linux *l, ocirun_error_t *err)
{
  /* without SELinux it is ignored (runc's label.FormatMountLabel) */
  if (l == NULL || l->mount_label == NULL || *l->mount_label == '\0' || !ocirun_selinux_enabled ())
    return 0;
  return check_selinux_label (l->mount_label, "linux.mountLabel", true, err);
}

int
ocirun_lsm_validate (const oci_process *p, const char *where, ocirun_error_t *err)
{
  cleanup_free char *field = NULL;
  if (p == NULL)
    return 0;
  if (p->selinux_label && *p->selinux_label)
    {
      if (strchr (p->selinux_label, '\n'))
        return ocirun_make_error (err, 0, "%s.selinuxLabel: must not contain a newline", where);
      if (!ocirun_selinux_enabled ())
        return ocirun_make_error (err, 0, "%s.selinuxLabel: `%s` is set, but SELinux is disabled or not supported",
                                  where, p->selinux_label);
      xasprintf (&field, "%s.selinuxLabel", where);
      if (check_selinux_label (p->selinux_label, field, false, err) < 0)
        return -1;
    }
  if (p->apparmor_profile && *p->apparmor_profile)
    {
      if (strchr (p->apparmor_profile, '\n'))
        return ocirun_make_error (err, 0, "%s.apparmorProfile: must not contain a newline", where);
      if (!ocirun_apparmor_enabled ())
        return ocirun_make_error (err, 0, "%s.apparmorProfile: `%s` is set, but AppArmor is not enabled on this host",
                                  where, p->apparmor_profile);
    }
  return 0;
}

static bool
on_procfs (int fd)
{
  struct statfs sfs;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

int
ocirun_procfs_open_self_attr (const char *attr, ocirun_error_t *err)
{
  cleanup_close int procfd = -1;
  cleanup_free char *path = NULL;
  struct stat sb;
  int fd;

  /* /proc itself: no symlink on the way, a procfs, and the root of one (a
   * bind of some procfs subdirectory would have another inode) */
  procfd = ocirun_openat2 (AT_FDCWD, "/proc", O_PATH | O_DIRECTORY | O_CLOEXEC,
                           RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (procfd < 0)
    return ocirun_make_error (err, errno, "open `/proc`");
  if (!on_procfs (procfd) || fstat (procfd, &sb) < 0 || sb.st_ino != PROC_ROOT_INO)
    return ocirun_make_error (err, 0, "`/proc` is not a procfs mount: refusing to write `%s`", attr);

  /* thread-self is a plain symlink inside procfs; no mount may be crossed
   * (something bind-mounted over attr/exec is refused with EXDEV) */
  xasprintf (&path, "thread-self/attr/%s", attr);
  fd = ocirun_openat2 (procfd, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                       RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
  if (fd < 0)
    return ocirun_make_error (err, errno, "open `/proc/%s`", path);
  if (!on_procfs (fd))
    {
      close (fd);
      return ocirun_make_error (err, 0, "`/proc/%s` is not on procfs", path);
    }
  return fd;
}

static int
write_attr (const char *attr, const char *value, const char *field, ocirun_error_t *err)
{
  cleanup_close int fd = ocirun_procfs_open_self_attr (attr, err);
  size_t len = strlen (value);
  if (fd < 0)
    return ocirun_error_prefix (err, "%s", field);
  if (write (fd, value, len) != (ssize_t) len)
    return ocirun_make_error (err, errno, "%s: set `%s`", field, value);
  return 0;
}

/* the kernel's answers to "exec PROFILE" (security/apparmor/domain.c
 * aa_change_profile): ENOENT when no such profile is loaded, EPERM when
 * the current confinement (or no_new_privs) forbids the change */
static int
apparmor_error (const char *profile, ocirun_error_t *err)
{
  if (errno == ENOENT)
    return ocirun_make_error (err, 0, "process.apparmorProfile: profile `%s` is not loaded", profile);
  return ocirun_make_error (err, errno, "process.apparmorProfile: change to profile `%s` on exec", profile);
}

int
ocirun_lsm_apply (const oci_process *p, ocirun_error_t *err)
{
  int ret;
  if (p->apparmor_profile && *p->apparmor_profile)
    {
      cleanup_free char *v = NULL;
      ocirun_error_t tmp = NULL;
      cleanup_close int fd = -1;
      xasprintf (&v, "exec %s", p->apparmor_profile);
      /* the per-LSM directory (Linux 5.8) first, the shared file otherwise */
      fd = ocirun_procfs_open_self_attr ("apparmor/exec", &tmp);
      if (fd < 0 && tmp->status == ENOENT)
        {
          ocirun_error_release (&tmp);
          fd = ocirun_procfs_open_self_attr ("exec", &tmp);
        }
      if (fd < 0)
        {
          *err = tmp;
          return ocirun_error_prefix (err, "process.apparmorProfile");
        }
      if (write (fd, v, strlen (v)) != (ssize_t) strlen (v))
        return apparmor_error (p->apparmor_profile, err);
    }
  if (p->selinux_label && *p->selinux_label)
    {
      ret = write_attr ("exec", p->selinux_label, "process.selinuxLabel", err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* runc labels every filesystem mount but proc, sysfs, mqueue and cgroup
 * with context= (libcontainer/rootfs_linux.go mountToRootfs; mqueue: see
 * ocirun_lsm_label_mount_root); bind mounts, the rootfs among them, keep
 * the source's labels (the caller labels its files, as for runc). */
void
ocirun_lsm_mount_data (const oci_linux *l, const char *type, char **data)
{
  static const char *const unlabelled[] = { "proc", "sysfs", "mqueue", "cgroup", "cgroup2", "bind" };
  char *nd = NULL;
  size_t i;

  if (l == NULL || l->mount_label == NULL || *l->mount_label == '\0' || type == NULL)
    return;
  for (i = 0; i < ARRAY_SIZE (unlabelled); i++)
    if (strcmp (type, unlabelled[i]) == 0)
      return;
  if (!ocirun_selinux_enabled ())
    {
      ocirun_debug ("linux.mountLabel: SELinux is not enabled, `%s` ignored", l->mount_label);
      return;
    }
  if (*data && strstr (*data, "context="))
    return; /* the config chose a context itself */
  xasprintf (&nd, "%s%scontext=\"%s\"", *data ? *data : "", *data && **data ? "," : "", l->mount_label);
  free (*data);
  *data = nd;
}

/* mqueue takes no context=: its superblock is made with the ipc namespace,
 * before any mount, and a mount asking for another context fails with
 * EINVAL.  runc labels the mounted root instead (rootfs_linux.go: mqueue,
 * label.SetFileLabel), and so do we; mqueue's root takes a label
 * ("seclabel" in its mount options). */
int
ocirun_lsm_label_mount_root (const oci_linux *l, const char *type, int rootfd, const char *dest, ocirun_error_t *err)
{
  cleanup_close int fd = -1;
  char path[64];

  if (l == NULL || l->mount_label == NULL || *l->mount_label == '\0' || type == NULL || strcmp (type, "mqueue") != 0
      || !ocirun_selinux_enabled ())
    return 0;
  fd = ocirun_open_in_root (rootfd, dest, O_PATH, 0, err);
  if (fd < 0)
    return -1;
  ocirun_fd_path (fd, path, sizeof path);
  if (setxattr (path, "security.selinux", l->mount_label, strlen (l->mount_label), 0) < 0)
    return ocirun_make_error (err, errno, "linux.mountLabel: label `%s` with `%s`", dest, l->mount_label);
  return 0;
}
