/* The unit tests' assertion, shared by test-cgroup.c, test-parsers.c,
 * test-seccomp.c and test-systemd-path.c.  CHECK (cond, fmt, ...) counts a
 * pass, or prints "FAIL file:line: cond: message" on stderr and counts a
 * failure; main ends with `return check_report ();`, which prints
 * "N passed, N failed" (what tests/run.sh reads) and gives the exit code. */
#ifndef OCIRUN_TEST_CHECK_H
#define OCIRUN_TEST_CHECK_H

#include <stdio.h>

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

static inline int
check_report (void)
{
  printf ("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

#endif
