/* probe: report, as JSON on stdout, what a container process sees.
 *
 * Part of oci-conformance.  Built statically (gcc -static) and placed at
 * /probe in every test bundle's rootfs.  Dependency-free C on purpose: it
 * must run in an empty rootfs and must not need a libc from the container.
 *
 * Usage: probe [COMMAND [ARG]]...
 *   Commands are executed left to right; their results are merged into one
 *   JSON object printed on a single line (then flushed) when the commands
 *   are done, or before a "pause"/"sleep" command.
 *
 *   all              everything below that takes no argument
 *   ids | caps | status | rlimits | mounts | devices | uts | cgroup | fds
 *   | cwd | env | umask | oom | personality | sched | ioprio | affinity
 *   | ns | clocks | proc | winsize | mempolicy
 *                    one section each
 *   masked PATH      is PATH masked (unreadable / empty)?
 *   readonly PATH    is PATH read-only (write attempts fail with EROFS)?
 *   write PATH       try to create/write PATH
 *   stat PATH        lstat PATH (type, mode, owner, rdev, symlink target)
 *   cat PATH         content of PATH (first 64 KiB)
 *   sysctl NAME      value of /proc/sys/NAME (dots or slashes)
 *   syscall NAME     call syscall NAME with harmless arguments; report
 *                    return value and errno (see syscall_table); NAME
 *                    "nrN" calls the raw number N with zero arguments
 *   print            print what was gathered so far (and start a new object)
 *   sleep SECONDS    print, then sleep
 *   pause            print, then wait for a signal forever
 *   exit CODE        print, then exit with CODE
 *   kill SIG         print, then kill self with SIG
 *
 * Exit status: 0, or CODE given to "exit".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---------- tiny JSON writer into a growing buffer ---------- */

static char *out;
static size_t out_len, out_cap;
static int need_comma;

static void
emit_raw (const char *s, size_t n)
{
  if (out_len + n + 1 > out_cap)
    {
      size_t cap = out_cap ? out_cap * 2 : 65536;
      while (cap < out_len + n + 1)
        cap *= 2;
      out = realloc (out, cap);
      if (out == NULL)
        _exit (120);
      out_cap = cap;
    }
  memcpy (out + out_len, s, n);
  out_len += n;
  out[out_len] = '\0';
}

static void
emit (const char *s)
{
  emit_raw (s, strlen (s));
}

static void
emitf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static void
emitf (const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  int n;
  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n >= sizeof buf)
    n = sizeof buf - 1;
  emit_raw (buf, n);
}

static void
comma (void)
{
  if (need_comma)
    emit (",");
  need_comma = 1;
}

static void
jstr_n (const char *s, size_t n)
{
  emit ("\"");
  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = s[i];
      if (c == '"' || c == '\\')
        {
          char e[2] = { '\\', c };
          emit_raw (e, 2);
        }
      else if (c < 0x20 || c >= 0x7f)
        emitf ("\\u%04x", c);
      else
        emit_raw ((const char *) &c, 1);
    }
  emit ("\"");
}

static void
jstr (const char *s)
{
  if (s == NULL)
    emit ("null");
  else
    jstr_n (s, strlen (s));
}

/* "key": -- opens a member in the current object */
static void
key (const char *k)
{
  comma ();
  jstr (k);
  emit (":");
  need_comma = 0;
}

static void
obj_begin (void)
{
  emit ("{");
  need_comma = 0;
}

static void
obj_end (void)
{
  emit ("}");
  need_comma = 1;
}

static void
arr_begin (void)
{
  emit ("[");
  need_comma = 0;
}

static void
arr_end (void)
{
  emit ("]");
  need_comma = 1;
}

static void
kv_str (const char *k, const char *v)
{
  key (k);
  jstr (v);
  need_comma = 1;
}

static void
kv_int (const char *k, long long v)
{
  key (k);
  emitf ("%lld", v);
  need_comma = 1;
}

static void
kv_uint (const char *k, unsigned long long v)
{
  key (k);
  emitf ("%llu", v);
  need_comma = 1;
}

static void
kv_bool (const char *k, int v)
{
  key (k);
  emit (v ? "true" : "false");
  need_comma = 1;
}

static void
kv_null (const char *k)
{
  key (k);
  emit ("null");
  need_comma = 1;
}

