#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "ocirun.h"

static int
pause_resume (const char *verb, bool pause, struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  struct ocirun_context ctx;
  int c;
  cli_context_init (g, &ctx);
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
  if (cli_positional (verb, "CONTAINER_ID", argc, argv, 1, err) < 0)
    return -1;
  ctx.id = argv[optind];
  return ocirun_container_pause (&ctx, pause, err);
}

int
cmd_pause (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  return pause_resume ("pause", true, g, argc, argv, err);
}

int
cmd_resume (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  return pause_resume ("resume", false, g, argc, argv, err);
}
