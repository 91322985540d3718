/* Default devices and linux.devices (devices.c; config-linux.md#devices,
 * #default-devices, runtime-linux.md#dev-symbolic-links). */
#ifndef OCIRUN_DEVICES_H
#define OCIRUN_DEVICES_H

#include "error.h"

struct ocirun_job;

/* Child, after mounts[] (mounts.h) and before pivot_root: the devices and
 * /dev symlinks in the rootfs at rootfd, and the /dev/console mount point
 * of a terminal.  Nothing when root.path is the host's "/". */
int ocirun_devices_create (struct ocirun_job *job, int rootfd, ocirun_error_t *err);

#endif
