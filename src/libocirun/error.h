/* The error contract (docs/design.md, style 1): a function that can fail returns
 * an int < 0 (or NULL) and fills the ocirun_error_t passed last.  One
 * constructor, one way to add context, and main prints it exactly once. */
#ifndef OCIRUN_ERROR_H
#define OCIRUN_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

typedef struct ocirun_error_s
{
  int status; /* errno, or 0 when the cause is not a system call */
  char *msg;  /* lowercase, no trailing period */
} * ocirun_error_t;

/* Fills *err (if not already set) with `fmt ...` and, when errno_ != 0,
 * ": strerror(errno_)".  Always returns -1 so callers can `return ocirun_make_error (...)`. */
int ocirun_make_error (ocirun_error_t *err, int errno_, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* Prefix the message of an existing error: "<context>: <old message>".  Returns -1. */
int ocirun_error_prefix (ocirun_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void ocirun_error_release (ocirun_error_t *err);

/* Logging (debug/warnings).  The library never prints except through these. */
enum ocirun_log_level
{
  OCIRUN_LOG_ERROR = 0,
  OCIRUN_LOG_WARNING = 1,
  OCIRUN_LOG_INFO = 2,
  OCIRUN_LOG_DEBUG = 3,
  OCIRUN_LOG_TRACE = 4, /* trace.h's phase breakdown: logged whenever tracing is on */
};
int ocirun_log_init (const char *log_file, bool json, bool debug);
/* fd the log goes to; -1 means stderr */
int ocirun_log_fd (void);
void ocirun_log (enum ocirun_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* ocirun_log with extra fields for the json format (`"k":v,...`, already
 * escaped; ignored in text); OCIRUN_LOG_TRACE is written whatever the
 * verbosity (the caller checked that tracing is on). */
void ocirun_log_extra (enum ocirun_log_level level, const char *extra_json, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
#define ocirun_debug(...) ocirun_log (OCIRUN_LOG_DEBUG, __VA_ARGS__)
#define ocirun_warning(...) ocirun_log (OCIRUN_LOG_WARNING, __VA_ARGS__)
extern int ocirun_log_verbosity;

#endif
