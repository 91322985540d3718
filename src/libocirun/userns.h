/* User namespaces: id mappings (config-linux.md#user-namespace-mappings),
 * unprivileged mapping through newuidmap/newgidmap, and the user
 * namespaces that carry the mappings of idmapped mounts (config.md#mounts). */
#ifndef OCIRUN_USERNS_H
#define OCIRUN_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

/* Check one mapping list: sizes, overflow, overlapping ranges.  `field`
 * names it in errors ("linux.uidMappings", "mounts[2].gidMappings"). */
int ocirun_idmap_validate (const oci_id_mapping *m, size_t n, const char *field, ocirun_error_t *err);

/* validate.c: everything about user namespaces a config can get wrong
 * (mappings, process.user inside them, mounts' idmap options). */
int ocirun_userns_validate (const oci_config *c, ocirun_error_t *err);

/* Write uid_map and gid_map of pid's user namespace: directly as root (or
 * for a single mapping of our own id), else through newuidmap/newgidmap.
 * `where` prefixes the field names in errors ("linux", "mounts[1]"). */
int ocirun_userns_write_maps (pid_t pid, const oci_id_mapping *uids, size_t nu, const oci_id_mapping *gids, size_t ng,
                              const char *where, ocirun_error_t *err);

/* Before anything is made: can we write these maps (unprivileged: is
 * newuidmap there, does /etc/subuid allow the ranges)? */
int ocirun_userns_check_maps (const oci_id_mapping *uids, size_t nu, const oci_id_mapping *gids, size_t ng,
                              const char *where, ocirun_error_t *err);

/* A new user namespace with these mappings, as an fd (for
 * mount_setattr(MOUNT_ATTR_IDMAP)); no process is left in it. */
int ocirun_userns_open_mapped (const oci_id_mapping *uids, size_t nu, const oci_id_mapping *gids, size_t ng,
                               const char *where, ocirun_error_t *err);

/* Are we in a user namespace other than the initial one?  (No mknod, no
 * fresh sysfs without a network namespace of our own, ...) */
bool ocirun_userns_is_nested (void);

/* exec: the process' user, group and additional groups must be mapped in
 * the user namespace of `pid` (the container's init).  `where` names the
 * field in errors ("exec --user", "process.json: user"). */
int ocirun_userns_check_user (const oci_process *p, pid_t pid, const char *where, ocirun_error_t *err);

#endif
