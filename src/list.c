#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "ocirun.h"
#include "utils.h"

/* runc lists in directory-name order (Go's os.ReadDir sorts by name):
 * scripts and tests compare the output */
static int
by_id (const void *a, const void *b)
{
  return strcmp (((const struct ocirun_container_info *) a)->id, ((const struct ocirun_container_info *) b)->id);
}

int
cmd_list (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "quiet", no_argument, NULL, 'q' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  struct ocirun_container_info *v = NULL;
  const char *format = "table";
  bool quiet = false;
  size_t n = 0, i;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "f:qh", opts, NULL)) != -1)
    {
      if (c == 'f')
        format = optarg;
      else if (c == 'q')
        quiet = true;
      else if (c == 'h')
        {
          cli_usage ("list", "[--format table|json] [-q]",
                     "  --format, -f FORMAT   table (default) or json\n  --quiet, -q           only the ids\n");
          exit (0);
        }
      else
        return cli_unknown_option ("list", argv, err);
    }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return ocirun_make_error (err, 0, "list: --format: unknown format `%s` (table or json)", format);
  if (cli_positional ("list", "[--format table|json] [-q]", argc, argv, 0, err) < 0)
    return -1;
  if (ocirun_container_list (g->root, &v, &n, err) < 0)
    return -1;
  if (n > 1)
    qsort (v, n, sizeof *v, by_id);
  if (quiet)
    for (i = 0; i < n; i++)
      printf ("%s\n", v[i].id);
  else if (strcmp (format, "json") == 0)
    {
      yajl_gen gen = yajl_gen_alloc (NULL);
      const unsigned char *buf;
      size_t len;
#define S(k, val)                                                                                                      \
  yajl_gen_string (gen, (const unsigned char *) (k), strlen (k));                                                      \
  yajl_gen_string (gen, (const unsigned char *) (val), strlen (val))
      yajl_gen_array_open (gen);
      for (i = 0; i < n; i++)
        {
          yajl_gen_map_open (gen);
          S ("ociVersion", "1.3.0");
          S ("id", v[i].id);
          yajl_gen_string (gen, (const unsigned char *) "pid", 3);
          yajl_gen_integer (gen, v[i].pid);
          S ("status", v[i].status);
          S ("bundle", v[i].bundle);
          S ("created", v[i].created);
          S ("owner", v[i].owner);
          yajl_gen_map_close (gen);
        }
      yajl_gen_array_close (gen);
#undef S
      yajl_gen_get_buf (gen, &buf, &len);
      printf ("%.*s\n", (int) len, buf);
      yajl_gen_free (gen);
    }
  else
    {
      printf ("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (i = 0; i < n; i++)
        printf ("%-20s %-8d %-10s %-40s %-32s %s\n", v[i].id, v[i].pid, v[i].status, v[i].bundle, v[i].created,
                v[i].owner);
    }
  ocirun_container_info_free (v, n);
  return 0;
}
