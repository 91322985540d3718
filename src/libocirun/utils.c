#include "config.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "utils.h"

void *
xmalloc0 (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  void *r = realloc (p, n ? n : 1);
  if (r == NULL)
    abort ();
  return r;
}

ssize_t
fd_sendmsg (int sock, const struct iovec *iov, size_t iovlen, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = (struct iovec *) iov, .msg_iovlen = iovlen };
  ssize_t r;

  if (fd >= 0)
    {
      struct cmsghdr *c;
      memset (&u, 0, sizeof u);
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof u.buf;
      c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof fd);
    }
  do
    r = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r;
}

ssize_t
fd_recvmsg (int sock, struct iovec *iov, size_t iovlen, int *fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = iovlen, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c;
  ssize_t r;

  *fd = -1;
  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return r;
  for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int got;
        memcpy (&got, CMSG_DATA (c), sizeof got);
        if (*fd < 0)
          *fd = got;
        else
          close (got);
      }
  return r;
}

char *
xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

int
xasprintf (char **out, const char *fmt, ...)
{
  va_list ap;
  int r;
  va_start (ap, fmt);
  r = vasprintf (out, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return r;
}

int
write_all (int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

int
read_all_fd (int fd, const char *description, char **out, size_t *len, ocirun_error_t *err)
{
  size_t cap = 4096, used = 0;
  char *buf = xmalloc0 (cap + 1);
  for (;;)
    {
      ssize_t r;
      if (used == cap)
        {
          buf = xrealloc (buf, cap * 2 + 1);
          cap *= 2;
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          free (buf);
          return ocirun_make_error (err, errno, "read `%s`", description);
        }
      if (r == 0)
        break;
      used += (size_t) r;
    }
  buf[used] = '\0';
  *out = buf;
  if (len)
    *len = used;
  return 0;
}

int
read_all_file (const char *path, char **out, size_t *len, ocirun_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ocirun_make_error (err, errno, "open `%s`", path);
  return read_all_fd (fd, path, out, len, err);
}

/* fd: just opened for `path` (< 0: the open failed, errno says why) */
static int
write_opened (int fd, const char *path, const void *data, size_t len, ocirun_error_t *err)
{
  if (fd < 0)
    return ocirun_make_error (err, errno, "open `%s`", path);
  if (write_all (fd, data, len) < 0)
    return ocirun_make_error (err, errno, "write `%s`", path);
  return 0;
}

int
write_file (const char *path, const void *data, size_t len, ocirun_error_t *err)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  return write_opened (fd, path, data, len, err);
}

int
write_file_at (int dirfd, const char *path, const void *data, size_t len, ocirun_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);
  return write_opened (fd, path, data, len, err);
}

int
write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, ocirun_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  xasprintf (&tmp, ".%s.tmp", name);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return ocirun_make_error (err, errno, "open `%s`", tmp);
  if (write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return ocirun_make_error (err, e, "write `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return ocirun_make_error (err, e, "rename `%s`", name);
    }
  return 0;
}

