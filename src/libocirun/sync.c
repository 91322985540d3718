#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sync.h"
#include "utils.h"

#define SYNC_MAX (1024 * 1024)

int
sync_send (int sock, enum sync_msg type, int errno_, const void *payload, size_t len, int fd)
{
  struct sync_hdr hdr = { .type = type, .err = errno_, .len = (uint32_t) len };
  struct iovec iov[2] = { { &hdr, sizeof hdr }, { (void *) payload, len } };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
  if (fd >= 0)
    {
      struct cmsghdr *c;
      memset (&u, 0, sizeof u);
      msg.msg_control = u.buf;
      msg.msg_controllen = sizeof u.buf;
      c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof fd);
    }
  for (;;)
    {
      ssize_t r = sendmsg (sock, &msg, MSG_NOSIGNAL);
      if (r >= 0)
        return 0;
      if (errno != EINTR)
        return -1;
    }
}

int
sync_recv (int sock, struct sync_hdr *hdr, char **payload, int *fd, ocirun_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct sync_hdr peek;
  size_t size = sizeof *hdr;
  struct iovec iov;
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c;
  ssize_t r;

  if (payload)
    *payload = NULL;
  if (fd)
    *fd = -1;
  /* size the buffer from the header (a packet is read whole or not at all) */
  do
    r = recv (sock, &peek, sizeof peek, MSG_PEEK);
  while (r < 0 && errno == EINTR);
  if (r == (ssize_t) sizeof peek && peek.len <= SYNC_MAX)
    size += peek.len;
  buf = xmalloc0 (size + 1);
  iov.iov_base = buf;
  iov.iov_len = size;
  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return ocirun_make_error (err, errno, "read from the container's setup process");
  if (r == 0)
    return ocirun_make_error (err, 0, "the container's setup process exited unexpectedly");
  if ((size_t) r < sizeof *hdr)
    return ocirun_make_error (err, EPROTO, "short message from the container's setup process");
  memcpy (hdr, buf, sizeof *hdr);
  for (c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int got;
        memcpy (&got, CMSG_DATA (c), sizeof got);
        if (fd && *fd < 0)
          *fd = got;
        else
          close (got);
      }
  if (payload && hdr->len > 0)
    {
      size_t n = (size_t) r - sizeof *hdr;
      char *p = xmalloc0 (n + 1);
      memcpy (p, buf + sizeof *hdr, n);
      *payload = p;
    }
  return 0;
}

int
sync_expect (int sock, enum sync_msg type, char **payload, int *fd, ocirun_error_t *err)
{
  struct sync_hdr hdr;
  cleanup_free char *p = NULL;
  int ret = sync_recv (sock, &hdr, &p, fd, err);
  if (ret < 0)
    return ret;
  if (hdr.type == SYNC_CHILD_ERROR)
    {
      if (fd && *fd >= 0)
        {
          close (*fd);
          *fd = -1;
        }
      return ocirun_make_error (err, 0, "%s", p ? p : "container setup failed");
    }
  if (hdr.type != (int32_t) type)
    return ocirun_make_error (err, EPROTO, "unexpected message %d from the container's setup process (wanted %d)",
                              hdr.type, type);
  if (payload)
    *payload = steal_pointer (&p);
  return 0;
}

void
sync_send_error (int sock, ocirun_error_t *err)
{
  const char *msg = (err && *err) ? (*err)->msg : "unknown error";
  int e = (err && *err) ? (*err)->status : 0;
  sync_send (sock, SYNC_CHILD_ERROR, e, msg, strlen (msg), -1);
}
