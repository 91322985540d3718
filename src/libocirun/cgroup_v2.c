/* cgroup v2 writers: config-linux.md's resources are mostly written in v1
 * terms; the unified hierarchy has other files and ranges.  Conversions
 * (the same as runc and crun, see docs/cgroups.md):
 *
 *   memory.limit        -> memory.max           (-1 -> "max")
 *   memory.reservation  -> memory.low           (-1 -> "max")
 *   memory.swap         -> memory.swap.max = swap - limit
 *                          (v1's swap is memory+swap; -1 -> "max";
 *                           swap == limit -> "0": no swap)
 *   memory.kernel, kernelTCP, swappiness, disableOOMKiller, useHierarchy
 *                       -> no v2 equivalent: skipped (debug log)
 *   cpu.shares          -> cpu.weight = 1 + ((shares - 2) * 9999) / 262142
 *                          (crun's formula: maps [2, 262144] onto [1, 10000])
 *   cpu.quota, period   -> cpu.max "QUOTA PERIOD" (quota < 0 -> "max")
 *   cpu.burst           -> cpu.max.burst
 *   cpu.idle            -> cpu.idle
 *   cpu.realtime*       -> no v2 equivalent: an error
 *   cpu.cpus, mems      -> cpuset.cpus, cpuset.mems
 *   blockIO.weight      -> io.bfq.weight (same 10..1000 range) when BFQ is
 *                          there, else io.weight = 1 + (weight - 10) * 9999 / 990
 *   blockIO.weightDevice-> io.bfq.weight / io.weight "MAJ:MIN W" (same rule)
 *   blockIO.leafWeight  -> no v2 equivalent: skipped (debug log)
 *   blockIO.throttle*   -> io.max "MAJ:MIN rbps=|wbps=|riops=|wiops=N"
 *                          (rate 0 -> "max", v1's "no limit")
 *   pids.limit          -> pids.max             (< 0 -> "max")
 *   hugepageLimits      -> hugetlb.SIZE.max (+ hugetlb.SIZE.rsvd.max)
 *   network             -> net_cls/net_prio are v1 only: an error
 *   rdma                -> rdma.max
 *   unified             -> written as given, after everything else
 *
 * A 0 in limit, reservation, swap, shares, quota, period, the weights,
 * pids.limit and classID is "not set" (CG_SET, as runc): nothing written.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

uint64_t
ocirun_cgroup_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
ocirun_cgroup_blkio_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

static const char *
dir_of (ocirun_cgroup *cg)
{
  return cg_unified (cg)->path;
}

static int
v2_memory (const char *dir, const oci_memory *m, bool update, ocirun_error_t *err)
{
  char buf[32];
  int64_t limit = m->has_limit ? m->limit : 0;
  int64_t swap = m->has_swap ? m->swap : 0;
  bool write_swap = false;
  int64_t swapv2 = 0;

  /* runc's ConvertMemorySwapToCgroupV2Value */
  if (limit == -1 && swap == 0)
    {
      write_swap = true;
      swapv2 = -1;
    }
  else if (swap == -1)
    {
      write_swap = true;
      swapv2 = -1;
    }
  else if (swap > 0)
    {
      int64_t base = limit;
      if (base == 0 && update)
        {
          /* update of the swap alone: runc merges the limit already set
           * (update.go), so do we, from memory.max */
          uint64_t cur = cg_read_u64 (dir, "memory.max");
          if (cur != 0 && cur != UINT64_MAX && cur <= INT64_MAX)
            base = (int64_t) cur;
        }
      if (base <= 0)
        return ocirun_make_error (err, 0, "linux.resources.memory.swap: cannot be set without memory.limit");
      if (swap < base)
        return ocirun_make_error (err, 0, "linux.resources.memory.swap: must be >= memory.limit");
      write_swap = true;
      swapv2 = swap - base;
    }

  if (limit > 0 && m->has_check_before_update && m->check_before_update && update)
    {
      /* v1 refuses a limit below the usage; v2 would OOM-kill instead
       * (config-linux.md: checkBeforeUpdate mimics v1) */
      uint64_t cur = cg_read_u64 (dir, "memory.current");
      if ((uint64_t) limit < cur)
        return ocirun_make_error (err, EBUSY,
                                  "linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRIu64,
                                  limit, cur);
    }
  if (limit != 0
      && cg_write (dir, "memory.max", "linux.resources.memory.limit", err, "%s",
                   cg_fmt_i64 (buf, sizeof buf, limit, true))
             < 0)
    return -1;
  if (write_swap)
    {
      int r = cg_write_opt (dir, "memory.swap.max", "linux.resources.memory.swap", err, "%s",
                            cg_fmt_i64 (buf, sizeof buf, swapv2, true));
      if (r < 0)
        return -1;
    }
  if (CG_SET (m, reservation)
      && cg_write (dir, "memory.low", "linux.resources.memory.reservation", err, "%s",
                   cg_fmt_i64 (buf, sizeof buf, m->reservation, true))
             < 0)
    return -1;
  if (CG_SET (m, kernel) || CG_SET (m, kernel_tcp))
    ocirun_debug ("cgroup v2 has no kernel memory limits: ignoring memory.kernel/kernelTCP");
  if (CG_SWAPPINESS_SET (m))
    ocirun_debug ("cgroup v2 has no per-cgroup swappiness: ignoring memory.swappiness");
  if (m->has_disable_oom_killer && m->disable_oom_killer)
    ocirun_debug ("cgroup v2 cannot disable the OOM killer: ignoring memory.disableOOMKiller");
  return 0;
}

