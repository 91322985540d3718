/* mounts[].options (config.md#mounts): the table of the names we know,
 * and what a list of them means for mount(2) and mount_setattr(2).  A
 * leaf module: validation, the parent (idmapped trees), the mounts, the
 * devices and `features` read it; it calls nothing of the runtime's. */
#ifndef OCIRUN_MOUNT_OPTS_H
#define OCIRUN_MOUNT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/mount.h>

#include "error.h"
#include "oci_spec.h"

#ifndef MS_NOSYMFOLLOW
#  define MS_NOSYMFOLLOW 256
#endif

/* one mounts[i].options, parsed */
struct ocirun_mount_opts
{
  unsigned long flags;   /* MS_* for mount(2), propagation apart */
  unsigned long prop;    /* MS_SHARED, MS_SLAVE ... (| MS_REC), 0: unset */
  struct mount_attr rec; /* rro, rnosuid ...: mount_setattr(AT_RECURSIVE) */
  bool has_rec;
  bool idmap, ridmap;
  char *data; /* what is left for the filesystem, comma-separated; malloc()ed or NULL */
};

int ocirun_mount_options_parse (char **options, size_t n, struct ocirun_mount_opts *out, ocirun_error_t *err);
/* the same, as mount(2) takes it (flags | propagation, data): fuzzing */
int ocirun_mount_parse_options (char **options, size_t n, unsigned long *flags, char **data, ocirun_error_t *err);

/* a bind mount: type "bind" or a bind/rbind option */
bool ocirun_mount_is_bind (const oci_mount *m);
/* the same once its options are parsed */
bool ocirun_mount_opts_is_bind (const oci_mount *m, const struct ocirun_mount_opts *o);
/* an idmap or ridmap option */
bool ocirun_mount_has_idmap (const oci_mount *m);

/* for `features`: every mount option name we recognise; NULL past the end */
const char *ocirun_mount_option_name (size_t i);

#endif
