/* process.capabilities (caps.c; config.md#linux-process). */
#ifndef OCIRUN_CAPS_H
#define OCIRUN_CAPS_H

#include "error.h"
#include "oci_spec.h"

/* Parent: every name known; `where` names the object ("process.capabilities"). */
int ocirun_caps_validate (const oci_capabilities *c, const char *where, ocirun_error_t *err);
/* Child, in this order (init.c): bounding set, then after the uid change
 * the effective/permitted/inheritable sets, then the ambient set. */
int ocirun_caps_drop_bounding (const oci_capabilities *c, ocirun_error_t *err);
int ocirun_caps_apply (const oci_capabilities *c, ocirun_error_t *err);
int ocirun_caps_set_ambient (const oci_capabilities *c, ocirun_error_t *err);

/* "CAP_SYS_ADMIN" -> 21; -1 when unknown */
int ocirun_cap_from_name (const char *name);
extern const char *const ocirun_cap_names[];
extern const int ocirun_cap_names_len;

#endif
