#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

int ocirun_log_verbosity = OCIRUN_LOG_WARNING;
static int log_fd = -1;
static bool log_json;

/* Errors are one line (main prints them once, the json log carries them as
 * one field): a control character that came with a user-supplied name (an
 * `exec --user` argument, a config string) is shown as \xNN, so it can
 * neither break the line nor forge another log line.  Takes ownership. */
static char *
one_line (char *msg)
{
  size_t n = 0;
  const unsigned char *p;
  char *r, *o;
  if (msg == NULL)
    return NULL;
  for (p = (const unsigned char *) msg; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      n++;
  if (n == 0)
    return msg;
  r = malloc (strlen (msg) + 3 * n + 1);
  if (r == NULL)
    return msg;
  for (p = (const unsigned char *) msg, o = r; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      o += sprintf (o, "\\x%02x", *p);
    else
      *o++ = (char) *p;
  *o = '\0';
  free (msg);
  return r;
}

/* The errno text as runc (Go's syscall.Errno) writes it: "no such file or
 * directory", "permission denied".  Callers classify runtime errors by
 * these words: Docker turns an exec failure with "no such file or directory"
 * into exit 127 and "permission denied" into 126, podman into its
 * not-found/permission errors.  glibc capitalises the first letter; a
 * leading acronym ("RFS specific error") stays as it is. */
static void
errno_text (int errno_, char *buf, size_t len)
{
  const char *s = strerror (errno_);
  snprintf (buf, len, "%s", s ? s : "unknown error");
  if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
    buf[0] = (char) (buf[0] - 'A' + 'a');
}

static int
verror (ocirun_error_t *err, int errno_, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (err == NULL || *err != NULL)
    return -1;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  if (msg && errno_)
    {
      char *full = NULL, text[128];
      errno_text (errno_, text, sizeof text);
      if (asprintf (&full, "%s: %s", msg, text) >= 0)
        {
          free (msg);
          msg = full;
        }
    }
  *err = calloc (1, sizeof (**err));
  if (*err == NULL)
    {
      free (msg);
      return -1;
    }
  (*err)->status = errno_;
  (*err)->msg = msg ? one_line (msg) : strdup ("out of memory");
  return -1;
}

int
ocirun_make_error (ocirun_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  verror (err, errno_, fmt, ap);
  va_end (ap);
  return -1;
}

int
ocirun_error_prefix (ocirun_error_t *err, const char *fmt, ...)
{
  char *prefix = NULL, *full = NULL;
  va_list ap;
  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix && asprintf (&full, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = one_line (full);
    }
  free (prefix);
  return -1;
}

void
ocirun_error_release (ocirun_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

/* A --log that cannot be opened is an error, as in runc (`open FILE: ...`,
 * exit 1): containerd reads the runtime's errors from that file, and a
 * silent fallback to stderr would lose them */
int
ocirun_log_init (const char *log_file, bool json, bool debug)
{
  log_json = json;
  /* Without --debug a log file gets warnings and errors only, as runc's
   * does in practice: podman reads the log of a failed create as ONE json
   * object (its `oci-log`, appended to by every create of the container),
   * and containerd takes the last error line; an info line there (say the
   * outcome of an earlier successful command) would turn podman's error
   * into "no logs from conmon" and lose the 126/127 it derives from it. */
  if (debug)
    ocirun_log_verbosity = OCIRUN_LOG_DEBUG;
  if (log_file && *log_file)
    {
      int fd = open (log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd < 0)
        return -1;
      log_fd = fd;
    }
  return 0;
}

int
ocirun_log_fd (void)
{
  return log_fd;
}

static void
json_escape (FILE *f, const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c == '\n')
        fputs ("\\n", f);
      else if (c == '\t')
        fputs ("\\t", f);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
}

static void
vlog (enum ocirun_log_level level, const char *extra, const char *fmt, va_list ap)
{
  static const char *names[] = { "error", "warning", "info", "debug", "trace" };
  char *msg = NULL, *line = NULL;
  size_t line_len = 0;
  FILE *f;

  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  if (msg == NULL)
    return;

  f = open_memstream (&line, &line_len);
  if (f == NULL)
    {
      free (msg);
      return;
    }
  if (log_json)
    {
      struct timespec ts;
      struct tm tm;
      char tbuf[64];
      clock_gettime (CLOCK_REALTIME, &ts);
      gmtime_r (&ts.tv_sec, &tm);
      strftime (tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
      fprintf (f, "{\"level\":\"%s\",\"msg\":\"", names[level]);
      json_escape (f, msg);
      fprintf (f, "\",%s%s\"time\":\"%s.%09ldZ\"}\n", extra ? extra : "", extra ? "," : "", tbuf, ts.tv_nsec);
    }
  else if (log_fd >= 0)
    fprintf (f, "%s: %s\n", names[level], msg);
  else
    fprintf (f, "ocirun: %s%s%s\n", level == OCIRUN_LOG_ERROR ? "" : names[level],
             level == OCIRUN_LOG_ERROR ? "" : ": ", msg);
  fclose (f);
  /* one write per line: the container's side logs to the same fd */
  if (write (log_fd >= 0 ? log_fd : 2, line, line_len) < 0)
    {
      /* nowhere left to report it */
    }
  free (line);
  free (msg);
}

void
ocirun_log (enum ocirun_log_level level, const char *fmt, ...)
{
  va_list ap;
  if ((int) level > ocirun_log_verbosity)
    return;
  va_start (ap, fmt);
  vlog (level, NULL, fmt, ap);
  va_end (ap);
}

void
ocirun_log_extra (enum ocirun_log_level level, const char *extra_json, const char *fmt, ...)
{
  va_list ap;
  if (level != OCIRUN_LOG_TRACE && (int) level > ocirun_log_verbosity)
    return;
  va_start (ap, fmt);
  vlog (level, extra_json, fmt, ap);
  va_end (ap);
}