static void
item_str (const char *v)
{
  comma ();
  jstr (v);
}

static void
item_int (long long v)
{
  comma ();
  emitf ("%lld", v);
}

static void
kv_errno (const char *k, int e)
{
  if (e == 0)
    kv_null (k);
  else
    kv_str (k, strerrorname_np (e) ? strerrorname_np (e) : "E?");
}

/* ---------- helpers ---------- */

static char *
read_file (const char *path, size_t max, ssize_t *len, int *err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  char *buf;
  ssize_t n, total = 0;
  *err = 0;
  if (fd < 0)
    {
      *err = errno;
      *len = -1;
      return NULL;
    }
  buf = malloc (max + 1);
  while ((size_t) total < max)
    {
      n = read (fd, buf + total, max - total);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          *err = errno;
          break;
        }
      if (n == 0)
        break;
      total += n;
    }
  close (fd);
  buf[total] = '\0';
  *len = total;
  if (*err)
    {
      free (buf);
      return NULL;
    }
  return buf;
}

static const char *
file_type (mode_t m)
{
  if (S_ISREG (m))
    return "file";
  if (S_ISDIR (m))
    return "dir";
  if (S_ISCHR (m))
    return "char";
  if (S_ISBLK (m))
    return "block";
  if (S_ISFIFO (m))
    return "fifo";
  if (S_ISLNK (m))
    return "symlink";
  if (S_ISSOCK (m))
    return "socket";
  return "unknown";
}

/* emits the members of a stat object (no braces) */
static void
stat_members (const char *path, int follow)
{
  struct stat st;
  int r = follow ? stat (path, &st) : lstat (path, &st);
  if (r < 0)
    {
      kv_bool ("exists", 0);
      kv_errno ("errno", errno);
      return;
    }
  kv_bool ("exists", 1);
  kv_str ("type", file_type (st.st_mode));
  kv_uint ("mode", st.st_mode & 07777);
  kv_uint ("uid", st.st_uid);
  kv_uint ("gid", st.st_gid);
  kv_uint ("size", st.st_size);
  kv_uint ("dev_major", major (st.st_dev));
  kv_uint ("dev_minor", minor (st.st_dev));
  kv_uint ("ino", st.st_ino);
  if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode))
    {
      kv_uint ("major", major (st.st_rdev));
      kv_uint ("minor", minor (st.st_rdev));
    }
  if (S_ISLNK (st.st_mode))
    {
      char t[4096];
      ssize_t n = readlink (path, t, sizeof t - 1);
      if (n >= 0)
        {
          t[n] = '\0';
          kv_str ("target", t);
        }
    }
}

/* ---------- sections ---------- */

static void
sec_proc (int argc, char **argv)
{
  key ("argv");
  arr_begin ();
  for (int i = 0; i < argc; i++)
    item_str (argv[i]);
  arr_end ();
  kv_int ("pid", getpid ());
  kv_int ("ppid", getppid ());
  kv_int ("pgid", getpgid (0));
  kv_int ("sid", getsid (0));
  key ("isatty");
  arr_begin ();
  for (int i = 0; i < 3; i++)
    {
      comma ();
      emit (isatty (i) ? "true" : "false");
    }
  arr_end ();
  {
    char *t = ttyname (0);
    kv_str ("ttyname0", t);
  }
}

static void
sec_ids (void)
{
  uid_t r, e, s;
  gid_t gr, ge, gs;
  gid_t groups[256];
  int n;
  getresuid (&r, &e, &s);
  getresgid (&gr, &ge, &gs);
  key ("uid");
  arr_begin ();
  item_int (r);
  item_int (e);
  item_int (s);
  arr_end ();
  key ("gid");
  arr_begin ();
  item_int (gr);
  item_int (ge);
  item_int (gs);
  arr_end ();
  n = getgroups (256, groups);
  key ("groups");
  arr_begin ();
  for (int i = 0; i < n; i++)
    item_int (groups[i]);
  arr_end ();
}

