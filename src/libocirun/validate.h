/* Validate before clone (validate.c; docs/design.md): the whole config, in the
 * parent, with errors that name the JSON path. */
#ifndef OCIRUN_VALIDATE_H
#define OCIRUN_VALIDATE_H

#include <stdbool.h>

#include "error.h"
#include "oci_spec.h"

/* need_process: create and run need process; restore does not */
int ocirun_config_validate (const oci_config *c, bool need_process, ocirun_error_t *err);

#endif
