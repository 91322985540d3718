/* Checks of linux.resources before anything is written (docs/design.md:
 * validate before clone), and linux.resources.unified, whose keys are
 * checked against the cgroup they go to.  Errors name the JSON path:
 * "linux.resources.memory.swap: must be >= memory.limit". */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "utils.h"

/* ------------------------------------------------------------------ */
/* Validation (before anything is written)                             */
/* ------------------------------------------------------------------ */

static int
check_mem (const char *name, bool has, int64_t v, ocirun_error_t *err)
{
  if (has && v < -1)
    return ocirun_make_error (err, 0, "linux.resources.memory.%s: must be -1 (unlimited) or >= 0, got %" PRId64, name,
                              v);
  return 0;
}

/* 0 is "not set" (runc, and Docker sends {"weight": 0} on every create) */
static int
check_blkio_weight (const char *field, uint16_t w, ocirun_error_t *err)
{
  if (w != 0 && (w < 10 || w > 1000))
    return ocirun_make_error (err, 0, "%s: must be between 10 and 1000, got %u", field, (unsigned) w);
  return 0;
}

static int
check_devnum (const char *field, int64_t major, int64_t minor, ocirun_error_t *err)
{
  if (major < 0 || minor < 0 || major > 0xfff || minor > 0xfffff)
    return ocirun_make_error (err, 0, "%s: invalid device number %" PRId64 ":%" PRId64, field, major, minor);
  return 0;
}

static int
check_throttle (const char *name, const oci_blkio_throttle_device *d, size_t n, ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      char field[96];
      snprintf (field, sizeof field, "linux.resources.blockIO.%s[%zu]", name, i);
      if (check_devnum (field, d[i].major, d[i].minor, err) < 0)
        return -1;
    }
  return 0;
}

static bool
valid_cpu_list (const char *s)
{
  /* "0-3,7": digits, ',' and '-' only; the kernel checks the rest */
  if (*s == '\0')
    return true;
  for (; *s; s++)
    if (!isdigit ((unsigned char) *s) && *s != ',' && *s != '-' && *s != '\n')
      return false;
  return true;
}

static bool
plain_file_name (const char *k)
{
  return k && *k && strchr (k, '/') == NULL && strcmp (k, ".") != 0 && strcmp (k, "..") != 0;
}

static int
validate_memory (const oci_memory *m, ocirun_error_t *err)
{
  if (check_mem ("limit", m->has_limit, m->limit, err) < 0
      || check_mem ("reservation", m->has_reservation, m->reservation, err) < 0
      || check_mem ("swap", m->has_swap, m->swap, err) < 0 || check_mem ("kernel", m->has_kernel, m->kernel, err) < 0
      || check_mem ("kernelTCP", m->has_kernel_tcp, m->kernel_tcp, err) < 0)
    return -1;
  if (CG_SWAPPINESS_SET (m) && m->swappiness > 100)
    return ocirun_make_error (err, 0, "linux.resources.memory.swappiness: must be between 0 and 100, got %" PRIu64,
                              m->swappiness);
  if (m->has_swap && m->swap > 0 && m->has_limit && m->limit > 0 && m->swap < m->limit)
    return ocirun_make_error (err, 0,
                              "linux.resources.memory.swap: must be >= memory.limit (%" PRId64 " < %" PRId64 ")",
                              m->swap, m->limit);
  /* swap without a limit: on update the limit already set counts, so
   * the writers check it (cgroup_v1.c, cgroup_v2.c) */
  return 0;
}

static int
validate_cpu (const oci_cpu *c, ocirun_error_t *err)
{
  /* quota: 0 is "not set", any negative value "unlimited" (the v1
   * kernel reads every negative cfs_quota_us as RUNTIME_INF; runc
   * writes "max" on v2 for quota <= -1) */
  if (c->has_burst && c->has_quota && c->quota > 0 && c->burst > (uint64_t) c->quota)
    return ocirun_make_error (err, 0,
                              "linux.resources.cpu.burst: must not be larger than cpu.quota (%" PRIu64 " > %" PRId64
                              ")",
                              c->burst, c->quota);
  if (c->has_realtime_runtime && c->realtime_runtime < -1)
    return ocirun_make_error (err, 0, "linux.resources.cpu.realtimeRuntime: must be -1 or >= 0, got %" PRId64,
                              c->realtime_runtime);
  if (c->has_idle && c->idle != 0 && c->idle != 1)
    return ocirun_make_error (err, 0, "linux.resources.cpu.idle: must be 0 or 1, got %" PRId64, c->idle);
  if (c->cpus && !valid_cpu_list (c->cpus))
    return ocirun_make_error (err, 0, "linux.resources.cpu.cpus: invalid cpu list \"%s\"", c->cpus);
  if (c->mems && !valid_cpu_list (c->mems))
    return ocirun_make_error (err, 0, "linux.resources.cpu.mems: invalid node list \"%s\"", c->mems);
  return 0;
}

