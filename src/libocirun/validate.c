/* Validate before clone (docs/design.md): check the whole config in the parent,
 * with errors that name the JSON path, so the child may assume it is valid. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "job.h"
#include "process.h"
#include "lsm.h"
#include "userns.h"
#include "netdev.h"
#include "rlimits.h"
#include "sysctl.h"
#include "utils.h"
#include "validate.h"

static bool
ns_present (const oci_config *c, const char *type, bool *with_path)
{
  size_t i;
  for (i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    if (strcmp (c->linux_->namespaces[i].type, type) == 0)
      {
        if (with_path)
          *with_path = c->linux_->namespaces[i].path && *c->linux_->namespaces[i].path;
        return true;
      }
  return false;
}

static bool
time_offsets_zero (const oci_linux *l)
{
  size_t i;
  for (i = 0; i < l->time_offsets_len; i++)
    if (l->time_offsets[i].secs != 0 || l->time_offsets[i].nanosecs != 0)
      return false;
  return true;
}

static bool
intel_rdt_requested (const oci_intel_rdt *r)
{
  return r
         && ((r->clos_id && *r->clos_id) || (r->l3_cache_schema && *r->l3_cache_schema)
             || (r->mem_bw_schema && *r->mem_bw_schema) || r->schemata_len || r->enable_monitoring);
}

static int
validate_linux (const oci_config *c, ocirun_error_t *err)
{
  const oci_linux *l = c->linux_;
  bool path = false;
  size_t i;

  /* config-linux.md: an absent type is the runtime's namespace, and runc
   * runs such a container (mounts.c, prepare_shared); refused, as by runc,
   * is what needs a mount namespace of the container's own */
  if (!ns_present (c, "mount", NULL))
    {
      if (l->masked_paths_len)
        return ocirun_make_error (err, 0,
                                  "linux.maskedPaths: needs a mount namespace of the container's own "
                                  "(linux.namespaces has no `mount`)");
      if (l->readonly_paths_len)
        return ocirun_make_error (err, 0,
                                  "linux.readonlyPaths: needs a mount namespace of the container's own "
                                  "(linux.namespaces has no `mount`)");
      if (c->root && c->root->readonly)
        return ocirun_make_error (err, 0,
                                  "root.readonly: needs a mount namespace of the container's own "
                                  "(linux.namespaces has no `mount`)");
    }
  if (ns_present (c, "user", &path))
    {
      if (!path && (l->uid_mappings_len == 0 || l->gid_mappings_len == 0))
        return ocirun_make_error (err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
    }
  else if (l->uid_mappings_len || l->gid_mappings_len)
    return ocirun_make_error (err, 0, "linux.uidMappings: mappings need a user namespace in linux.namespaces");
  /* offsets of zero change nothing: without a new time namespace they
   * are not an error (runc 1.1 ignores linux.timeOffsets altogether) */
  if (!time_offsets_zero (l) && !(ns_present (c, "time", &path) && !path))
    return ocirun_make_error (err, 0, "linux.timeOffsets: needs a new time namespace in linux.namespaces");
  for (i = 0; i < l->time_offsets_len; i++)
    if (strcmp (l->time_offsets[i].name, "monotonic") != 0 && strcmp (l->time_offsets[i].name, "boottime") != 0)
      return ocirun_make_error (err, 0, "linux.timeOffsets.%s: unknown clock (expected monotonic or boottime)",
                                l->time_offsets[i].name);
  for (i = 0; i < l->devices_len; i++)
    {
      const oci_device *d = &l->devices[i];
      if (strlen (d->type) != 1 || strchr ("cbup", d->type[0]) == NULL)
        return ocirun_make_error (err, 0, "linux.devices[%zu].type: unknown device type `%s`", i, d->type);
      if (d->path[0] != '/')
        return ocirun_make_error (err, 0, "linux.devices[%zu].path: must be absolute, got `%s`", i, d->path);
      if (d->type[0] != 'p' && (d->major < 0 || d->minor < 0))
        return ocirun_make_error (err, 0, "linux.devices[%zu]: major and minor are required for type `%s`", i, d->type);
    }
  if (l->rootfs_propagation)
    {
      static const char *const ok[] = { "shared",  "slave",  "private",  "unbindable",
                                        "rshared", "rslave", "rprivate", "runbindable" };
      for (i = 0; i < ARRAY_SIZE (ok); i++)
        if (strcmp (l->rootfs_propagation, ok[i]) == 0)
          break;
      if (i == ARRAY_SIZE (ok))
        return ocirun_make_error (err, 0, "linux.rootfsPropagation: unknown value `%s`", l->rootfs_propagation);
    }
  for (i = 0; i < l->masked_paths_len; i++)
    if (l->masked_paths[i][0] != '/')
      return ocirun_make_error (err, 0, "linux.maskedPaths[%zu]: must be absolute, got `%s`", i, l->masked_paths[i]);
  for (i = 0; i < l->readonly_paths_len; i++)
    if (l->readonly_paths[i][0] != '/')
      return ocirun_make_error (err, 0, "linux.readonlyPaths[%zu]: must be absolute, got `%s`", i,
                                l->readonly_paths[i]);
  if (l->personality && l->personality->domain && strcmp (l->personality->domain, "LINUX") != 0
      && strcmp (l->personality->domain, "LINUX32") != 0)
    return ocirun_make_error (err, 0, "linux.personality.domain: unknown domain `%s`", l->personality->domain);
  /* Intel RDT needs resctrl: refuse rather than silently ignore it; an
   * object that asks for nothing ("intelRdt": {}) is accepted, as runc */
  if (intel_rdt_requested (l->intel_rdt))
    return ocirun_make_error (err, 0, "linux.intelRdt: not supported by this runtime");
  if (ocirun_netdev_validate (c, err) < 0)
    return -1;
  if (ocirun_memory_policy_validate (l, err) < 0)
    return -1;
  if (ocirun_userns_validate (c, err) < 0)
    return -1;
  return ocirun_sysctl_validate (c, err);
}

