/* The process' attributes (config.md#process), in the order init applies
 * them: process.c, stdio_owner.c, rootfs_holder.c (rlimits.h: process.rlimits). */
#ifndef OCIRUN_PROCESS_H
#define OCIRUN_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

int ocirun_process_validate (const oci_process *p, const char *where, ocirun_error_t *err);
int ocirun_process_prepare (const oci_process *p, ocirun_error_t *err); /* oom, personality, scheduler, ioprio, umask */
int ocirun_personality_apply (const oci_linux *l, ocirun_error_t *err);
int ocirun_memory_policy_validate (const oci_linux *l, ocirun_error_t *err);
int ocirun_memory_policy_apply (const oci_linux *l, ocirun_error_t *err);
int ocirun_cpu_affinity_validate (const oci_process *p, const char *where, ocirun_error_t *err);
int ocirun_cpu_affinity_apply (const oci_process *p, bool final, ocirun_error_t *err);
void ocirun_process_setenv (oci_process *p, const char *kv);
int ocirun_user_apply (const oci_process *p, ocirun_error_t *err);
int ocirun_stdio_chown (uid_t uid, bool own_pty, ocirun_error_t *err);
int ocirun_rootfs_holder_private (const char *rootfs, ocirun_error_t *err);
int ocirun_keyring_new (const char *id, ocirun_error_t *err);
char *ocirun_find_executable (const oci_process *p, ocirun_error_t *err);
void ocirun_process_default_home (oci_process *p);
int ocirun_exec_process (const oci_process *p, const char *path, ocirun_error_t *err);

#endif
