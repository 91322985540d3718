#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"
#include "utils.h"

#define SYNC_MAX (1024 * 1024)

/* what a failed send says, by direction */
#define TO_CHILD "sync with the container process"
#define TO_PARENT "sync with the runtime"

#ifdef OCIRUN_FAULT_INJECTION
static const char *const msg_names[] = {
  [SYNC_CHILD_WANT_SETUP] = "child-want-setup",
  [SYNC_PARENT_SETUP_DONE] = "parent-setup-done",
  [SYNC_CHILD_CREATE_RUNTIME] = "child-create-runtime",
  [SYNC_PARENT_HOOKS_DONE] = "parent-hooks-done",
  [SYNC_CHILD_PTY] = "child-pty",
  [SYNC_CHILD_SECCOMP_LISTENER] = "child-seccomp-listener",
  [SYNC_CHILD_READY] = "child-ready",
  [SYNC_CHILD_ERROR] = "child-error",
  [SYNC_CHILD_INIT_PID] = "child-init-pid",
  [SYNC_PARENT_RECORDED] = "parent-recorded",
  [SYNC_CHILD_DETACHED] = "child-detached",
};

static pid_t fault_pid;
static long fault_step = -1;
static bool fault_trace, fault_stop;
static long fault_count;

/* the runtime process is the one that started: its children (the child,
 * init and exec stages) inherit a copy of these and never count */
__attribute__ ((constructor)) static void
fault_init (void)
{
  const char *s = getenv ("OCIRUN_FAULT_STEP"), *a = getenv ("OCIRUN_FAULT_ACTION"), *t = getenv ("OCIRUN_FAULT_TRACE");
  fault_pid = getpid ();
  if (s && *s)
    fault_step = strtol (s, NULL, 10);
  fault_trace = t && strcmp (t, "1") == 0;
  fault_stop = a && strcmp (a, "stop") == 0;
}

void
ocirun_fault_point (const char *name)
{
  if (getpid () != fault_pid)
    return;
  fault_count++;
  if (fault_trace)
    {
      char buf[128];
      int n = snprintf (buf, sizeof buf, "ocirun-fault: %ld %s\n", fault_count, name);
      if (n > 0 && write (2, buf, (size_t) n) < 0)
        fault_trace = false;
    }
  if (fault_count == fault_step)
    raise (fault_stop ? SIGSTOP : SIGKILL);
}

static void
fault_msg (const char *dir, int type)
{
  char name[64];
  snprintf (name, sizeof name, "%s:%s", dir,
            type > 0 && (size_t) type < ARRAY_SIZE (msg_names) && msg_names[type] ? msg_names[type] : "?");
  ocirun_fault_point (name);
}
#else
#  define fault_msg(dir, type) ((void) 0)
#endif

/* One packet: the header, an optional payload, an optional fd (-1 for
 * none).  `what` names the message in the error. */
static int
sync_send (int sock, enum sync_msg type, int errno_, const void *payload, size_t len, int fd, const char *what,
           ocirun_error_t *err)
{
  struct sync_hdr hdr = { .type = type, .err = errno_, .len = (uint32_t) len };
  struct iovec iov[2] = { { &hdr, sizeof hdr }, { (void *) payload, len } };
  fault_msg ("send", type);
  if (fd_sendmsg (sock, iov, len ? 2 : 1, fd) < 0)
    return ocirun_make_error (err, errno, "%s", what);
  return 0;
}

/* Receive one message; *payload is malloc()ed (NUL-terminated) or NULL,
 * *fd receives a passed fd or -1.  EOF is an error. */
static int
sync_recv (int sock, struct sync_hdr *hdr, char **payload, int *fd, ocirun_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct sync_hdr peek;
  size_t size = sizeof *hdr;
  struct iovec iov;
  int got = -1;
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
  r = fd_recvmsg (sock, &iov, 1, &got);
  if (r < 0)
    return ocirun_make_error (err, errno, "read from the container's setup process");
  if (fd)
    *fd = got;
  else if (got >= 0)
    close (got);
  if (r == 0)
    return ocirun_make_error (err, 0, "the container's setup process exited unexpectedly");
  if ((size_t) r < sizeof *hdr)
    return ocirun_make_error (err, EPROTO, "short message from the container's setup process");
  memcpy (hdr, buf, sizeof *hdr);
  fault_msg ("recv", hdr->type);
  if (payload && hdr->len > 0)
    {
      /* the buffer itself (size + 1 bytes): the payload moved to its start */
      size_t n = (size_t) r - sizeof *hdr;
      memmove (buf, buf + sizeof *hdr, n);
      buf[n] = '\0';
      *payload = steal_pointer (&buf);
    }
  return 0;
}

/* The other side's SYNC_CHILD_ERROR as *err: its message (which already
 * carries strerror) and its errno. */
static int
child_error (const struct sync_hdr *hdr, const char *payload, ocirun_error_t *err)
{
  ocirun_make_error (err, 0, "%s", payload ? payload : "container setup failed");
  if (*err)
    (*err)->status = hdr->err;
  return -1;
}

/* Receive and require a given type. */
static int
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
      return child_error (&hdr, p, err);
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
  sync_send (sock, SYNC_CHILD_ERROR, e, msg, strlen (msg), -1, TO_PARENT, NULL);
}

