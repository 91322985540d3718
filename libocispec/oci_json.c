/* libocispec: the table-driven engine that fills the structs of oci_spec.h
 * straight from yajl's parse events (see oci_json.h), and frees them.
 *
 * Why events and not yajl_tree: the config is parsed on every container
 * start, and building a tree first doubled the time, nearly all of it in
 * malloc.  Here each value is stored where it belongs as it is read.
 *
 * A small stack of frames follows the document: one per JSON object being
 * filled into a struct, per array being filled, per map.  Unknown properties
 * (config.md: runtimes MUST ignore unknown properties) are skipped with one
 * "skip" frame that only counts nesting, so the frame stack is bounded by
 * the depth of the schema, whatever the input, and nothing here recurses.
 * JSON `null` is treated like an absent property, as the Go reference
 * implementation does.
 *
 * Errors carry the JSON path of the offending value ("mounts[2].destination",
 * "linux.sysctl[\"net.ipv4.ip_forward\"]").  The path is rebuilt from the
 * frames only when an error happens, so the happy path pays nothing for it.
 * The first error stops the parse; everything filled in so far is already
 * linked into the result, so one oci_json_free releases it.
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

#include <yajl/yajl_parse.h>

#include "oci_json.h"

/* Deeper than any path through the schema (config > linux > seccomp >
   syscalls[] > {} > args[] > {} is the longest).  */
#define MAX_FRAMES 24

typedef enum
{
  FR_OBJECT, /* a JSON object filled into a struct */
  FR_ARRAY,  /* an array property */
  FR_KEYED,  /* an object of structs keyed by name (rdma, netDevices, ...) */
  FR_MAP,    /* an object of strings (annotations, sysctl, unified) */
  FR_SKIP,   /* the value of an unknown property */
} frame_kind;

typedef struct
{
  frame_kind kind;
  /* OBJECT: the struct being filled.  Others: the struct that holds `field`. */
  char *obj;
  /* OBJECT: its type.  */
  const oci_type *type;
  /* OBJECT: the property whose value comes next (NULL: unknown, skip it).
     ARRAY, KEYED, MAP: the property being filled.  */
  const oci_field *field;
  /* OBJECT: whether the next value belongs to a key at all (for the path).  */
  bool in_value;
  uint64_t seen;
  /* ARRAY, KEYED, MAP: allocated elements; the count lives in the struct.  */
  size_t cap;
  /* ARRAY: index of the element being read.  */
  size_t index;
  /* KEYED, MAP: the key whose value comes next (for the path too); owned
     until it moves into the element; skip its value if the key is not one
     we keep.  */
  char *key;
  bool key_owned;
  bool skip_value;
  /* SKIP: nesting depth inside the unknown value.  */
  size_t depth;
} frame;

struct oci_parse_ctx
{
  const char *origin;
  char *err;
  const oci_type *root_type;
  void *root;
  bool root_done;
  frame frames[MAX_FRAMES];
  size_t n_frames;
};

typedef enum
{
  V_STRING,
  V_NUMBER,
  V_BOOL,
  V_NULL,
  V_OBJECT,
  V_ARRAY,
} value_kind;

/* One JSON value as yajl hands it over.  */
typedef struct
{
  value_kind kind;
  const char *text; /* V_STRING, V_NUMBER: not NUL-terminated */
  size_t len;
  bool boolean;
} json_value;

static void *
oci_xcalloc (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

static void *
oci_xrealloc (void *p, size_t size)
{
  p = realloc (p, size);
  if (p == NULL)
    abort ();
  return p;
}

static char *
oci_xstrndup (const char *s, size_t len)
{
  char *r = malloc (len + 1);
  if (r == NULL)
    abort ();
  memcpy (r, s, len);
  r[len] = '\0';
  return r;
}

/* --- errors and the JSON path -------------------------------------------- */

typedef struct
{
  char *buf;
  size_t len, cap;
} strbuf;

static void
sb_append (strbuf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap)
    {
      b->cap = (b->len + n + 1) * 2;
      b->buf = oci_xrealloc (b->buf, b->cap);
    }
  memcpy (b->buf + b->len, s, n);
  b->len += n;
  b->buf[b->len] = '\0';
}

