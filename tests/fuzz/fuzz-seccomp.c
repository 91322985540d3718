/* linux.seccomp: parse a config.json and compile its profile to BPF as
 * `create` does before clone (validation, then libseccomp, loaded with
 * dlopen; no cache directory, nothing is installed). */
#include "fuzz.h"

#include "oci_spec.h"
#include "seccomp.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  ocirun_error_t err = NULL;
  ocirun_seccomp_filter *f = NULL;
  char *perr = NULL;
  oci_config *c;

  fuzz_quiet ();
  c = oci_config_parse_data ((const char *) data, len, "config.json", &perr);
  if (c == NULL)
    {
      fuzz_check_parse_error ("config.json", perr);
      return 0;
    }
  if (c->linux_ && c->linux_->seccomp)
    {
      if (ocirun_seccomp_compile (c->linux_->seccomp, NULL, &f, &err) < 0)
        fuzz_check_error (&err);
      else
        ocirun_seccomp_filter_free (f);
    }
  oci_config_free (c);
  return 0;
}
