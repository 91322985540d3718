/* `update`: change a container's resources, from the spec's
 * linux.resources JSON (--resources FILE|-) as containerd sends it, and/or
 * runc's flags.  As in runc, a 0 or "" means "leave it as it is": Docker
 * sends the whole resources object with every field it does not change
 * at 0 (the cgroup writers skip them, see cgroup_internal.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocirun.h"
#include "utils.h"

/* bytes, with an optional k/m/g/t suffix (powers of 1024); -1 = unlimited */
static int
parse_bytes (const char *flag, const char *s, int64_t *out, ocirun_error_t *err)
{
  char *end;
  long long v;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s)
    goto bad;
  if (*end)
    {
      long long mul;
      switch (*end | 0x20)
        {
        case 'b':
          mul = 1;
          break;
        case 'k':
          mul = 1LL << 10;
          break;
        case 'm':
          mul = 1LL << 20;
          break;
        case 'g':
          mul = 1LL << 30;
          break;
        case 't':
          mul = 1LL << 40;
          break;
        default:
          goto bad;
        }
      end++;
      if ((*end | 0x20) == 'b')
        end++;
      if (*end)
        goto bad;
      v *= mul;
    }
  if (v < -1)
    goto bad;
  *out = v;
  return 0;
bad:
  return ocirun_make_error (err, 0, "update %s: expected a size in bytes (e.g. 512m) or -1, got `%s`", flag, s);
}

static int
parse_num (const char *flag, const char *s, bool allow_negative, int64_t *out, ocirun_error_t *err)
{
  long long v;
  if (parse_int64 (s, &v) < 0 || (!allow_negative && v < 0))
    return ocirun_make_error (err, 0, "update %s: expected a%s number, got `%s`", flag,
                              allow_negative ? "" : " non-negative", s);
  *out = v;
  return 0;
}

/* long: one getopt table and one case per runc flag (each a resources
 * field), read in one place */
