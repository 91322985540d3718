/* linux.namespaces, uid/gid mappings and time offsets (config-linux.md#namespaces,
 * #user-namespace-mappings, #offset-for-time-namespace). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/nsfs.h>

#include "job.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *name;  /* linux.namespaces[].type */
  const char *proc;  /* /proc/PID/ns/<proc> */
  int flag;
} ns_table[NS_COUNT] = {
  [NS_USER] = { "user", "user", CLONE_NEWUSER },     [NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
  [NS_PID] = { "pid", "pid", CLONE_NEWPID },         [NS_NET] = { "network", "net", CLONE_NEWNET },
  [NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },         [NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP }, [NS_TIME] = { "time", "time", CLONE_NEWTIME },
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
  return 0;
}

static int
write_map (pid_t pid, const char *file, const oci_id_mapping *m, size_t n, ocirun_error_t *err)
{
  cleanup_free char *buf = NULL;
  char path[64];
  size_t i, len = 0;
  FILE *f;

  if (n == 0)
    return 0;
  f = open_memstream (&buf, &len);
  if (f == NULL)
    return ocirun_make_error (err, errno, "open_memstream");
  for (i = 0; i < n; i++)
    fprintf (f, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  fclose (f);
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  if (write_file_at (AT_FDCWD, path, buf, len, err) < 0)
    return ocirun_error_prefix (err, "linux.%s", strcmp (file, "uid_map") == 0 ? "uidMappings" : "gidMappings");
  return 0;
}

int
ocirun_ns_write_idmaps (struct ocirun_job *job, pid_t pid, ocirun_error_t *err)
{
  const oci_linux *l = job->config->linux_;
  int ret;
  if (!job->ns_new[NS_USER] || l == NULL)
    return 0;
  ret = write_map (pid, "uid_map", l->uid_mappings, l->uid_mappings_len, err);
  if (ret < 0)
    return ret;
  return write_map (pid, "gid_map", l->gid_mappings, l->gid_mappings_len, err);
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
      int n = snprintf (buf, sizeof buf, "%s %lld %u\n", l->time_offsets[i].name,
                        (long long) l->time_offsets[i].secs, l->time_offsets[i].nanosecs);
      if (write_file_at (AT_FDCWD, "/proc/self/timens_offsets", buf, (size_t) n, err) < 0)
        return ocirun_error_prefix (err, "linux.timeOffsets.%s", l->time_offsets[i].name);
    }
  return 0;
}

/* Child: join the namespaces given by path (the user namespace first, so
 * the others are joined with its credentials), then create the cgroup
 * namespace now that the parent has put us in our cgroup. */
int
ocirun_ns_join (struct ocirun_job *job, ocirun_error_t *err)
{
  static const enum ocirun_ns order[] = { NS_USER, NS_IPC, NS_UTS, NS_NET, NS_CGROUP, NS_MNT };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (order); i++)
    {
      enum ocirun_ns k = order[i];
      if (job->ns_fds[k] < 0)
        continue;
      if (setns (job->ns_fds[k], ns_table[k].flag) < 0)
        return ocirun_make_error (err, errno, "join the %s namespace", ns_table[k].name);
      close (job->ns_fds[k]);
      job->ns_fds[k] = -1;
    }
  if (job->ns_new[NS_CGROUP] && unshare (CLONE_NEWCGROUP) < 0)
    return ocirun_make_error (err, errno, "create the cgroup namespace");
  return 0;
}
