/* Unit tests for libocispec: parsing of config.json, process.json, a bare
 * resources object and state.json; error messages; state generation.
 *
 * Prints one line per failed check, then "N passed, N failed"; exits
 * non-zero if any test failed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oci_spec.h"

#ifndef TEST_DATA_DIR
#  define TEST_DATA_DIR "tests/unit/data"
#endif

static int n_passed, n_failed;
static bool test_failed;

#define CHECK(cond)                                                                                                    \
  do                                                                                                                   \
    {                                                                                                                  \
      if (!(cond))                                                                                                     \
        {                                                                                                              \
          fprintf (stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                  \
          test_failed = true;                                                                                          \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

#define CHECK_STR(a, b)                                                                                                \
  do                                                                                                                   \
    {                                                                                                                  \
      const char *a_ = (a), *b_ = (b);                                                                                 \
      if (a_ == NULL || b_ == NULL ? a_ != b_ : strcmp (a_, b_) != 0)                                                  \
        {                                                                                                              \
          fprintf (stderr, "  %s:%d: %s: got \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, a_ ? a_ : "(null)",   \
                   b_ ? b_ : "(null)");                                                                                \
          test_failed = true;                                                                                          \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

#define CHECK_INT(a, b)                                                                                                \
  do                                                                                                                   \
    {                                                                                                                  \
      long long a_ = (long long) (a), b_ = (long long) (b);                                                            \
      if (a_ != b_)                                                                                                    \
        {                                                                                                              \
          fprintf (stderr, "  %s:%d: %s: got %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_);                  \
          test_failed = true;                                                                                          \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

static void
run (const char *name, void (*fn) (void))
{
  test_failed = false;
  fn ();
  if (test_failed)
    {
      n_failed++;
      fprintf (stderr, "FAIL: %s\n", name);
    }
  else
    {
      n_passed++;
      printf ("ok: %s\n", name);
    }
}

static oci_config *
parse (const char *json, char **err)
{
  return oci_config_parse_data (json, strlen (json), "config.json", err);
}

/* Parse `json` as config.json, expect failure with exactly `msg`.  */
#define EXPECT_ERROR(json, msg) expect_error (__LINE__, json, msg)
static void
expect_error (int line, const char *json, const char *msg)
{
  char *err = NULL;
  oci_config *c = parse (json, &err);
  if (c != NULL)
    {
      fprintf (stderr, "  line %d: parse succeeded, expected error \"%s\"\n", line, msg);
      test_failed = true;
      oci_config_free (c);
      return;
    }
  if (err == NULL || strcmp (err, msg) != 0)
    {
      fprintf (stderr, "  line %d: got error \"%s\"\n           expected \"%s\"\n", line, err ? err : "(null)", msg);
      test_failed = true;
    }
  free (err);
}

/* Parse `json` as config.json, expect success; returns the config.  */
#define EXPECT_OK(json) expect_ok (__LINE__, json)
static oci_config *
expect_ok (int line, const char *json)
{
  char *err = NULL;
  oci_config *c = parse (json, &err);
  if (c == NULL)
    {
      fprintf (stderr, "  line %d: unexpected error: %s\n", line, err ? err : "(null)");
      test_failed = true;
    }
  free (err);
  return c;
}

static char *
read_fixture (const char *name, size_t *len)
{
  char path[4096];
  FILE *f;
  char *buf;
  long n;

  snprintf (path, sizeof (path), "%s/%s", TEST_DATA_DIR, name);
  f = fopen (path, "r");
  if (f == NULL)
    {
      perror (path);
      exit (2);
    }
  fseek (f, 0, SEEK_END);
  n = ftell (f);
  fseek (f, 0, SEEK_SET);
  buf = malloc ((size_t) n + 1);
  if (buf == NULL || fread (buf, 1, (size_t) n, f) != (size_t) n)
    exit (2);
  buf[n] = '\0';
  fclose (f);
  *len = (size_t) n;
  return buf;
}

/* ------------------------------------------------------------------------ */