/* /proc/self/status lines we care about */
static void
sec_status (void)
{
  static const char *want[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
                                "Seccomp_filters", "Umask", "Cpus_allowed_list", "Mems_allowed_list",
                                "NSpid", "PPid", NULL };
  ssize_t len;
  int err;
  char *buf = read_file ("/proc/self/status", 65536, &len, &err);
  key ("status");
  obj_begin ();
  if (buf)
    {
      char *save = NULL;
      for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          char *colon = strchr (line, ':');
          if (!colon)
            continue;
          *colon = '\0';
          for (int i = 0; want[i]; i++)
            if (strcmp (want[i], line) == 0)
              {
                char *v = colon + 1;
                while (*v == ' ' || *v == '\t')
                  v++;
                kv_str (line, v);
              }
        }
      free (buf);
    }
  else
    kv_errno ("errno", err);
  obj_end ();
}

static void
sec_rlimits (void)
{
  static const struct
  {
    const char *name;
    int res;
  } rl[] = {
    { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
  };
  key ("rlimits");
  obj_begin ();
  for (size_t i = 0; i < sizeof rl / sizeof rl[0]; i++)
    {
      struct rlimit r;
      key (rl[i].name);
      if (getrlimit (rl[i].res, &r) < 0)
        {
          emit ("null");
          need_comma = 1;
          continue;
        }
      arr_begin ();
      comma ();
      emitf ("%llu", (unsigned long long) r.rlim_cur);
      comma ();
      emitf ("%llu", (unsigned long long) r.rlim_max);
      arr_end ();
    }
  obj_end ();
}

/* split a string in place on spaces */
static int
split_ws (char *s, char **f, int max)
{
  int n = 0;
  char *save = NULL;
  for (char *t = strtok_r (s, " ", &save); t && n < max; t = strtok_r (NULL, " ", &save))
    f[n++] = t;
  return n;
}

/* mountinfo escapes space, tab, newline, backslash as \ooo */
static void
unescape (char *s)
{
  char *w = s;
  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
        {
          *w++ = (char) ((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
          s += 4;
        }
      else
        *w++ = *s++;
    }
  *w = '\0';
}

static void
sec_mounts (void)
{
  ssize_t len;
  int err;
  char *buf = read_file ("/proc/self/mountinfo", 1 << 20, &len, &err);
  key ("mounts");
  arr_begin ();
  if (buf)
    {
      char *save = NULL;
      for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          char *f[64];
          int n = split_ws (line, f, 64), sep = -1;
          for (int i = 6; i < n; i++)
            if (strcmp (f[i], "-") == 0)
              {
                sep = i;
                break;
              }
          if (n < 10 || sep < 0 || sep + 3 >= n + 1)
            continue;
          comma ();
          obj_begin ();
          kv_int ("id", atoll (f[0]));
          kv_int ("parent", atoll (f[1]));
          kv_str ("devno", f[2]);
          unescape (f[3]);
          kv_str ("root", f[3]);
          unescape (f[4]);
          kv_str ("mountpoint", f[4]);
          kv_str ("options", f[5]);
          key ("optional");
          arr_begin ();
          for (int i = 6; i < sep; i++)
            item_str (f[i]);
          arr_end ();
          kv_str ("fstype", sep + 1 < n ? f[sep + 1] : "");
          if (sep + 2 < n)
            unescape (f[sep + 2]);
          kv_str ("source", sep + 2 < n ? f[sep + 2] : "");
          kv_str ("superopts", sep + 3 < n ? f[sep + 3] : "");
          obj_end ();
        }
      free (buf);
    }
  arr_end ();
}

static void
list_devices (const char *dir, int depth)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  if (!d)
    return;
  while ((de = readdir (d)))
    {
      char p[4096];
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      snprintf (p, sizeof p, "%s/%s", dir, de->d_name);
      if (lstat (p, &st) < 0)
        continue;
      comma ();
      obj_begin ();
      kv_str ("path", p);
      stat_members (p, 0);
      obj_end ();
      if (S_ISDIR (st.st_mode) && depth < 2)
        list_devices (p, depth + 1);
    }
  closedir (d);
}

static void
sec_devices (void)
{
  key ("devices");
  arr_begin ();
  list_devices ("/dev", 0);
  arr_end ();
}

static void
sec_uts (void)
{
  struct utsname u;
  uname (&u);
  kv_str ("hostname", u.nodename);
  kv_str ("domainname", u.domainname);
  kv_str ("machine", u.machine);
}

