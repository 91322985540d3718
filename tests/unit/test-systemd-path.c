/* test-systemd-path: the systemd driver's pure parts, no bus and no root:
 * cgroupsPath "slice:prefix:name" parsing (runc's rules), slice expansion
 * as systemd does it, the resources -> unit properties mapping and the
 * org.systemd.property.* annotations.  The driver against a real systemd
 * is tests/systemd (in the qemu lane's systemd guest).
 * Prints "N passed, N failed". */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cgroup.h"
#include "cgroup_internal.h"
#include "utils.h"

static void
expand_ok (const char *in, const char *want)
{
  char *out = NULL;
  ocirun_error_t e = NULL;
  int r = cg_sd_expand_slice (in, &out, &e);
  CHECK (r == 0 && out && strcmp (out, want) == 0, "expand %s: got %s (%s), want %s", in, out ? out : "(null)",
         e ? e->msg : "", want);
  free (out);
  ocirun_error_release (&e);
}

static void
expand_bad (const char *in)
{
  char *out = NULL;
  ocirun_error_t e = NULL;
  int r = cg_sd_expand_slice (in, &out, &e);
  CHECK (r < 0 && e && strstr (e->msg, "linux.cgroupsPath") && strstr (e->msg, in), "expand %s should fail: %s", in,
         e ? e->msg : out);
  free (out);
  ocirun_error_release (&e);
}

static void
parse_ok (const char *path, bool rootless, const char *want_slice, const char *want_unit)
{
  char *slice = NULL, *unit = NULL;
  ocirun_error_t e = NULL;
  int r = cg_sd_parse_path (path, "ctr1", rootless, &slice, &unit, &e);
  CHECK (r == 0 && slice && unit && strcmp (slice, want_slice) == 0 && strcmp (unit, want_unit) == 0,
         "parse \"%s\": got %s %s (%s), want %s %s", path ? path : "(null)", slice, unit, e ? e->msg : "", want_slice,
         want_unit);
  free (slice);
  free (unit);
  ocirun_error_release (&e);
}

static void
parse_bad (const char *path, const char *want_msg)
{
  char *slice = NULL, *unit = NULL;
  ocirun_error_t e = NULL;
  int r = cg_sd_parse_path (path, "ctr1", false, &slice, &unit, &e);
  CHECK (r < 0 && e && strstr (e->msg, want_msg) && strstr (e->msg, "linux.cgroupsPath"),
         "parse \"%s\" should fail with \"%s\": %s", path, want_msg, e ? e->msg : "succeeded");
  free (slice);
  free (unit);
  ocirun_error_release (&e);
}

static void
test_paths (void)
{
  expand_ok ("system.slice", "/system.slice");
  expand_ok ("-.slice", "/");
  expand_ok ("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice");
  expand_ok ("machine.slice", "/machine.slice");
  expand_ok ("kubepods-besteffort-pod1234.slice",
             "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice");
  expand_ok ("user-1000.slice", "/user.slice/user-1000.slice");
  expand_bad ("system");
  expand_bad ("a/b.slice");
  expand_bad ("-a.slice");
  expand_bad ("a-.slice");
  expand_bad ("a--b.slice");
  expand_bad (".slice");
  expand_bad ("a b.slice");

  parse_ok ("system.slice:docker:abc", false, "system.slice", "docker-abc.scope");
  parse_ok ("machine.slice:libpod:0123", false, "machine.slice", "libpod-0123.scope");
  parse_ok ("kubepods-besteffort-pod1.slice:cri-containerd:x", false, "kubepods-besteffort-pod1.slice",
            "cri-containerd-x.scope");
  parse_ok (":docker:abc", false, "system.slice", "docker-abc.scope");
  parse_ok (":docker:abc", true, "user.slice", "docker-abc.scope");
  parse_ok (NULL, false, "system.slice", "ocirun-ctr1.scope");
  parse_ok ("", true, "user.slice", "ocirun-ctr1.scope");
  parse_ok ("system.slice:pfx:", false, "system.slice", "pfx-ctr1.scope");
  parse_ok ("system.slice::name", false, "system.slice", "name.scope");
  parse_ok ("system.slice:ignored:my-pod.slice", false, "system.slice", "my-pod.slice");
  parse_ok ("-.slice:p:n", false, "-.slice", "p-n.scope");
  parse_bad ("/a/b", "slice:prefix:name");
  parse_bad ("a:b", "slice:prefix:name");
  parse_bad ("a:b:c:d", "slice:prefix:name");
  parse_bad ("system:p:n", "invalid slice name");
  parse_bad ("bad--slice.slice:p:n", "invalid slice name");
  parse_bad ("system.slice:p:bad/name", "invalid unit name");
  parse_bad ("system.slice:p:-x.slice", "invalid slice name");
}

