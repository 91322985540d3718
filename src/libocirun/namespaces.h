/* linux.namespaces: which to create, which to join, in which order;
 * uid/gid maps and time offsets (namespaces.c). */
#ifndef OCIRUN_NAMESPACES_H
#define OCIRUN_NAMESPACES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "job.h"

const char *ocirun_ns_name (enum ocirun_ns ns);
int ocirun_ns_clone_flag (enum ocirun_ns ns);
/* parent, before clone: open the namespaces to join, note those to create */
int ocirun_ns_prepare (struct ocirun_job *job, ocirun_error_t *err);
int ocirun_ns_write_idmaps (struct ocirun_job *job, pid_t pid, ocirun_error_t *err);
int ocirun_ns_set_time_offsets (struct ocirun_job *job, ocirun_error_t *err);
/* child: join what is left to join, create the cgroup namespace */
int ocirun_ns_join (struct ocirun_job *job, ocirun_error_t *err);
/* the namespace flags of the parent's clone3 (0 when the child creates them) */
uint64_t ocirun_ns_clone_flags (const struct ocirun_job *job);
/* child, first: the namespaces a single clone3 cannot give in the right
 * order; 1 when it created a pid namespace (the caller forks the init:
 * intermediate.h) */
int ocirun_ns_child_enter (struct ocirun_job *job, ocirun_error_t *err);
/* parent: whether the child will go through the intermediate stage */
bool ocirun_ns_child_forks_init (const struct ocirun_job *job);

#endif
