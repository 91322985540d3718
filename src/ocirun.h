/* The command line: main.c parses the global options and dispatches to one
 * function per verb (one file each).  Verbs print; the library does not. */
#ifndef OCIRUN_CLI_H
#define OCIRUN_CLI_H

#include <stdbool.h>

#include "container.h"
#include "error.h"

struct ocirun_global
{
  const char *root;
  const char *log;
  const char *log_format;
  bool debug;
  bool systemd_cgroup;
  bool rootless;
  const char *criu;          /* --criu: the criu binary */
  const char *seccomp_cache; /* NULL: no cache */
  /* the exit status of the runtime's own failure: 1, but 255 for exec
   * once its arguments are parsed, as runc does, so that a caller can tell
   * it from the exec'd process's own status */
  int fail_status;
};

typedef int (*ocirun_verb_fn) (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);

int cmd_create (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_start (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_run (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_state (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_kill (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_delete (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_list (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_spec (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_exec (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_pause (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_resume (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_ps (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_update (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_events (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_checkpoint (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_restore (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);
int cmd_features (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err);

/* helpers shared by the verbs */
void cli_context_init (struct ocirun_global *g, struct ocirun_context *ctx);
/* exactly `want` positional arguments after the options, else an error naming the verb */
int cli_positional (const char *verb, const char *usage, int argc, char **argv, int want, ocirun_error_t *err);
/* --help output of a verb, printed when -h/--help is given */
void cli_usage (const char *verb, const char *usage, const char *options);
/* the error for an option getopt did not know (call right after it returned '?') */
int cli_unknown_option (const char *verb, char **argv, ocirun_error_t *err);
/* For verbs that take a single boolean flag value form (--flag, --flag=true). */
bool cli_bool (const char *optarg_or_null);

#endif
