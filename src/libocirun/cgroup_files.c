/* File, hierarchy and JSON helpers shared by the cgroup writers
 * (cgroup_v1.c, cgroup_v2.c, cgroup_devices.c; cgroup.c above them, so
 * nothing here calls up into it): one write() per value, errors that name
 * the field, the file and the directory; and the pieces of runc's stats
 * format that v1 and v2 share. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "utils.h"

/* ------------------------------------------------------------------ */
/* File helpers                                                        */
/* ------------------------------------------------------------------ */

int
cg_write_raw (const char *dir, const char *file, const char *data)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  size_t len = strlen (data);
  ssize_t w;

  xasprintf (&path, "%s/%s", dir, file);
  fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  /* one write() per value: cgroup files parse each write as one command */
  do
    w = write (fd, data, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return -errno;
  return 0;
}

static int
cg_vwrite (const char *dir, const char *file, const char *field, bool optional, ocirun_error_t *err, const char *fmt,
           va_list ap)
{
  cleanup_free char *val = NULL;
  int r;
  if (vasprintf (&val, fmt, ap) < 0)
    abort ();
  r = cg_write_raw (dir, file, val);
  if (r == -ENOENT && optional)
    {
      ocirun_debug ("cgroup: `%s` does not exist in `%s`, skipping %s", file, dir, field ? field : "");
      return 1;
    }
  if (r < 0)
    {
      if (field)
        return ocirun_make_error (err, -r, "%s: write `%s` in `%s`", field, file, dir);
      return ocirun_make_error (err, -r, "write `%s` in `%s`", file, dir);
    }
  return 0;
}

int
cg_write (const char *dir, const char *file, const char *field, ocirun_error_t *err, const char *fmt, ...)
{
  va_list ap;
  int r;
  va_start (ap, fmt);
  r = cg_vwrite (dir, file, field, false, err, fmt, ap);
  va_end (ap);
  return r;
}

int
cg_write_opt (const char *dir, const char *file, const char *field, ocirun_error_t *err, const char *fmt, ...)
{
  va_list ap;
  int r;
  va_start (ap, fmt);
  r = cg_vwrite (dir, file, field, true, err, fmt, ap);
  va_end (ap);
  return r;
}

int
cg_read (const char *dir, const char *file, char **out, ocirun_error_t *err)
{
  cleanup_free char *path = NULL;
  xasprintf (&path, "%s/%s", dir, file);
  return read_all_file (path, out, NULL, err);
}

uint64_t
cg_read_u64 (const char *dir, const char *file)
{
  cleanup_free char *v = NULL;
  ocirun_error_t e = NULL;
  if (cg_read (dir, file, &v, &e) < 0)
    {
      ocirun_error_release (&e);
      return 0;
    }
  if (strncmp (v, "max", 3) == 0)
    return UINT64_MAX;
  return strtoull (v, NULL, 10);
}