static char *
props_of (oci_resources *r, bool v2)
{
  struct cg_sd_props p = { 0 };
  ocirun_error_t e = NULL;
  char *t;
  if (cg_sd_resource_props (r, v2, &p, &e) < 0)
    {
      t = xstrdup (e->msg);
      ocirun_error_release (&e);
      cg_sd_props_free (&p);
      return t;
    }
  t = cg_sd_props_text (&p);
  cg_sd_props_free (&p);
  return t;
}

static void
test_resources (void)
{
  oci_resources r;
  oci_memory m;
  oci_cpu c;
  oci_pids pids;
  oci_blkio b;
  oci_device_cgroup dev[2];
  char *t;

  memset (&r, 0, sizeof r);
  memset (&m, 0, sizeof m);
  memset (&c, 0, sizeof c);
  memset (&b, 0, sizeof b);
  memset (dev, 0, sizeof dev);
  m.has_limit = true;
  m.limit = 64 << 20;
  m.has_reservation = true;
  m.reservation = 32 << 20;
  m.has_swap = true;
  m.swap = 96 << 20;
  c.has_shares = true;
  c.shares = 1024;
  c.has_quota = true;
  c.quota = 50000;
  c.has_period = true;
  c.period = 100000;
  c.cpus = (char *) "0-2,5";
  c.mems = (char *) "0";
  pids.limit = 42;
  b.has_weight = true;
  b.weight = 500;
  r.memory = &m;
  r.cpu = &c;
  r.pids = &pids;
  r.block_io = &b;

  t = props_of (&r, true);
  CHECK (strstr (t, "MemoryMax=t:67108864\n"), "v2 MemoryMax: %s", t);
  CHECK (strstr (t, "MemoryLow=t:33554432\n"), "v2 MemoryLow: %s", t);
  CHECK (strstr (t, "MemorySwapMax=t:33554432\n"), "v2 MemorySwapMax is swap - limit: %s", t);
  /* runc/crun: 1 + ((1024 - 2) * 9999) / 262142 = 39 */
  CHECK (strstr (t, "CPUWeight=t:39\n"), "v2 CPUWeight from shares: %s", t);
  CHECK (strstr (t, "CPUQuotaPerSecUSec=t:500000\n"), "CPUQuotaPerSecUSec: %s", t);
  CHECK (strstr (t, "CPUQuotaPeriodUSec=t:100000\n"), "CPUQuotaPeriodUSec: %s", t);
  CHECK (strstr (t, "AllowedCPUs=y:27\n"), "AllowedCPUs bitmask 0-2,5 = 0x27: %s", t);
  CHECK (strstr (t, "AllowedMemoryNodes=y:01\n"), "AllowedMemoryNodes: %s", t);
  CHECK (strstr (t, "TasksMax=t:42\n"), "TasksMax: %s", t);
  CHECK (strstr (t, "IOWeight=t:"), "IOWeight: %s", t);
  /* the default rules: deny all, then runc's allow list */
  CHECK (strstr (t, "DevicePolicy=s:strict\n") && strstr (t, "/dev/char/1:3 rwm") && strstr (t, "char-* m"),
         "devices: %s", t);
  free (t);

  t = props_of (&r, false);
  CHECK (strstr (t, "MemoryLimit=t:67108864\n") && strstr (t, "CPUShares=t:1024\n") && !strstr (t, "AllowedCPUs")
             && strstr (t, "BlockIOWeight=t:500\n") && !strstr (t, "MemorySwapMax"),
         "v1 properties: %s", t);
  free (t);

  /* unlimited values and quota rounding to systemd's 10 ms */
  m.limit = -1;
  m.swap = -1;
  c.quota = 12345;
  c.period = 100000;
  pids.limit = -1;
  t = props_of (&r, true);
  CHECK (strstr (t, "MemoryMax=t:infinity\n") && strstr (t, "MemorySwapMax=t:infinity\n")
             && strstr (t, "TasksMax=t:infinity\n") && strstr (t, "CPUQuotaPerSecUSec=t:130000\n"),
         "unlimited / rounding: %s", t);
  free (t);
  c.quota = -1;
  t = props_of (&r, true);
  CHECK (strstr (t, "CPUQuotaPerSecUSec=t:infinity\n"), "quota -1: %s", t);
  free (t);

  /* a device rule systemd cannot express: policy auto, no list */
  memset (&r, 0, sizeof r);
  dev[0].allow = true;
  dev[0].type = (char *) "a";
  dev[0].access = (char *) "rwm";
  r.devices = dev;
  r.devices_len = 1;
  t = props_of (&r, true);
  CHECK (strstr (t, "DevicePolicy=s:auto\n") && strstr (t, "DeviceAllow=D:\n"), "allow-all devices: %s", t);
  free (t);

  c = (oci_cpu) { 0 };
  c.cpus = (char *) "0-x";
  r = (oci_resources) { 0 };
  r.cpu = &c;
  t = props_of (&r, true);
  CHECK (strstr (t, "linux.resources.cpu.cpus"), "bad cpus: %s", t);
  free (t);
}

