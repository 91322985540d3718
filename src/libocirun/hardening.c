/* The working directory and the fds that reach the container process
 * (CVE-2024-21626: runc leaked a host directory fd and let process.cwd /
 * `exec --cwd` be /proc/self/fd/N, so the process started outside the
 * container's root). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exe_guard.h"
#include "hardening.h"
#include "job.h"
#include "paths.h"
#include "utils.h"

int
ocirun_open_cwd_in_container (const char *cwd, const char *field, ocirun_error_t *err)
{
  cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int fd;
  if (root < 0)
    return ocirun_make_error (err, errno, "open `/`");
  /* RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: a leaked fd is not a path */
  fd = ocirun_open_in_root (root, cwd, O_PATH | O_DIRECTORY, 0, err);
  if (fd < 0)
    return ocirun_error_prefix (err, "%s", field);
  return fd;
}

int
ocirun_preserved_fds_reserve (int n, ocirun_error_t *err)
{
  int fd;
  for (fd = 3; fd < 3 + n; fd++)
    {
      int nfd;
      if (fcntl (fd, F_GETFD) >= 0 || errno != EBADF)
        continue;
      nfd = open ("/dev/null", O_RDWR);
      if (nfd < 0)
        return ocirun_make_error (err, errno, "--preserve-fds: open `/dev/null`");
      if (nfd != fd)
        {
          /* the lowest free number is fd itself, unless another thread raced */
          if (dup2 (nfd, fd) < 0)
            {
              close (nfd);
              return ocirun_make_error (err, errno, "--preserve-fds: reserve fd %d", fd);
            }
          close (nfd);
        }
    }
  return 0;
}

/* the largest fd count the verb may hand to the container: its
 * --preserve-fds and, as init.c does, LISTEN_FDS */
static int
preserve_count (char **args)
{
  const char *lf = getenv ("LISTEN_FDS");
  long long v, n = 0;
  size_t i;
  for (i = 0; args[i]; i++)
    {
      const char *val = NULL;
      if (strcmp (args[i], "--") == 0)
        break;
      if (strcmp (args[i], "--preserve-fds") == 0)
        val = args[i + 1];
      else if (strncmp (args[i], "--preserve-fds=", 15) == 0)
        val = args[i] + 15;
      if (val && parse_int64 (val, &v) == 0 && v > n && v <= 65536)
        n = v;
    }
  if (lf && parse_int64 (lf, &v) == 0 && v > n && v < 4096)
    n = v;
  return (int) n;
}

int
ocirun_startup_hardening (char **argv, int verb, ocirun_error_t *err)
{
  const char *v = argv[verb];
  int ret;
  if (strcmp (v, "create") != 0 && strcmp (v, "run") != 0 && strcmp (v, "exec") != 0)
    return 0;
  (void) ret;
  ocirun_exe_guard_init (argv);
  return ocirun_preserved_fds_reserve (preserve_count (argv + verb), err);
}
