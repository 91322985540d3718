/* cgroup v1 (and hybrid) writers: one function per controller, each
 * writing the v1 file names of config-linux.md's resources.  In hybrid
 * mode the cgroup2 hierarchy (/sys/fs/cgroup/unified) is used for what v1
 * does not have here: linux.resources.unified and hugetlb when only the
 * unified hierarchy has it. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

static struct cg_hier *
need (ocirun_cgroup *cg, const char *controller, const char *field, ocirun_error_t *err)
{
  struct cg_hier *h = cg_find (cg, controller);
  if (h == NULL)
    ocirun_make_error (err, 0, "%s: the %s cgroup controller is not available on this host", field, controller);
  return h;
}

/* Files the kernel dropped or stubbed (kmem limits since 5.16/6.x): a
 * missing file or a refusal to change it is a debug message, not an error. */
static int
write_deprecated (const char *dir, const char *file, const char *field, int64_t v, ocirun_error_t *err)
{
  char buf[32];
  int r;
  snprintf (buf, sizeof buf, "%" PRId64, v);
  r = cg_write_raw (dir, file, buf);
  if (r == -ENOENT || r == -EOPNOTSUPP || r == -524 /* ENOTSUPP */)
    {
      ocirun_debug ("cgroup: %s: `%s` not supported by this kernel, skipping", field, file);
      return 0;
    }
  if (r < 0)
    return ocirun_make_error (err, -r, "%s: write `%s` in `%s`", field, file, dir);
  return 0;
}