static int
v2_cpu (const char *dir, const oci_cpu *c, ocirun_error_t *err)
{
  if (CG_SET (c, realtime_runtime))
    return ocirun_make_error (err, 0,
                              "linux.resources.cpu.realtimeRuntime: real-time scheduling is not supported "
                              "on cgroup v2");
  if (CG_SET (c, realtime_period))
    return ocirun_make_error (err, 0,
                              "linux.resources.cpu.realtimePeriod: real-time scheduling is not supported "
                              "on cgroup v2");
  if (CG_SET (c, shares)
      && cg_write (dir, "cpu.weight", "linux.resources.cpu.shares", err, "%" PRIu64,
                   ocirun_cgroup_shares_to_weight (c->shares))
             < 0)
    return -1;
  /* quota and period: 0 is "not set" (runc); a negative quota "max" */
  if (CG_SET (c, quota) || CG_SET (c, period))
    {
      char quota[32] = "max";
      if (CG_SET (c, quota) && c->quota > 0)
        snprintf (quota, sizeof quota, "%" PRId64, c->quota);
      else if (!CG_SET (c, quota))
        {
          /* only the period changes: keep the current quota */
          cleanup_free char *cur = NULL;
          ocirun_error_t e = NULL;
          if (cg_read (dir, "cpu.max", &cur, &e) == 0)
            sscanf (cur, "%31s", quota);
          ocirun_error_release (&e);
        }
      if (CG_SET (c, period))
        {
          if (cg_write (dir, "cpu.max", "linux.resources.cpu.quota", err, "%s %" PRIu64, quota, c->period) < 0)
            return -1;
        }
      else if (cg_write (dir, "cpu.max", "linux.resources.cpu.quota", err, "%s", quota) < 0)
        return -1;
    }
  /* burst and idle: 0 is their default, nothing to change on a kernel
   * without the file */
  if (c->has_burst
      && (c->burst ? cg_write (dir, "cpu.max.burst", "linux.resources.cpu.burst", err, "%" PRIu64, c->burst)
                   : cg_write_opt (dir, "cpu.max.burst", "linux.resources.cpu.burst", err, "0"))
             < 0)
    return -1;
  if (c->has_idle
      && (c->idle ? cg_write (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, c->idle)
                  : cg_write_opt (dir, "cpu.idle", "linux.resources.cpu.idle", err, "0"))
             < 0)
    return -1;
  if (c->cpus && *c->cpus && cg_write (dir, "cpuset.cpus", "linux.resources.cpu.cpus", err, "%s", c->cpus) < 0)
    return -1;
  if (c->mems && *c->mems && cg_write (dir, "cpuset.mems", "linux.resources.cpu.mems", err, "%s", c->mems) < 0)
    return -1;
  return 0;
}