static void
sec_file_lines (const char *k, const char *path)
{
  ssize_t len;
  int err;
  char *buf = read_file (path, 1 << 16, &len, &err);
  key (k);
  arr_begin ();
  if (buf)
    {
      char *save = NULL;
      for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        item_str (line);
      free (buf);
    }
  arr_end ();
}

static void
sec_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  key ("fds");
  obj_begin ();
  if (d)
    {
      int self = dirfd (d);
      while ((de = readdir (d)))
        {
          char p[512], t[4096];
          ssize_t n;
          if (de->d_name[0] == '.' || atoi (de->d_name) == self)
            continue;
          snprintf (p, sizeof p, "/proc/self/fd/%s", de->d_name);
          n = readlink (p, t, sizeof t - 1);
          if (n < 0)
            n = 0;
          t[n] = '\0';
          kv_str (de->d_name, t);
        }
      closedir (d);
    }
  obj_end ();
}

static void
sec_cwd (void)
{
  char b[4096];
  kv_str ("cwd", getcwd (b, sizeof b));
}

static void
sec_env (void)
{
  extern char **environ;
  key ("env");
  arr_begin ();
  for (char **e = environ; e && *e; e++)
    item_str (*e);
  arr_end ();
}

static void
sec_umask (void)
{
  mode_t m = umask (0);
  umask (m);
  kv_uint ("umask", m);
}

static void
sec_oom (void)
{
  ssize_t len;
  int err;
  char *b = read_file ("/proc/self/oom_score_adj", 64, &len, &err);
  if (b)
    kv_int ("oom_score_adj", atoll (b));
  else
    kv_null ("oom_score_adj");
  free (b);
}

static void
sec_personality (void)
{
  kv_int ("personality", personality (0xffffffff));
}

static void
sec_sched (void)
{
  struct sched_param sp;
  int pol = sched_getscheduler (0);
  const char *name = "unknown";
  switch (pol & ~SCHED_RESET_ON_FORK)
    {
    case SCHED_OTHER:
      name = "SCHED_OTHER";
      break;
    case SCHED_FIFO:
      name = "SCHED_FIFO";
      break;
    case SCHED_RR:
      name = "SCHED_RR";
      break;
    case SCHED_BATCH:
      name = "SCHED_BATCH";
      break;
    case SCHED_IDLE:
      name = "SCHED_IDLE";
      break;
#ifdef SCHED_DEADLINE
    case SCHED_DEADLINE:
      name = "SCHED_DEADLINE";
      break;
#endif
    }
  key ("sched");
  obj_begin ();
  kv_str ("policy", name);
  kv_bool ("reset_on_fork", (pol & SCHED_RESET_ON_FORK) != 0);
  if (sched_getparam (0, &sp) == 0)
    kv_int ("priority", sp.sched_priority);
  errno = 0;
  kv_int ("nice", getpriority (PRIO_PROCESS, 0));
  obj_end ();
}

static void
sec_ioprio (void)
{
  /* ioprio_get(IOPRIO_WHO_PROCESS=1, 0) */
  long r = syscall (SYS_ioprio_get, 1, 0);
  static const char *classes[] = { "IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };
  key ("ioprio");
  obj_begin ();
  if (r < 0)
    kv_errno ("errno", errno);
  else
    {
      int cls = (int) (r >> 13) & 7;
      kv_str ("class", cls < 4 ? classes[cls] : "unknown");
      kv_int ("priority", r & 0x1fff);
    }
  obj_end ();
}

static void
sec_affinity (void)
{
  cpu_set_t set;
  key ("affinity");
  arr_begin ();
  if (sched_getaffinity (0, sizeof set, &set) == 0)
    for (int i = 0; i < CPU_SETSIZE; i++)
      if (CPU_ISSET (i, &set))
        item_int (i);
  arr_end ();
}

static void
sec_ns (void)
{
  static const char *ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                              "time_for_children", "user", "uts", NULL };
  key ("ns");
  obj_begin ();
  for (int i = 0; ns[i]; i++)
    {
      char p[128], t[256];
      ssize_t n;
      snprintf (p, sizeof p, "/proc/self/ns/%s", ns[i]);
      n = readlink (p, t, sizeof t - 1);
      if (n < 0)
        kv_null (ns[i]);
      else
        {
          t[n] = '\0';
          kv_str (ns[i], t);
        }
    }
  obj_end ();
}

