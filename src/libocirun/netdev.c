/* linux.netDevices (config-linux.md "Network Devices", features-linux.md
 * "NetDevices"): move existing interfaces of the runtime's network namespace
 * ("the host") into the container's.
 *
 * How: raw rtnetlink (NETLINK_ROUTE), two sockets.  A netlink socket belongs
 * for its whole life to the network namespace it was created in.  The
 * runtime opens one in its own namespace, and gets one in the container's
 * from a short helper process that setns()es there, creates the socket and
 * hands it back over SCM_RIGHTS.  So the runtime itself never leaves its own
 * namespace, and every step runs -- and fails -- here, in one process, with
 * the error contract of the rest of the library.
 *
 * Per device, on the host socket: look the interface up and dump its
 * addresses (moving a device to another namespace flushes them), then one
 * RTM_NEWLINK with IFLA_NET_NS_FD (+ IFLA_IFNAME to rename) moves it; the
 * kernel expands a "%d" template in the target namespace (do_setlink ->
 * __dev_change_net_namespace, dev_change_name).  On the container socket:
 * re-add the permanent global addresses and set the device up.
 *
 * Lifetime (config-linux.md "Namespace Lifecycle and Container
 * Termination"): the runtime MUST NOT move the devices out before delete, and
 * does not.  When the container's network namespace is freed (its last
 * process exits and nothing else holds it), the kernel moves physical devices
 * back to the *initial* network namespace, under their container names (dev%d
 * on a clash), and destroys virtual ones (veth, macvlan, dummy ...) -- see
 * network_namespaces(7).  A joined namespace (linux.namespaces[].path)
 * outlives the container: the devices stay in it.  The one case where we move
 * devices back is a create that fails after the move (runtime.md "Errors":
 * the environment is left as if the operation had never been attempted):
 * ocirun_netdev_restore.  The sockets and namespace fds held in
 * ocirun_netdev_moved keep the container's namespace alive for that, even
 * after its processes were killed. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "job.h"
#include "netdev.h"
#include "utils.h"

#define STAGE_NETNS "ocirun:[netns]"

/* ------------------------------------------------------------ rtnetlink */

/* a dump packet is at most 32k (netlink_dump's allocation); twice that */
#define NL_RECV_SIZE 65536

struct nl
{
  int fd;
  uint32_t seq;
  char *buf; /* NL_RECV_SIZE */
};

/* One request.  Every attribute we put is short (interface names, addresses,
 * labels: < 64 bytes each, a handful per message). */
struct nlreq
{
  char buf[1024] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  bool overflow;
};

static void *
nl_start (struct nlreq *r, uint16_t type, uint16_t flags, size_t fixed)
{
  struct nlmsghdr *h = (struct nlmsghdr *) r->buf;
  memset (r, 0, sizeof *r);
  h->nlmsg_len = NLMSG_LENGTH (fixed);
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | flags;
  return NLMSG_DATA (h);
}

