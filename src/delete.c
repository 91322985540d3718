#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "ocirun.h"

int
cmd_delete (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  struct ocirun_context ctx;
  bool force = false;
  int c;
  cli_context_init (g, &ctx);
  opterr = 0;
  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    {
      if (c == 'f')
        force = true;
      else if (c == 'h')
        {
          cli_usage ("delete", "[--force] CONTAINER_ID",
                     "  --force, -f   kill the container first if it is still running\n");
          exit (0);
        }
      else
        return cli_unknown_option ("delete", argv, err);
    }
  if (cli_positional ("delete", "[--force] CONTAINER_ID", argc, argv, 1, err) < 0)
    return -1;
  ctx.id = argv[optind];
  return ocirun_container_delete (&ctx, force, err);
}
