/* `spec`: write a starting config.json (runs `sh` on a terminal, like runc's). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocirun.h"
#include "utils.h"

static const char spec_head[]
    = "{\n"
      "  \"ociVersion\": \"1.3.0\",\n"
      "  \"process\": {\n"
      "    \"terminal\": true,\n"
      "    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
      "    \"args\": [ \"sh\" ],\n"
      "    \"env\": [\n"
      "      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
      "      \"TERM=xterm\"\n"
      "    ],\n"
      "    \"cwd\": \"/\",\n"
      "    \"capabilities\": {\n"
      "      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
      "      \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
      "      \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ]\n"
      "    },\n"
      "    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],\n"
      "    \"noNewPrivileges\": true\n"
      "  },\n"
      "  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
      "  \"hostname\": \"ocirun\",\n"
      "  \"mounts\": [\n"
      "    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
      "    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
      "      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },\n";

static const char spec_devpts_root[]
    = "    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
      "      \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\" ] "
      "},\n";
static const char spec_devpts_rootless[]
    = "    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
      "      \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\" ] },\n";

static const char spec_mid[]
    = "    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },\n"
      "    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n";

static const char spec_sys_root[]
    = "    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },\n"
      "    { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
      "      \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\" ] }\n";
static const char spec_sys_rootless[]
    = "    { \"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\",\n"
      "      \"options\": [ \"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] }\n";

static const char spec_linux_head[] = "  ],\n"
                                      "  \"linux\": {\n";
static const char spec_linux_tail[]
    = "    \"namespaces\": [\n"
      /* runc's default set, no cgroup namespace: scripts that add one to
       * `runc spec`'s output would otherwise meet a duplicate */
      "      { \"type\": \"pid\" }%s, { \"type\": \"ipc\" }, { \"type\": \"uts\" },\n"
      "      { \"type\": \"mount\" }%s\n"
      "    ],\n"
      "    \"maskedPaths\": [\n"
      "      \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", \"/proc/latency_stats\",\n"
      "      \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\",\n"
      "      \"/proc/scsi\", \"/sys/devices/virtual/powercap\"\n"
      "    ],\n"
      "    \"readonlyPaths\": [\n"
      "      \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"\n"
      "    ]\n"
      "  }\n"
      "}\n";

int
cmd_spec (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
                                        { "rootless", no_argument, NULL, 'r' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  const char *bundle = ".";
  bool rootless = false;
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;
  size_t len = 0;
  FILE *f;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "b:h", opts, NULL)) != -1)
    {
      if (c == 'b')
        bundle = optarg;
      else if (c == 'r')
        rootless = true;
      else if (c == 'h')
        {
          cli_usage ("spec", "[--bundle DIR] [--rootless]",
                     "  --bundle, -b DIR   where to write config.json (default: .)\n"
                     "  --rootless         a config for an unprivileged user (user namespace)\n");
          exit (0);
        }
      else
        return cli_unknown_option ("spec", argv, err);
    }
  if (cli_positional ("spec", "[--bundle DIR] [--rootless]", argc, argv, 0, err) < 0)
    return -1;

  f = open_memstream (&text, &len);
  if (f == NULL)
    return ocirun_make_error (err, errno, "open_memstream");
  fputs (spec_head, f);
  fputs (rootless ? spec_devpts_rootless : spec_devpts_root, f);
  fputs (spec_mid, f);
  fputs (rootless ? spec_sys_rootless : spec_sys_root, f);
  fputs (spec_linux_head, f);
  if (rootless)
    fprintf (f,
             "    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": %u, \"size\": 1 } ],\n"
             "    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": %u, \"size\": 1 } ],\n",
             geteuid (), getegid ());
  else
    fputs ("    \"resources\": { \"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ] },\n", f);
  fprintf (f, spec_linux_tail, rootless ? "" : ", { \"type\": \"network\" }",
           rootless ? ", { \"type\": \"user\" }" : "");
  fclose (f);

  xasprintf (&path, "%s/config.json", bundle);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return ocirun_make_error (err, 0, "spec: `%s` already exists", path);
      return ocirun_make_error (err, errno, "spec: create `%s`", path);
    }
  if (write_all (fd, text, len) < 0)
    return ocirun_make_error (err, errno, "spec: write `%s`", path);
  return 0;
}