static void
check_full_process (const oci_process *p)
{
  CHECK (p->terminal);
  CHECK (p->console_size != NULL);
  if (p->console_size)
    {
      CHECK_INT (p->console_size->height, 24);
      CHECK_INT (p->console_size->width, 80);
    }
  CHECK_INT (p->user.uid, 1000);
  CHECK_INT (p->user.gid, 1001);
  CHECK (p->user.has_umask);
  CHECK_INT (p->user.umask, 18);
  CHECK_INT (p->user.additional_gids_len, 3);
  CHECK_INT (p->user.additional_gids[0], 5);
  CHECK_INT (p->user.additional_gids[1], 6);
  CHECK (p->user.additional_gids[2] == UINT32_MAX);
  CHECK_STR (p->user.username, "ignored");
  CHECK_INT (p->args_len, 3);
  CHECK_STR (p->args[0], "/bin/sh");
  CHECK_STR (p->args[2], "echo hi");
  CHECK (p->args[3] == NULL); /* NULL-terminated for execve */
  CHECK_STR (p->command_line, "cmd.exe");
  CHECK_INT (p->env_len, 2);
  CHECK_STR (p->env[1], "TERM=xterm");
  CHECK (p->env[2] == NULL);
  CHECK_STR (p->cwd, "/work");
  CHECK (p->capabilities != NULL);
  if (p->capabilities)
    {
      const oci_capabilities *c = p->capabilities;
      CHECK_INT (c->bounding_len, 2);
      CHECK_STR (c->bounding[1], "CAP_KILL");
      CHECK_INT (c->effective_len, 1);
      CHECK (c->inheritable != NULL);
      CHECK_INT (c->inheritable_len, 0);
      CHECK_INT (c->permitted_len, 2);
      CHECK_STR (c->permitted[1], "CAP_NET_BIND_SERVICE");
      CHECK_INT (c->ambient_len, 1);
      CHECK_STR (c->ambient[0], "CAP_NET_BIND_SERVICE");
    }
  CHECK_INT (p->rlimits_len, 2);
  CHECK_STR (p->rlimits[0].type, "RLIMIT_NOFILE");
  CHECK_INT (p->rlimits[0].hard, 1024);
  CHECK_INT (p->rlimits[0].soft, 512);
  CHECK_STR (p->rlimits[1].type, "RLIMIT_CORE");
  CHECK (p->rlimits[1].hard == UINT64_MAX);
  CHECK_INT (p->rlimits[1].soft, 0);
  CHECK_STR (p->apparmor_profile, "acme_secure_profile");
  CHECK (p->has_oom_score_adj);
  CHECK_INT (p->oom_score_adj, -500);
  CHECK_STR (p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675");
  CHECK (p->no_new_privileges);
  CHECK (p->scheduler != NULL);
  if (p->scheduler)
    {
      const oci_scheduler *s = p->scheduler;
      CHECK_STR (s->policy, "SCHED_DEADLINE");
      CHECK (s->has_nice);
      CHECK_INT (s->nice, -5);
      CHECK (s->has_priority);
      CHECK_INT (s->priority, 10);
      CHECK_INT (s->flags_len, 1);
      CHECK_STR (s->flags[0], "SCHED_FLAG_RESET_ON_FORK");
      CHECK (s->has_runtime && s->runtime == 10000000);
      CHECK (s->has_deadline && s->deadline == 20000000);
      CHECK (s->has_period && s->period == 30000000);
    }
  CHECK (p->io_priority != NULL);
  if (p->io_priority)
    {
      CHECK_STR (p->io_priority->class_, "IOPRIO_CLASS_BE");
      CHECK (p->io_priority->has_priority);
      CHECK_INT (p->io_priority->priority, 4);
    }
  CHECK (p->exec_cpu_affinity != NULL);
  if (p->exec_cpu_affinity)
    {
      CHECK_STR (p->exec_cpu_affinity->initial, "7");
      CHECK_STR (p->exec_cpu_affinity->final, "0-3,7");
    }
}

static void
check_hook (const oci_hook *h, const char *path, size_t args_len, size_t env_len, long long timeout)
{
  CHECK_STR (h->path, path);
  CHECK_INT (h->args_len, args_len);
  CHECK_INT (h->env_len, env_len);
  CHECK_INT (h->has_timeout, timeout > 0);
  if (timeout > 0)
    CHECK_INT (h->timeout, timeout);
}

static void
check_full_resources (const oci_resources *r)
{
  CHECK_INT (r->devices_len, 2);
  CHECK (!r->devices[0].allow);
  CHECK (r->devices[0].type == NULL);
  CHECK (!r->devices[0].has_major && !r->devices[0].has_minor);
  CHECK_STR (r->devices[0].access, "rwm");
  CHECK (r->devices[1].allow);
  CHECK_STR (r->devices[1].type, "c");
  CHECK (r->devices[1].has_major && r->devices[1].major == 10);
  CHECK (r->devices[1].has_minor && r->devices[1].minor == 229);
  CHECK_STR (r->devices[1].access, "rw");

  CHECK (r->memory != NULL);
  if (r->memory)
    {
      const oci_memory *m = r->memory;
      CHECK (m->has_limit && m->limit == 536870912);
      CHECK (m->has_reservation && m->reservation == 0);
      CHECK (m->has_swap && m->swap == -1);
      CHECK (m->has_kernel && m->kernel == 0);
      CHECK (m->has_kernel_tcp && m->kernel_tcp == 1024);
      CHECK (m->has_swappiness && m->swappiness == 0);
      CHECK (m->has_disable_oom_killer && !m->disable_oom_killer);
      CHECK (m->has_use_hierarchy && m->use_hierarchy);
      CHECK (m->has_check_before_update && m->check_before_update);
    }
  CHECK (r->cpu != NULL);
  if (r->cpu)
    {
      const oci_cpu *c = r->cpu;
      CHECK (c->has_shares && c->shares == 1024);
      CHECK (c->has_quota && c->quota == -1);
      CHECK (c->has_burst && c->burst == 500);
      CHECK (c->has_period && c->period == 100000);
      CHECK (c->has_realtime_runtime && c->realtime_runtime == 950000);
      CHECK (c->has_realtime_period && c->realtime_period == 1000000);
      CHECK_STR (c->cpus, "2-3");
      CHECK_STR (c->mems, "0-7");
      CHECK (c->has_idle && c->idle == 0);
    }
  CHECK (r->block_io != NULL);
  if (r->block_io)
    {
      const oci_blkio *b = r->block_io;
      CHECK (b->has_weight && b->weight == 10);
      CHECK (b->has_leaf_weight && b->leaf_weight == 10);
      CHECK_INT (b->weight_device_len, 2);
      CHECK_INT (b->weight_device[0].major, 8);
      CHECK_INT (b->weight_device[0].minor, 0);
      CHECK (b->weight_device[0].has_weight && b->weight_device[0].weight == 500);
      CHECK (b->weight_device[0].has_leaf_weight && b->weight_device[0].leaf_weight == 300);
      CHECK (b->weight_device[1].has_weight && !b->weight_device[1].has_leaf_weight);
      CHECK_INT (b->weight_device[1].minor, 16);
      CHECK_INT (b->throttle_read_bps_device_len, 1);
      CHECK_INT (b->throttle_read_bps_device[0].rate, 600);
      CHECK_INT (b->throttle_write_bps_device_len, 1);
      CHECK_INT (b->throttle_write_bps_device[0].minor, 1);
      CHECK_INT (b->throttle_write_bps_device[0].rate, 601);
      CHECK_INT (b->throttle_read_iops_device_len, 1);
      CHECK_INT (b->throttle_read_iops_device[0].rate, 602);
      CHECK_INT (b->throttle_write_iops_device_len, 2);
      CHECK_INT (b->throttle_write_iops_device[1].major, 8);
      CHECK_INT (b->throttle_write_iops_device[1].minor, 4);
      CHECK_INT (b->throttle_write_iops_device[1].rate, 604);
    }
  CHECK_INT (r->hugepage_limits_len, 2);
  CHECK_STR (r->hugepage_limits[0].page_size, "2MB");
  CHECK_INT (r->hugepage_limits[0].limit, 209715200);
  CHECK_STR (r->hugepage_limits[1].page_size, "1GB");
  CHECK_INT (r->hugepage_limits[1].limit, 0);
  CHECK (r->network != NULL);
  if (r->network)
    {
      CHECK (r->network->has_class_id && r->network->class_id == 1048577);
      CHECK_INT (r->network->priorities_len, 2);
      CHECK_STR (r->network->priorities[1].name, "eth1");
      CHECK_INT (r->network->priorities[1].priority, 1000);
    }
  CHECK (r->pids != NULL && r->pids->limit == 32771);
  CHECK_INT (r->rdma_len, 2);
  CHECK_STR (r->rdma[0].name, "mlx5_1");
  CHECK (r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3);
  CHECK (r->rdma[0].has_hca_objects && r->rdma[0].hca_objects == 10000);
  CHECK_STR (r->rdma[1].name, "mlx4_0");
  CHECK (!r->rdma[1].has_hca_handles);
  CHECK (r->rdma[1].has_hca_objects && r->rdma[1].hca_objects == 1000);
  CHECK_INT (r->unified.len, 2);
  CHECK_STR (r->unified.keys[0], "io.max");
  CHECK_STR (oci_map_get (&r->unified, "io.max"), "259:0 rbps=2097152");
  CHECK_STR (oci_map_get (&r->unified, "memory.high"), "max");
}

static void
check_full_linux (const oci_linux *l)
{
  static const char *const ns[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };
  size_t i;

  CHECK_INT (l->namespaces_len, 8);
  for (i = 0; i < 8 && i < l->namespaces_len; i++)
    CHECK_STR (l->namespaces[i].type, ns[i]);
  CHECK_STR (l->namespaces[1].path, "/var/run/netns/neta");
  CHECK (l->namespaces[0].path == NULL);

  CHECK_INT (l->uid_mappings_len, 1);
  CHECK_INT (l->uid_mappings[0].container_id, 0);
  CHECK_INT (l->uid_mappings[0].host_id, 1000);
  CHECK_INT (l->uid_mappings[0].size, 32000);
  CHECK_INT (l->gid_mappings_len, 2);
  CHECK_INT (l->gid_mappings[1].container_id, 32000);
  CHECK_INT (l->gid_mappings[1].host_id, 50000);
  CHECK_INT (l->gid_mappings[1].size, 1);

  /* "realtime" is not a time namespace clock: ignored like any unknown key */
  CHECK_INT (l->time_offsets_len, 2);
  CHECK_STR (l->time_offsets[0].name, "monotonic");
  CHECK_INT (l->time_offsets[0].secs, -172800);
  CHECK_INT (l->time_offsets[0].nanosecs, 0);
  CHECK_STR (l->time_offsets[1].name, "boottime");
  CHECK_INT (l->time_offsets[1].secs, 604800);
  CHECK_INT (l->time_offsets[1].nanosecs, 999999999);

  CHECK_INT (l->devices_len, 3);
  CHECK_STR (l->devices[0].path, "/dev/fuse");
  CHECK_STR (l->devices[0].type, "c");
  CHECK_INT (l->devices[0].major, 10);
  CHECK_INT (l->devices[0].minor, 229);
  CHECK (l->devices[0].has_file_mode && l->devices[0].file_mode == 0666);
  CHECK (l->devices[0].has_uid && l->devices[0].uid == 0);
  CHECK (l->devices[0].has_gid && l->devices[0].gid == 0);
  CHECK_STR (l->devices[1].type, "b");
  CHECK (!l->devices[1].has_file_mode && !l->devices[1].has_uid && !l->devices[1].has_gid);
  CHECK_STR (l->devices[2].type, "p");

  CHECK_STR (l->cgroups_path, "/myRuntime/myContainer");
  CHECK (l->resources != NULL);
  if (l->resources)
    check_full_resources (l->resources);

  CHECK (l->intel_rdt != NULL);
  if (l->intel_rdt)
    {
      CHECK_STR (l->intel_rdt->clos_id, "guaranteed_group");
      CHECK_STR (l->intel_rdt->l3_cache_schema, "L3:0=7f0;1=1f");
      CHECK_STR (l->intel_rdt->mem_bw_schema, "MB:0=20;1=70");
      CHECK_INT (l->intel_rdt->schemata_len, 2);
      CHECK_STR (l->intel_rdt->schemata[1], "MB:0=50");
      CHECK (l->intel_rdt->enable_monitoring);
    }

  CHECK_INT (l->sysctl.len, 2);
  CHECK_STR (l->sysctl.keys[0], "net.ipv4.ip_forward");
  CHECK_STR (l->sysctl.values[0], "1");
  CHECK_STR (oci_map_get (&l->sysctl, "net.core.somaxconn"), "256");

  CHECK (l->seccomp != NULL);
  if (l->seccomp)
    {
      const oci_seccomp *s = l->seccomp;
      CHECK_STR (s->default_action, "SCMP_ACT_ERRNO");
      CHECK (s->has_default_errno_ret && s->default_errno_ret == 1);
      CHECK_INT (s->architectures_len, 2);
      CHECK_STR (s->architectures[1], "SCMP_ARCH_X86");
      CHECK_INT (s->flags_len, 1);
      CHECK_STR (s->flags[0], "SECCOMP_FILTER_FLAG_LOG");
      CHECK_STR (s->listener_path, "/run/seccomp-agent.sock");
      CHECK_STR (s->listener_metadata, "metadata-string");
      CHECK_INT (s->syscalls_len, 2);
      CHECK_INT (s->syscalls[0].names_len, 2);
      CHECK_STR (s->syscalls[0].names[1], "chmod");
      CHECK_STR (s->syscalls[0].action, "SCMP_ACT_ALLOW");
      CHECK (!s->syscalls[0].has_errno_ret);
      CHECK (s->syscalls[0].args == NULL && s->syscalls[0].args_len == 0);
      CHECK (s->syscalls[1].has_errno_ret && s->syscalls[1].errno_ret == 38);
      CHECK_INT (s->syscalls[1].args_len, 2);
      CHECK_INT (s->syscalls[1].args[0].index, 0);
      CHECK (s->syscalls[1].args[0].value == UINT64_MAX);
      CHECK (!s->syscalls[1].args[0].has_value_two);
      CHECK_STR (s->syscalls[1].args[0].op, "SCMP_CMP_EQ");
      CHECK_INT (s->syscalls[1].args[1].index, 1);
      CHECK_INT (s->syscalls[1].args[1].value, 255);
      CHECK (s->syscalls[1].args[1].has_value_two && s->syscalls[1].args[1].value_two == 8);
      CHECK_STR (s->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");
    }

  CHECK_STR (l->rootfs_propagation, "slave");
  CHECK_INT (l->masked_paths_len, 2);
  CHECK_STR (l->masked_paths[1], "/proc/keys");
  CHECK_INT (l->readonly_paths_len, 1);
  CHECK_STR (l->readonly_paths[0], "/proc/sys");
  CHECK_STR (l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811");
  CHECK (l->personality != NULL);
  if (l->personality)
    {
      CHECK_STR (l->personality->domain, "LINUX32");
      CHECK (l->personality->flags != NULL && l->personality->flags_len == 0);
    }
  CHECK (l->memory_policy != NULL);
  if (l->memory_policy)
    {
      CHECK_STR (l->memory_policy->mode, "MPOL_INTERLEAVE");
      CHECK_STR (l->memory_policy->nodes, "2-3");
      CHECK_INT (l->memory_policy->flags_len, 1);
      CHECK_STR (l->memory_policy->flags[0], "MPOL_F_STATIC_NODES");
    }
  CHECK_INT (l->net_devices_len, 2);
  CHECK_STR (l->net_devices[0].host_name, "eth0");
  CHECK_STR (l->net_devices[0].name, "ctr_eth0");
  CHECK_STR (l->net_devices[1].host_name, "ens4");
  CHECK (l->net_devices[1].name == NULL);
}

static void
check_full_config (const oci_config *c)
{
  CHECK_STR (c->oci_version, "1.3.0");
  CHECK (c->root != NULL);
  if (c->root)
    {
      CHECK_STR (c->root->path, "rootfs");
      CHECK (c->root->readonly);
    }
  CHECK_INT (c->mounts_len, 2);
  CHECK_STR (c->mounts[0].destination, "/proc");
  CHECK_STR (c->mounts[0].type, "proc");
  CHECK_STR (c->mounts[0].source, "proc");
  CHECK (c->mounts[0].options == NULL && c->mounts[0].options_len == 0);
  CHECK (c->mounts[0].uid_mappings == NULL);
  CHECK_STR (c->mounts[1].destination, "/data");
  CHECK_INT (c->mounts[1].options_len, 3);
  CHECK_STR (c->mounts[1].options[2], "idmap");
  CHECK_INT (c->mounts[1].uid_mappings_len, 1);
  CHECK_INT (c->mounts[1].uid_mappings[0].host_id, 100000);
  CHECK_INT (c->mounts[1].uid_mappings[0].size, 65536);
  CHECK_INT (c->mounts[1].gid_mappings_len, 1);
  CHECK_INT (c->mounts[1].gid_mappings[0].container_id, 1);
  CHECK_INT (c->mounts[1].gid_mappings[0].host_id, 200000);

  CHECK (c->process != NULL);
  if (c->process)
    check_full_process (c->process);

  CHECK_STR (c->hostname, "mrsdalloway");
  CHECK_STR (c->domainname, "example.org");

  CHECK (c->hooks != NULL);
  if (c->hooks)
    {
      const oci_hooks *h = c->hooks;
      CHECK_INT (h->prestart_len, 2);
      check_hook (&h->prestart[0], "/usr/bin/fix-mounts", 2, 1, 0);
      check_hook (&h->prestart[1], "/usr/bin/setup-network", 0, 0, 0);
      CHECK (h->prestart[1].args == NULL);
      CHECK_INT (h->create_runtime_len, 1);
      check_hook (&h->create_runtime[0], "/usr/bin/cr", 0, 0, 5);
      CHECK_INT (h->create_container_len, 1);
      check_hook (&h->create_container[0], "/usr/bin/cc", 0, 0, 0);
      CHECK_INT (h->start_container_len, 1);
      check_hook (&h->start_container[0], "/usr/bin/sc", 0, 0, 0);
      CHECK_INT (h->poststart_len, 1);
      check_hook (&h->poststart[0], "/usr/bin/notify-start", 1, 0, 5);
      CHECK_INT (h->poststop_len, 1);
      check_hook (&h->poststop[0], "/usr/sbin/cleanup.sh", 2, 0, 0);
      CHECK_STR (h->poststop[0].args[1], "-f");
    }

  CHECK_INT (c->annotations.len, 2);
  CHECK_STR (c->annotations.keys[1], "com.example.key2");
  CHECK_STR (c->annotations.values[1], "value2");
  CHECK_STR (oci_map_get (&c->annotations, "com.example.key1"), "value1");

  CHECK (c->linux_ != NULL);
  if (c->linux_)
    check_full_linux (c->linux_);
}

static void
test_full_config (void)
{
  size_t len;
  char *data = read_fixture ("config-full.json", &len);
  char *err = NULL;
  oci_config *c = oci_config_parse_data (data, len, "config.json", &err);

  CHECK (c != NULL);
  if (c == NULL)
    fprintf (stderr, "  error: %s\n", err);
  else
    check_full_config (c);
  oci_config_free (c);
  free (err);
  free (data);
}

static void
test_parse_file (void)
{
  char *err = NULL;
  oci_config *c = oci_config_parse_file (TEST_DATA_DIR "/config-full.json", NULL, &err);
  CHECK (c != NULL && err == NULL);
  if (c)
    check_full_config (c);
  oci_config_free (c);

  c = oci_config_parse_file ("/nonexistent/config.json", "bundle/config.json", &err);
  CHECK (c == NULL);
  CHECK_STR (err, "bundle/config.json: cannot read `/nonexistent/config.json`: No such file or directory");
  free (err);
}

static void
test_minimal_all_absent (void)
{
  oci_config *c = EXPECT_OK ("{\"ociVersion\": \"1.0.0\"}");
  if (c == NULL)
    return;
  CHECK_STR (c->oci_version, "1.0.0");
  CHECK (c->root == NULL);
  CHECK (c->mounts == NULL && c->mounts_len == 0);
  CHECK (c->process == NULL);
  CHECK (c->hostname == NULL && c->domainname == NULL);
  CHECK (c->hooks == NULL);
  CHECK (c->annotations.keys == NULL && c->annotations.len == 0);
  CHECK (c->linux_ == NULL);
  oci_config_free (c);
}

static void
test_absent_vs_zero (void)
{
  oci_config *c;

  /* every optional scalar absent */
  c = EXPECT_OK ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
                 "\"linux\":{\"resources\":{\"memory\":{},\"cpu\":{},\"blockIO\":{},\"network\":{}},"
                 "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}");
  if (c)
    {
      oci_process *p = c->process;
      oci_memory *m = c->linux_->resources->memory;
      oci_cpu *cpu = c->linux_->resources->cpu;
      CHECK (!p->terminal && p->console_size == NULL);
      CHECK (!p->user.has_umask);
      CHECK (p->user.additional_gids == NULL);
      CHECK (p->args == NULL && p->env == NULL && p->capabilities == NULL && p->rlimits == NULL);
      CHECK (!p->has_oom_score_adj);
      CHECK (!p->no_new_privileges);
      CHECK (p->scheduler == NULL && p->io_priority == NULL && p->exec_cpu_affinity == NULL);
      CHECK (!m->has_limit && !m->has_reservation && !m->has_swap && !m->has_kernel && !m->has_kernel_tcp);
      CHECK (!m->has_swappiness && !m->has_disable_oom_killer && !m->has_use_hierarchy);
      CHECK (!m->has_check_before_update);
      CHECK (!cpu->has_shares && !cpu->has_quota && !cpu->has_burst && !cpu->has_period);
      CHECK (!cpu->has_realtime_runtime && !cpu->has_realtime_period && !cpu->has_idle);
      CHECK (cpu->cpus == NULL && cpu->mems == NULL);
      CHECK (!c->linux_->resources->block_io->has_weight);
      CHECK (!c->linux_->resources->network->has_class_id);
      CHECK (c->linux_->resources->pids == NULL);
      CHECK (!c->linux_->seccomp->has_default_errno_ret);
      CHECK (c->linux_->seccomp->syscalls == NULL);
      oci_config_free (c);
    }

  /* every optional scalar present and zero; empty arrays and maps present */
  c = EXPECT_OK ("{\"ociVersion\":\"1\",\"mounts\":[],\"annotations\":{},"
                 "\"process\":{\"cwd\":\"/\",\"terminal\":false,\"args\":[],\"env\":[],"
                 "\"user\":{\"uid\":0,\"gid\":0,\"umask\":0,\"additionalGids\":[]},\"oomScoreAdj\":0},"
                 "\"linux\":{\"maskedPaths\":[],\"sysctl\":{},\"resources\":{"
                 "\"memory\":{\"limit\":0,\"swap\":0,\"swappiness\":0,\"disableOOMKiller\":false},"
                 "\"cpu\":{\"shares\":0,\"quota\":0,\"idle\":0},\"pids\":{\"limit\":0}}}}");
  if (c)
    {
      oci_process *p = c->process;
      oci_memory *m = c->linux_->resources->memory;
      CHECK (c->mounts != NULL && c->mounts_len == 0);
      CHECK (c->annotations.keys != NULL && c->annotations.len == 0);
      CHECK (p->args != NULL && p->args_len == 0 && p->args[0] == NULL);
      CHECK (p->env != NULL && p->env_len == 0);
      CHECK (p->user.has_umask && p->user.umask == 0);
      CHECK (p->user.additional_gids != NULL && p->user.additional_gids_len == 0);
      CHECK (p->has_oom_score_adj && p->oom_score_adj == 0);
      CHECK (m->has_limit && m->limit == 0);
      CHECK (m->has_swap && m->swap == 0);
      CHECK (m->has_swappiness && m->swappiness == 0);
      CHECK (m->has_disable_oom_killer && !m->disable_oom_killer);
      CHECK (!m->has_reservation);
      CHECK (c->linux_->resources->cpu->has_shares && c->linux_->resources->cpu->shares == 0);
      CHECK (c->linux_->resources->cpu->has_quota && c->linux_->resources->cpu->has_idle);
      CHECK (c->linux_->resources->pids && c->linux_->resources->pids->limit == 0);
      CHECK (c->linux_->masked_paths != NULL && c->linux_->masked_paths_len == 0);
      CHECK (c->linux_->readonly_paths == NULL);
      CHECK (c->linux_->sysctl.len == 0);
      oci_config_free (c);
    }

  /* objects runc reads with Go zero values (docs/runc-compat.md): "user": {}
     is uid 0 gid 0, "pids": {} a limit of 0 ("not set") */
  c = EXPECT_OK ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{}},"
                 "\"linux\":{\"resources\":{\"pids\":{}}}}");
  if (c)
    {
      CHECK (c->process->user.uid == 0 && c->process->user.gid == 0 && !c->process->user.has_umask);
      CHECK (c->linux_->resources->pids != NULL && c->linux_->resources->pids->limit == 0);
      oci_config_free (c);
    }
  c = EXPECT_OK ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"gid\":7}}}");
  if (c)
    {
      CHECK (c->process->user.uid == 0 && c->process->user.gid == 7);
      oci_config_free (c);
    }
}

