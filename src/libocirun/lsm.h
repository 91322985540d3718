/* Linux security modules: process.selinuxLabel, linux.mountLabel and
 * process.apparmorProfile (config.md#linux-process, config-linux.md#mount-label). */
#ifndef OCIRUN_LSM_H
#define OCIRUN_LSM_H

#include <stdbool.h>

#include "error.h"
#include "oci_spec.h"

/* Parent, before clone: refuse a label or profile this host cannot apply
 * (as runc does), naming the field; `where` is "process", "exec" ... */
int ocirun_lsm_validate (const oci_process *p, const char *where, ocirun_error_t *err);

/* Parent, before clone: linux.mountLabel, when SELinux is enabled, must be a
 * context of the loaded policy (ignored without SELinux, as by runc). */
int ocirun_lsm_validate_mount_label (const oci_linux *l, ocirun_error_t *err);

/* Child, just before execve (after the uid change, before no_new_privs
 * and a late seccomp filter): the exec label and the AppArmor profile for
 * the next execve.  Nothing is opened when neither is configured. */
int ocirun_lsm_apply (const oci_process *p, ocirun_error_t *err);

/* linux.mountLabel: the data of a filesystem mount of type `type`, with
 * `context="LABEL"` added when SELinux is enabled and the type takes it.
 * *data is replaced (freed) when changed. */
void ocirun_lsm_mount_data (const oci_linux *l, const char *type, char **data);

/* Child, after the mount of `type` at `dest` (below rootfd): label its
 * root with linux.mountLabel where context= cannot (mqueue). */
int ocirun_lsm_label_mount_root (const oci_linux *l, const char *type, int rootfd, const char *dest,
                                 ocirun_error_t *err);

/* Open /proc/thread-self/<attr> for writing, refusing anything that is not
 * the real procfs file (CVE-2019-16884, CVE-2025-52881): /proc must be a
 * procfs mount root, and the walk must cross no mount and no magic link. */
int ocirun_procfs_open_self_attr (const char *attr, ocirun_error_t *err);

/* whether the module is enabled on this host (checked once, then kept) */
bool ocirun_selinux_enabled (void);
bool ocirun_apparmor_enabled (void);

#endif
