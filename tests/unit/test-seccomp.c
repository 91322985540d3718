/* Unit tests for src/libocirun/seccomp.c.  Filters are installed in forked
 * children and their effects observed from the parent.  Profiles are built
 * as C structs (the JSON parser is separate); the big default profile is
 * read from tests/data/seccomp-default.json with yajl_tree. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "seccomp.h"
#include "utils.h"

static char tmpdir[] = "/tmp/ocirun-test-seccomp-XXXXXX";

static const char *
jstr (yajl_val v)
{
  const char *r = YAJL_GET_STRING (v);
  return r ? r : "";
}

/* ---- profile builders ---------------------------------------------------- */

static oci_seccomp *
profile_new (const char *default_action)
{
  oci_seccomp *s = xmalloc0 (sizeof *s);
  s->default_action = xstrdup (default_action);
  return s;
}

static char **
strv_append (char **v, size_t *len, const char *s)
{
  v = realloc (v, (*len + 1) * sizeof *v);
  v[(*len)++] = xstrdup (s);
  return v;
}

/* names: NULL-terminated varargs */
static oci_seccomp_syscall *
add_syscall (oci_seccomp *s, const char *action, ...)
{
  oci_seccomp_syscall *sc;
  const char *n;
  va_list ap;

  s->syscalls = realloc (s->syscalls, (s->syscalls_len + 1) * sizeof *s->syscalls);
  sc = &s->syscalls[s->syscalls_len++];
  memset (sc, 0, sizeof *sc);
  sc->action = xstrdup (action);
  va_start (ap, action);
  while ((n = va_arg (ap, const char *)) != NULL)
    sc->names = strv_append (sc->names, &sc->names_len, n);
  va_end (ap);
  return sc;
}

static void
add_arg (oci_seccomp_syscall *sc, uint32_t index, const char *op, uint64_t value, bool has_two, uint64_t two)
{
  oci_seccomp_arg *a;
  sc->args = realloc (sc->args, (sc->args_len + 1) * sizeof *sc->args);
  a = &sc->args[sc->args_len++];
  a->index = index;
  a->op = xstrdup (op);
  a->value = value;
  a->has_value_two = has_two;
  a->value_two = two;
}

static void
set_errno (oci_seccomp_syscall *sc, uint32_t e)
{
  sc->has_errno_ret = true;
  sc->errno_ret = e;
}

static void
profile_free (oci_seccomp *s)
{
  size_t i, j;
  if (s == NULL)
    return;
  for (i = 0; i < s->syscalls_len; i++)
    {
      for (j = 0; j < s->syscalls[i].names_len; j++)
        free (s->syscalls[i].names[j]);
      free (s->syscalls[i].names);
      for (j = 0; j < s->syscalls[i].args_len; j++)
        free (s->syscalls[i].args[j].op);
      free (s->syscalls[i].args);
      free (s->syscalls[i].action);
    }
  free (s->syscalls);
  for (i = 0; i < s->architectures_len; i++)
    free (s->architectures[i]);
  free (s->architectures);
  for (i = 0; i < s->flags_len; i++)
    free (s->flags[i]);
  free (s->flags);
  free (s->default_action);
  free (s->listener_path);
  free (s->listener_metadata);
  free (s);
}