static void
test_null_is_absent (void)
{
  oci_config *c = EXPECT_OK ("{\"ociVersion\":\"1\",\"hostname\":null,\"root\":null,\"mounts\":null,"
                             "\"annotations\":{\"a\":null,\"b\":\"x\"},"
                             "\"linux\":{\"resources\":{\"memory\":{\"limit\":null}},\"rdma\":null,"
                             "\"netDevices\":{\"eth0\":null}}}");
  if (c == NULL)
    return;
  CHECK (c->hostname == NULL && c->root == NULL && c->mounts == NULL);
  CHECK_INT (c->annotations.len, 1);
  CHECK_STR (oci_map_get (&c->annotations, "b"), "x");
  CHECK (!c->linux_->resources->memory->has_limit);
  CHECK_INT (c->linux_->net_devices_len, 0);
  oci_config_free (c);

  /* a required property given as null is missing */
  EXPECT_ERROR ("{\"ociVersion\":null}", "config.json: ociVersion: missing required property");
  /* but null is not a string inside an array */
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"maskedPaths\":[\"/a\",null]}}",
                "config.json: linux.maskedPaths[1]: expected a string, got null");
}

static void
test_unknown_properties (void)
{
  oci_config *c = EXPECT_OK (
      "{\"ociVersion\":\"1\",\"future\":[1,{\"x\":true}],\"solaris\":{\"anet\":[]},\"vm\":{\"kernel\":5},"
      "\"root\":{\"path\":\"r\",\"extra\":{}},"
      "\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":1,\"gid\":2,\"sid\":\"x\"},\"newThing\":[\"a\"]},"
      "\"mounts\":[{\"destination\":\"/m\",\"clearOnExit\":1}],"
      "\"linux\":{\"resources\":{\"memory\":{\"limit\":5,\"bogus\":\"str\"},\"newController\":{\"a\":1}},"
      "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"newKey\":null},\"unknownLinux\":\"x\"}}");
  if (c == NULL)
    return;
  CHECK_STR (c->root->path, "r");
  CHECK_INT (c->process->user.uid, 1);
  CHECK_INT (c->process->user.gid, 2);
  CHECK_STR (c->mounts[0].destination, "/m");
  CHECK (c->linux_->resources->memory->has_limit && c->linux_->resources->memory->limit == 5);
  oci_config_free (c);
}