static void
sb_puts (strbuf *b, const char *s)
{
  sb_append (b, s, strlen (s));
}

static void
sb_property (strbuf *b, const char *name)
{
  if (b->len > 0)
    sb_append (b, ".", 1);
  sb_puts (b, name);
}

/* A map key, written as a JSON string so that any key reads unambiguously:
   sysctl["net.ipv4.ip_forward"].  */
static void
sb_key (strbuf *b, const char *key)
{
  const unsigned char *k;
  sb_append (b, "[\"", 2);
  for (k = (const unsigned char *) key; *k; k++)
    {
      char esc[8];
      if (*k == '"' || *k == '\\')
        {
          esc[0] = '\\';
          esc[1] = (char) *k;
          sb_append (b, esc, 2);
        }
      else if (*k < 0x20)
        sb_append (b, esc, (size_t) snprintf (esc, sizeof (esc), "\\u%04x", *k));
      else
        sb_append (b, (const char *) k, 1);
    }
  sb_append (b, "\"]", 2);
}

/* The path to the value being read.  With `to_value` false, the path of
   the innermost container itself (for "missing property" and validators). */
static strbuf
current_path (oci_parse_ctx *ctx, bool to_value)
{
  strbuf b = { NULL, 0, 0 };
  size_t i, n = ctx->n_frames;

  sb_append (&b, "", 0);
  for (i = 0; i < n; i++)
    {
      const frame *f = &ctx->frames[i];
      char idx[32];

      if (i == n - 1 && ! to_value)
        break;
      switch (f->kind)
        {
        case FR_OBJECT:
          if (f->in_value && f->field)
            sb_property (&b, f->field->name);
          break;
        case FR_ARRAY:
          sb_append (&b, idx, (size_t) snprintf (idx, sizeof (idx), "[%zu]", f->index));
          break;
        case FR_KEYED:
        case FR_MAP:
          if (f->key)
            sb_key (&b, f->key);
          break;
        case FR_SKIP:
          break;
        }
    }
  return b;
}

static int
vset_error (oci_parse_ctx *ctx, bool to_value, const char *field, const char *fmt, va_list ap)
{
  strbuf path;
  char *msg = NULL;
  int r;

  if (ctx->err != NULL)
    return -1;
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  path = current_path (ctx, to_value);
  if (field)
    sb_property (&path, field);
  if (path.len == 0)
    r = asprintf (&ctx->err, "%s: %s", ctx->origin, msg);
  else
    r = asprintf (&ctx->err, "%s: %s: %s", ctx->origin, path.buf, msg);
  if (r < 0)
    abort ();
  free (path.buf);
  free (msg);
  return -1;
}

/* An error about the value being read.  */
static int __attribute__ ((format (printf, 2, 3)))
value_error (oci_parse_ctx *ctx, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset_error (ctx, true, NULL, fmt, ap);
  va_end (ap);
  return -1;
}

int
oci_json_error_at (oci_parse_ctx *ctx, const char *field, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vset_error (ctx, false, field, fmt, ap);
  va_end (ap);
  return -1;
}

static bool
number_is_integer (const char *raw, size_t len)
{
  size_t i;
  for (i = 0; i < len; i++)
    if (raw[i] == '.' || raw[i] == 'e' || raw[i] == 'E')
      return false;
  return true;
}

static const char *
value_kind_name (const json_value *v)
{
  switch (v->kind)
    {
    case V_STRING:
      return "a string";
    case V_NUMBER:
      return number_is_integer (v->text, v->len) ? "an integer" : "a number";
    case V_BOOL:
      return "a boolean";
    case V_NULL:
      return "null";
    case V_OBJECT:
      return "an object";
    case V_ARRAY:
      return "an array";
    }
  return "an unknown value";
}

static int
type_error (oci_parse_ctx *ctx, const char *expected, const json_value *v)
{
  return value_error (ctx, "expected %s, got %s", expected, value_kind_name (v));
}

/* C strings cannot hold U+0000; refuse rather than silently truncate a
   path or a label.  */
static int
take_string (oci_parse_ctx *ctx, const json_value *v, char **out)
{
  if (memchr (v->text, '\0', v->len) != NULL)
    return value_error (ctx, "string contains a NUL character");
  *out = oci_xstrndup (v->text, v->len);
  return 0;
}

