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

void
cli_usage (const char *verb, const char *usage, const char *options)
{
  printf ("usage: ocirun %s%s%s\n\noptions:\n%s  --help, -h   this help\n", verb, usage && *usage ? " " : "",
          usage ? usage : "", options ? options : "");
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