static int
v2_throttle (const char *dir, const char *key, const char *name, const oci_blkio_throttle_device *d, size_t n,
             ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      char field[96], rate[32] = "max";
      snprintf (field, sizeof field, "linux.resources.blockIO.%s[%zu]", name, i);
      if (d[i].rate)
        snprintf (rate, sizeof rate, "%" PRIu64, d[i].rate);
      if (cg_write (dir, "io.max", field, err, "%" PRId64 ":%" PRId64 " %s=%s", d[i].major, d[i].minor, key, rate) < 0)
        return -1;
    }
  return 0;
}

static int
v2_io (const char *dir, const oci_blkio *b, ocirun_error_t *err)
{
  bool bfq = cg_exists (dir, "io.bfq.weight");
  size_t i;

  if (CG_SET (b, weight))
    {
      if (bfq)
        {
          if (cg_write (dir, "io.bfq.weight", "linux.resources.blockIO.weight", err, "%u", (unsigned) b->weight) < 0)
            return -1;
        }
      else if (cg_write (dir, "io.weight", "linux.resources.blockIO.weight", err, "%" PRIu64,
                         ocirun_cgroup_blkio_to_io_weight (b->weight))
               < 0)
        return -1;
    }
  if (CG_SET (b, leaf_weight))
    ocirun_debug ("cgroup v2 has no leaf weights: ignoring blockIO.leafWeight");
  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_blkio_weight_device *d = &b->weight_device[i];
      char field[96];
      snprintf (field, sizeof field, "linux.resources.blockIO.weightDevice[%zu]", i);
      if (!CG_SET (d, weight))
        continue;
      if (bfq)
        {
          if (cg_write (dir, "io.bfq.weight", field, err, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
                        (unsigned) d->weight)
              < 0)
            return -1;
        }
      else if (cg_write (dir, "io.weight", field, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                         ocirun_cgroup_blkio_to_io_weight (d->weight))
               < 0)
        return -1;
    }
  if (v2_throttle (dir, "rbps", "throttleReadBpsDevice", b->throttle_read_bps_device, b->throttle_read_bps_device_len,
                   err)
          < 0
      || v2_throttle (dir, "wbps", "throttleWriteBpsDevice", b->throttle_write_bps_device,
                      b->throttle_write_bps_device_len, err)
             < 0
      || v2_throttle (dir, "riops", "throttleReadIOPSDevice", b->throttle_read_iops_device,
                      b->throttle_read_iops_device_len, err)
             < 0
      || v2_throttle (dir, "wiops", "throttleWriteIOPSDevice", b->throttle_write_iops_device,
                      b->throttle_write_iops_device_len, err)
             < 0)
    return -1;
  return 0;
}