static int
v1_memory (ocirun_cgroup *cg, const oci_memory *m, bool update, ocirun_error_t *err)
{
  struct cg_hier *h = need (cg, "memory", "linux.resources.memory", err);
  const char *dir;
  int64_t limit, swap;
  bool memsw;

  if (h == NULL)
    return -1;
  dir = h->path;
  /* 0 means "not set" (as runc) */
  limit = m->has_limit ? m->limit : 0;
  swap = m->has_swap ? m->swap : 0;
  memsw = cg_exists (dir, "memory.memsw.limit_in_bytes");
  if (limit == -1 && swap == 0 && memsw)
    swap = -1; /* unlimited memory: unlimited memory+swap too */
  if (swap > 0 && limit == 0 && !update)
    /* the new cgroup's limit is "unlimited": memsw would be below it
     * (the kernel's EINVAL, runc's error too); on update the limit set
     * before counts and the kernel judges */
    return ocirun_make_error (err, 0, "linux.resources.memory.swap: cannot be set without memory.limit");
  if (swap != 0 && !memsw)
    {
      ocirun_debug ("cgroup: swap accounting is disabled (no memory.memsw.limit_in_bytes): ignoring memory.swap");
      swap = 0;
    }
  if (limit != 0 && swap != 0)
    {
      /* memsw must stay >= limit at every step: when growing, raise
       * memsw first; when shrinking, lower the limit first */
      uint64_t cur = cg_read_u64 (dir, "memory.limit_in_bytes");
      if (swap == -1 || cur < (uint64_t) swap)
        {
          if (cg_write (dir, "memory.memsw.limit_in_bytes", "linux.resources.memory.swap", err, "%" PRId64, swap) < 0
              || cg_write (dir, "memory.limit_in_bytes", "linux.resources.memory.limit", err, "%" PRId64, limit) < 0)
            return -1;
        }
      else if (cg_write (dir, "memory.limit_in_bytes", "linux.resources.memory.limit", err, "%" PRId64, limit) < 0
               || cg_write (dir, "memory.memsw.limit_in_bytes", "linux.resources.memory.swap", err, "%" PRId64, swap)
                      < 0)
        return -1;
    }
  else if (limit != 0)
    {
      if (cg_write (dir, "memory.limit_in_bytes", "linux.resources.memory.limit", err, "%" PRId64, limit) < 0)
        return -1;
    }
  else if (swap != 0)
    {
      if (cg_write (dir, "memory.memsw.limit_in_bytes", "linux.resources.memory.swap", err, "%" PRId64, swap) < 0)
        return -1;
    }
  if (CG_SET (m, reservation)
      && cg_write (dir, "memory.soft_limit_in_bytes", "linux.resources.memory.reservation", err, "%" PRId64,
                   m->reservation)
             < 0)
    return -1;
  if (CG_SET (m, kernel)
      && write_deprecated (dir, "memory.kmem.limit_in_bytes", "linux.resources.memory.kernel", m->kernel, err) < 0)
    return -1;
  if (CG_SET (m, kernel_tcp)
      && write_deprecated (dir, "memory.kmem.tcp.limit_in_bytes", "linux.resources.memory.kernelTCP", m->kernel_tcp,
                           err)
             < 0)
    return -1;
  if (CG_SWAPPINESS_SET (m)
      && cg_write (dir, "memory.swappiness", "linux.resources.memory.swappiness", err, "%" PRIu64, m->swappiness) < 0)
    return -1;
  /* false is the kernel's default and what Docker always sends: written
   * only when true, as runc does */
  if (m->has_disable_oom_killer && m->disable_oom_killer
      && cg_write (dir, "memory.oom_control", "linux.resources.memory.disableOOMKiller", err, "1") < 0)
    return -1;
  if (m->has_use_hierarchy)
    {
      /* since 5.x the kernel is always hierarchical and refuses 0 */
      int r = cg_write_raw (dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0");
      if (r == -EINVAL && !m->use_hierarchy)
        ocirun_warning ("linux.resources.memory.useHierarchy: the kernel only supports hierarchical accounting");
      else if (r < 0 && r != -ENOENT)
        return ocirun_make_error (err, -r, "linux.resources.memory.useHierarchy: write `memory.use_hierarchy` in `%s`",
                                  dir);
    }
  /* checkBeforeUpdate: v1 kernels refuse a limit below the usage by
   * themselves (EBUSY), nothing to do */
  return 0;
}

/* Write a (first, second) pair where the kernel validates the pair at
 * each step (cfs period/quota, rt period/runtime): first-then-second, and
 * when the first write is refused with EINVAL, the other order. */
static int
write_pair (const char *dir, const char *f1, const char *field1, const char *v1, const char *f2, const char *field2,
            const char *v2, ocirun_error_t *err)
{
  int r = 0;
  if (v1)
    {
      r = cg_write_raw (dir, f1, v1);
      if (r == -EINVAL && v2)
        {
          if (cg_write (dir, f2, field2, err, "%s", v2) < 0 || cg_write (dir, f1, field1, err, "%s", v1) < 0)
            return -1;
          return 0;
        }
      if (r < 0)
        return ocirun_make_error (err, -r, "%s: write `%s` in `%s`", field1, f1, dir);
    }
  if (v2 && cg_write (dir, f2, field2, err, "%s", v2) < 0)
    return -1;
  return 0;
}

static char *
xstrndup_ (const char *s, size_t n)
{
  char *r = strndup (s, n);
  if (r == NULL)
    abort ();
  return r;
}

/* The real-time budget of a directory, in microseconds per second (the
 * kernel compares runtime/period ratios); UINT64_MAX when unlimited */
static uint64_t
rt_share (const char *dir)
{
  uint64_t runtime = cg_read_u64 (dir, "cpu.rt_runtime_us"), period = cg_read_u64 (dir, "cpu.rt_period_us");
  if (runtime == UINT64_MAX)
    return UINT64_MAX;
  if (period == 0)
    return 0;
  return (runtime * 1000000 + period - 1) / period;
}

/* With RT group scheduling (CONFIG_RT_GROUP_SCHED: cpu.rt_runtime_us
 * exists) a cgroup's real-time budget must fit in its parent's, minus what
 * the parent's other children hold, and a new cgroup starts with none.
 * runc puts a container without cgroupsPath directly below the root, whose
 * budget is the system's; ours go below `ocirun/` (or the caller's parents),
 * which start at 0, so realtimeRuntime could never be written.  Raise each
 * ancestor below the hierarchy's root, top-down, to what it needs for the
 * container's `share` (never lowering one), as Docker does for its parents
 * with --cpu-rt-runtime. */
static int
rt_budget_ancestors (const struct cg_hier *h, uint64_t share, ocirun_error_t *err)
{
  size_t root_len = strlen (h->mountpoint), n = 0, i;
  cleanup_free char **anc = NULL;
  cleanup_free uint64_t *req = NULL;
  cleanup_free char *path = NULL;
  char *p;
  int ret = 0;

  if (!cg_exists (h->path, "cpu.rt_runtime_us") || strncmp (h->path, h->mountpoint, root_len) != 0)
    return 0;
  path = xstrdup (h->path);
  /* the ancestors strictly between the mount point and the container */
  for (p = path + root_len; (p = strchr (p + 1, '/')) != NULL;)
    n++;
  if (n == 0)
    return 0;
  anc = xmalloc0 (n * sizeof *anc);
  req = xmalloc0 (n * sizeof *req);
  for (i = 0, p = path + root_len; (p = strchr (p + 1, '/')) != NULL; i++)
    anc[i] = xstrndup_ (path, (size_t) (p - path));

  /* bottom-up: what each ancestor must hold (its other children + ours) */
  for (i = n; i-- > 0;)
    {
      const char *child = i + 1 < n ? anc[i + 1] : h->path;
      uint64_t need = i + 1 < n ? req[i + 1] : share;
      cleanup_dir DIR *d = opendir (anc[i]);
      struct dirent *de;
      if (need == UINT64_MAX)
        {
          req[i] = UINT64_MAX;
          continue;
        }
      while (d && (de = readdir (d)))
        {
          cleanup_free char *sub = NULL;
          uint64_t s;
          if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
          xasprintf (&sub, "%s/%s", anc[i], de->d_name);
          if (strcmp (sub, child) == 0)
            continue;
          s = rt_share (sub);
          need = s == UINT64_MAX ? UINT64_MAX : need + s;
          if (need == UINT64_MAX)
            break;
        }
      req[i] = need;
    }
  /* top-down: a parent grows before its child can */
  for (i = 0; i < n && ret == 0; i++)
    {
      uint64_t have = rt_share (anc[i]), period;
      if (have == UINT64_MAX || have >= req[i])
        continue;
      if (req[i] == UINT64_MAX)
        ret = ocirun_make_error (err, 0,
                                 "linux.resources.cpu.realtimeRuntime: `%s` has a limited real-time budget "
                                 "and a child with an unlimited one",
                                 anc[i]);
      else
        {
          period = cg_read_u64 (anc[i], "cpu.rt_period_us");
          ret = cg_write (anc[i], "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime", err, "%" PRIu64,
                          (req[i] * period + 999999) / 1000000);
          if (ret == 0)
            ocirun_debug ("cgroup: real-time budget of `%s` raised for the container", anc[i]);
        }
    }
  for (i = 0; i < n; i++)
    free (anc[i]);
  return ret;
}

static int
v1_cpu (ocirun_cgroup *cg, const oci_cpu *c, ocirun_error_t *err)
{
  char q[32], p[32];
  /* 0 is "not set" for shares, quota, period and the realtime pair
   * (runc); a negative quota is "unlimited" */
  bool quota = CG_SET (c, quota), period = CG_SET (c, period);
  bool rt_runtime = CG_SET (c, realtime_runtime), rt_period = CG_SET (c, realtime_period);
  bool want_cpu = CG_SET (c, shares) || quota || period || c->has_burst || rt_runtime || rt_period || c->has_idle;

  if (want_cpu)
    {
      struct cg_hier *h = need (cg, "cpu", "linux.resources.cpu", err);
      const char *dir;
      if (h == NULL)
        return -1;
      dir = h->path;
      if (CG_SET (c, shares)
          && cg_write (dir, "cpu.shares", "linux.resources.cpu.shares", err, "%" PRIu64, c->shares) < 0)
        return -1;
      if (period)
        snprintf (p, sizeof p, "%" PRIu64, c->period);
      if (quota)
        snprintf (q, sizeof q, "%" PRId64, c->quota < 0 ? (int64_t) -1 : c->quota);
      if (write_pair (dir, "cpu.cfs_period_us", "linux.resources.cpu.period", period ? p : NULL, "cpu.cfs_quota_us",
                      "linux.resources.cpu.quota", quota ? q : NULL, err)
          < 0)
        return -1;
      /* burst and idle: 0 is their default, so a kernel without the file
       * (before 5.14 / 5.15) has nothing to change */
      if (c->has_burst
          && (c->burst ? cg_write (dir, "cpu.cfs_burst_us", "linux.resources.cpu.burst", err, "%" PRIu64, c->burst)
                       : cg_write_opt (dir, "cpu.cfs_burst_us", "linux.resources.cpu.burst", err, "0"))
                 < 0)
        return -1;
      if (rt_period)
        snprintf (p, sizeof p, "%" PRIu64, c->realtime_period);
      if (rt_runtime)
        snprintf (q, sizeof q, "%" PRId64, c->realtime_runtime);
      if (rt_runtime && c->realtime_runtime != 0)
        {
          uint64_t period_us = rt_period ? c->realtime_period : cg_read_u64 (dir, "cpu.rt_period_us");
          uint64_t share = c->realtime_runtime < 0 ? UINT64_MAX
                           : period_us ? ((uint64_t) c->realtime_runtime * 1000000 + period_us - 1) / period_us
                                       : 0;
          if (rt_budget_ancestors (h, share, err) < 0)
            return -1;
        }
      if (write_pair (dir, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod", rt_period ? p : NULL,
                      "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime", rt_runtime ? q : NULL, err)
          < 0)
        return -1;
      if (c->has_idle
          && (c->idle ? cg_write (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, c->idle)
                      : cg_write_opt (dir, "cpu.idle", "linux.resources.cpu.idle", err, "0"))
                 < 0)
        return -1;
    }
  if ((c->cpus && *c->cpus) || (c->mems && *c->mems))
    {
      struct cg_hier *h = need (cg, "cpuset", "linux.resources.cpu.cpus", err);
      if (h == NULL)
        return -1;
      if (c->cpus && *c->cpus && cg_write (h->path, "cpuset.cpus", "linux.resources.cpu.cpus", err, "%s", c->cpus) < 0)
        return -1;
      if (c->mems && *c->mems && cg_write (h->path, "cpuset.mems", "linux.resources.cpu.mems", err, "%s", c->mems) < 0)
        return -1;
    }
  return 0;
}

static int
v1_throttle (const char *dir, const char *file, const char *name, const oci_blkio_throttle_device *d, size_t n,
             ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      char field[96];
      snprintf (field, sizeof field, "linux.resources.blockIO.%s[%zu]", name, i);
      if (cg_write (dir, file, field, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major, d[i].minor, d[i].rate) < 0)
        return -1;
    }
  return 0;
}

