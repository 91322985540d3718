/* placeholder until the seccomp work lands: every entry point fails clearly */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include "seccomp.h"

int ocirun_seccomp_compile (const oci_seccomp *s, const char *cache_dir, ocirun_seccomp_filter **out, ocirun_error_t *err)
{ *out = NULL; return ocirun_make_error (err, ENOSYS, "linux.seccomp: not supported by this build yet"); }
int ocirun_seccomp_install (ocirun_seccomp_filter *f, int *listener_fd, ocirun_error_t *err)
{ *listener_fd = -1; return ocirun_make_error (err, ENOSYS, "seccomp: not supported"); }
int ocirun_seccomp_send_listener (const oci_seccomp *s, int listener_fd, const char *state_json, ocirun_error_t *err)
{ return ocirun_make_error (err, ENOSYS, "seccomp: not supported"); }
void ocirun_seccomp_filter_free (ocirun_seccomp_filter *f) { }
void ocirun_seccomp_features (struct ocirun_seccomp_features *f)
{ static const char *none[] = { NULL }; f->enabled = false; f->actions = f->operators = f->archs = f->known_flags = f->supported_flags = none; }