static int
v2_hugetlb (const char *dir, const oci_resources *r, ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < r->hugepage_limits_len; i++)
    {
      const oci_hugepage_limit *l = &r->hugepage_limits[i];
      cleanup_free char *file = NULL, *rsvd = NULL, *field = NULL;
      xasprintf (&file, "hugetlb.%s.max", l->page_size);
      xasprintf (&rsvd, "hugetlb.%s.rsvd.max", l->page_size);
      xasprintf (&field, "linux.resources.hugepageLimits[%zu]", i);
      if (!cg_v2_has_controller (dir, "hugetlb"))
        return ocirun_make_error (err, 0, "%s: the hugetlb controller is not enabled for `%s`", field, dir);
      if (!cg_exists (dir, file))
        return ocirun_make_error (err, 0, "%s.pageSize: page size \"%s\" is not supported (no `%s`)", field,
                                  l->page_size, file);
      if (cg_write (dir, file, field, err, "%" PRIu64, l->limit) < 0)
        return -1;
      if (cg_exists (dir, rsvd) && cg_write (dir, rsvd, field, err, "%" PRIu64, l->limit) < 0)
        return -1;
    }
  return 0;
}

static int
v2_set (ocirun_cgroup *cg, const oci_resources *r, bool update, ocirun_error_t *err)
{
  const char *dir = dir_of (cg);
  if (r->memory && cg_memory_wanted (r->memory) && v2_memory (dir, r->memory, update, err) < 0)
    return -1;
  if (r->cpu && v2_cpu (dir, r->cpu, err) < 0)
    return -1;
  if (r->block_io && cg_blkio_wanted (r->block_io) && v2_io (dir, r->block_io, err) < 0)
    return -1;
  /* pids.limit: 0 is "not set", any negative value "max" (runc) */
  if (r->pids && r->pids->limit != 0)
    {
      char buf[32];
      if (cg_write (dir, "pids.max", "linux.resources.pids.limit", err, "%s",
                    cg_fmt_i64 (buf, sizeof buf, r->pids->limit, true))
          < 0)
        return -1;
    }
  if (r->hugepage_limits_len && v2_hugetlb (dir, r, err) < 0)
    return -1;
  if (r->network && (CG_SET (r->network, class_id) || r->network->priorities_len))
    return ocirun_make_error (err, 0,
                              "linux.resources.network: net_cls and net_prio are cgroup v1 controllers, not "
                              "available on cgroup v2");
  if (r->rdma_len && cg_rdma_apply (dir, r, err) < 0)
    return -1;
  if (r->unified.len && cg_unified_apply (dir, &r->unified, err) < 0)
    return -1;
  return 0;
}

static int
v2_events_frozen (const char *dir, bool *frozen, ocirun_error_t *err)
{
  cleanup_free char *ev = NULL;
  char *p;
  if (cg_read (dir, "cgroup.events", &ev, err) < 0)
    return -1;
  p = strstr (ev, "frozen ");
  *frozen = p && p[7] == '1';
  return 0;
}

static int
v2_freeze (ocirun_cgroup *cg, bool freeze, ocirun_error_t *err)
{
  const char *dir = dir_of (cg);
  int i;

  if (!cg_exists (dir, "cgroup.freeze"))
    return ocirun_make_error (err, ENOTSUP, "%s: the kernel has no cgroup v2 freezer (cgroup.freeze)",
                              freeze ? "pause" : "resume");
  if (cg_write (dir, "cgroup.freeze", NULL, err, "%d", freeze ? 1 : 0) < 0)
    return -1;
  /* cgroup.events says "frozen 1" once every task has stopped */
  for (i = 0; i < 10000; i++)
    {
      bool frozen;
      if (v2_events_frozen (dir, &frozen, err) < 0)
        return -1;
      if (frozen == freeze)
        return 0;
      {
        struct timespec ts = { 0, 1000 * 1000 };
        nanosleep (&ts, NULL);
      }
    }
  if (freeze)
    {
      ocirun_error_t e = NULL;
      if (cg_write (dir, "cgroup.freeze", NULL, &e, "0") < 0)
        ocirun_error_release (&e);
    }
  return ocirun_make_error (err, ETIMEDOUT, "%s: `%s` did not become %s", freeze ? "pause" : "resume", dir,
                            freeze ? "frozen" : "thawed");
}

