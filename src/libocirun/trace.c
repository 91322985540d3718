/* Phase timing (trace.h).  Fixed storage, no allocation: the container's
 * side reports right before execve, where a failed malloc would have
 * nowhere to go, and an exec'd process may run under a tiny memory limit. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "trace.h"

bool ocirun_trace_enabled;

/* a create has ~15 phases per side; further marks are summed into the last */
#define MAX_PHASES 48

static struct
{
  const char *name;
  long long ns;
} phases[MAX_PHASES];
static size_t n_phases;
static long long origin, last;
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

void
ocirun_trace_init (bool debug)
{
  const char *env = getenv ("OCIRUN_TRACE");
  ocirun_trace_enabled = debug || (env && *env && strcmp (env, "0") != 0);
  if (ocirun_trace_enabled)
    origin = last = now_ns ();
}

void
ocirun_trace_mark_ (const char *phase)
{
  long long t = now_ns ();
  long long d = t - last;
  size_t i;
  last = t;
  /* a phase marked twice (a loop, exec's retries) adds up */
  for (i = 0; i < n_phases; i++)
    if (strcmp (phases[i].name, phase) == 0)
      {
        phases[i].ns += d;
        goto logged;
      }
  if (n_phases < MAX_PHASES)
    {
      phases[n_phases].name = phase;
      phases[n_phases++].ns = d;
    }
  else
    phases[MAX_PHASES - 1].ns += d;
logged:
  /* --debug: every step as it ends, so a hang shows where it is */
  ocirun_debug ("%s: %s done in %.3f ms", side, phase, (double) d / 1e6);
}

void
ocirun_trace_restart_ (const char *s)
{
  side = s;
  n_phases = 0;
  origin = last = now_ns ();
}

void
ocirun_trace_report_ (void)
{
  size_t i;
  char extra[160];
  for (i = 0; i < n_phases; i++)
    {
      double ms = (double) phases[i].ns / 1e6;
      snprintf (extra, sizeof extra, "\"side\":\"%s\",\"phase\":\"%s\",\"ms\":%.3f", side, phases[i].name, ms);
      ocirun_log_extra (OCIRUN_LOG_TRACE, extra, "%s %-24s %9.3f ms", side, phases[i].name, ms);
    }
  {
    double ms = (double) (last - origin) / 1e6;
    snprintf (extra, sizeof extra, "\"side\":\"%s\",\"phase\":\"total\",\"ms\":%.3f", side, ms);
    ocirun_log_extra (OCIRUN_LOG_TRACE, extra, "%s %-24s %9.3f ms", side, "total", ms);
  }
  n_phases = 0;
  origin = last;
}
