/* Path primitives (paths.h): openat2 and the walk that creates missing
 * components inside the container's root. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "paths.h"
#include "utils.h"

int
ocirun_openat2 (int dirfd, const char *path, int flags, unsigned long long resolve)
{
  struct open_how how = { .flags = (unsigned long long) flags, .resolve = resolve };
  if (flags & O_CREAT)
    how.mode = 0644;
  return (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
}

void
ocirun_fd_path (int fd, char *buf, size_t len)
{
  snprintf (buf, len, "/proc/self/fd/%d", fd);
}

/* A component of `buf` (from the root, components before it resolved) is a
 * symlink whose target does not exist yet: the path to create is the
 * target (taken inside the root, as runc's SecureJoin does: an absolute
 * target or a ".." stays below the root) followed by the rest. */
static char *
redirect_dangling (int parent, const char *buf, const char *comp, const char *rest)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (parent, comp, target, sizeof target - 1);
  char *out = NULL;
  if (n <= 0)
    return NULL;
  target[n] = '\0';
  if (target[0] == '/')
    xasprintf (&out, "%s%s%s", target, rest ? "/" : "", rest ? rest : "");
  else
    xasprintf (&out, "%.*s%s%s%s", (int) (comp - buf), buf, target, rest ? "/" : "", rest ? rest : "");
  return out;
}

static int open_in_root (int rootfd, const char *path, int flags, mode_t create_type, int depth, ocirun_error_t *err);

int
ocirun_open_in_root (int rootfd, const char *path, int flags, mode_t create_type, ocirun_error_t *err)
{
  return open_in_root (rootfd, path, flags, create_type, 0, err);
}

static int
open_in_root (int rootfd, const char *path, int flags, mode_t create_type, int depth, ocirun_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int parent = -1;
  char *p, *slash;
  int fd;

  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  fd = ocirun_openat2 (rootfd, path, flags | O_CLOEXEC, OCIRUN_RESOLVE_IN_ROOT);
  if (fd >= 0 || errno != ENOENT || create_type == 0)
    {
      if (fd < 0)
        return ocirun_make_error (err, errno, "open `/%s` in the container", path);
      return fd;
    }

  /* create the missing components one by one */
  buf = xstrdup (path);
  parent = fcntl (rootfd, F_DUPFD_CLOEXEC, 0);
  if (parent < 0)
    return ocirun_make_error (err, errno, "dup");
  p = buf;
  for (;;)
    {
      bool last;
      int next;
      struct stat sb;
      slash = strchr (p, '/');
      last = slash == NULL;
      if (!last)
        *slash = '\0';
      if (*p == '\0' || strcmp (p, ".") == 0)
        goto advance;
      if (last && create_type == S_IFREG)
        {
          int f = openat (parent, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
          if (f < 0 && errno != EEXIST)
            return ocirun_make_error (err, errno, "create `/%s` in the container", path);
          if (f >= 0)
            close (f);
        }
      else if (mkdirat (parent, p, 0755) < 0 && errno != EEXIST)
        return ocirun_make_error (err, errno, "mkdir `/%s` in the container", buf);
      /* a dangling symlink (an image's /var/run -> /run/x, a volume
       * destination linked to a path not made yet): create its target,
       * inside the root, as runc does; 40 links as the kernel's ELOOP */
      if (fstatat (parent, p, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (sb.st_mode))
        {
          cleanup_close int probe = ocirun_openat2 (rootfd, buf, O_PATH | O_CLOEXEC, OCIRUN_RESOLVE_IN_ROOT);
          if (probe < 0 && errno == ENOENT)
            {
              cleanup_free char *redir = NULL;
              if (depth >= 40)
                return ocirun_make_error (err, ELOOP, "open `/%s` in the container", path);
              redir = redirect_dangling (parent, buf, p, last ? NULL : slash + 1);
              if (redir == NULL)
                return ocirun_make_error (err, errno, "readlink `/%s` in the container", buf);
              return open_in_root (rootfd, redir, flags, create_type, depth + 1, err);
            }
        }
      if (last)
        break;
      /* re-resolve the prefix from the root: a symlink stays inside it */
      next = ocirun_openat2 (rootfd, buf, O_PATH | O_DIRECTORY | O_CLOEXEC, OCIRUN_RESOLVE_IN_ROOT);
      if (next < 0)
        return ocirun_make_error (err, errno, "open `/%s` in the container", buf);
      close (parent);
      parent = next;
    advance:
      if (last)
        break;
      *slash = '/';
      p = slash + 1;
    }
  fd = ocirun_openat2 (rootfd, path, flags | O_CLOEXEC, OCIRUN_RESOLVE_IN_ROOT);
  if (fd < 0)
    return ocirun_make_error (err, errno, "open `/%s` in the container", path);
  return fd;
}
