/* `ps`: the processes of a container; --format json is the pid list
 * containerd reads, the table is `ps` output filtered to those pids. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ocirun.h"
#include "utils.h"

static bool
has_pid (const pid_t *pids, size_t n, long v)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (pids[i] == v)
      return true;
  return false;
}

int
cmd_ps (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  struct ocirun_context ctx;
  const char *format = "table";
  pid_t *pids = NULL;
  size_t n = 0, i;
  int c;

  cli_context_init (g, &ctx);
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+f:h", opts, NULL)) != -1)
    {
      if (c == 'f')
        format = optarg;
      else if (c == 'h')
        {
          cli_usage ("ps", "[--format table|json] CONTAINER_ID [-- PS_ARGS...]",
                     "  --format, -f FORMAT   table (default, `ps -ef` rows) or json (pids)\n");
          exit (0);
        }
      else
        return cli_unknown_option ("ps", argv, err);
    }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return ocirun_make_error (err, 0, "ps: --format: unknown format `%s` (table or json)", format);
  if (optind >= argc)
    return ocirun_make_error (err, 0, "ps: missing argument (usage: ocirun ps [--format table|json] CONTAINER_ID)");
  ctx.id = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  if (ocirun_container_pids (&ctx, &pids, &n, err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    {
      printf ("[");
      for (i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", pids[i]);
      printf ("]\n");
    }
  else
    {
      /* run ps (with the caller's args, default -ef) and keep the header
       * plus the rows whose PID column is one of ours */
      cleanup_free char *cmd = NULL;
      size_t len = 0;
      FILE *mem = open_memstream (&cmd, &len);
      FILE *p;
      char line[4096];
      int pid_col = -1, row = 0;
      fputs ("ps", mem);
      if (optind >= argc)
        fputs (" -ef", mem);
      for (; optind < argc; optind++)
        {
          const char *a = argv[optind];
          fputs (" '", mem);
          for (; *a; a++)
            if (*a == '\'')
              fputs ("'\\''", mem);
            else
              fputc (*a, mem);
          fputc ('\'', mem);
        }
      fclose (mem);
      p = popen (cmd, "re");
      if (p == NULL)
        {
          free (pids);
          return ocirun_make_error (err, errno, "ps: run `%s`", cmd);
        }
      while (fgets (line, sizeof line, p))
        {
          char copy[4096], *tok, *save = NULL;
          int col = 0;
          long v = -1;
          strcpy (copy, line);
          if (row++ == 0)
            {
              for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save), col++)
                if (strcmp (tok, "PID") == 0)
                  pid_col = col;
              fputs (line, stdout);
              continue;
            }
          for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save), col++)
            if (col == pid_col)
              {
                v = strtol (tok, NULL, 10);
                break;
              }
          if (has_pid (pids, n, v))
            fputs (line, stdout);
        }
      pclose (p);
      if (pid_col < 0)
        {
          free (pids);
          return ocirun_make_error (err, 0, "ps: no PID column in the output of `%s`", cmd);
        }
    }
  free (pids);
  return 0;
}