static void
test_duplicate_keys (void)
{
  /* the last one wins; nothing leaks (checked under ASan) */
  oci_config *c = EXPECT_OK (
      "{\"ociVersion\":\"1\",\"ociVersion\":\"2\",\"hostname\":\"a\",\"hostname\":\"b\","
      "\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],\"args\":[\"b\",\"c\"],"
      "\"user\":{\"uid\":1,\"gid\":1,\"additionalGids\":[1]},"
      "\"user\":{\"uid\":2,\"gid\":2}},"
      "\"linux\":{\"resources\":{\"memory\":{\"limit\":1}},\"resources\":{\"pids\":{\"limit\":3}}},"
      "\"annotations\":{\"k\":\"1\",\"k\":\"2\"}}");
  if (c == NULL)
    return;
  CHECK_STR (c->oci_version, "2");
  CHECK_STR (c->hostname, "b");
  CHECK_INT (c->process->args_len, 2);
  CHECK_STR (c->process->args[0], "b");
  CHECK_INT (c->process->user.uid, 2);
  CHECK (c->process->user.additional_gids == NULL);
  CHECK (c->linux_->resources->memory == NULL);
  CHECK (c->linux_->resources->pids != NULL);
  CHECK_STR (oci_map_get (&c->annotations, "k"), "2");
  oci_config_free (c);
}

