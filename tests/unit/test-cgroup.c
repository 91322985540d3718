/* test-cgroup: the cgroup manager against the real kernel, as root.
 *
 * Creates cgroups under /ocirun-test-<pid>/ only (never touches a cgroup it
 * did not create, except for reading), forks children into them and checks
 * both the values in the files and their effects.  Works on v1, hybrid and
 * v2 hosts (the v2 paths run in the qemu lane: tests/vm/run.sh).
 * Prints "N passed, N failed"; exit 77 (skip) when not root. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "cgroup.h"
#include "cgroup_internal.h"
#include "utils.h"

static char base[64];    /* "/ocirun-test-<pid>" */
static const char *mode; /* "v1" "hybrid" "v2" */
static bool v2;

static void
section (const char *name)
{
  printf ("# %s\n", name);
  fflush (stdout);
}

/* --- building configs --- */

static oci_linux *
new_linux (const char *path)
{
  oci_linux *l = xmalloc0 (sizeof (*l));
  l->cgroups_path = path ? xstrdup (path) : NULL;
  l->resources = xmalloc0 (sizeof (oci_resources));
  return l;
}

static void
free_linux (oci_linux *l)
{
  oci_resources *r = l->resources;
  size_t i;
  if (r)
    {
      free (r->memory);
      if (r->cpu)
        {
          free (r->cpu->cpus);
          free (r->cpu->mems);
        }
      free (r->cpu);
      if (r->block_io)
        {
          free (r->block_io->weight_device);
          free (r->block_io->throttle_read_bps_device);
          free (r->block_io->throttle_write_iops_device);
        }
      free (r->block_io);
      free (r->pids);
      for (i = 0; i < r->devices_len; i++)
        {
          free (r->devices[i].type);
          free (r->devices[i].access);
        }
      free (r->devices);
      for (i = 0; i < r->hugepage_limits_len; i++)
        free (r->hugepage_limits[i].page_size);
      free (r->hugepage_limits);
      for (i = 0; i < r->unified.len; i++)
        {
          free (r->unified.keys[i]);
          free (r->unified.values[i]);
        }
      free (r->unified.keys);
      free (r->unified.values);
      free (r->network);
      free (r);
    }
  free (l->cgroups_path);
  free (l);
}

static char *
tpath (const char *fmt, ...)
{
  char *sub = NULL, *r = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&sub, fmt, ap) < 0)
    abort ();
  va_end (ap);
  xasprintf (&r, "%s%s", base, sub);
  free (sub);
  return r;
}

/* whether a v1 blkio cgroup offers a weight file: looked at in a child of
   our own (bfq does not put its file in the root cgroup) */
static bool
v1_blkio_has_weight (void)
{
  cleanup_free char *d = NULL;
  bool r;
  xasprintf (&d, "/sys/fs/cgroup/blkio%s-weight-probe", base);
  if (mkdir (d, 0755) < 0 && errno != EEXIST)
    return false;
  r = cg_exists (d, "blkio.weight") || cg_exists (d, "blkio.bfq.weight");
  rmdir (d);
  return r;
}

static oci_memory *
mem (oci_linux *l)
{
  if (l->resources->memory == NULL)
    l->resources->memory = xmalloc0 (sizeof (oci_memory));
  return l->resources->memory;
}

static oci_cpu *
cpu (oci_linux *l)
{
  if (l->resources->cpu == NULL)
    l->resources->cpu = xmalloc0 (sizeof (oci_cpu));
  return l->resources->cpu;
}

static void
set_pids (oci_linux *l, int64_t limit)
{
  l->resources->pids = xmalloc0 (sizeof (oci_pids));
  l->resources->pids->limit = limit;
}

static void
add_device (oci_linux *l, bool allow, const char *type, int64_t major, int64_t minor, const char *access)
{
  oci_resources *r = l->resources;
  oci_device_cgroup *d;
  r->devices = realloc (r->devices, (r->devices_len + 1) * sizeof (*r->devices));
  d = &r->devices[r->devices_len++];
  memset (d, 0, sizeof (*d));
  d->allow = allow;
  d->type = type ? xstrdup (type) : NULL;
  d->has_major = major != -2;
  d->major = major;
  d->has_minor = minor != -2;
  d->minor = minor;
  d->access = access ? xstrdup (access) : NULL;
}

static void
add_unified (oci_linux *l, const char *k, const char *v)
{
  oci_map *m = &l->resources->unified;
  m->keys = realloc (m->keys, (m->len + 1) * sizeof (char *));
  m->values = realloc (m->values, (m->len + 1) * sizeof (char *));
  m->keys[m->len] = xstrdup (k);
  m->values[m->len] = xstrdup (v);
  m->len++;
}

/* --- reading the cgroup files --- */

static char *
read_cg (ocirun_cgroup *cg, const char *controller, const char *file)
{
  const char *dir = ocirun_cgroup_path (cg, controller);
  char *v = NULL;
  ocirun_error_t e = NULL;
  if (dir == NULL || cg_read (dir, file, &v, &e) < 0)
    {
      ocirun_error_release (&e);
      return xstrdup ("<unreadable>");
    }
  v[strcspn (v, "\n")] = '\0';
  return v;
}

static bool
file_is (ocirun_cgroup *cg, const char *controller, const char *file, const char *want)
{
  cleanup_free char *v = read_cg (cg, controller, file);
  if (strcmp (v, want) != 0)
    {
      printf ("  %s/%s = \"%s\", want \"%s\"\n", ocirun_cgroup_path (cg, controller), file, v, want);
      return false;
    }
  return true;
}

/* controller name in the mode at hand: v2 has one directory */
static const char *
C (const char *v1name)
{
  return v2 ? "unified" : v1name;
}

static bool
dir_exists (const char *p)
{
  struct stat st;
  return p && stat (p, &st) == 0 && S_ISDIR (st.st_mode);
}

/* every hierarchy directory of the cgroup, copied (for checks after destroy) */
static char **
all_paths (ocirun_cgroup *cg, size_t *n)
{
  static const char *const names[] = { "cpu",     "cpuacct", "cpuset", "memory",       "devices",
                                       "freezer", "blkio",   "pids",   "name=systemd", "unified" };
  char **r = xmalloc0 ((ARRAY_SIZE (names) + 1) * sizeof (char *));
  size_t i, k = 0;
  for (i = 0; i < ARRAY_SIZE (names); i++)
    {
      const char *p = ocirun_cgroup_path (cg, names[i]);
      if (p)
        r[k++] = xstrdup (p);
    }
  *n = k;
  return r;
}

static void
free_strv (char **v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    free (v[i]);
  free (v);
}

static bool
err_has (ocirun_error_t e, const char *needle)
{
  if (e == NULL)
    {
      printf ("  expected an error containing \"%s\", got success\n", needle);
      return false;
    }
  if (strstr (e->msg, needle) == NULL)
    {
      printf ("  error \"%s\" does not contain \"%s\"\n", e->msg, needle);
      return false;
    }
  return true;
}

/* --- child processes --- */

struct child
{
  pid_t pid;
  int go[2]; /* parent -> child: "entered" */
};

/* fork a child that waits until the parent has moved it, then runs fn */
static void
spawn (struct child *c, int (*fn) (void *), void *arg)
{
  if (pipe2 (c->go, O_CLOEXEC) < 0)
    abort ();
  c->pid = fork ();
  if (c->pid == 0)
    {
      char b;
      close (c->go[1]);
      if (read (c->go[0], &b, 1) != 1)
        _exit (99);
      _exit (fn (arg));
    }
  close (c->go[0]);
}

static void
release (struct child *c)
{
  if (write (c->go[1], "x", 1) != 1)
    abort ();
  close (c->go[1]);
}