bool
cg_exists (const char *dir, const char *file)
{
  cleanup_free char *path = NULL;
  xasprintf (&path, "%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

bool
cg_v2_has_controller (const char *dir, const char *controller)
{
  cleanup_free char *v = NULL;
  ocirun_error_t e = NULL;
  char *tok, *save = NULL;
  if (cg_read (dir, "cgroup.controllers", &v, &e) < 0)
    {
      ocirun_error_release (&e);
      return false;
    }
  for (tok = strtok_r (v, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
    if (strcmp (tok, controller) == 0)
      return true;
  return false;
}

const char *
cg_fmt_i64 (char *buf, size_t len, int64_t v, bool v2)
{
  if (v < 0 && v2)
    snprintf (buf, len, "max");
  else
    snprintf (buf, len, "%" PRId64, v);
  return buf;
}

void
cg_read_kv (const char *dir, const char *file, cg_kv_cb cb, void *data)
{
  cleanup_free char *v = NULL;
  ocirun_error_t e = NULL;
  char *line, *save = NULL;
  if (cg_read (dir, file, &v, &e) < 0)
    {
      ocirun_error_release (&e);
      return;
    }
  for (line = strtok_r (v, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      if (sp == NULL)
        continue;
      *sp = '\0';
      cb (line, strtoull (sp + 1, NULL, 10), data);
    }
}

struct kv_find
{
  const char *key;
  uint64_t v;
};

static void
kv_find_cb (const char *key, uint64_t value, void *data)
{
  struct kv_find *f = data;
  if (strcmp (key, f->key) == 0)
    f->v = value;
}

uint64_t
cg_kv_get (const char *dir, const char *file, const char *key)
{
  struct kv_find f = { key, 0 };
  cg_read_kv (dir, file, kv_find_cb, &f);
  return f.v;
}

int
cg_parse_page_size (const char *s, uint64_t *bytes)
{
  char *end;
  unsigned long long n;
  uint64_t mult;
  if (s == NULL || !isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  n = strtoull (s, &end, 10);
  if (errno || n == 0)
    return -1;
  if (strcmp (end, "B") == 0)
    mult = 1;
  else if (strcmp (end, "KB") == 0)
    mult = 1ULL << 10;
  else if (strcmp (end, "MB") == 0)
    mult = 1ULL << 20;
  else if (strcmp (end, "GB") == 0)
    mult = 1ULL << 30;
  else if (strcmp (end, "TB") == 0)
    mult = 1ULL << 40;
  else
    return -1;
  *bytes = n * mult;
  return 0;
}

bool
cg_memory_wanted (const oci_memory *m)
{
  return CG_SET (m, limit) || CG_SET (m, swap) || CG_SET (m, reservation) || CG_SET (m, kernel)
         || CG_SET (m, kernel_tcp) || CG_SWAPPINESS_SET (m) || (m->has_disable_oom_killer && m->disable_oom_killer)
         || (m->has_use_hierarchy && !m->use_hierarchy)
         || (m->has_check_before_update && m->check_before_update && CG_SET (m, limit));
}

bool
cg_blkio_wanted (const oci_blkio *b)
{
  size_t i;
  if (CG_SET (b, weight) || CG_SET (b, leaf_weight) || b->throttle_read_bps_device_len
      || b->throttle_write_bps_device_len || b->throttle_read_iops_device_len || b->throttle_write_iops_device_len)
    return true;
  for (i = 0; i < b->weight_device_len; i++)
    if (CG_SET (&b->weight_device[i], weight) || CG_SET (&b->weight_device[i], leaf_weight))
      return true;
  return false;
}

bool
cg_resources_wanted (const oci_resources *r)
{
  const oci_cpu *c = r->cpu;
  const oci_network *n = r->network;
  if (r->memory && cg_memory_wanted (r->memory))
    return true;
  if (c
      && (CG_SET (c, shares) || CG_SET (c, quota) || CG_SET (c, period) || CG_SET (c, realtime_runtime)
          || CG_SET (c, realtime_period) || c->has_burst || c->has_idle || (c->cpus && *c->cpus)
          || (c->mems && *c->mems)))
    return true;
  if (r->block_io && cg_blkio_wanted (r->block_io))
    return true;
  if (r->pids && r->pids->limit != 0)
    return true;
  if (n && (CG_SET (n, class_id) || n->priorities_len))
    return true;
  return r->hugepage_limits_len || r->rdma_len || r->unified.len;
}

/* ------------------------------------------------------------------ */
/* Hierarchies                                                         */
/* ------------------------------------------------------------------ */

/* Does the comma-separated list `opts` contain `word`? */
bool
cg_list_has (const char *opts, const char *word)
{
  size_t wl = strlen (word);
  const char *p = opts;
  while (p && *p)
    {
      const char *e = strchr (p, ',');
      size_t l = e ? (size_t) (e - p) : strlen (p);
      if (l == wl && strncmp (p, word, wl) == 0)
        return true;
      p = e ? e + 1 : NULL;
    }
  return false;
}

struct cg_hier *
cg_find (ocirun_cgroup *cg, const char *controller)
{
  size_t i;
  for (i = 0; i < cg->n; i++)
    if (!cg->h[i].unified && cg_list_has (cg->h[i].controllers, controller))
      return &cg->h[i];
  return NULL;
}

struct cg_hier *
cg_unified (ocirun_cgroup *cg)
{
  size_t i;
  for (i = 0; i < cg->n; i++)
    if (cg->h[i].unified)
      return &cg->h[i];
  return NULL;
}

struct cg_hier *
cg_main (ocirun_cgroup *cg)
{
  static const char *const pref[] = { "pids", "freezer", "memory", "devices", "cpu", "name=systemd" };
  size_t i;
  if (cg->mode == CG_MODE_V2)
    return cg_unified (cg);
  for (i = 0; i < ARRAY_SIZE (pref); i++)
    {
      struct cg_hier *h = cg_find (cg, pref[i]);
      if (h)
        return h;
    }
  return cg->n ? &cg->h[0] : NULL;
}

/* rdma.max has the same syntax on v1 and v2 */
int
cg_rdma_apply (const char *dir, const oci_resources *r, ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < r->rdma_len; i++)
    {
      const oci_rdma *d = &r->rdma[i];
      char h[40] = "", o[40] = "";
      cleanup_free char *field = NULL;
      if (d->has_hca_handles)
        snprintf (h, sizeof h, " hca_handle=%" PRIu32, d->hca_handles);
      if (d->has_hca_objects)
        snprintf (o, sizeof o, " hca_object=%" PRIu32, d->hca_objects);
      xasprintf (&field, "linux.resources.rdma[\"%s\"]", d->name);
      if (cg_write (dir, "rdma.max", field, err, "%s%s%s", d->name, h, o) < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* JSON helpers                                                        */
/* ------------------------------------------------------------------ */

void
cg_json_key (yajl_gen g, const char *key)
{
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
}

void
cg_json_u64 (yajl_gen g, const char *key, uint64_t v)
{
  char buf[32];
  int l = snprintf (buf, sizeof buf, "%" PRIu64, v);
  if (key)
    cg_json_key (g, key);
  yajl_gen_number (g, buf, (size_t) l);
}

void
cg_json_u64_oe (yajl_gen g, const char *key, uint64_t v)
{
  if (v)
    cg_json_u64 (g, key, v);
}

void
cg_json_str (yajl_gen g, const char *key, const char *v)
{
  cg_json_key (g, key);
  yajl_gen_string (g, (const unsigned char *) v, strlen (v));
}

/* ------------------------------------------------------------------ */
/* Stats helpers shared by v1 and v2                                   */
/* ------------------------------------------------------------------ */

/* "0-3,7" -> [0,1,2,3,7] */
static void
cpu_list (yajl_gen g, const char *key, const char *dir, const char *file)
{
  cleanup_free char *v = NULL;
  ocirun_error_t e = NULL;
  char *tok, *save = NULL;
  if (cg_read (dir, file, &v, &e) < 0)
    {
      ocirun_error_release (&e);
      return;
    }
  v[strcspn (v, "\n")] = '\0';
  if (v[0] == '\0')
    return; /* omitempty */
  cg_json_key (g, key);
  yajl_gen_array_open (g);
  for (tok = strtok_r (v, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      unsigned long a, b;
      int k = sscanf (tok, "%lu-%lu", &a, &b);
      if (k < 1)
        continue;
      if (k == 1)
        b = a;
      for (; a <= b && a < 65536; a++)
        cg_json_u64 (g, NULL, a);
    }
  yajl_gen_array_close (g);
}

void
cg_stats_cpuset (yajl_gen g, const char *dir, bool v2)
{
  static const struct
  {
    const char *key, *file;
  } v1_files[] = {
    { "cpu_exclusive", "cpuset.cpu_exclusive" },           { "mem_hardwall", "cpuset.mem_hardwall" },
    { "mem_exclusive", "cpuset.mem_exclusive" },           { "memory_migrate", "cpuset.memory_migrate" },
    { "memory_spread_page", "cpuset.memory_spread_page" }, { "memory_spread_slab", "cpuset.memory_spread_slab" },
    { "memory_pressure", "cpuset.memory_pressure" },       { "sched_load_balance", "cpuset.sched_load_balance" },
  };
  size_t i;
  cg_json_key (g, "cpuset");
  yajl_gen_map_open (g);
  if (dir)
    {
      cpu_list (g, "cpus", dir, v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus");
      cpu_list (g, "mems", dir, v2 ? "cpuset.mems.effective" : "cpuset.effective_mems");
      /* the scalar fields are not omitempty in runc: v2 reports zeros */
      {
        cleanup_free char *lvl = NULL;
        ocirun_error_t e = NULL;
        for (i = 0; i < ARRAY_SIZE (v1_files); i++)
          cg_json_u64 (g, v1_files[i].key, cg_read_u64 (dir, v1_files[i].file));
        cg_json_key (g, "sched_relax_domain_level");
        if (cg_read (dir, "cpuset.sched_relax_domain_level", &lvl, &e) == 0)
          {
            char buf[32];
            int l = snprintf (buf, sizeof buf, "%lld", strtoll (lvl, NULL, 10));
            yajl_gen_number (g, buf, (size_t) l);
          }
        else
          {
            ocirun_error_release (&e);
            yajl_gen_integer (g, 0);
          }
      }
    }
  yajl_gen_map_close (g);
}

void
cg_stats_blkio_entries (yajl_gen g, const char *key, const char *dir, const char *file)
{
  cleanup_free char *v = NULL;
  ocirun_error_t e = NULL;
  char *line, *save = NULL;
  bool opened = false;
  if (cg_read (dir, file, &v, &e) < 0)
    {
      ocirun_error_release (&e);
      return;
    }
  for (line = strtok_r (v, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, val;
      char op[32];
      if (sscanf (line, "%llu:%llu %31s %llu", &maj, &min, op, &val) != 4)
        continue; /* "Total N" */
      if (!opened)
        {
          cg_json_key (g, key);
          yajl_gen_array_open (g);
          opened = true;
        }
      yajl_gen_map_open (g);
      cg_json_u64_oe (g, "major", maj);
      cg_json_u64_oe (g, "minor", min);
      cg_json_str (g, "op", op);
      cg_json_u64_oe (g, "value", val);
      yajl_gen_map_close (g);
    }
  if (opened)
    yajl_gen_array_close (g);
}

/* The members of runc's stats object that no cgroup file feeds here. */
void
cg_json_stats_tail (yajl_gen g)
{
  cg_json_key (g, "intel_rdt");
  yajl_gen_map_open (g);
  yajl_gen_map_close (g);
  cg_json_key (g, "network_interfaces");
  yajl_gen_null (g);
}
