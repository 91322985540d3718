/* config.json: parse the input, validate it as `create` does (before clone),
 * check linux.resources and the mount options, free everything. */
#include "fuzz.h"

#include "cgroup.h"
#include "job.h"
#include "mount_opts.h"
#include "oci_spec.h"
#include "validate.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  ocirun_error_t err = NULL;
  char *perr = NULL;
  oci_config *c;
  size_t i;

  fuzz_quiet ();
  c = oci_config_parse_data ((const char *) data, len, "config.json", &perr);
  if (c == NULL)
    {
      fuzz_check_parse_error ("config.json", perr);
      return 0;
    }
  if (perr != NULL)
    abort (); /* an error message with a result */

  if (ocirun_config_validate (c, true, &err) < 0)
    fuzz_check_error (&err);
  if (c->linux_ && c->linux_->resources && ocirun_cgroup_validate (c->linux_->resources, &err) < 0)
    fuzz_check_error (&err);
  for (i = 0; i < c->mounts_len; i++)
    {
      unsigned long flags = 0;
      char *mdata = NULL;
      if (ocirun_mount_parse_options (c->mounts[i].options, c->mounts[i].options_len, &flags, &mdata, &err) < 0)
        fuzz_check_error (&err);
      free (mdata);
    }
  oci_config_free (c);
  return 0;
}
