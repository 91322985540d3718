/* The container's filesystem (mounts.c): mounts[], the root, pivot_root,
 * maskedPaths, readonlyPaths.  In the order of a create:
 *   parent, before clone:  ocirun_mounts_prepare_idmapped, then (once the
 *                          child has its copies) ocirun_mounts_release_idmapped
 *   child (init.c):        ocirun_rootfs_prepare, [devices.h],
 *                          ocirun_mounts_finish_readonly, ocirun_rootfs_pivot,
 *                          ocirun_rootfs_finalize
 *   delete, failed create: ocirun_rootfs_release_shared */
#ifndef OCIRUN_MOUNTS_H
#define OCIRUN_MOUNTS_H

#include "error.h"

struct ocirun_job;

/* Parent, before clone: the detached trees of idmapped mounts (and of
 * binds from the host side of a user namespace), in job->mount_trees. */
int ocirun_mounts_prepare_idmapped (struct ocirun_job *job, ocirun_error_t *err);
void ocirun_mounts_release_idmapped (struct ocirun_job *job);

/* Child, in its mount namespace: the rootfs a mount of its own and
 * mounts[] in it; *rootfd is the rootfs. */
int ocirun_rootfs_prepare (struct ocirun_job *job, int *rootfd, ocirun_error_t *err);
/* Child, after the devices: read-only what had to stay writable for them. */
int ocirun_mounts_finish_readonly (struct ocirun_job *job, ocirun_error_t *err);
int ocirun_rootfs_pivot (struct ocirun_job *job, int rootfd, ocirun_error_t *err);
/* After pivot_root: masking, read-only paths, read-only root, propagation. */
int ocirun_rootfs_finalize (struct ocirun_job *job, ocirun_error_t *err);

/* Unmount what a container without a mount namespace of its own mounted
 * on the host (recorded in its state dir). */
void ocirun_rootfs_release_shared (const char *state_dir);

#endif