static int
wait_status (pid_t pid)
{
  int st = 0;
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

static int
fn_sleep (void *arg)
{
  for (;;)
    pause ();
  return 0;
}

static int
fn_fork_until_fail (void *arg)
{
  pid_t kids[64];
  int n = 0, r = 1, i;
  for (i = 0; i < 64; i++)
    {
      pid_t p = fork ();
      if (p == 0)
        {
          pause ();
          _exit (0);
        }
      if (p < 0)
        {
          r = errno == EAGAIN ? 0 : 2;
          break;
        }
      kids[n++] = p;
    }
  for (i = 0; i < n; i++)
    {
      kill (kids[i], SIGKILL);
      waitpid (kids[i], NULL, 0);
    }
  /* exit code: 0 = fork failed with EAGAIN; also report how many worked */
  return r == 0 ? 10 + n : r;
}

static int
fn_eat_memory (void *arg)
{
  size_t chunk = 4 << 20, i;
  for (i = 0; i < 64; i++) /* 256 MB */
    {
      char *p = mmap (NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        return 3;
      memset (p, 0x5a, chunk);
    }
  return 0; /* survived: the limit did not work */
}

static int
fn_open_devices (void *arg)
{
  int fd, r = 0;
  /* bit 1: /dev/null not openable, 2: /dev/zero not openable, 4: /dev/kmsg openable */
  fd = open ("/dev/null", O_RDWR);
  if (fd < 0)
    r |= 1;
  else
    close (fd);
  fd = open ("/dev/zero", O_RDONLY);
  if (fd < 0)
    r |= 2;
  else
    close (fd);
  fd = open ("/dev/kmsg", O_RDONLY); /* c 1:11, not in the default list */
  if (fd >= 0)
    {
      r |= 4;
      close (fd);
    }
  else if (errno != EPERM)
    r |= 8;
  return r;
}

static int
fn_touch_and_sleep (void *arg)
{
  size_t len = 8 << 20;
  char *p = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED)
    memset (p, 1, len);
  for (;;)
    pause ();
  return 0;
}

static volatile uint64_t *counter;

static int
fn_count (void *arg)
{
  for (;;)
    (*counter)++;
  return 0;
}

static int
fn_two_procs (void *arg)
{
  pid_t p = fork ();
  if (p == 0)
    for (;;)
      pause ();
  for (;;)
    pause ();
  return 0;
}

static char
proc_state (pid_t pid)
{
  char path[64], buf[512], *p;
  int fd;
  ssize_t n;
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY);
  if (fd < 0)
    return '?';
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return '?';
  buf[n] = '\0';
  p = strrchr (buf, ')');
  return p && p[1] ? p[2] : '?';
}

static bool
proc_in_cgroup (pid_t pid, const char *needle)
{
  char path[64];
  cleanup_free char *v = NULL;
  ocirun_error_t e = NULL;
  snprintf (path, sizeof path, "/proc/%d/cgroup", pid);
  if (read_all_file (path, &v, NULL, &e) < 0)
    {
      ocirun_error_release (&e);
      return false;
    }
  return strstr (v, needle) != NULL;
}

