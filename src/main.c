#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hardening.h"
#include "ocirun.h"
#include "trace.h"
#include "userns.h"
#include "utils.h"

/* runc's --rootless=auto: not root, or root only inside a user namespace
 * other than the initial one (rootless podman runs the runtime as uid 0 of
 * its own user namespace: cgroups are not ours to make there) */
static bool
rootless_auto (void)
{
  return geteuid () != 0 || ocirun_userns_is_nested ();
}

/* runc's shouldHonorXDGRuntimeDir: $XDG_RUNTIME_DIR/ocirun when not root,
 * or when root of a nested user namespace that is not the real root's
 * session ($USER unset or not "root"); /run/ocirun otherwise (a real root's
 * XDG_RUNTIME_DIR=/run/user/0 is ignored, as by runc) */
static bool
honor_xdg_runtime_dir (void)
{
  const char *user;
  if (geteuid () != 0)
    return true;
  if (!ocirun_userns_is_nested ())
    return false;
  user = getenv ("USER");
  return user == NULL || strcmp (user, "root") != 0;
}

/* The compiled-seccomp cache (seccomp.c) lives outside the state root:
 * containerd's shim gives every runc-style runtime one root per namespace
 * (Docker: /run/containerd/runc/moby), and `runc list` there reads every
 * directory as a container (a `.seccomp-cache` was listed as a broken one).
 * Root: /run/ocirun-seccomp-cache (tmpfs: rebuilt after a reboot, like the
 * state); rootless: $XDG_RUNTIME_DIR/ocirun-seccomp-cache, or none.
 * $OCIRUN_SECCOMP_CACHE overrides it (the tests keep theirs private), and
 * set but empty disables the cache. */
static const char *
seccomp_cache_dir (void)
{
  static char buf[4096];
  const char *env = getenv ("OCIRUN_SECCOMP_CACHE");
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (env)
    return *env ? env : NULL;
  if (!honor_xdg_runtime_dir ())
    return "/run/ocirun-seccomp-cache";
  if (xdg == NULL || *xdg == '\0')
    return NULL;
  snprintf (buf, sizeof buf, "%s/ocirun-seccomp-cache", xdg);
  return buf;
}

/* Whether the command line (verb at argv[verb]) uses the state root: not
 * spec, features, help, nor `VERB --help` */
static bool
needs_state_root (int argc, char **argv, int verb)
{
  static const char *const stateless[] = { "spec", "features", "help" };
  size_t i;
  if (verb >= argc)
    return false;
  for (i = 0; i < ARRAY_SIZE (stateless); i++)
    if (strcmp (argv[verb], stateless[i]) == 0)
      return false;
  return !(verb + 1 < argc && (strcmp (argv[verb + 1], "--help") == 0 || strcmp (argv[verb + 1], "-h") == 0));
}

static const struct
{
  const char *name;
  ocirun_verb_fn fn;
  const char *summary;
} verbs[] = {
  { "create", cmd_create, "create a container from a bundle" },
  { "start", cmd_start, "run the user process of a created container" },
  { "run", cmd_run, "create and start a container" },
  { "state", cmd_state, "print the state of a container" },
  { "kill", cmd_kill, "send a signal to the container's init process" },
  { "delete", cmd_delete, "delete a container" },
  { "exec", cmd_exec, "run a process in a running container" },
  { "pause", cmd_pause, "freeze every process of a container" },
  { "resume", cmd_resume, "thaw a paused container" },
  { "ps", cmd_ps, "list the processes of a container" },
  { "update", cmd_update, "change the resources of a container" },
  { "events", cmd_events, "print stats events of a container (JSON)" },
  { "checkpoint", cmd_checkpoint, "checkpoint a running container with criu" },
  { "restore", cmd_restore, "restore a container from a criu checkpoint" },
  { "list", cmd_list, "list containers" },
  { "spec", cmd_spec, "write a default config.json" },
  { "features", cmd_features, "print the features of this runtime (JSON)" },
};

