/* hooks (config.md#posix-platform-hooks), hooks.c. */
#ifndef OCIRUN_HOOKS_H
#define OCIRUN_HOOKS_H

#include "error.h"
#include "oci_spec.h"

enum ocirun_hook_kind
{
  HOOK_PRESTART,
  HOOK_CREATE_RUNTIME,
  HOOK_CREATE_CONTAINER,
  HOOK_START_CONTAINER,
  HOOK_POSTSTART,
  HOOK_POSTSTOP,
};
int ocirun_hooks_run (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json, ocirun_error_t *err);
void ocirun_hooks_run_all (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json);
/* createContainer, startContainer: from init, in the container's
 * namespaces; a hook without `env` gets process.env (as with runc) */
int ocirun_hooks_run_in_container (const oci_hooks *hooks, enum ocirun_hook_kind kind, const char *state_json,
                                   const oci_process *p, ocirun_error_t *err);

#endif
