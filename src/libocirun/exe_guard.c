/* CVE-2019-5736 (/proc/self/exe overwrite).
 *
 * The container's init and the `exec` child are clones of this process
 * (docs/design.md: no re-exec into a second stage), so until they execve the
 * container's program, /proc/<pid>/exe of a process *inside* the
 * container is the ocirun binary.  They are PR_SET_DUMPABLE=0, so opening
 * that link needs CAP_SYS_PTRACE over them; but a container that is given
 * CAP_SYS_PTRACE (without a user namespace) can open it, keep an O_PATH
 * fd, and once no process executes the file any more (ETXTBSY is gone),
 * reopen it for writing through /proc/self/fd/N and replace the host's
 * runtime: the next `ocirun` run as root is the attacker's.
 *
 * Defence (crun's and runc's): before any container process can see us,
 * re-exec from a copy of the binary in a memfd sealed against writes
 * (F_SEAL_WRITE | SHRINK | GROW | SEAL).  /proc/<pid>/exe then is that
 * memfd, which nobody can write, and the host's file is never reachable.
 * Skipped when the binary cannot be written through /proc/<pid>/exe
 * anyway: it already is a sealed memfd (after our own re-exec) or lives
 * on a read-only mount.
 *
 * The copy and the second execve cost ~2.5 ms (measured with hyperfine on
 * this project's 1 MB binary: `ocirun run` of /bin/true 18.1 -> 21.3 ms),
 * so, by design ("no work on the hot path that a config doesn't ask for"),
 * it is done only when a container process could reach us at all: only
 * CAP_SYS_PTRACE in the initial user namespace opens /proc/<pid>/exe of a
 * non-dumpable process (ptrace_may_access: the mm belongs to the initial
 * user namespace).  See ocirun_exe_guard_needed(); create and exec call it
 * once the config is known, before anything is made. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exe_guard.h"
#include "utils.h"

#ifndef MFD_EXEC
#  define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#  define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static char **saved_argv;

void
ocirun_exe_guard_init (char **argv)
{
  saved_argv = argv;
}

void
ocirun_exe_guard_replace_arg (const char *arg, const char *replacement)
{
  size_t i;
  for (i = 0; saved_argv && saved_argv[i]; i++)
    {
      char *a = saved_argv[i];
      size_t l = strlen (a);
      if (arg >= a && arg <= a + l)
        {
          /* keep what precedes the value in this argv element ("--process=") */
          char *n = NULL;
          xasprintf (&n, "%.*s%s", (int) (arg - a), a, replacement);
          saved_argv[i] = n; /* lives until the exec: never freed */
          return;
        }
    }
}

static bool
has_ptrace (char **names, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (strcasecmp (names[i], "CAP_SYS_PTRACE") == 0)
      return true;
  return false;
}

bool
ocirun_exe_guard_reachable (const oci_config *c)
{
  size_t i;

  for (i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    {
      const oci_namespace *ns = &c->linux_->namespaces[i];
      struct stat a, b;
      if (strcmp (ns->type, "user") != 0)
        continue;
      if (ns->path == NULL || *ns->path == '\0')
        return false; /* a new user namespace: its caps are not ours */
      /* joining one: unless it is our own */
      if (stat (ns->path, &a) == 0 && stat ("/proc/self/ns/user", &b) == 0
          && !(a.st_dev == b.st_dev && a.st_ino == b.st_ino))
        return false;
    }
  return true;
}

bool
ocirun_exe_guard_needed (const oci_config *c, const oci_process *p)
{
  const oci_capabilities *caps = p ? p->capabilities : NULL;
  if (!ocirun_exe_guard_reachable (c))
    return false;
  if (caps == NULL)
    return true;
  return has_ptrace (caps->bounding, caps->bounding_len) || has_ptrace (caps->effective, caps->effective_len)
         || has_ptrace (caps->permitted, caps->permitted_len) || has_ptrace (caps->inheritable, caps->inheritable_len)
         || has_ptrace (caps->ambient, caps->ambient_len);
}

bool
ocirun_exe_guard_pids_need (const pid_t *pids, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      char path[64], line[256];
      cleanup_file FILE *f = NULL;
      snprintf (path, sizeof path, "/proc/%d/status", pids[i]);
      f = fopen (path, "re");
      if (f == NULL)
        continue;
      while (fgets (line, sizeof line, f))
        if (strncmp (line, "CapBnd:", 7) == 0)
          {
            unsigned long long v = strtoull (line + 7, NULL, 16);
            if (v & (1ULL << 19 /* CAP_SYS_PTRACE */))
              return true;
            break;
          }
    }
  return false;
}

static bool
fd_is_safe (int fd)
{
  struct statvfs sv;
  int seals = fcntl (fd, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return true;
  return fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

bool
ocirun_exe_is_safe (void)
{
  cleanup_close int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && fd_is_safe (fd);
}

static int
sealed_copy (int src, ocirun_error_t *err)
{
  cleanup_close int mfd = -1;
  struct stat sb;
  off_t off = 0;

  if (fstat (src, &sb) < 0)
    return ocirun_make_error (err, errno, "stat `/proc/self/exe`");
  /* MFD_EXEC: kernels with vm.memfd_noexec would otherwise make it NX */
  mfd = (int) syscall (SYS_memfd_create, "ocirun", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = (int) syscall (SYS_memfd_create, "ocirun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return ocirun_make_error (err, errno, "memfd_create");
  while (off < sb.st_size)
    {
      ssize_t n = sendfile (mfd, src, &off, (size_t) (sb.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return ocirun_make_error (err, n < 0 ? errno : EIO, "copy the runtime binary to a memfd");
    }
  if (fchmod (mfd, 0555) < 0 && errno != EPERM)
    return ocirun_make_error (err, errno, "chmod the memfd copy");
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return ocirun_make_error (err, errno, "seal the memfd copy");
  return steal_fd (&mfd);
}

int
ocirun_exe_guard (ocirun_error_t *err)
{
  char **argv = saved_argv;
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;

  if (exe < 0)
    return ocirun_make_error (err, errno, "open `/proc/self/exe`");
  if (fd_is_safe (exe) || argv == NULL)
    return 0;
  ocirun_debug ("CAP_SYS_PTRACE in the container: re-exec from a sealed copy of the runtime (CVE-2019-5736)");
  mfd = sealed_copy (exe, err);
  if (mfd < 0)
    return -1;
  close (steal_fd (&exe));
  /* execveat(AT_EMPTY_PATH) on a close-on-exec fd is fine for an ELF
   * binary (only a script would need the fd after the exec) */
  syscall (SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  return ocirun_make_error (err, errno, "re-exec the runtime from a sealed copy");
}