static char *
ann_of (const char *k, const char *v)
{
  char *keys[1] = { (char *) k }, *values[1] = { (char *) v };
  oci_map a = { keys, values, 1 };
  struct cg_sd_props p = { 0 };
  ocirun_error_t e = NULL;
  char *t;
  if (cg_sd_annotation_props (&a, &p, &e) < 0)
    {
      xasprintf (&t, "ERR %s", e->msg);
      ocirun_error_release (&e);
    }
  else
    t = cg_sd_props_text (&p);
  cg_sd_props_free (&p);
  return t;
}

static void
ann_is (const char *k, const char *v, const char *want)
{
  char *t = ann_of (k, v);
  CHECK (strstr (t, want) != NULL, "annotation %s=%s: got \"%s\", want \"%s\"", k, v, t, want);
  free (t);
}

static void
test_annotations (void)
{
  ann_is ("org.systemd.property.TimeoutStopUSec", "uint64 5000000", "TimeoutStopUSec=t:5000000\n");
  ann_is ("org.systemd.property.TimeoutStopUSec", "@t 7", "TimeoutStopUSec=t:7\n");
  ann_is ("org.systemd.property.TasksAccounting", "true", "TasksAccounting=b:yes\n");
  ann_is ("org.systemd.property.CPUAccounting", "false", "CPUAccounting=b:no\n");
  ann_is ("org.systemd.property.Description", "'my container'", "Description=s:my container\n");
  ann_is ("org.systemd.property.CollectMode", "\"inactive-or-failed\"", "CollectMode=s:inactive-or-failed\n");
  ann_is ("org.systemd.property.MemoryHigh", "1048576", "MemoryHigh=t:1048576\n");
  /* runc: a "...Sec" name is sent as "...USec", the value in microseconds */
  ann_is ("org.systemd.property.TimeoutStopSec", "5", "TimeoutStopUSec=t:5000000\n");
  ann_is ("org.systemd.property.RuntimeMaxSec", "1.5", "RuntimeMaxUSec=t:1500000\n");
  ann_is ("org.systemd.property.Nice", "int32 -5", "Nice=i:-5\n");
  ann_is ("other.annotation", "x", "");
  ann_is ("org.systemd.property.lower", "1", "ERR annotations \"org.systemd.property.lower\"");
  ann_is ("org.systemd.property.Bad-Name", "1", "ERR annotations");
  ann_is ("org.systemd.property.TasksMax", "lots", "ERR annotations \"org.systemd.property.TasksMax\": cannot parse");
  ann_is ("org.systemd.property.TasksAccounting", "boolean 3", "ERR annotations");
  ann_is ("org.systemd.property.PIDs", "1", "ERR annotations \"org.systemd.property.PIDs\": set by the runtime");
  ann_is ("org.systemd.property.Delegate", "false", "ERR");
}

int
main (void)
{
  test_paths ();
  test_resources ();
  test_annotations ();
  return check_report ();
}