static int
v1_blkio (ocirun_cgroup *cg, const oci_blkio *b, ocirun_error_t *err)
{
  struct cg_hier *h = need (cg, "blkio", "linux.resources.blockIO", err);
  const char *dir, *wfile, *wdfile;
  size_t i;

  if (h == NULL)
    return -1;
  dir = h->path;
  /* CFQ's blkio.weight is gone since 5.0; BFQ has the same range */
  wfile = cg_exists (dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  wdfile = cg_exists (dir, "blkio.weight_device") ? "blkio.weight_device" : "blkio.bfq.weight_device";
  if (CG_SET (b, weight)
      && cg_write (dir, wfile, "linux.resources.blockIO.weight", err, "%u", (unsigned) b->weight) < 0)
    return -1;
  if (CG_SET (b, leaf_weight)
      && cg_write_opt (dir, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight", err, "%u",
                       (unsigned) b->leaf_weight)
             < 0)
    return -1;
  for (i = 0; i < b->weight_device_len; i++)
    {
      const oci_blkio_weight_device *d = &b->weight_device[i];
      char field[96];
      snprintf (field, sizeof field, "linux.resources.blockIO.weightDevice[%zu]", i);
      if (CG_SET (d, weight)
          && cg_write (dir, wdfile, field, err, "%" PRId64 ":%" PRId64 " %u", d->major, d->minor, (unsigned) d->weight)
                 < 0)
        return -1;
      if (CG_SET (d, leaf_weight)
          && cg_write_opt (dir, "blkio.leaf_weight_device", field, err, "%" PRId64 ":%" PRId64 " %u", d->major,
                           d->minor, (unsigned) d->leaf_weight)
                 < 0)
        return -1;
    }
  if (v1_throttle (dir, "blkio.throttle.read_bps_device", "throttleReadBpsDevice", b->throttle_read_bps_device,
                   b->throttle_read_bps_device_len, err)
          < 0
      || v1_throttle (dir, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice", b->throttle_write_bps_device,
                      b->throttle_write_bps_device_len, err)
             < 0
      || v1_throttle (dir, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice", b->throttle_read_iops_device,
                      b->throttle_read_iops_device_len, err)
             < 0
      || v1_throttle (dir, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice", b->throttle_write_iops_device,
                      b->throttle_write_iops_device_len, err)
             < 0)
    return -1;
  return 0;
}

static int
v1_hugetlb (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err)
{
  struct cg_hier *h = cg_find (cg, "hugetlb");
  struct cg_hier *u = cg_unified (cg);
  bool use_v2 = false;
  size_t i;

  if (h == NULL)
    {
      /* hybrid: the unified hierarchy may have hugetlb */
      if (u == NULL || !cg_v2_has_controller (u->path, "hugetlb"))
        return ocirun_make_error (err, 0,
                                  "linux.resources.hugepageLimits: the hugetlb cgroup controller is not "
                                  "available on this host");
      use_v2 = true;
      h = u;
    }
  for (i = 0; i < r->hugepage_limits_len; i++)
    {
      const oci_hugepage_limit *l = &r->hugepage_limits[i];
      cleanup_free char *file = NULL, *rsvd = NULL, *field = NULL;
      xasprintf (&file, use_v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", l->page_size);
      xasprintf (&rsvd, use_v2 ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes", l->page_size);
      xasprintf (&field, "linux.resources.hugepageLimits[%zu]", i);
      if (!cg_exists (h->path, file))
        return ocirun_make_error (err, 0, "%s.pageSize: page size \"%s\" is not supported (no `%s`)", field,
                                  l->page_size, file);
      if (cg_write (h->path, file, field, err, "%" PRIu64, l->limit) < 0)
        return -1;
      /* reservation accounting where the kernel has it (config-linux.md) */
      if (cg_exists (h->path, rsvd) && cg_write (h->path, rsvd, field, err, "%" PRIu64, l->limit) < 0)
        return -1;
    }
  return 0;
}

static int
v1_network (ocirun_cgroup *cg, const oci_network *n, ocirun_error_t *err)
{
  size_t i;
  if (CG_SET (n, class_id))
    {
      struct cg_hier *h = need (cg, "net_cls", "linux.resources.network.classID", err);
      if (h == NULL
          || cg_write (h->path, "net_cls.classid", "linux.resources.network.classID", err, "%" PRIu32, n->class_id) < 0)
        return -1;
    }
  if (n->priorities_len)
    {
      struct cg_hier *h = need (cg, "net_prio", "linux.resources.network.priorities", err);
      if (h == NULL)
        return -1;
      for (i = 0; i < n->priorities_len; i++)
        {
          char field[80];
          snprintf (field, sizeof field, "linux.resources.network.priorities[%zu]", i);
          if (cg_write (h->path, "net_prio.ifpriomap", field, err, "%s %" PRIu32, n->priorities[i].name,
                        n->priorities[i].priority)
              < 0)
            return -1;
        }
    }
  return 0;
}

static int
v1_set (ocirun_cgroup *cg, const oci_resources *r, bool update, ocirun_error_t *err)
{
  /* objects of zeros (Docker's "blockIO": {"weight": 0}) need no
   * controller: runc skips a subsystem with nothing to write */
  if (r->memory && cg_memory_wanted (r->memory) && v1_memory (cg, r->memory, update, err) < 0)
    return -1;
  if (r->cpu && v1_cpu (cg, r->cpu, err) < 0)
    return -1;
  if (r->block_io && cg_blkio_wanted (r->block_io) && v1_blkio (cg, r->block_io, err) < 0)
    return -1;
  if (r->pids && r->pids->limit != 0)
    {
      /* 0 is "not set", any negative value "max" (runc) */
      struct cg_hier *h = need (cg, "pids", "linux.resources.pids", err);
      char buf[32];
      if (h == NULL
          || cg_write (h->path, "pids.max", "linux.resources.pids.limit", err, "%s",
                       r->pids->limit < 0 ? "max" : cg_fmt_i64 (buf, sizeof buf, r->pids->limit, false))
                 < 0)
        return -1;
    }
  if (r->hugepage_limits_len && v1_hugetlb (cg, r, err) < 0)
    return -1;
  if (r->network && v1_network (cg, r->network, err) < 0)
    return -1;
  if (r->rdma_len)
    {
      struct cg_hier *h = need (cg, "rdma", "linux.resources.rdma", err);
      if (h == NULL || cg_rdma_apply (h->path, r, err) < 0)
        return -1;
    }
  if (r->unified.len)
    {
      struct cg_hier *u = cg_unified (cg);
      if (u == NULL)
        return ocirun_make_error (err, 0, "linux.resources.unified: requires cgroup v2 (this host has cgroup v1 only)");
      if (cg_unified_apply (u->path, &r->unified, err) < 0)
        return -1;
    }
  return 0;
}

/* freezer.state: write FROZEN/THAWED and wait until the state settles
 * (FREEZING means some task has not stopped yet: write again). */
static int
v1_freeze (ocirun_cgroup *cg, bool freeze, ocirun_error_t *err)
{
  struct cg_hier *h = need (cg, "freezer", freeze ? "pause" : "resume", err);
  const char *want = freeze ? "FROZEN" : "THAWED";
  int i;

  if (h == NULL)
    return -1;
  for (i = 0; i < 2000; i++)
    {
      cleanup_free char *state = NULL;
      if (i % 50 == 0 && cg_write (h->path, "freezer.state", NULL, err, "%s", want) < 0)
        return -1;
      if (cg_read (h->path, "freezer.state", &state, err) < 0)
        return -1;
      if (strncmp (state, want, strlen (want)) == 0)
        return 0;
      {
        struct timespec ts = { 0, 1000 * 1000 };
        nanosleep (&ts, NULL);
      }
    }
  if (freeze)
    {
      ocirun_error_t e = NULL;
      if (cg_write (h->path, "freezer.state", NULL, &e, "THAWED") < 0)
        ocirun_error_release (&e);
    }
  return ocirun_make_error (err, ETIMEDOUT, "%s: `%s/freezer.state` did not become %s", freeze ? "pause" : "resume",
                            h->path, want);
}

static int
v1_is_frozen (ocirun_cgroup *cg, bool *frozen, ocirun_error_t *err)
{
  struct cg_hier *h = cg_find (cg, "freezer");
  cleanup_free char *state = NULL;
  *frozen = false;
  if (h == NULL)
    return 0;
  if (cg_read (h->path, "freezer.state", &state, err) < 0)
    return -1;
  *frozen = strncmp (state, "FROZEN", 6) == 0;
  return 0;
}

static int
v1_kill (ocirun_cgroup *cg, int signo, ocirun_error_t *err)
{
  return 1; /* no cgroup.kill in v1: the generic freeze + signal + thaw */
}

/* --- stats: runc's `events --stats` (types/events.go) --- */

static void
u64_list (yajl_gen g, const char *key, const char *text)
{
  cleanup_free char *copy = xstrdup (text);
  char *tok, *save = NULL;
  cg_json_key (g, key);
  yajl_gen_array_open (g);
  for (tok = strtok_r (copy, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    cg_json_u64 (g, NULL, strtoull (tok, NULL, 10));
  yajl_gen_array_close (g);
}

static void
v1_stats_cpu (ocirun_cgroup *cg, yajl_gen g)
{
  struct cg_hier *acct = cg_find (cg, "cpuacct");
  struct cg_hier *cpu = cg_find (cg, "cpu");

  cg_json_key (g, "cpu");
  yajl_gen_map_open (g);
  cg_json_key (g, "usage");
  yajl_gen_map_open (g);
  if (acct)
    {
      cleanup_free char *percpu = NULL, *all = NULL;
      ocirun_error_t e = NULL;
      uint64_t hz = (uint64_t) sysconf (_SC_CLK_TCK);
      uint64_t ns_per_tick = hz ? 1000000000ULL / hz : 10000000ULL;
      cg_json_u64_oe (g, "total", cg_read_u64 (acct->path, "cpuacct.usage"));
      if (cg_read (acct->path, "cpuacct.usage_percpu", &percpu, &e) == 0)
        u64_list (g, "percpu", percpu);
      ocirun_error_release (&e);
      if (cg_read (acct->path, "cpuacct.usage_all", &all, &e) == 0)
        {
          /* "cpu user system" header, then one line per cpu */
          char *line, *save = NULL;
          cleanup_free char *k = xmalloc0 (strlen (all) + 1), *u = xmalloc0 (strlen (all) + 1);
          size_t kl = 0, ul = 0;
          for (line = strtok_r (all, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
            {
              unsigned long long c, us, sy;
              if (sscanf (line, "%llu %llu %llu", &c, &us, &sy) != 3)
                continue;
              ul += (size_t) sprintf (u + ul, "%llu ", us);
              kl += (size_t) sprintf (k + kl, "%llu ", sy);
            }
          u64_list (g, "percpu_kernel", k);
          u64_list (g, "percpu_user", u);
        }
      ocirun_error_release (&e);
      cg_json_u64 (g, "kernel", cg_kv_get (acct->path, "cpuacct.stat", "system") * ns_per_tick);
      cg_json_u64 (g, "user", cg_kv_get (acct->path, "cpuacct.stat", "user") * ns_per_tick);
    }
  else
    {
      cg_json_u64 (g, "kernel", 0);
      cg_json_u64 (g, "user", 0);
    }
  yajl_gen_map_close (g);
  cg_json_key (g, "throttling");
  yajl_gen_map_open (g);
  if (cpu)
    {
      cg_json_u64_oe (g, "periods", cg_kv_get (cpu->path, "cpu.stat", "nr_periods"));
      cg_json_u64_oe (g, "throttledPeriods", cg_kv_get (cpu->path, "cpu.stat", "nr_throttled"));
      cg_json_u64_oe (g, "throttledTime", cg_kv_get (cpu->path, "cpu.stat", "throttled_time"));
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
mem_entry (yajl_gen g, const char *key, const char *dir, const char *prefix)
{
  char f[96];
  cg_json_key (g, key);
  yajl_gen_map_open (g);
  snprintf (f, sizeof f, "%s.limit_in_bytes", prefix);
  cg_json_u64 (g, "limit", cg_read_u64 (dir, f));
  snprintf (f, sizeof f, "%s.usage_in_bytes", prefix);
  cg_json_u64_oe (g, "usage", cg_read_u64 (dir, f));
  snprintf (f, sizeof f, "%s.max_usage_in_bytes", prefix);
  cg_json_u64_oe (g, "max", cg_read_u64 (dir, f));
  snprintf (f, sizeof f, "%s.failcnt", prefix);
  cg_json_u64 (g, "failcnt", cg_read_u64 (dir, f));
  yajl_gen_map_close (g);
}

static void
raw_cb (const char *key, uint64_t value, void *data)
{
  cg_json_u64 ((yajl_gen) data, key, value);
}

static void
v1_stats_memory (ocirun_cgroup *cg, yajl_gen g)
{
  struct cg_hier *h = cg_find (cg, "memory");
  cg_json_key (g, "memory");
  yajl_gen_map_open (g);
  if (h)
    {
      cg_json_u64_oe (g, "cache", cg_kv_get (h->path, "memory.stat", "cache"));
      mem_entry (g, "usage", h->path, "memory");
      mem_entry (g, "swap", h->path, "memory.memsw");
      mem_entry (g, "kernel", h->path, "memory.kmem");
      mem_entry (g, "kernelTCP", h->path, "memory.kmem.tcp");
      cg_json_key (g, "raw");
      yajl_gen_map_open (g);
      cg_read_kv (h->path, "memory.stat", raw_cb, g);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

static void
v1_stats_blkio (ocirun_cgroup *cg, yajl_gen g)
{
  struct cg_hier *h = cg_find (cg, "blkio");
  cg_json_key (g, "blkio");
  yajl_gen_map_open (g);
  if (h)
    {
      /* CFQ files, else BFQ, else the throttle layer (as runc) */
      const char *pfx = cg_exists (h->path, "blkio.io_serviced_recursive")       ? "blkio"
                        : cg_exists (h->path, "blkio.bfq.io_serviced_recursive") ? "blkio.bfq"
                                                                                 : "blkio.throttle";
      char f[96];
      snprintf (f, sizeof f, "%s.io_service_bytes_recursive", pfx);
      cg_stats_blkio_entries (g, "ioServiceBytesRecursive", h->path, f);
      snprintf (f, sizeof f, "%s.io_serviced_recursive", pfx);
      cg_stats_blkio_entries (g, "ioServicedRecursive", h->path, f);
    }
  yajl_gen_map_close (g);
}

static void
v1_stats_hugetlb (ocirun_cgroup *cg, yajl_gen g)
{
  struct cg_hier *h = cg_find (cg, "hugetlb");
  cg_json_key (g, "hugetlb");
  yajl_gen_map_open (g);
  if (h)
    {
      cleanup_dir DIR *d = opendir (h->path);
      struct dirent *de;
      while (d && (de = readdir (d)))
        {
          char size[32], f[96];
          if (sscanf (de->d_name, "hugetlb.%31[^.].limit_in_bytes", size) != 1
              || strcmp (de->d_name + 8 + strlen (size), ".limit_in_bytes") != 0)
            continue;
          cg_json_key (g, size);
          yajl_gen_map_open (g);
          snprintf (f, sizeof f, "hugetlb.%s.usage_in_bytes", size);
          cg_json_u64_oe (g, "usage", cg_read_u64 (h->path, f));
          snprintf (f, sizeof f, "hugetlb.%s.max_usage_in_bytes", size);
          cg_json_u64_oe (g, "max", cg_read_u64 (h->path, f));
          snprintf (f, sizeof f, "hugetlb.%s.failcnt", size);
          cg_json_u64 (g, "failcnt", cg_read_u64 (h->path, f));
          yajl_gen_map_close (g);
        }
    }
  yajl_gen_map_close (g);
}

static int
v1_stats (ocirun_cgroup *cg, yajl_gen g, ocirun_error_t *err)
{
  struct cg_hier *h;
  v1_stats_cpu (cg, g);
  h = cg_find (cg, "cpuset");
  cg_stats_cpuset (g, h ? h->path : NULL, false);
  v1_stats_memory (cg, g);
  h = cg_find (cg, "pids");
  cg_json_key (g, "pids");
  yajl_gen_map_open (g);
  if (h)
    {
      uint64_t lim = cg_read_u64 (h->path, "pids.max");
      cg_json_u64_oe (g, "current", cg_read_u64 (h->path, "pids.current"));
      cg_json_u64_oe (g, "limit", lim == UINT64_MAX ? 0 : lim);
    }
  yajl_gen_map_close (g);
  v1_stats_blkio (cg, g);
  v1_stats_hugetlb (cg, g);
  cg_json_stats_tail (g);
  return 0;
}

const struct cg_ops cg_v1_ops = {
  .name = "v1",
  .set = v1_set,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .kill = v1_kill,
  .stats = v1_stats,
};