static void
test_malformed_json (void)
{
  static const char *const docs[] = {
    "",
    "{",
    "{\"ociVersion\": }",
    "{\"ociVersion\": \"1\",}",
    "{\"ociVersion\": \"1\"} x",
    "{'a': 1}",
    "{\"a\": tru}",
    "{\"a\": \"unterminated}",
    "\xff\xfe",
  };
  size_t i;

  for (i = 0; i < sizeof (docs) / sizeof (docs[0]); i++)
    {
      char *err = NULL;
      oci_config *c = parse (docs[i], &err);
      CHECK (c == NULL);
      CHECK (err != NULL);
      if (err == NULL)
        continue;
      if (strncmp (err, "config.json: syntax error at line ", 34) != 0 || strchr (err, '\n') != NULL
          || strstr (err, ", column ") == NULL)
        {
          fprintf (stderr, "  doc %zu: bad error \"%s\"\n", i, err);
          test_failed = true;
        }
      oci_config_free (c);
      free (err);
    }
  EXPECT_ERROR ("{", "config.json: syntax error at line 1, column 2: premature EOF");
  EXPECT_ERROR ("", "config.json: syntax error at line 1, column 1: premature EOF");
  /* a missing `}` closes `user` at process's brace: process then lacks
     cwd, but the document is not JSON at all, and that is the error */
  EXPECT_ERROR ("{\n \"ociVersion\": \"1\",\n \"process\": {\n  \"user\": {\"uid\": 0, \"gid\": 0,\n"
                "  \"args\": [\"sh\"], \"cwd\": \"/\"\n },\n \"root\": {\"path\": \"r\"}\n}\n",
                "config.json: syntax error at line 8, column 2: premature EOF");
  /* a wrong value before a syntax error further on: the syntax error */
  EXPECT_ERROR ("{\"ociVersion\": 1, \"hostname\": \"h\" \"x\"}",
                "config.json: syntax error at line 1, column 36: after key and value, inside map, I expect ',' or '}'");
  /* a well-formed document keeps its value errors */
  EXPECT_ERROR ("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"sh\"]}}",
                "config.json: process.cwd: missing required property");

  EXPECT_ERROR ("{\"ociVersion\": \"1\"} x", "config.json: syntax error at line 1, column 21: trailing garbage");
  EXPECT_ERROR ("{\n  \"ociVersion\": \"1\",\n  \"root\": {'path': 1}\n}",
                "config.json: syntax error at line 3, column 12: invalid char in json text");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"hostname\":\"\xff\"}",
                "config.json: syntax error at line 1, column 31: invalid bytes in UTF8 string");

  /* a raw NUL byte inside the buffer, and an escaped one in a string */
  {
    char *err = NULL;
    oci_config *c = oci_config_parse_data ("{\"ociVersion\":\"1\"}\0junk", 23, "config.json", &err);
    CHECK (c == NULL);
    CHECK_STR (err, "config.json: syntax error at line 1, column 19: trailing garbage");
    free (err);
  }
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"args\":[\"a\\u0000b\"]}}",
                "config.json: process.args[0]: string contains a NUL character");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"annotations\":{\"a\\u0000b\":\"x\"}}",
                "config.json: annotations: a key contains a NUL character");

  /* absurd nesting: skipped in an unknown property (no recursion anywhere),
     a type error in a known one */
  {
    size_t n = 200000, i;
    char *doc = malloc (n * 2 + 64), *err = NULL;
    char *p;
    oci_config *c;

    p = doc + sprintf (doc, "{\"ociVersion\":\"1\",\"x\":");
    for (i = 0; i < n; i++)
      *p++ = '[';
    for (i = 0; i < n; i++)
      *p++ = ']';
    strcpy (p, "}");
    c = parse (doc, &err);
    CHECK (c != NULL && err == NULL);
    oci_config_free (c);

    p = doc + sprintf (doc, "{\"ociVersion\":\"1\",\"linux\":");
    for (i = 0; i < n; i++)
      *p++ = '[';
    for (i = 0; i < n; i++)
      *p++ = ']';
    strcpy (p, "}");
    c = parse (doc, &err);
    CHECK (c == NULL);
    CHECK_STR (err, "config.json: linux: expected an object, got an array");
    free (err);
    free (doc);
  }
}

static void
test_top_level_not_object (void)
{
  EXPECT_ERROR ("[]", "config.json: expected a JSON object at the top level, got an array");
  EXPECT_ERROR ("\"str\"", "config.json: expected a JSON object at the top level, got a string");
  EXPECT_ERROR ("42", "config.json: expected a JSON object at the top level, got an integer");
  EXPECT_ERROR ("null", "config.json: expected a JSON object at the top level, got null");
  EXPECT_ERROR ("true", "config.json: expected a JSON object at the top level, got a boolean");
}

