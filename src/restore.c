#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ocirun.h"

#define RESTORE_USAGE "[options] CONTAINER_ID"
#define RESTORE_OPTIONS                                                                                                \
  "  --image-path DIR          the checkpoint's images (default: ./checkpoint)\n"                                      \
  "  --work-path DIR           criu's work files and restore.log (default: the image path)\n"                          \
  "  --bundle, -b DIR          the bundle (default: the current directory)\n"                                          \
  "  --detach, -d              do not wait for the container\n"                                                        \
  "  --pid-file FILE           write the restored init's pid to FILE\n"                                                \
  "  --console-socket PATH     refused: terminal containers are not supported\n"                                       \
  "  --no-pivot                accepted (criu restores the root itself)\n"                                             \
  "  --tcp-established         restore open TCP connections\n"                                                         \
  "  --ext-unix-sk             allow external unix sockets\n"                                                          \
  "  --shell-job               allow shell jobs\n"                                                                     \
  "  --file-locks              handle file locks\n"                                                                    \
  "  --manage-cgroups-mode M   soft (default), full, strict or ignore\n"                                               \
  "  --empty-ns network        create the network namespace empty\n"                                                   \
  "  --lsm-profile TYPE:NAME   LSM profile of the restored processes\n"                                                \
  "  --lsm-mount-context CTX   LSM mount context\n"

int criu_common_option (int c, const char *verb, struct ocirun_criu_options *o, ocirun_error_t *err);

int
cmd_restore (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = {
    { "image-path", required_argument, NULL, 'i' },
    { "work-path", required_argument, NULL, 'w' },
    { "bundle", required_argument, NULL, 'b' },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, 'F' },
    { "console-socket", required_argument, NULL, 'c' },
    { "no-pivot", no_argument, NULL, 'N' },
    { "no-subreaper", no_argument, NULL, 'R' },
    { "tcp-established", no_argument, NULL, 't' },
    { "ext-unix-sk", no_argument, NULL, 'x' },
    { "shell-job", no_argument, NULL, 's' },
    { "file-locks", no_argument, NULL, 'f' },
    { "manage-cgroups-mode", required_argument, NULL, 'm' },
    { "auto-dedup", no_argument, NULL, 'A' },
    { "empty-ns", required_argument, NULL, 'E' },
    { "lazy-pages", no_argument, NULL, 'L' },
    { "lsm-profile", required_argument, NULL, 'l' },
    { "lsm-mount-context", required_argument, NULL, 'M' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct ocirun_context ctx;
  struct ocirun_criu_options o;
  int c, r, status = 0;

  cli_context_init (g, &ctx);
  memset (&o, 0, sizeof o);
  opterr = 0;
  while ((c = getopt_long (argc, argv, "b:dh", opts, NULL)) != -1)
    {
      r = criu_common_option (c, "restore", &o, err);
      if (r < 0)
        return -1;
      if (r > 0)
        continue;
      switch (c)
        {
        case 'b':
          ctx.bundle = optarg;
          break;
        case 'd':
          ctx.detach = true;
          break;
        case 'F':
          ctx.pid_file = optarg;
          break;
        case 'c':
          ctx.console_socket = optarg;
          break;
        case 'N':
          ctx.no_pivot = true;
          break;
        case 'R':
          break;
        case 'l':
          o.lsm_profile = optarg;
          break;
        case 'M':
          o.lsm_mount_context = optarg;
          break;
        case 'h':
          cli_usage ("restore", RESTORE_USAGE, RESTORE_OPTIONS);
          exit (0);
        default:
          return cli_unknown_option ("restore", argv, err);
        }
    }
  if (cli_positional ("restore", RESTORE_USAGE, argc, argv, 1, err) < 0)
    return -1;
  ctx.id = argv[optind];
  if (o.image_path == NULL)
    o.image_path = "checkpoint"; /* runc: ./checkpoint */
  if (ocirun_container_restore (&ctx, &o, &status, err) < 0)
    return -1;
  return status;
}