static void
sec_clocks (void)
{
  struct timespec ts;
  key ("clocks");
  obj_begin ();
  clock_gettime (CLOCK_MONOTONIC, &ts);
  kv_int ("monotonic", ts.tv_sec);
  clock_gettime (CLOCK_BOOTTIME, &ts);
  kv_int ("boottime", ts.tv_sec);
  obj_end ();
}

static void
sec_winsize (void)
{
  struct winsize ws;
  key ("winsize");
  if (ioctl (0, TIOCGWINSZ, &ws) < 0)
    {
      emit ("null");
      need_comma = 1;
      return;
    }
  obj_begin ();
  kv_int ("rows", ws.ws_row);
  kv_int ("cols", ws.ws_col);
  obj_end ();
}

static void
sec_mempolicy (void)
{
  int mode = -1;
  unsigned long mask[16];
  static const char *modes[] = { "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE",
                                 "MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE" };
  memset (mask, 0, sizeof mask);
  key ("mempolicy");
  obj_begin ();
  if (syscall (SYS_get_mempolicy, &mode, mask, sizeof mask * 8, NULL, 0) < 0)
    kv_errno ("errno", errno);
  else
    {
      kv_str ("mode", mode >= 0 && mode < 7 ? modes[mode] : "unknown");
      key ("nodes");
      arr_begin ();
      for (int i = 0; i < (int) (sizeof mask * 8); i++)
        if (mask[i / (8 * sizeof (unsigned long))] & (1UL << (i % (8 * sizeof (unsigned long)))))
          item_int (i);
      arr_end ();
    }
  obj_end ();
}

static void
sec_all (int argc, char **argv)
{
  sec_proc (argc, argv);
  sec_ids ();
  sec_status ();
  sec_rlimits ();
  sec_mounts ();
  sec_devices ();
  sec_uts ();
  sec_file_lines ("cgroup", "/proc/self/cgroup");
  sec_fds ();
  sec_cwd ();
  sec_env ();
  sec_umask ();
  sec_oom ();
  sec_personality ();
  sec_sched ();
  sec_ioprio ();
  sec_affinity ();
  sec_ns ();
  sec_clocks ();
}

/* ---------- per-path commands: results go into "paths": {PATH: {...}} ----------
 * Path results are buffered separately and flushed with the object. */

static char *pbuf[4][256];
static int pn[4];
enum
{
  P_MASKED,
  P_READONLY,
  P_WRITE,
  P_STAT
};

/* run fn in a sub-buffer and store the JSON text */
static void
capture (int kind, const char *path, void (*fn) (const char *))
{
  char *saved = out;
  size_t sl = out_len, sc = out_cap;
  int snc = need_comma;
  out = NULL;
  out_len = out_cap = 0;
  need_comma = 0;
  jstr (path);
  emit (":");
  obj_begin ();
  fn (path);
  obj_end ();
  if (pn[kind] < 256)
    pbuf[kind][pn[kind]++] = out;
  out = saved;
  out_len = sl;
  out_cap = sc;
  need_comma = snc;
}

static void
do_masked (const char *path)
{
  struct stat st;
  struct statfs sf;
  stat_members (path, 1);
  if (stat (path, &st) < 0)
    return;
  if (statfs (path, &sf) == 0)
    kv_uint ("fs_magic", (unsigned long long) sf.f_type);
  if (S_ISDIR (st.st_mode))
    {
      DIR *d = opendir (path);
      int n = 0;
      struct dirent *de;
      if (!d)
        {
          kv_bool ("readable", 0);
          kv_errno ("read_errno", errno);
          return;
        }
      while ((de = readdir (d)))
        if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
          n++;
      closedir (d);
      kv_bool ("readable", 1);
      kv_int ("entries", n);
    }
  else
    {
      ssize_t len;
      int err;
      char *b = read_file (path, 4096, &len, &err);
      kv_bool ("readable", b != NULL);
      kv_errno ("read_errno", err);
      kv_int ("read_bytes", len);
      free (b);
    }
}