/* Minimal reader for the tests/data profiles (the real parser lives in libocispec). */
static oci_seccomp *
profile_load (const char *path)
{
  static const char *p_default[] = { "defaultAction", NULL };
  static const char *p_errno[] = { "defaultErrnoRet", NULL };
  static const char *p_archs[] = { "architectures", NULL };
  static const char *p_syscalls[] = { "syscalls", NULL };
  static const char *p_names[] = { "names", NULL };
  static const char *p_action[] = { "action", NULL };
  static const char *p_errnoret[] = { "errnoRet", NULL };
  static const char *p_args[] = { "args", NULL };
  static const char *p_index[] = { "index", NULL };
  static const char *p_value[] = { "value", NULL };
  static const char *p_value2[] = { "valueTwo", NULL };
  static const char *p_op[] = { "op", NULL };
  ocirun_error_t err = NULL;
  char *text = NULL, errbuf[256];
  yajl_val root, v, scs;
  oci_seccomp *s;
  size_t i, j;

  if (read_all_file (path, &text, NULL, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      ocirun_error_release (&err);
      return NULL;
    }
  root = yajl_tree_parse (text, errbuf, sizeof errbuf);
  free (text);
  if (root == NULL)
    {
      fprintf (stderr, "%s: %s\n", path, errbuf);
      return NULL;
    }
  s = profile_new (YAJL_GET_STRING (yajl_tree_get (root, p_default, yajl_t_string)));
  if ((v = yajl_tree_get (root, p_errno, yajl_t_number)))
    {
      s->has_default_errno_ret = true;
      s->default_errno_ret = (uint32_t) YAJL_GET_INTEGER (v);
    }
  if ((v = yajl_tree_get (root, p_archs, yajl_t_array)))
    for (i = 0; i < v->u.array.len; i++)
      s->architectures = strv_append (s->architectures, &s->architectures_len, YAJL_GET_STRING (v->u.array.values[i]));
  scs = yajl_tree_get (root, p_syscalls, yajl_t_array);
  for (i = 0; scs && i < scs->u.array.len; i++)
    {
      yajl_val o = scs->u.array.values[i], names, args;
      oci_seccomp_syscall *sc = add_syscall (s, YAJL_GET_STRING (yajl_tree_get (o, p_action, yajl_t_string)), NULL);
      names = yajl_tree_get (o, p_names, yajl_t_array);
      for (j = 0; names && j < names->u.array.len; j++)
        sc->names = strv_append (sc->names, &sc->names_len, YAJL_GET_STRING (names->u.array.values[j]));
      if ((v = yajl_tree_get (o, p_errnoret, yajl_t_number)))
        set_errno (sc, (uint32_t) YAJL_GET_INTEGER (v));
      args = yajl_tree_get (o, p_args, yajl_t_array);
      for (j = 0; args && j < args->u.array.len; j++)
        {
          yajl_val a = args->u.array.values[j], two = yajl_tree_get (a, p_value2, yajl_t_number);
          add_arg (sc, (uint32_t) YAJL_GET_INTEGER (yajl_tree_get (a, p_index, yajl_t_number)),
                   YAJL_GET_STRING (yajl_tree_get (a, p_op, yajl_t_string)),
                   strtoull (YAJL_GET_NUMBER (yajl_tree_get (a, p_value, yajl_t_number)), NULL, 10), two != NULL,
                   two ? strtoull (YAJL_GET_NUMBER (two), NULL, 10) : 0);
        }
    }
  yajl_tree_free (root);
  return s;
}

/* ---- helpers -------------------------------------------------------------- */

static ocirun_seccomp_filter *
compile_ok (const oci_seccomp *s, const char *cache_dir, const char *what)
{
  ocirun_seccomp_filter *f = NULL;
  ocirun_error_t err = NULL;
  if (ocirun_seccomp_compile (s, cache_dir, &f, &err) < 0)
    {
      CHECK (0, "%s: compile: %s", what, err->msg);
      ocirun_error_release (&err);
      return NULL;
    }
  return f;
}

/* Expect compile to fail with exactly `msg`. */
static void
compile_fails (const oci_seccomp *s, const char *msg)
{
  ocirun_seccomp_filter *f = NULL;
  ocirun_error_t err = NULL;
  int ret = ocirun_seccomp_compile (s, NULL, &f, &err);
  CHECK (ret < 0 && f == NULL && err && strcmp (err->msg, msg) == 0, "expected \"%s\", got \"%s\"", msg,
         err ? err->msg : "(success)");
  ocirun_error_release (&err);
  ocirun_seccomp_filter_free (f);
}

typedef int (*child_fn) (void *);

/* Fork; the child sets no_new_privs, installs f and returns fn's exit code.
 * Returns the raw wait status. */
static int
run_filtered (ocirun_seccomp_filter *f, child_fn fn, void *arg)
{
  int status = -1;
  pid_t pid;

  fflush (NULL);
  pid = fork ();
  if (pid == 0)
    {
      ocirun_error_t err = NULL;
      int lfd;
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit (120);
      if (ocirun_seccomp_install (f, &lfd, &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (121);
        }
      _exit (fn (arg));
    }
  waitpid (pid, &status, 0);
  return status;
}

#define EXITED_OK(st) (WIFEXITED (st) && WEXITSTATUS (st) == 0)

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* getppid ignores its arguments, but seccomp sees them: ideal for operators. */
static long
probe (unsigned long a0, unsigned long a1)
{
  return syscall (SYS_getppid, a0, a1, 0, 0, 0, 0);
}

/* 0 = allowed, 1 = EXDEV, 2 = other */
static int
probe_result (unsigned long a0, unsigned long a1)
{
  long r = probe (a0, a1);
  if (r == getppid ())
    return 0;
  if (r == -1 && errno == EXDEV)
    return 1;
  return 2;
}

/* ---- tests ----------------------------------------------------------------- */

static void
test_sha256_vectors (void)
{
  static const struct
  {
    const char *in;
    const char *hex;
  } v[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (v); i++)
    {
      uint8_t out[32];
      char hex[65];
      int k;
      ocirun_sha256 (v[i].in, strlen (v[i].in), out);
      for (k = 0; k < 32; k++)
        sprintf (hex + 2 * k, "%02x", out[k]);
      CHECK (strcmp (hex, v[i].hex) == 0, "sha256(\"%s\") = %s", v[i].in, hex);
    }
  {
    /* one million 'a': exercises many blocks */
    char *m = malloc (1000000);
    uint8_t out[32];
    memset (m, 'a', 1000000);
    ocirun_sha256 (m, 1000000, out);
    CHECK (out[0] == 0xcd && out[1] == 0xc7 && out[31] == 0xd0, "sha256(a*1e6)");
    free (m);
  }
}

/* The known answers with the rounds picked at run time (SHA-NI where the
 * CPU has it) and with the portable ones; and both agree on every length
 * and alignment around the block size and on a long input. */
static void
test_sha256 (void)
{
  uint8_t *buf = malloc (100003);
  size_t len, off;
  int bad = 0;

  test_sha256_vectors ();
  ocirun_sha256_force_portable (true);
  test_sha256_vectors ();
  ocirun_sha256_force_portable (false);

  for (len = 0; len < 100003; len++)
    buf[len] = (uint8_t) (len * 2654435761u >> 13);
  for (off = 0; off < 4; off++)
    for (len = 0; len <= 300 + off * 100000 / 4; len += len < 300 ? 1 : 24999)
      {
        uint8_t a[32], b[32];
        ocirun_sha256 (buf + off, len, a);
        ocirun_sha256_force_portable (true);
        ocirun_sha256 (buf + off, len, b);
        ocirun_sha256_force_portable (false);
        if (memcmp (a, b, 32) != 0)
          bad++;
      }
  CHECK (bad == 0, "sha256: the fast and the portable rounds agree (%d lengths differ)", bad);
  free (buf);
}

static int
child_mkdir_exdev (void *arg)
{
  char path[256];
  snprintf (path, sizeof path, "%s/should-not-exist", tmpdir);
  if (mkdir (path, 0700) == 0 || errno != EXDEV)
    return 1;
  if (syscall (SYS_mkdirat, AT_FDCWD, path, 0700) == 0 || errno != EXDEV)
    return 2;
  if (access (path, F_OK) == 0)
    return 3;
  return getpid () > 0 ? 0 : 4;
}

static void
test_errno (void)
{
  oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
  oci_seccomp_syscall *sc = add_syscall (s, "SCMP_ACT_ERRNO", "this_syscall_does_not_exist", "mkdir", "mkdirat", NULL);
  ocirun_seccomp_filter *f;
  int st;

  set_errno (sc, EXDEV);
  f = compile_ok (s, NULL, "errno");
  if (f)
    {
      st = run_filtered (f, child_mkdir_exdev, NULL);
      CHECK (EXITED_OK (st), "mkdir -> EXDEV, unknown name skipped: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);
}

/* Names of other architectures only (with just the native one in the
 * filter) and names nobody knows are not errors. */
static void
test_foreign_names (void)
{
  oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
  ocirun_seccomp_filter *f;
  int st;

  set_errno (add_syscall (s, "SCMP_ACT_ERRNO", "chown32", "socketcall", "arm_fadvise64_64", "no_such_call", "mkdir",
                          "mkdirat", NULL),
             EXDEV);
  f = compile_ok (s, NULL, "foreign names");
  if (f)
    {
      st = run_filtered (f, child_mkdir_exdev, NULL);
      CHECK (EXITED_OK (st), "foreign names skipped, mkdir blocked: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);
}

static int
child_getppid (void *arg)
{
  syscall (SYS_getppid);
  return 0;
}

static int trap_nr = -1;
static void
on_sigsys (int sig, siginfo_t *si, void *uc)
{
  trap_nr = si->si_syscall;
}

static int
child_trap_handled (void *arg)
{
  struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
  sigaction (SIGSYS, &sa, NULL);
  syscall (SYS_getppid);
  return trap_nr == SYS_getppid ? 0 : 1;
}

static void
test_kill_trap (void)
{
  static const char *acts[] = { "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP" };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (acts); i++)
    {
      oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
      ocirun_seccomp_filter *f;
      add_syscall (s, acts[i], "getppid", NULL);
      f = compile_ok (s, NULL, acts[i]);
      if (f)
        {
          int st = run_filtered (f, child_getppid, NULL);
          CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGSYS, "%s: status 0x%x", acts[i], st);
          if (strcmp (acts[i], "SCMP_ACT_TRAP") == 0)
            {
              st = run_filtered (f, child_trap_handled, NULL);
              CHECK (EXITED_OK (st), "TRAP delivers SIGSYS with si_syscall: status 0x%x", st);
            }
        }
      ocirun_seccomp_filter_free (f);
      profile_free (s);
    }
}

static int
child_allowed (void *arg)
{
  return syscall (SYS_getppid) == getppid () ? 0 : 1;
}

static int
child_trace_no_tracer (void *arg)
{
  /* no tracer attached: the kernel fails the syscall with ENOSYS */
  return (probe (0, 0) == -1 && errno == ENOSYS) ? 0 : 1;
}

static void
test_log_allow_trace (void)
{
  oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
  ocirun_seccomp_filter *f;
  int st;

  add_syscall (s, "SCMP_ACT_LOG", "getppid", NULL);
  add_syscall (s, "SCMP_ACT_ALLOW", "getpid", NULL); /* == default: skipped */
  f = compile_ok (s, NULL, "log");
  if (f)
    {
      st = run_filtered (f, child_allowed, NULL);
      CHECK (EXITED_OK (st), "LOG allows: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);

  s = profile_new ("SCMP_ACT_LOG");
  add_syscall (s, "SCMP_ACT_ALLOW", "getppid", NULL);
  f = compile_ok (s, NULL, "default log");
  if (f)
    {
      st = run_filtered (f, child_allowed, NULL);
      CHECK (EXITED_OK (st), "default LOG: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  set_errno (add_syscall (s, "SCMP_ACT_TRACE", "getppid", NULL), 42);
  f = compile_ok (s, NULL, "trace");
  if (f)
    {
      st = run_filtered (f, child_trace_no_tracer, NULL);
      CHECK (EXITED_OK (st), "TRACE without tracer -> ENOSYS: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);
}

struct op_case
{
  const char *op;
  uint64_t value, value_two;
  unsigned long blocked, allowed;
};

static int
child_op (void *arg)
{
  const struct op_case *c = arg;
  if (probe_result (c->blocked, 0) != 1)
    return 1;
  if (probe_result (c->allowed, 0) != 0)
    return 2;
  return 0;
}

static void
test_operators (void)
{
  static const struct op_case cases[] = {
    { "SCMP_CMP_EQ", 5, 0, 5, 6 },
    { "SCMP_CMP_NE", 5, 0, 6, 5 },
    { "SCMP_CMP_LT", 5, 0, 4, 5 },
    { "SCMP_CMP_LE", 5, 0, 5, 6 },
    { "SCMP_CMP_GE", 5, 0, 5, 4 },
    { "SCMP_CMP_GT", 5, 0, 6, 5 },
    { "SCMP_CMP_MASKED_EQ", 0xf0, 0x30, 0x35, 0x45 },
    { "SCMP_CMP_EQ", 0x100000000ULL, 0, 0x100000000UL, 0 }, /* 64-bit datum */
    { "SCMP_CMP_GT", 0xffffffffULL, 0, 0x100000000UL, 0xffffffffUL },
  };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (cases); i++)
    {
      oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
      oci_seccomp_syscall *sc = add_syscall (s, "SCMP_ACT_ERRNO", "getppid", NULL);
      ocirun_seccomp_filter *f;
      set_errno (sc, EXDEV);
      add_arg (sc, 0, cases[i].op, cases[i].value, true, cases[i].value_two);
      f = compile_ok (s, NULL, cases[i].op);
      if (f)
        {
          int st = run_filtered (f, child_op, (void *) &cases[i]);
          CHECK (EXITED_OK (st), "%s %#" PRIx64 ": status 0x%x", cases[i].op, cases[i].value, st);
        }
      ocirun_seccomp_filter_free (f);
      profile_free (s);
    }
}

static int
child_same_index (void *arg)
{
  /* arg0 == 1 OR arg0 == 2 */
  return (probe_result (1, 0) == 1 && probe_result (2, 0) == 1 && probe_result (3, 0) == 0) ? 0 : 1;
}

static int
child_and (void *arg)
{
  /* arg0 == 1 AND arg1 == 2 */
  return (probe_result (1, 2) == 1 && probe_result (1, 3) == 0 && probe_result (0, 2) == 0) ? 0 : 1;
}

static int
child_personality (void *arg)
{
  /* allowed only for the query value 0xffffffff */
  if (personality (0xffffffff) < 0)
    return 1;
  if (personality (PER_LINUX | ADDR_NO_RANDOMIZE) != -1 || errno != EXDEV)
    return 2;
  return 0;
}

static void
test_multiple_args (void)
{
  oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
  oci_seccomp_syscall *sc = add_syscall (s, "SCMP_ACT_ERRNO", "getppid", NULL);
  ocirun_seccomp_filter *f;
  int st;

  set_errno (sc, EXDEV);
  add_arg (sc, 0, "SCMP_CMP_EQ", 1, false, 0);
  add_arg (sc, 0, "SCMP_CMP_EQ", 2, false, 0);
  f = compile_ok (s, NULL, "same index");
  if (f)
    {
      st = run_filtered (f, child_same_index, NULL);
      CHECK (EXITED_OK (st), "same index -> OR: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  sc = add_syscall (s, "SCMP_ACT_ERRNO", "getppid", NULL);
  set_errno (sc, EXDEV);
  add_arg (sc, 0, "SCMP_CMP_EQ", 1, false, 0);
  add_arg (sc, 1, "SCMP_CMP_EQ", 2, false, 0);
  f = compile_ok (s, NULL, "and");
  if (f)
    {
      st = run_filtered (f, child_and, NULL);
      CHECK (EXITED_OK (st), "different indexes -> AND: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  sc = add_syscall (s, "SCMP_ACT_ERRNO", "personality", NULL);
  set_errno (sc, EXDEV);
  add_arg (sc, 0, "SCMP_CMP_NE", 0xffffffff, false, 0);
  f = compile_ok (s, NULL, "personality");
  if (f)
    {
      st = run_filtered (f, child_personality, NULL);
      CHECK (EXITED_OK (st), "personality(0xffffffff) allowed, others EXDEV: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);
}

static void
test_errors (void)
{
  oci_seccomp *s;

  s = profile_new ("SCMP_ACT_ALLOW");
  add_syscall (s, "SCMP_ACT_ERRNO", "mkdir", NULL);
  add_syscall (s, "SCMP_ACT_FOO", "rmdir", NULL);
  compile_fails (s, "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
  profile_free (s);

  s = profile_new ("SCMP_ACT_BAR");
  compile_fails (s, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\"");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  add_arg (add_syscall (s, "SCMP_ACT_ERRNO", "mkdir", NULL), 0, "SCMP_CMP_XX", 1, false, 0);
  compile_fails (s, "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  add_arg (add_syscall (s, "SCMP_ACT_ERRNO", "mkdir", NULL), 6, "SCMP_CMP_EQ", 1, false, 0);
  compile_fails (s, "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  s->architectures = strv_append (s->architectures, &s->architectures_len, "SCMP_ARCH_X86_64");
  s->architectures = strv_append (s->architectures, &s->architectures_len, "SCMP_ARCH_VAX");
  compile_fails (s, "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  s->flags = strv_append (s->flags, &s->flags_len, "SECCOMP_FILTER_FLAG_LOG");
  s->flags = strv_append (s->flags, &s->flags_len, "SECCOMP_FILTER_FLAG_FOO");
  compile_fails (s, "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  set_errno (add_syscall (s, "SCMP_ACT_KILL", "mkdir", NULL), 1);
  compile_fails (s,
                 "linux.seccomp.syscalls[0].errnoRet: not supported with action \"SCMP_ACT_KILL\" (only SCMP_ACT_ERRNO "
                 "and SCMP_ACT_TRACE)");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  s->has_default_errno_ret = true;
  s->default_errno_ret = 1;
  compile_fails (s,
                 "linux.seccomp.defaultErrnoRet: not supported with action \"SCMP_ACT_ALLOW\" (only SCMP_ACT_ERRNO and "
                 "SCMP_ACT_TRACE)");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  set_errno (add_syscall (s, "SCMP_ACT_ERRNO", "mkdir", NULL), 70000);
  compile_fails (s, "linux.seccomp.syscalls[0].errnoRet: 70000 does not fit in 16 bits");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  add_syscall (s, "SCMP_ACT_NOTIFY", "mkdir", NULL);
  compile_fails (s, "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
  s->listener_path = xstrdup ("/run/agent.sock");
  add_syscall (s, "SCMP_ACT_NOTIFY", "getpid", "write", NULL);
  compile_fails (s,
                 "linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY cannot be used for \"write\" (the runtime needs "
                 "it to hand over the listener fd)");
  profile_free (s);

  s = profile_new ("SCMP_ACT_NOTIFY");
  s->listener_path = xstrdup ("/run/agent.sock");
  compile_fails (s, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  s->listener_metadata = xstrdup ("x");
  compile_fails (s, "linux.seccomp.listenerMetadata: must not be set without listenerPath");
  profile_free (s);

  s = profile_new ("SCMP_ACT_ALLOW");
  add_syscall (s, "SCMP_ACT_ERRNO", NULL);
  compile_fails (s, "linux.seccomp.syscalls[0].names: must contain at least one entry");
  profile_free (s);

  compile_fails (NULL, "linux.seccomp: missing");

  /* an install failure is reported, not fatal */
  {
    ocirun_error_t err = NULL;
    int lfd = 5;
    CHECK (ocirun_seccomp_install (NULL, &lfd, &err) < 0 && lfd == -1 && err, "install(NULL)");
    ocirun_error_release (&err);
  }
}

/* Without no_new_privs and without CAP_SYS_ADMIN the kernel says EACCES. */
static int
install_without_nnp (ocirun_seccomp_filter *f)
{
  int st = -1;
  pid_t pid;

  fflush (NULL);
  pid = fork ();
  if (pid == 0)
    {
      ocirun_error_t err = NULL;
      int lfd;
      /* leaving uid 0 clears the effective capabilities */
      if (setresgid (65534, 65534, 65534) < 0 || setresuid (65534, 65534, 65534) < 0)
        _exit (10);
      if (ocirun_seccomp_install (f, &lfd, &err) == 0)
        _exit (1);
      if (err->status != EACCES || strstr (err->msg, "no_new_privs") == NULL)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (2);
        }
      _exit (0);
    }
  waitpid (pid, &st, 0);
  return st;
}

static int
child_getppid_works (void *arg)
{
  return syscall (SYS_getppid) == getppid () ? 0 : 1;
}

static void
test_flags_and_install (void)
{
  struct ocirun_seccomp_features feat;
  oci_seccomp *s;
  ocirun_seccomp_filter *f;
  size_t i, n;
  int st;

  ocirun_seccomp_features (&feat);
  CHECK (feat.enabled, "features.enabled");
  for (n = 0; feat.known_flags[n]; n++)
    ;
  CHECK (n == 4, "4 known flags, got %zu", n);
  for (n = 0; feat.actions[n]; n++)
    ;
  CHECK (n == 9, "9 actions, got %zu", n);
  for (n = 0; feat.operators[n]; n++)
    ;
  CHECK (n == 7, "7 operators, got %zu", n);
  for (n = 0; feat.archs[n]; n++)
    ;
  CHECK (n >= 19, "archs, got %zu", n);
  printf ("# supportedFlags:");
  for (n = 0; feat.supported_flags[n]; n++)
    printf (" %s", feat.supported_flags[n]);
  printf ("\n");

  s = profile_new ("SCMP_ACT_ALLOW");
  for (i = 0; feat.supported_flags[i]; i++)
    s->flags = strv_append (s->flags, &s->flags_len, feat.supported_flags[i]);
  add_syscall (s, "SCMP_ACT_ERRNO", "mkdir", NULL);
  f = compile_ok (s, NULL, "flags");
  if (f)
    {
      /* WAIT_KILLABLE_RECV is dropped without a NOTIFY rule; the rest go to seccomp(2) */
      st = run_filtered (f, child_getppid_works, NULL);
      CHECK (EXITED_OK (st), "install with all supported flags: status 0x%x", st);
      st = install_without_nnp (f);
      CHECK (EXITED_OK (st), "without no_new_privs/CAP_SYS_ADMIN -> EACCES: status 0x%x", st);
    }
  ocirun_seccomp_filter_free (f);
  profile_free (s);
}

/* ---- NOTIFY ----------------------------------------------------------------- */

static int
send_fd (int sock, int fd)
{
  char c = 'x';
  struct iovec iov = { .iov_base = &c, .iov_len = 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof fd);
  return sendmsg (sock, &mh, 0) == 1 ? 0 : -1;
}

/* Receives up to `cap` bytes and one fd (or -1). */
static ssize_t
recv_with_fd (int sock, char *buf, size_t cap, int *fd)
{
  struct iovec iov = { .iov_base = buf, .iov_len = cap };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm;
  ssize_t r = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  *fd = -1;
  if (r >= 0 && (cm = CMSG_FIRSTHDR (&mh)) && cm->cmsg_type == SCM_RIGHTS)
    memcpy (fd, CMSG_DATA (cm), sizeof *fd);
  return r;
}

static void
test_notify (void)
{
  struct ocirun_seccomp_features feat;
  oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
  ocirun_seccomp_filter *f;
  int sv[2], i;
  bool killable = false;

  ocirun_seccomp_features (&feat);
  for (i = 0; feat.supported_flags[i]; i++)
    if (strcmp (feat.supported_flags[i], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
      killable = true;

  add_syscall (s, "SCMP_ACT_NOTIFY", "getppid", NULL);
  s->listener_path = xstrdup ("/run/unused-agent.sock");
  /* TSYNC with a listener needs TSYNC_ESRCH, added by compile */
  s->flags = strv_append (s->flags, &s->flags_len, "SECCOMP_FILTER_FLAG_TSYNC");
  if (killable)
    s->flags = strv_append (s->flags, &s->flags_len, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  f = compile_ok (s, NULL, "notify");
  if (f == NULL || socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    {
      ocirun_seccomp_filter_free (f);
      profile_free (s);
      return;
    }

  fflush (NULL);
  pid_t pid = fork ();
  if (pid == 0)
    {
      ocirun_error_t err = NULL;
      int lfd = -1;
      close (sv[0]);
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit (120);
      if (ocirun_seccomp_install (f, &lfd, &err) < 0)
        {
          fprintf (stderr, "child: %s\n", err->msg);
          _exit (121);
        }
      if (lfd < 0 || send_fd (sv[1], lfd) < 0)
        _exit (122);
      close (lfd);
      /* answered by the parent through the listener */
      _exit (syscall (SYS_getppid) == 4242 ? 0 : 1);
    }
  close (sv[1]);
  {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    char c;
    int lfd = -1, st = -1;
    bool got = false;

    if (recv_with_fd (sv[0], &c, 1, &lfd) == 1 && lfd >= 0)
      {
        char link[64] = "";
        char fdpath[64];
        snprintf (fdpath, sizeof fdpath, "/proc/self/fd/%d", lfd);
        readlink (fdpath, link, sizeof link - 1);
        CHECK (strstr (link, "seccomp notify") != NULL, "listener fd is a seccomp notify fd: %s", link);
        memset (&req, 0, sizeof req);
        if (ioctl (lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0)
          {
            got = true;
            CHECK (req.data.nr == SYS_getppid && (pid_t) req.pid == pid, "notification: nr %d pid %u", req.data.nr,
                   req.pid);
            memset (&resp, 0, sizeof resp);
            resp.id = req.id;
            resp.val = 4242;
            CHECK (ioctl (lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0, "NOTIF_SEND: %s", strerror (errno));
          }
        close (lfd);
      }
    CHECK (got, "received a notification");
    waitpid (pid, &st, 0);
    CHECK (EXITED_OK (st), "notified syscall answered by the agent: status 0x%x", st);
  }
  close (sv[0]);
  ocirun_seccomp_filter_free (f);
  profile_free (s);
}

static void
check_listener_message (int srv, int sent_fd, const char *metadata, long long pid)
{
  static const char *p_ver[] = { "ociVersion", NULL }, *p_fds[] = { "fds", NULL }, *p_pid[] = { "pid", NULL },
                    *p_meta[] = { "metadata", NULL }, *p_id[] = { "state", "id", NULL },
                    *p_status[] = { "state", "status", NULL };
  char buf[8192], errbuf[128];
  size_t used = 0;
  int conn = accept4 (srv, NULL, NULL, SOCK_CLOEXEC), fd = -1, extra = -1;
  ssize_t r;
  yajl_val root, v;
  struct stat a, b;

  CHECK (conn >= 0, "accept: %s", strerror (errno));
  if (conn < 0)
    return;
  r = recv_with_fd (conn, buf, sizeof buf - 1, &fd);
  while (r > 0)
    {
      used += (size_t) r;
      r = recv_with_fd (conn, buf + used, sizeof buf - 1 - used, &extra);
      CHECK (extra < 0, "fds only with the first message");
      if (extra >= 0)
        close (extra);
    }
  buf[used] = '\0';
  close (conn);

  CHECK (fd >= 0 && fstat (fd, &a) == 0 && fstat (sent_fd, &b) == 0 && a.st_ino == b.st_ino, "the fd arrived");
  if (fd >= 0)
    close (fd);
  root = yajl_tree_parse (buf, errbuf, sizeof errbuf);
  CHECK (root != NULL, "valid JSON: %s: %s", errbuf, buf);
  if (root == NULL)
    return;
  v = yajl_tree_get (root, p_ver, yajl_t_string);
  CHECK (v && strcmp (jstr (v), "1.3.0") == 0, "ociVersion");
  v = yajl_tree_get (root, p_fds, yajl_t_array);
  CHECK (v && v->u.array.len == 1 && strcmp (jstr (v->u.array.values[0]), "seccompFd") == 0, "fds");
  v = yajl_tree_get (root, p_pid, yajl_t_number);
  CHECK (v && YAJL_GET_INTEGER (v) == pid, "pid");
  v = yajl_tree_get (root, p_meta, yajl_t_string);
  if (metadata)
    CHECK (v && strcmp (jstr (v), metadata) == 0, "metadata round-trips: %s", buf);
  else
    CHECK (v == NULL, "no metadata when unset");
  v = yajl_tree_get (root, p_id, yajl_t_string);
  CHECK (v && strcmp (jstr (v), "c1") == 0, "state.id");
  v = yajl_tree_get (root, p_status, yajl_t_string);
  CHECK (v && strcmp (jstr (v), "creating") == 0, "state.status");
  yajl_tree_free (root);
}

static int
listen_at (const char *path)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (strlen (path) >= sizeof addr.sun_path)
    {
      /* bind through a short relative name in the directory */
      char *dir = xstrdup (path), *slash = strrchr (dir, '/');
      int cwd = open (".", O_RDONLY | O_CLOEXEC), r;
      *slash = '\0';
      r = chdir (dir);
      snprintf (addr.sun_path, sizeof addr.sun_path, "%s", slash + 1);
      if (r == 0)
        r = bind (fd, (struct sockaddr *) &addr, sizeof addr);
      if (fchdir (cwd) < 0)
        abort ();
      close (cwd);
      free (dir);
      if (r < 0)
        return -1;
    }
  else
    {
      strcpy (addr.sun_path, path);
      if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
        return -1;
    }
  if (listen (fd, 4) < 0)
    return -1;
  return fd;
}

static void
test_send_listener (void)
{
  const char *state = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":4422,"
                      "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}";
  const char *meta = "MKNOD=/dev/null;\"quoted\"\\ \n\ttab";
  oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
  ocirun_error_t err = NULL;
  char path[1024], longdir[512];
  int srv, memfd = memfd_create ("pretend-notify-fd", MFD_CLOEXEC);

  snprintf (path, sizeof path, "%s/agent.sock", tmpdir);
  s->listener_path = xstrdup (path);
  s->listener_metadata = xstrdup (meta);
  srv = listen_at (path);
  CHECK (srv >= 0, "listen");
  /* the backlog completes the connection, so one process can play both sides */
  CHECK (ocirun_seccomp_send_listener (s, memfd, state, &err) == 0, "send_listener: %s", err ? err->msg : "");
  ocirun_error_release (&err);
  check_listener_message (srv, memfd, meta, 4422);
  close (srv);

  /* a path longer than sun_path; no metadata */
  snprintf (longdir, sizeof longdir, "%s/%0120d", tmpdir, 0);
  mkdir (longdir, 0700);
  snprintf (path, sizeof path, "%s/agent.sock", longdir);
  free (s->listener_path);
  s->listener_path = xstrdup (path);
  free (s->listener_metadata);
  s->listener_metadata = NULL;
  srv = listen_at (path);
  CHECK (srv >= 0, "listen (long path)");
  CHECK (ocirun_seccomp_send_listener (s, memfd, state, &err) == 0, "send_listener (long path): %s",
         err ? err->msg : "");
  ocirun_error_release (&err);
  check_listener_message (srv, memfd, NULL, 4422);
  close (srv);

  /* nobody listening: an error naming the property */
  snprintf (path, sizeof path, "%s/nobody.sock", tmpdir);
  free (s->listener_path);
  s->listener_path = xstrdup (path);
  CHECK (ocirun_seccomp_send_listener (s, memfd, state, &err) < 0 && strstr (err->msg, "linux.seccomp.listenerPath"),
         "no agent -> error: %s", err ? err->msg : "(success)");
  ocirun_error_release (&err);
  CHECK (ocirun_seccomp_send_listener (s, memfd, "{not json", &err) < 0, "bad state JSON rejected");
  ocirun_error_release (&err);

  close (memfd);
  profile_free (s);
}

/* ---- the big profile and the cache ----------------------------------------- */

static int
child_default_profile (void *arg)
{
  int fd, st;
  pid_t p;
  char path[256];

  if (getpid () <= 0 || write (1, "", 0) != 0)
    return 1;
  fd = socket (AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return 2;
  close (fd);
  if (socket (40 /* AF_VSOCK */, SOCK_STREAM, 0) != -1 || errno != EPERM)
    return 3;
  if (personality (0xffffffff) < 0)
    return 4;
  if (personality (ADDR_NO_RANDOMIZE) != -1 || errno != EPERM)
    return 5;
  if (unshare (CLONE_NEWNS) != -1 || errno != EPERM)
    return 6;
  if (syscall (SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
    return 7;
  if (syscall (SYS_mount, "none", "/mnt", "tmpfs", 0, NULL) != -1 || errno != EPERM)
    return 8;
  p = fork (); /* clone without CLONE_NEW* */
  if (p < 0)
    return 9;
  if (p == 0)
    _exit (7);
  if (waitpid (p, &st, 0) != p || !WIFEXITED (st) || WEXITSTATUS (st) != 7)
    return 10;
  if (syscall (SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0) != -1 || errno != EPERM)
    return 11;
  snprintf (path, sizeof path, "%s/made-by-child", tmpdir);
  if (mkdir (path, 0700) < 0 || rmdir (path) < 0)
    return 12;
  return 0;
}

static size_t
count_files (const char *dir, const char *suffix, char *last, size_t last_len)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      size_t l = strlen (de->d_name);
      if (l > strlen (suffix) && strcmp (de->d_name + l - strlen (suffix), suffix) == 0)
        {
          n++;
          if (last)
            snprintf (last, last_len, "%s/%s", dir, de->d_name);
        }
    }
  closedir (d);
  return n;
}

static bool
libseccomp_mapped (void)
{
  char *maps = NULL;
  ocirun_error_t err = NULL;
  bool r;
  if (read_all_file ("/proc/self/maps", &maps, NULL, &err) < 0)
    {
      ocirun_error_release (&err);
      return true;
    }
  r = strstr (maps, "libseccomp") != NULL;
  free (maps);
  return r;
}

/* Profile variants for the cache tests, applied to the default profile. */
static oci_seccomp *
profile_variant (const char *path, const char *variant)
{
  oci_seccomp *s = profile_load (path);
  if (s == NULL)
    return NULL;
  if (strcmp (variant, "spec_allow") == 0)
    s->flags = strv_append (s->flags, &s->flags_len, "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
  else if (strcmp (variant, "getpid") == 0)
    {
      free (s->syscalls[0].names[0]);
      s->syscalls[0].names[0] = xstrdup ("getpid");
    }
  else if (strcmp (variant, "args") == 0)
    add_arg (&s->syscalls[s->syscalls_len - 1], 1, "SCMP_CMP_GE", 0, false, 0);
  return s;
}

/* `test-seccomp --cache-child VARIANT EXPECT CACHE PROFILE FD`: a fresh
 * process (nothing dlopen()ed yet) compiles with the cache and reports through
 * its exit code; the compile time goes to FD.  EXPECT: 1 = must hit without
 * loading libseccomp, 0 = must miss and compile, 2 = must reject a damaged
 * file, compile and rewrite it. */
static int
cache_child_main (char **argv)
{
  struct ocirun_seccomp_stats stt;
  ocirun_seccomp_filter *f = NULL;
  ocirun_error_t err = NULL;
  int expect = atoi (argv[3]), fd = atoi (argv[6]), ret;
  oci_seccomp *s = profile_variant (argv[5], argv[2]);
  double t0, t;

  if (s == NULL)
    return 98;
  t0 = now_ms ();
  ret = ocirun_seccomp_compile (s, argv[4], &f, &err);
  t = now_ms () - t0;
  if (write (fd, &t, sizeof t) != sizeof t)
    return 99;
  close (fd);
  if (ret < 0)
    {
      fprintf (stderr, "cache child: %s\n", err->msg);
      return 1;
    }
  ocirun_seccomp_get_stats (&stt);
  if (expect == 1
      && !(stt.cache_hits == 1 && stt.library_loads == 0 && stt.compiles == 0 && ocirun_seccomp_filter_from_cache (f)
           && !libseccomp_mapped ()))
    return 2;
  if (expect == 0
      && !(stt.cache_misses == 1 && stt.cache_rejects == 0 && stt.compiles == 1 && stt.cache_writes == 1
           && !ocirun_seccomp_filter_from_cache (f)))
    return 3;
  if (expect == 2 && !(stt.cache_rejects == 1 && stt.compiles == 1 && stt.cache_writes == 1))
    return 4;
  /* the program (cached or not) works like a fresh one */
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ocirun_seccomp_install (f, NULL, &err) < 0)
    return 5;
  return child_default_profile (NULL) ? 6 : 0;
}

static int
cache_child (const char *variant, const char *profile, const char *cache, int expect, double *ms)
{
  char expect_s[16], fd_s[16];
  int pfd[2], st = -1;
  pid_t pid;

  if (pipe (pfd) < 0)
    return -1;
  snprintf (expect_s, sizeof expect_s, "%d", expect);
  snprintf (fd_s, sizeof fd_s, "%d", pfd[1]);
  fflush (NULL);
  pid = fork ();
  if (pid == 0)
    {
      close (pfd[0]);
      execl ("/proc/self/exe", "test-seccomp", "--cache-child", variant, expect_s, cache, profile, fd_s, (char *) NULL);
      _exit (97);
    }
  close (pfd[1]);
  if (read (pfd[0], ms, sizeof *ms) != sizeof *ms)
    *ms = -1;
  close (pfd[0]);
  waitpid (pid, &st, 0);
  return WIFEXITED (st) ? WEXITSTATUS (st) : 100 + WTERMSIG (st);
}

static void
flip_byte (const char *path, off_t from_end)
{
  int fd = open (path, O_RDWR);
  off_t end = lseek (fd, 0, SEEK_END);
  unsigned char c;
  pread (fd, &c, 1, end - from_end);
  c ^= 0x40;
  pwrite (fd, &c, 1, end - from_end);
  close (fd);
}

static bool
file_contains (const char *path, const char *needle)
{
  char *data = NULL;
  size_t len = 0;
  ocirun_error_t err = NULL;
  bool r;
  if (read_all_file (path, &data, &len, &err) < 0)
    {
      ocirun_error_release (&err);
      return false;
    }
  r = memmem (data, len, needle, strlen (needle)) != NULL;
  free (data);
  return r;
}

/* The libseccomp that built a cached program is part of its identity: use a
 * private copy through LD_LIBRARY_PATH, then "upgrade" it (new mtime) and
 * finally remove it. */
static void
test_cache_library_identity (const char *profile)
{
  char *maps = NULL, *p, *end, libdir[512], libcopy[600], cache[512], file[1024], sys[512];
  ocirun_error_t err = NULL;
  struct timespec ts[2] = { { 0, UTIME_OMIT }, { 12345, 0 } };
  char *data = NULL;
  size_t len = 0;
  double ms;
  int rc;

  /* this process has libseccomp mapped by now: find its file */
  if (read_all_file ("/proc/self/maps", &maps, NULL, &err) < 0 || (p = strstr (maps, "/")) == NULL)
    {
      ocirun_error_release (&err);
      free (maps);
      CHECK (0, "read maps");
      return;
    }
  p = strstr (maps, "libseccomp.so");
  while (p && p > maps && p[-1] != ' ')
    p--;
  end = p ? strchr (p, '\n') : NULL;
  CHECK (p && end, "libseccomp in maps");
  if (!p || !end)
    {
      free (maps);
      return;
    }
  snprintf (sys, sizeof sys, "%.*s", (int) (end - p), p);
  free (maps);

  snprintf (libdir, sizeof libdir, "%s/lib", tmpdir);
  snprintf (libcopy, sizeof libcopy, "%s/libseccomp.so.2", libdir);
  snprintf (cache, sizeof cache, "%s/cache-lib", tmpdir);
  mkdir (libdir, 0700);
  CHECK (read_all_file (sys, &data, &len, &err) == 0 && write_file (libcopy, data, len, &err) == 0, "copy %s", sys);
  ocirun_error_release (&err);
  free (data);

  setenv ("LD_LIBRARY_PATH", libdir, 1);
  rc = cache_child ("default", profile, cache, 0, &ms);
  CHECK (rc == 0, "compile with the private libseccomp: child %d", rc);
  CHECK (count_files (cache, ".bpf", file, sizeof file) == 1 && file_contains (file, libcopy),
         "the cache file records %s", libcopy);
  rc = cache_child ("default", profile, cache, 1, &ms);
  CHECK (rc == 0, "same library: hit: child %d", rc);
  CHECK (utimensat (AT_FDCWD, libcopy, ts, 0) == 0, "touch");
  rc = cache_child ("default", profile, cache, 2, &ms);
  CHECK (rc == 0, "library changed: rejected and rebuilt: child %d", rc);
  rc = cache_child ("default", profile, cache, 1, &ms);
  CHECK (rc == 0, "then hits again: child %d", rc);
  unlink (libcopy);
  unsetenv ("LD_LIBRARY_PATH");
  rc = cache_child ("default", profile, cache, 2, &ms);
  CHECK (rc == 0, "library gone: rejected and rebuilt with the system one: child %d", rc);
  CHECK (file_contains (file, sys) || file_contains (file, "/libseccomp.so.2"), "now records the system library");
}

static void
test_default_profile_and_cache (const char *srcdir)
{
  char path[512], cache[512], file[1024], file2[1024];
  oci_seccomp *s;
  ocirun_seccomp_filter *f;
  struct stat st;
  double ms, t0, compile_ms = 0, hit_ms = 0;
  int i, rc;
  const int rounds = 20;

  snprintf (path, sizeof path, "%s/tests/data/seccomp-default.json", srcdir);
  s = profile_load (path);
  CHECK (s != NULL && s->syscalls_len > 5 && s->syscalls[0].names_len >= 300, "load %s", path);
  if (s == NULL)
    return;

  f = compile_ok (s, NULL, "default profile");
  if (f)
    {
      printf ("# default profile: %zu names, %zu BPF instructions\n", s->syscalls[0].names_len,
              ocirun_seccomp_filter_length (f));
      rc = run_filtered (f, child_default_profile, NULL);
      CHECK (EXITED_OK (rc), "default profile in a child: status 0x%x (exit %d)", rc, WEXITSTATUS (rc));
    }
  ocirun_seccomp_filter_free (f);

  /* cache dir is created, 0700, nested */
  snprintf (cache, sizeof cache, "%s/cache/seccomp", tmpdir);
  rc = cache_child ("default", path, cache, 0, &ms);
  CHECK (rc == 0, "first compile misses and writes the cache: child %d", rc);
  printf ("# cold compile in a fresh process (dlopen + build + export + write): %.2f ms\n", ms);
  CHECK (stat (cache, &st) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 0777) == 0700, "cache dir 0700");
  CHECK (count_files (cache, ".bpf", file, sizeof file) == 1, "one cache file");
  CHECK (count_files (cache, ".tmp", NULL, 0) == 0, "no temp files left");
  CHECK (stat (file, &st) == 0 && (st.st_mode & 0777) == 0600, "cache file 0600");

  rc = cache_child ("default", path, cache, 1, &ms);
  CHECK (rc == 0, "second compile hits without loading libseccomp: child %d", rc);
  printf ("# cache hit in a fresh process (no dlopen): %.3f ms\n", ms);

  /* timing in this process (libseccomp already loaded for compiles) */
  for (i = 0; i < rounds; i++)
    {
      t0 = now_ms ();
      f = compile_ok (s, NULL, "timing");
      compile_ms += now_ms () - t0;
      ocirun_seccomp_filter_free (f);
      t0 = now_ms ();
      f = compile_ok (s, cache, "timing hit");
      hit_ms += now_ms () - t0;
      CHECK (ocirun_seccomp_filter_from_cache (f), "hit");
      ocirun_seccomp_filter_free (f);
    }
  printf ("# big profile, mean of %d: compile %.3f ms, cache hit %.3f ms (%.0fx)\n", rounds, compile_ms / rounds,
          hit_ms / rounds, compile_ms / (hit_ms > 0 ? hit_ms : 1));

  /* damaged files are detected and rewritten */
  flip_byte (file, 3); /* inside the program */
  rc = cache_child ("default", path, cache, 2, &ms);
  CHECK (rc == 0, "corrupted program detected and rebuilt: child %d", rc);
  rc = cache_child ("default", path, cache, 1, &ms);
  CHECK (rc == 0, "rewritten file hits again: child %d", rc);
  CHECK (truncate (file, 100) == 0, "truncate");
  rc = cache_child ("default", path, cache, 2, &ms);
  CHECK (rc == 0, "truncated file detected and rebuilt: child %d", rc);
  flip_byte (file, (off_t) st.st_size - 2); /* the magic */
  rc = cache_child ("default", path, cache, 2, &ms);
  CHECK (rc == 0, "bad magic detected and rebuilt: child %d", rc);
  CHECK (chmod (file, 0666) == 0, "chmod");
  rc = cache_child ("default", path, cache, 2, &ms);
  CHECK (rc == 0, "world-writable file not trusted: child %d", rc);
  CHECK (stat (file, &st) == 0 && (st.st_mode & 0777) == 0600, "rewritten 0600");

  /* flags and listener settings do not change the program: same key */
  rc = cache_child ("spec_allow", path, cache, 1, &ms);
  CHECK (rc == 0, "flags do not change the key: child %d", rc);

  /* a different profile -> a different key */
  rc = cache_child ("getpid", path, cache, 0, &ms);
  CHECK (rc == 0, "different names miss: child %d", rc);
  CHECK (count_files (cache, ".bpf", file2, sizeof file2) == 2, "two cache files");
  rc = cache_child ("args", path, cache, 0, &ms);
  CHECK (rc == 0, "different args miss: child %d", rc);
  CHECK (count_files (cache, ".bpf", NULL, 0) == 3, "three cache files");

  test_cache_library_identity (path);

  /* a cache dir that cannot be created: compile still works */
  f = compile_ok (s, "/proc/no/such/dir", "unusable cache dir");
  CHECK (f && !ocirun_seccomp_filter_from_cache (f), "unusable cache dir falls back");
  ocirun_seccomp_filter_free (f);
  profile_free (s);
}

static int
rm_tree (void)
{
  ocirun_error_t err = NULL;
  int r = rm_rf (tmpdir, &err);
  ocirun_error_release (&err);
  return r;
}

/* The -ENOSYS prologue alone, in front of a hand-written program (allow
 * exit_group/exit, EPERM for the rest), installed in a child: above the
 * largest number -> ENOSYS, at or below -> the program's EPERM; x32
 * numbers are compared with their own maximum. */
static int
stub_child (const struct ocirun_enosys_arch *a, size_t n, long nr)
{
  struct sock_filter base[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, 0),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_filter *prog = malloc (sizeof base);
  size_t len = sizeof base / sizeof base[0];
  pid_t pid;
  int st;
  memcpy (prog, base, sizeof base);
  if (ocirun_seccomp_prepend_enosys_stub (a, n, &prog, &len) < 0)
    {
      free (prog);
      return -2;
    }
  pid = fork ();
  if (pid == 0)
    {
      struct sock_fprog fp = { .len = (unsigned short) len, .filter = prog };
      long r;
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
        syscall (SYS_exit_group, 100);
      r = syscall (nr, 0, 0, 0, 0, 0);
      syscall (SYS_exit_group, r < 0 ? errno : 0);
    }
  free (prog);
  if (pid < 0 || waitpid (pid, &st, 0) != pid || !WIFEXITED (st))
    return -1;
  return WEXITSTATUS (st);
}

static void
test_enosys_stub (void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
  struct ocirun_enosys_arch x86 = { AUDIT_ARCH_I386, 300, -1 };
  struct ocirun_enosys_arch both[] = { { AUDIT_ARCH_I386, 300, -1 }, { AUDIT_ARCH_X86_64, 300, 0x40000000 + 200 } };
  struct ocirun_enosys_arch native = { AUDIT_ARCH_X86_64, 300, -1 };
  struct ocirun_enosys_arch many[200];
  size_t i;
  int r;

  printf ("# -ENOSYS stub\n");
  CHECK ((r = stub_child (both, 2, 1000)) == ENOSYS, "1000 > 300: ENOSYS (%d)", r);
  CHECK ((r = stub_child (both, 2, 301)) == ENOSYS, "301 > 300: ENOSYS (%d)", r);
  CHECK ((r = stub_child (both, 2, 300)) == EPERM, "300: the program's EPERM (%d)", r);
  CHECK ((r = stub_child (both, 2, SYS_getpid)) == EPERM, "getpid: EPERM (%d)", r);
  CHECK ((r = stub_child (both, 2, 0x40000000 + 201)) == ENOSYS, "x32 201 > 200: ENOSYS (%d)", r);
  CHECK ((r = stub_child (both, 2, 0x40000000 + 200)) == EPERM, "x32 200: EPERM (%d)", r);
  /* x86_64 without x32: x32 numbers go to the program */
  CHECK ((r = stub_child (&native, 1, 0x40000000 + 1000)) == EPERM, "x32 number, x32 not listed: EPERM (%d)", r);
  CHECK ((r = stub_child (&native, 1, 1000)) == ENOSYS, "x86_64 only: 1000 ENOSYS (%d)", r);
  /* only another architecture listed: ours goes to the program */
  CHECK ((r = stub_child (&x86, 1, 1000)) == EPERM, "arch not listed: EPERM (%d)", r);
  /* 100 architectures still fit the 8-bit jumps; 200 do not: refused */
  CHECK ((r = stub_child (many, 100, 1000)) == EPERM, "100 architectures, ours not listed: EPERM (%d)", r);
  for (i = 0; i < 200; i++)
    many[i] = (struct ocirun_enosys_arch) { 0x1000 + (uint32_t) i, 300, -1 };
  CHECK ((r = stub_child (many, 200, 1000)) == -2, "200 architectures: no stub (%d)", r);
#endif
}

int
main (int argc, char **argv)
{
  const char *srcdir = getenv ("srcdir");
  if (getenv ("OCIRUN_TEST_DEBUG"))
    ocirun_log_init (NULL, false, true);
  if (argc == 7 && strcmp (argv[1], "--cache-child") == 0)
    {
      snprintf (tmpdir, sizeof tmpdir, "%s", getenv ("OCIRUN_TEST_TMPDIR"));
      return cache_child_main (argv);
    }
  if (srcdir == NULL)
    srcdir = ".";
  if (mkdtemp (tmpdir) == NULL)
    {
      perror ("mkdtemp");
      return 1;
    }
  setenv ("OCIRUN_TEST_TMPDIR", tmpdir, 1);
  setvbuf (stdout, NULL, _IOLBF, 0);

#ifndef HAVE_SECCOMP
  {
    oci_seccomp *s = profile_new ("SCMP_ACT_ALLOW");
    struct ocirun_seccomp_features feat;
    compile_fails (s, "linux.seccomp: this build has no seccomp support");
    ocirun_seccomp_features (&feat);
    CHECK (!feat.enabled && feat.actions[0] == NULL, "features disabled");
    profile_free (s);
    test_sha256 ();
    test_send_listener ();
  }
#else
  CHECK (!libseccomp_mapped (), "libseccomp is not linked into the program");
  test_sha256 ();
  test_errors ();
  test_errno ();
  test_foreign_names ();
  test_kill_trap ();
  test_log_allow_trace ();
  test_operators ();
  test_multiple_args ();
  test_flags_and_install ();
  test_notify ();
  test_send_listener ();
  test_default_profile_and_cache (srcdir);
  test_enosys_stub ();
#endif

  rm_tree ();
  return check_report ();
}
