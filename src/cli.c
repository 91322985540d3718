#include "config.h"

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
  printf ("usage: ocirun %s %s\n%s%s", verb, usage, options && *options ? "\noptions:\n" : "", options ? options : "");
}

bool
cli_bool (const char *v)
{
  return v == NULL || strcasecmp (v, "true") == 0 || strcmp (v, "1") == 0 || strcasecmp (v, "auto") == 0;
}
