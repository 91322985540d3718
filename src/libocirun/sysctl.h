/* linux.sysctl (sysctl.c; config-linux.md#sysctl). */
#ifndef OCIRUN_SYSCTL_H
#define OCIRUN_SYSCTL_H

#include "error.h"
#include "oci_spec.h"

/* Parent: only namespaced keys whose namespace the container owns. */
int ocirun_sysctl_validate (const oci_config *c, ocirun_error_t *err);
/* Child, after pivot_root: written under the container's /proc/sys. */
int ocirun_sysctl_apply (const oci_config *c, ocirun_error_t *err);

#endif
