#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ocirun.h"

void
cli_context_init (struct ocirun_global *g, struct ocirun_context *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->root = g->root;
  ctx->rootless = g->rootless;
  ctx->systemd_cgroup = g->systemd_cgroup;
  ctx->criu = g->criu;
  ctx->seccomp_cache = g->seccomp_cache;
}

int
cli_positional (const char *verb, const char *usage, int argc, char **argv, int want, ocirun_error_t *err)
{
  int have = argc - optind;
  if (have == want)
    return 0;
  if (have < want)
    return ocirun_make_error (err, 0, "%s: missing argument (usage: ocirun %s %s)", verb, verb, usage);
  return ocirun_make_error (err, 0, "%s: unexpected argument `%s` (usage: ocirun %s %s)", verb, argv[optind + want],
                            verb, usage);
}

/* What the exit status of VERB means: most verbs are 0 or 1, those that wait
 * for a process pass its status on (runc's convention, which shells and
 * containerd's shim read: 128+N when signal N killed it). */
static const char *
exit_status_text (const char *verb)
{
  if (strcmp (verb, "run") == 0 || strcmp (verb, "restore") == 0)
    return "exit status:\n"
           "  in the foreground, the container's own status: its exit code, or 128+N\n"
           "  when signal N killed it (137 = 128+9, SIGKILL; 143 = 128+15, SIGTERM);\n"
           "  with --detach, 0 once the container runs; 1 when ocirun itself failed\n";
  if (strcmp (verb, "exec") == 0)
    return "exit status:\n"
           "  in the foreground, the process' own status: its exit code, or 128+N when\n"
           "  signal N killed it; with --detach, 0 once it runs; 255 when ocirun failed\n"
           "  after reading its arguments (as runc), 1 for a bad command line\n";
  if (strcmp (verb, "kill") == 0)
    return "exit status:\n"
           "  0 when the signal was sent (signal 0: the process exists), 1 otherwise\n";
  return "exit status:\n  0 on success, 1 on failure (one line on stderr: ocirun: MESSAGE)\n";
}

void
cli_usage (const char *verb, const char *usage, const char *options)
{
  printf ("usage: ocirun %s%s%s\n\noptions:\n%s  --help, -h   this help\n", verb, usage && *usage ? " " : "",
          usage ? usage : "", options ? options : "");
  printf ("\n%s\nsee also: man ocirun-%s, ocirun --help (global options)\n", exit_status_text (verb), verb);
}

bool
cli_bool (const char *v)
{
  return v == NULL || strcasecmp (v, "true") == 0 || strcmp (v, "1") == 0 || strcasecmp (v, "auto") == 0;
}

int
cli_unknown_option (const char *verb, char **argv, ocirun_error_t *err)
{
  const char *arg = optind > 0 ? argv[optind - 1] : "";
  /* getopt leaves optind on an argument until its last letter is read: for
   * `-xa`, argv[optind - 1] is still the previous argument; optopt is the
   * letter itself (and 0 for an unknown long option) */
  if (optopt > 0 && optopt < 128 && isgraph (optopt) && strncmp (arg, "--", 2) != 0)
    return ocirun_make_error (err, 0, "%s: unknown option `-%c` (see ocirun %s --help)", verb, optopt, verb);
  return ocirun_make_error (err, 0, "%s: unknown option `%s` (see ocirun %s --help)", verb, arg, verb);
}
