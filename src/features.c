/* `features` (features.md, features-linux.md): what this build and this
 * kernel really support. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "caps.h"
#include "job.h"
#include "lsm.h"
#include "mount_opts.h"
#include "ocirun.h"
#include "utils.h"

static void
key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

static void
str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
str_array (yajl_gen g, const char *k, const char *const *v)
{
  key (g, k);
  yajl_gen_array_open (g);
  for (; v && *v; v++)
    str (g, *v);
  yajl_gen_array_close (g);
}

static void
boolean (yajl_gen g, const char *k, bool v)
{
  key (g, k);
  yajl_gen_bool (g, v);
}

int
cmd_features (struct ocirun_global *gl, int argc, char **argv, ocirun_error_t *err)
{
  static const char *const hooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL
  };
  static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time", NULL };
  struct ocirun_seccomp_features sf;
  yajl_gen g;
  const unsigned char *buf;
  size_t len, i;
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          cli_usage ("features", "", NULL);
          exit (0);
        }
      return cli_unknown_option ("features", argv, err);
    }
  if (cli_positional ("features", "", argc, argv, 0, err) < 0)
    return -1;

  g = yajl_gen_alloc (NULL);
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  key (g, "ociVersionMin");
  str (g, "1.0.0");
  key (g, "ociVersionMax");
  str (g, OCI_SPEC_VERSION);
  str_array (g, "hooks", hooks);
  key (g, "mountOptions");
  yajl_gen_array_open (g);
  for (i = 0; ocirun_mount_option_name (i); i++)
    str (g, ocirun_mount_option_name (i));
  yajl_gen_array_close (g);

  key (g, "linux");
  yajl_gen_map_open (g);
  str_array (g, "namespaces", namespaces);
  key (g, "capabilities");
  yajl_gen_array_open (g);
  for (i = 0; i < (size_t) ocirun_cap_names_len; i++)
    str (g, ocirun_cap_names[i]);
  yajl_gen_array_close (g);

  key (g, "cgroup");
  yajl_gen_map_open (g);
  boolean (g, "v1", true);
  boolean (g, "v2", true);
  boolean (g, "systemd", ocirun_cgroup_systemd_available ());
  boolean (g, "systemdUser", ocirun_cgroup_systemd_available ());
  boolean (g, "rdma", true);
  yajl_gen_map_close (g);

  ocirun_seccomp_features (&sf);
  key (g, "seccomp");
  yajl_gen_map_open (g);
  boolean (g, "enabled", sf.enabled);
  if (sf.enabled)
    {
      str_array (g, "actions", sf.actions);
      str_array (g, "operators", sf.operators);
      str_array (g, "archs", sf.archs);
      str_array (g, "knownFlags", sf.known_flags);
      str_array (g, "supportedFlags", sf.supported_flags);
    }
  yajl_gen_map_close (g);

  /* features-linux.md: "the runtime's implementation status ... irrelevant
   * to the availability of AppArmor [SELinux] on the host" (runc 1.1 says
   * true for both on a host with neither).  lsm.c needs no library for
   * either: both are always supported; what the host runs is in the
   * annotations below. */
  key (g, "apparmor");
  yajl_gen_map_open (g);
  boolean (g, "enabled", true);
  yajl_gen_map_close (g);
  key (g, "selinux");
  yajl_gen_map_open (g);
  boolean (g, "enabled", true);
  yajl_gen_map_close (g);
  key (g, "intelRdt");
  yajl_gen_map_open (g);
  boolean (g, "enabled", false);
  yajl_gen_map_close (g);
  key (g, "mountExtensions");
  yajl_gen_map_open (g);
  key (g, "idmap");
  yajl_gen_map_open (g);
  boolean (g, "enabled", true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  key (g, "netDevices");
  yajl_gen_map_open (g);
  boolean (g, "enabled", true);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g); /* linux */

  key (g, "annotations");
  yajl_gen_map_open (g);
  key (g, "io.github.ocirun.version");
  str (g, PACKAGE_VERSION);
  /* whether a process.apparmorProfile / selinuxLabel would be accepted here
   * (lsm.c refuses them on a host without the module, as runc does) */
  key (g, "io.github.ocirun.apparmor.host");
  str (g, ocirun_apparmor_enabled () ? "enabled" : "disabled");
  key (g, "io.github.ocirun.selinux.host");
  str (g, ocirun_selinux_enabled () ? "enabled" : "disabled");
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  yajl_gen_get_buf (g, &buf, &len);
  fwrite (buf, 1, len, stdout);
  if (len && buf[len - 1] != '\n')
    putchar ('\n');
  yajl_gen_free (g);
  return 0;
}
