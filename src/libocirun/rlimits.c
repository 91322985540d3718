/* process.rlimits (config.md#posix-process). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "rlimits.h"
#include "utils.h"

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
rlimit_resource (const char *name)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (rlimit_names); i++)
    if (strcmp (name, rlimit_names[i].name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

int
ocirun_rlimits_validate (const oci_process *p, const char *where, ocirun_error_t *err)
{
  size_t i, j;
  for (i = 0; i < p->rlimits_len; i++)
    {
      /* config.md: "Runtimes MUST generate an error for any values which
       * cannot be mapped to a relevant kernel interface", and the same type
       * twice is an error too. */
      if (rlimit_resource (p->rlimits[i].type) < 0)
        return ocirun_make_error (err, 0, "%s.rlimits[%zu].type: unknown rlimit `%s`", where, i, p->rlimits[i].type);
      if (p->rlimits[i].soft > p->rlimits[i].hard)
        return ocirun_make_error (err, 0, "%s.rlimits[%zu]: soft limit %llu is above the hard limit %llu", where, i,
                                  (unsigned long long) p->rlimits[i].soft, (unsigned long long) p->rlimits[i].hard);
      for (j = 0; j < i; j++)
        if (strcmp (p->rlimits[j].type, p->rlimits[i].type) == 0)
          return ocirun_make_error (err, 0, "%s.rlimits[%zu].type: duplicate `%s`", where, i, p->rlimits[i].type);
    }
  return 0;
}

int
ocirun_rlimits_apply (const oci_process *p, ocirun_error_t *err)
{
  size_t i;
  for (i = 0; i < p->rlimits_len; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (rlimit_resource (p->rlimits[i].type), &rl) < 0)
        return ocirun_make_error (err, errno, "process.rlimits[%zu]: set %s to soft %llu hard %llu", i,
                                  p->rlimits[i].type, (unsigned long long) rl.rlim_cur,
                                  (unsigned long long) rl.rlim_max);
    }
  return 0;
}
