/* The container process' own attributes (config.md#process, config-linux.md
 * #personality): user, umask, oomScoreAdj, scheduler, ioPriority,
 * personality, the session keyring, and the execve itself. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "caps.h"
#include "job.h"
#include "lsm.h"
#include "paths.h"
#include "process.h"
#include "utils.h"

struct sched_attr_
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static const struct
{
  const char *name;
  int value;
} sched_policies[] = { { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },      { "SCHED_BATCH", 3 },
                       { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 } },
  sched_flags[] = { { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
                    { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
                    { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
                    { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 } },
  ioprio_classes[] = { { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 } };

#define LOOKUP(table, nm)                                                                                              \
  ({                                                                                                                   \
    int v_ = -1;                                                                                                       \
    size_t i_;                                                                                                         \
    for (i_ = 0; i_ < ARRAY_SIZE (table); i_++)                                                                        \
      if (strcmp (table[i_].name, (nm)) == 0)                                                                          \
        v_ = table[i_].value;                                                                                          \
    v_;                                                                                                                \
  })

int
ocirun_process_validate (const oci_process *p, const char *where, ocirun_error_t *err)
{
  size_t i;
  if (p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
    return ocirun_make_error (err, 0, "%s.args: must contain at least the program to run", where);
  if (p->cwd == NULL || p->cwd[0] != '/')
    return ocirun_make_error (err, 0, "%s.cwd: must be an absolute path, got `%s`", where, p->cwd ? p->cwd : "");
  if (p->scheduler)
    {
      if (p->scheduler->policy == NULL || LOOKUP (sched_policies, p->scheduler->policy) < 0)
        return ocirun_make_error (err, 0, "%s.scheduler.policy: unknown policy `%s`", where,
                                  p->scheduler->policy ? p->scheduler->policy : "");
      for (i = 0; i < p->scheduler->flags_len; i++)
        if (LOOKUP (sched_flags, p->scheduler->flags[i]) < 0)
          return ocirun_make_error (err, 0, "%s.scheduler.flags[%zu]: unknown flag `%s`", where, i,
                                    p->scheduler->flags[i]);
    }
  if (p->io_priority)
    {
      if (p->io_priority->class_ == NULL || LOOKUP (ioprio_classes, p->io_priority->class_) < 0)
        return ocirun_make_error (err, 0, "%s.ioPriority.class: unknown class `%s`", where,
                                  p->io_priority->class_ ? p->io_priority->class_ : "");
      if (p->io_priority->priority < 0 || p->io_priority->priority > 7)
        return ocirun_make_error (err, 0, "%s.ioPriority.priority: must be between 0 and 7, got %d", where,
                                  p->io_priority->priority);
    }
  if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return ocirun_make_error (err, 0, "%s.oomScoreAdj: must be between -1000 and 1000, got %d", where,
                              p->oom_score_adj);
  for (i = 0; i < p->env_len; i++)
    if (strchr (p->env[i], '=') == NULL)
      return ocirun_make_error (err, 0, "%s.env[%zu]: `%s` is not of the form KEY=value", where, i, p->env[i]);
  if (ocirun_caps_validate (p->capabilities, where, err) < 0)
    return -1;
  if (ocirun_lsm_validate (p, where, err) < 0)
    return -1;
  return 0;
}

int
ocirun_process_prepare (const oci_process *p, ocirun_error_t *err)
{
  if (p->has_oom_score_adj)
    {
      char buf[16];
      int n = snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
      if (write_file_at (AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t) n, err) < 0)
        return ocirun_error_prefix (err, "process.oomScoreAdj");
    }
  if (p->scheduler)
    {
      struct sched_attr_ a = { .size = sizeof a };
      size_t i;
      a.sched_policy = (uint32_t) LOOKUP (sched_policies, p->scheduler->policy);
      a.sched_nice = p->scheduler->nice;
      a.sched_priority = (uint32_t) p->scheduler->priority;
      a.sched_runtime = p->scheduler->runtime;
      a.sched_deadline = p->scheduler->deadline;
      a.sched_period = p->scheduler->period;
      for (i = 0; i < p->scheduler->flags_len; i++)
        a.sched_flags |= (uint64_t) LOOKUP (sched_flags, p->scheduler->flags[i]);
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        {
          /* with RT group scheduling (cgroup v1 cpu.rt_runtime_us) a
           * cgroup starts without real-time budget, and the kernel refuses
           * SCHED_FIFO/RR in it: runc needs the budget set too */
          if (errno == EPERM && (a.sched_policy == 1 || a.sched_policy == 2))
            return ocirun_make_error (err, errno,
                                      "process.scheduler: sched_setattr %s (if the kernel has RT group "
                                      "scheduling, the container's cgroup needs a real-time budget: set "
                                      "linux.resources.cpu.realtimeRuntime)",
                                      p->scheduler->policy);
          return ocirun_make_error (err, errno, "process.scheduler: sched_setattr");
        }
    }
  if (p->io_priority)
    {
      int cls = LOOKUP (ioprio_classes, p->io_priority->class_);
      if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (cls << 13) | p->io_priority->priority) < 0)
        return ocirun_make_error (err, errno, "process.ioPriority: ioprio_set");
    }
  umask (p->user.has_umask ? (mode_t) p->user.umask : 022);
  return 0;
}

