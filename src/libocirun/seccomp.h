/* linux.seccomp (config-linux.md#seccomp).  The profile is compiled to BPF
 * in the parent (so bad syscall names/actions fail before clone), and the
 * child only installs the ready program as the last step before execve. */
#ifndef OCIRUN_SECCOMP_H
#define OCIRUN_SECCOMP_H

#include <stdbool.h>

#include "error.h"
#include "oci_spec.h"

typedef struct ocirun_seccomp_filter ocirun_seccomp_filter;

/* Compile (or fetch from the cache under cache_dir, when not NULL). */
int ocirun_seccomp_compile (const oci_seccomp *s, const char *cache_dir, ocirun_seccomp_filter **out,
                            ocirun_error_t *err);
/* Child: install.  When the profile uses SCMP_ACT_NOTIFY, *listener_fd
 * receives the notify fd (else -1). */
int ocirun_seccomp_install (ocirun_seccomp_filter *f, int *listener_fd, ocirun_error_t *err);
/* Runtime side: hand the notify fd and the container state to the agent
 * listening at linux.seccomp.listenerPath (runc's protocol). */
int ocirun_seccomp_send_listener (const oci_seccomp *s, int listener_fd, const char *state_json,
                                  ocirun_error_t *err);
void ocirun_seccomp_filter_free (ocirun_seccomp_filter *f);

/* What this build and kernel support, for `features` (NULL-terminated). */
struct ocirun_seccomp_features
{
  bool enabled;
  const char **actions;
  const char **operators;
  const char **archs;
  const char **known_flags;
  const char **supported_flags;
};
void ocirun_seccomp_features (struct ocirun_seccomp_features *f);

#endif
