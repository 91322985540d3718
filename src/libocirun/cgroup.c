/* placeholder until the cgroup work lands: no-op manager */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup.h"
#include "utils.h"
struct ocirun_cgroup { int dummy; };
int ocirun_cgroup_create (const char *id, const oci_linux *lnx, bool rootless, ocirun_cgroup **out, ocirun_error_t *err)
{ *out = xmalloc0 (sizeof (ocirun_cgroup)); return 0; }
int ocirun_cgroup_clone_fd (ocirun_cgroup *cg) { return -1; }
int ocirun_cgroup_enter (ocirun_cgroup *cg, pid_t pid, const char *sub, ocirun_error_t *err) { return 0; }
char *ocirun_cgroup_save (ocirun_cgroup *cg) { return xstrdup (""); }
int ocirun_cgroup_load (const char *saved, ocirun_cgroup **out, ocirun_error_t *err) { *out = xmalloc0 (sizeof (ocirun_cgroup)); return 0; }
int ocirun_cgroup_update (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err) { return ocirun_make_error (err, ENOSYS, "update: not supported yet"); }
int ocirun_cgroup_freeze (ocirun_cgroup *cg, bool freeze, ocirun_error_t *err) { return ocirun_make_error (err, ENOSYS, "freeze: not supported yet"); }
int ocirun_cgroup_is_frozen (ocirun_cgroup *cg, bool *frozen, ocirun_error_t *err) { *frozen = false; return 0; }
int ocirun_cgroup_pids (ocirun_cgroup *cg, pid_t **pids, size_t *n, ocirun_error_t *err) { *pids = NULL; *n = 0; return 0; }
int ocirun_cgroup_kill (ocirun_cgroup *cg, int signo, ocirun_error_t *err) { return 0; }
int ocirun_cgroup_stats_json (ocirun_cgroup *cg, char **json, ocirun_error_t *err) { *json = xstrdup ("{}"); return 0; }
int ocirun_cgroup_destroy (ocirun_cgroup *cg, ocirun_error_t *err) { return 0; }
void ocirun_cgroup_free (ocirun_cgroup *cg) { free (cg); }
int ocirun_cgroup_mount (ocirun_cgroup *cg, int target_fd, const char *dest, unsigned long flags, bool cgroupns, ocirun_error_t *err)
{ return ocirun_make_error (err, ENOSYS, "mount `%s`: cgroup mounts not supported yet", dest); }