static int
v2_is_frozen (ocirun_cgroup *cg, bool *frozen, ocirun_error_t *err)
{
  const char *dir = dir_of (cg);
  *frozen = false;
  if (!cg_exists (dir, "cgroup.freeze"))
    return 0;
  return v2_events_frozen (dir, frozen, err);
}

static int
v2_kill (ocirun_cgroup *cg, int signo, ocirun_error_t *err)
{
  const char *dir = dir_of (cg);
  /* cgroup.kill (5.14): SIGKILL to the whole subtree, race-free */
  if (signo != SIGKILL || !cg_exists (dir, "cgroup.kill"))
    return 1;
  if (cg_write (dir, "cgroup.kill", NULL, err, "1") < 0)
    return -1;
  return 0;
}

/* --- stats --- */

static void
raw_cb (const char *key, uint64_t value, void *data)
{
  cg_json_u64 ((yajl_gen) data, key, value);
}

static void
io_stat (yajl_gen g, const char *dir)
{
  static const struct
  {
    const char *key, *json, *op;
  } map[] = {
    { "rbytes", "ioServiceBytesRecursive", "Read" },
    { "wbytes", "ioServiceBytesRecursive", "Write" },
    { "rios", "ioServicedRecursive", "Read" },
    { "wios", "ioServicedRecursive", "Write" },
  };
  static const char *const lists[] = { "ioServiceBytesRecursive", "ioServicedRecursive" };
  cleanup_free char *v = NULL;
  ocirun_error_t e = NULL;
  size_t l, k;

  if (cg_read (dir, "io.stat", &v, &e) < 0)
    {
      ocirun_error_release (&e);
      return;
    }
  for (l = 0; l < ARRAY_SIZE (lists); l++)
    {
      cleanup_free char *copy = xstrdup (v);
      char *line, *save = NULL;
      bool opened = false;
      for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          unsigned long long maj, min;
          char *tok, *s2 = NULL;
          if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
            continue;
          for (tok = strtok_r (line, " ", &s2); tok; tok = strtok_r (NULL, " ", &s2))
            {
              char *eq = strchr (tok, '=');
              if (eq == NULL)
                continue;
              *eq = '\0';
              for (k = 0; k < ARRAY_SIZE (map); k++)
                {
                  if (strcmp (map[k].key, tok) != 0 || strcmp (map[k].json, lists[l]) != 0)
                    continue;
                  if (!opened)
                    {
                      cg_json_key (g, lists[l]);
                      yajl_gen_array_open (g);
                      opened = true;
                    }
                  yajl_gen_map_open (g);
                  cg_json_u64_oe (g, "major", maj);
                  cg_json_u64_oe (g, "minor", min);
                  cg_json_str (g, "op", map[k].op);
                  cg_json_u64_oe (g, "value", strtoull (eq + 1, NULL, 10));
                  yajl_gen_map_close (g);
                }
            }
        }
      if (opened)
        yajl_gen_array_close (g);
    }
}

static void
empty_entry (yajl_gen g, const char *key)
{
  cg_json_key (g, key);
  yajl_gen_map_open (g);
  cg_json_u64 (g, "limit", 0);
  cg_json_u64 (g, "failcnt", 0);
  yajl_gen_map_close (g);
}

