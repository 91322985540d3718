/* The systemd cgroup driver (--systemd-cgroup): the container's cgroup is a
 * transient unit of the service manager, asked for over D-Bus, instead of a
 * directory ocirun makes.
 *
 * linux.cgroupsPath is "slice:prefix:name" (runc's form): the unit is
 * "<prefix>-<name>.scope" in "slice" (or the slice "name" itself when it
 * ends in ".slice"), empty parts take runc's defaults.  The scope is made
 * with StartTransientUnit on the system bus (the user bus for a rootless
 * caller), Delegate=yes (ocirun and the container own everything below the
 * unit's cgroup), the container's init pid in PIDs, and the resources
 * systemd knows as unit properties, so systemd never resets them (it
 * re-applies its own view of the unit on daemon-reload).  Everything is
 * also written to the cgroup files by the v1/v2 writers, as runc does: the
 * properties are only systemd's copy of the same values.
 *
 * libsystemd is dlopen()ed the first time the driver is used (as
 * libseccomp in seccomp.c): the cgroupfs driver never loads it.
 *
 * Only the pieces that talk to systemd live here; cgroup.c keeps the
 * hierarchies (paths, v1 controllers systemd does not manage, destroy). */
#include "config.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#ifdef HAVE_SYSTEMD
#  include <systemd/sd-bus.h>
#endif

#include "cgroup.h"
#include "cgroup_internal.h"
#include "utils.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define ANNOTATION_PREFIX "org.systemd.property."

/* ------------------------------------------------------------------ */
/* cgroupsPath and slice names (no bus needed; unit tested)             */
/* ------------------------------------------------------------------ */

/* systemd's unit name characters (unit-name.c: VALID_CHARS) */
static bool
unit_chars_ok (const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (!(isalnum ((unsigned char) s[i]) || strchr (":-_.\\@", s[i])))
      return false;
  return true;
}

int
cg_sd_expand_slice (const char *slice, char **out, ocirun_error_t *err)
{
  size_t len = strlen (slice), blen;
  const char *base;
  char *r, *w;
  size_t i;

  *out = NULL;
  if (len < 7 || strcmp (slice + len - 6, ".slice") != 0 || strchr (slice, '/'))
    return ocirun_make_error (err, EINVAL, "linux.cgroupsPath: invalid slice name \"%s\"", slice);
  if (strcmp (slice, "-.slice") == 0)
    {
      *out = xstrdup ("/"); /* the root slice */
      return 0;
    }
  base = slice;
  blen = len - 6;
  /* systemd's slice_name_is_valid: no leading, trailing or double dash */
  if (base[0] == '-' || base[blen - 1] == '-' || strstr (slice, "--") || !unit_chars_ok (base, blen) || len > 255)
    return ocirun_make_error (err, EINVAL, "linux.cgroupsPath: invalid slice name \"%s\"", slice);
  /* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice": one level per dash */
  r = w = xmalloc0 (len * (len / 2 + 2) + 2);
  for (i = 0; i <= blen; i++)
    if (i == blen || base[i] == '-')
      {
        *w++ = '/';
        memcpy (w, base, i);
        w += i;
        memcpy (w, ".slice", 6);
        w += 6;
      }
  *w = '\0';
  *out = r;
  return 0;
}

int
cg_sd_parse_path (const char *cgroups_path, const char *id, bool rootless, char **slice, char **unit,
                  ocirun_error_t *err)
{
  cleanup_free char *copy = NULL, *expanded = NULL;
  const char *s, *prefix, *name;
  char *c1, *c2;

  *slice = *unit = NULL;
  if (cgroups_path == NULL || *cgroups_path == '\0')
    {
      /* runc: ":runc:<id>"; ours says ocirun */
      xasprintf (&copy, ":ocirun:%s", id);
    }
  else
    copy = xstrdup (cgroups_path);
  c1 = strchr (copy, ':');
  c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':'))
    return ocirun_make_error (err, EINVAL,
                              "linux.cgroupsPath \"%s\": expected \"slice:prefix:name\" with --systemd-cgroup",
                              cgroups_path);
  *c1 = *c2 = '\0';
  s = copy;
  prefix = c1 + 1;
  name = c2 + 1;
  if (*s == '\0')
    s = rootless ? "user.slice" : "system.slice";
  if (*name == '\0')
    name = id;
  if (cg_sd_expand_slice (s, &expanded, err) < 0)
    return -1;
  if (strlen (name) > 6 && strcmp (name + strlen (name) - 6, ".slice") == 0)
    {
      cleanup_free char *e2 = NULL;
      if (cg_sd_expand_slice (name, &e2, err) < 0)
        return -1;
      *unit = xstrdup (name);
    }
  else
    {
      if (*prefix)
        xasprintf (unit, "%s-%s.scope", prefix, name);
      else
        xasprintf (unit, "%s.scope", name);
      if (!unit_chars_ok (*unit, strlen (*unit)) || strlen (*unit) > 255)
        {
          ocirun_make_error (err, EINVAL, "linux.cgroupsPath \"%s\": invalid unit name \"%s\"", cgroups_path, *unit);
          free (*unit);
          *unit = NULL;
          return -1;
        }
    }
  *slice = xstrdup (s);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Unit properties                                                      */
/* ------------------------------------------------------------------ */

static void
prop_clear (struct cg_sd_prop *x)
{
  size_t j;
  free (x->name);
  free (x->s);
  free (x->bytes);
  for (j = 0; j < x->npairs * 2; j++)
    free (x->pairs[j]);
  free (x->pairs);
  memset (x, 0, sizeof (*x));
}