static void
do_write (const char *path)
{
  struct stat st;
  int fd;
  if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      char p[4096];
      snprintf (p, sizeof p, "%s/.probe-write-test-%d", path, (int) getpid ());
      fd = open (p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0)
        {
          close (fd);
          unlink (p);
          kv_bool ("writable", 1);
          kv_null ("errno");
        }
      else
        {
          kv_bool ("writable", 0);
          kv_errno ("errno", errno);
        }
      kv_str ("how", "create-in-dir");
    }
  else
    {
      /* open for writing without truncating or creating */
      fd = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
      if (fd < 0 && errno == ENOENT)
        {
          fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
          if (fd >= 0)
            unlink (path);
        }
      if (fd >= 0)
        {
          close (fd);
          kv_bool ("writable", 1);
          kv_null ("errno");
        }
      else
        {
          kv_bool ("writable", 0);
          kv_errno ("errno", errno);
        }
      kv_str ("how", "open-wronly");
    }
}

static void
do_readonly (const char *path)
{
  struct statvfs sv;
  stat_members (path, 1);
  if (statvfs (path, &sv) == 0)
    kv_bool ("st_rdonly", (sv.f_flag & ST_RDONLY) != 0);
  do_write (path);
}

static void
do_stat (const char *path)
{
  stat_members (path, 0);
}

/* ---------- syscalls ---------- */

struct sc_result
{
  long ret;
  int err;
};

static struct sc_result
try_syscall (const char *name, int *known)
{
  struct sc_result r = { 0, 0 };
  long ret = -1;
  char tmpd[64];
  snprintf (tmpd, sizeof tmpd, "/tmp/.probe-sc-%d", (int) getpid ());
  *known = 1;
  errno = 0;
  if (strcmp (name, "getpid") == 0)
    ret = syscall (SYS_getpid);
  else if (strcmp (name, "getcwd") == 0)
    {
      char b[4096];
      ret = syscall (SYS_getcwd, b, sizeof b);
    }
  else if (strcmp (name, "mkdir") == 0)
    {
      ret = syscall (SYS_mkdir, tmpd, 0700);
      if (ret == 0)
        rmdir (tmpd);
    }
  else if (strcmp (name, "mkdirat") == 0)
    {
      ret = syscall (SYS_mkdirat, AT_FDCWD, tmpd, 0700);
      if (ret == 0)
        rmdir (tmpd);
    }
  else if (strcmp (name, "chmod") == 0)
    ret = syscall (SYS_chmod, "/", 0755);
  else if (strcmp (name, "fchmodat") == 0)
    ret = syscall (SYS_fchmodat, AT_FDCWD, "/", 0755);
  else if (strcmp (name, "uname") == 0)
    {
      struct utsname u;
      ret = syscall (SYS_uname, &u);
    }
  else if (strcmp (name, "sethostname") == 0)
    {
      struct utsname u;
      uname (&u);
      ret = syscall (SYS_sethostname, u.nodename, strlen (u.nodename));
    }
  else if (strcmp (name, "getppid") == 0)
    ret = syscall (SYS_getppid);
  else if (strcmp (name, "sync") == 0)
    ret = syscall (SYS_sync);
  else if (strcmp (name, "unshare") == 0)
    ret = syscall (SYS_unshare, 0);
  else if (strcmp (name, "personality") == 0)
    ret = syscall (SYS_personality, 0xffffffff);
  else if (strcmp (name, "getuid") == 0)
    ret = syscall (SYS_getuid);
  else if (strcmp (name, "kill") == 0)
    ret = syscall (SYS_kill, getpid (), 0);
  else if (strcmp (name, "socket") == 0)
    {
      ret = syscall (SYS_socket, AF_UNIX, SOCK_STREAM, 0);
      if (ret >= 0)
        close ((int) ret);
    }
  else if (strcmp (name, "mount") == 0)
    /* harmless: the target does not exist, so ENOENT when allowed */
    ret = syscall (SYS_mount, "none", "/.probe-no-such-dir", "tmpfs", 0, NULL);
  else if (strcmp (name, "chroot") == 0)
    ret = syscall (SYS_chroot, "/");
  else if (strcmp (name, "setuid") == 0)
    ret = syscall (SYS_setuid, getuid ());
  else if (strcmp (name, "mknod") == 0)
    {
      ret = syscall (SYS_mknod, tmpd, S_IFIFO | 0600, 0);
      if (ret == 0)
        unlink (tmpd);
    }
  else if (strncmp (name, "nr", 2) == 0 && name[2] >= '0' && name[2] <= '9')
    /* a number no libc names (one newer than any profile): the kernel's
     * ENOSYS, or what a seccomp filter makes of it */
    ret = syscall (strtol (name + 2, NULL, 10), 0, 0, 0, 0, 0);
  else
    *known = 0;
  r.ret = ret;
  r.err = ret < 0 ? errno : 0;
  return r;
}

