#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ocirun.h"

/* state, start: a verb that only takes the id */
static int
id_only (const char *verb, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int c;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          cli_usage (verb, "CONTAINER_ID", NULL);
          exit (0);
        }
      return cli_unknown_option (verb, argv, err);
    }
  return cli_positional (verb, "CONTAINER_ID", argc, argv, 1, err);
}

int
cmd_start (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  struct ocirun_context ctx;
  cli_context_init (g, &ctx);
  if (id_only ("start", argc, argv, err) < 0)
    return -1;
  ctx.id = argv[optind];
  return ocirun_container_start (&ctx, err);
}

int
cmd_state (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  struct ocirun_context ctx;
  char *json = NULL;
  cli_context_init (g, &ctx);
  if (id_only ("state", argc, argv, err) < 0)
    return -1;
  ctx.id = argv[optind];
  if (ocirun_container_state (&ctx, &json, err) < 0)
    return -1;
  printf ("%s\n", json);
  free (json);
  return 0;
}
