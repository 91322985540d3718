#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ocirun.h"

#define CHECKPOINT_USAGE "[options] CONTAINER_ID"
#define CHECKPOINT_OPTIONS                                                                                             \
  "  --image-path DIR          where criu writes the images (default: ./checkpoint)\n"                                 \
  "  --work-path DIR           criu's work files and dump.log (default: the image path)\n"                             \
  "  --parent-path DIR         images of a previous pre-dump (relative to the image path)\n"                           \
  "  --leave-running           keep the container running after the dump\n"                                            \
  "  --pre-dump                dump the memory only; the container keeps running\n"                                    \
  "  --tcp-established         allow open TCP connections\n"                                                           \
  "  --ext-unix-sk             allow external unix sockets\n"                                                          \
  "  --shell-job               allow shell jobs (a process of the caller's session)\n"                                 \
  "  --file-locks              handle file locks\n"                                                                    \
  "  --manage-cgroups-mode M   soft (default), full, strict or ignore\n"                                               \
  "  --empty-ns network        do not dump the network namespace's contents\n"                                         \
  "  --auto-dedup              deduplicate memory images\n"

/* shared with restore: the flags both take; 0 when `c` is not one of them */
int criu_common_option (int c, const char *verb, struct ocirun_criu_options *o, ocirun_error_t *err);

int
criu_common_option (int c, const char *verb, struct ocirun_criu_options *o, ocirun_error_t *err)
{
  switch (c)
    {
    case 'i':
      o->image_path = optarg;
      return 1;
    case 'w':
      o->work_path = optarg;
      return 1;
    case 't':
      o->tcp_established = true;
      return 1;
    case 'x':
      o->ext_unix_sk = true;
      return 1;
    case 's':
      o->shell_job = true;
      return 1;
    case 'f':
      o->file_locks = true;
      return 1;
    case 'm':
      o->manage_cgroups_mode = optarg;
      return 1;
    case 'A':
      o->auto_dedup = true;
      return 1;
    case 'E':
      if (strcmp (optarg, "network") != 0)
        return ocirun_make_error (err, 0, "%s: --empty-ns: only `network` is supported, got `%s`", verb, optarg);
      o->empty_ns_net = true;
      return 1;
    case 'L':
      return ocirun_make_error (err, 0, "%s: --lazy-pages is not supported", verb);
    case 'S':
      return ocirun_make_error (err, 0, "%s: --status-fd is not supported (it goes with --lazy-pages)", verb);
    case 'P':
      return ocirun_make_error (err, 0, "%s: --page-server is not supported", verb);
    default:
      return 0;
    }
}

int
cmd_checkpoint (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = {
    { "image-path", required_argument, NULL, 'i' },
    { "work-path", required_argument, NULL, 'w' },
    { "parent-path", required_argument, NULL, 'p' },
    { "leave-running", no_argument, NULL, 'r' },
    { "pre-dump", no_argument, NULL, 'D' },
    { "tcp-established", no_argument, NULL, 't' },
    { "ext-unix-sk", no_argument, NULL, 'x' },
    { "shell-job", no_argument, NULL, 's' },
    { "file-locks", no_argument, NULL, 'f' },
    { "manage-cgroups-mode", required_argument, NULL, 'm' },
    { "auto-dedup", no_argument, NULL, 'A' },
    { "empty-ns", required_argument, NULL, 'E' },
    { "lazy-pages", no_argument, NULL, 'L' },
    { "status-fd", required_argument, NULL, 'S' },
    { "page-server", required_argument, NULL, 'P' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct ocirun_context ctx;
  struct ocirun_criu_options o;
  int c, r;

  cli_context_init (g, &ctx);
  memset (&o, 0, sizeof o);
  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      r = criu_common_option (c, "checkpoint", &o, err);
      if (r < 0)
        return -1;
      if (r > 0)
        continue;
      switch (c)
        {
        case 'p':
          o.parent_path = optarg;
          break;
        case 'r':
          o.leave_running = true;
          break;
        case 'D':
          o.pre_dump = true;
          break;
        case 'h':
          cli_usage ("checkpoint", CHECKPOINT_USAGE, CHECKPOINT_OPTIONS);
          exit (0);
        default:
          return cli_unknown_option ("checkpoint", argv, err);
        }
    }
  if (cli_positional ("checkpoint", CHECKPOINT_USAGE, argc, argv, 1, err) < 0)
    return -1;
  ctx.id = argv[optind];
  if (o.image_path == NULL)
    o.image_path = "checkpoint"; /* runc: ./checkpoint */
  return ocirun_container_checkpoint (&ctx, &o, err);
}