int
mkdir_p (const char *path, mode_t mode, ocirun_error_t *err)
{
  cleanup_free char *p = xstrdup (path);
  char *s;
  for (s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return ocirun_make_error (err, errno, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return ocirun_make_error (err, errno, "mkdir `%s`", p);
  return 0;
}

static int
rm_rf_at (int parentfd, const char *name, ocirun_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd;

  if (unlinkat (parentfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return ocirun_make_error (err, errno, "remove `%s`", name);
  fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return ocirun_make_error (err, errno, "open `%s`", name);
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return ocirun_make_error (err, errno, "opendir `%s`", name);
    }
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (rm_rf_at (dirfd (d), de->d_name, err) < 0)
        return -1;
    }
  if (unlinkat (parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return ocirun_make_error (err, errno, "rmdir `%s`", name);
  return 0;
}

int
rm_rf (const char *path, ocirun_error_t *err)
{
  return rm_rf_at (AT_FDCWD, path, err);
}

static const struct
{
  const char *name;
  int num;
} signals[] = {
  { "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT }, { "ILL", SIGILL },     { "TRAP", SIGTRAP },
  { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },   { "FPE", SIGFPE },     { "KILL", SIGKILL },
  { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },     { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM },
  { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU }, { "URG", SIGURG },     { "XCPU", SIGXCPU },
  { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
  { "POLL", SIGPOLL }, { "PWR", SIGPWR },       { "SYS", SIGSYS },
};

int
signal_parse (const char *s)
{
  long long n;
  size_t i;
  if (s == NULL || *s == '\0')
    return -1;
  if (parse_int64 (s, &n) == 0)
    return (n > 0 && n < NSIG) ? (int) n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  if (strncasecmp (s, "RTMIN", 5) == 0 || strncasecmp (s, "RTMAX", 5) == 0)
    {
      long long off = 0;
      bool min = strncasecmp (s, "RTMIN", 5) == 0;
      if (s[5] != '\0' && parse_int64 (s + 5, &off) < 0)
        return -1;
      /* bound the offset first: SIGRTMIN + a huge one overflowed */
      if (off < -(long long) NSIG || off > (long long) NSIG)
        return -1;
      n = min ? SIGRTMIN + off : SIGRTMAX + off;
      return (n >= SIGRTMIN && n <= SIGRTMAX) ? (int) n : -1;
    }
  for (i = 0; i < ARRAY_SIZE (signals); i++)
    if (strcasecmp (s, signals[i].name) == 0)
      return signals[i].num;
  return -1;
}

unsigned long long
process_start_time (pid_t pid)
{
  char path[64], buf[1024];
  ssize_t n;
  char *p;
  int field;
  cleanup_close int fd = -1;

  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parens: start after the last ')' */
  p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  p++;
  /* p points at " S ..."; field 3 is the state */
  for (field = 3; field < 22 && p; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL)
    return 0;
  /* a zombie is as good as gone for a container's status */
  {
    char *st = strrchr (buf, ')');
    if (st && st[1] == ' ' && (st[2] == 'Z' || st[2] == 'X'))
      return 0;
  }
  return strtoull (p + 1, NULL, 10);
}

int
mark_fds_cloexec_from (int first, ocirun_error_t *err)
{
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
  if (syscall (SYS_close_range, (unsigned) first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
#else
#  ifdef SYS_close_range
  if (syscall (SYS_close_range, (unsigned) first, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
    return 0;
#  endif
#endif
  {
    cleanup_dir DIR *d = opendir ("/proc/self/fd");
    struct dirent *de;
    if (d == NULL)
      return ocirun_make_error (err, errno, "open `/proc/self/fd`");
    while ((de = readdir (d)))
      {
        long long fd;
        if (parse_int64 (de->d_name, &fd) < 0 || fd < first || fd == dirfd (d))
          continue;
        fcntl ((int) fd, F_SETFD, FD_CLOEXEC);
      }
  }
  return 0;
}

int
parse_int64 (const char *s, long long *out)
{
  char *end;
  long long v;
  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

/* A new process starts with an empty signal mask and default dispositions,
 * whatever `run`/`exec` blocked to forward signals (runc and crun do the same). */
void
ocirun_reset_signals (void)
{
  sigset_t none;
  int i;
  for (i = 1; i < NSIG; i++)
    if (i != SIGKILL && i != SIGSTOP)
      signal (i, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

char *
path_clean (const char *path)
{
  size_t len = strlen (path), o = 0;
  char *out = xmalloc0 (len + 2);
  const char *p = path;

  out[o++] = '/';
  while (*p)
    {
      const char *e;
      size_t n;
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      e = strchrnul (p, '/');
      n = (size_t) (e - p);
      if (n == 1 && p[0] == '.')
        ;
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          /* back to the previous '/', never above the root */
          while (o > 1 && out[o - 1] != '/')
            o--;
          if (o > 1)
            o--;
        }
      else
        {
          if (o > 1)
            out[o++] = '/';
          memcpy (out + o, p, n);
          o += n;
        }
      p = e;
    }
  out[o] = '\0';
  return out;
}

void *
ocirun_dlopen_all (const char *soname, const struct ocirun_dlsym *syms, size_t n, const char *what, ocirun_error_t *err)
{
  void *h = dlopen (soname, RTLD_NOW | RTLD_LOCAL);
  size_t i;
  if (h == NULL)
    {
      ocirun_make_error (err, ENOSYS, "%s: cannot load %s: %s", what, soname, dlerror ());
      return NULL;
    }
  for (i = 0; i < n; i++)
    {
      *syms[i].slot = dlsym (h, syms[i].name);
      if (*syms[i].slot == NULL)
        {
          dlclose (h);
          ocirun_make_error (err, ENOSYS, "%s: %s lacks `%s`", what, soname, syms[i].name);
          return NULL;
        }
    }
  return h;
}
