/* linux.seccomp (config-linux.md#seccomp).  The profile is compiled to BPF
 * in the parent (so bad syscall names/actions fail before clone), and the
 * child only installs the ready program as the last step before execve. */
#ifndef OCIRUN_SECCOMP_H
#define OCIRUN_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "oci_spec.h"

typedef struct ocirun_seccomp_filter ocirun_seccomp_filter;

/* Compile (or fetch from the cache under cache_dir, when not NULL).
 * Validates the whole profile first; errors name the JSON path.  A syscall
 * name unknown to libseccomp is skipped (debug log).  SCMP_ACT_NOTIFY needs
 * listenerPath, may not be the defaultAction and may not be used for
 * `write`/`sendmsg` (the init stage needs them to hand the listener fd over).
 * libseccomp is dlopen()ed only when the cache misses. */
int ocirun_seccomp_compile (const oci_seccomp *s, const char *cache_dir, ocirun_seccomp_filter **out,
                            ocirun_error_t *err);
/* Child: install.  When the profile uses SCMP_ACT_NOTIFY, *listener_fd
 * receives the notify fd (O_CLOEXEC; else -1).  Needs no_new_privs or
 * CAP_SYS_ADMIN (EACCES otherwise).  Async-signal-safe apart from the error
 * path. */
int ocirun_seccomp_install (ocirun_seccomp_filter *f, int *listener_fd, ocirun_error_t *err);
/* Runtime side: hand the notify fd and the container state to the agent
 * listening at linux.seccomp.listenerPath (runc's protocol). */
int ocirun_seccomp_send_listener (const oci_seccomp *s, int listener_fd, const char *state_json, ocirun_error_t *err);
void ocirun_seccomp_filter_free (ocirun_seccomp_filter *f);

/* The -ENOSYS prologue (seccomp.c): per AUDIT_ARCH_* value, the largest
 * syscall number of the profile (for x86_64 the x32 numbers, bit 30 set,
 * separately); -1 for "not in the profile". */
struct ocirun_enosys_arch
{
  uint32_t audit_arch;
  long max_native;
  long max_x32;
};
struct sock_filter;
int ocirun_seccomp_prepend_enosys_stub (const struct ocirun_enosys_arch *archs, size_t n_archs,
                                        struct sock_filter **prog, size_t *len);

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

/* Observability for tests and debugging (process-wide counters). */
struct ocirun_seccomp_stats
{
  unsigned int library_loads; /* dlopen() of libseccomp */
  unsigned int compiles;      /* programs built with libseccomp */
  unsigned int cache_hits;
  unsigned int cache_misses;  /* cache_dir given but no usable file */
  unsigned int cache_rejects; /* a file was there but failed verification */
  unsigned int cache_writes;
};
void ocirun_seccomp_get_stats (struct ocirun_seccomp_stats *out);
bool ocirun_seccomp_filter_from_cache (const ocirun_seccomp_filter *f);
/* Number of BPF instructions. */
size_t ocirun_seccomp_filter_length (const ocirun_seccomp_filter *f);
/* The SHA-256 used for cache keys and checksums (exposed for its tests). */
void ocirun_sha256 (const void *data, size_t len, uint8_t out[32]);
/* Tests: the portable rounds even where the CPU has SHA-NI. */
void ocirun_sha256_force_portable (bool portable);

#endif