void
cg_sd_props_free (struct cg_sd_props *p)
{
  size_t i;
  for (i = 0; i < p->n; i++)
    prop_clear (&p->v[i]);
  free (p->v);
  memset (p, 0, sizeof (*p));
}

static struct cg_sd_prop *
prop_add (struct cg_sd_props *p, const char *name, char type)
{
  struct cg_sd_prop *r;
  size_t i;
  /* a later value replaces an earlier one (annotations win over resources) */
  for (i = 0; i < p->n; i++)
    if (strcmp (p->v[i].name, name) == 0)
      {
        r = &p->v[i];
        prop_clear (r);
        goto set;
      }
  p->v = xrealloc (p->v, (p->n + 1) * sizeof (*p->v));
  r = &p->v[p->n++];
  memset (r, 0, sizeof (*r));
set:
  r->name = xstrdup (name);
  r->type = type;
  return r;
}

static void
prop_u64 (struct cg_sd_props *p, const char *name, uint64_t v)
{
  prop_add (p, name, 't')->u = v;
}

/* a cpuset list "0-3,7" -> systemd's CPU/NUMA bitmask: bit i of byte i/8 */
int
cg_sd_cpuset_mask (const char *list, uint8_t **bytes, size_t *n)
{
  cleanup_free char *copy = xstrdup (list);
  char *tok, *save = NULL;
  uint8_t *b = NULL;
  size_t len = 0;

  *bytes = NULL;
  *n = 0;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *end;
      unsigned long lo, hi, i;
      while (*tok == ' ' || *tok == '\n')
        tok++;
      if (*tok == '\0')
        continue;
      if (!isdigit ((unsigned char) *tok))
        goto bad;
      errno = 0;
      lo = strtoul (tok, &end, 10);
      hi = lo;
      if (*end == '-')
        {
          if (!isdigit ((unsigned char) end[1]))
            goto bad;
          hi = strtoul (end + 1, &end, 10);
        }
      while (*end == ' ' || *end == '\n')
        end++;
      if (*end || errno || hi < lo || hi >= 8192)
        goto bad;
      if (hi / 8 + 1 > len)
        {
          b = xrealloc (b, hi / 8 + 1);
          memset (b + len, 0, hi / 8 + 1 - len);
          len = hi / 8 + 1;
        }
      for (i = lo; i <= hi; i++)
        b[i / 8] |= (uint8_t) (1u << (i % 8));
    }
  *bytes = b;
  *n = len;
  return 0;
bad:
  free (b);
  return -1;
}

/* major -> driver name from /proc/devices ("char-<name>" for DeviceAllow) */
static char *
driver_name (char type, int64_t major)
{
  cleanup_free char *data = NULL;
  ocirun_error_t e = NULL;
  bool in = false;
  char *line, *save = NULL;
  if (read_all_file ("/proc/devices", &data, NULL, &e) < 0)
    {
      ocirun_error_release (&e);
      return NULL;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      long long m;
      char name[128];
      if (strncmp (line, "Character", 9) == 0)
        in = type == 'c';
      else if (strncmp (line, "Block", 5) == 0)
        in = type == 'b';
      else if (in && sscanf (line, " %lld %127s", &m, name) == 2 && m == major)
        return xstrdup (name);
    }
  return NULL;
}

/* DevicePolicy + DeviceAllow from the rules ocirun enforces itself.  The
 * unit's list may only be as wide or wider than ours (both filters apply):
 * a rule systemd cannot express makes the unit's policy "auto" without a
 * list, i.e. no restriction from systemd's side. */
static void
device_props (const oci_resources *r, struct cg_sd_props *p)
{
  cleanup_free struct cg_dev_rule *rules = NULL;
  ocirun_error_t e = NULL;
  struct cg_sd_prop *allow;
  size_t n = 0, i;

  if (cg_device_rules (r, &rules, &n, &e) < 0)
    {
      ocirun_error_release (&e); /* validation reports it later, with its field */
      return;
    }
  allow = prop_add (p, "DeviceAllow", 'D');
  for (i = 0; i < n; i++)
    {
      const struct cg_dev_rule *d = &rules[i];
      char acc[4], *path = NULL;
      size_t k = 0;
      if (!d->allow)
        continue; /* our filter denies; systemd's list just omits it */
      if (d->type == 'a')
        goto unrepresentable;
      if (d->access & CG_DEV_R)
        acc[k++] = 'r';
      if (d->access & CG_DEV_W)
        acc[k++] = 'w';
      if (d->access & CG_DEV_M)
        acc[k++] = 'm';
      acc[k] = '\0';
      if (d->major < 0)
        path = xstrdup (d->type == 'c' ? "char-*" : "block-*");
      else if (d->minor < 0)
        {
          cleanup_free char *drv = driver_name (d->type, d->major);
          if (drv == NULL)
            goto unrepresentable;
          xasprintf (&path, "%s-%s", d->type == 'c' ? "char" : "block", drv);
        }
      else
        xasprintf (&path, "/dev/%s/%" PRId64 ":%" PRId64, d->type == 'c' ? "char" : "block", d->major, d->minor);
      allow->pairs = xrealloc (allow->pairs, (allow->npairs + 1) * 2 * sizeof (char *));
      allow->pairs[allow->npairs * 2] = path;
      allow->pairs[allow->npairs * 2 + 1] = xstrdup (acc);
      allow->npairs++;
    }
  prop_add (p, "DevicePolicy", 's')->s = xstrdup ("strict");
  return;

unrepresentable:
  for (i = 0; i < allow->npairs * 2; i++)
    free (allow->pairs[i]);
  free (allow->pairs);
  allow->pairs = NULL;
  allow->npairs = 0; /* an empty DeviceAllow= list resets systemd's */
  prop_add (p, "DevicePolicy", 's')->s = xstrdup ("auto");
}

