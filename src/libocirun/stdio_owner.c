/* The container user gets its stdio: before the uid change, fds 0-2 that
 * belong to someone else (the caller's pipes, the pty slave made as root)
 * are handed to process.user.uid, as runc does.  Without it a non-root
 * process cannot reopen its own stdio by path: /dev/stdout, /proc/self/fd/1
 * or $(tty) -> EACCES (open(2) of a pipe or pty through /proc checks the
 * inode's owner and mode, 0600 root for a pipe).  Images that log to
 * /dev/stdout as a non-root user (nginx's and many others) depend on it
 * under containerd/CRI-O, whose shims pass root-owned fifos and pipes.
 *
 * Only the owner changes (the group, e.g. a pty's `tty`, stays), and only
 * of what was made for this process: pipes, fifos and sockets (what
 * shims, conmon and callers pass), and the pty slave when ocirun made one
 * (process.terminal).  Other character devices (/dev/null, the caller's
 * own terminal when `ocirun run` is used at a shell) and regular files
 * (the caller's) are left alone: giving root's terminal to uid 1000 of
 * the host would let that user read and type into it.  An fd we may not
 * chown (EPERM/EINVAL: an owner or id not mapped in a user namespace;
 * EROFS) is left as it is rather than failing the start. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job.h"
#include "process.h"

int
ocirun_stdio_chown (uid_t uid, bool own_pty, ocirun_error_t *err)
{
  int fd;
  for (fd = 0; fd <= 2; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0)
        {
          if (errno == EBADF)
            continue;
          return ocirun_make_error (err, errno, "fstat stdio fd %d", fd);
        }
      if (st.st_uid == uid)
        continue;
      if (!(S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode) || (own_pty && S_ISCHR (st.st_mode))))
        continue;
      if (fchown (fd, uid, (gid_t) -1) < 0)
        {
          if (errno == EPERM || errno == EINVAL || errno == EROFS)
            continue;
          return ocirun_make_error (err, errno, "chown stdio fd %d to uid %u", fd, (unsigned) uid);
        }
    }
  return 0;
}