int
ocirun_personality_apply (const oci_linux *l, ocirun_error_t *err)
{
  unsigned long persona;
  if (l == NULL || l->personality == NULL)
    return 0;
  if (l->personality->domain == NULL || strcmp (l->personality->domain, "LINUX") == 0)
    persona = PER_LINUX;
  else if (strcmp (l->personality->domain, "LINUX32") == 0)
    persona = PER_LINUX32;
  else
    return ocirun_make_error (err, 0, "linux.personality.domain: unknown domain `%s`", l->personality->domain);
  if (personality (persona) < 0)
    return ocirun_make_error (err, errno, "linux.personality: personality");
  return 0;
}

/* process.user: groups, gid, uid.  Capabilities survive the uid change
 * (PR_SET_KEEPCAPS) so caps.c can set exactly the configured sets. */
int
ocirun_user_apply (const oci_process *p, ocirun_error_t *err)
{
  const oci_user *u = &p->user;
  if (setgroups (u->additional_gids_len, (const gid_t *) u->additional_gids) < 0)
    {
      /* in a user namespace with setgroups denied, only an empty list was ours to set */
      if (!(errno == EPERM && u->additional_gids_len == 0))
        return ocirun_make_error (err, errno, "process.user.additionalGids: setgroups");
    }
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return ocirun_make_error (err, errno, "process.user.gid: setgid to %u", u->gid);
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return ocirun_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return ocirun_make_error (err, errno, "process.user.uid: setuid to %u", u->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return ocirun_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

/* A session keyring of the container's own, so containers do not share the
 * host's (runc's behaviour; --no-new-keyring skips it). */
int
ocirun_keyring_new (const char *id, ocirun_error_t *err)
{
  cleanup_free char *name = NULL;
  long key;
  xasprintf (&name, "_ses.%s", id);
  key = syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0);
  if (key < 0)
    {
      if (errno == ENOSYS || errno == EACCES || errno == EPERM || errno == EDQUOT)
        {
          ocirun_debug ("no new session keyring: %s", strerror (errno));
          return 0;
        }
      return ocirun_make_error (err, errno, "create the session keyring");
    }
  /* possessor: all; user: view+read+write+search+link+setattr */
  syscall (SYS_keyctl, KEYCTL_SETPERM, key, 0x3f1f0000, 0, 0);
  return 0;
}

static const char *
env_get (const oci_process *p, const char *key)
{
  size_t i, l = strlen (key);
  for (i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], key, l) == 0 && p->env[i][l] == '=')
      return p->env[i] + l + 1;
  return NULL;
}

/* The home directory of `uid` from the container's /etc/passwd, "/" when
 * there is none (runc: user.GetExecUserPath with a default home of "/").
 * The file is opened inside the container's root (RESOLVE_IN_ROOT: a
 * symlinked /etc/passwd cannot point at the host's), never blocks (a FIFO
 * planted by the image) and is read up to a bound. */
static char *
passwd_home (uid_t uid)
{
  cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  ocirun_error_t tmp = NULL;
  size_t len = 0, cap = 0, i;
  struct stat sb;
  char *line, *save = NULL;

  if (root < 0)
    return xstrdup ("/");
  fd = ocirun_open_in_root (root, "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &tmp);
  ocirun_error_release (&tmp);
  if (fd < 0 || fstat (fd, &sb) < 0 || !S_ISREG (sb.st_mode))
    return xstrdup ("/");
  for (;;)
    {
      ssize_t r;
      if (len + 1 >= cap)
        {
          if (cap >= (4u << 20))
            break; /* a passwd file larger than 4 MiB: what we read so far */
          char *nb;
          cap = cap ? cap * 2 : 4096;
          nb = realloc (buf, cap);
          if (nb == NULL)
            break;
          buf = nb;
        }
      r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t) r;
    }
  if (buf == NULL)
    return xstrdup ("/");
  buf[len] = '\0';
  /* a NUL byte would end the text early: it ends a line instead */
  for (i = 0; i < len; i++)
    if (buf[i] == '\0')
      buf[i] = '\n';
  /* name:password:uid:gid:gecos:home:shell */
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[7], *q = line;
      long long v;
      int n;
      for (n = 0; n < 7 && q; n++)
        {
          f[n] = q;
          q = strchr (q, ':');
          if (q)
            *q++ = '\0';
        }
      if (n < 6 || parse_int64 (f[2], &v) < 0 || v != (long long) uid)
        continue;
      return xstrdup (*f[5] ? f[5] : "/");
    }
  return xstrdup ("/");
}

