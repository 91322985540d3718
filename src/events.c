/* `events`: runc's JSON event stream: {"type":"stats","id":...,"data":{...}}
 * every --interval (or once with --stats), until the container stops. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocirun.h"
#include "utils.h"

static int
parse_interval (const char *s, double *secs)
{
  char *end;
  double v = strtod (s, &end);
  if (end == s || v <= 0)
    return -1;
  if (strcmp (end, "") == 0 || strcmp (end, "s") == 0)
    *secs = v;
  else if (strcmp (end, "ms") == 0)
    *secs = v / 1000;
  else if (strcmp (end, "m") == 0)
    *secs = v * 60;
  else
    return -1;
  return 0;
}

int
cmd_events (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
                                        { "interval", required_argument, NULL, 'i' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  struct ocirun_context ctx;
  bool once = false;
  double interval = 5;
  unsigned long long ooms = 0;
  int c;

  cli_context_init (g, &ctx);
  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      if (c == 's')
        once = true;
      else if (c == 'i')
        {
          if (parse_interval (optarg, &interval) < 0)
            return ocirun_make_error (err, 0, "events --interval: expected a duration like 5s or 500ms, got `%s`",
                                      optarg);
        }
      else if (c == 'h')
        {
          cli_usage ("events", "[--stats] [--interval 5s] CONTAINER_ID",
                     "  --stats          print the stats once and exit\n"
                     "  --interval DUR   time between stats events (default 5s)\n");
          exit (0);
        }
      else
        return cli_unknown_option ("events", argv, err);
    }
  if (cli_positional ("events", "[--stats] [--interval 5s] CONTAINER_ID", argc, argv, 1, err) < 0)
    return -1;
  ctx.id = argv[optind];
  if (!once && ocirun_container_oom_count (&ctx, &ooms, err) < 0)
    return -1;
  for (;;)
    {
      char *json = NULL;
      struct timespec ts;
      unsigned long long now_ooms = 0;
      if (ocirun_container_stats (&ctx, &json, err) < 0)
        {
          /* the stream ends quietly when the container goes away */
          if (!once)
            {
              ocirun_error_release (err);
              return 0;
            }
          return -1;
        }
      printf ("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", ctx.id, json);
      fflush (stdout);
      free (json);
      if (once)
        return 0;
      /* runc's stream also reports OOM kills as they happen */
      if (ocirun_container_oom_count (&ctx, &now_ooms, err) < 0)
        {
          ocirun_error_release (err);
          return 0;
        }
      if (now_ooms > ooms)
        {
          printf ("{\"type\":\"oom\",\"id\":\"%s\"}\n", ctx.id);
          fflush (stdout);
          ooms = now_ooms;
        }
      ts.tv_sec = (time_t) interval;
      ts.tv_nsec = (long) ((interval - (double) ts.tv_sec) * 1e9);
      nanosleep (&ts, NULL);
    }
}