int
cmd_update (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  enum
  {
    O_RES = 256,
    O_MEM,
    O_MEMRES,
    O_SWAP,
    O_KMEM,
    O_KMEMTCP,
    O_SHARES,
    O_QUOTA,
    O_PERIOD,
    O_BURST,
    O_CPUS,
    O_MEMS,
    O_PIDS,
    O_BLKIO,
    O_RTRUN,
    O_RTPER,
    O_IDLE,
  };
  static const struct option opts[] = {
    { "resources", required_argument, NULL, 'r' },
    { "memory", required_argument, NULL, O_MEM },
    { "memory-reservation", required_argument, NULL, O_MEMRES },
    { "memory-swap", required_argument, NULL, O_SWAP },
    { "kernel-memory", required_argument, NULL, O_KMEM },
    { "kernel-memory-tcp", required_argument, NULL, O_KMEMTCP },
    { "cpu-shares", required_argument, NULL, O_SHARES },
    /* runc's spelling */
    { "cpu-share", required_argument, NULL, O_SHARES },
    { "cpu-idle", required_argument, NULL, O_IDLE },
    { "cpu-quota", required_argument, NULL, O_QUOTA },
    { "cpu-period", required_argument, NULL, O_PERIOD },
    { "cpu-burst", required_argument, NULL, O_BURST },
    { "cpuset-cpus", required_argument, NULL, O_CPUS },
    { "cpuset-mems", required_argument, NULL, O_MEMS },
    { "pids-limit", required_argument, NULL, O_PIDS },
    { "blkio-weight", required_argument, NULL, O_BLKIO },
    { "cpu-rt-runtime", required_argument, NULL, O_RTRUN },
    { "cpu-rt-period", required_argument, NULL, O_RTPER },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct ocirun_context ctx;
  oci_resources *r = NULL;
  oci_memory mem = { 0 };
  oci_cpu cpu = { 0 };
  oci_pids pids = { 0 };
  oci_blkio blkio = { 0 };
  bool has_mem = false, has_cpu = false, has_pids = false, has_blkio = false;
  int64_t v = 0;
  int c, ret;

  cli_context_init (g, &ctx);
  opterr = 0;
  while ((c = getopt_long (argc, argv, "r:h", opts, NULL)) != -1)
    {
      switch (c)
        {
        case 'r':
          {
            cleanup_free char *data = NULL;
            char *perr = NULL;
            size_t len;
            int r2 = strcmp (optarg, "-") == 0 ? read_all_fd (0, "stdin", &data, &len, err)
                                               : read_all_file (optarg, &data, &len, err);
            if (r2 < 0)
              return ocirun_error_prefix (err, "update --resources");
            oci_resources_free (r);
            r = oci_resources_parse_data (data, len, "resources", &perr);
            if (r == NULL)
              {
                ocirun_make_error (err, 0, "update --resources: %s", perr ? perr : "invalid");
                free (perr);
                return -1;
              }
          }
          break;
        case O_MEM:
          if (parse_bytes ("--memory", optarg, &mem.limit, err) < 0)
            goto fail;
          mem.has_limit = has_mem = true;
          break;
        case O_MEMRES:
          if (parse_bytes ("--memory-reservation", optarg, &mem.reservation, err) < 0)
            goto fail;
          mem.has_reservation = has_mem = true;
          break;
        case O_SWAP:
          if (parse_bytes ("--memory-swap", optarg, &mem.swap, err) < 0)
            goto fail;
          mem.has_swap = has_mem = true;
          break;
        case O_KMEM:
          if (parse_bytes ("--kernel-memory", optarg, &mem.kernel, err) < 0)
            goto fail;
          mem.has_kernel = has_mem = true;
          break;
        case O_KMEMTCP:
          if (parse_bytes ("--kernel-memory-tcp", optarg, &mem.kernel_tcp, err) < 0)
            goto fail;
          mem.has_kernel_tcp = has_mem = true;
          break;
        case O_SHARES:
          if (parse_num ("--cpu-shares", optarg, false, &v, err) < 0)
            goto fail;
          cpu.shares = (uint64_t) v;
          cpu.has_shares = has_cpu = true;
          break;
        case O_QUOTA:
          if (parse_num ("--cpu-quota", optarg, true, &cpu.quota, err) < 0)
            goto fail;
          cpu.has_quota = has_cpu = true;
          break;
        case O_PERIOD:
          if (parse_num ("--cpu-period", optarg, false, &v, err) < 0)
            goto fail;
          cpu.period = (uint64_t) v;
          cpu.has_period = has_cpu = true;
          break;
        case O_BURST:
          if (parse_num ("--cpu-burst", optarg, false, &v, err) < 0)
            goto fail;
          cpu.burst = (uint64_t) v;
          cpu.has_burst = has_cpu = true;
          break;
        case O_CPUS:
          cpu.cpus = optarg;
          has_cpu = true;
          break;
        case O_MEMS:
          cpu.mems = optarg;
          has_cpu = true;
          break;
        case O_PIDS:
          if (parse_num ("--pids-limit", optarg, true, &pids.limit, err) < 0)
            goto fail;
          has_pids = true;
          break;
        case O_BLKIO:
          if (parse_num ("--blkio-weight", optarg, false, &v, err) < 0)
            goto fail;
          if (v > 65535)
            {
              ocirun_make_error (err, 0, "update --blkio-weight: out of range: %s", optarg);
              goto fail;
            }
          blkio.weight = (uint16_t) v;
          blkio.has_weight = has_blkio = true;
          break;
        case O_RTRUN:
          if (parse_num ("--cpu-rt-runtime", optarg, true, &cpu.realtime_runtime, err) < 0)
            goto fail;
          cpu.has_realtime_runtime = has_cpu = true;
          break;
        case O_IDLE:
          if (parse_num ("--cpu-idle", optarg, false, &cpu.idle, err) < 0)
            goto fail;
          cpu.has_idle = has_cpu = true;
          break;
        case O_RTPER:
          if (parse_num ("--cpu-rt-period", optarg, false, &v, err) < 0)
            goto fail;
          cpu.realtime_period = (uint64_t) v;
          cpu.has_realtime_period = has_cpu = true;
          break;
        case 'h':
          cli_usage ("update", "[options] CONTAINER_ID",
                     "  --resources, -r FILE   linux.resources JSON (- for stdin)\n"
                     "  --memory SIZE, --memory-reservation SIZE, --memory-swap SIZE\n"
                     "  --kernel-memory SIZE, --kernel-memory-tcp SIZE\n"
                     "  --cpu-shares N (--cpu-share N), --cpu-quota N, --cpu-period N, --cpu-burst N\n"
                     "  --cpu-idle 0|1\n"
                     "  --cpuset-cpus LIST, --cpuset-mems LIST\n"
                     "  --cpu-rt-runtime N, --cpu-rt-period N\n"
                     "  --pids-limit N, --blkio-weight N\n"
                     "As in runc, 0 leaves a memory, cpu share/quota/period/rt, pids or blkio\n"
                     "value unchanged (so does an empty cpuset list); -1 means unlimited.\n"
                     "--cpu-idle 0 and --cpu-burst 0 are values.\n");
          exit (0);
        default:
          ocirun_make_error (err, 0, "update: unknown option `%s`", argv[optind - 1]);
          goto fail;
        }
    }
  if (cli_positional ("update", "[options] CONTAINER_ID", argc, argv, 1, err) < 0)
    goto fail;
  ctx.id = argv[optind];
  if (r == NULL)
    {
      r = calloc (1, sizeof *r);
      if (r == NULL)
        abort ();
    }
  /* flags override the JSON; the structs live on our stack, so detach them
   * from r before freeing it */
  {
    oci_memory *m0 = r->memory;
    oci_cpu *c0 = r->cpu;
    oci_pids *p0 = r->pids;
    oci_blkio *b0 = r->block_io;
    if (has_mem)
      r->memory = &mem;
    if (has_cpu)
      r->cpu = &cpu;
    if (has_pids)
      r->pids = &pids;
    if (has_blkio)
      r->block_io = &blkio;
    ret = ocirun_container_update (&ctx, r, err);
    if (has_mem)
      r->memory = m0;
    if (has_cpu)
      r->cpu = c0;
    if (has_pids)
      r->pids = p0;
    if (has_blkio)
      r->block_io = b0;
  }
  oci_resources_free (r);
  return ret;
fail:
  oci_resources_free (r);
  return -1;
}