void
sync_die_with_parent (int sock)
{
  struct pollfd p = { .fd = sock, .events = POLLIN };
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* the runtime's end closed at its exit: a hang-up, even with unread
   * messages queued (POLLIN too) */
  if (poll (&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
    _exit (1);
}

int
sync_child_detach (int sock)
{
  ocirun_error_t err = NULL;
  if (sync_expect (sock, SYNC_PARENT_RECORDED, NULL, NULL, &err) < 0)
    {
      ocirun_error_release (&err);
      return -1;
    }
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  return sync_send (sock, SYNC_CHILD_DETACHED, 0, NULL, 0, -1, TO_PARENT, NULL);
}

int
sync_parent_release (int sock, ocirun_error_t *err)
{
  if (sync_send (sock, SYNC_PARENT_RECORDED, 0, NULL, 0, -1, TO_CHILD, err) < 0)
    return -1;
  return sync_expect (sock, SYNC_CHILD_DETACHED, NULL, NULL, err);
}

/* ---- the messages (sync.h) ---- */

int
sync_ask_for_setup (int sock, ocirun_error_t *err)
{
  return sync_send (sock, SYNC_CHILD_WANT_SETUP, 0, NULL, 0, -1, TO_PARENT, err);
}

int
sync_wait_for_setup_request (int sock, ocirun_error_t *err)
{
  return sync_expect (sock, SYNC_CHILD_WANT_SETUP, NULL, NULL, err);
}

int
sync_send_setup_done (int sock, ocirun_error_t *err)
{
  return sync_send (sock, SYNC_PARENT_SETUP_DONE, 0, NULL, 0, -1, TO_CHILD, err);
}

int
sync_wait_for_idmaps (int sock, ocirun_error_t *err)
{
  return sync_expect (sock, SYNC_PARENT_SETUP_DONE, NULL, NULL, err);
}

int
sync_send_init_pid (int sock, pid_t pid, ocirun_error_t *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  return sync_send (sock, SYNC_CHILD_INIT_PID, 0, buf, (size_t) n + 1, -1, TO_PARENT, err);
}

int
sync_wait_for_init_pid (int sock, pid_t *pid, ocirun_error_t *err)
{
  cleanup_free char *payload = NULL;
  long long v;
  if (sync_expect (sock, SYNC_CHILD_INIT_PID, &payload, NULL, err) < 0)
    return -1;
  if (payload == NULL || parse_int64 (payload, &v) < 0 || v <= 0)
    return ocirun_make_error (err, 0, "sync: bad init pid from the container process");
  *pid = (pid_t) v;
  return 0;
}

int
sync_ask_for_runtime_hooks (int sock, ocirun_error_t *err)
{
  return sync_send (sock, SYNC_CHILD_CREATE_RUNTIME, 0, NULL, 0, -1, TO_PARENT, err);
}

int
sync_wait_for_hooks_request (int sock, ocirun_error_t *err)
{
  return sync_expect (sock, SYNC_CHILD_CREATE_RUNTIME, NULL, NULL, err);
}

int
sync_send_hooks_done (int sock, const char *state_json, ocirun_error_t *err)
{
  return sync_send (sock, SYNC_PARENT_HOOKS_DONE, 0, state_json, strlen (state_json) + 1, -1, TO_CHILD, err);
}

int
sync_wait_for_hooks_done (int sock, char **state_json, ocirun_error_t *err)
{
  return sync_expect (sock, SYNC_PARENT_HOOKS_DONE, state_json, NULL, err);
}

int
sync_send_pty (int sock, int master, ocirun_error_t *err)
{
  return sync_send (sock, SYNC_CHILD_PTY, 0, NULL, 0, master, "send the pty to the runtime", err);
}

int
sync_send_seccomp_listener (int sock, int listener, ocirun_error_t *err)
{
  return sync_send (sock, SYNC_CHILD_SECCOMP_LISTENER, 0, NULL, 0, listener, "send the seccomp listener to the runtime",
                    err);
}

int
sync_send_ready (int sock, ocirun_error_t *err)
{
  return sync_send (sock, SYNC_CHILD_READY, 0, NULL, 0, -1, TO_PARENT, err);
}

int
sync_wait_for_ready (int sock, sync_fd_handler on_fd, void *data, ocirun_error_t *err)
{
  for (;;)
    {
      cleanup_free char *payload = NULL;
      struct sync_hdr hdr;
      int fd = -1;
      if (sync_recv (sock, &hdr, &payload, &fd, err) < 0)
        return -1;
      switch (hdr.type)
        {
        case SYNC_CHILD_READY:
        case SYNC_CHILD_ERROR:
          if (fd >= 0)
            close (fd);
          if (hdr.type == SYNC_CHILD_ERROR)
            return child_error (&hdr, payload, err);
          return 0;
        case SYNC_CHILD_PTY:
        case SYNC_CHILD_SECCOMP_LISTENER:
          if (on_fd (data, (enum sync_msg) hdr.type, fd, err) < 0)
            return -1;
          break;
        default:
          if (fd >= 0)
            close (fd);
          break;
        }
    }
}
