/* Unit tests for the small parsers of src/libocirun (signal names, ids,
 * --user, cpu lists, ...) and the error contract, with the inputs the
 * fuzzers of tests/fuzz/ found (see tests/fuzz/README.md). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "error.h"
#include "job.h"
#include "utils.h"

static int passed, failed;

#define CHECK(cond, ...)                                                                                               \
  do                                                                                                                   \
    {                                                                                                                  \
      if (cond)                                                                                                        \
        passed++;                                                                                                      \
      else                                                                                                             \
        {                                                                                                              \
          failed++;                                                                                                    \
          fprintf (stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                             \
          fprintf (stderr, __VA_ARGS__);                                                                               \
          fputc ('\n', stderr);                                                                                        \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

/* fuzz-strings: a control character in a user-supplied name made the
 * error two lines (and could forge a log line) */
static void
test_error_one_line (void)
{
  ocirun_error_t err = NULL;
  ocirun_make_error (&err, 0, "exec --user: expected UID[:GID] as numbers, got `%s`", "1\nocirun: fake\t\x7f");
  CHECK (err && strcmp (err->msg, "exec --user: expected UID[:GID] as numbers, got `1\\x0aocirun: fake\\x09\\x7f`") == 0,
         "got %s", err ? err->msg : "(null)");
  ocirun_error_prefix (&err, "a\nb");
  CHECK (err && strncmp (err->msg, "a\\x0ab: exec --user", 19) == 0, "got %s", err ? err->msg : "(null)");
  ocirun_error_release (&err);
  ocirun_make_error (&err, 0, "plain `%s`", "ü");
  CHECK (err && strcmp (err->msg, "plain `ü`") == 0, "UTF-8 is left alone: %s", err ? err->msg : "(null)");
  ocirun_error_release (&err);
}

int
main (void)
{
  test_error_one_line ();
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