static char *scbuf[256];
static int scn;

static void
do_syscall (const char *name)
{
  int known;
  struct sc_result r = try_syscall (name, &known);
  char *saved = out;
  size_t sl = out_len, sc = out_cap;
  int snc = need_comma;
  out = NULL;
  out_len = out_cap = 0;
  need_comma = 0;
  jstr (name);
  emit (":");
  obj_begin ();
  if (!known)
    kv_bool ("unknown", 1);
  else
    {
      kv_int ("ret", r.ret);
      kv_errno ("errno", r.err);
    }
  obj_end ();
  if (scn < 256)
    scbuf[scn++] = out;
  out = saved;
  out_len = sl;
  out_cap = sc;
  need_comma = snc;
}

static char *sysbuf[256];
static int sysn;

static void
do_sysctl (const char *name)
{
  char p[4096], *q;
  ssize_t len;
  int err;
  char *v;
  char *saved = out;
  size_t sl = out_len, sc = out_cap;
  int snc = need_comma;
  snprintf (p, sizeof p, "/proc/sys/%s", name);
  for (q = p + 10; *q; q++)
    if (*q == '.')
      *q = '/';
  v = read_file (p, 65536, &len, &err);
  if (v)
    {
      while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == ' '))
        v[--len] = '\0';
    }
  out = NULL;
  out_len = out_cap = 0;
  need_comma = 0;
  jstr (name);
  emit (":");
  if (v)
    jstr (v);
  else
    emit ("null");
  if (sysn < 256)
    sysbuf[sysn++] = out;
  free (v);
  out = saved;
  out_len = sl;
  out_cap = sc;
  need_comma = snc;
}

static char *catbuf[64];
static int catn;

static void
do_cat (const char *path)
{
  ssize_t len;
  int err;
  char *v = read_file (path, 65536, &len, &err);
  char *saved = out;
  size_t sl = out_len, sc = out_cap;
  int snc = need_comma;
  out = NULL;
  out_len = out_cap = 0;
  need_comma = 0;
  jstr (path);
  emit (":");
  if (v)
    jstr_n (v, len);
  else
    emit ("null");
  if (catn < 64)
    catbuf[catn++] = out;
  free (v);
  out = saved;
  out_len = sl;
  out_cap = sc;
  need_comma = snc;
}

static void
flush_group (const char *k, char **bufs, int *n)
{
  if (*n == 0)
    return;
  key (k);
  obj_begin ();
  for (int i = 0; i < *n; i++)
    {
      comma ();
      emit (bufs[i]);
      free (bufs[i]);
    }
  obj_end ();
  *n = 0;
}

static int printed_any;

static void
print_now (void)
{
  static const char *names[] = { "masked", "readonly", "write", "stat" };
  for (int k = 0; k < 4; k++)
    flush_group (names[k], pbuf[k], &pn[k]);
  flush_group ("syscalls", scbuf, &scn);
  flush_group ("sysctl", sysbuf, &sysn);
  flush_group ("cat", catbuf, &catn);
  obj_end ();
  emit ("\n");
  {
    size_t off = 0;
    while (off < out_len)
      {
        ssize_t n = write (1, out + off, out_len - off);
        if (n < 0)
          {
            if (errno == EINTR)
              continue;
            break;
          }
        off += n;
      }
  }
  out_len = 0;
  printed_any = 1;
  obj_begin ();
}

/* PID 1 of a pid namespace ignores signals it has no handler for; catch the
 * usual ones so "kill" is observable, and exit 128+SIG like a shell would. */
static void
on_term (int sig)
{
  _exit (128 + sig);
}