static void
test_wrong_types (void)
{
  EXPECT_ERROR ("{\"ociVersion\":1}", "config.json: ociVersion: expected a string, got an integer");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"root\":\"rootfs\"}", "config.json: root: expected an object, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\",\"readonly\":\"true\"}}",
                "config.json: root.readonly: expected a boolean, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"mounts\":{}}", "config.json: mounts: expected an array, got an object");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\"},"
                "{\"destination\":5}]}",
                "config.json: mounts[2].destination: expected a string, got an integer");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/a\"},[]]}",
                "config.json: mounts[1]: expected an object, got an array");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/a\",\"options\":\"ro\"}]}",
                "config.json: mounts[0].options: expected an array of strings, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"mounts\":[{\"destination\":\"/a\",\"uidMappings\":"
                "[{\"containerID\":0,\"hostID\":\"1000\",\"size\":1}]}]}",
                "config.json: mounts[0].uidMappings[0].hostID: expected an integer, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\",true]}}",
                "config.json: process.args[1]: expected a string, got a boolean");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,"
                "\"additionalGids\":[1,\"2\"]}}}",
                "config.json: process.user.additionalGids[1]: expected an integer, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"terminal\":1}}",
                "config.json: process.terminal: expected a boolean, got an integer");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
                "config.json: linux.resources.memory.limit: expected an integer, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"limit\":1.5}}}}",
                "config.json: linux.resources.memory.limit: expected an integer, got 1.5");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"limit\":1e9}}}}",
                "config.json: linux.resources.memory.limit: expected an integer, got 1e9");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":1}}}",
                "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got an integer");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"annotations\":{\"a\\\"b\":{}}}",
                "config.json: annotations[\"a\\\"b\"]: expected a string, got an object");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"annotations\":[]}",
                "config.json: annotations: expected an object, got an array");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"rdma\":{\"mlx5\":{\"hcaHandles\":\"3\"}}}}}",
                "config.json: linux.resources.rdma[\"mlx5\"].hcaHandles: expected an integer, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"rdma\":[]}}}",
                "config.json: linux.resources.rdma: expected an object, got an array");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"netDevices\":{\"eth0\":{\"name\":[]}}}}",
                "config.json: linux.netDevices[\"eth0\"].name: expected a string, got an array");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"timeOffsets\":{\"boottime\":{\"secs\":\"1\"}}}}",
                "config.json: linux.timeOffsets[\"boottime\"].secs: expected an integer, got a string");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
                "[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
                "\"op\":\"SCMP_CMP_EQ\",\"valueTwo\":false}]}]}}}",
                "config.json: linux.seccomp.syscalls[0].args[0].valueTwo: expected an integer, got a boolean");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"env\":[1]}]}}",
                "config.json: hooks.poststop[0].env[0]: expected a string, got an integer");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"blockIO\":{\"throttleReadIOPSDevice\":"
                "[{\"major\":8,\"minor\":0,\"rate\":{}}]}}}}",
                "config.json: linux.resources.blockIO.throttleReadIOPSDevice[0].rate: expected an integer, got an "
                "object");
}

static void
test_missing_required (void)
{
#define V "{\"ociVersion\":\"1\","
  EXPECT_ERROR ("{}", "config.json: ociVersion: missing required property");
  EXPECT_ERROR (V "\"root\":{\"readonly\":true}}", "config.json: root.path: missing required property");
  EXPECT_ERROR (V "\"mounts\":[{\"destination\":\"/a\"},{\"source\":\"/b\"}]}",
                "config.json: mounts[1].destination: missing required property");
  EXPECT_ERROR (V "\"mounts\":[{\"destination\":\"/a\",\"gidMappings\":[{\"containerID\":0,\"hostID\":0}]}]}",
                "config.json: mounts[0].gidMappings[0].size: missing required property");
  EXPECT_ERROR (V "\"process\":{\"args\":[\"sh\"]}}", "config.json: process.cwd: missing required property");
  EXPECT_ERROR (V "\"process\":{\"cwd\":\"/\",\"consoleSize\":{\"height\":1}}}",
                "config.json: process.consoleSize.width: missing required property");
  EXPECT_ERROR (V "\"process\":{\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]}}",
                "config.json: process.rlimits[0].hard: missing required property");
  EXPECT_ERROR (V "\"process\":{\"cwd\":\"/\",\"rlimits\":[{\"hard\":1,\"soft\":1}]}}",
                "config.json: process.rlimits[0].type: missing required property");
  EXPECT_ERROR (V "\"process\":{\"cwd\":\"/\",\"scheduler\":{\"nice\":1}}}",
                "config.json: process.scheduler.policy: missing required property");
  EXPECT_ERROR (V "\"process\":{\"cwd\":\"/\",\"ioPriority\":{\"priority\":1}}}",
                "config.json: process.ioPriority.class: missing required property");
  EXPECT_ERROR (V "\"hooks\":{\"createRuntime\":[{\"path\":\"/a\"},{\"args\":[]}]}}",
                "config.json: hooks.createRuntime[1].path: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"namespaces\":[{\"path\":\"/proc/1/ns/net\"}]}}",
                "config.json: linux.namespaces[0].type: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"uidMappings\":[{\"hostID\":0,\"size\":1}]}}",
                "config.json: linux.uidMappings[0].containerID: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"gidMappings\":[{\"containerID\":0,\"size\":1}]}}",
                "config.json: linux.gidMappings[0].hostID: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"major\":1,\"minor\":1}]}}",
                "config.json: linux.devices[0].type: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"devices\":[{\"type\":\"c\",\"major\":1,\"minor\":1}]}}",
                "config.json: linux.devices[0].path: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"minor\":1}]}}",
                "config.json: linux.devices[0].major: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"devices\":[{\"type\":\"b\",\"path\":\"/dev/x\",\"major\":1}]}}",
                "config.json: linux.devices[0].minor: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}}}",
                "config.json: linux.resources.devices[0].allow: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"resources\":{\"hugepageLimits\":[{\"limit\":1}]}}}",
                "config.json: linux.resources.hugepageLimits[0].pageSize: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"resources\":{\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]}}}",
                "config.json: linux.resources.hugepageLimits[0].limit: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"resources\":{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"weight\":1}]}}}}",
                "config.json: linux.resources.blockIO.weightDevice[0].minor: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"resources\":{\"blockIO\":{\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0}]}}}}",
                "config.json: linux.resources.blockIO.throttleWriteBpsDevice[0].rate: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"resources\":{\"blockIO\":{\"throttleReadBpsDevice\":[{\"minor\":0,\"rate\":1}]}}}}",
                "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].major: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"resources\":{\"network\":{\"priorities\":[{\"name\":\"eth0\"}]}}}}",
                "config.json: linux.resources.network.priorities[0].priority: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"seccomp\":{\"syscalls\":[]}}}",
                "config.json: linux.seccomp.defaultAction: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"action\":\"x\"}]}}}",
                "config.json: linux.seccomp.syscalls[0].names: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[]}]}}}",
                "config.json: linux.seccomp.syscalls[0].action: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"seccomp\":{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"B\","
                  "\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
                "config.json: linux.seccomp.syscalls[0].args[0].index: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"seccomp\":{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"B\","
                  "\"args\":[{\"index\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
                "config.json: linux.seccomp.syscalls[0].args[0].value: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"seccomp\":{\"defaultAction\":\"A\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"B\","
                  "\"args\":[{\"index\":1,\"value\":2}]}]}}}",
                "config.json: linux.seccomp.syscalls[0].args[0].op: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"personality\":{\"flags\":[]}}}",
                "config.json: linux.personality.domain: missing required property");
  EXPECT_ERROR (V "\"linux\":{\"memoryPolicy\":{\"nodes\":\"0\"}}}",
                "config.json: linux.memoryPolicy.mode: missing required property");
#undef V
}