static int
v2_stats (ocirun_cgroup *cg, yajl_gen g, ocirun_error_t *err)
{
  const char *dir = dir_of (cg);
  uint64_t mem_cur = cg_read_u64 (dir, "memory.current");
  uint64_t mem_max = cg_read_u64 (dir, "memory.max");
  uint64_t swap_cur = cg_read_u64 (dir, "memory.swap.current");
  uint64_t swap_max = cg_read_u64 (dir, "memory.swap.max");

  cg_json_key (g, "cpu");
  yajl_gen_map_open (g);
  cg_json_key (g, "usage");
  yajl_gen_map_open (g);
  cg_json_u64_oe (g, "total", cg_kv_get (dir, "cpu.stat", "usage_usec") * 1000);
  cg_json_u64 (g, "kernel", cg_kv_get (dir, "cpu.stat", "system_usec") * 1000);
  cg_json_u64 (g, "user", cg_kv_get (dir, "cpu.stat", "user_usec") * 1000);
  yajl_gen_map_close (g);
  cg_json_key (g, "throttling");
  yajl_gen_map_open (g);
  cg_json_u64_oe (g, "periods", cg_kv_get (dir, "cpu.stat", "nr_periods"));
  cg_json_u64_oe (g, "throttledPeriods", cg_kv_get (dir, "cpu.stat", "nr_throttled"));
  cg_json_u64_oe (g, "throttledTime", cg_kv_get (dir, "cpu.stat", "throttled_usec") * 1000);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  cg_stats_cpuset (g, dir, true);

  cg_json_key (g, "memory");
  yajl_gen_map_open (g);
  cg_json_u64_oe (g, "cache", cg_kv_get (dir, "memory.stat", "file"));
  cg_json_key (g, "usage");
  yajl_gen_map_open (g);
  cg_json_u64 (g, "limit", mem_max);
  cg_json_u64_oe (g, "usage", mem_cur);
  cg_json_u64_oe (g, "max", cg_read_u64 (dir, "memory.peak"));
  cg_json_u64 (g, "failcnt", cg_kv_get (dir, "memory.events", "max"));
  yajl_gen_map_close (g);
  /* as runc: v1-compatible memory+swap figures */
  cg_json_key (g, "swap");
  yajl_gen_map_open (g);
  cg_json_u64 (g, "limit", (swap_max == UINT64_MAX || mem_max == UINT64_MAX) ? UINT64_MAX : swap_max + mem_max);
  cg_json_u64_oe (g, "usage", swap_cur + mem_cur);
  cg_json_u64 (g, "failcnt", cg_kv_get (dir, "memory.swap.events", "max"));
  yajl_gen_map_close (g);
  empty_entry (g, "kernel");
  empty_entry (g, "kernelTCP");
  cg_json_key (g, "raw");
  yajl_gen_map_open (g);
  cg_read_kv (dir, "memory.stat", raw_cb, g);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  cg_json_key (g, "pids");
  yajl_gen_map_open (g);
  {
    uint64_t lim = cg_read_u64 (dir, "pids.max");
    cg_json_u64_oe (g, "current", cg_read_u64 (dir, "pids.current"));
    cg_json_u64_oe (g, "limit", lim == UINT64_MAX ? 0 : lim);
  }
  yajl_gen_map_close (g);

  cg_json_key (g, "blkio");
  yajl_gen_map_open (g);
  io_stat (g, dir);
  yajl_gen_map_close (g);

  cg_json_key (g, "hugetlb");
  yajl_gen_map_open (g);
  {
    cleanup_dir DIR *d = opendir (dir);
    struct dirent *de;
    while (d && (de = readdir (d)))
      {
        char size[32], f[96];
        int end = 0;
        if (sscanf (de->d_name, "hugetlb.%31[^.].max%n", size, &end) != 1 || end == 0 || de->d_name[end] != '\0')
          continue;
        cg_json_key (g, size);
        yajl_gen_map_open (g);
        snprintf (f, sizeof f, "hugetlb.%s.current", size);
        cg_json_u64_oe (g, "usage", cg_read_u64 (dir, f));
        snprintf (f, sizeof f, "hugetlb.%s.events", size);
        cg_json_u64 (g, "failcnt", cg_kv_get (dir, f, "max"));
        yajl_gen_map_close (g);
      }
  }
  yajl_gen_map_close (g);
  cg_json_stats_tail (g);
  return 0;
}

const struct cg_ops cg_v2_ops = {
  .name = "v2",
  .set = v2_set,
  .freeze = v2_freeze,
  .is_frozen = v2_is_frozen,
  .kill = v2_kill,
  .stats = v2_stats,
};
