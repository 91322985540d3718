/* CVE-2019-5736: keep the container from overwriting the runtime binary
 * through /proc/<pid>/exe of a runtime process that enters it. */
#ifndef OCIRUN_EXE_GUARD_H
#define OCIRUN_EXE_GUARD_H

#include <stdbool.h>

#include "error.h"

/* true when /proc/self/exe cannot be written through: a sealed memfd, or
 * a file on a read-only mount */
bool ocirun_exe_is_safe (void);

/* Re-exec ourselves from a sealed memfd copy of /proc/self/exe unless
 * ocirun_exe_is_safe().  Returns only on failure (or when nothing is to
 * be done: 0). */
int ocirun_exe_guard (char **argv, ocirun_error_t *err);

#endif