static void
test_out_of_range (void)
{
#define P "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"user\":{"
  EXPECT_ERROR (P "\"uid\":-1,\"gid\":0}}}", "config.json: process.user.uid: value -1 out of range [0, 4294967295]");
  EXPECT_ERROR (P "\"uid\":0,\"gid\":4294967296}}}",
                "config.json: process.user.gid: value 4294967296 out of range [0, 4294967295]");
  EXPECT_ERROR (P "\"uid\":0,\"gid\":0,\"additionalGids\":[99999999999]}}}",
                "config.json: process.user.additionalGids[0]: value 99999999999 out of range [0, 4294967295]");
  EXPECT_ERROR (P "\"uid\":0,\"gid\":0,\"umask\":512}}}",
                "config.json: process.user.umask: value 512 out of range [0, 511] (0777)");
#undef P
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"oomScoreAdj\":2147483648}}",
                "config.json: process.oomScoreAdj: value 2147483648 out of range [-2147483648, 2147483647]");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"oomScoreAdj\":-2147483649}}",
                "config.json: process.oomScoreAdj: value -2147483649 out of range [-2147483648, 2147483647]");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"limit\":9223372036854775808}}}}",
                "config.json: linux.resources.memory.limit: value 9223372036854775808 out of range "
                "[-9223372036854775808, 9223372036854775807]");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":{\"swappiness\":-1}}}}",
                "config.json: linux.resources.memory.swappiness: value -1 out of range [0, 18446744073709551615]");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_AS\","
                "\"soft\":1,\"hard\":18446744073709551616}]}}",
                "config.json: process.rlimits[0].hard: value 18446744073709551616 out of range [0, "
                "18446744073709551615]");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"blockIO\":{\"weight\":65536}}}}",
                "config.json: linux.resources.blockIO.weight: value 65536 out of range [0, 65535]");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1,"
                "\"minor\":1,\"fileMode\":4096}]}}",
                "config.json: linux.devices[0].fileMode: value 4096 (010000) is neither permission bits (07777) "
                "nor those plus the file type of \"c\" (020000)");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"devices\":[{\"type\":\"b\",\"path\":\"/dev/x\",\"major\":1,"
                "\"minor\":1,\"fileMode\":8630}]}}",
                "config.json: linux.devices[0].fileMode: value 8630 (020666) is neither permission bits (07777) "
                "nor those plus the file type of \"b\" (060000)");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1,"
                "\"minor\":1,\"fileMode\":73142}]}}",
                "config.json: linux.devices[0].fileMode: value 73142 (0216666) is neither permission bits (07777) "
                "nor those plus the file type of \"c\" (020000)");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"timeOffsets\":{\"monotonic\":{\"nanosecs\":-1}}}}",
                "config.json: linux.timeOffsets[\"monotonic\"].nanosecs: value -1 out of range [0, 4294967295]");

  /* the edges themselves are fine */
  {
    /* podman's --device and --privileged: the host node's st_mode, type bits
       included (S_IFCHR|0666, S_IFBLK|0660, S_IFIFO|0644) */
    oci_config *c = EXPECT_OK ("{\"ociVersion\":\"1\",\"linux\":{\"devices\":["
                               "{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1,\"minor\":3,\"fileMode\":8630},"
                               "{\"type\":\"b\",\"path\":\"/dev/y\",\"major\":7,\"minor\":0,\"fileMode\":25008},"
                               "{\"type\":\"p\",\"path\":\"/dev/z\",\"fileMode\":4516}]}}");
    if (c)
      {
        CHECK (c->linux_->devices[0].file_mode == 020666);
        CHECK (c->linux_->devices[1].file_mode == 060660);
        CHECK (c->linux_->devices[2].file_mode == 010644);
        oci_config_free (c);
      }
  }
  {
    oci_config *c = EXPECT_OK ("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"oomScoreAdj\":-2147483648,"
                               "\"user\":{\"uid\":4294967295,\"gid\":0,\"umask\":511}},"
                               "\"linux\":{\"resources\":{\"memory\":{\"limit\":-9223372036854775808,"
                               "\"swap\":9223372036854775807},\"blockIO\":{\"weight\":65535}}}}");
    if (c)
      {
        CHECK (c->process->oom_score_adj == INT32_MIN);
        CHECK (c->process->user.uid == UINT32_MAX);
        CHECK (c->process->user.umask == 0777);
        CHECK (c->linux_->resources->memory->limit == INT64_MIN);
        CHECK (c->linux_->resources->memory->swap == INT64_MAX);
        CHECK (c->linux_->resources->block_io->weight == 65535);
        oci_config_free (c);
      }
  }
}

static void
test_model_checks (void)
{
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"net\"}]}}",
                "config.json: linux.namespaces[1].type: unknown namespace type \"net\"");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"hooks\":{\"prestart\":[{\"path\":\"/x\",\"timeout\":0}]}}",
                "config.json: hooks.prestart[0].timeout: must be greater than zero, got 0");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"hooks\":{\"poststart\":[{\"path\":\"/x\",\"timeout\":-3}]}}",
                "config.json: hooks.poststart[0].timeout: must be greater than zero, got -3");
  EXPECT_ERROR ("{\"ociVersion\":\"1\",\"linux\":{\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\"}]}}",
                "config.json: linux.devices[0].type: unknown device type \"x\" (expected c, b, u or p)");
  /* a fifo needs no major/minor */
  {
    oci_config *c = EXPECT_OK ("{\"ociVersion\":\"1\",\"linux\":{\"devices\":[{\"type\":\"p\",\"path\":\"/dev/f\"}]}}");
    oci_config_free (c);
  }
}

static void
test_process_json (void)
{
  size_t len;
  char *data = read_fixture ("process-full.json", &len);
  char *err = NULL;
  oci_process *p = oci_process_parse_data (data, len, NULL, &err);

  CHECK (p != NULL);
  if (p)
    check_full_process (p);
  else
    fprintf (stderr, "  error: %s\n", err);
  oci_process_free (p);
  free (err);
  free (data);

  p = oci_process_parse_file (TEST_DATA_DIR "/process-full.json", "exec.json", &err);
  CHECK (p != NULL);
  oci_process_free (p);

  {
    const char *doc = "{\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}";
    p = oci_process_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (p == NULL);
    CHECK_STR (err, "process.json: args: missing required property");
    free (err);
  }
  {
    const char *doc = "{\"args\":[\"sh\"]}";
    p = oci_process_parse_data (doc, strlen (doc), "exec", &err);
    CHECK (p == NULL);
    CHECK_STR (err, "exec: cwd: missing required property");
    free (err);
  }
  {
    const char *doc = "{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":\"CAP_KILL\"}}";
    p = oci_process_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (p == NULL);
    CHECK_STR (err, "process.json: capabilities.bounding: expected an array of strings, got a string");
    free (err);
  }
  {
    const char *doc = "[\"sh\"]";
    p = oci_process_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (p == NULL);
    CHECK_STR (err, "process.json: expected a JSON object at the top level, got an array");
    free (err);
  }
  {
    const char *doc = "{\"args\":[\"sh\"],\"cwd\":\"/\"}";
    p = oci_process_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (p != NULL);
    if (p)
      {
        CHECK_INT (p->args_len, 1);
        CHECK_INT (p->user.uid, 0);
      }
    oci_process_free (p);
  }
}

static void
test_resources_alone (void)
{
  char *err = NULL;
  const char *doc = "{\"memory\":{\"limit\":1048576,\"swap\":-1},\"cpu\":{\"quota\":50000,\"period\":100000},"
                    "\"pids\":{\"limit\":-1},\"unified\":{\"cpu.weight\":\"100\"},\"bogus\":1}";
  oci_resources *r = oci_resources_parse_data (doc, strlen (doc), NULL, &err);

  CHECK (r != NULL);
  if (r)
    {
      CHECK (r->memory && r->memory->has_limit && r->memory->limit == 1048576);
      CHECK (r->memory && r->memory->has_swap && r->memory->swap == -1);
      CHECK (r->cpu && r->cpu->has_quota && r->cpu->quota == 50000 && r->cpu->period == 100000);
      CHECK (r->cpu && !r->cpu->has_shares);
      CHECK (r->pids && r->pids->limit == -1);
      CHECK (r->block_io == NULL && r->network == NULL && r->devices == NULL);
      CHECK_STR (oci_map_get (&r->unified, "cpu.weight"), "100");
    }
  oci_resources_free (r);

  doc = "{\"memory\":{\"limit\":true}}";
  r = oci_resources_parse_data (doc, strlen (doc), "resources.json", &err);
  CHECK (r == NULL);
  CHECK_STR (err, "resources.json: memory.limit: expected an integer, got a boolean");
  free (err);

  doc = "{}";
  r = oci_resources_parse_data (doc, strlen (doc), NULL, &err);
  CHECK (r != NULL && r->memory == NULL && r->unified.len == 0);
  oci_resources_free (r);

  /* the full fixture's resources, on their own */
  {
    size_t len;
    char *data = read_fixture ("config-full.json", &len);
    char *start = strstr (data, "\"resources\": {");
    char *end = strstr (data, "\"intelRdt\"");
    CHECK (start && end);
    if (start && end)
      {
        start += strlen ("\"resources\": ");
        /* back up over `},\n    ` to the closing brace of resources */
        while (end > start && *end != '}')
          end--;
        r = oci_resources_parse_data (start, (size_t) (end - start + 1), NULL, &err);
        CHECK (r != NULL);
        if (r)
          check_full_resources (r);
        else
          fprintf (stderr, "  error: %s\n", err);
        oci_resources_free (r);
        free (err);
      }
    free (data);
  }
}

