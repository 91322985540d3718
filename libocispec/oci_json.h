/* libocispec internals: a small table-driven engine that maps yajl parse
 * events onto the C structs of oci_spec.h, and frees them again.  Each struct is
 * described once (oci_types.c) by a list of its JSON properties; parsing,
 * "missing required property" checks and freeing all walk that list, so
 * adding a property to the model is a one-line change.
 *
 * Not part of the public API.
 */
#ifndef OCI_JSON_H
#define OCI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci_spec.h"

typedef enum
{
  OCI_F_STRING,       /* char * */
  OCI_F_BOOL,         /* bool */
  OCI_F_INT32,        /* int32_t */
  OCI_F_INT64,        /* int64_t */
  OCI_F_UINT16,       /* uint16_t */
  OCI_F_UINT32,       /* uint32_t */
  OCI_F_UINT64,       /* uint64_t */
  OCI_F_STRING_ARRAY, /* char ** (NULL-terminated) + size_t len */
  OCI_F_UINT32_ARRAY, /* uint32_t * + size_t len */
  OCI_F_OBJECT,       /* T *, allocated */
  OCI_F_INLINE,       /* T embedded in the parent */
  OCI_F_OBJECT_ARRAY, /* T * + size_t len */
  OCI_F_KEYED_ARRAY,  /* JSON object of T keyed by name -> T * + size_t len */
  OCI_F_STRING_MAP,   /* oci_map */
} oci_field_kind;

#define OCI_NO_AUX ((ssize_t) -1)

typedef struct oci_parse_ctx oci_parse_ctx;
struct oci_type;

typedef struct
{
  const char *name; /* JSON property name */
  oci_field_kind kind;
  bool required;
  size_t offset;
  /* has_<name> flag for optional scalars, the length for arrays,
     OCI_NO_AUX otherwise.  */
  ssize_t aux;
  const struct oci_type *type; /* OBJECT, INLINE, OBJECT_ARRAY, KEYED_ARRAY */
} oci_field;

/* `seen` has bit i set when fields[i] was present (not null).  */
typedef int (*oci_validate_fn) (oci_parse_ctx *ctx, const struct oci_type *t, void *obj, uint64_t seen);

typedef struct oci_type
{
  const char *name;
  size_t size;
  const oci_field *fields;
  size_t n_fields;
  oci_validate_fn validate;
  /* KEYED_ARRAY element types: where the key (char *) goes.  */
  ssize_t key_offset;
  /* KEYED_ARRAY element types: if not NULL, the only keys kept (others
     are ignored like unknown properties).  NULL-terminated.  */
  const char *const *known_keys;
} oci_type;

/* Parse `data` into a freshly allocated struct of type `t`.  Returns NULL
   and sets *err on failure.  */
void *oci_json_parse (const oci_type *t, const char *data, size_t len, const char *origin, char **err);
void *oci_json_parse_file (const oci_type *t, const char *path, const char *origin, char **err);

/* Free everything `obj` owns, then `obj` itself.  NULL is fine.  */
void oci_json_free (const oci_type *t, void *obj);

/* For validators: report an error about `field` of the object being
   validated (field may be NULL for the object itself).  Always returns -1. */
int oci_json_error_at (oci_parse_ctx *ctx, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* For validators: whether the property `name` of `t` was seen.  */
bool oci_json_seen (const oci_type *t, uint64_t seen, const char *name);

void oci_map_free (oci_map *m);

#define OCI_FIELD(st, json, k, req, member, aux_, ty)                                       \
  {                                                                                         \
    .name = (json), .kind = (k), .required = (req), .offset = offsetof (st, member),        \
    .aux = (aux_), .type = (ty)                                                             \
  }
#define OCI_AUX(st, member) ((ssize_t) offsetof (st, member))

#endif
