/* What ocirun reads back from its own state dir, <root>/<id>/: state.json,
 * the private `runtime` key=value record and the cgroup record stored in it
 * (ocirun_cgroup_save's JSON).  A container cannot write these, but a
 * corrupted file must give an error, not a crash.
 *
 * Input: state.json NUL runtime-record NUL cgroup-json (missing parts are
 * empty).  Also checks that a parsed state survives generate -> parse. */
#include "fuzz.h"

#include "cgroup.h"
#include "oci_spec.h"
/* for the static parse_runtime_record */
#include "status.c"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

static const uint8_t *
next_part (const uint8_t *p, const uint8_t *end, size_t *plen)
{
  const uint8_t *z = memchr (p, 0, (size_t) (end - p));
  *plen = (size_t) ((z ? z : end) - p);
  return z ? z + 1 : end;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  const uint8_t *end = data + len, *p = data, *rec, *cgs;
  size_t state_len, rec_len, cg_len;
  ocirun_error_t err = NULL;
  struct ocirun_status st;
  ocirun_cgroup *cg = NULL;
  char *perr = NULL, *s;

  fuzz_quiet ();
  rec = next_part (p, end, &state_len);
  cgs = next_part (rec, end, &rec_len);
  next_part (cgs, end, &cg_len);

  memset (&st, 0, sizeof st);
  st.dirfd = -1;
  st.state = oci_state_parse_data ((const char *) p, state_len, "state.json", &perr);
  if (st.state == NULL)
    fuzz_check_parse_error ("state.json", perr);
  else
    {
      char *gen = oci_state_generate (st.state, false);
      if (gen)
        {
          oci_state *again = oci_state_parse_data (gen, strlen (gen), "state.json", &perr);
          if (again == NULL)
            {
              fprintf (stderr, "generated state does not parse back: %s\n%s\n", perr, gen);
              abort ();
            }
          oci_state_free (again);
          free (gen);
        }
    }

  s = fuzz_strndup (rec, rec_len);
  parse_runtime_record (&st, s);
  free (s);

  s = fuzz_strndup (cgs, cg_len);
  if (ocirun_cgroup_load (s, &cg, &err) < 0)
    fuzz_check_error (&err);
  else
    {
      char *saved;
      ocirun_cgroup_path (cg, NULL);
      ocirun_cgroup_path (cg, "memory");
      saved = ocirun_cgroup_save (cg);
      free (saved);
      ocirun_cgroup_free (cg);
    }
  free (s);
  ocirun_status_release (&st);
  return 0;
}