int
main (int argc, char **argv)
{
  obj_begin ();
  if (argc < 2)
    {
      sec_all (argc, argv);
      print_now ();
      return 0;
    }
  for (int i = 1; i < argc; i++)
    {
      const char *c = argv[i];
      const char *a = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDARG                                                                                                        \
  do                                                                                                                   \
    {                                                                                                                  \
      if (a == NULL)                                                                                                   \
        {                                                                                                              \
          fprintf (stderr, "probe: %s needs an argument\n", c);                                                        \
          return 2;                                                                                                    \
        }                                                                                                              \
      i++;                                                                                                             \
    }                                                                                                                  \
  while (0)
      if (strcmp (c, "all") == 0)
        sec_all (argc, argv);
      else if (strcmp (c, "proc") == 0)
        sec_proc (argc, argv);
      else if (strcmp (c, "ids") == 0)
        sec_ids ();
      else if (strcmp (c, "caps") == 0 || strcmp (c, "status") == 0)
        sec_status ();
      else if (strcmp (c, "rlimits") == 0)
        sec_rlimits ();
      else if (strcmp (c, "mounts") == 0)
        sec_mounts ();
      else if (strcmp (c, "devices") == 0)
        sec_devices ();
      else if (strcmp (c, "uts") == 0)
        sec_uts ();
      else if (strcmp (c, "cgroup") == 0)
        sec_file_lines ("cgroup", "/proc/self/cgroup");
      else if (strcmp (c, "fds") == 0)
        sec_fds ();
      else if (strcmp (c, "cwd") == 0)
        sec_cwd ();
      else if (strcmp (c, "env") == 0)
        sec_env ();
      else if (strcmp (c, "umask") == 0)
        sec_umask ();
      else if (strcmp (c, "oom") == 0)
        sec_oom ();
      else if (strcmp (c, "personality") == 0)
        sec_personality ();
      else if (strcmp (c, "sched") == 0)
        sec_sched ();
      else if (strcmp (c, "ioprio") == 0)
        sec_ioprio ();
      else if (strcmp (c, "affinity") == 0)
        sec_affinity ();
      else if (strcmp (c, "ns") == 0)
        sec_ns ();
      else if (strcmp (c, "clocks") == 0)
        sec_clocks ();
      else if (strcmp (c, "winsize") == 0)
        sec_winsize ();
      else if (strcmp (c, "mempolicy") == 0)
        sec_mempolicy ();
      else if (strcmp (c, "masked") == 0)
        {
          NEEDARG;
          capture (P_MASKED, a, do_masked);
        }
      else if (strcmp (c, "readonly") == 0)
        {
          NEEDARG;
          capture (P_READONLY, a, do_readonly);
        }
      else if (strcmp (c, "write") == 0)
        {
          NEEDARG;
          capture (P_WRITE, a, do_write);
        }
      else if (strcmp (c, "stat") == 0)
        {
          NEEDARG;
          capture (P_STAT, a, do_stat);
        }
      else if (strcmp (c, "cat") == 0)
        {
          NEEDARG;
          do_cat (a);
        }
      else if (strcmp (c, "sysctl") == 0)
        {
          NEEDARG;
          do_sysctl (a);
        }
      else if (strcmp (c, "syscall") == 0)
        {
          NEEDARG;
          do_syscall (a);
        }
      else if (strcmp (c, "print") == 0)
        print_now ();
      else if (strcmp (c, "sleep") == 0)
        {
          NEEDARG;
          print_now ();
          sleep ((unsigned) atoi (a));
        }
      else if (strcmp (c, "pause") == 0)
        {
          print_now ();
          signal (SIGTERM, on_term);
          signal (SIGINT, on_term);
          signal (SIGHUP, on_term);
          signal (SIGUSR1, on_term);
          signal (SIGUSR2, on_term);
          for (;;)
            pause ();
        }
      else if (strcmp (c, "exit") == 0)
        {
          NEEDARG;
          print_now ();
          return atoi (a);
        }
      else if (strcmp (c, "kill") == 0)
        {
          NEEDARG;
          print_now ();
          signal (atoi (a), SIG_DFL);
          kill (getpid (), atoi (a));
          return 125;
        }
      else
        {
          fprintf (stderr, "probe: unknown command '%s'\n", c);
          return 2;
        }
    }
  if (out_len > 1 || !printed_any)
    print_now ();
  return 0;
}
