/* Phase timing of one create/run/exec (OCIRUN_TRACE=1 or --debug): where
 * the time of a container start goes, per phase, on the runtime's side and
 * on the container's side.
 *
 * A phase ends at a mark: ocirun_trace ("mounts") charges the time since
 * the previous mark of this process to "mounts".  When tracing is off a mark
 * is one test of a global flag: no clock read, no call. */
#ifndef OCIRUN_TRACE_H
#define OCIRUN_TRACE_H

#include <stdbool.h>

extern bool ocirun_trace_enabled;

/* From main: tracing is on with --debug or OCIRUN_TRACE set to anything but
 * "" or "0"; the first mark's time origin is now. */
void ocirun_trace_init (bool debug);
void ocirun_trace_mark_ (const char *phase);
/* The container's side, first thing after clone: forget the runtime's
 * marks (a copy of its memory) and start timing this process. */
void ocirun_trace_restart_ (const char *side);
/* Log the breakdown of this process (one line per phase and a total) at
 * the "trace" level, whatever the verbosity; then forget it. */
void ocirun_trace_report_ (void);

#define ocirun_trace(phase)                                                                                            \
  do                                                                                                                   \
    {                                                                                                                  \
      if (__builtin_expect (ocirun_trace_enabled, 0))                                                                  \
        ocirun_trace_mark_ (phase);                                                                                    \
    }                                                                                                                  \
  while (0)
#define ocirun_trace_restart(side)                                                                                     \
  do                                                                                                                   \
    {                                                                                                                  \
      if (__builtin_expect (ocirun_trace_enabled, 0))                                                                  \
        ocirun_trace_restart_ (side);                                                                                  \
    }                                                                                                                  \
  while (0)
#define ocirun_trace_report()                                                                                          \
  do                                                                                                                   \
    {                                                                                                                  \
      if (__builtin_expect (ocirun_trace_enabled, 0))                                                                  \
        ocirun_trace_report_ ();                                                                                       \
    }                                                                                                                  \
  while (0)

#endif
