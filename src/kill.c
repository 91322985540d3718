#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "ocirun.h"
#include "utils.h"

int
cmd_kill (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  struct ocirun_context ctx;
  bool all = false;
  int c, signo = 15, n;
  cli_context_init (g, &ctx);
  opterr = 0;
  while ((c = getopt_long (argc, argv, "ah", opts, NULL)) != -1)
    {
      if (c == 'a')
        all = true;
      else if (c == 'h')
        {
          cli_usage ("kill", "[--all] CONTAINER_ID [SIGNAL]",
                     "  --all, -a   signal every process of the container\n"
                     "SIGNAL: a name (KILL, SIGKILL) or a number; default SIGTERM\n");
          exit (0);
        }
      else
        return ocirun_make_error (err, 0, "kill: unknown option `%s`", argv[optind - 1]);
    }
  n = argc - optind;
  if (n < 1 || n > 2)
    return cli_positional ("kill", "[--all] CONTAINER_ID [SIGNAL]", argc, argv, n < 1 ? 1 : 2, err);
  ctx.id = argv[optind];
  if (n == 2)
    {
      signo = signal_parse (argv[optind + 1]);
      if (signo < 0)
        return ocirun_make_error (err, 0, "kill: unknown signal `%s`", argv[optind + 1]);
    }
  return ocirun_container_kill (&ctx, signo, all, err);
}