static void
test_state_roundtrip (void)
{
  char *keys[] = { "org.opencontainers.image.title", "com.example/path" };
  char *values[] = { "busybox", "/a/b \"quoted\"" };
  oci_state s = {
    .oci_version = "1.3.0",
    .id = "ctr-1",
    .status = "running",
    .has_pid = true,
    .pid = 4242,
    .bundle = "/var/lib/bundles/ctr-1",
    .annotations = { .keys = keys, .values = values, .len = 2 },
  };
  char *json, *err = NULL;
  oci_state *back;

  json = oci_state_generate (&s, false);
  CHECK (json != NULL);
  if (json == NULL)
    return;
  CHECK_STR (json, "{\"ociVersion\":\"1.3.0\",\"id\":\"ctr-1\",\"status\":\"running\",\"pid\":4242,"
                   "\"bundle\":\"/var/lib/bundles/ctr-1\",\"annotations\":{\"org.opencontainers.image.title\":"
                   "\"busybox\",\"com.example/path\":\"/a/b \\\"quoted\\\"\"}}");
  back = oci_state_parse_data (json, strlen (json), NULL, &err);
  CHECK (back != NULL);
  if (back)
    {
      CHECK_STR (back->oci_version, "1.3.0");
      CHECK_STR (back->id, "ctr-1");
      CHECK_STR (back->status, "running");
      CHECK (back->has_pid && back->pid == 4242);
      CHECK_STR (back->bundle, "/var/lib/bundles/ctr-1");
      CHECK_INT (back->annotations.len, 2);
      CHECK_STR (oci_map_get (&back->annotations, "com.example/path"), "/a/b \"quoted\"");
    }
  oci_state_free (back);
  free (json);

  /* pretty output parses back the same */
  json = oci_state_generate (&s, true);
  CHECK (json != NULL && strchr (json, '\n') != NULL);
  back = json ? oci_state_parse_data (json, strlen (json), NULL, &err) : NULL;
  CHECK (back != NULL && back->pid == 4242 && back->annotations.len == 2);
  oci_state_free (back);
  free (json);

  /* no pid, no annotations: both omitted */
  s.has_pid = false;
  s.status = "stopped";
  s.annotations.len = 0;
  json = oci_state_generate (&s, false);
  CHECK_STR (json, "{\"ociVersion\":\"1.3.0\",\"id\":\"ctr-1\",\"status\":\"stopped\","
                   "\"bundle\":\"/var/lib/bundles/ctr-1\"}");
  back = json ? oci_state_parse_data (json, strlen (json), NULL, &err) : NULL;
  CHECK (back != NULL && !back->has_pid && back->annotations.len == 0);
  oci_state_free (back);
  free (json);

  /* pid 0 is present, not absent */
  s.has_pid = true;
  s.pid = 0;
  json = oci_state_generate (&s, false);
  CHECK (json != NULL && strstr (json, "\"pid\":0") != NULL);
  free (json);

  /* unknown properties ignored; errors */
  {
    const char *doc = "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"created\",\"pid\":1,\"bundle\":\"/b\","
                      "\"created\":\"2024-01-01T00:00:00Z\",\"owner\":\"\",\"rootless\":true}";
    back = oci_state_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (back != NULL && back->pid == 1);
    oci_state_free (back);

    doc = "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"created\",\"pid\":\"1\",\"bundle\":\"/b\"}";
    back = oci_state_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (back == NULL);
    CHECK_STR (err, "state.json: pid: expected an integer, got a string");
    free (err);

    doc = "{\"ociVersion\":\"1.0.2\",\"id\":\"x\",\"status\":\"created\",\"pid\":-5,\"bundle\":\"/b\"}";
    back = oci_state_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (back == NULL);
    CHECK_STR (err, "state.json: pid: value -5 out of range [0, 2147483647]");
    free (err);

    doc = "{\"ociVersion\":\"1.0.2\",\"status\":\"created\",\"bundle\":\"/b\"}";
    back = oci_state_parse_data (doc, strlen (doc), NULL, &err);
    CHECK (back == NULL);
    CHECK_STR (err, "state.json: id: missing required property");
    free (err);
  }
}

static void
test_map_get (void)
{
  char *keys[] = { "a", "b", "a" };
  char *values[] = { "1", "2", "3" };
  oci_map m = { .keys = keys, .values = values, .len = 3 };
  oci_map empty = { 0 };

  CHECK_STR (oci_map_get (&m, "b"), "2");
  CHECK_STR (oci_map_get (&m, "a"), "3"); /* the last of duplicates wins */
  CHECK (oci_map_get (&m, "c") == NULL);
  CHECK (oci_map_get (&m, "") == NULL);
  CHECK (oci_map_get (&empty, "a") == NULL);
  CHECK (oci_map_get (NULL, "a") == NULL);
  CHECK (oci_map_get (&m, NULL) == NULL);
}

static void
test_parse_speed (void)
{
  size_t len, i, n = 2000;
  char *data = read_fixture ("config-full.json", &len);
  struct timespec t0, t1;
  double per_parse_us;

  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (i = 0; i < n; i++)
    {
      char *err = NULL;
      oci_config *c = oci_config_parse_data (data, len, "config.json", &err);
      CHECK (c != NULL);
      oci_config_free (c);
      free (err);
    }
  clock_gettime (CLOCK_MONOTONIC, &t1);
  per_parse_us = ((double) (t1.tv_sec - t0.tv_sec) * 1e6 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e3) / (double) n;
  printf ("   full config (%zu bytes): %.1f us per parse+free\n", len, per_parse_us);
  /* "well under 1 ms", with room for sanitizer builds; TEST_NO_TIMING=1
     for valgrind */
  if (getenv ("TEST_NO_TIMING") == NULL)
    CHECK (per_parse_us < 1000.0);
  free (data);
}

int
main (void)
{
  run ("full config, every field", test_full_config);
  run ("parse from file", test_parse_file);
  run ("minimal config, everything absent", test_minimal_all_absent);
  run ("absent vs zero", test_absent_vs_zero);
  run ("null is absent", test_null_is_absent);
  run ("unknown properties ignored", test_unknown_properties);
  run ("duplicate keys", test_duplicate_keys);
  run ("malformed JSON", test_malformed_json);
  run ("top level not an object", test_top_level_not_object);
  run ("wrong types", test_wrong_types);
  run ("missing required properties", test_missing_required);
  run ("integers out of range", test_out_of_range);
  run ("model checks", test_model_checks);
  run ("process.json", test_process_json);
  run ("resources alone", test_resources_alone);
  run ("state round trip", test_state_roundtrip);
  run ("oci_map_get", test_map_get);
  run ("parse speed", test_parse_speed);

  printf ("%d passed, %d failed\n", n_passed, n_failed);
  return n_failed == 0 ? 0 : 1;
}
