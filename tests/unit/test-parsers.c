/* Unit tests for the small parsers of src/libocirun (signal names, ids,
 * --user, cpu lists, ...) and the error contract, with the inputs the
 * fuzzers of tests/fuzz/ found (see tests/fuzz/README.md). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "container.h"
#include "status.h"
#include "error.h"
#include "job.h"
#include "utils.h"

/* fuzz-strings: a control character in a user-supplied name made the
 * error two lines (and could forge a log line) */
static void
test_error_one_line (void)
{
  ocirun_error_t err = NULL;
  ocirun_make_error (&err, 0, "exec --user: expected UID[:GID] as numbers, got `%s`", "1\nocirun: fake\t\x7f");
  CHECK (err
             && strcmp (err->msg, "exec --user: expected UID[:GID] as numbers, got `1\\x0aocirun: fake\\x09\\x7f`")
                    == 0,
         "got %s", err ? err->msg : "(null)");
  ocirun_error_prefix (&err, "a\nb");
  CHECK (err && strncmp (err->msg, "a\\x0ab: exec --user", 19) == 0, "got %s", err ? err->msg : "(null)");
  ocirun_error_release (&err);
  ocirun_make_error (&err, 0, "plain `%s`", "ü");
  CHECK (err && strcmp (err->msg, "plain `ü`") == 0, "UTF-8 is left alone: %s", err ? err->msg : "(null)");
  ocirun_error_release (&err);
}

/* signal_parse: SIGRTMIN + a huge offset was a signed overflow (UBSan) */
static void
test_signal_parse (void)
{
  CHECK (signal_parse ("KILL") == SIGKILL, "KILL");
  CHECK (signal_parse ("sigterm") == SIGTERM, "sigterm");
  CHECK (signal_parse ("9") == 9, "9");
  CHECK (signal_parse ("0") == -1 && signal_parse ("") == -1 && signal_parse ("65") == -1, "out of range numbers");
  CHECK (signal_parse ("RTMIN") == SIGRTMIN && signal_parse ("SIGRTMIN+3") == SIGRTMIN + 3, "RTMIN+3");
  CHECK (signal_parse ("RTMAX-1") == SIGRTMAX - 1, "RTMAX-1");
  CHECK (signal_parse ("RTMIN-1") == -1 && signal_parse ("RTMAX+1") == -1, "outside the real-time range");
  CHECK (signal_parse ("RTMIN9223372036854775807") == -1, "huge offset");
  CHECK (signal_parse ("RTMAX-9223372036854775808") == -1, "huge negative offset");
  CHECK (signal_parse ("RTMINx") == -1 && signal_parse ("NOPE") == -1, "garbage");
}

/* fuzz-state: a key given twice in the state dir's `runtime` record leaked
 * the first value (LeakSanitizer); the last one wins */
static void
test_runtime_record_duplicates (void)
{
  char root[] = "/tmp/ocirun-test-parsers-XXXXXX";
  char path[128];
  struct ocirun_status st;
  ocirun_error_t err = NULL;
  const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b\"}";
  const char *rec = "created=1\ncreated=2\ncgroup=a\ncgroup=b\nrootfs=/x\nrootfs=/y\nstart_time=5\nnoequals\n";
  FILE *f;

  if (mkdtemp (root) == NULL)
    {
      CHECK (0, "mkdtemp");
      return;
    }
  snprintf (path, sizeof path, "%s/c1", root);
  mkdir (path, 0700);
  snprintf (path, sizeof path, "%s/c1/state.json", root);
  f = fopen (path, "w");
  fputs (state, f);
  fclose (f);
  snprintf (path, sizeof path, "%s/c1/runtime", root);
  f = fopen (path, "w");
  fputs (rec, f);
  fclose (f);
  CHECK (ocirun_status_load_readonly (root, "c1", &st, &err) == 0, "load: %s", err ? err->msg : "");
  CHECK (st.created && strcmp (st.created, "2") == 0, "created: %s", st.created ? st.created : "(null)");
  CHECK (st.cgroup && strcmp (st.cgroup, "b") == 0, "cgroup: %s", st.cgroup ? st.cgroup : "(null)");
  CHECK (st.rootfs && strcmp (st.rootfs, "/y") == 0, "rootfs: %s", st.rootfs ? st.rootfs : "(null)");
  CHECK (st.start_time == 5, "start_time %llu", st.start_time);
  ocirun_status_release (&st);
  ocirun_error_release (&err);
  CHECK (rm_rf (root, &err) == 0, "rm_rf");
  ocirun_error_release (&err);
}

/* filepath.Clean's cases for absolute paths (runc cleans device paths) */
static void
test_path_clean (void)
{
  static const char *const cases[][2] = {
    { "/dev/fuse/", "/dev/fuse" },
    { "//dev//./fuse", "/dev/fuse" },
    { "/dev/../../etc/x", "/etc/x" },
    { "/", "/" },
    { "/a/b/..", "/a" },
    { "/..", "/" },
    { "/a/./", "/a" },
    { "/a/..b/c", "/a/..b/c" },
    { "/a/b/../../c/", "/c" },
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *c = path_clean (cases[i][0]);
      CHECK (strcmp (c, cases[i][1]) == 0, "path_clean(%s) = %s, want %s", cases[i][0], c, cases[i][1]);
      free (c);
    }
}

int
main (void)
{
  test_path_clean ();
  test_runtime_record_duplicates ();
  test_signal_parse ();
  test_error_one_line ();
  return check_report ();
}