static void
msleep (int ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* create + checks; returns NULL and prints the error on failure */
static ocirun_cgroup *
create_ok (const char *id, oci_linux *l)
{
  ocirun_cgroup *cg = NULL;
  ocirun_error_t e = NULL;
  if (ocirun_cgroup_create (id, l, false, &cg, &e) < 0)
    {
      printf ("  create %s: %s\n", l && l->cgroups_path ? l->cgroups_path : id, e->msg);
      ocirun_error_release (&e);
      failed++;
      return NULL;
    }
  passed++;
  return cg;
}

static void
destroy_ok (ocirun_cgroup *cg)
{
  ocirun_error_t e = NULL;
  int r = ocirun_cgroup_destroy (cg, &e);
  CHECK (r == 0, "destroy: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  ocirun_cgroup_free (cg);
}

/* the first real block device "MAJ:MIN" (for blkio/io files), or NULL */
static char *
block_device (void)
{
  static const char *const cand[] = { "vda", "sda", "nvme0n1", "xvda", "loop0" };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (cand); i++)
    {
      char p[96];
      char *v = NULL;
      ocirun_error_t e = NULL;
      snprintf (p, sizeof p, "/sys/block/%s/dev", cand[i]);
      if (read_all_file (p, &v, NULL, &e) == 0)
        {
          v[strcspn (v, "\n")] = '\0';
          return v;
        }
      ocirun_error_release (&e);
    }
  return NULL;
}

/* ------------------------------------------------------------------ */

static void
test_conversions (void)
{
  section ("v1 -> v2 conversions");
  CHECK (ocirun_cgroup_shares_to_weight (2) == 1, "shares 2");
  CHECK (ocirun_cgroup_shares_to_weight (1024) == 39, "shares 1024 -> %" PRIu64, ocirun_cgroup_shares_to_weight (1024));
  CHECK (ocirun_cgroup_shares_to_weight (262144) == 10000, "shares max");
  CHECK (ocirun_cgroup_shares_to_weight (0) == 0, "shares 0 = unset");
  CHECK (ocirun_cgroup_blkio_to_io_weight (10) == 1, "blkio 10");
  CHECK (ocirun_cgroup_blkio_to_io_weight (500) == 4950, "blkio 500 -> %" PRIu64,
         ocirun_cgroup_blkio_to_io_weight (500));
  CHECK (ocirun_cgroup_blkio_to_io_weight (1000) == 10000, "blkio 1000");
}

size_t ocirun_cgroup_devices_bpf (const struct cg_dev_rule *rules, size_t n, struct bpf_insn **out);

static void
test_bpf_builder (void)
{
  struct cg_dev_rule *rules = NULL;
  struct bpf_insn *p = NULL;
  size_t n = 0, len;
  ocirun_error_t e = NULL;

  section ("device rules and the eBPF program");
  CHECK (cg_device_rules (NULL, &rules, &n, &e) == 0 && n == 12, "default rules: %zu", n);
  CHECK (rules && rules[0].allow == false && rules[0].type == 'a', "first rule denies all");
  len = ocirun_cgroup_devices_bpf (rules, n, &p);
  /* the deny-all rule matches everything: no default block after it */
  CHECK (len > 6 && p[len - 1].code == (BPF_JMP | BPF_EXIT) && p[len - 2].imm == 0, "program ends with deny-all");
  free (p);
  free (rules);
}

static void
test_basic (void)
{
  cleanup_free char *path = tpath ("/basic");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg, *cg2 = NULL;
  struct child c;
  char **paths;
  size_t np, i;
  cleanup_free char *saved = NULL;
  ocirun_error_t e = NULL;
  pid_t *pids = NULL;
  size_t npids = 0;
  int st;

  section ("create / enter / save / load / destroy");
  cg = create_ok ("basic", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  paths = all_paths (cg, &np);
  CHECK (np >= 1, "at least one hierarchy");
  for (i = 0; i < np; i++)
    CHECK (dir_exists (paths[i]), "%s exists", paths[i]);
  if (strcmp (mode, "hybrid") == 0)
    CHECK (ocirun_cgroup_path (cg, "unified") && dir_exists (ocirun_cgroup_path (cg, "unified")),
           "hybrid: the unified directory is created");
  CHECK ((ocirun_cgroup_clone_fd (cg) >= 0) == v2, "clone_fd only on v2");

  spawn (&c, fn_sleep, NULL);
  CHECK (ocirun_cgroup_enter (cg, c.pid, NULL, &e) == 0, "enter: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  CHECK (proc_in_cgroup (c.pid, path), "child's /proc/PID/cgroup shows %s", path);
  CHECK (ocirun_cgroup_pids (cg, &pids, &npids, &e) == 0 && npids == 1 && pids[0] == c.pid, "pids() = [child]");
  free (pids);

  saved = ocirun_cgroup_save (cg);
  CHECK (saved && strstr (saved, "\"created\""), "save: %s", saved ? saved : "NULL");
  CHECK (ocirun_cgroup_load (saved, &cg2, &e) == 0, "load: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  if (cg2)
    {
      cleanup_free char *again = ocirun_cgroup_save (cg2);
      CHECK (strcmp (again, saved) == 0, "save(load(save)) is stable");
    }
  {
    ocirun_cgroup *bad = NULL;
    CHECK (ocirun_cgroup_load ("{not json", &bad, &e) < 0 && bad == NULL && err_has (e, "load cgroup state"),
           "load rejects garbage");
  }
  ocirun_error_release (&e);

  /* destroy while the child lives: EBUSY, reported */
  {
    ocirun_cgroup *busy = NULL;
    if (ocirun_cgroup_load (saved, &busy, &e) == 0)
      {
        int r = ocirun_cgroup_destroy (busy, &e);
        CHECK (r < 0 && e && e->status == EBUSY, "destroy of a busy cgroup fails with EBUSY: %s", e ? e->msg : "ok");
        ocirun_error_release (&e);
        ocirun_cgroup_free (busy);
      }
  }

  release (&c);
  kill (c.pid, SIGKILL);
  st = wait_status (c.pid);
  CHECK (WIFSIGNALED (st), "child killed");

  /* destroy through the loaded manager, as `delete` does */
  if (cg2)
    {
      ocirun_cgroup *tmp = NULL;
      ocirun_cgroup_load (saved, &tmp, &e);
      destroy_ok (tmp);
      ocirun_cgroup_free (cg2);
    }
  for (i = 0; i < np; i++)
    CHECK (!dir_exists (paths[i]), "%s removed", paths[i]);
  ocirun_cgroup_free (cg);
  free_strv (paths, np);
  free_linux (l);
}

static void
test_default_path (void)
{
  char id[64];
  oci_linux *l = new_linux (NULL);
  ocirun_cgroup *cg;
  const char *p;
  cleanup_free char *want = NULL;

  section ("default path /ocirun/<id>");
  snprintf (id, sizeof id, "test-cgroup-%d", (int) getpid ());
  cg = create_ok (id, l);
  if (cg)
    {
      xasprintf (&want, "/ocirun/%s", id);
      p = ocirun_cgroup_path (cg, NULL);
      CHECK (p && strstr (p, want), "default path %s", p ? p : "NULL");
      destroy_ok (cg);
      CHECK (!dir_exists (p), "removed");
    }
  free_linux (l);
}

static void
test_values (void)
{
  cleanup_free char *path = tpath ("/values");
  cleanup_free char *dev = block_device ();
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  oci_memory *m = mem (l);
  oci_cpu *c = cpu (l);
  char buf[128];

  section ("resource values in the files");
  m->has_limit = true;
  m->limit = 64 << 20;
  m->has_swap = true;
  m->swap = 128 << 20;
  m->has_reservation = true;
  m->reservation = 32 << 20;
  m->has_swappiness = !v2;
  m->swappiness = 10;
  m->has_kernel = true; /* dropped by the kernel: skipped, not an error */
  m->kernel = 256 << 20;
  m->has_disable_oom_killer = true;
  m->disable_oom_killer = false;
  c->has_shares = true;
  c->shares = 512;
  c->has_quota = true;
  c->quota = 50000;
  c->has_period = true;
  c->period = 100000;
  c->has_burst = true;
  c->burst = 10000;
  c->cpus = xstrdup ("0");
  c->mems = xstrdup ("0");
  set_pids (l, 10);
  l->resources->block_io = xmalloc0 (sizeof (oci_blkio));
  /* v1 offers a weight only with an I/O scheduler that has one (CFQ is
     gone; bfq may not be loaded): without a file the write fails, as with
     runc, and the weight is not tested on such a host */
  l->resources->block_io->has_weight = v2 || v1_blkio_has_weight ();
  l->resources->block_io->weight = 500;
  if (!l->resources->block_io->has_weight)
    printf ("  note: no blkio.weight or blkio.bfq.weight on this kernel (bfq not loaded): weight not tested\n");
  if (dev)
    {
      unsigned maj, min;
      sscanf (dev, "%u:%u", &maj, &min);
      l->resources->block_io->throttle_read_bps_device = xmalloc0 (sizeof (oci_blkio_throttle_device));
      l->resources->block_io->throttle_read_bps_device[0] = (oci_blkio_throttle_device) { maj, min, 1048576 };
      l->resources->block_io->throttle_read_bps_device_len = 1;
      l->resources->block_io->throttle_write_iops_device = xmalloc0 (sizeof (oci_blkio_throttle_device));
      l->resources->block_io->throttle_write_iops_device[0] = (oci_blkio_throttle_device) { maj, min, 300 };
      l->resources->block_io->throttle_write_iops_device_len = 1;
    }
  if (v2)
    add_unified (l, "memory.high", "104857600");

  cg = create_ok ("values", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  if (!v2)
    {
      CHECK (file_is (cg, "memory", "memory.limit_in_bytes", "67108864"), "memory.limit_in_bytes");
      CHECK (file_is (cg, "memory", "memory.memsw.limit_in_bytes", "134217728"), "memory.memsw.limit_in_bytes");
      CHECK (file_is (cg, "memory", "memory.soft_limit_in_bytes", "33554432"), "memory.soft_limit_in_bytes");
      CHECK (file_is (cg, "memory", "memory.swappiness", "10"), "memory.swappiness");
      CHECK (file_is (cg, "cpu", "cpu.shares", "512"), "cpu.shares");
      CHECK (file_is (cg, "cpu", "cpu.cfs_quota_us", "50000"), "cpu.cfs_quota_us");
      CHECK (file_is (cg, "cpu", "cpu.cfs_period_us", "100000"), "cpu.cfs_period_us");
      CHECK (file_is (cg, "cpu", "cpu.cfs_burst_us", "10000"), "cpu.cfs_burst_us");
      if (l->resources->block_io->has_weight)
        {
          const char *b = ocirun_cgroup_path (cg, "blkio");
          const char *wf = cg_exists (b, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
          cleanup_free char *w = read_cg (cg, "blkio", wf);
          CHECK (strstr (w, "500") != NULL, "%s = %s", wf, w);
        }
      CHECK (file_is (cg, "cpuset", "cpuset.cpus", "0"), "cpuset.cpus");
      CHECK (file_is (cg, "cpuset", "cpuset.mems", "0"), "cpuset.mems");
      CHECK (file_is (cg, "pids", "pids.max", "10"), "pids.max");
      if (dev)
        {
          snprintf (buf, sizeof buf, "%s 1048576", dev);
          CHECK (file_is (cg, "blkio", "blkio.throttle.read_bps_device", buf), "read_bps_device");
          snprintf (buf, sizeof buf, "%s 300", dev);
          CHECK (file_is (cg, "blkio", "blkio.throttle.write_iops_device", buf), "write_iops_device");
        }
      {
        cleanup_free char *dl = NULL;
        ocirun_error_t e = NULL;
        if (cg_read (ocirun_cgroup_path (cg, "devices"), "devices.list", &dl, &e) < 0)
          dl = xstrdup ("");
        ocirun_error_release (&e);
        CHECK (strstr (dl, "c 1:3 rwm") && strstr (dl, "c 136:* rwm") && strstr (dl, "c *:* m")
                   && strstr (dl, "b *:* m") && !strstr (dl, "a *:* rwm"),
               "devices.list has the default rules: %s", dl);
      }
    }
  else
    {
      CHECK (file_is (cg, "unified", "memory.max", "67108864"), "memory.max");
      if (cg_exists (ocirun_cgroup_path (cg, "unified"), "memory.swap.max"))
        CHECK (file_is (cg, "unified", "memory.swap.max", "67108864"), "memory.swap.max = swap - limit");
      CHECK (file_is (cg, "unified", "memory.low", "33554432"), "memory.low");
      CHECK (file_is (cg, "unified", "memory.high", "104857600"), "unified memory.high");
      snprintf (buf, sizeof buf, "%" PRIu64, ocirun_cgroup_shares_to_weight (512));
      CHECK (file_is (cg, "unified", "cpu.weight", buf), "cpu.weight");
      CHECK (file_is (cg, "unified", "cpu.max", "50000 100000"), "cpu.max");
      CHECK (file_is (cg, "unified", "cpu.max.burst", "10000"), "cpu.max.burst");
      {
        const char *d = ocirun_cgroup_path (cg, "unified");
        bool bfq = cg_exists (d, "io.bfq.weight");
        cleanup_free char *w = read_cg (cg, "unified", bfq ? "io.bfq.weight" : "io.weight");
        CHECK (strstr (w, bfq ? "500" : "4950") != NULL, "io weight = %s", w);
      }
      CHECK (file_is (cg, "unified", "cpuset.cpus", "0"), "cpuset.cpus");
      CHECK (file_is (cg, "unified", "pids.max", "10"), "pids.max");
      if (dev)
        {
          cleanup_free char *io = read_cg (cg, "unified", "io.max");
          snprintf (buf, sizeof buf, "%s rbps=1048576 wbps=max riops=max wiops=300", dev);
          CHECK (strcmp (io, buf) == 0, "io.max = \"%s\", want \"%s\"", io, buf);
        }
    }
  destroy_ok (cg);
  free_linux (l);
}

static void
test_pids_effect (void)
{
  cleanup_free char *path = tpath ("/pids");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  struct child c;
  ocirun_error_t e = NULL;
  int st;

  section ("pids.max: fork fails with EAGAIN");
  set_pids (l, 5);
  cg = create_ok ("pids", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  spawn (&c, fn_fork_until_fail, NULL);
  CHECK (ocirun_cgroup_enter (cg, c.pid, NULL, &e) == 0, "enter: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  release (&c);
  st = wait_status (c.pid);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 10 + 4, "fork failed with EAGAIN after 4 children (status %d)",
         WIFEXITED (st) ? WEXITSTATUS (st) : -WTERMSIG (st));
  destroy_ok (cg);
  free_linux (l);
}

static void
test_memory_effect (void)
{
  cleanup_free char *path = tpath ("/oom");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  struct child c;
  ocirun_error_t e = NULL;
  int st;

  section ("memory limit: the child is OOM-killed");
  mem (l)->has_limit = true;
  mem (l)->limit = 32 << 20;
  mem (l)->has_swap = true;
  mem (l)->swap = 32 << 20; /* no swap on top */
  cg = create_ok ("oom", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  spawn (&c, fn_eat_memory, NULL);
  CHECK (ocirun_cgroup_enter (cg, c.pid, NULL, &e) == 0, "enter: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  release (&c);
  st = wait_status (c.pid);
  CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL, "child SIGKILLed by the OOM killer (status 0x%x)", st);
  {
    cleanup_free char *stats = NULL;
    if (ocirun_cgroup_stats_json (cg, &stats, &e) == 0)
      CHECK (strstr (stats, "\"failcnt\""), "stats has failcnt");
    ocirun_error_release (&e);
  }
  destroy_ok (cg);
  free_linux (l);
}

static void
test_devices_effect (void)
{
  cleanup_free char *path = tpath ("/devices");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  struct child c;
  ocirun_error_t e = NULL;
  int st;

  /* as runc: the default devices are allowed after the config's rules, so
   * a config that denies /dev/null does not break the container */
  section ("devices: a non-default device gives EPERM, defaults stay allowed");
  add_device (l, false, "c", 1, 3, "rwm");
  cg = create_ok ("devices", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  spawn (&c, fn_open_devices, NULL);
  CHECK (ocirun_cgroup_enter (cg, c.pid, NULL, &e) == 0, "enter: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  release (&c);
  st = wait_status (c.pid);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0,
         "/dev/null ok despite the config's deny, /dev/zero ok, /dev/kmsg EPERM (failures mask %d)",
         WIFEXITED (st) ? WEXITSTATUS (st) : -1);

  /* update with new rules: /dev/kmsg allowed */
  {
    oci_resources r = { 0 };
    oci_device_cgroup d = { .allow = true,
                            .type = (char *) "c",
                            .has_major = true,
                            .major = 1,
                            .has_minor = true,
                            .minor = 11,
                            .access = (char *) "r" };
    r.devices = &d;
    r.devices_len = 1;
    CHECK (ocirun_cgroup_update (cg, &r, &e) == 0, "update devices: %s", e ? e->msg : "");
    ocirun_error_release (&e);
    spawn (&c, fn_open_devices, NULL);
    ocirun_cgroup_enter (cg, c.pid, NULL, &e);
    ocirun_error_release (&e);
    release (&c);
    st = wait_status (c.pid);
    CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 4, "after update /dev/kmsg opens, defaults still allowed (mask %d)",
           WIFEXITED (st) ? WEXITSTATUS (st) : -1);
  }
  destroy_ok (cg);
  free_linux (l);
}

static void
test_freeze_kill (void)
{
  cleanup_free char *path = tpath ("/freeze");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  struct child c, c2;
  ocirun_error_t e = NULL;
  bool frozen = true;
  uint64_t v1c, v2c;
  pid_t *pids = NULL;
  size_t n = 0;
  int st;

  section ("freeze / thaw / kill / stats");
  cg = create_ok ("freeze", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  counter = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  spawn (&c, fn_count, NULL);
  ocirun_cgroup_enter (cg, c.pid, NULL, &e);
  ocirun_error_release (&e);
  release (&c);
  msleep (20);
  CHECK (ocirun_cgroup_is_frozen (cg, &frozen, &e) == 0 && !frozen, "not frozen at first");
  CHECK (ocirun_cgroup_freeze (cg, true, &e) == 0, "freeze: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  CHECK (ocirun_cgroup_is_frozen (cg, &frozen, &e) == 0 && frozen, "is_frozen after freeze");
  v1c = *counter;
  msleep (50);
  v2c = *counter;
  CHECK (v1c == v2c, "frozen child makes no progress (%" PRIu64 " -> %" PRIu64 ")", v1c, v2c);
  {
    char s = proc_state (c.pid);
    CHECK (s == 'D' || s == 'T' || s == 'S', "frozen child's state is %c", s);
  }
  CHECK (ocirun_cgroup_freeze (cg, false, &e) == 0, "thaw: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  CHECK (ocirun_cgroup_is_frozen (cg, &frozen, &e) == 0 && !frozen, "not frozen after thaw");
  msleep (20);
  CHECK (*counter != v2c, "thawed child runs again");

  /* a second process with a child of its own: kill reaches all three */
  spawn (&c2, fn_two_procs, NULL);
  ocirun_cgroup_enter (cg, c2.pid, NULL, &e);
  ocirun_error_release (&e);
  release (&c2);
  msleep (30);
  CHECK (ocirun_cgroup_pids (cg, &pids, &n, &e) == 0 && n == 3, "pids() lists 3 processes (%zu)", n);
  free (pids);

  {
    cleanup_free char *stats = NULL;
    char ebuf[128];
    yajl_val root;
    CHECK (ocirun_cgroup_stats_json (cg, &stats, &e) == 0, "stats: %s", e ? e->msg : "");
    ocirun_error_release (&e);
    root = stats ? yajl_tree_parse (stats, ebuf, sizeof ebuf) : NULL;
    CHECK (root != NULL, "stats JSON parses: %s", stats ? stats : "NULL");
    if (root)
      {
        const char *p_total[] = { "cpu", "usage", "total", NULL };
        const char *p_cur[] = { "pids", "current", NULL };
        const char *p_lim[] = { "memory", "usage", "limit", NULL };
        const char *p_thr[] = { "cpu", "throttling", NULL };
        yajl_val t = yajl_tree_get (root, p_total, yajl_t_number);
        yajl_val pc = yajl_tree_get (root, p_cur, yajl_t_number);
        CHECK (t && YAJL_GET_INTEGER (t) > 0, "cpu.usage.total > 0");
        CHECK (pc && YAJL_GET_INTEGER (pc) == 3, "pids.current == 3");
        CHECK (yajl_tree_get (root, p_lim, yajl_t_number) != NULL, "memory.usage.limit present");
        CHECK (yajl_tree_get (root, p_thr, yajl_t_object) != NULL, "cpu.throttling present");
        yajl_tree_free (root);
      }
  }

  /* SIGTERM to a frozen cgroup is delivered after thaw, SIGKILL kills */
  CHECK (ocirun_cgroup_kill (cg, SIGKILL, &e) == 0, "kill: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  st = wait_status (c.pid);
  CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL, "counter child killed");
  st = wait_status (c2.pid);
  CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL, "second child killed");
  msleep (20);
  CHECK (ocirun_cgroup_pids (cg, &pids, &n, &e) == 0 && n == 0, "no pids left (%zu)", n);
  free (pids);
  munmap ((void *) counter, 4096);
  destroy_ok (cg);
  free_linux (l);
}

static void
test_kill_frozen (void)
{
  cleanup_free char *path = tpath ("/killfrozen");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  struct child c;
  ocirun_error_t e = NULL;
  int st;

  section ("kill: SIGTERM to every process; SIGKILL of a paused container");
  cg = create_ok ("killterm", l);
  if (cg)
    {
      spawn (&c, fn_sleep, NULL);
      ocirun_cgroup_enter (cg, c.pid, NULL, &e);
      release (&c);
      msleep (10);
      CHECK (ocirun_cgroup_kill (cg, SIGTERM, &e) == 0, "kill SIGTERM: %s", e ? e->msg : "");
      ocirun_error_release (&e);
      st = wait_status (c.pid);
      CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGTERM, "child got SIGTERM (status 0x%x)", st);
      destroy_ok (cg);
    }
  cg = create_ok ("killfrozen", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  spawn (&c, fn_sleep, NULL);
  ocirun_cgroup_enter (cg, c.pid, NULL, &e);
  release (&c);
  msleep (10);
  CHECK (ocirun_cgroup_freeze (cg, true, &e) == 0, "freeze");
  CHECK (ocirun_cgroup_kill (cg, SIGKILL, &e) == 0, "kill: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  st = wait_status (c.pid);
  CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL, "frozen child killed");
  destroy_ok (cg);
  free_linux (l);
}

static void
test_update (void)
{
  cleanup_free char *path = tpath ("/update");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  ocirun_error_t e = NULL;
  oci_resources r = { 0 };
  oci_memory m = { 0 };
  oci_pids p = { 20 };
  oci_cpu c = { 0 };

  section ("update");
  mem (l)->has_limit = true;
  mem (l)->limit = 64 << 20;
  mem (l)->has_swap = true;
  mem (l)->swap = 64 << 20;
  set_pids (l, 10);
  cg = create_ok ("update", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  /* grow limit and swap (v1: memsw must be raised first) */
  m.has_limit = true;
  m.limit = 128 << 20;
  m.has_swap = true;
  m.swap = 256 << 20;
  r.memory = &m;
  r.pids = &p;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0, "update grow: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  CHECK (file_is (cg, C ("memory"), v2 ? "memory.max" : "memory.limit_in_bytes", "134217728"), "limit updated");
  CHECK (file_is (cg, C ("pids"), "pids.max", "20"), "pids updated");
  /* shrink both (v1: the limit must be lowered first) */
  m.limit = 48 << 20;
  m.swap = 48 << 20;
  r.pids = NULL;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0, "update shrink: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  CHECK (file_is (cg, C ("memory"), v2 ? "memory.max" : "memory.limit_in_bytes", "50331648"), "limit shrunk");
  if (!v2)
    CHECK (file_is (cg, "memory", "memory.memsw.limit_in_bytes", "50331648"), "memsw shrunk");
  /* unlimited */
  m.limit = -1;
  m.has_swap = false;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0, "update unlimited: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  CHECK (file_is (cg, C ("memory"), v2 ? "memory.max" : "memory.limit_in_bytes", v2 ? "max" : "9223372036854771712"),
         "limit unlimited");
  /* pids unlimited; 0 is "not set" (runc, whatever config-linux.md says:
     docs/runc-compat.md) */
  p.limit = 7;
  r.memory = NULL;
  r.pids = &p;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0 && file_is (cg, C ("pids"), "pids.max", "7"), "pids 7");
  ocirun_error_release (&e);
  p.limit = 0;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0 && file_is (cg, C ("pids"), "pids.max", "7"), "pids 0 = unchanged");
  ocirun_error_release (&e);
  p.limit = -1;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0 && file_is (cg, C ("pids"), "pids.max", "max"), "pids -1 -> max");
  ocirun_error_release (&e);
  /* cpu: only the period changes, the quota stays */
  r.pids = NULL;
  r.cpu = &c;
  c.has_quota = true;
  c.quota = 20000;
  c.has_period = true;
  c.period = 100000;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0, "update cpu: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  c.has_quota = false;
  c.period = 50000;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0, "update cpu period: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  if (v2)
    CHECK (file_is (cg, "unified", "cpu.max", "20000 50000"), "cpu.max keeps the quota");
  else
    CHECK (file_is (cg, "cpu", "cpu.cfs_quota_us", "20000") && file_is (cg, "cpu", "cpu.cfs_period_us", "50000"),
           "cfs quota kept, period changed");
  /* cpu.idle (SCHED_IDLE for the group) */
  c.has_period = false;
  c.has_quota = false;
  c.has_idle = true;
  c.idle = 1;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0 && file_is (cg, C ("cpu"), "cpu.idle", "1"), "cpu.idle: %s",
         e ? e->msg : "");
  ocirun_error_release (&e);
  c.has_idle = false;
  /* any negative quota is "unlimited" (the v1 kernel's reading; runc) */
  c.has_quota = true;
  c.quota = -7;
  CHECK (ocirun_cgroup_update (cg, &r, &e) == 0, "update quota -7: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  if (v2)
    CHECK (file_is (cg, "unified", "cpu.max", "max 50000"), "quota -7 -> max");
  else
    CHECK (file_is (cg, "cpu", "cpu.cfs_quota_us", "-1"), "quota -7 -> -1");
  c.has_quota = false;
  /* a bad value in update is refused before anything is written */
  r.cpu = NULL;
  r.memory = &m;
  memset (&m, 0, sizeof m);
  m.has_swappiness = true;
  m.swappiness = 101;
  CHECK (ocirun_cgroup_update (cg, &r, &e) < 0 && err_has (e, "linux.resources.memory.swappiness"),
         "update rejects swappiness 101");
  ocirun_error_release (&e);
  destroy_ok (cg);
  free_linux (l);
}

/* Callers send 0 for "not set" (Docker: "blockIO": {"weight": 0} on every
 * create, the whole resources object with zeros on every update): as in
 * runc, nothing is written for them and the limits set before stay. */
static void
zeros (oci_linux *l)
{
  oci_memory *m = mem (l);
  oci_cpu *c = cpu (l);
  m->has_limit = m->has_reservation = m->has_swap = m->has_kernel = m->has_kernel_tcp = true;
  m->has_swappiness = true;
  m->swappiness = UINT64_MAX; /* Docker's old uint64(-1) */
  m->has_disable_oom_killer = true;
  c->has_shares = c->has_quota = c->has_period = c->has_realtime_runtime = c->has_realtime_period = true;
  c->cpus = xstrdup ("");
  c->mems = xstrdup ("");
  l->resources->block_io = xmalloc0 (sizeof (oci_blkio));
  l->resources->block_io->has_weight = l->resources->block_io->has_leaf_weight = true;
  l->resources->block_io->weight_device = xmalloc0 (sizeof (oci_blkio_weight_device));
  l->resources->block_io->weight_device[0] = (oci_blkio_weight_device) { 8, 0, true, 0, true, 0 };
  l->resources->block_io->weight_device_len = 1;
  l->resources->network = xmalloc0 (sizeof (oci_network));
  l->resources->network->has_class_id = true;
  set_pids (l, 0);
}

static void
test_zeros (void)
{
  cleanup_free char *path = tpath ("/zeros");
  cleanup_free char *quota0 = NULL, *period0 = NULL, *shares0 = NULL, *mem0 = NULL, *soft0 = NULL, *pids0 = NULL;
  cleanup_free char *cpus0 = NULL, *swappiness0 = NULL;
  oci_linux *l = new_linux (path), *u;
  ocirun_cgroup *cg;
  ocirun_error_t e = NULL;
  const char *qf = v2 ? "cpu.max" : "cpu.cfs_quota_us";
  const char *mf = v2 ? "memory.max" : "memory.limit_in_bytes";
  const char *sf = v2 ? "memory.low" : "memory.soft_limit_in_bytes";

  section ("zeros mean \"not set\" (runc): create and update leave the files alone");
  zeros (l);
  cg = create_ok ("zeros", l);
  free_linux (l);
  if (cg == NULL)
    return;
  /* the kernel's defaults for a new cgroup */
  quota0 = read_cg (cg, C ("cpu"), qf);
  CHECK (strcmp (quota0, v2 ? "max 100000" : "-1") == 0, "quota default: %s", quota0);
  mem0 = read_cg (cg, C ("memory"), mf);
  CHECK (strcmp (mem0, v2 ? "max" : "9223372036854771712") == 0, "memory default: %s", mem0);
  pids0 = read_cg (cg, C ("pids"), "pids.max");
  CHECK (strcmp (pids0, "max") == 0, "pids default: %s", pids0);
  soft0 = read_cg (cg, C ("memory"), sf);
  CHECK (strcmp (soft0, v2 ? "0" : "9223372036854771712") == 0, "reservation default: %s", soft0);
  if (!v2)
    {
      shares0 = read_cg (cg, "cpu", "cpu.shares");
      CHECK (strcmp (shares0, "1024") == 0, "shares default: %s", shares0);
      period0 = read_cg (cg, "cpu", "cpu.cfs_period_us");
      CHECK (strcmp (period0, "100000") == 0, "period default: %s", period0);
      swappiness0 = read_cg (cg, "memory", "memory.swappiness");
      CHECK (file_is (cg, "cpu", "cpu.rt_runtime_us", "0"), "rt runtime default");
    }
  cpus0 = read_cg (cg, C ("cpuset"), v2 ? "cpuset.cpus" : "cpuset.cpus");

  /* set limits, then an update made of zeros changes none of them */
  u = new_linux (NULL);
  cpu (u)->has_quota = cpu (u)->has_period = cpu (u)->has_shares = true;
  cpu (u)->quota = 30000;
  cpu (u)->period = 100000;
  cpu (u)->shares = 512;
  mem (u)->has_limit = mem (u)->has_reservation = true;
  mem (u)->limit = 64 << 20;
  mem (u)->reservation = 32 << 20;
  set_pids (u, 33);
  CHECK (ocirun_cgroup_update (cg, u->resources, &e) == 0, "update limits: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  free_linux (u);
  u = new_linux (NULL);
  zeros (u);
  CHECK (ocirun_cgroup_update (cg, u->resources, &e) == 0, "update zeros: %s", e ? e->msg : "");
  ocirun_error_release (&e);
  free_linux (u);
  CHECK (file_is (cg, C ("cpu"), qf, v2 ? "30000 100000" : "30000"), "quota kept");
  CHECK (file_is (cg, C ("memory"), mf, "67108864"), "memory kept");
  CHECK (file_is (cg, C ("memory"), sf, "33554432"), "reservation kept");
  CHECK (file_is (cg, C ("pids"), "pids.max", "33"), "pids kept");
  CHECK (file_is (cg, C ("cpuset"), "cpuset.cpus", cpus0), "cpus kept");
  if (!v2)
    {
      CHECK (file_is (cg, "cpu", "cpu.shares", "512"), "shares kept");
      CHECK (file_is (cg, "cpu", "cpu.cfs_period_us", "100000"), "period kept");
      CHECK (file_is (cg, "memory", "memory.swappiness", swappiness0), "swappiness kept");
    }
  else
    CHECK (file_is (cg, "unified", "cpu.weight", "20"), "weight kept");
  destroy_ok (cg);
}

static void
test_nested_and_ownership (void)
{
  cleanup_free char *deep = tpath ("/nest/a/b/c");
  cleanup_free char *nest = tpath ("/nest");
  cleanup_free char *keep = tpath ("-keep");
  cleanup_free char *inkeep = tpath ("-keep/x");
  cleanup_free char *pre = tpath ("-pre");
  oci_linux *l;
  ocirun_cgroup *cg, *cg2;
  char **paths;
  size_t np, i;
  const char *mp;
  cleanup_free char *keepdir = NULL, *predir = NULL, *nestdir = NULL;

  section ("nested paths, ownership");
  l = new_linux (deep);
  if (!v2)
    {
      oci_cpu *c = cpu (l);
      c->cpus = xstrdup ("0"); /* v1 cpuset in a deep new path must be initialised */
    }
  cg = create_ok ("nest", l);
  if (cg)
    {
      struct child c;
      ocirun_error_t e = NULL;
      paths = all_paths (cg, &np);
      for (i = 0; i < np; i++)
        CHECK (dir_exists (paths[i]) && strstr (paths[i], "/nest/a/b/c"), "%s exists", paths[i]);
      spawn (&c, fn_sleep, NULL);
      CHECK (ocirun_cgroup_enter (cg, c.pid, NULL, &e) == 0, "enter a deep cgroup: %s", e ? e->msg : "");
      ocirun_error_release (&e);
      /* a sub-cgroup made "inside the container" (exec --cgroup) */
      for (i = 0; i < np; i++)
        {
          cleanup_free char *sub = NULL;
          xasprintf (&sub, "%s/inner", paths[i]);
          mkdir (sub, 0755);
          if (strstr (paths[i], "cpuset"))
            {
              ocirun_error_t e2 = NULL;
              cleanup_free char *cpus = NULL, *mems = NULL;
              cg_read (paths[i], "cpuset.cpus", &cpus, &e2);
              cg_read (paths[i], "cpuset.mems", &mems, &e2);
              if (cpus && mems)
                {
                  cg_write (sub, "cpuset.cpus", NULL, &e2, "%s", cpus);
                  cg_write (sub, "cpuset.mems", NULL, &e2, "%s", mems);
                }
              ocirun_error_release (&e2);
            }
        }
      CHECK (ocirun_cgroup_enter (cg, c.pid, "inner", &e) == 0, "enter sub-cgroup: %s", e ? e->msg : "");
      ocirun_error_release (&e);
      CHECK (proc_in_cgroup (c.pid, "/nest/a/b/c/inner"), "child in the sub-cgroup");
      CHECK (ocirun_cgroup_enter (cg, c.pid, "../escape", &e) < 0, "sub-cgroup with .. is refused");
      ocirun_error_release (&e);
      release (&c);
      kill (c.pid, SIGKILL);
      wait_status (c.pid);
      destroy_ok (cg);
      for (i = 0; i < np; i++)
        {
          cleanup_free char *top = xstrdup (paths[i]);
          char *s = strstr (top, "/nest/");
          CHECK (!dir_exists (paths[i]), "%s removed", paths[i]);
          if (s)
            {
              s[5] = '\0';
              CHECK (!dir_exists (top), "parent %s we created removed", top);
            }
        }
      free_strv (paths, np);
    }
  free_linux (l);

  /* a parent we did not create stays; so does a leaf that existed */
  l = new_linux (inkeep);
  cg = create_ok ("keep", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  mp = ocirun_cgroup_path (cg, C ("memory"));
  keepdir = xstrdup (mp);
  *strrchr (keepdir, '/') = '\0';
  destroy_ok (cg);
  free_linux (l);
  /* now make "-keep" exist beforehand (we did not create it in this run) */
  CHECK (mkdir (keepdir, 0755) == 0, "pre-create %s", keepdir);
  l = new_linux (inkeep);
  cg = create_ok ("keep2", l);
  if (cg)
    {
      cleanup_free char *x = xstrdup (ocirun_cgroup_path (cg, C ("memory")));
      destroy_ok (cg);
      CHECK (!dir_exists (x), "our leaf removed");
      CHECK (dir_exists (keepdir), "the parent we did not create is kept");
    }
  free_linux (l);
  /* an existing cgroup with a process in it is not fit for a new container */
  {
    struct child c;
    ocirun_error_t e = NULL;
    ocirun_cgroup *other = NULL;
    cleanup_free char *busy = tpath ("-busy");
    cleanup_free char *busydir = NULL;
    xasprintf (&busydir, "%.*s%s", (int) (strrchr (keepdir, '/') - keepdir), keepdir, busy);
    CHECK (mkdir (busydir, 0755) == 0, "pre-create %s", busydir);
    l = new_linux (busy);
    spawn (&c, fn_sleep, NULL);
    {
      /* put the child into the pre-existing directory by hand */
      cleanup_free char *pid = NULL;
      xasprintf (&pid, "%d", (int) c.pid);
      CHECK (cg_write_raw (busydir, "cgroup.procs", pid) == 0, "move a process into %s", busydir);
    }
    CHECK (ocirun_cgroup_create ("busy", l, false, &other, &e) < 0 && err_has (e, "is not empty: 1 process(es)"),
           "create refuses a non-empty existing cgroup");
    ocirun_error_release (&e);
    release (&c);
    kill (c.pid, SIGKILL);
    wait_status (c.pid);
    free_linux (l);
    msleep (20);
    CHECK (rmdir (busydir) == 0, "rmdir %s: %s", busydir, strerror (errno));
  }
  /* the existing cgroup as a leaf: joined, never removed */
  l = new_linux (keep);
  cg2 = create_ok ("keep3", l);
  if (cg2)
    {
      destroy_ok (cg2);
      CHECK (dir_exists (keepdir), "an existing leaf is not removed");
    }
  free_linux (l);
  rmdir (keepdir);
  (void) pre;
  (void) predir;
  (void) nestdir;
  (void) nest;
}

static void
test_relative (void)
{
  char rel[64];
  oci_linux *l;
  ocirun_cgroup *cg;

  section ("relative cgroupsPath");
  snprintf (rel, sizeof rel, "ocirun-test-%d-rel/c1", (int) getpid ());
  l = new_linux (rel);
  cg = create_ok ("rel", l);
  if (cg)
    {
      char **paths;
      size_t np, i;
      paths = all_paths (cg, &np);
      for (i = 0; i < np; i++)
        CHECK (dir_exists (paths[i]) && strstr (paths[i], rel), "%s exists", paths[i]);
      destroy_ok (cg);
      for (i = 0; i < np; i++)
        {
          char *s = strstr (paths[i], "/ocirun-test-");
          CHECK (!dir_exists (paths[i]), "%s removed", paths[i]);
          if (s)
            {
              s[strlen ("/ocirun-test-") + strcspn (s + strlen ("/ocirun-test-"), "/")] = '\0';
              CHECK (!dir_exists (paths[i]), "%s removed", paths[i]);
            }
        }
      free_strv (paths, np);
    }
  free_linux (l);
}

static void
expect_create_error (const char *what, oci_linux *l, const char *needle)
{
  ocirun_cgroup *cg = NULL;
  ocirun_error_t e = NULL;
  int r = ocirun_cgroup_create (what, l, false, &cg, &e);
  CHECK (r < 0 && err_has (e, needle), "%s", what);
  if (r == 0)
    destroy_ok (cg);
  else if (e)
    printf ("  ok: %s\n", e->msg);
  ocirun_error_release (&e);
}

static void
test_errors (void)
{
  cleanup_free char *path = tpath ("/bad");
  oci_linux *l;
  char **paths = NULL;
  size_t np = 0, i;

  section ("bad values give errors naming the field; nothing is left");
  l = new_linux (path);
  mem (l)->has_limit = true;
  mem (l)->limit = 64 << 20;
  mem (l)->has_swap = true;
  mem (l)->swap = 32 << 20;
  expect_create_error ("swap < limit", l, "linux.resources.memory.swap: must be >= memory.limit");
  free_linux (l);

  l = new_linux (path);
  mem (l)->has_limit = true;
  mem (l)->limit = -5;
  expect_create_error ("negative limit", l, "linux.resources.memory.limit: must be -1");
  free_linux (l);

  l = new_linux (path);
  l->resources->block_io = xmalloc0 (sizeof (oci_blkio));
  l->resources->block_io->has_weight = true;
  l->resources->block_io->weight = 5;
  expect_create_error ("blkio weight 5", l, "linux.resources.blockIO.weight: must be between 10 and 1000");
  free_linux (l);

  l = new_linux (path);
  add_device (l, true, "x", 1, 3, "rwm");
  expect_create_error ("device type x", l, "linux.resources.devices[0].type: unknown device type \"x\"");
  free_linux (l);

  /* runc 1.1 (cgroup v1) keeps the r, w and m of an access string and
   * ignores the rest: "rwq" is "rw"; with none of them ("RW") it fails */
  {
    struct cg_dev_rule *rules = NULL;
    size_t n = 0;
    ocirun_error_t e = NULL;
    l = new_linux (path);
    add_device (l, true, "c", 1, 3, "rwq");
    add_device (l, false, "c", 1, 5, "mmrr");
    CHECK (cg_device_rules (l->resources, &rules, &n, &e) == 0, "access rwq/mmrr: %s", e ? e->msg : "");
    CHECK (rules && cg_device_user_rules (n) == 2, "user rules kept: %zu", rules ? cg_device_user_rules (n) : 0);
    CHECK (rules && rules[1].minor == 3 && rules[1].access == (CG_DEV_R | CG_DEV_W), "rwq is rw: %u",
           rules ? rules[1].access : 0);
    CHECK (rules && rules[2].minor == 5 && !rules[2].allow && rules[2].access == (CG_DEV_R | CG_DEV_M),
           "mmrr is rm: %u", rules ? rules[2].access : 0);
    free (rules);
    ocirun_error_release (&e);
    free_linux (l);
  }
  l = new_linux (path);
  add_device (l, true, "c", 1, 3, "RW");
  expect_create_error ("device access RW", l, "linux.resources.devices[0].access");
  free_linux (l);

  l = new_linux (path);
  mem (l)->has_swappiness = true;
  mem (l)->swappiness = 101;
  expect_create_error ("swappiness 101", l, "linux.resources.memory.swappiness");
  free_linux (l);

  l = new_linux ("system.slice:ocirun:x");
  expect_create_error ("systemd path", l, "systemd cgroup paths need --systemd-cgroup");
  free_linux (l);

  l = new_linux ("/a/../b");
  expect_create_error ("path with ..", l, "must not contain `..`");
  free_linux (l);

  l = new_linux (path);
  add_unified (l, "../memory.max", "1");
  expect_create_error ("unified key with a slash", l, "linux.resources.unified[\"../memory.max\"]");
  free_linux (l);

  l = new_linux (path);
  add_unified (l, "nosuchctl.max", "1");
  expect_create_error ("unified unknown controller", l,
                       strcmp (mode, "v1") == 0 ? "linux.resources.unified"
                                                : "linux.resources.unified[\"nosuchctl.max\"]");
  free_linux (l);

  l = new_linux (path);
  l->resources->hugepage_limits = xmalloc0 (sizeof (oci_hugepage_limit));
  l->resources->hugepage_limits[0].page_size = xstrdup ("2XB");
  l->resources->hugepage_limits_len = 1;
  expect_create_error ("bad page size", l, "linux.resources.hugepageLimits[0].pageSize");
  free_linux (l);

  l = new_linux (path);
  l->resources->hugepage_limits = xmalloc0 (sizeof (oci_hugepage_limit));
  l->resources->hugepage_limits[0].page_size = xstrdup ("3MB");
  l->resources->hugepage_limits_len = 1;
  expect_create_error ("unsupported page size", l, "linux.resources.hugepageLimits");
  free_linux (l);

  if (!v2 && access ("/sys/fs/cgroup/net_cls", F_OK) != 0)
    {
      l = new_linux (path);
      l->resources->network = xmalloc0 (sizeof (oci_network));
      l->resources->network->has_class_id = true;
      l->resources->network->class_id = 42;
      expect_create_error ("net_cls not mounted", l,
                           "linux.resources.network.classID: the net_cls cgroup controller is not available");
      free_linux (l);
    }
  if (v2)
    {
      oci_rdma rd = { .name = (char *) "mlx5_0", .has_hca_handles = true, .hca_handles = 3 };
      l = new_linux (path);
      l->resources->rdma = &rd;
      l->resources->rdma_len = 1;
      expect_create_error ("rdma device that does not exist", l, "linux.resources.rdma[\"mlx5_0\"]");
      l->resources->rdma = NULL;
      l->resources->rdma_len = 0;
      free_linux (l);
      l = new_linux (path);
      cpu (l)->has_realtime_runtime = true;
      cpu (l)->realtime_runtime = 1000;
      expect_create_error ("realtime on v2", l, "linux.resources.cpu.realtimeRuntime");
      free_linux (l);
      l = new_linux (path);
      l->resources->network = xmalloc0 (sizeof (oci_network));
      l->resources->network->has_class_id = true;
      l->resources->network->class_id = 42;
      expect_create_error ("net_cls on v2", l, "linux.resources.network");
      free_linux (l);
    }

  /* the kernel refuses a value: the error names the field and the file */
  l = new_linux (path);
  cpu (l)->has_quota = true;
  cpu (l)->quota = 500; /* below the 1 ms minimum */
  cpu (l)->has_period = true;
  cpu (l)->period = 100000;
  expect_create_error ("quota below minimum", l,
                       v2 ? "linux.resources.cpu.quota: write `cpu.max` in `"
                          : "linux.resources.cpu.quota: write `cpu.cfs_quota_us` in `");
  free_linux (l);

  /* nothing of /bad may be left */
  {
    ocirun_cgroup *probe = NULL;
    ocirun_error_t e = NULL;
    l = new_linux (path);
    if (ocirun_cgroup_create ("probe", l, false, &probe, &e) == 0)
      {
        paths = all_paths (probe, &np);
        ocirun_cgroup_destroy (probe, &e);
        ocirun_cgroup_free (probe);
      }
    ocirun_error_release (&e);
    free_linux (l);
    for (i = 0; i < np; i++)
      CHECK (!dir_exists (paths[i]), "%s not left behind", paths[i]);
    free_strv (paths, np);
  }
}

static void
test_unified_hybrid (void)
{
  cleanup_free char *path = tpath ("/unified");
  oci_linux *l;

  if (strcmp (mode, "hybrid") != 0)
    return;
  section ("hybrid: unified keys need an enabled controller");
  l = new_linux (path);
  add_unified (l, "hugetlb.2MB.max", "1048576");
  expect_create_error ("hugetlb not enabled in unified", l,
                       "linux.resources.unified[\"hugetlb.2MB.max\"]: the hugetlb controller is not enabled");
  free_linux (l);
  l = new_linux (path);
  add_unified (l, "cgroup.max.depth", "3");
  {
    ocirun_cgroup *cg = create_ok ("unified-core", l);
    if (cg)
      {
        CHECK (file_is (cg, "unified", "cgroup.max.depth", "3"), "cgroup.max.depth written in unified");
        destroy_ok (cg);
      }
  }
  free_linux (l);
}

static void
test_v2_extras (void)
{
  cleanup_free char *path = tpath ("/v2x");
  oci_linux *l;
  ocirun_cgroup *cg;

  if (!v2)
    return;
  section ("v2: hugetlb, clone3 CLONE_INTO_CGROUP, checkBeforeUpdate");
  l = new_linux (path);
  if (access ("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0)
    {
      l->resources->hugepage_limits = xmalloc0 (sizeof (oci_hugepage_limit));
      l->resources->hugepage_limits[0].page_size = xstrdup ("2MB");
      l->resources->hugepage_limits[0].limit = 4 << 20;
      l->resources->hugepage_limits_len = 1;
    }
  cg = create_ok ("v2x", l);
  if (cg)
    {
      int fd = ocirun_cgroup_clone_fd (cg);
      if (l->resources->hugepage_limits_len)
        {
          CHECK (file_is (cg, "unified", "hugetlb.2MB.max", "4194304"), "hugetlb.2MB.max");
          if (cg_exists (ocirun_cgroup_path (cg, "unified"), "hugetlb.2MB.rsvd.max"))
            CHECK (file_is (cg, "unified", "hugetlb.2MB.rsvd.max", "4194304"), "hugetlb.2MB.rsvd.max");
        }
      CHECK (fd >= 0, "clone_fd");
#ifdef SYS_clone3
      if (fd >= 0)
        {
          struct
          {
            uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
                cgroup;
          } args = { 0 };
          long pid;
          args.flags = 0x200000000ULL; /* CLONE_INTO_CGROUP */
          args.exit_signal = SIGCHLD;
          args.cgroup = (uint64_t) fd;
          pid = syscall (SYS_clone3, &args, sizeof (args));
          if (pid == 0)
            {
              pause ();
              _exit (0);
            }
          CHECK (pid > 0 && proc_in_cgroup ((pid_t) pid, path), "clone3 into the cgroup (%ld)", pid);
          if (pid > 0)
            {
              kill ((pid_t) pid, SIGKILL);
              wait_status ((pid_t) pid);
            }
        }
#endif
      {
        /* checkBeforeUpdate: a limit below the current usage is refused */
        struct child c;
        ocirun_error_t e = NULL;
        oci_resources r = { 0 };
        oci_memory m = { 0 };
        spawn (&c, fn_touch_and_sleep, NULL);
        ocirun_cgroup_enter (cg, c.pid, NULL, &e);
        release (&c);
        msleep (100);
        m.has_limit = true;
        m.limit = 4 << 20; /* the child uses 8 MB */
        m.has_check_before_update = true;
        m.check_before_update = true;
        r.memory = &m;
        CHECK (ocirun_cgroup_update (cg, &r, &e) < 0 && err_has (e, "below the current usage"),
               "checkBeforeUpdate refuses");
        ocirun_error_release (&e);
        kill (c.pid, SIGKILL);
        wait_status (c.pid);
      }
      destroy_ok (cg);
    }
  free_linux (l);
}

/* mounts: in a child with its own mount namespace (and cgroupns) */
static int
mount_child (ocirun_cgroup *cg, bool cgroupns, const char *limit)
{
  char dir[] = "/tmp/ocirun-cgmount-XXXXXX";
  cleanup_free char *target = NULL;
  ocirun_error_t e = NULL;
  int fd, r = 0;
  struct statfs sfs;
  cleanup_free char *f = NULL, *v = NULL;

  if (unshare (CLONE_NEWNS | (cgroupns ? CLONE_NEWCGROUP : 0)) < 0)
    return 50;
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return 51;
  if (mkdtemp (dir) == NULL)
    return 52;
  xasprintf (&target, "%s/cgroup", dir);
  mkdir (target, 0755);
  fd = open (target, O_PATH | O_CLOEXEC);
  if (ocirun_cgroup_mount (cg, fd, "/sys/fs/cgroup", MS_RDONLY, cgroupns, &e) < 0)
    {
      printf ("  mount: %s\n", e->msg);
      r = 53;
      goto out;
    }
  if (v2)
    xasprintf (&f, "%s/memory.max", target);
  else
    xasprintf (&f, "%s/memory/memory.limit_in_bytes", target);
  if (read_all_file (f, &v, NULL, &e) < 0)
    {
      printf ("  %s\n", e->msg);
      r = 54;
      goto out;
    }
  v[strcspn (v, "\n")] = '\0';
  if (strcmp (v, limit) != 0)
    {
      printf ("  %s = %s, want %s\n", f, v, limit);
      r = 55;
      goto out;
    }
  /* read-only */
  if (open (f, O_WRONLY) >= 0 || errno != EROFS)
    {
      r = 56;
      goto out;
    }
  if (!v2)
    {
      cleanup_free char *tmpf = NULL;
      xasprintf (&tmpf, "%s/newdir", target);
      if (mkdir (tmpf, 0755) == 0 || errno != EROFS)
        r = 57;
      free (f);
      xasprintf (&f, "%s/pids/pids.max", target);
      if (access (f, R_OK) < 0)
        r = 58;
    }
  if (strcmp (mode, "hybrid") == 0)
    {
      free (f);
      xasprintf (&f, "%s/unified", target);
      if (statfs (f, &sfs) < 0 || sfs.f_type != 0x63677270)
        r = 59;
    }
out:
  /* the mount namespace goes away with us; the directory does not */
  umount2 (target, MNT_DETACH);
  rmdir (target);
  rmdir (dir);
  return r;
}

struct mount_arg
{
  ocirun_cgroup *cg;
  bool cgroupns;
  const char *limit;
};

static int
fn_mount (void *arg)
{
  struct mount_arg *a = arg;
  return mount_child (a->cg, a->cgroupns, a->limit);
}

static void
test_mount (void)
{
  cleanup_free char *path = tpath ("/mount");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg;
  int ns;

  section ("cgroup mounts (with and without cgroupns, read-only)");
  mem (l)->has_limit = true;
  mem (l)->limit = 96 << 20;
  cg = create_ok ("mount", l);
  if (cg == NULL)
    {
      free_linux (l);
      return;
    }
  for (ns = 0; ns < 2; ns++)
    {
      struct child c;
      struct mount_arg a = { cg, ns == 1, "100663296" };
      ocirun_error_t e = NULL;
      int st;
      spawn (&c, fn_mount, &a);
      ocirun_cgroup_enter (cg, c.pid, NULL, &e);
      ocirun_error_release (&e);
      release (&c);
      st = wait_status (c.pid);
      CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0, "mount %s cgroupns: status %d", ns ? "with" : "without",
             WIFEXITED (st) ? WEXITSTATUS (st) : -1);
    }
  destroy_ok (cg);
  free_linux (l);
}

static int
fn_rootless (void *arg)
{
  cleanup_free char *path = tpath ("/rootless");
  oci_linux *l = new_linux (path);
  ocirun_cgroup *cg = NULL;
  ocirun_error_t e = NULL;
  int r = 0;

  if (setresgid (65534, 65534, 65534) < 0 || setresuid (65534, 65534, 65534) < 0)
    return 60;
  ocirun_log_verbosity = OCIRUN_LOG_ERROR; /* the expected warning */
  if (ocirun_cgroup_create ("rootless", l, true, &cg, &e) < 0)
    {
      printf ("  rootless create: %s\n", e->msg);
      return 61;
    }
  if (!ocirun_cgroup_is_empty_manager (cg))
    r = 62;
  if (ocirun_cgroup_enter (cg, getpid (), NULL, &e) < 0 || ocirun_cgroup_destroy (cg, &e) < 0)
    r = 63;
  ocirun_cgroup_free (cg);
  cg = NULL;
  /* zeros ask for nothing (rootless Docker's "blockIO": {"weight": 0}):
   * still the empty manager, as runc */
  zeros (l);
  if (ocirun_cgroup_create ("rootless", l, true, &cg, &e) < 0)
    {
      printf ("  rootless create with zeros: %s\n", e->msg);
      r = 65;
    }
  else if (!ocirun_cgroup_is_empty_manager (cg))
    r = 66;
  ocirun_error_release (&e);
  ocirun_cgroup_free (cg);
  cg = NULL;
  free (l->resources->pids);
  set_pids (l, 5);
  if (ocirun_cgroup_create ("rootless", l, true, &cg, &e) == 0)
    r = 64;
  ocirun_error_release (&e);
  free_linux (l);
  return r;
}

static void
test_rootless (void)
{
  struct child c;
  int st;
  section ("rootless without cgroup access: empty manager, error with resources");
  spawn (&c, fn_rootless, NULL);
  release (&c);
  st = wait_status (c.pid);
  CHECK (WIFEXITED (st) && WEXITSTATUS (st) == 0, "rootless (status %d)", WIFEXITED (st) ? WEXITSTATUS (st) : -1);
}

/* Anything named like ours left under a hierarchy is a failure (and is
 * removed: we made it). */
static void
check_leftovers (void)
{
  static const char *const roots[] = { "/sys/fs/cgroup",         "/sys/fs/cgroup/memory",  "/sys/fs/cgroup/pids",
                                       "/sys/fs/cgroup/cpu",     "/sys/fs/cgroup/unified", "/sys/fs/cgroup/devices",
                                       "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/blkio",   "/sys/fs/cgroup/cpuset" };
  size_t i;
  section ("nothing left behind");
  for (i = 0; i < ARRAY_SIZE (roots); i++)
    {
      char p[128];
      snprintf (p, sizeof p, "%s%s", roots[i], base);
      CHECK (!dir_exists (p), "%s left behind", p);
      snprintf (p, sizeof p, "%s%s-keep", roots[i], base);
      CHECK (!dir_exists (p), "%s left behind", p);
    }
}

/* OCIRUN_TEST_ONLY=basic,update runs a subset */
static bool
selected (const char *name)
{
  const char *only = getenv ("OCIRUN_TEST_ONLY");
  cleanup_free char *copy = NULL;
  char *tok, *save = NULL;
  if (only == NULL)
    return true;
  copy = xstrdup (only);
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (strstr (name, tok))
      return true;
  return false;
}
#define RUN(fn)                                                                                                        \
  do                                                                                                                   \
    {                                                                                                                  \
      if (selected (#fn))                                                                                              \
        fn ();                                                                                                         \
    }                                                                                                                  \
  while (0)

int
main (int argc, char **argv)
{
  ocirun_cgroup *probe = NULL;
  ocirun_error_t e = NULL;
  oci_linux *l;

  setvbuf (stdout, NULL, _IOLBF, 0);
  signal (SIGPIPE, SIG_IGN);
  if (getuid () != 0)
    {
      printf ("test-cgroup: needs root, skipping\n");
      return 77;
    }
  if (getenv ("OCIRUN_TEST_DEBUG"))
    ocirun_log_verbosity = OCIRUN_LOG_DEBUG;
  snprintf (base, sizeof base, "/ocirun-test-%d", (int) getpid ());
  l = new_linux (base);
  if (ocirun_cgroup_create ("probe", l, false, &probe, &e) < 0)
    {
      printf ("test-cgroup: cannot create a cgroup here (%s), skipping\n", e->msg);
      return 77;
    }
  mode = ocirun_cgroup_mode_name (probe);
  v2 = strcmp (mode, "v2") == 0;
  ocirun_cgroup_destroy (probe, &e);
  ocirun_cgroup_free (probe);
  free_linux (l);
  printf ("# cgroup layout: %s\n", mode);

  RUN (test_conversions);
  RUN (test_bpf_builder);
  RUN (test_basic);
  RUN (test_default_path);
  RUN (test_values);
  RUN (test_pids_effect);
  RUN (test_memory_effect);
  RUN (test_devices_effect);
  RUN (test_freeze_kill);
  RUN (test_kill_frozen);
  RUN (test_update);
  RUN (test_zeros);
  RUN (test_nested_and_ownership);
  RUN (test_relative);
  RUN (test_errors);
  RUN (test_unified_hybrid);
  RUN (test_v2_extras);
  RUN (test_mount);
  RUN (test_rootless);
  check_leftovers ();

  return check_report ();
}
