/* Phase timing (trace.h).  Fixed storage, no allocation: the container's
 * side reports right before execve, where a failed malloc would have
 * nowhere to go, and an exec'd process may run under a tiny memory limit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "trace.h"

bool ocirun_trace_enabled;

/* a create has ~15 phases per side; further marks are summed into the last */
#define MAX_PHASES 48

static struct
{
  const char *name;
  long long ns;
  long long cpu_ns; /* this process' CPU time (user + system) in the phase */
} phases[MAX_PHASES];
static size_t n_phases;
static long long origin, last, cpu_last, cpu_sum;
/* the process whose CPU clock cpu_last is: exec forks once more after
 * joining a pid namespace, and that child's clock starts at 0 */
static pid_t cpu_pid;
static const char *side = "runtime";

static long long
now_ns (void)
{
  struct timespec ts;
  /* CLOCK_MONOTONIC: a time namespace shifts it by a constant, which a
   * difference within one process does not see */
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long
cpu_ns (void)
{
  struct timespec ts;
  /* the process' CPU time: what a phase costs, apart from what it waits */
  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
    return 0;
  return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
ocirun_trace_init (bool debug)
{
  const char *env = getenv ("OCIRUN_TRACE");
  ocirun_trace_enabled = debug || (env && *env && strcmp (env, "0") != 0);
  if (ocirun_trace_enabled)
    {
      origin = last = now_ns ();
      cpu_last = cpu_ns ();
      cpu_pid = getpid ();
    }
}

void
ocirun_trace_mark_ (const char *phase)
{
  long long t = now_ns (), c = cpu_ns ();
  long long d = t - last, dc;
  pid_t self = getpid ();
  size_t i;
  /* in a fork made since the last mark: its own CPU time since the fork */
  dc = self == cpu_pid ? c - cpu_last : c;
  cpu_pid = self;
  last = t;
  cpu_last = c;
  cpu_sum += dc;
  /* a phase marked twice (a loop, exec's retries) adds up */
  for (i = 0; i < n_phases; i++)
    if (strcmp (phases[i].name, phase) == 0)
      {
        phases[i].ns += d;
        phases[i].cpu_ns += dc;
        goto logged;
      }
  if (n_phases < MAX_PHASES)
    {
      phases[n_phases].name = phase;
      phases[n_phases].cpu_ns = dc;
      phases[n_phases++].ns = d;
    }
  else
    {
      phases[MAX_PHASES - 1].ns += d;
      phases[MAX_PHASES - 1].cpu_ns += dc;
    }
logged:
  /* --debug: every step as it ends, so a hang shows where it is */
  ocirun_debug ("%s: %s done in %.3f ms (cpu %.3f ms)", side, phase, (double) d / 1e6, (double) dc / 1e6);
}

void
ocirun_trace_restart_ (const char *s)
{
  side = s;
  n_phases = 0;
  origin = last = now_ns ();
  cpu_last = cpu_ns ();
  cpu_pid = getpid ();
  cpu_sum = 0;
}

void
ocirun_trace_report_ (void)
{
  size_t i;
  char extra[192];
  for (i = 0; i <= n_phases; i++)
    {
      const char *name = i < n_phases ? phases[i].name : "total";
      double ms = (double) (i < n_phases ? phases[i].ns : last - origin) / 1e6;
      double cpu = (double) (i < n_phases ? phases[i].cpu_ns : cpu_sum) / 1e6;
      snprintf (extra, sizeof extra, "\"side\":\"%s\",\"phase\":\"%s\",\"ms\":%.3f,\"cpu_ms\":%.3f", side, name, ms,
                cpu);
      ocirun_log_extra (OCIRUN_LOG_TRACE, extra, "%s %-24s %9.3f ms  cpu %8.3f ms", side, name, ms, cpu);
    }
  n_phases = 0;
  origin = last;
  cpu_sum = 0;
}