static void
usage (FILE *f)
{
  size_t i;
  fprintf (f, "usage: ocirun [global options] COMMAND [options] [ARGS]\n\n"
              "An OCI runtime (runtime-spec " OCI_SPEC_VERSION ").\n\ncommands:\n");
  for (i = 0; i < ARRAY_SIZE (verbs); i++)
    fprintf (f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
  fprintf (f, "  %-10s %s\n", "help", "this help, or with COMMAND the options of COMMAND");
  fprintf (f, "\nglobal options:\n"
              "  --root DIR            state directory (default /run/ocirun)\n"
              "  --log FILE            write the log to FILE\n"
              "  --log-format FORMAT   text or json\n"
              "  --debug               log each step of create/run with timings (to the log, else stderr)\n"
              "  --systemd-cgroup      use the systemd cgroup driver (cgroupsPath \"slice:prefix:name\")\n"
              "  --rootless [BOOL]     rootless mode\n"
              "  --criu PATH           the criu binary (default: criu in PATH)\n"
              "  --version, -v         print the version\n"
              "  --help, -h            this help\n"
              "\nenvironment:\n"
              "  OCIRUN_SECCOMP_CACHE  directory of the compiled-seccomp cache (default\n"
              "                        /run/ocirun-seccomp-cache; $XDG_RUNTIME_DIR/ocirun-seccomp-cache\n"
              "                        when rootless); empty: no cache\n"
              "\nRun `ocirun COMMAND --help` (or `ocirun help COMMAND`) for the options of a command,\n"
              "and `man ocirun-COMMAND` for its manual page (`man ocirun`: this overview).\n");
}

static void
version (void)
{
  printf ("ocirun version %s\nspec: %s\n", PACKAGE_VERSION, OCI_SPEC_VERSION);
  printf ("features: +CAP +OPENAT2 +MOUNT_API +CLONE3 +PIDFD"
#ifdef HAVE_SECCOMP
          " +SECCOMP"
#else
          " -SECCOMP"
#endif
          /* lsm.c writes the LSM attributes itself (no library): both always;
           * the systemd driver loads libsystemd when a command asks for it */
          " +SELINUX +APPARMOR +SYSTEMD +CRIU\n");
}

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "root", required_argument, NULL, 'r' },
    { "log", required_argument, NULL, 'l' },
    { "log-format", required_argument, NULL, 'f' },
    { "debug", no_argument, NULL, 'd' },
    { "systemd-cgroup", no_argument, NULL, 's' },
    { "rootless", optional_argument, NULL, 'R' },
    { "criu", required_argument, NULL, 'C' },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct ocirun_global g = { .root = NULL, .log_format = "text", .fail_status = 1 };
  ocirun_error_t err = NULL;
  const char *verb;
  size_t i;
  int c, ret;

  g.rootless = rootless_auto ();
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vh", opts, NULL)) != -1)
    {
      switch (c)
        {
        case 'r':
          g.root = optarg;
          break;
        case 'l':
          g.log = optarg;
          break;
        case 'f':
          if (strcmp (optarg, "text") != 0 && strcmp (optarg, "json") != 0)
            {
              fprintf (stderr, "ocirun: --log-format: unknown format `%s` (text or json)\n", optarg);
              return 1;
            }
          g.log_format = optarg;
          break;
        case 'd':
          g.debug = true;
          break;
        case 's':
          g.systemd_cgroup = true;
          break;
        case 'R':
          g.rootless = (optarg && strcasecmp (optarg, "auto") == 0) ? rootless_auto () : cli_bool (optarg);
          break;
        case 'C':
          g.criu = optarg;
          break;
        case 'v':
          version ();
          return 0;
        case 'h':
          usage (stdout);
          return 0;
        default:
          fprintf (stderr, "ocirun: unknown global option `%s`\n", argv[optind - 1]);
          return 1;
        }
    }
  /* CVE-2019-5736, CVE-2024-21626: before anything is opened (the log too) */
  if (optind < argc && ocirun_startup_hardening (argv, optind, &err) < 0)
    {
      fprintf (stderr, "ocirun: %s\n", err->msg);
      return 1;
    }
  if (ocirun_log_init (g.log, strcmp (g.log_format, "json") == 0, g.debug) < 0)
    {
      ocirun_make_error (&err, errno, "--log: open `%s`", g.log);
      fprintf (stderr, "ocirun: %s\n", err->msg);
      ocirun_error_release (&err);
      return 1;
    }
  ocirun_trace_init (g.debug);
  g.seccomp_cache = seccomp_cache_dir ();
  if (g.root == NULL)
    {
      const char *xdg = getenv ("XDG_RUNTIME_DIR");
      static char buf[4096];
      bool use_xdg = honor_xdg_runtime_dir ();
      if (use_xdg && xdg && *xdg)
        {
          snprintf (buf, sizeof buf, "%s/ocirun", xdg);
          g.root = buf;
        }
      else
        g.root = "/run/ocirun";
      if (use_xdg && !(xdg && *xdg) && access ("/run/ocirun", W_OK) < 0 && needs_state_root (argc, argv, optind))
        {
          fprintf (stderr,
                   "ocirun: --root: XDG_RUNTIME_DIR is not set and /run/ocirun is not writable by uid %u: "
                   "set XDG_RUNTIME_DIR or pass --root DIR\n",
                   geteuid ());
          return 1;
        }
    }
  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  verb = argv[optind];
  for (i = 0; i < ARRAY_SIZE (verbs); i++)
    if (strcmp (verb, verbs[i].name) == 0)
      break;
  if (i == ARRAY_SIZE (verbs))
    {
      if (strcmp (verb, "help") == 0)
        {
          /* `help VERB` is `VERB --help` (each verb prints its usage and exits) */
          static char help_opt[] = "--help";
          char *help_argv[3] = { NULL, help_opt, NULL };
          if (optind + 1 >= argc)
            {
              usage (stdout);
              return 0;
            }
          if (optind + 2 < argc)
            {
              fprintf (stderr, "ocirun: help: unexpected argument `%s` (usage: ocirun help [COMMAND])\n",
                       argv[optind + 2]);
              return 1;
            }
          for (i = 0; i < ARRAY_SIZE (verbs); i++)
            if (strcmp (argv[optind + 1], verbs[i].name) == 0)
              break;
          if (i == ARRAY_SIZE (verbs))
            {
              fprintf (stderr, "ocirun: help: unknown command `%s` (see ocirun --help)\n", argv[optind + 1]);
              return 1;
            }
          help_argv[0] = (char *) verbs[i].name;
          argc = 2;
          argv = help_argv;
          optind = 0;
          goto dispatch;
        }
      fprintf (stderr, "ocirun: unknown command `%s` (see ocirun --help)\n", verb);
      return 1;
    }
  argc -= optind;
  argv += optind;
  optind = 0;
dispatch:
  if (ocirun_log_verbosity >= OCIRUN_LOG_DEBUG)
    {
      int a;
      ocirun_debug ("ocirun %s: root `%s`%s", PACKAGE_VERSION, g.root, g.rootless ? ", rootless" : "");
      for (a = 0; a < argc; a++)
        ocirun_debug ("argv[%d] `%s`", a, argv[a]);
    }
  ocirun_trace ("cli");
  ret = verbs[i].fn (&g, argc, argv, &err);
  ocirun_trace (verbs[i].name); /* what the verb's own marks did not cover */
  ocirun_trace_report ();
  ocirun_log (OCIRUN_LOG_INFO, "%s: %s, exit status %d", verbs[i].name, ret < 0 ? "failed" : "done",
              ret < 0 ? g.fail_status : ret);
  if (ret < 0)
    {
      const char *msg = err && err->msg ? err->msg : "failed";
      /* stderr for the person at the shell, the log for containerd/podman */
      fprintf (stderr, "ocirun: %s\n", msg);
      if (ocirun_log_fd () >= 0)
        ocirun_log (OCIRUN_LOG_ERROR, "%s", msg);
      ocirun_error_release (&err);
      return g.fail_status;
    }
  return ret;
}