/* runc: quota per second of CPU time, rounded up to systemd's 10 ms unit */
static uint64_t
quota_per_sec (int64_t quota, uint64_t period)
{
  uint64_t q;
  if (quota <= 0 || period == 0)
    return UINT64_MAX; /* "infinity" */
  q = (uint64_t) quota * 1000000 / period;
  if (q % 10000)
    q = (q / 10000 + 1) * 10000;
  return q;
}

static uint64_t
limit_u64 (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

int
cg_sd_resource_props (const oci_resources *r, bool v2, struct cg_sd_props *p, ocirun_error_t *err)
{
  if (r == NULL)
    return 0;
  if (r->memory)
    {
      const oci_memory *m = r->memory;
      if (m->has_limit && m->limit != 0)
        prop_u64 (p, v2 ? "MemoryMax" : "MemoryLimit", limit_u64 (m->limit));
      if (v2 && m->has_reservation && m->reservation != 0)
        prop_u64 (p, "MemoryLow", limit_u64 (m->reservation));
      /* v2 swap.max is the swap alone; OCI's swap is memory + swap */
      if (v2 && m->has_swap && m->swap != 0)
        {
          if (m->swap < 0)
            prop_u64 (p, "MemorySwapMax", UINT64_MAX);
          else if (m->has_limit && m->limit > 0 && m->swap >= m->limit)
            prop_u64 (p, "MemorySwapMax", (uint64_t) (m->swap - m->limit));
        }
    }
  if (r->cpu)
    {
      const oci_cpu *c = r->cpu;
      if (c->has_shares && c->shares)
        {
          if (v2)
            prop_u64 (p, "CPUWeight", ocirun_cgroup_shares_to_weight (c->shares));
          else
            prop_u64 (p, "CPUShares", c->shares);
        }
      if ((c->has_quota && c->quota != 0) || (c->has_period && c->period))
        {
          uint64_t period = c->has_period && c->period ? c->period : 100000;
          prop_u64 (p, "CPUQuotaPerSecUSec", quota_per_sec (c->has_quota ? c->quota : -1, period));
          if (c->has_period && c->period)
            prop_u64 (p, "CPUQuotaPeriodUSec", c->period);
        }
      /* systemd manages cpuset only on the unified hierarchy */
      if (v2 && c->cpus && *c->cpus)
        {
          struct cg_sd_prop *x = prop_add (p, "AllowedCPUs", 'y');
          if (cg_sd_cpuset_mask (c->cpus, &x->bytes, &x->nbytes) < 0)
            return ocirun_make_error (err, EINVAL, "linux.resources.cpu.cpus: invalid list \"%s\"", c->cpus);
        }
      if (v2 && c->mems && *c->mems)
        {
          struct cg_sd_prop *x = prop_add (p, "AllowedMemoryNodes", 'y');
          if (cg_sd_cpuset_mask (c->mems, &x->bytes, &x->nbytes) < 0)
            return ocirun_make_error (err, EINVAL, "linux.resources.cpu.mems: invalid list \"%s\"", c->mems);
        }
    }
  if (r->pids)
    prop_u64 (p, "TasksMax", r->pids->limit > 0 ? (uint64_t) r->pids->limit : UINT64_MAX);
  if (r->block_io && r->block_io->has_weight && r->block_io->weight)
    {
      if (v2)
        prop_u64 (p, "IOWeight", ocirun_cgroup_blkio_to_io_weight (r->block_io->weight));
      else
        prop_u64 (p, "BlockIOWeight", r->block_io->weight);
    }
  /* v2 files given verbatim: the ones systemd has a property for */
  if (v2)
    {
      static const struct
      {
        const char *file, *prop;
      } uni[] = {
        { "memory.max", "MemoryMax" },          { "memory.high", "MemoryHigh" },
        { "memory.low", "MemoryLow" },          { "memory.min", "MemoryMin" },
        { "memory.swap.max", "MemorySwapMax" }, { "pids.max", "TasksMax" },
        { "cpu.weight", "CPUWeight" },          { "io.weight", "IOWeight" },
      };
      size_t i, k;
      for (i = 0; i < r->unified.len; i++)
        for (k = 0; k < ARRAY_SIZE (uni); k++)
          if (strcmp (r->unified.keys[i], uni[k].file) == 0)
            {
              const char *v = r->unified.values[i];
              long long n;
              if (strcmp (v, "max") == 0)
                prop_u64 (p, uni[k].prop, UINT64_MAX);
              else if (parse_int64 (v, &n) == 0 && n >= 0)
                prop_u64 (p, uni[k].prop, (uint64_t) n);
              /* anything else: the file write reports it */
            }
    }
  device_props (r, p);
  return 0;
}

/* GVariant text (runc parses annotations with godbus's ParseVariant): the
 * common forms "true", "'text'", "uint64 5", "@t 5", plain "5" (taken as
 * uint64, what systemd's numeric properties are), plus runc's "...Sec"
 * names: "TimeoutStopSec=5" is sent as TimeoutStopUSec=5000000. */
static int
parse_variant (const char *key, const char *name_in, const char *value, struct cg_sd_props *p, ocirun_error_t *err)
{
  static const struct
  {
    const char *word;
    char type;
  } types[] = {
    { "uint64", 't' },  { "@t", 't' },    { "int64", 'x' },  { "@x", 'x' },     { "uint32", 'u' },
    { "@u", 'u' },      { "int32", 'i' }, { "@i", 'i' },     { "double", 'd' }, { "@d", 'd' },
    { "boolean", 'b' }, { "@b", 'b' },    { "string", 's' }, { "@s", 's' },
  };
  cleanup_free char *name = xstrdup (name_in);
  const char *v = value;
  size_t nl = strlen (name), i, vl;
  char type = 0;
  bool sec = false;

  while (isspace ((unsigned char) *v))
    v++;
  for (i = 0; i < ARRAY_SIZE (types); i++)
    {
      size_t l = strlen (types[i].word);
      if (strncmp (v, types[i].word, l) == 0 && isspace ((unsigned char) v[l]))
        {
          type = types[i].type;
          v += l;
          while (isspace ((unsigned char) *v))
            v++;
          break;
        }
    }
  vl = strlen (v);
  while (vl && isspace ((unsigned char) v[vl - 1]))
    vl--;
  if (nl > 4 && strcmp (name + nl - 3, "Sec") == 0 && islower ((unsigned char) name[nl - 4]))
    {
      char *n2;
      name[nl - 3] = '\0';
      xasprintf (&n2, "%sUSec", name);
      free (name);
      name = n2;
      sec = true;
    }
  if (vl >= 2 && (v[0] == '\'' || v[0] == '"') && v[vl - 1] == v[0] && (type == 0 || type == 's'))
    {
      struct cg_sd_prop *x = prop_add (p, name, 's');
      x->s = strndup (v + 1, vl - 2);
      return 0;
    }
  if ((type == 0 || type == 'b')
      && ((vl == 4 && strncmp (v, "true", 4) == 0) || (vl == 5 && strncmp (v, "false", 5) == 0)))
    {
      prop_add (p, name, 'b')->b = v[0] == 't';
      return 0;
    }
  if (type == 's' || type == 'b')
    goto bad;
  {
    cleanup_free char *num = strndup (v, vl);
    char *end = NULL;
    if (vl == 0)
      goto bad;
    errno = 0;
    if (type == 'd' || (sec && strchr (num, '.')))
      {
        double d = strtod (num, &end);
        if (*end || errno || !isfinite (d))
          goto bad;
        if (sec)
          {
            if (d < 0)
              goto bad;
            prop_u64 (p, name, (uint64_t) (d * 1000000.0));
          }
        else
          prop_add (p, name, 'd')->d = d;
        return 0;
      }
    if (type == 'x' || type == 'i' || num[0] == '-')
      {
        long long x = strtoll (num, &end, 0);
        if (*end || errno || (type == 'i' && (x < INT32_MIN || x > INT32_MAX)))
          goto bad;
        if (sec)
          {
            if (x < 0)
              goto bad;
            prop_u64 (p, name, (uint64_t) x * 1000000);
            return 0;
          }
        prop_add (p, name, type == 'i' ? 'i' : 'x')->x = x;
        return 0;
      }
    {
      unsigned long long u = strtoull (num, &end, 0);
      if (*end || errno || !isdigit ((unsigned char) num[0]) || (type == 'u' && u > UINT32_MAX))
        goto bad;
      if (sec)
        {
          if (u > UINT64_MAX / 1000000)
            goto bad;
          u *= 1000000;
        }
      prop_add (p, name, type == 'u' ? 'u' : 't')->u = u;
      return 0;
    }
  }
bad:
  return ocirun_make_error (err, EINVAL, "annotations \"%s\": cannot parse \"%s\" as a D-Bus value", key, value);
}

int
cg_sd_annotation_props (const oci_map *ann, struct cg_sd_props *p, ocirun_error_t *err)
{
  size_t i, pl = strlen (ANNOTATION_PREFIX);
  if (ann == NULL)
    return 0;
  for (i = 0; i < ann->len; i++)
    {
      const char *k = ann->keys[i], *name;
      size_t j;
      if (strncmp (k, ANNOTATION_PREFIX, pl) != 0)
        continue;
      name = k + pl;
      if (!isupper ((unsigned char) name[0]))
        return ocirun_make_error (err, EINVAL, "annotations \"%s\": not a systemd property name", k);
      for (j = 0; name[j]; j++)
        if (!isalnum ((unsigned char) name[j]))
          return ocirun_make_error (err, EINVAL, "annotations \"%s\": not a systemd property name", k);
      /* these belong to the driver: a scope without our pid or delegation
       * would not be the container's cgroup */
      if (strcmp (name, "PIDs") == 0 || strcmp (name, "Delegate") == 0 || strcmp (name, "Slice") == 0
          || strcmp (name, "Wants") == 0)
        return ocirun_make_error (err, EINVAL, "annotations \"%s\": set by the runtime, cannot be overridden", k);
      if (parse_variant (k, name, ann->values[i], p, err) < 0)
        return -1;
    }
  return 0;
}

char *
cg_sd_props_text (const struct cg_sd_props *p)
{
  size_t i, j, cap = 64, len = 0;
  char *r = xmalloc0 (cap);
  for (i = 0; i < p->n; i++)
    {
      const struct cg_sd_prop *x = &p->v[i];
      char *line = NULL, *val = NULL;
      switch (x->type)
        {
        case 't':
          if (x->u == UINT64_MAX)
            val = xstrdup ("infinity");
          else
            xasprintf (&val, "%" PRIu64, x->u);
          break;
        case 'u':
          xasprintf (&val, "%" PRIu64, x->u);
          break;
        case 'x':
        case 'i':
          xasprintf (&val, "%" PRId64, x->x);
          break;
        case 'd':
          xasprintf (&val, "%g", x->d);
          break;
        case 'b':
          val = xstrdup (x->b ? "yes" : "no");
          break;
        case 's':
          val = xstrdup (x->s);
          break;
        case 'y':
          val = xmalloc0 (x->nbytes * 2 + 1);
          for (j = 0; j < x->nbytes; j++)
            sprintf (val + j * 2, "%02x", x->bytes[j]);
          break;
        case 'D':
          val = xstrdup ("");
          for (j = 0; j < x->npairs; j++)
            {
              char *nv;
              xasprintf (&nv, "%s%s%s %s", val, j ? "," : "", x->pairs[j * 2], x->pairs[j * 2 + 1]);
              free (val);
              val = nv;
            }
          break;
        }
      xasprintf (&line, "%s=%c:%s\n", x->name, x->type, val ? val : "");
      free (val);
      while (len + strlen (line) + 1 > cap)
        {
          cap *= 2;
          r = xrealloc (r, cap);
        }
      strcpy (r + len, line);
      len += strlen (line);
      free (line);
    }
  return r;
}

/* ------------------------------------------------------------------ */
/* The bus (libsystemd, loaded on demand)                               */
/* ------------------------------------------------------------------ */

bool
ocirun_cgroup_systemd_available (void)
{
#ifdef HAVE_SYSTEMD
  return true;
#else
  return false;
#endif
}

void cg_sd_free (struct cg_sd *sd);

#ifndef HAVE_SYSTEMD

int
cg_sd_prepare (ocirun_cgroup *cg, const char *id, const oci_linux *lnx, const oci_map *annotations, ocirun_error_t *err)
{
  return ocirun_make_error (err, ENOSYS, "--systemd-cgroup: ocirun was built without libsystemd (--disable-systemd)");
}
int
cg_sd_start (ocirun_cgroup *cg, pid_t pid, ocirun_error_t *err)
{
  return ocirun_make_error (err, ENOSYS, "--systemd-cgroup: ocirun was built without libsystemd");
}
int
cg_sd_update (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err)
{
  return ocirun_make_error (err, ENOSYS, "--systemd-cgroup: ocirun was built without libsystemd");
}
int
cg_sd_stop (ocirun_cgroup *cg, ocirun_error_t *err)
{
  return ocirun_make_error (err, ENOSYS, "--systemd-cgroup: ocirun was built without libsystemd");
}
void
cg_sd_free (struct cg_sd *sd)
{
  if (sd == NULL)
    return;
  free (sd->unit);
  free (sd->slice);
  free (sd->cgpath);
  cg_sd_props_free (&sd->props);
  free (sd);
}

#else

static struct
{
  void *handle;
  int (*open_system) (sd_bus **);
  int (*open_user) (sd_bus **);
  int (*bus_new) (sd_bus **);
  int (*set_address) (sd_bus *, const char *);
  int (*start) (sd_bus *);
  sd_bus *(*flush_close_unref) (sd_bus *);
  int (*new_method_call) (sd_bus *, sd_bus_message **, const char *, const char *, const char *, const char *);
  int (*append) (sd_bus_message *, const char *, ...);
  int (*append_array) (sd_bus_message *, char, const void *, size_t);
  int (*open_container) (sd_bus_message *, char, const char *);
  int (*close_container) (sd_bus_message *);
  int (*call) (sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
  int (*call_method) (sd_bus *, const char *, const char *, const char *, const char *, sd_bus_error *,
                      sd_bus_message **, const char *, ...);
  int (*read) (sd_bus_message *, const char *, ...);
  sd_bus_message *(*message_unref) (sd_bus_message *);
  void (*error_free) (sd_bus_error *);
  int (*error_has_name) (const sd_bus_error *, const char *);
  int (*match_signal) (sd_bus *, sd_bus_slot **, const char *, const char *, const char *, const char *,
                       sd_bus_message_handler_t, void *);
  int (*process) (sd_bus *, sd_bus_message **);
  int (*wait) (sd_bus *, uint64_t);
  int (*get_property_string) (sd_bus *, const char *, const char *, const char *, const char *, sd_bus_error *,
                              char **);
  sd_bus_slot *(*slot_unref) (sd_bus_slot *);
} lib;

static int
load_libsystemd (ocirun_error_t *err)
{
  void *h;
  if (lib.handle)
    return 0;
  const struct ocirun_dlsym syms[] = {
    { (void **) &lib.open_system, "sd_bus_open_system" },
    { (void **) &lib.open_user, "sd_bus_open_user" },
    { (void **) &lib.bus_new, "sd_bus_new" },
    { (void **) &lib.set_address, "sd_bus_set_address" },
    { (void **) &lib.start, "sd_bus_start" },
    { (void **) &lib.flush_close_unref, "sd_bus_flush_close_unref" },
    { (void **) &lib.new_method_call, "sd_bus_message_new_method_call" },
    { (void **) &lib.append, "sd_bus_message_append" },
    { (void **) &lib.append_array, "sd_bus_message_append_array" },
    { (void **) &lib.open_container, "sd_bus_message_open_container" },
    { (void **) &lib.close_container, "sd_bus_message_close_container" },
    { (void **) &lib.call, "sd_bus_call" },
    { (void **) &lib.call_method, "sd_bus_call_method" },
    { (void **) &lib.read, "sd_bus_message_read" },
    { (void **) &lib.message_unref, "sd_bus_message_unref" },
    { (void **) &lib.error_free, "sd_bus_error_free" },
    { (void **) &lib.error_has_name, "sd_bus_error_has_name" },
    { (void **) &lib.match_signal, "sd_bus_match_signal" },
    { (void **) &lib.process, "sd_bus_process" },
    { (void **) &lib.wait, "sd_bus_wait" },
    { (void **) &lib.get_property_string, "sd_bus_get_property_string" },
    { (void **) &lib.slot_unref, "sd_bus_slot_unref" },
  };
  h = ocirun_dlopen_all ("libsystemd.so.0", syms, ARRAY_SIZE (syms), "--systemd-cgroup", err);
  if (h == NULL)
    return -1;
  lib.handle = h;
  ocirun_debug ("systemd: loaded libsystemd.so.0");
  return 0;
}

void
cg_sd_free (struct cg_sd *sd)
{
  if (sd == NULL)
    return;
  if (sd->bus && lib.handle)
    lib.flush_close_unref (sd->bus);
  free (sd->unit);
  free (sd->slice);
  free (sd->cgpath);
  cg_sd_props_free (&sd->props);
  free (sd);
}

static const char *
bus_msg (const sd_bus_error *e, int r)
{
  if (e && e->message)
    return e->message;
  return strerror (r < 0 ? -r : r);
}

/* The system bus (dbus-daemon), or systemd's own socket when there is no
 * bus daemon (root only: it is systemd's private endpoint, as systemctl
 * uses it); the user's bus for a rootless caller. */
static int
bus_open (struct cg_sd *sd, ocirun_error_t *err)
{
  sd_bus *bus = NULL;
  int r;

  if (sd->bus)
    return 0;
  if (load_libsystemd (err) < 0)
    return -1;
  if (sd->user)
    {
      const char *xdg = getenv ("XDG_RUNTIME_DIR");
      r = lib.open_user (&bus);
      if (r < 0 && xdg && *xdg)
        {
          /* no session bus (no dbus-user-session): the user manager's own
           * socket, only its owner can connect */
          cleanup_free char *addr = NULL;
          int r2 = lib.bus_new (&bus);
          xasprintf (&addr, "unix:path=%s/systemd/private", xdg);
          if (r2 >= 0)
            r2 = lib.set_address (bus, addr);
          if (r2 >= 0)
            r2 = lib.start (bus);
          if (r2 < 0 && bus)
            {
              lib.flush_close_unref (bus);
              bus = NULL;
            }
          if (r2 >= 0)
            r = 0;
        }
      if (r < 0)
        return ocirun_make_error (err, -r,
                                  "--systemd-cgroup: cannot connect to the user's systemd instance (is "
                                  "XDG_RUNTIME_DIR or DBUS_SESSION_BUS_ADDRESS set?)");
    }
  else
    {
      r = lib.open_system (&bus);
      if (r < 0 && geteuid () == 0 && access ("/run/systemd/private", F_OK) == 0)
        {
          int r2 = lib.bus_new (&bus);
          if (r2 >= 0)
            r2 = lib.set_address (bus, "unix:path=/run/systemd/private");
          if (r2 >= 0)
            r2 = lib.start (bus);
          if (r2 < 0 && bus)
            {
              lib.flush_close_unref (bus);
              bus = NULL;
            }
          if (r2 >= 0)
            r = 0;
        }
      if (r < 0)
        return ocirun_make_error (err, -r, "--systemd-cgroup: cannot connect to the system bus");
    }
  sd->bus = bus;
  return 0;
}

int
cg_sd_prepare (ocirun_cgroup *cg, const char *id, const oci_linux *lnx, const oci_map *annotations, ocirun_error_t *err)
{
  struct cg_sd *sd = xmalloc0 (sizeof (*sd));
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *root = NULL, *expanded = NULL;
  const oci_resources *res = lnx ? lnx->resources : NULL;
  int r;

  cg->sd = sd;
  sd->user = cg->rootless;
  /* systemd delegates nothing to a user on v1 hierarchies (runc refuses
   * this combination too) */
  if (cg->rootless && cg->mode != CG_MODE_V2)
    return ocirun_make_error (err, 0, "--systemd-cgroup: a rootless container needs cgroup v2 (this host is %s)",
                              cg->mode == CG_MODE_V1 ? "cgroup v1" : "cgroup v1 hybrid");
  if (cg_sd_parse_path (lnx ? lnx->cgroups_path : NULL, id, cg->rootless, &sd->slice, &sd->unit, err) < 0)
    return -1;
  sd->is_slice = strlen (sd->unit) > 6 && strcmp (sd->unit + strlen (sd->unit) - 6, ".slice") == 0;
  if (cg_sd_resource_props (res, cg->mode == CG_MODE_V2, &sd->props, err) < 0
      || cg_sd_annotation_props (annotations, &sd->props, err) < 0)
    return -1;
  if (bus_open (sd, err) < 0)
    return -1;
  /* the manager's own cgroup: "" for the system instance, the user@.service
   * cgroup for a user instance; units live below it */
  r = lib.get_property_string (sd->bus, SD_DEST, SD_PATH, SD_MANAGER, "ControlGroup", &e, &root);
  if (r < 0)
    {
      ocirun_make_error (err, -r, "--systemd-cgroup: cannot ask systemd for its cgroup: %s", bus_msg (&e, r));
      lib.error_free (&e);
      return -1;
    }
  if (sd->is_slice)
    r = cg_sd_expand_slice (sd->unit, &expanded, err);
  else
    {
      cleanup_free char *s = NULL;
      r = cg_sd_expand_slice (sd->slice, &s, err);
      if (r == 0)
        xasprintf (&expanded, "%s/%s", strcmp (s, "/") == 0 ? "" : s, sd->unit);
    }
  if (r < 0)
    return -1;
  xasprintf (&sd->cgpath, "%s%s", strcmp (root, "/") == 0 ? "" : root, expanded);
  sd->pending = true;
  sd->res = res;
  return 0;
}

static int
append_prop (sd_bus_message *m, const struct cg_sd_prop *x)
{
  char sig[2] = { x->type, 0 };
  int r;
  size_t j;
  r = lib.open_container (m, 'r', "sv");
  if (r < 0)
    return r;
  r = lib.append (m, "s", x->name);
  if (r < 0)
    return r;
  switch (x->type)
    {
    case 't':
      r = lib.append (m, "v", "t", x->u);
      break;
    case 'u':
      r = lib.append (m, "v", "u", (uint32_t) x->u);
      break;
    case 'x':
      r = lib.append (m, "v", "x", x->x);
      break;
    case 'i':
      r = lib.append (m, "v", "i", (int32_t) x->x);
      break;
    case 'd':
      r = lib.append (m, "v", "d", x->d);
      break;
    case 'b':
      r = lib.append (m, "v", "b", (int) x->b);
      break;
    case 's':
      r = lib.append (m, "v", "s", x->s);
      break;
    case 'y':
      r = lib.open_container (m, 'v', "ay");
      if (r >= 0)
        r = lib.append_array (m, 'y', x->bytes, x->nbytes);
      if (r >= 0)
        r = lib.close_container (m);
      break;
    case 'D':
      r = lib.open_container (m, 'v', "a(ss)");
      if (r >= 0)
        r = lib.open_container (m, 'a', "(ss)");
      for (j = 0; r >= 0 && j < x->npairs; j++)
        r = lib.append (m, "(ss)", x->pairs[j * 2], x->pairs[j * 2 + 1]);
      if (r >= 0)
        r = lib.close_container (m);
      if (r >= 0)
        r = lib.close_container (m);
      break;
    default:
      (void) sig;
      r = -EINVAL;
    }
  if (r < 0)
    return r;
  return lib.close_container (m);
}

static int
append_props (sd_bus_message *m, const struct cg_sd_props *p)
{
  size_t i;
  int r;
  for (i = 0; i < p->n; i++)
    if ((r = append_prop (m, &p->v[i])) < 0)
      return r;
  return 0;
}

struct job_wait
{
  const char *path;
  char *result;
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path = NULL, *unit = NULL, *result = NULL;
  (void) ret_error;
  if (lib.read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path && path && strcmp (path, w->path) == 0 && w->result == NULL)
    w->result = xstrdup (result);
  return 0;
}

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Call a Manager method returning a job ("o") and wait for JobRemoved of
 * that job.  The match is installed before the call so the signal cannot
 * be missed.  Returns the sd-bus error for the caller to word. */
static int
call_and_wait (struct cg_sd *sd, sd_bus_message *m, sd_bus_error *e, char **result)
{
  struct job_wait w = { NULL, NULL };
  sd_bus_slot *slot = NULL;
  sd_bus_message *reply = NULL;
  const char *job = NULL;
  uint64_t deadline;
  int r;

  *result = NULL;
  r = lib.match_signal (sd->bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
  if (r < 0)
    return r;
  /* on the bus daemon, systemd only emits job signals to subscribers */
  lib.call_method (sd->bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, "");
  r = lib.call (sd->bus, m, 0, e, &reply);
  if (r < 0)
    goto out;
  r = lib.read (reply, "o", &job);
  if (r < 0)
    goto out;
  w.path = job;
  deadline = now_usec () + 90ULL * 1000000; /* systemd's own default job timeout */
  while (w.result == NULL)
    {
      uint64_t now = now_usec ();
      r = lib.process (sd->bus, NULL);
      if (r < 0)
        goto out;
      if (r > 0)
        continue;
      if (now >= deadline)
        {
          r = -ETIMEDOUT;
          goto out;
        }
      r = lib.wait (sd->bus, deadline - now);
      if (r < 0)
        goto out;
    }
  *result = w.result;
  w.result = NULL;
  r = 0;
out:
  free (w.result);
  if (reply)
    lib.message_unref (reply);
  lib.slot_unref (slot);
  return r;
}

static void
reset_failed (struct cg_sd *sd)
{
  lib.call_method (sd->bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s", sd->unit);
}

int
cg_sd_start (ocirun_cgroup *cg, pid_t pid, ocirun_error_t *err)
{
  struct cg_sd *sd = cg->sd;
  sd_bus_message *m = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *result = NULL;
  int r;

  if (bus_open (sd, err) < 0)
    return -1;
  r = lib.new_method_call (sd->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
  if (r >= 0)
    r = lib.append (m, "ss", sd->unit, "fail");
  if (r >= 0)
    r = lib.open_container (m, 'a', "(sv)");
  if (r >= 0)
    r = lib.append (m, "(sv)", "Description", "s", "ocirun container");
  if (r >= 0 && sd->is_slice)
    /* a slice's parent comes from its name; Wants= keeps it started */
    r = lib.append (m, "(sv)", "Wants", "as", 1, sd->slice);
  else if (r >= 0)
    {
      r = lib.append (m, "(sv)", "Slice", "s", sd->slice);
      if (r >= 0)
        r = lib.append (m, "(sv)", "Delegate", "b", 1);
      if (r >= 0)
        r = lib.append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
    }
  /* a scope stays around while it has processes; when the container dies
   * systemd must not keep a failed unit (delete resets it anyway) */
  if (r >= 0)
    r = lib.append (m, "(sv)", "CollectMode", "s", "inactive-or-failed");
  if (r >= 0)
    r = append_props (m, &sd->props);
  if (r >= 0)
    r = lib.close_container (m);
  if (r >= 0)
    r = lib.append (m, "a(sa(sv))", 0);
  if (r < 0)
    {
      lib.message_unref (m);
      return ocirun_make_error (err, -r, "--systemd-cgroup: build the StartTransientUnit call");
    }
  r = call_and_wait (sd, m, &e, &result);
  lib.message_unref (m);
  if (r < 0)
    {
      if (lib.error_has_name (&e, "org.freedesktop.systemd1.UnitExists"))
        ocirun_make_error (err, 0, "linux.cgroupsPath: systemd unit \"%s\" already exists", sd->unit);
      else if (e.name)
        /* systemd names the property it refuses ("Cannot set property X") */
        ocirun_make_error (err, 0, "--systemd-cgroup: systemd refused unit \"%s\": %s", sd->unit, bus_msg (&e, r));
      else
        ocirun_make_error (err, -r, "--systemd-cgroup: start unit \"%s\"", sd->unit);
      lib.error_free (&e);
      reset_failed (sd);
      return -1;
    }
  if (strcmp (result, "done") != 0)
    {
      reset_failed (sd);
      return ocirun_make_error (err, EIO, "--systemd-cgroup: start unit \"%s\": job %s", sd->unit, result);
    }
  sd->pending = false;
  return 0;
}

int
cg_sd_update (ocirun_cgroup *cg, const oci_resources *r, ocirun_error_t *err)
{
  struct cg_sd *sd = cg->sd;
  struct cg_sd_props p = { 0 };
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int ret;

  if (cg_sd_resource_props (r, cg->mode == CG_MODE_V2, &p, err) < 0)
    {
      cg_sd_props_free (&p);
      return -1;
    }
  /* an update without device rules keeps the unit's device policy */
  if (r->devices_len == 0)
    {
      size_t i, k = 0;
      for (i = 0; i < p.n; i++)
        {
          if (strcmp (p.v[i].name, "DeviceAllow") == 0 || strcmp (p.v[i].name, "DevicePolicy") == 0)
            {
              prop_clear (&p.v[i]);
              continue;
            }
          p.v[k++] = p.v[i];
        }
      p.n = k;
      if (k == 0)
        {
          free (p.v);
          return 0;
        }
    }
  if (bus_open (sd, err) < 0)
    {
      cg_sd_props_free (&p);
      return -1;
    }
  ret = lib.new_method_call (sd->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties");
  if (ret >= 0)
    ret = lib.append (m, "sb", sd->unit, 1);
  if (ret >= 0)
    ret = lib.open_container (m, 'a', "(sv)");
  if (ret >= 0)
    ret = append_props (m, &p);
  if (ret >= 0)
    ret = lib.close_container (m);
  cg_sd_props_free (&p);
  if (ret >= 0)
    ret = lib.call (sd->bus, m, 0, &e, &reply);
  if (m)
    lib.message_unref (m);
  if (reply)
    lib.message_unref (reply);
  if (ret < 0)
    {
      ocirun_make_error (err, e.name ? EINVAL : -ret, "update: systemd unit \"%s\": %s", sd->unit, bus_msg (&e, ret));
      lib.error_free (&e);
      return -1;
    }
  return 0;
}

int
cg_sd_stop (ocirun_cgroup *cg, ocirun_error_t *err)
{
  struct cg_sd *sd = cg->sd;
  sd_bus_message *m = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *result = NULL;
  int r;

  if (sd->pending)
    return 0; /* never started */
  if (bus_open (sd, err) < 0)
    return -1;
  r = lib.new_method_call (sd->bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
  if (r >= 0)
    r = lib.append (m, "ss", sd->unit, "replace");
  if (r >= 0)
    r = call_and_wait (sd, m, &e, &result);
  if (m)
    lib.message_unref (m);
  if (r < 0 && !lib.error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    {
      ocirun_make_error (err, -r, "--systemd-cgroup: stop unit \"%s\": %s", sd->unit, bus_msg (&e, r));
      lib.error_free (&e);
      reset_failed (sd);
      return -1;
    }
  lib.error_free (&e);
  /* a scope whose processes were killed ends "failed": leave nothing */
  reset_failed (sd);
  return 0;
}

#endif /* HAVE_SYSTEMD */

/* ------------------------------------------------------------------ */
/* state                                                                */
/* ------------------------------------------------------------------ */

void
cg_sd_save (struct cg_sd *sd, yajl_gen g)
{
  cg_json_key (g, "systemd");
  yajl_gen_map_open (g);
  cg_json_str (g, "unit", sd->unit);
  cg_json_str (g, "slice", sd->slice);
  cg_json_str (g, "cgroup", sd->cgpath ? sd->cgpath : "");
  cg_json_key (g, "user");
  yajl_gen_bool (g, sd->user);
  yajl_gen_map_close (g);
}

int
cg_sd_load (ocirun_cgroup *cg, yajl_val root, ocirun_error_t *err)
{
  const char *p_unit[] = { "systemd", "unit", NULL }, *p_slice[] = { "systemd", "slice", NULL };
  const char *p_cg[] = { "systemd", "cgroup", NULL }, *p_user[] = { "systemd", "user", NULL };
  const char *p_sd[] = { "systemd", NULL };
  yajl_val u, s, c, us;
  struct cg_sd *sd;

  if (yajl_tree_get (root, p_sd, yajl_t_object) == NULL)
    return 0;
  u = yajl_tree_get (root, p_unit, yajl_t_string);
  s = yajl_tree_get (root, p_slice, yajl_t_string);
  c = yajl_tree_get (root, p_cg, yajl_t_string);
  us = yajl_tree_get (root, p_user, yajl_t_any);
  if (u == NULL || s == NULL)
    return ocirun_make_error (err, 0, "load cgroup state: invalid systemd entry");
  sd = xmalloc0 (sizeof (*sd));
  sd->unit = xstrdup (YAJL_GET_STRING (u));
  sd->slice = xstrdup (YAJL_GET_STRING (s));
  sd->cgpath = c ? xstrdup (YAJL_GET_STRING (c)) : NULL;
  sd->user = us && YAJL_IS_TRUE (us);
  sd->is_slice = strlen (sd->unit) > 6 && strcmp (sd->unit + strlen (sd->unit) - 6, ".slice") == 0;
  cg->sd = sd;
  return 0;
}
