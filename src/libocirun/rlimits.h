/* process.rlimits (rlimits.c; config.md#posix-process). */
#ifndef OCIRUN_RLIMITS_H
#define OCIRUN_RLIMITS_H

#include "error.h"
#include "oci_spec.h"

/* Parent: known names, no duplicate, soft <= hard; `where` names the
 * object ("process", "exec"). */
int ocirun_rlimits_validate (const oci_process *p, const char *where, ocirun_error_t *err);
int ocirun_rlimits_apply (const oci_process *p, ocirun_error_t *err);

#endif
