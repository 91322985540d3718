/* libocispec: state.json generator (runtime.md#state).  The parser is the
 * table in oci_spec.c; this is the other direction, with yajl_gen.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "oci_spec.h"

static bool
gen_string (yajl_gen g, const char *s)
{
  return yajl_gen_string (g, (const unsigned char *) s, strlen (s)) == yajl_gen_status_ok;
}

/* A key and its string value; absent (NULL) values are omitted.  */
static bool
gen_kv (yajl_gen g, const char *key, const char *value)
{
  if (value == NULL)
    return true;
  return gen_string (g, key) && gen_string (g, value);
}

static bool
gen_state (yajl_gen g, const oci_state *s)
{
  size_t i;

  if (yajl_gen_map_open (g) != yajl_gen_status_ok)
    return false;
  if (! gen_kv (g, "ociVersion", s->oci_version) || ! gen_kv (g, "id", s->id) || ! gen_kv (g, "status", s->status))
    return false;
  if (s->has_pid && (! gen_string (g, "pid") || yajl_gen_integer (g, s->pid) != yajl_gen_status_ok))
    return false;
  if (! gen_kv (g, "bundle", s->bundle))
    return false;
  if (s->annotations.len > 0)
    {
      if (! gen_string (g, "annotations") || yajl_gen_map_open (g) != yajl_gen_status_ok)
        return false;
      for (i = 0; i < s->annotations.len; i++)
        if (! gen_kv (g, s->annotations.keys[i], s->annotations.values[i]))
          return false;
      if (yajl_gen_map_close (g) != yajl_gen_status_ok)
        return false;
    }
  return yajl_gen_map_close (g) == yajl_gen_status_ok;
}

char *
oci_state_generate (const oci_state *s, bool pretty)
{
  const unsigned char *buf;
  size_t len;
  char *out = NULL;
  yajl_gen g;

  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return NULL;
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  /* Keep '/' as is in paths (yajl would escape it only with this option).  */
  yajl_gen_config (g, yajl_gen_escape_solidus, 0);
  /* Don't let yajl silently accept invalid UTF-8 from the caller.  */
  yajl_gen_config (g, yajl_gen_validate_utf8, 1);

  if (gen_state (g, s) && yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    {
      out = malloc (len + 1);
      if (out != NULL)
        {
          memcpy (out, buf, len);
          out[len] = '\0';
        }
    }
  yajl_gen_free (g);
  return out;
}
