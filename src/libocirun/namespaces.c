/* linux.namespaces, uid/gid mappings and time offsets (config-linux.md#namespaces,
 * #user-namespace-mappings, #offset-for-time-namespace). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/nsfs.h>

#include "job.h"
#include "namespaces.h"
#include "userns.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#  define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *name; /* linux.namespaces[].type */
  const char *proc; /* /proc/PID/ns/<proc> */
  int flag;
} ns_table[NS_COUNT] = {
  [NS_USER] = { "user", "user", CLONE_NEWUSER },
  [NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
  [NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [NS_NET] = { "network", "net", CLONE_NEWNET },
  [NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
  [NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *
ocirun_ns_name (enum ocirun_ns ns)
{
  return ns_table[ns].name;
}

int
ocirun_ns_clone_flag (enum ocirun_ns ns)
{
  return ns_table[ns].flag;
}

#define NSFS_MAGIC_ 0x6e736673

/* Is fd an nsfs file of the given CLONE_NEW* type?  NS_GET_NSTYPE: 4.11+ */
static int
ioctl_ns_type_ok (int fd, int flag)
{
  struct statfs sfs;
  int t;
  if (fstatfs (fd, &sfs) < 0 || (unsigned long) sfs.f_type != NSFS_MAGIC_)
    return -1;
  t = ioctl (fd, NS_GET_NSTYPE);
  if (t < 0)
    return errno == ENOTTY ? 0 : -1;
  return t == flag ? 0 : -1;
}

/* Open the namespaces to join (so a bad path fails before clone) and note
 * the ones to create. */
int
ocirun_ns_prepare (struct ocirun_job *job, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  size_t i;
  int k;

  for (k = 0; k < NS_COUNT; k++)
    {
      job->ns_fds[k] = -1;
      job->ns_new[k] = false;
    }
  if (l == NULL)
    return 0;
  for (i = 0; i < l->namespaces_len; i++)
    {
      const oci_namespace *n = &l->namespaces[i];
      for (k = 0; k < NS_COUNT; k++)
        if (strcmp (n->type, ns_table[k].name) == 0)
          break;
      if (k == NS_COUNT)
        return ocirun_make_error (err, 0, "linux.namespaces[%zu].type: unknown namespace type `%s`", i, n->type);
      if (job->ns_fds[k] >= 0 || job->ns_new[k])
        return ocirun_make_error (err, 0, "linux.namespaces[%zu]: duplicate namespace `%s`", i, n->type);
      if (n->path && *n->path)
        {
          int fd = open (n->path, O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            return ocirun_make_error (err, errno, "linux.namespaces[%zu].path: open `%s`", i, n->path);
          /* config-linux.md: "If a path is specified that is not a namespace
           * file, or the type does not match, runtimes MUST generate an error". */
          if (ioctl_ns_type_ok (fd, ns_table[k].flag) < 0)
            {
              close (fd);
              return ocirun_make_error (err, 0, "linux.namespaces[%zu].path: `%s` is not a %s namespace", i, n->path,
                                        n->type);
            }
          job->ns_fds[k] = fd;
        }
      else
        job->ns_new[k] = true;
    }
  /* an unprivileged runtime: say now if the maps cannot be written */
  if (job->ns_new[NS_USER])
    return ocirun_userns_check_maps (l->uid_mappings, l->uid_mappings_len, l->gid_mappings, l->gid_mappings_len,
                                     "linux", err);
  return 0;
}

int
ocirun_ns_write_idmaps (struct ocirun_job *job, pid_t pid, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  if (!job->ns_new[NS_USER] || l == NULL)
    return 0;
  return ocirun_userns_write_maps (pid, l->uid_mappings, l->uid_mappings_len, l->gid_mappings, l->gid_mappings_len,
                                   "linux", err);
}

/* ---- the order of creating and joining ----
 *
 * The common case is one clone3 with every new namespace's flag: the user
 * namespace is created first and owns the others.  Two cases need a
 * different order (config-linux.md#namespaces: the container's namespaces
 * must end up as asked, with /proc mountable):
 *
 *  - a user namespace joined by path and other namespaces created: they
 *    must be owned by the joined user namespace, so the child joins it
 *    first and then unshare()s the rest (and, for a new pid namespace,
 *    becomes the intermediate stage that forks the init: unshare(CLONE_NEWPID)
 *    applies to children);
 *  - a new user namespace and other namespaces joined by path: from inside
 *    the new user namespace the child has no privilege over the host's
 *    namespaces, so it joins them first and then unshare()s the user
 *    namespace together with the rest.
 *
 * runc's nsexec and crun take the same two steps. */

static const enum ocirun_ns join_order[] = { NS_IPC, NS_UTS, NS_NET, NS_CGROUP, NS_TIME, NS_MNT };

static bool
split_create (const struct ocirun_job *job)
{
  static const enum ocirun_ns created[] = { NS_MNT, NS_NET, NS_IPC, NS_UTS, NS_PID };
  bool any_new = false, any_path = false;
  size_t i;
  for (i = 0; i < ARRAY_SIZE (created); i++)
    any_new |= job->ns_new[created[i]];
  for (i = 0; i < ARRAY_SIZE (join_order); i++)
    any_path |= job->ns_fds[join_order[i]] >= 0;
  return (job->ns_fds[NS_USER] >= 0 && any_new) || (job->ns_new[NS_USER] && any_path);
}

/* The namespace flags of the parent's clone3. */
uint64_t
ocirun_ns_clone_flags (const struct ocirun_job *job)
{
  uint64_t flags = 0;
  int k;
  if (split_create (job))
    return 0;
  for (k = 0; k < NS_COUNT; k++)
    if (job->ns_new[k] && k != NS_CGROUP && k != NS_TIME)
      flags |= (uint64_t) ns_table[k].flag;
  return flags;
}

static int
join_one (struct ocirun_job *job, enum ocirun_ns k, ocirun_error_t *err)
{
  if (job->ns_fds[k] < 0)
    return 0;
  if (setns (job->ns_fds[k], ns_table[k].flag) < 0)
    {
      if (errno == EPERM && k != NS_USER && (job->ns_new[NS_USER] || job->ns_fds[NS_USER] >= 0))
        return ocirun_make_error (err, errno, "join the %s namespace (is it owned by the container's user namespace?)",
                                  ns_table[k].name);
      return ocirun_make_error (err, errno, "join the %s namespace", ns_table[k].name);
    }
  close (job->ns_fds[k]);
  job->ns_fds[k] = -1;
  return 0;
}

/* Child, before it asks for its id maps: the split order (see above).
 * Returns 1 when it created a pid namespace, which only its children
 * enter: the caller then becomes the intermediate stage (intermediate.c). */
int
ocirun_ns_child_enter (struct ocirun_job *job, ocirun_error_t *err)
{
  int flags = 0;
  size_t i;
  int k;

  if (!split_create (job))
    return 0;
  if (join_one (job, NS_USER, err) < 0)
    return -1;
  for (i = 0; i < ARRAY_SIZE (join_order); i++)
    if (join_one (job, join_order[i], err) < 0)
      return -1;
  for (k = 0; k < NS_COUNT; k++)
    if (job->ns_new[k] && k != NS_CGROUP && k != NS_TIME)
      flags |= ns_table[k].flag;
  /* with CLONE_NEWUSER the user namespace is made first and owns the rest */
  if ((flags & ~CLONE_NEWPID) && unshare (flags & ~CLONE_NEWPID) < 0)
    return ocirun_make_error (err, errno, "create the namespaces (unshare)");
  if (flags & CLONE_NEWPID)
    {
      if (unshare (CLONE_NEWPID) < 0)
        return ocirun_make_error (err, errno, "create the pid namespace");
      return 1;
    }
  return 0;
}

/* Parent, right after clone: does the child fork the init (see
 * ocirun_ns_child_enter)? */
bool
ocirun_ns_child_forks_init (const struct ocirun_job *job)
{
  return split_create (job) && job->ns_new[NS_PID];
}

/* Called in the parent before clone: a new time namespace is created for
 * the parent's *children* (time_for_children), so the offsets can be
 * written before any process is in it, as the kernel requires. */
int
ocirun_ns_set_time_offsets (struct ocirun_job *job, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  size_t i;
  if (!job->ns_new[NS_TIME])
    return 0;
  if (unshare (CLONE_NEWTIME) < 0)
    return ocirun_make_error (err, errno, "create the time namespace");
  for (i = 0; l && i < l->time_offsets_len; i++)
    {
      char buf[128];
      int n = snprintf (buf, sizeof buf, "%s %lld %u\n", l->time_offsets[i].name, (long long) l->time_offsets[i].secs,
                        l->time_offsets[i].nanosecs);
      if (write_file_at (AT_FDCWD, "/proc/self/timens_offsets", buf, (size_t) n, err) < 0)
        return ocirun_error_prefix (err, "linux.timeOffsets.%s", l->time_offsets[i].name);
    }
  return 0;
}

/* Child: join the namespaces given by path not joined yet (the user
 * namespace first, so the others are joined with its credentials), then
 * create the cgroup namespace now that the parent has put us in our cgroup. */
int
ocirun_ns_join (struct ocirun_job *job, ocirun_error_t *err)
{
  size_t i;
  if (join_one (job, NS_USER, err) < 0)
    return -1;
  for (i = 0; i < ARRAY_SIZE (join_order); i++)
    if (join_one (job, join_order[i], err) < 0)
      return -1;
  if (job->ns_new[NS_CGROUP] && unshare (CLONE_NEWCGROUP) < 0)
    return ocirun_make_error (err, errno, "create the cgroup namespace");
  return 0;
}