/* runc sets HOME, when process.env lacks it, to the home of process.user.uid
 * in the container's /etc/passwd (init and exec alike): callers (Docker,
 * image builds) rely on it.  After the container's root is ours, before
 * any privilege is dropped. */
void
ocirun_process_default_home (oci_process *p)
{
  cleanup_free char *home = NULL;
  cleanup_free char *kv = NULL;
  if (env_get (p, "HOME") != NULL)
    return;
  home = passwd_home (p->user.uid);
  xasprintf (&kv, "HOME=%s", home);
  ocirun_process_setenv (p, kv);
}

/* Resolve process.args[0] the way execvp would, with the container's PATH,
 * so a missing program is reported by `create`, not lost after it. */
char *
ocirun_find_executable (const oci_process *p, ocirun_error_t *err)
{
  const char *name = p->args[0];
  const char *path = env_get (p, "PATH");
  cleanup_free char *dup = NULL;
  char *save = NULL, *dir;
  struct stat sb;

  if (strchr (name, '/'))
    {
      if (stat (name, &sb) < 0)
        return ocirun_make_error (err, errno, "process.args[0]: `%s`", name), NULL;
      if (S_ISDIR (sb.st_mode))
        return ocirun_make_error (err, EISDIR, "process.args[0]: `%s`", name), NULL;
      /* execve(2) refuses a file no one may execute, root included: say so
       * now, as runc does, or `create` succeeds and the error only shows as
       * a failed `start` (podman: "`ocirun start ID` failed: exit status 1") */
      if (!S_ISREG (sb.st_mode) || (sb.st_mode & 0111) == 0)
        return ocirun_make_error (err, EACCES, "process.args[0]: `%s`", name), NULL;
      return xstrdup (name);
    }
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  dup = xstrdup (path);
  for (dir = strtok_r (dup, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *full = NULL;
      xasprintf (&full, "%s/%s", *dir ? dir : ".", name);
      if (stat (full, &sb) == 0 && S_ISREG (sb.st_mode) && (sb.st_mode & 0111))
        return full;
      free (full);
    }
  ocirun_make_error (err, 0, "process.args[0]: `%s`: executable file not found in $PATH", name);
  return NULL;
}

int
ocirun_exec_process (const oci_process *p, const char *path, ocirun_error_t *err)
{
  cleanup_free char **argv = xmalloc0 ((p->args_len + 1) * sizeof (char *));
  cleanup_free char **envp = xmalloc0 ((p->env_len + 1) * sizeof (char *));
  size_t i;
  for (i = 0; i < p->args_len; i++)
    argv[i] = p->args[i];
  for (i = 0; i < p->env_len; i++)
    envp[i] = p->env[i];
  execve (path, argv, envp);
  return ocirun_make_error (err, errno, "exec `%s`", path);
}

/* ---- linux.memoryPolicy (runtime-spec 1.3): set_mempolicy(2) ---- */

static const struct
{
  const char *name;
  int value;
} mpol_modes[] = { { "MPOL_DEFAULT", 0 },
                   { "MPOL_PREFERRED", 1 },
                   { "MPOL_BIND", 2 },
                   { "MPOL_INTERLEAVE", 3 },
                   { "MPOL_LOCAL", 4 },
                   { "MPOL_PREFERRED_MANY", 5 },
                   { "MPOL_WEIGHTED_INTERLEAVE", 6 } },
  mpol_flags[] = { { "MPOL_F_NUMA_BALANCING", 1 << 13 },
                   { "MPOL_F_RELATIVE_NODES", 1 << 14 },
                   { "MPOL_F_STATIC_NODES", 1 << 15 } };

#define MAX_NODES 1024

/* "0-3,7" -> bitmask */
static int
parse_list (const char *list, unsigned long *mask, size_t bits)
{
  cleanup_free char *dup = xstrdup (list);
  char *save = NULL, *tok;
  for (tok = strtok_r (dup, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *dash = strchr (tok, '-'), *end;
      unsigned long a, b;
      a = strtoul (tok, &end, 10);
      if (end == tok || (dash == NULL && *end) || (dash && end != dash))
        return -1;
      b = a;
      if (dash)
        {
          b = strtoul (dash + 1, &end, 10);
          if (end == dash + 1 || *end || b < a)
            return -1;
        }
      if (b >= bits)
        return -1;
      for (; a <= b; a++)
        mask[a / (8 * sizeof (unsigned long))] |= 1UL << (a % (8 * sizeof (unsigned long)));
    }
  return 0;
}

int
ocirun_memory_policy_validate (const oci_linux *l, ocirun_error_t *err)
{
  unsigned long mask[MAX_NODES / (8 * sizeof (unsigned long))] = { 0 };
  size_t i;
  if (l == NULL || l->memory_policy == NULL)
    return 0;
  if (LOOKUP (mpol_modes, l->memory_policy->mode) < 0)
    return ocirun_make_error (err, 0, "linux.memoryPolicy.mode: unknown mode `%s`", l->memory_policy->mode);
  for (i = 0; i < l->memory_policy->flags_len; i++)
    if (LOOKUP (mpol_flags, l->memory_policy->flags[i]) < 0)
      return ocirun_make_error (err, 0, "linux.memoryPolicy.flags[%zu]: unknown flag `%s`", i,
                                l->memory_policy->flags[i]);
  if (l->memory_policy->nodes && *l->memory_policy->nodes && parse_list (l->memory_policy->nodes, mask, MAX_NODES) < 0)
    return ocirun_make_error (err, 0, "linux.memoryPolicy.nodes: invalid node list `%s`", l->memory_policy->nodes);
  return 0;
}

int
ocirun_memory_policy_apply (const oci_linux *l, ocirun_error_t *err)
{
  unsigned long mask[MAX_NODES / (8 * sizeof (unsigned long))] = { 0 };
  int mode;
  size_t i;
  bool have_nodes;
  if (l == NULL || l->memory_policy == NULL)
    return 0;
  mode = LOOKUP (mpol_modes, l->memory_policy->mode);
  for (i = 0; i < l->memory_policy->flags_len; i++)
    mode |= LOOKUP (mpol_flags, l->memory_policy->flags[i]);
  have_nodes = l->memory_policy->nodes && *l->memory_policy->nodes;
  if (have_nodes)
    parse_list (l->memory_policy->nodes, mask, MAX_NODES);
  if (syscall (SYS_set_mempolicy, mode, have_nodes ? mask : NULL, have_nodes ? (unsigned long) MAX_NODES : 0UL) < 0)
    return ocirun_make_error (err, errno, "linux.memoryPolicy: set_mempolicy `%s`", l->memory_policy->mode);
  return 0;
}

/* ---- process.execCPUAffinity (runtime-spec 1.2) ---- */

int
ocirun_cpu_affinity_validate (const oci_process *p, const char *where, ocirun_error_t *err)
{
  unsigned long mask[CPU_SETSIZE / (8 * sizeof (unsigned long))] = { 0 };
  if (p->exec_cpu_affinity == NULL)
    return 0;
  if (p->exec_cpu_affinity->initial && parse_list (p->exec_cpu_affinity->initial, mask, CPU_SETSIZE) < 0)
    return ocirun_make_error (err, 0, "%s.execCPUAffinity.initial: invalid CPU list `%s`", where,
                              p->exec_cpu_affinity->initial);
  if (p->exec_cpu_affinity->final && parse_list (p->exec_cpu_affinity->final, mask, CPU_SETSIZE) < 0)
    return ocirun_make_error (err, 0, "%s.execCPUAffinity.final: invalid CPU list `%s`", where,
                              p->exec_cpu_affinity->final);
  return 0;
}

/* which: the "initial" list (before the cgroup) or the "final" one */
int
ocirun_cpu_affinity_apply (const oci_process *p, bool final, ocirun_error_t *err)
{
  cpu_set_t set;
  const char *list;
  if (p->exec_cpu_affinity == NULL)
    return 0;
  list = final ? p->exec_cpu_affinity->final : p->exec_cpu_affinity->initial;
  if (list == NULL || *list == '\0')
    return 0;
  CPU_ZERO (&set);
  if (parse_list (list, (unsigned long *) &set, CPU_SETSIZE) < 0)
    return ocirun_make_error (err, 0, "execCPUAffinity: invalid CPU list `%s`", list);
  if (sched_setaffinity (0, sizeof set, &set) < 0)
    return ocirun_make_error (err, errno, "execCPUAffinity.%s: sched_setaffinity `%s`", final ? "final" : "initial",
                              list);
  return 0;
}

/* KEY=value: replace an existing KEY or append */
void
ocirun_process_setenv (oci_process *p, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t) (eq - kv) : strlen (kv), i;
  for (i = 0; i < p->env_len; i++)
    if (strncmp (p->env[i], kv, klen) == 0 && p->env[i][klen] == '=')
      {
        free (p->env[i]);
        p->env[i] = xstrdup (kv);
        return;
      }
  p->env = xrealloc (p->env, (p->env_len + 2) * sizeof (char *));
  p->env[p->env_len++] = xstrdup (kv);
  p->env[p->env_len] = NULL;
}