static void
nl_put (struct nlreq *r, uint16_t type, const void *data, size_t len)
{
  struct nlmsghdr *h = (struct nlmsghdr *) r->buf;
  struct rtattr *a;
  if (NLMSG_ALIGN (h->nlmsg_len) + RTA_SPACE (len) > sizeof r->buf)
    {
      r->overflow = true;
      return;
    }
  a = (struct rtattr *) (r->buf + NLMSG_ALIGN (h->nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH (len);
  memcpy (RTA_DATA (a), data, len);
  h->nlmsg_len = NLMSG_ALIGN (h->nlmsg_len) + RTA_SPACE (len);
}

static void
nl_put_u32 (struct nlreq *r, uint16_t type, uint32_t v)
{
  nl_put (r, type, &v, sizeof v);
}

static void
nl_put_str (struct nlreq *r, uint16_t type, const char *s)
{
  nl_put (r, type, s, strlen (s) + 1);
}

/* The kernel's extended-ack text (NETLINK_EXT_ACK, 4.12+) of an error
 * message, e.g. "The interface netns is immutable". */
static void
extack_text (const struct nlmsghdr *m, char *ext, size_t extlen)
{
  const struct nlmsgerr *e = NLMSG_DATA (m);
  const char *end = (const char *) m + m->nlmsg_len;
  const struct rtattr *a;
  size_t off = sizeof *e;
  int len;

  if (!(m->nlmsg_flags & NLM_F_ACK_TLVS))
    return;
  if (!(m->nlmsg_flags & NLM_F_CAPPED))
    {
      if (e->msg.nlmsg_len < sizeof (struct nlmsghdr))
        return;
      off += e->msg.nlmsg_len - sizeof (struct nlmsghdr);
    }
  a = (const struct rtattr *) ((const char *) e + NLMSG_ALIGN (off));
  if ((const char *) a >= end)
    return;
  len = (int) (end - (const char *) a);
  for (; RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (a->rta_type == NLMSGERR_ATTR_MSG)
      {
        snprintf (ext, extlen, "%.*s", (int) strnlen (RTA_DATA (a), RTA_PAYLOAD (a)), (const char *) RTA_DATA (a));
        return;
      }
}

typedef int (*nl_cb) (const struct nlmsghdr *m, void *data);

/* Send r; read the answers up to the ack or error (NLMSG_DONE for a dump),
 * handing every other message of ours to cb.  Returns 0 or -errno, with the
 * kernel's explanation, if any, in ext. */

/* NLMSG_OK without its int/__u32 comparison (clang's -Wsign-compare). */
static bool
nl_msg_ok (const struct nlmsghdr *m, int len)
{
  return len >= (int) sizeof *m && m->nlmsg_len >= sizeof *m && m->nlmsg_len <= (unsigned int) len;
}

static int
nl_call (struct nl *nl, struct nlreq *r, nl_cb cb, void *data, char *ext, size_t extlen)
{
  struct nlmsghdr *h = (struct nlmsghdr *) r->buf;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

  *ext = '\0';
  if (r->overflow)
    return -E2BIG;
  h->nlmsg_seq = ++nl->seq;
  if (sendto (nl->fd, h, h->nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return -errno;
  for (;;)
    {
      const struct nlmsghdr *m;
      ssize_t n = recv (nl->fd, nl->buf, NL_RECV_SIZE, 0);
      int len;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -errno;
      if (n == 0)
        return -ECONNRESET;
      len = (int) n;
      for (m = (const struct nlmsghdr *) nl->buf; nl_msg_ok (m, len); m = NLMSG_NEXT (m, len))
        {
          /* left over from a dump a callback gave up on */
          if (m->nlmsg_seq != nl->seq)
            continue;
          if (m->nlmsg_type == NLMSG_DONE)
            return 0;
          if (m->nlmsg_type == NLMSG_ERROR)
            {
              const struct nlmsgerr *e = NLMSG_DATA (m);
              if (m->nlmsg_len < NLMSG_LENGTH (sizeof *e))
                return -EBADMSG;
              if (e->error)
                extack_text (m, ext, extlen);
              return e->error; /* 0: the ack */
            }
          if (cb)
            {
              int ret = cb (m, data);
              if (ret < 0)
                return ret;
            }
        }
    }
}

/* "<what>: <strerror> (<kernel's explanation>)" */
static int nl_error (ocirun_error_t *err, int neg_errno, const char *ext, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
static int
nl_error (ocirun_error_t *err, int neg_errno, const char *ext, const char *fmt, ...)
{
  cleanup_free char *what = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&what, fmt, ap) < 0)
    what = NULL;
  va_end (ap);
  ocirun_make_error (err, 0, "%s: %s%s%s%s", what ? what : "netlink", strerror (-neg_errno), *ext ? " (" : "", ext,
                     *ext ? ")" : "");
  if (*err)
    (*err)->status = -neg_errno;
  return -1;
}

static int
nl_init (struct nl *nl, int fd, ocirun_error_t *err)
{
  int one = 1;
  nl->fd = fd;
  nl->seq = 0;
  nl->buf = xmalloc0 (NL_RECV_SIZE);
  /* best effort: kernels before 4.12 have no extended acks */
  (void) setsockopt (fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void) setsockopt (fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return 0;
}

static void
nl_release (struct nl *nl)
{
  if (nl->fd >= 0)
    close (nl->fd);
  nl->fd = -1;
  free (nl->buf);
  nl->buf = NULL;
}

/* A NETLINK_ROUTE socket in the network namespace nsfd, made by a helper
 * process so that this one stays where it is. */
static int
netlink_socket_in (int nsfd, ocirun_error_t *err)
{
  cleanup_close int mine = -1;
  int sp[2], e = 0, fd = -1, status;
  struct iovec iov = { .iov_base = &e, .iov_len = sizeof e };
  ssize_t n;
  pid_t pid;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
    return ocirun_make_error (err, errno, "socketpair");
  mine = sp[0];
  pid = fork ();
  if (pid < 0)
    {
      close (sp[1]);
      return ocirun_make_error (err, errno, "fork the network namespace helper");
    }
  if (pid == 0)
    {
      /* only async-signal-safe calls from here on */
      prctl (PR_SET_NAME, STAGE_NETNS, 0, 0, 0);
      if (setns (nsfd, CLONE_NEWNET) < 0)
        e = errno;
      else if ((fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
        e = errno;
      /* fd_sendmsg only calls sendmsg (utils.h) */
      _exit (fd_sendmsg (sp[1], &iov, 1, fd) < 0 ? 1 : 0);
    }
  close (sp[1]);
  n = fd_recvmsg (mine, &iov, 1, &fd);
  e = n == (ssize_t) sizeof e ? e : (n < 0 ? errno : EPIPE);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (e != 0 || fd < 0)
    {
      if (fd >= 0)
        close (fd);
      return ocirun_make_error (err, e ? e : EPIPE, "open a netlink socket in the container's network namespace");
    }
  return fd;
}

/* ---------------------------------------------------------------- links */

struct link_info
{
  int index;
  unsigned flags;
  char name[IFNAMSIZ];
};

static int
link_cb (const struct nlmsghdr *m, void *data)
{
  struct link_info *li = data;
  const struct ifinfomsg *ifi = NLMSG_DATA (m);
  const struct rtattr *a;
  int len;

  if (m->nlmsg_type != RTM_NEWLINK || m->nlmsg_len < NLMSG_LENGTH (sizeof *ifi))
    return 0;
  li->index = ifi->ifi_index;
  li->flags = ifi->ifi_flags;
  len = (int) (m->nlmsg_len - NLMSG_LENGTH (sizeof *ifi));
  for (a = IFLA_RTA (ifi); RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (a->rta_type == IFLA_IFNAME)
      snprintf (li->name, sizeof li->name, "%.*s", (int) strnlen (RTA_DATA (a), RTA_PAYLOAD (a)),
                (const char *) RTA_DATA (a));
  return 0;
}

/* RTM_GETLINK by name (index 0) or by index: 0, -ENODEV, or -errno. */
static int
link_get (struct nl *nl, const char *name, int index, struct link_info *li, char *ext, size_t extlen)
{
  struct nlreq r;
  struct ifinfomsg *ifi = nl_start (&r, RTM_GETLINK, NLM_F_ACK, sizeof *ifi);
  int ret;

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (name)
    nl_put_str (&r, IFLA_IFNAME, name);
  /* older kernels ignore the bits they do not know */
  nl_put_u32 (&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  memset (li, 0, sizeof *li);
  ret = nl_call (nl, &r, link_cb, li, ext, extlen);
  if (ret == 0 && li->index <= 0)
    ret = -ENODEV;
  return ret;
}

struct index_set
{
  int *v;
  size_t n;
};

static int
index_cb (const struct nlmsghdr *m, void *data)
{
  struct index_set *s = data;
  const struct ifinfomsg *ifi = NLMSG_DATA (m);
  if (m->nlmsg_type != RTM_NEWLINK || m->nlmsg_len < NLMSG_LENGTH (sizeof *ifi))
    return 0;
  s->v = xrealloc (s->v, (s->n + 1) * sizeof *s->v);
  s->v[s->n++] = ifi->ifi_index;
  return 0;
}

/* Every interface index of the namespace. */
static int
link_indexes (struct nl *nl, struct index_set *s, char *ext, size_t extlen)
{
  struct nlreq r;
  struct ifinfomsg *ifi = nl_start (&r, RTM_GETLINK, NLM_F_DUMP, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  nl_put_u32 (&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nl_call (nl, &r, index_cb, s, ext, extlen);
}

/* Move (and rename, when name is not NULL) interface index into nsfd. */
static int
link_move (struct nl *nl, int index, int nsfd, const char *name, char *ext, size_t extlen)
{
  struct nlreq r;
  struct ifinfomsg *ifi = nl_start (&r, RTM_NEWLINK, NLM_F_ACK, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  nl_put_u32 (&r, IFLA_NET_NS_FD, (uint32_t) nsfd);
  if (name)
    nl_put_str (&r, IFLA_IFNAME, name);
  return nl_call (nl, &r, NULL, NULL, ext, extlen);
}

static int
link_set_up (struct nl *nl, int index, char *ext, size_t extlen)
{
  struct nlreq r;
  struct ifinfomsg *ifi = nl_start (&r, RTM_NEWLINK, NLM_F_ACK, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = IFF_UP;
  return nl_call (nl, &r, NULL, NULL, ext, extlen);
}

/* ------------------------------------------------------------ addresses */

/* one address as the dump gave it: struct ifaddrmsg + attributes */
struct saved_addr
{
  char *msg;
  size_t len;
};

struct addr_list
{
  int index;
  struct saved_addr *v;
  size_t n;
};

static uint32_t
addr_flags (const struct ifaddrmsg *ifa, size_t len)
{
  const struct rtattr *a;
  uint32_t flags = ifa->ifa_flags;
  int l = (int) (len - NLMSG_ALIGN (sizeof *ifa));
  for (a = IFA_RTA (ifa); RTA_OK (a, l); a = RTA_NEXT (a, l))
    if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD (a) >= sizeof flags)
      memcpy (&flags, RTA_DATA (a), sizeof flags); /* the full 32 bits */
  return flags;
}

static int
addr_cb (const struct nlmsghdr *m, void *data)
{
  struct addr_list *l = data;
  const struct ifaddrmsg *ifa = NLMSG_DATA (m);
  size_t len;

  if (m->nlmsg_type != RTM_NEWADDR || m->nlmsg_len < NLMSG_LENGTH (sizeof *ifa))
    return 0;
  if ((int) ifa->ifa_index != l->index)
    return 0;
  len = m->nlmsg_len - NLMSG_HDRLEN;
  /* config-linux.md: "all permanent IP addresses (IFA_F_PERMANENT flag) of
   * any family with global scope (RT_SCOPE_UNIVERSE value)" */
  if (!(addr_flags (ifa, len) & IFA_F_PERMANENT) || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return 0;
  l->v = xrealloc (l->v, (l->n + 1) * sizeof *l->v);
  l->v[l->n].msg = xmalloc0 (len);
  memcpy (l->v[l->n].msg, ifa, len);
  l->v[l->n].len = len;
  l->n++;
  return 0;
}

/* "10.0.0.1/24" for messages */
static void
addr_text (const struct saved_addr *sa, char *buf, size_t buflen)
{
  const struct ifaddrmsg *ifa = (const struct ifaddrmsg *) sa->msg;
  const struct rtattr *a, *use = NULL;
  char tmp[INET6_ADDRSTRLEN] = "?";
  int l = (int) (sa->len - NLMSG_ALIGN (sizeof *ifa));
  for (a = IFA_RTA (ifa); RTA_OK (a, l); a = RTA_NEXT (a, l))
    if (a->rta_type == IFA_LOCAL || (a->rta_type == IFA_ADDRESS && use == NULL))
      use = a;
  if (use)
    inet_ntop (ifa->ifa_family, RTA_DATA (use), tmp, sizeof tmp);
  snprintf (buf, buflen, "%s/%u", tmp, ifa->ifa_prefixlen);
}

/* The flags RTM_NEWADDR takes from userspace (inet6_rtm_newaddr's mask; IPv4
 * uses IFA_F_NOPREFIXROUTE of them).  IFA_F_PERMANENT comes back by itself:
 * no lifetime given means forever. */
#define ADDR_FLAGS_KEPT                                                                                                \
  (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN | IFA_F_OPTIMISTIC)

/* Add a saved address to interface index.  An IPv4 label that named the
 * device ("eth0" or the alias "eth0:1") follows its new name. */
static int
addr_add (struct nl *nl, int index, const struct saved_addr *sa, const char *old_name, const char *new_name, char *ext,
          size_t extlen)
{
  const struct ifaddrmsg *src = (const struct ifaddrmsg *) sa->msg;
  struct nlreq r;
  struct ifaddrmsg *ifa = nl_start (&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
  uint32_t flags = addr_flags (src, sa->len) & ADDR_FLAGS_KEPT;
  size_t ol = strlen (old_name);
  const struct rtattr *a;
  int l = (int) (sa->len - NLMSG_ALIGN (sizeof *src));

  *ifa = *src;
  ifa->ifa_index = (uint32_t) index;
  ifa->ifa_flags = (uint8_t) flags;
  for (a = IFA_RTA (src); RTA_OK (a, l); a = RTA_NEXT (a, l))
    switch (a->rta_type)
      {
      case IFA_ADDRESS:
      case IFA_LOCAL:
      case IFA_BROADCAST:
      case IFA_RT_PRIORITY:
      case IFA_PROTO:
        nl_put (&r, a->rta_type, RTA_DATA (a), RTA_PAYLOAD (a));
        break;
      case IFA_LABEL:
        {
          char label[IFNAMSIZ];
          snprintf (label, sizeof label, "%.*s", (int) strnlen (RTA_DATA (a), RTA_PAYLOAD (a)),
                    (const char *) RTA_DATA (a));
          if (strcmp (label, old_name) == 0)
            break; /* the default: the device's (new) name */
          if (strncmp (label, old_name, ol) == 0 && label[ol] == ':')
            {
              char renamed[IFNAMSIZ * 2];
              snprintf (renamed, sizeof renamed, "%s%s", new_name, label + ol);
              renamed[IFNAMSIZ - 1] = '\0';
              nl_put_str (&r, IFA_LABEL, renamed);
            }
          else
            nl_put_str (&r, IFA_LABEL, label);
        }
        break;
      default:
        break; /* IFA_CACHEINFO: permanent; the rest is not for RTM_NEWADDR */
      }
  nl_put_u32 (&r, IFA_FLAGS, flags);
  return nl_call (nl, &r, NULL, NULL, ext, extlen);
}

static int
addr_dump (struct nl *nl, struct addr_list *l, char *ext, size_t extlen)
{
  struct nlreq r;
  struct ifaddrmsg *ifa = nl_start (&r, RTM_GETADDR, NLM_F_DUMP, sizeof *ifa);
  ifa->ifa_family = AF_UNSPEC;
  return nl_call (nl, &r, addr_cb, l, ext, extlen);
}

/* ---------------------------------------------------------------- moves */

struct moved_dev
{
  char *host_name;
  unsigned host_flags; /* before the move: IFF_UP is restored on failure */
  int ctr_index;       /* > 0 once it is in the container's namespace */
  char ctr_name[IFNAMSIZ];
  struct addr_list addrs;
};

struct ocirun_netdev_moved
{
  int host_ns; /* the runtime's network namespace */
  int ctr_ns;  /* the container's */
  struct nl host, ctr;
  struct moved_dev *devs;
  size_t n;
};

void
ocirun_netdev_moved_free (ocirun_netdev_moved **pm)
{
  ocirun_netdev_moved *m = pm ? *pm : NULL;
  size_t i, j;
  if (m == NULL)
    return;
  for (i = 0; i < m->n; i++)
    {
      for (j = 0; j < m->devs[i].addrs.n; j++)
        free (m->devs[i].addrs.v[j].msg);
      free (m->devs[i].addrs.v);
      free (m->devs[i].host_name);
    }
  free (m->devs);
  nl_release (&m->host);
  nl_release (&m->ctr);
  if (m->host_ns >= 0)
    close (m->host_ns);
  if (m->ctr_ns >= 0)
    close (m->ctr_ns);
  free (m);
  *pm = NULL;
}

#define FIELD "linux.netDevices[\"%s\"]"

static int
move_one (ocirun_netdev_moved *m, const oci_net_device *nd, struct moved_dev *d, ocirun_error_t *err)
{
  const bool renamed = nd->name && *nd->name;
  const char *target = renamed ? nd->name : nd->host_name;
  const bool template = strchr (target, '%') != NULL;
  struct link_info hl, cl;
  struct index_set before = { NULL, 0 };
  char ext[256];
  size_t i;
  int ret;

  d->host_name = xstrdup (nd->host_name);
  ret = link_get (&m->host, nd->host_name, 0, &hl, ext, sizeof ext);
  if (ret == -ENODEV)
    return ocirun_make_error (err, ENODEV, FIELD ": no such network interface in the runtime's network namespace",
                              nd->host_name);
  if (ret < 0)
    return nl_error (err, ret, ext, FIELD ": look up the interface", nd->host_name);
  d->host_flags = hl.flags;
  d->addrs.index = hl.index;
  ret = addr_dump (&m->host, &d->addrs, ext, sizeof ext);
  if (ret < 0)
    return nl_error (err, ret, ext, FIELD ": list the addresses of `%s`", nd->host_name, nd->host_name);

  /* config-linux.md: "If a network device with the specified name already
   * exists in the container namespace, the runtime MUST generate an error,
   * unless the user has provided a template by appending %d".  Checked
   * first: the kernel would only refuse the rename after the move. */
  if (!template)
    {
      ret = link_get (&m->ctr, target, 0, &cl, ext, sizeof ext);
      if (ret == 0)
        return ocirun_make_error (err, EEXIST, FIELD "%s: `%s` already exists in the container's network namespace",
                                  nd->host_name, renamed ? ".name" : "", target);
      if (ret != -ENODEV)
        return nl_error (err, ret, ext, FIELD ": look up `%s` in the container's network namespace", nd->host_name,
                         target);
    }
  else
    {
      ret = link_indexes (&m->ctr, &before, ext, sizeof ext);
      if (ret < 0)
        {
          free (before.v);
          return nl_error (err, ret, ext, FIELD ": list the container's interfaces", nd->host_name);
        }
    }

  ret = link_move (&m->host, hl.index, m->ctr_ns, renamed ? target : NULL, ext, sizeof ext);
  if (ret < 0)
    {
      /* do_setlink renames after the move proper: a refused rename leaves
       * the device in the container under its host name.  Note it, so that
       * it goes back. */
      struct link_info tmp;
      char ignore[8];
      if (link_get (&m->host, NULL, hl.index, &tmp, ignore, sizeof ignore) == -ENODEV
          && link_get (&m->ctr, nd->host_name, 0, &tmp, ignore, sizeof ignore) == 0)
        {
          d->ctr_index = tmp.index;
          memcpy (d->ctr_name, tmp.name, sizeof d->ctr_name);
        }
      free (before.v);
      return nl_error (err, ret, ext, FIELD ": move `%s` into the container's network namespace%s%s%s", nd->host_name,
                       nd->host_name, renamed ? " as `" : "", renamed ? target : "", renamed ? "`" : "");
    }

  /* find it there: by name, or for a template the one new index */
  if (!template)
    ret = link_get (&m->ctr, target, 0, &cl, ext, sizeof ext);
  else
    {
      struct index_set after = { NULL, 0 };
      int found = 0;
      ret = link_indexes (&m->ctr, &after, ext, sizeof ext);
      for (i = 0; ret == 0 && i < after.n; i++)
        {
          size_t j;
          for (j = 0; j < before.n && before.v[j] != after.v[i]; j++)
            ;
          if (j == before.n)
            found = after.v[i];
        }
      free (after.v);
      if (ret == 0)
        ret = found ? link_get (&m->ctr, NULL, found, &cl, ext, sizeof ext) : -ENODEV;
    }
  free (before.v);
  if (ret < 0)
    return nl_error (err, ret, ext, FIELD ": find `%s` in the container's network namespace", nd->host_name, target);
  d->ctr_index = cl.index;
  memcpy (d->ctr_name, cl.name, sizeof d->ctr_name);

  /* "The runtime MUST preserve existing network interface attributes":
   * the move kept the link's own (MTU, MAC ...), not its addresses */
  for (i = 0; i < d->addrs.n; i++)
    {
      ret = addr_add (&m->ctr, d->ctr_index, &d->addrs.v[i], d->host_name, d->ctr_name, ext, sizeof ext);
      if (ret < 0)
        {
          char a[INET6_ADDRSTRLEN + 8];
          addr_text (&d->addrs.v[i], a, sizeof a);
          return nl_error (err, ret, ext, FIELD ": add address %s to `%s` in the container's network namespace",
                           nd->host_name, a, d->ctr_name);
        }
    }
  /* "The runtime MUST set the network device state to "up"" */
  ret = link_set_up (&m->ctr, d->ctr_index, ext, sizeof ext);
  if (ret < 0)
    return nl_error (err, ret, ext, FIELD ": set `%s` up in the container's network namespace", nd->host_name,
                     d->ctr_name);
  return 0;
}

int
ocirun_netdev_move (struct ocirun_job *job, pid_t pid, ocirun_netdev_moved **moved, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  cleanup_netdev_moved ocirun_netdev_moved *m = NULL;
  char path[64];
  int fd;
  size_t i;

  *moved = NULL;
  if (l == NULL || l->net_devices_len == 0)
    return 0;
  m = xmalloc0 (sizeof *m);
  m->host_ns = m->ctr_ns = m->host.fd = m->ctr.fd = -1;

  m->host_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (m->host_ns < 0)
    return ocirun_make_error (err, errno, "linux.netDevices: open `/proc/self/ns/net`");
  /* a joined namespace: the child enters it only after SYNC_PARENT_SETUP_DONE */
  if (job->ns_fds[NS_NET] >= 0)
    {
      m->ctr_ns = fcntl (job->ns_fds[NS_NET], F_DUPFD_CLOEXEC, 0);
      if (m->ctr_ns < 0)
        return ocirun_make_error (err, errno, "linux.netDevices: dup the network namespace fd");
    }
  else
    {
      snprintf (path, sizeof path, "/proc/%d/ns/net", pid);
      m->ctr_ns = open (path, O_RDONLY | O_CLOEXEC);
      if (m->ctr_ns < 0)
        return ocirun_make_error (err, errno, "linux.netDevices: open `%s`", path);
    }
  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return ocirun_make_error (err, errno, "linux.netDevices: open a netlink socket");
  nl_init (&m->host, fd, err);
  fd = netlink_socket_in (m->ctr_ns, err);
  if (fd < 0)
    return ocirun_error_prefix (err, "linux.netDevices");
  nl_init (&m->ctr, fd, err);

  m->devs = xmalloc0 (l->net_devices_len * sizeof *m->devs);
  for (i = 0; i < l->net_devices_len; i++)
    {
      m->n = i + 1;
      if (move_one (m, &l->net_devices[i], &m->devs[i], err) < 0)
        {
          /* put back the ones already moved (and this one, if it moved) */
          ocirun_netdev_restore (&m);
          return -1;
        }
      ocirun_debug ("linux.netDevices: moved `%s` into the container as `%s` with %zu address(es)",
                    m->devs[i].host_name, m->devs[i].ctr_name, m->devs[i].addrs.n);
    }
  *moved = steal_pointer (&m);
  return 0;
}

/* ------------------------------------------------------------- restore */

static int
restore_one (ocirun_netdev_moved *m, struct moved_dev *d, ocirun_error_t *err)
{
  struct link_info hl;
  char ext[256];
  size_t i;
  int ret;

  ret = link_move (&m->ctr, d->ctr_index, m->host_ns, d->host_name, ext, sizeof ext);
  if (ret < 0)
    return nl_error (err, ret, ext, "move `%s` back to the runtime's network namespace", d->ctr_name);
  d->ctr_index = 0;
  ret = link_get (&m->host, d->host_name, 0, &hl, ext, sizeof ext);
  if (ret < 0)
    return nl_error (err, ret, ext, "find `%s` back in the runtime's network namespace", d->host_name);
  for (i = 0; i < d->addrs.n; i++)
    {
      ret = addr_add (&m->host, hl.index, &d->addrs.v[i], d->host_name, d->host_name, ext, sizeof ext);
      if (ret < 0 && ret != -EEXIST)
        {
          char a[INET6_ADDRSTRLEN + 8];
          addr_text (&d->addrs.v[i], a, sizeof a);
          return nl_error (err, ret, ext, "add address %s back to `%s`", a, d->host_name);
        }
    }
  if (d->host_flags & IFF_UP)
    {
      ret = link_set_up (&m->host, hl.index, ext, sizeof ext);
      if (ret < 0)
        return nl_error (err, ret, ext, "set `%s` up again", d->host_name);
    }
  return 0;
}

void
ocirun_netdev_restore (ocirun_netdev_moved **pm)
{
  ocirun_netdev_moved *m = pm ? *pm : NULL;
  size_t i;
  if (m == NULL)
    return;
  for (i = m->n; i-- > 0;)
    {
      ocirun_error_t tmp = NULL;
      if (m->devs[i].ctr_index <= 0)
        continue;
      if (restore_one (m, &m->devs[i], &tmp) < 0)
        {
          ocirun_warning ("cleanup: " FIELD ": %s", m->devs[i].host_name, tmp->msg);
          ocirun_error_release (&tmp);
        }
    }
  ocirun_netdev_moved_free (pm);
}

/* ----------------------------------------------------------- validation */

/* The kernel's dev_valid_name (net/core/dev.c), and for a container name the
 * one "%d" dev_alloc_name accepts.  NULL when fine, else why not. */
static const char *
ifname_problem (const char *name, bool template_ok)
{
  const char *p, *pct;
  if (*name == '\0')
    return "an interface name may not be empty";
  if (strlen (name) >= IFNAMSIZ)
    return "an interface name has at most 15 characters";
  if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return "an interface name may not be `.` or `..`";
  for (p = name; *p; p++)
    if (*p == '/' || *p == ':' || isspace ((unsigned char) *p))
      return "an interface name may not contain '/', ':' or white space";
  pct = strchr (name, '%');
  if (pct && !template_ok)
    return "a host interface name may not contain '%'";
  if (pct && (pct[1] != 'd' || strchr (pct + 2, '%')))
    return "the only template an interface name may hold is one `%d`";
  return NULL;
}

static const char *
target_name (const oci_net_device *nd)
{
  return nd->name && *nd->name ? nd->name : nd->host_name;
}

int
ocirun_netdev_validate (const oci_config *c, ocirun_error_t *err)
{
  const oci_linux *l = c->linux_;
  const oci_namespace *net = NULL;
  size_t i, j;

  if (l == NULL || l->net_devices_len == 0)
    return 0;
  for (i = 0; i < l->namespaces_len; i++)
    if (strcmp (l->namespaces[i].type, "network") == 0)
      net = &l->namespaces[i];
  /* moving the runtime's own devices to the runtime's own namespace: no */
  if (net == NULL)
    return ocirun_make_error (err, 0,
                              "linux.netDevices: moving network devices needs a network namespace in "
                              "linux.namespaces");
  if (net->path && *net->path)
    {
      struct stat a, b;
      if (stat (net->path, &a) == 0 && stat ("/proc/self/ns/net", &b) == 0 && a.st_dev == b.st_dev
          && a.st_ino == b.st_ino)
        return ocirun_make_error (err, 0,
                                  "linux.netDevices: the network namespace `%s` is the runtime's own: the devices "
                                  "would not move",
                                  net->path);
    }
  for (i = 0; i < l->net_devices_len; i++)
    {
      const oci_net_device *nd = &l->net_devices[i];
      const char *why = ifname_problem (nd->host_name, false);
      if (why)
        return ocirun_make_error (err, 0, FIELD ": not a valid interface name (%s)", nd->host_name, why);
      if (nd->name && *nd->name && (why = ifname_problem (nd->name, true)))
        return ocirun_make_error (err, 0, FIELD ".name: `%s` is not a valid interface name (%s)", nd->host_name,
                                  nd->name, why);
      for (j = 0; j < i; j++)
        {
          const char *t = target_name (nd);
          if (strcmp (l->net_devices[j].host_name, nd->host_name) == 0)
            return ocirun_make_error (err, 0, FIELD ": listed twice", nd->host_name);
          /* templates are the kernel's to make unique */
          if (strchr (t, '%') == NULL && strcmp (t, target_name (&l->net_devices[j])) == 0)
            return ocirun_make_error (err, 0, FIELD ": the name `%s` in the container is also the one of " FIELD,
                                      nd->host_name, t, l->net_devices[j].host_name);
        }
    }
  /* last: the only check that looks at the host */
  for (i = 0; i < l->net_devices_len; i++)
    if (if_nametoindex (l->net_devices[i].host_name) == 0)
      {
        if (errno == ENODEV || errno == ENXIO)
          return ocirun_make_error (err, 0, FIELD ": no such network interface in the runtime's network namespace",
                                    l->net_devices[i].host_name);
        return ocirun_make_error (err, errno, FIELD ": look up the interface", l->net_devices[i].host_name);
      }
  return 0;
}

int
ocirun_netdev_loopback_up (const oci_config *c, ocirun_error_t *err)
{
  cleanup_close int sk = -1;
  struct ifreq ifr;
  bool new_netns = false;
  size_t i;

  for (i = 0; c->linux_ && i < c->linux_->namespaces_len; i++)
    {
      const oci_namespace *ns = &c->linux_->namespaces[i];
      if (ns->type && strcmp (ns->type, "network") == 0 && (ns->path == NULL || ns->path[0] == '\0'))
        new_netns = true;
    }
  if (!new_netns)
    return 0;
  sk = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sk < 0)
    return ocirun_make_error (err, errno, "network namespace: socket to set `lo` up");
  memset (&ifr, 0, sizeof ifr);
  snprintf (ifr.ifr_name, sizeof ifr.ifr_name, "lo");
  if (ioctl (sk, SIOCGIFFLAGS, &ifr) < 0)
    return ocirun_make_error (err, errno, "network namespace: read the flags of `lo`");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (sk, SIOCSIFFLAGS, &ifr) < 0)
    return ocirun_make_error (err, errno, "network namespace: set `lo` up");
  return 0;
}