static int
validate_hooks (const oci_hooks *h, ocirun_error_t *err)
{
  const struct
  {
    const char *name;
    oci_hook *list;
    size_t n;
  } kinds[] = { { "prestart", h->prestart, h->prestart_len },
                { "createRuntime", h->create_runtime, h->create_runtime_len },
                { "createContainer", h->create_container, h->create_container_len },
                { "startContainer", h->start_container, h->start_container_len },
                { "poststart", h->poststart, h->poststart_len },
                { "poststop", h->poststop, h->poststop_len } };
  size_t k, i;
  for (k = 0; k < ARRAY_SIZE (kinds); k++)
    for (i = 0; i < kinds[k].n; i++)
      {
        const oci_hook *hk = &kinds[k].list[i];
        /* config.md: "path ... MUST be absolute" */
        if (hk->path[0] != '/')
          return ocirun_make_error (err, 0, "hooks.%s[%zu].path: must be absolute, got `%s`", kinds[k].name, i,
                                    hk->path);
        if (hk->has_timeout && hk->timeout <= 0)
          return ocirun_make_error (err, 0, "hooks.%s[%zu].timeout: must be greater than zero", kinds[k].name, i);
      }
  return 0;
}

int
ocirun_config_validate (const oci_config *c, bool need_process, ocirun_error_t *err)
{
  size_t i;
  if (c->oci_version == NULL)
    return ocirun_make_error (err, 0, "ociVersion: required");
  if (strncmp (c->oci_version, "1.", 2) != 0)
    return ocirun_make_error (err, 0, "ociVersion: unsupported version `%s` (this runtime implements %s)",
                              c->oci_version, OCI_SPEC_VERSION);
  if (c->root == NULL || c->root->path == NULL || *c->root->path == '\0')
    return ocirun_make_error (err, 0, "root.path: required");
  if (need_process && c->process == NULL)
    return ocirun_make_error (err, 0, "process: required to create a container");
  if (c->process)
    {
      if (ocirun_process_validate (c->process, "process", err) < 0)
        return -1;
      if (ocirun_rlimits_validate (c->process, "process", err) < 0)
        return -1;
      if (ocirun_cpu_affinity_validate (c->process, "process", err) < 0)
        return -1;
    }
  for (i = 0; i < c->mounts_len; i++)
    if (c->mounts[i].destination == NULL || *c->mounts[i].destination == '\0')
      return ocirun_make_error (err, 0, "mounts[%zu].destination: required", i);
  if (c->linux_ == NULL)
    return ocirun_make_error (err, 0, "linux: required on Linux");
  if (ocirun_lsm_validate_mount_label (c->linux_, err) < 0)
    return -1;
  if (c->hostname && *c->hostname && !ns_present (c, "uts", NULL))
    return ocirun_make_error (err, 0, "hostname: setting it needs a uts namespace in linux.namespaces");
  if (c->domainname && *c->domainname && !ns_present (c, "uts", NULL))
    return ocirun_make_error (err, 0, "domainname: setting it needs a uts namespace in linux.namespaces");
  if (c->hooks && validate_hooks (c->hooks, err) < 0)
    return -1;
  if (validate_linux (c, err) < 0)
    return -1;
  /* config.md#mounts: a relative destination is deprecated and "MUST be
   * interpreted as relative to /" (mounts.c joins it so).  runc 1.1
   * accepts it with a warning; so do we, once the config is known good */
  for (i = 0; i < c->mounts_len; i++)
    if (c->mounts[i].destination[0] != '/')
      ocirun_warning ("mounts[%zu].destination: `%s` is not absolute (deprecated by the runtime-spec): taken as `/%s`",
                      i, c->mounts[i].destination, c->mounts[i].destination);
  return 0;
}
