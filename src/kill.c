#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "ocirun.h"
#include "utils.h"

int
cmd_kill (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
                                        { "help", no_argument, NULL, 'h' },
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
          cli_usage ("kill",
                     "[--all] CONTAINER_ID [SIGNAL]\n\n"
                     "SIGNAL: a name (KILL, SIGKILL) or a number; default SIGTERM; 0 sends nothing and\n"
                     "only checks that the container's process exists",
                     "  --all, -a   signal every process of the container\n");
          exit (0);
        }
      else
        return cli_unknown_option ("kill", argv, err);
    }
  n = argc - optind;
  if (n < 1 || n > 2)
    return cli_positional ("kill", "[--all] CONTAINER_ID [SIGNAL]", argc, argv, n < 1 ? 1 : 2, err);
  ctx.id = argv[optind];
  if (n == 2)
    {
      long long n0;
      /* signal 0 (kill(2)) is how callers probe that the init still exists */
      if (parse_int64 (argv[optind + 1], &n0) == 0 && n0 == 0)
        signo = 0;
      else
        signo = signal_parse (argv[optind + 1]);
      if (signo < 0)
        return ocirun_make_error (err, 0, "kill: unknown signal `%s`", argv[optind + 1]);
    }
  return ocirun_container_kill (&ctx, signo, all, err);
}
