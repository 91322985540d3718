#include "config.h"

#include "ocirun.h"

int parse_create_options (const char *verb, struct ocirun_context *ctx, int argc, char **argv, bool is_run,
                          ocirun_error_t *err);

int
cmd_run (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  struct ocirun_context ctx;
  int status = 0;
  cli_context_init (g, &ctx);
  if (parse_create_options ("run", &ctx, argc, argv, true, err) < 0)
    return -1;
  if (ocirun_container_run (&ctx, &status, err) < 0)
    return -1;
  return status;
}
