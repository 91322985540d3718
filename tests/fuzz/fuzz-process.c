/* process.json of `exec --process`: parse, validate as exec does (process,
 * rlimits, execCPUAffinity), free. */
#include "fuzz.h"

#include "job.h"
#include "oci_spec.h"
#include "process.h"
#include "rlimits.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  ocirun_error_t err = NULL;
  char *perr = NULL;
  oci_process *p;

  fuzz_quiet ();
  p = oci_process_parse_data ((const char *) data, len, "process.json", &perr);
  if (p == NULL)
    {
      fuzz_check_parse_error ("process.json", perr);
      return 0;
    }
  if (ocirun_process_validate (p, "process.json", &err) < 0)
    fuzz_check_error (&err);
  if (ocirun_rlimits_validate (p, "process.json", &err) < 0)
    fuzz_check_error (&err);
  if (ocirun_cpu_affinity_validate (p, "process.json", &err) < 0)
    fuzz_check_error (&err);
  oci_process_free (p);
  return 0;
}