/* --- integers ------------------------------------------------------------ */

static const struct
{
  int64_t min;
  uint64_t max;
} int_range[] = {
  [OCI_F_INT32] = { INT32_MIN, INT32_MAX }, [OCI_F_INT64] = { INT64_MIN, INT64_MAX },
  [OCI_F_UINT16] = { 0, UINT16_MAX },       [OCI_F_UINT32] = { 0, UINT32_MAX },
  [OCI_F_UINT64] = { 0, UINT64_MAX },
};

/* Integers are read from the text yajl saw: uint64 properties (seccomp
   values, rlimits) go beyond what yajl's long long holds.  */
static int
get_integer (oci_parse_ctx *ctx, const json_value *v, oci_field_kind kind, void *dst)
{
  char raw[32];
  int64_t s = 0;
  uint64_t u = 0;
  char *end = NULL;

  if (v->kind != V_NUMBER)
    return type_error (ctx, "an integer", v);
  if (! number_is_integer (v->text, v->len))
    return value_error (ctx, "expected an integer, got %.*s", (int) (v->len > 40 ? 40 : v->len), v->text);
  if (v->len >= sizeof (raw))
    goto out_of_range;
  memcpy (raw, v->text, v->len);
  raw[v->len] = '\0';

  errno = 0;
  if (raw[0] == '-')
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
  return value_error (ctx, "value %.*s out of range [%" PRId64 ", %" PRIu64 "]", (int) (v->len > 40 ? 40 : v->len),
                      v->text, int_range[kind].min, int_range[kind].max);
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

bool
oci_json_seen (const oci_type *t, uint64_t seen, const char *name)
{
  size_t j;
  for (j = 0; j < t->n_fields; j++)
    if (strcmp (t->fields[j].name, name) == 0)
      return (seen & (UINT64_C (1) << j)) != 0;
  return false;
}

/* --- the frame stack ----------------------------------------------------- */

static frame *
top (oci_parse_ctx *ctx)
{
  return ctx->n_frames ? &ctx->frames[ctx->n_frames - 1] : NULL;
}

static frame *
push (oci_parse_ctx *ctx, frame_kind kind, char *obj, const oci_field *field)
{
  frame *f;
  if (ctx->n_frames == MAX_FRAMES)
    abort (); /* bounded by the schema; see MAX_FRAMES */
  f = &ctx->frames[ctx->n_frames++];
  memset (f, 0, sizeof (*f));
  f->kind = kind;
  f->obj = obj;
  f->field = field;
  return f;
}

static void
push_object (oci_parse_ctx *ctx, const oci_type *t, void *obj)
{
  frame *f = push (ctx, FR_OBJECT, obj, NULL);
  f->type = t;
}

static void
drop_key (frame *f)
{
  if (f->key_owned)
    free (f->key);
  f->key = NULL;
  f->key_owned = false;
}

static void
pop (oci_parse_ctx *ctx)
{
  drop_key (&ctx->frames[--ctx->n_frames]);
}

/* Make room for one more element in the array of field `fr->field`, whose
   elements are `size` bytes, keeping one zeroed spare slot at the end (the
   NULL terminator of string arrays).  Returns the new element.  */
static void *
grow (frame *fr, size_t size)
{
  void **arrp = (void **) (fr->obj + fr->field->offset);
  size_t *lenp = (size_t *) (fr->obj + fr->field->aux);

  if (*lenp + 1 >= fr->cap)
    {
      size_t cap = fr->cap * 2;
      *arrp = oci_xrealloc (*arrp, cap * size);
      memset ((char *) *arrp + fr->cap * size, 0, (cap - fr->cap) * size);
      fr->cap = cap;
    }
  return (char *) *arrp + (*lenp)++ * size;
}

/* Start an array/keyed/map property: present (non-NULL) even when empty. */
static frame *
begin_container (oci_parse_ctx *ctx, frame_kind kind, char *obj, const oci_field *field, size_t size)
{
  frame *fr = push (ctx, kind, obj, field);
  fr->cap = 4;
  *(void **) (obj + field->offset) = oci_xcalloc (fr->cap, size);
  return fr;
}

static const char *
expected_name (oci_field_kind kind)
{
  switch (kind)
    {
    case OCI_F_STRING:
      return "a string";
    case OCI_F_BOOL:
      return "a boolean";
    case OCI_F_STRING_ARRAY:
      return "an array of strings";
    case OCI_F_UINT32_ARRAY:
      return "an array of integers";
    case OCI_F_OBJECT_ARRAY:
      return "an array";
    case OCI_F_OBJECT:
    case OCI_F_INLINE:
    case OCI_F_KEYED_ARRAY:
    case OCI_F_STRING_MAP:
      return "an object";
    default:
      return "an integer";
    }
}

/* The value `v` of property `f` of the struct `obj`.  */
static int
property_value (oci_parse_ctx *ctx, char *obj, const oci_field *f, const json_value *v)
{
  void *p = obj + f->offset;
  int ret;

  /* A property given twice: the last one wins, the first is released.  */
  free_field (f, obj);

  switch (f->kind)
    {
    case OCI_F_STRING:
      if (v->kind != V_STRING)
        break;
      return take_string (ctx, v, (char **) p);

    case OCI_F_BOOL:
      if (v->kind != V_BOOL)
        break;
      *(bool *) p = v->boolean;
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
      if (v->kind != V_ARRAY)
        break;
      begin_container (ctx, FR_ARRAY, obj, f, sizeof (char *));
      return 0;

    case OCI_F_UINT32_ARRAY:
      if (v->kind != V_ARRAY)
        break;
      begin_container (ctx, FR_ARRAY, obj, f, sizeof (uint32_t));
      return 0;

    case OCI_F_OBJECT_ARRAY:
      if (v->kind != V_ARRAY)
        break;
      begin_container (ctx, FR_ARRAY, obj, f, f->type->size);
      return 0;

    case OCI_F_OBJECT:
      if (v->kind != V_OBJECT)
        break;
      *(void **) p = oci_xcalloc (1, f->type->size);
      push_object (ctx, f->type, *(void **) p);
      return 0;

    case OCI_F_INLINE:
      if (v->kind != V_OBJECT)
        break;
      push_object (ctx, f->type, p);
      return 0;

    case OCI_F_KEYED_ARRAY:
      if (v->kind != V_OBJECT)
        break;
      begin_container (ctx, FR_KEYED, obj, f, f->type->size);
      return 0;

    case OCI_F_STRING_MAP:
      {
        oci_map *m = p;
        frame *fr;
        if (v->kind != V_OBJECT)
          break;
        fr = push (ctx, FR_MAP, obj, f);
        fr->cap = 4;
        m->keys = oci_xcalloc (fr->cap, sizeof (char *));
        m->values = oci_xcalloc (fr->cap, sizeof (char *));
        return 0;
      }
    }
  return type_error (ctx, expected_name (f->kind), v);
}

/* The next element of the array property of frame `fr`.  */
static int
array_element (oci_parse_ctx *ctx, frame *fr, const json_value *v)
{
  const oci_field *f = fr->field;
  size_t *lenp = (size_t *) (fr->obj + f->aux);

  fr->index = *lenp;
  switch (f->kind)
    {
    case OCI_F_STRING_ARRAY:
      {
        char *s;
        if (v->kind != V_STRING)
          return type_error (ctx, "a string", v);
        if (take_string (ctx, v, &s) < 0)
          return -1;
        *(char **) grow (fr, sizeof (char *)) = s;
        return 0;
      }
    case OCI_F_UINT32_ARRAY:
      {
        uint32_t x;
        if (get_integer (ctx, v, OCI_F_UINT32, &x) < 0)
          return -1;
        *(uint32_t *) grow (fr, sizeof (uint32_t)) = x;
        return 0;
      }
    case OCI_F_OBJECT_ARRAY:
      if (v->kind != V_OBJECT)
        return type_error (ctx, "an object", v);
      push_object (ctx, f->type, grow (fr, f->type->size));
      return 0;
    default:
      abort ();
    }
}

/* The value for the pending key of a keyed-array frame.  */
static int
keyed_element (oci_parse_ctx *ctx, frame *fr, const json_value *v)
{
  const oci_type *t = fr->field->type;
  char *elem;

  if (v->kind != V_OBJECT)
    return type_error (ctx, "an object", v);
  elem = grow (fr, t->size);
  /* The key now belongs to the element; the frame keeps a view of it for
     error paths while the element is read.  */
  *(char **) (elem + t->key_offset) = fr->key;
  fr->key_owned = false;
  push_object (ctx, t, elem);
  return 0;
}

/* The value for the pending key of a string-map frame.  */
static int
map_element (oci_parse_ctx *ctx, frame *fr, const json_value *v)
{
  oci_map *m = (oci_map *) (fr->obj + fr->field->offset);
  char *s;

  if (v->kind != V_STRING)
    return type_error (ctx, "a string", v);
  if (take_string (ctx, v, &s) < 0)
    return -1;
  if (m->len + 1 >= fr->cap)
    {
      size_t cap = fr->cap * 2;
      m->keys = oci_xrealloc (m->keys, cap * sizeof (char *));
      m->values = oci_xrealloc (m->values, cap * sizeof (char *));
      memset (m->keys + fr->cap, 0, (cap - fr->cap) * sizeof (char *));
      memset (m->values + fr->cap, 0, (cap - fr->cap) * sizeof (char *));
      fr->cap = cap;
    }
  m->keys[m->len] = fr->key;
  m->values[m->len] = s;
  m->len++;
  fr->key_owned = false;
  return 0;
}

/* Every value, scalar or the start of an object/array, comes through here. */
static int
on_value (oci_parse_ctx *ctx, const json_value *v)
{
  frame *fr = top (ctx);
  bool container = v->kind == V_OBJECT || v->kind == V_ARRAY;

  if (fr == NULL)
    {
      if (ctx->root_done)
        abort (); /* yajl allows one top-level value */
      if (v->kind != V_OBJECT)
        return value_error (ctx, "expected a JSON object at the top level, got %s", value_kind_name (v));
      ctx->root = oci_xcalloc (1, ctx->root_type->size);
      push_object (ctx, ctx->root_type, ctx->root);
      return 0;
    }

  switch (fr->kind)
    {
    case FR_SKIP:
      if (container)
        fr->depth++;
      return 0;

    case FR_OBJECT:
      fr->in_value = true;
      if (fr->field == NULL)
        {
          if (container)
            push (ctx, FR_SKIP, NULL, NULL)->depth = 1;
          return 0;
        }
      if (v->kind == V_NULL)
        return 0;
      fr->seen |= UINT64_C (1) << (fr->field - fr->type->fields);
      return property_value (ctx, fr->obj, fr->field, v);

    case FR_ARRAY:
      return array_element (ctx, fr, v);

    case FR_KEYED:
    case FR_MAP:
      if (fr->skip_value || v->kind == V_NULL)
        {
          /* an unknown key, or null: absent */
          if (container)
            push (ctx, FR_SKIP, NULL, NULL)->depth = 1;
          return 0;
        }
      if (fr->kind == FR_KEYED)
        return keyed_element (ctx, fr, v);
      return map_element (ctx, fr, v);
    }
  abort ();
}

/* The end of the value that frame `fr` was reading (after its pop).  */
static void
value_done (oci_parse_ctx *ctx)
{
  frame *fr = top (ctx);
  if (fr != NULL && (fr->kind == FR_KEYED || fr->kind == FR_MAP))
    drop_key (fr);
}

static int
end_object (oci_parse_ctx *ctx)
{
  frame *fr = top (ctx);
  size_t j;

  fr->in_value = false;
  for (j = 0; j < fr->type->n_fields; j++)
    if (fr->type->fields[j].required && ! (fr->seen & (UINT64_C (1) << j)))
      return oci_json_error_at (ctx, fr->type->fields[j].name, "missing required property");
  if (fr->type->validate && fr->type->validate (ctx, fr->type, fr->obj, fr->seen) < 0)
    return -1;
  pop (ctx);
  if (ctx->n_frames == 0)
    ctx->root_done = true;
  return 0;
}

/* --- yajl callbacks ------------------------------------------------------ */

static int
cb_null (void *c)
{
  json_value v = { .kind = V_NULL };
  int ret = on_value (c, &v);
  value_done (c);
  return ret == 0;
}

static int
cb_boolean (void *c, int b)
{
  json_value v = { .kind = V_BOOL, .boolean = b != 0 };
  int ret = on_value (c, &v);
  value_done (c);
  return ret == 0;
}

static int
cb_number (void *c, const char *s, size_t len)
{
  json_value v = { .kind = V_NUMBER, .text = s, .len = len };
  int ret = on_value (c, &v);
  value_done (c);
  return ret == 0;
}

static int
cb_string (void *c, const unsigned char *s, size_t len)
{
  json_value v = { .kind = V_STRING, .text = (const char *) s, .len = len };
  int ret = on_value (c, &v);
  value_done (c);
  return ret == 0;
}

static int
cb_start_map (void *c)
{
  json_value v = { .kind = V_OBJECT };
  return on_value (c, &v) == 0;
}

static int
cb_start_array (void *c)
{
  json_value v = { .kind = V_ARRAY };
  return on_value (c, &v) == 0;
}

static int
cb_map_key (void *c, const unsigned char *key, size_t len)
{
  oci_parse_ctx *ctx = c;
  frame *fr = top (ctx);
  const char *k = (const char *) key;
  size_t j;

  switch (fr->kind)
    {
    case FR_SKIP:
      return 1;

    case FR_OBJECT:
      fr->field = NULL;
      fr->in_value = false;
      if (len == 0)
        return 1;
      for (j = 0; j < fr->type->n_fields; j++)
        {
          const char *name = fr->type->fields[j].name;
          if (name[0] == k[0] && strlen (name) == len && memcmp (name, k, len) == 0)
            {
              fr->field = &fr->type->fields[j];
              break;
            }
        }
      return 1;

    case FR_KEYED:
    case FR_MAP:
      drop_key (fr);
      if (memchr (k, '\0', len) != NULL)
        {
          oci_json_error_at (ctx, NULL, "a key contains a NUL character");
          return 0;
        }
      fr->key = oci_xstrndup (k, len);
      fr->key_owned = true;
      fr->skip_value = false;
      if (fr->kind == FR_KEYED && fr->field->type->known_keys != NULL)
        {
          const char *const *known;
          fr->skip_value = true;
          for (known = fr->field->type->known_keys; *known; known++)
            if (strcmp (*known, fr->key) == 0)
              fr->skip_value = false;
        }
      return 1;

    case FR_ARRAY:
      break;
    }
  abort ();
}

static int
cb_end_map (void *c)
{
  oci_parse_ctx *ctx = c;
  frame *fr = top (ctx);

  switch (fr->kind)
    {
    case FR_SKIP:
      if (--fr->depth == 0)
        {
          pop (ctx);
          value_done (ctx);
        }
      return 1;
    case FR_OBJECT:
      if (end_object (ctx) < 0)
        return 0;
      value_done (ctx);
      return 1;
    case FR_KEYED:
    case FR_MAP:
      pop (ctx);
      value_done (ctx);
      return 1;
    case FR_ARRAY:
      break;
    }
  abort ();
}

static int
cb_end_array (void *c)
{
  oci_parse_ctx *ctx = c;
  frame *fr = top (ctx);

  if (fr->kind == FR_SKIP)
    {
      if (--fr->depth > 0)
        return 1;
    }
  else if (fr->kind != FR_ARRAY)
    abort ();
  pop (ctx);
  value_done (ctx);
  return 1;
}

static const yajl_callbacks callbacks = {
  .yajl_null = cb_null,
  .yajl_boolean = cb_boolean,
  .yajl_number = cb_number,
  .yajl_string = cb_string,
  .yajl_start_map = cb_start_map,
  .yajl_map_key = cb_map_key,
  .yajl_end_map = cb_end_map,
  .yajl_start_array = cb_start_array,
  .yajl_end_array = cb_end_array,
};

/* --- documents ----------------------------------------------------------- */

/* "<origin>: syntax error at line L, column C: <yajl's reason>", one line.
   yajl's reason starts with its category ("parse error: ", "lexical error:
   "), which says nothing more than "syntax error" does.  */
static char *
syntax_error (yajl_handle h, const char *origin, const char *data, size_t len)
{
  unsigned char *yerr = yajl_get_error (h, 0, (const unsigned char *) data, len);
  const char *reason = yerr ? (const char *) yerr : "parse error";
  size_t rlen, at = yajl_get_bytes_consumed (h), i, line = 1, col = 1;
  char *out;

  if (strncmp (reason, "parse error: ", 13) == 0)
    reason += 13;
  else if (strncmp (reason, "lexical error: ", 15) == 0)
    reason += 15;
  rlen = strcspn (reason, "\n");
  while (rlen > 0 && (reason[rlen - 1] == '.' || reason[rlen - 1] == ' '))
    rlen--;
  if (strstr (reason, "premature EOF") != NULL)
    {
      /* the document ends too early: point just past its last character */
      at = len;
      while (at > 0 && strchr (" \t\r\n", data[at - 1]) != NULL)
        at--;
    }
  else
    {
      if (at > len)
        at = len;
      /* yajl counts the offending byte as consumed */
      if (at > 0)
        at--;
    }
  for (i = 0; i < at; i++)
    {
      if (data[i] == '\n')
        {
          line++;
          col = 1;
        }
      else
        col++;
    }
  if (asprintf (&out, "%s: syntax error at line %zu, column %zu: %.*s", origin, line, col, (int) rlen, reason) < 0)
    abort ();
  if (yerr)
    yajl_free_error (h, yerr);
  return out;
}

/* The syntax error of the whole document, NULL when it is well-formed.  The
   filling parse stops at the first wrong value, and a document with a
   missing `}` can close an object early and look like one that lacks a
   required property ("process.cwd: missing") long before yajl reaches the
   end.  Go's encoding/json (runc) checks the syntax of the whole document
   before it looks at any value; so does this, on the error path only.  */
static char *
check_syntax (const char *data, size_t len, const char *origin)
{
  static const yajl_callbacks none;
  yajl_handle h = yajl_alloc (&none, NULL, NULL);
  yajl_status st;
  char *out = NULL;

  if (h == NULL)
    abort ();
  st = yajl_parse (h, (const unsigned char *) data, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  if (st != yajl_status_ok)
    out = syntax_error (h, origin, data, len);
  yajl_free (h);
  return out;
}

void *
oci_json_parse (const oci_type *t, const char *data, size_t len, const char *origin, char **err)
{
  oci_parse_ctx ctx = { .origin = origin, .root_type = t };
  yajl_handle h;
  yajl_status st;

  *err = NULL;
  h = yajl_alloc (&callbacks, NULL, &ctx);
  if (h == NULL)
    abort ();
  st = yajl_parse (h, (const unsigned char *) data, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);

  if (st == yajl_status_error)
    *err = syntax_error (h, origin, data, len);
  else if (st == yajl_status_client_canceled)
    {
      *err = check_syntax (data, len, origin);
      if (*err == NULL)
        *err = ctx.err;
    }
  yajl_free (h);

  while (ctx.n_frames > 0)
    pop (&ctx);
  if (*err == NULL && ! ctx.root_done)
    {
      /* not expected from yajl, which reports "premature EOF" */
      if (asprintf (err, "%s: syntax error: incomplete document", origin) < 0)
        abort ();
    }
  if (*err != NULL)
    {
      if (ctx.err != *err)
        free (ctx.err);
      oci_json_free (t, ctx.root);
      return NULL;
    }
  return ctx.root;
}

static char *
read_error (const char *origin, const char *path, int errnum)
{
  char *out;
  if (asprintf (&out, "%s: cannot read `%s`: %s", origin, path, strerror (errnum)) < 0)
    abort ();
  return out;
}

void *
oci_json_parse_file (const oci_type *t, const char *path, const char *origin, char **err)
{
  struct stat st;
  char *buf;
  size_t used = 0, cap;
  void *obj;
  int fd;

  *err = NULL;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      *err = read_error (origin, path, errno);
      return NULL;
    }
  cap = fstat (fd, &st) == 0 && st.st_size > 0 ? (size_t) st.st_size + 1 : 4096;
  buf = oci_xcalloc (cap, 1);
  for (;;)
    {
      ssize_t r;
      if (used == cap)
        {
          cap *= 2;
          buf = oci_xrealloc (buf, cap);
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          *err = read_error (origin, path, errno);
          close (fd);
          free (buf);
          return NULL;
        }
      if (r == 0)
        break;
      used += (size_t) r;
    }
  close (fd);
  obj = oci_json_parse (t, buf, used, origin, err);
  free (buf);
  return obj;
}