static int
validate_blkio (const oci_blkio *b, ocirun_error_t *err)
{
  size_t i;
  if (b->has_weight && check_blkio_weight ("linux.resources.blockIO.weight", b->weight, err) < 0)
    return -1;
  if (b->has_leaf_weight && check_blkio_weight ("linux.resources.blockIO.leafWeight", b->leaf_weight, err) < 0)
    return -1;
  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_blkio_weight_device *d = &b->weight_device[i];
      char field[96];
      snprintf (field, sizeof field, "linux.resources.blockIO.weightDevice[%zu]", i);
      if (check_devnum (field, d->major, d->minor, err) < 0)
        return -1;
      /* neither weight nor leafWeight (or both 0): nothing to write,
       * as in runc */
      snprintf (field, sizeof field, "linux.resources.blockIO.weightDevice[%zu].weight", i);
      if (d->has_weight && check_blkio_weight (field, d->weight, err) < 0)
        return -1;
      snprintf (field, sizeof field, "linux.resources.blockIO.weightDevice[%zu].leafWeight", i);
      if (d->has_leaf_weight && check_blkio_weight (field, d->leaf_weight, err) < 0)
        return -1;
    }
  if (check_throttle ("throttleReadBpsDevice", b->throttle_read_bps_device, b->throttle_read_bps_device_len, err) < 0
      || check_throttle ("throttleWriteBpsDevice", b->throttle_write_bps_device, b->throttle_write_bps_device_len, err)
             < 0
      || check_throttle ("throttleReadIOPSDevice", b->throttle_read_iops_device, b->throttle_read_iops_device_len, err)
             < 0
      || check_throttle ("throttleWriteIOPSDevice", b->throttle_write_iops_device, b->throttle_write_iops_device_len,
                         err)
             < 0)
    return -1;
  return 0;
}

int
ocirun_cgroup_validate (const oci_resources *r, ocirun_error_t *err)
{
  size_t i;
  if (r == NULL)
    return 0;
  if (r->memory && validate_memory (r->memory, err) < 0)
    return -1;
  if (r->cpu && validate_cpu (r->cpu, err) < 0)
    return -1;
  if (r->block_io && validate_blkio (r->block_io, err) < 0)
    return -1;
  for (i = 0; i < r->hugepage_limits_len; i++)
    {
      uint64_t sz;
      if (cg_parse_page_size (r->hugepage_limits[i].page_size, &sz) < 0)
        return ocirun_make_error (err, 0, "linux.resources.hugepageLimits[%zu].pageSize: invalid page size \"%s\"", i,
                                  r->hugepage_limits[i].page_size ? r->hugepage_limits[i].page_size : "");
    }
  /* pids.limit: 0 is "not set", any negative value "max" (runc) */
  if (r->network)
    for (i = 0; i < r->network->priorities_len; i++)
      if (!plain_file_name (r->network->priorities[i].name) || strpbrk (r->network->priorities[i].name, " \n"))
        return ocirun_make_error (err, 0, "linux.resources.network.priorities[%zu].name: invalid interface name", i);
  for (i = 0; i < r->rdma_len; i++)
    {
      if (!plain_file_name (r->rdma[i].name) || strpbrk (r->rdma[i].name, " \n="))
        return ocirun_make_error (err, 0, "linux.resources.rdma: invalid device name \"%s\"",
                                  r->rdma[i].name ? r->rdma[i].name : "");
      if (!r->rdma[i].has_hca_handles && !r->rdma[i].has_hca_objects)
        return ocirun_make_error (err, 0, "linux.resources.rdma[\"%s\"]: one of hcaHandles or hcaObjects is required",
                                  r->rdma[i].name);
    }
  for (i = 0; i < r->unified.len; i++)
    {
      const char *k = r->unified.keys[i];
      if (!plain_file_name (k))
        return ocirun_make_error (err, 0, "linux.resources.unified[\"%s\"]: the key must be a plain file name",
                                  k ? k : "");
      if (strchr (k, '.') == NULL || k[0] == '.')
        return ocirun_make_error (err, 0, "linux.resources.unified[\"%s\"]: the key must be <controller>.<file>", k);
    }
  {
    /* device rules are validated when they are built */
    struct cg_dev_rule *rules = NULL;
    size_t n = 0;
    if (cg_device_rules (r, &rules, &n, err) < 0)
      return -1;
    free (rules);
  }
  return 0;
}

/* linux.resources.unified: every key a plain file name whose controller is
 * enabled for this cgroup (cgroup.controllers lists what the parent's
 * subtree_control enables).  Multi-line values (io.max for several devices)
 * are written one line per write(), as the kernel parses one per call. */
int
cg_unified_apply (const char *dir, const oci_map *unified, ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < unified->len; i++)
    {
      const char *k = unified->keys[i];
      const char *v = unified->values[i] ? unified->values[i] : "";
      cleanup_free char *ctrl = NULL;
      cleanup_free char *copy = NULL;
      cleanup_free char *field = NULL;
      char *line, *save = NULL;
      const char *dot;
      bool wrote = false;

      if (!plain_file_name (k) || (dot = strchr (k, '.')) == NULL || dot == k)
        return ocirun_make_error (err, 0,
                                  "linux.resources.unified[\"%s\"]: the key must be a plain file name "
                                  "<controller>.<file>",
                                  k ? k : "");
      ctrl = strndup (k, (size_t) (dot - k));
      xasprintf (&field, "linux.resources.unified[\"%s\"]", k);
      if (strcmp (ctrl, "cgroup") != 0 && !cg_v2_has_controller (dir, ctrl))
        return ocirun_make_error (err, 0, "%s: the %s controller is not enabled for `%s` (see cgroup.controllers)",
                                  field, ctrl, dir);
      if (!cg_exists (dir, k))
        return ocirun_make_error (err, ENOENT, "%s: `%s` does not exist in `%s`", field, k, dir);
      copy = xstrdup (v);
      for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          if (cg_write (dir, k, field, err, "%s", line) < 0)
            return -1;
          wrote = true;
        }
      if (!wrote && cg_write (dir, k, field, err, "%s", v) < 0)
        return -1;
    }
  return 0;
}
