/* `update --resources FILE`: parse a bare linux.resources object, validate
 * it, turn linux.resources.devices into rules and the v2 eBPF program (pure
 * computation; nothing is written to a cgroup). */
#include "fuzz.h"

#include "cgroup.h"
#include "oci_spec.h"
/* for the static v1_check_holes (the v1 wildcard-hole check) */
#include "cgroup_devices.c"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  ocirun_error_t err = NULL;
  char *perr = NULL;
  oci_resources *r;
  struct cg_dev_rule *rules = NULL;
  size_t n = 0;

  fuzz_quiet ();
  r = oci_resources_parse_data ((const char *) data, len, "resources", &perr);
  if (r == NULL)
    {
      fuzz_check_parse_error ("resources", perr);
      return 0;
    }
  if (ocirun_cgroup_validate (r, &err) < 0)
    fuzz_check_error (&err);
  if (cg_device_rules (r, &rules, &n, &err) < 0)
    fuzz_check_error (&err);
  else
    {
      struct bpf_insn *prog = NULL;
      if (v1_check_holes (rules, n, cg_device_user_rules (n), &err) < 0)
        fuzz_check_error (&err);
      ocirun_cgroup_devices_bpf (rules, n, &prog);
      free (prog);
      free (rules);
    }
  oci_resources_free (r);
  return 0;
}
