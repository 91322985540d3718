#ifndef OCIRUN_UTILS_H
#define OCIRUN_UTILS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

/* Ownership helpers (docs/design.md, style 3). */
static inline void
cleanup_freep (void *p)
{
  free (*(void **) p);
}
static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
static inline void
cleanup_dirp (DIR **d)
{
  if (*d)
    closedir (*d);
}
static inline void
cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
}
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))

static inline void *
steal_ptr_ (void *pp)
{
  void **p = pp;
  void *r = *p;
  *p = NULL;
  return r;
}
#define steal_pointer(pp) steal_ptr_ (pp)
static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

void *xmalloc0 (size_t n);
/* realloc that aborts on ENOMEM, as xmalloc0 (n == 0 keeps one byte). */
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
int xasprintf (char **out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Read a whole file (NUL-terminated); *len may be NULL. */
int read_all_file (const char *path, char **out, size_t *len, ocirun_error_t *err);
int read_all_fd (int fd, const char *description, char **out, size_t *len, ocirun_error_t *err);
/* Write `len` bytes to path (O_CREAT|O_TRUNC, mode 0600 unless it exists). */
int write_file (const char *path, const void *data, size_t len, ocirun_error_t *err);
/* Write data to path at dirfd (no O_CREAT): used for /proc and /sys knobs. */
int write_file_at (int dirfd, const char *path, const void *data, size_t len, ocirun_error_t *err);
/* Atomically replace dirfd/name with data (write temp + fsync-less rename). */
int write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, ocirun_error_t *err);
int write_all (int fd, const void *data, size_t len);
/* mkdir -p (mode), on the host. */
int mkdir_p (const char *path, mode_t mode, ocirun_error_t *err);
/* Recursively remove a directory tree (host side; does not cross mounts). */
int rm_rf (const char *path, ocirun_error_t *err);

/* Passing one file descriptor over a unix socket (SCM_RIGHTS): the one place
 * that builds the control message.  fd_sendmsg sends iov (and `fd` when
 * >= 0), retrying EINTR; it only calls sendmsg, so a forked child may use it
 * before execve.  fd_recvmsg receives into iov with MSG_CMSG_CLOEXEC; *fd is
 * the first descriptor that came (-1 when none), any other is closed.  Both
 * return what the syscall returned (-1 with errno set). */
struct iovec;
ssize_t fd_sendmsg (int sock, const struct iovec *iov, size_t iovlen, int fd);
ssize_t fd_recvmsg (int sock, struct iovec *iov, size_t iovlen, int *fd);

/* Signals: "KILL", "SIGKILL", "9" -> 9; -1 when unknown. */
int signal_parse (const char *s);

/* Process start time (field 22 of /proc/PID/stat), 0 when the pid is gone. */
unsigned long long process_start_time (pid_t pid);

/* Mark every fd >= first close-on-exec (close_range, else /proc/self/fd). */
int mark_fds_cloexec_from (int first, ocirun_error_t *err);

void ocirun_reset_signals (void);

/* Safe-ish strtoll with full-string check.  Returns 0 on success. */
int parse_int64 (const char *s, long long *out);

/* The lexical cleaning of an absolute path, as Go's filepath.Clean (which
 * runc applies to device paths and mount destinations): "//" and "/." go,
 * ".." removes the previous element (never above "/"), no trailing '/'.
 * malloc()ed. */
char *path_clean (const char *path);

/* A symbol of an optional library (loaded only when a config asks for it,
 * docs/design.md): where its address goes, and its name. */
struct ocirun_dlsym
{
  void **slot;
  const char *name;
};
/* dlopen(soname) and resolve every symbol; on failure nothing stays loaded
 * and the one-line error names `what` (the field or flag that needs it). */
void *ocirun_dlopen_all (const char *soname, const struct ocirun_dlsym *syms, size_t n, const char *what,
                         ocirun_error_t *err);

#endif
