/* libocispec: the table-driven engine that fills the structs of oci_spec.h
 * from a yajl tree (see oci_json.h), and frees them.
 *
 * Parsing is one walk over the tree.  For every JSON object we look each of
 * its keys up in the (small, fixed) property list of the struct; unknown keys
 * are skipped without looking at their values (config.md: runtimes MUST
 * ignore unknown properties).  JSON `null` is treated like an absent
 * property, as the Go reference implementation does.
 *
 * Errors carry the JSON path of the offending value, kept in a growing buffer
 * as we descend: "linux.resources.memory.limit", "mounts[2].destination",
 * "linux.sysctl[\"net.ipv4.ip_forward\"]".  The first error stops the walk;
 * whatever was filled in so far is already linked into the result, so one
 * call to oci_json_free releases it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_json.h"

/* yajl_tree_free recurses once per nesting level; refuse documents deep
   enough to exhaust the stack.  A valid config is less than 10 deep.  */
#define OCI_MAX_DEPTH 512

static void *
oci_xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

static char *
oci_xstrdup (const char *s)
{
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

/* --- errors and the JSON path -------------------------------------------- */

static int
vset_error (oci_parse_ctx *ctx, const char *field, const char *fmt, va_list ap)
{
  const char *path = ctx->path_len ? ctx->path : "";
  char *msg = NULL;
  int r;

  if (ctx->err != NULL)
    return -1;

  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();

  if (ctx->path_len == 0 && field == NULL)
    r = asprintf (&ctx->err, "%s: %s", ctx->origin, msg);
  else if (field == NULL)
    r = asprintf (&ctx->err, "%s: %s: %s", ctx->origin, path, msg);
  else
    r = asprintf (&ctx->err, "%s: %s%s%s: %s", ctx->origin, path, ctx->path_len ? "." : "", field, msg);
  if (r < 0)
    abort ();
  free (msg);
  return -1;
}

static int __attribute__ ((format (printf, 2, 3)))
set_error (oci_parse_ctx *ctx, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset_error (ctx, NULL, fmt, ap);
  va_end (ap);
  return -1;
}

int
oci_json_error_at (oci_parse_ctx *ctx, const char *field, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset_error (ctx, field, fmt, ap);
  va_end (ap);
  return -1;
}

static void
path_reserve (oci_parse_ctx *ctx, size_t extra)
{
  size_t need = ctx->path_len + extra + 1;
  if (need > ctx->path_cap)
    {
      size_t cap = ctx->path_cap ? ctx->path_cap : 128;
      char *p;
      while (cap < need)
        cap *= 2;
      p = realloc (ctx->path, cap);
      if (p == NULL)
        abort ();
      ctx->path = p;
      ctx->path_cap = cap;
    }
}

/* Each push returns the previous length; path_pop restores it.  */
static size_t
path_push_property (oci_parse_ctx *ctx, const char *name)
{
  size_t old = ctx->path_len, n = strlen (name);
  path_reserve (ctx, n + 1);
  if (old > 0)
    ctx->path[ctx->path_len++] = '.';
  memcpy (ctx->path + ctx->path_len, name, n);
  ctx->path_len += n;
  ctx->path[ctx->path_len] = '\0';
  return old;
}

static size_t
path_push_index (oci_parse_ctx *ctx, size_t i)
{
  size_t old = ctx->path_len;
  path_reserve (ctx, 24);
  ctx->path_len += (size_t) snprintf (ctx->path + ctx->path_len, 24, "[%zu]", i);
  return old;
}

/* A map key, written as a JSON string so that any key reads unambiguously:
   sysctl["net.ipv4.ip_forward"].  */
static size_t
path_push_key (oci_parse_ctx *ctx, const char *key)
{
  size_t old = ctx->path_len;
  const unsigned char *k;

  path_reserve (ctx, 4);
  ctx->path[ctx->path_len++] = '[';
  ctx->path[ctx->path_len++] = '"';
  for (k = (const unsigned char *) key; *k; k++)
    {
      path_reserve (ctx, 8);
      if (*k == '"' || *k == '\\')
        {
          ctx->path[ctx->path_len++] = '\\';
          ctx->path[ctx->path_len++] = (char) *k;
        }
      else if (*k < 0x20)
        ctx->path_len += (size_t) snprintf (ctx->path + ctx->path_len, 8, "\\u%04x", *k);
      else
        ctx->path[ctx->path_len++] = (char) *k;
    }
  path_reserve (ctx, 3);
  ctx->path[ctx->path_len++] = '"';
  ctx->path[ctx->path_len++] = ']';
  ctx->path[ctx->path_len] = '\0';
  return old;
}

static void
path_pop (oci_parse_ctx *ctx, size_t old)
{
  ctx->path_len = old;
  ctx->path[old] = '\0';
}

static bool
number_is_integer (const char *raw)
{
  return strpbrk (raw, ".eE") == NULL;
}

static const char *
json_type_name (yajl_val v)
{
  switch (v->type)
    {
    case yajl_t_string:
      return "a string";
    case yajl_t_number:
      return number_is_integer (v->u.number.r) ? "an integer" : "a number";
    case yajl_t_object:
      return "an object";
    case yajl_t_array:
      return "an array";
    case yajl_t_true:
    case yajl_t_false:
      return "a boolean";
    case yajl_t_null:
      return "null";
    default:
      return "an unknown value";
    }
}

static int
type_error (oci_parse_ctx *ctx, const char *expected, yajl_val v)
{
  return set_error (ctx, "expected %s, got %s", expected, json_type_name (v));
}

/* --- scalars ------------------------------------------------------------- */

static const struct
{
  int64_t min;
  uint64_t max;
} int_range[] = {
  [OCI_F_INT32] = { INT32_MIN, INT32_MAX },   [OCI_F_INT64] = { INT64_MIN, INT64_MAX },
  [OCI_F_UINT16] = { 0, UINT16_MAX },         [OCI_F_UINT32] = { 0, UINT32_MAX },
  [OCI_F_UINT64] = { 0, UINT64_MAX },
};

/* Integers are read from yajl's unparsed text, not its long long: uint64
   properties (seccomp values, rlimits) go beyond LLONG_MAX.  */
static int
get_integer (oci_parse_ctx *ctx, yajl_val v, oci_field_kind kind, void *dst)
{
  const char *raw;
  int64_t s = 0;
  uint64_t u = 0;
  bool negative;
  char *end = NULL;

  if (! YAJL_IS_NUMBER (v))
    return type_error (ctx, "an integer", v);
  raw = v->u.number.r;
  if (! number_is_integer (raw))
    return set_error (ctx, "expected an integer, got %.40s", raw);

  negative = raw[0] == '-';
  errno = 0;
  if (negative)
    {
      long long x = strtoll (raw, &end, 10);
      if (errno != 0 || *end != '\0' || x < int_range[kind].min)
        goto out_of_range;
      s = x;
    }
  else
    {
      unsigned long long x = strtoull (raw, &end, 10);
      if (errno != 0 || *end != '\0' || x > int_range[kind].max)
        goto out_of_range;
      u = x;
      s = (int64_t) x;
    }

  switch (kind)
    {
    case OCI_F_INT32:
      *(int32_t *) dst = (int32_t) s;
      break;
    case OCI_F_INT64:
      *(int64_t *) dst = s;
      break;
    case OCI_F_UINT16:
      *(uint16_t *) dst = (uint16_t) u;
      break;
    case OCI_F_UINT32:
      *(uint32_t *) dst = (uint32_t) u;
      break;
    case OCI_F_UINT64:
      *(uint64_t *) dst = u;
      break;
    default:
      abort ();
    }
  return 0;

out_of_range:
  return set_error (ctx, "value %.40s out of range [%" PRId64 ", %" PRIu64 "]", raw, int_range[kind].min,
                    int_range[kind].max);
}

/* --- freeing ------------------------------------------------------------- */

static void free_contents (const oci_type *t, void *obj);

static void
free_string_array (char **a, size_t len)
{
  size_t i;
  if (a == NULL)
    return;
  for (i = 0; i < len; i++)
    free (a[i]);
  free (a);
}

void
oci_map_free (oci_map *m)
{
  free_string_array (m->keys, m->len);
  free_string_array (m->values, m->len);
  m->keys = m->values = NULL;
  m->len = 0;
}

static void
free_elements (const oci_type *t, char *arr, size_t len)
{
  size_t i;
  if (arr == NULL)
    return;
  for (i = 0; i < len; i++)
    free_contents (t, arr + i * t->size);
  free (arr);
}

/* Release what field `f` of `obj` owns and reset it to "absent".  */
static void
free_field (const oci_field *f, char *obj)
{
  void *p = obj + f->offset;
  size_t *lenp = f->aux != OCI_NO_AUX ? (size_t *) (obj + f->aux) : NULL;

  switch (f->kind)
    {
    case OCI_F_STRING:
      free (*(char **) p);
      *(char **) p = NULL;
      break;
    case OCI_F_STRING_ARRAY:
      free_string_array (*(char ***) p, *lenp);
      *(char ***) p = NULL;
      *lenp = 0;
      break;
    case OCI_F_UINT32_ARRAY:
      free (*(uint32_t **) p);
      *(uint32_t **) p = NULL;
      *lenp = 0;
      break;
    case OCI_F_OBJECT:
      oci_json_free (f->type, *(void **) p);
      *(void **) p = NULL;
      break;
    case OCI_F_INLINE:
      free_contents (f->type, p);
      memset (p, 0, f->type->size);
      break;
    case OCI_F_OBJECT_ARRAY:
    case OCI_F_KEYED_ARRAY:
      free_elements (f->type, *(char **) p, *lenp);
      *(char **) p = NULL;
      *lenp = 0;
      break;
    case OCI_F_STRING_MAP:
      oci_map_free ((oci_map *) p);
      break;
    default:
      /* scalars own nothing */
      break;
    }
}

static void
free_contents (const oci_type *t, void *obj)
{
  size_t i;
  for (i = 0; i < t->n_fields; i++)
    free_field (&t->fields[i], obj);
  if (t->key_offset != OCI_NO_AUX)
    free (*(char **) ((char *) obj + t->key_offset));
}

void
oci_json_free (const oci_type *t, void *obj)
{
  if (obj == NULL)
    return;
  free_contents (t, obj);
  free (obj);
}

/* --- objects ------------------------------------------------------------- */

static int parse_object (oci_parse_ctx *ctx, const oci_type *t, yajl_val v, void *obj);

static int
parse_string_array (oci_parse_ctx *ctx, yajl_val v, char ***out, size_t *out_len)
{
  size_t i, n;
  char **a;

  if (! YAJL_IS_ARRAY (v))
    return type_error (ctx, "an array of strings", v);
  n = v->u.array.len;
  /* NULL-terminated as well, so args/env go straight to execve.  */
  a = oci_xcalloc (n + 1, sizeof (char *));
  *out = a;
  *out_len = n;
  for (i = 0; i < n; i++)
    {
      yajl_val e = v->u.array.values[i];
      if (! YAJL_IS_STRING (e))
        {
          size_t old = path_push_index (ctx, i);
          type_error (ctx, "a string", e);
          path_pop (ctx, old);
          return -1;
        }
      a[i] = oci_xstrdup (e->u.string);
    }
  return 0;
}

static int
parse_string_map (oci_parse_ctx *ctx, yajl_val v, oci_map *m)
{
  size_t i, n;

  if (! YAJL_IS_OBJECT (v))
    return type_error (ctx, "an object", v);
  n = v->u.object.len;
  m->keys = oci_xcalloc (n + 1, sizeof (char *));
  m->values = oci_xcalloc (n + 1, sizeof (char *));
  m->len = 0;
  for (i = 0; i < n; i++)
    {
      yajl_val e = v->u.object.values[i];
      if (YAJL_IS_NULL (e))
        continue;
      if (! YAJL_IS_STRING (e))
        {
          size_t old = path_push_key (ctx, v->u.object.keys[i]);
          type_error (ctx, "a string", e);
          path_pop (ctx, old);
          return -1;
        }
      m->keys[m->len] = oci_xstrdup (v->u.object.keys[i]);
      m->values[m->len] = oci_xstrdup (e->u.string);
      m->len++;
    }
  return 0;
}

static bool
key_is_known (const char *const *known, const char *key)
{
  for (; *known; known++)
    if (strcmp (*known, key) == 0)
      return true;
  return false;
}

static int
parse_field (oci_parse_ctx *ctx, const oci_field *f, yajl_val v, char *obj)
{
  void *p = obj + f->offset;
  size_t *lenp = f->aux != OCI_NO_AUX ? (size_t *) (obj + f->aux) : NULL;
  size_t i, n;
  int ret;

  /* A property given twice: the last one wins, the first is released.  */
  free_field (f, obj);

  switch (f->kind)
    {
    case OCI_F_STRING:
      if (! YAJL_IS_STRING (v))
        return type_error (ctx, "a string", v);
      *(char **) p = oci_xstrdup (v->u.string);
      return 0;

    case OCI_F_BOOL:
      if (! YAJL_IS_TRUE (v) && ! YAJL_IS_FALSE (v))
        return type_error (ctx, "a boolean", v);
      *(bool *) p = YAJL_IS_TRUE (v);
      if (f->aux != OCI_NO_AUX)
        *(bool *) (obj + f->aux) = true;
      return 0;

    case OCI_F_INT32:
    case OCI_F_INT64:
    case OCI_F_UINT16:
    case OCI_F_UINT32:
    case OCI_F_UINT64:
      ret = get_integer (ctx, v, f->kind, p);
      if (ret < 0)
        return ret;
      if (f->aux != OCI_NO_AUX)
        *(bool *) (obj + f->aux) = true;
      return 0;

    case OCI_F_STRING_ARRAY:
      return parse_string_array (ctx, v, (char ***) p, lenp);

    case OCI_F_UINT32_ARRAY:
      {
        uint32_t *a;
        if (! YAJL_IS_ARRAY (v))
          return type_error (ctx, "an array of integers", v);
        n = v->u.array.len;
        a = oci_xcalloc (n, sizeof (uint32_t));
        *(uint32_t **) p = a;
        *lenp = n;
        for (i = 0; i < n; i++)
          {
            size_t old = path_push_index (ctx, i);
            ret = get_integer (ctx, v->u.array.values[i], OCI_F_UINT32, &a[i]);
            path_pop (ctx, old);
            if (ret < 0)
              return ret;
          }
        return 0;
      }

    case OCI_F_OBJECT:
      {
        void *sub;
        if (! YAJL_IS_OBJECT (v))
          return type_error (ctx, "an object", v);
        sub = oci_xcalloc (1, f->type->size);
        *(void **) p = sub;
        return parse_object (ctx, f->type, v, sub);
      }

    case OCI_F_INLINE:
      return parse_object (ctx, f->type, v, p);

    case OCI_F_OBJECT_ARRAY:
      {
        char *a;
        if (! YAJL_IS_ARRAY (v))
          return type_error (ctx, "an array", v);
        n = v->u.array.len;
        a = oci_xcalloc (n, f->type->size);
        *(char **) p = a;
        *lenp = n;
        for (i = 0; i < n; i++)
          {
            size_t old = path_push_index (ctx, i);
            ret = parse_object (ctx, f->type, v->u.array.values[i], a + i * f->type->size);
            path_pop (ctx, old);
            if (ret < 0)
              return ret;
          }
        return 0;
      }

    case OCI_F_KEYED_ARRAY:
      {
        char *a;
        if (! YAJL_IS_OBJECT (v))
          return type_error (ctx, "an object", v);
        n = v->u.object.len;
        a = oci_xcalloc (n, f->type->size);
        *(char **) p = a;
        *lenp = 0;
        for (i = 0; i < n; i++)
          {
            const char *key = v->u.object.keys[i];
            yajl_val e = v->u.object.values[i];
            char *elem;
            size_t old;

            if (YAJL_IS_NULL (e))
              continue;
            if (f->type->known_keys && ! key_is_known (f->type->known_keys, key))
              continue;
            elem = a + (*lenp)++ * f->type->size;
            *(char **) (elem + f->type->key_offset) = oci_xstrdup (key);
            old = path_push_key (ctx, key);
            ret = parse_object (ctx, f->type, e, elem);
            path_pop (ctx, old);
            if (ret < 0)
              return ret;
          }
        return 0;
      }

    case OCI_F_STRING_MAP:
      return parse_string_map (ctx, v, (oci_map *) p);
    }
  abort ();
}

static int
parse_object (oci_parse_ctx *ctx, const oci_type *t, yajl_val v, void *obj)
{
  uint64_t seen = 0;
  size_t i, j;
  int ret;

  if (! YAJL_IS_OBJECT (v))
    return type_error (ctx, "an object", v);

  for (i = 0; i < v->u.object.len; i++)
    {
      const char *key = v->u.object.keys[i];
      yajl_val e = v->u.object.values[i];
      size_t old;

      for (j = 0; j < t->n_fields; j++)
        if (t->fields[j].name[0] == key[0] && strcmp (t->fields[j].name, key) == 0)
          break;
      if (j == t->n_fields || YAJL_IS_NULL (e))
        continue;

      old = path_push_property (ctx, key);
      ret = parse_field (ctx, &t->fields[j], e, obj);
      path_pop (ctx, old);
      if (ret < 0)
        return ret;
      seen |= UINT64_C (1) << j;
    }

  for (j = 0; j < t->n_fields; j++)
    if (t->fields[j].required && ! (seen & (UINT64_C (1) << j)))
      return oci_json_error_at (ctx, t->fields[j].name, "missing required property");

  if (t->validate)
    return t->validate (ctx, t, obj, seen);
  return 0;
}

bool
oci_json_seen (const oci_type *t, uint64_t seen, const char *name)
{
  size_t j;
  for (j = 0; j < t->n_fields; j++)
    if (strcmp (t->fields[j].name, name) == 0)
      return (seen & (UINT64_C (1) << j)) != 0;
  return false;
}

/* --- documents ----------------------------------------------------------- */

/* Nesting depth outside of strings; yajl has no limit of its own.  */
static bool
too_deep (const char *data, size_t len)
{
  size_t i, depth = 0;
  bool in_string = false;

  for (i = 0; i < len; i++)
    {
      char c = data[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = false;
          continue;
        }
      switch (c)
        {
        case '"':
          in_string = true;
          break;
        case '{':
        case '[':
          if (++depth > OCI_MAX_DEPTH)
            return true;
          break;
        case '}':
        case ']':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return false;
}

/* yajl's verbose message spans several lines; keep the first, which names
   the problem ("parse error: premature EOF", "lexical error: ...").  */
static void
first_line (char *s)
{
  size_t n = strcspn (s, "\n");
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    n--;
  s[n] = '\0';
}

void *
oci_json_parse (const oci_type *t, const char *data, size_t len, const char *origin, char **err)
{
  oci_parse_ctx ctx = { .origin = origin };
  char errbuf[1024];
  char *copy = NULL;
  const char *text = data;
  yajl_val tree;
  void *obj;
  int ret;

  *err = NULL;

  if (memchr (data, '\0', len) != NULL)
    {
      if (asprintf (err, "%s: invalid JSON: unexpected NUL byte", origin) < 0)
        abort ();
      return NULL;
    }
  if (too_deep (data, len))
    {
      if (asprintf (err, "%s: invalid JSON: nested deeper than %d levels", origin, OCI_MAX_DEPTH) < 0)
        abort ();
      return NULL;
    }

  /* yajl_tree_parse wants a NUL-terminated string.  */
  copy = malloc (len + 1);
  if (copy == NULL)
    abort ();
  memcpy (copy, data, len);
  copy[len] = '\0';
  text = copy;

  errbuf[0] = '\0';
  tree = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  free (copy);
  if (tree == NULL)
    {
      first_line (errbuf);
      if (asprintf (err, "%s: invalid JSON: %s", origin, errbuf[0] ? errbuf : "parse error") < 0)
        abort ();
      return NULL;
    }

  if (! YAJL_IS_OBJECT (tree))
    {
      if (asprintf (err, "%s: expected a JSON object at the top level, got %s", origin, json_type_name (tree)) < 0)
        abort ();
      yajl_tree_free (tree);
      return NULL;
    }

  obj = oci_xcalloc (1, t->size);
  ret = parse_object (&ctx, t, tree, obj);
  yajl_tree_free (tree);
  free (ctx.path);
  if (ret < 0)
    {
      oci_json_free (t, obj);
      *err = ctx.err;
      return NULL;
    }
  return obj;
}

void *
oci_json_parse_file (const oci_type *t, const char *path, const char *origin, char **err)
{
  struct stat st;
  char *buf = NULL;
  size_t used = 0, cap;
  void *obj;
  int fd, saved;

  *err = NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    goto fail;
  if (fstat (fd, &st) < 0)
    goto fail;
  cap = st.st_size > 0 ? (size_t) st.st_size + 1 : 4096;
  buf = malloc (cap);
  if (buf == NULL)
    abort ();
  for (;;)
    {
      ssize_t r;
      if (used == cap)
        {
          char *n = realloc (buf, cap * 2);
          if (n == NULL)
            abort ();
          buf = n;
          cap *= 2;
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        goto fail;
      if (r == 0)
        break;
      used += (size_t) r;
    }
  close (fd);
  obj = oci_json_parse (t, buf, used, origin, err);
  free (buf);
  return obj;

fail:
  saved = errno;
  if (fd >= 0)
    close (fd);
  free (buf);
  if (asprintf (err, "%s: cannot read `%s`: %s", origin, path, strerror (saved)) < 0)
    abort ();
  return NULL;
}
