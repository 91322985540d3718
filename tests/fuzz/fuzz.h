/* Shared bits of the libFuzzer harnesses (see README.md). */
#ifndef OCIRUN_FUZZ_H
#define OCIRUN_FUZZ_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The input as a NUL-terminated string (the library's string parsers want
 * one; the JSON parsers take data + len and get the raw bytes). */
static inline char *
fuzz_strndup (const uint8_t *data, size_t len)
{
  char *s = malloc (len + 1);
  if (s == NULL)
    abort ();
  memcpy (s, data, len);
  s[len] = '\0';
  return s;
}

/* The project's standard: a parse error is one line that starts with
 * "<origin>: " and says something after it.  Anything else is a bug the
 * fuzzer should report (abort -> crash file). */
static inline void
fuzz_check_parse_error (const char *origin, char *perr)
{
  size_t n = strlen (origin);
  if (perr == NULL || strncmp (perr, origin, n) != 0 || perr[n] != ':' || perr[n + 1] != ' ' || perr[n + 2] == '\0'
      || strchr (perr, '\n') != NULL)
    {
      fprintf (stderr, "bad parse error message: %s%s%s\n", perr ? "`" : "", perr ? perr : "(null)", perr ? "`" : "");
      abort ();
    }
  free (perr);
}

/* A library error: set, with a non-empty one-line message. */
static inline void
fuzz_check_error (ocirun_error_t *err)
{
  if (*err == NULL || (*err)->msg == NULL || (*err)->msg[0] == '\0' || strchr ((*err)->msg, '\n') != NULL)
    {
      fprintf (stderr, "bad library error: %s\n", *err && (*err)->msg ? (*err)->msg : "(none)");
      abort ();
    }
  ocirun_error_release (err);
}

/* The library logs only through ocirun_log; keep the fuzzer's output clean. */
extern int ocirun_log_verbosity;
static inline void
fuzz_quiet (void)
{
  ocirun_log_verbosity = -1;
}

#endif
