/* The small string parsers of the command line and the config.  The first
 * input byte picks the parser, the rest is the string (NUL-terminated):
 *   0 kill's SIGNAL        signal_parse ("KILL", "SIGRTMIN+3", "9")
 *   1 exec's overrides     build_process: --user UID[:GID], --additional-gids,
 *                          --cap, --env, all from the same string
 *   2 container id         ocirun_validate_id
 *   3 capability name      ocirun_cap_from_name
 *   4 hugepage size        cg_parse_page_size ("2MB")
 *   5 mount options        ocirun_mount_parse_options (comma-separated)
 *   6 integers             parse_int64
 *   7 cpu/node lists       process.execCPUAffinity, linux.memoryPolicy.nodes
 *   8 rlimit name          ocirun_rlimits_validate
 */
#include "fuzz.h"

#include "caps.h"
#include "cgroup_internal.h"
#include "container.h"
#include "job.h"
#include "mount_opts.h"
#include "oci_spec.h"
#include "rlimits.h"
#include "utils.h"
/* for the static build_process (exec's command-line overrides) */
#include "exec.c"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

static const char base_config[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
                                  "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"env\":[\"PATH=/bin\"]},"
                                  "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}";

static void
fuzz_exec_overrides (char *s)
{
  ocirun_error_t err = NULL;
  struct ocirun_exec_options o;
  char *args[] = { (char *) "sh", NULL };
  char *list[] = { s, NULL };
  char *perr = NULL;
  oci_config *c = oci_config_parse_data (base_config, sizeof base_config - 1, "config.json", &perr);
  if (c == NULL)
    abort ();
  memset (&o, 0, sizeof o);
  o.args = args;
  o.args_len = 1;
  o.user = s;
  o.additional_gids = list;
  o.additional_gids_len = 1;
  o.caps = list;
  o.caps_len = 1;
  o.env = list;
  o.env_len = 1;
  o.cwd = s;
  if (build_process (c, &o, &err) < 0)
    fuzz_check_error (&err);
  oci_config_free (c);
}

static void
fuzz_mount_options (char *s)
{
  ocirun_error_t err = NULL;
  char **opts = NULL, *save = NULL, *tok;
  size_t n = 0;
  unsigned long flags;
  char *mdata = NULL;
  for (tok = strtok_r (s, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      opts = realloc (opts, (n + 1) * sizeof *opts);
      if (opts == NULL)
        abort ();
      opts[n++] = tok;
    }
  if (ocirun_mount_parse_options (opts, n, &flags, &mdata, &err) < 0)
    fuzz_check_error (&err);
  free (mdata);
  free (opts);
}

static void
fuzz_lists (char *s)
{
  ocirun_error_t err = NULL;
  oci_exec_cpu_affinity aff = { s, s };
  oci_memory_policy mp = { (char *) "MPOL_BIND", s, NULL, 0 };
  oci_process p;
  oci_linux l;
  memset (&p, 0, sizeof p);
  memset (&l, 0, sizeof l);
  p.exec_cpu_affinity = &aff;
  l.memory_policy = &mp;
  if (ocirun_cpu_affinity_validate (&p, "process", &err) < 0)
    fuzz_check_error (&err);
  if (ocirun_memory_policy_validate (&l, &err) < 0)
    fuzz_check_error (&err);
}

static void
fuzz_rlimit (char *s)
{
  ocirun_error_t err = NULL;
  oci_rlimit r = { s, 1, 1 };
  oci_process p;
  memset (&p, 0, sizeof p);
  p.rlimits = &r;
  p.rlimits_len = 1;
  if (ocirun_rlimits_validate (&p, "process", &err) < 0)
    fuzz_check_error (&err);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  ocirun_error_t err = NULL;
  long long ll;
  uint64_t u;
  char *s;

  if (len < 1)
    return 0;
  fuzz_quiet ();
  s = fuzz_strndup (data + 1, len - 1);
  switch (data[0] % 9)
    {
    case 0:
      signal_parse (s);
      break;
    case 1:
      fuzz_exec_overrides (s);
      break;
    case 2:
      if (ocirun_validate_id (s, &err) < 0)
        fuzz_check_error (&err);
      break;
    case 3:
      ocirun_cap_from_name (s);
      break;
    case 4:
      cg_parse_page_size (s, &u);
      break;
    case 5:
      fuzz_mount_options (s);
      break;
    case 6:
      parse_int64 (s, &ll);
      break;
    case 7:
      fuzz_lists (s);
      break;
    case 8:
      fuzz_rlimit (s);
      break;
    }
  free (s);
  return 0;
}
