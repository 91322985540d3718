#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ocirun.h"
#include "utils.h"

#define CREATE_USAGE "[options] CONTAINER_ID"
#define CREATE_OPTIONS                                                                                                 \
  "  --bundle, -b DIR        the bundle (default: the current directory)\n"                                            \
  "  --pid-file FILE         write the container's pid to FILE\n"                                                      \
  "  --console-socket PATH   send the pty master to this unix socket\n"                                                \
  "  --preserve-fds N        pass N extra fds (from 3) to the container\n"                                             \
  "  --no-pivot              do not use pivot_root (for a rootfs on ramfs)\n"                                          \
  "  --no-new-keyring        keep the caller's session keyring\n"

/* shared by create and run */
int
parse_create_options (const char *verb, struct ocirun_context *ctx, int argc, char **argv, bool is_run,
                      ocirun_error_t *err)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "pid-file", required_argument, NULL, 'p' },
    { "console-socket", required_argument, NULL, 'c' },
    { "preserve-fds", required_argument, NULL, 'P' },
    { "no-pivot", no_argument, NULL, 'N' },
    { "no-new-keyring", no_argument, NULL, 'K' },
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, 'k' },
    { "no-subreaper", no_argument, NULL, 'S' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  long long n;
  opterr = 0;
  while ((c = getopt_long (argc, argv, is_run ? "b:dh" : "b:h", opts, NULL)) != -1)
    {
      switch (c)
        {
        case 'b':
          ctx->bundle = optarg;
          break;
        case 'p':
          ctx->pid_file = optarg;
          break;
        case 'c':
          ctx->console_socket = optarg;
          break;
        case 'P':
          if (parse_int64 (optarg, &n) < 0 || n < 0 || n > 65536)
            return ocirun_make_error (err, 0, "%s: --preserve-fds: expected a non-negative number, got `%s`", verb,
                                      optarg);
          ctx->preserve_fds = (int) n;
          break;
        case 'N':
          ctx->no_pivot = true;
          break;
        case 'K':
          ctx->no_new_keyring = true;
          break;
        case 'd':
          if (!is_run)
            goto unknown;
          ctx->detach = true;
          break;
        case 'k':
          if (!is_run)
            goto unknown;
          ctx->keep = true;
          break;
        case 'S':
          break;
        case 'h':
          cli_usage (verb, CREATE_USAGE,
                     is_run ? CREATE_OPTIONS "  --detach, -d            do not wait for the container\n"
                                             "  --keep                  do not delete the container after it exits\n"
                            : CREATE_OPTIONS);
          exit (0);
        default:
        unknown:
          return cli_unknown_option (verb, argv, err);
        }
    }
  if (cli_positional (verb, CREATE_USAGE, argc, argv, 1, err) < 0)
    return -1;
  ctx->id = argv[optind];
  return 0;
}

int
cmd_create (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  struct ocirun_context ctx;
  cli_context_init (g, &ctx);
  if (parse_create_options ("create", &ctx, argc, argv, false, err) < 0)
    return -1;
  return ocirun_container_create (&ctx, err);
}
