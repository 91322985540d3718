/* linux.netDevices (config-linux.md "Network Devices"): move existing host
 * interfaces into the container's network namespace. */
#ifndef OCIRUN_NETDEV_H
#define OCIRUN_NETDEV_H

#include <sys/types.h>

#include "error.h"
#include "oci_spec.h"

struct ocirun_job;

/* What a create moved, so that a create failing later can put it back
 * (runtime.md "Errors": a failed operation leaves the environment as if it
 * had never been attempted).  Opaque. */
typedef struct ocirun_netdev_moved ocirun_netdev_moved;

/* Before clone: a network namespace other than the runtime's, valid and
 * distinct interface names, host interfaces that exist. */
int ocirun_netdev_validate (const oci_config *c, ocirun_error_t *err);

/* Parent stage, once the child exists in its namespaces and before it goes
 * on: move every linux.netDevices entry into the container's network
 * namespace (the joined one, or /proc/PID/ns/net), rename it, re-add its
 * permanent global addresses and set it up.  On failure, what was moved is
 * already back.  *moved (NULL when there is nothing to move) is for
 * ocirun_netdev_restore. */
int ocirun_netdev_move (struct ocirun_job *job, pid_t pid, ocirun_netdev_moved **moved, ocirun_error_t *err);

/* Failed create: move the devices back to the runtime's network namespace
 * with their names, addresses and up state, then free *moved.  Warnings
 * only: it runs on the failure path.  NULL-safe. */
void ocirun_netdev_restore (ocirun_netdev_moved **moved);

/* Release without restoring (the create succeeded: from now on the devices
 * live and die with the container's network namespace).  NULL-safe. */
void ocirun_netdev_moved_free (ocirun_netdev_moved **moved);
#define cleanup_netdev_moved __attribute__ ((cleanup (ocirun_netdev_moved_free)))

/* Init stage, in the container's namespaces: bring `lo` up when the
 * container has a network namespace of its own (a new one, not joined by
 * path), as runc and crun do, so that 127.0.0.1 works in a plain run. */
int ocirun_netdev_loopback_up (const oci_config *c, ocirun_error_t *err);

#endif
