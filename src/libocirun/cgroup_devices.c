/* The device cgroup: config-linux.md#allowed-device-list.
 *
 * Rules, in order (runc's behaviour): deny everything, allow the standard
 * set every container needs (below), then linux.resources.devices as
 * given.  linux.devices entries are NOT allowed automatically (runc; crun
 * does add them): a config that creates a device and wants it usable lists
 * it in resources.devices too.
 *
 * v1: the rules are written to devices.deny / devices.allow in order.
 * v2: there are no files; a BPF_PROG_TYPE_CGROUP_DEVICE program decides,
 * built here instruction by instruction (no libbpf) and attached with
 * bpf(BPF_PROG_ATTACH).  The program tries the rules from the last to the
 * first and the first match decides, which gives the "applied in order,
 * later entries win" semantics of the v1 list. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>

#include "cgroup_internal.h"
#include "utils.h"

#define ANY (-1)

static const struct cg_dev_rule default_rules[] = {
  { true, 'c', ANY, ANY, CG_DEV_M },                       /* mknod of any char device (not open) */
  { true, 'b', ANY, ANY, CG_DEV_M },                       /* mknod of any block device */
  { true, 'c', 1, 3, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/null */
  { true, 'c', 1, 5, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/zero */
  { true, 'c', 1, 7, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/full */
  { true, 'c', 1, 8, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/random */
  { true, 'c', 1, 9, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/urandom */
  { true, 'c', 5, 0, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/tty */
  { true, 'c', 5, 1, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/console */
  { true, 'c', 5, 2, CG_DEV_R | CG_DEV_W | CG_DEV_M },     /* /dev/ptmx */
  { true, 'c', 136, ANY, CG_DEV_R | CG_DEV_W | CG_DEV_M }, /* /dev/pts/N */
};

/* how many of n rules (from cg_device_rules) came from the config */
size_t
cg_device_user_rules (size_t n)
{
  return n - 1 - ARRAY_SIZE (default_rules);
}

int
cg_device_rules (const oci_resources *r, struct cg_dev_rule **out, size_t *n, ocirun_error_t *err)
{
  size_t nuser = r ? r->devices_len : 0, i, k = 0;
  struct cg_dev_rule *rules = xmalloc0 ((1 + ARRAY_SIZE (default_rules) + nuser) * sizeof (*rules));

  /* deny all, then the config's rules, then the default devices: as with
   * runc, the defaults stay usable whatever the config says (a config's
   * usual leading "deny all" must not deny /dev/null) */
  rules[k++] = (struct cg_dev_rule) { false, 'a', ANY, ANY, CG_DEV_R | CG_DEV_W | CG_DEV_M };
  for (i = 0; i < nuser; i++)
    {
      const oci_device_cgroup *d = &r->devices[i];
      struct cg_dev_rule *x = &rules[k];
      const char *a;
      x->allow = d->allow;
      /* "" is "not set", the spec's default "a" (runc) */
      if (d->type == NULL || *d->type == '\0' || strcmp (d->type, "a") == 0)
        x->type = 'a';
      else if (strcmp (d->type, "c") == 0 || strcmp (d->type, "b") == 0)
        x->type = d->type[0];
      else
        {
          free (rules);
          return ocirun_make_error (err, 0, "linux.resources.devices[%zu].type: unknown device type \"%s\"", i,
                                    d->type);
        }
      if ((d->has_major && (d->major < ANY || d->major > 0xfff))
          || (d->has_minor && (d->minor < ANY || d->minor > 0xfffff)))
        {
          free (rules);
          return ocirun_make_error (err, 0, "linux.resources.devices[%zu]: invalid device number", i);
        }
      x->major = d->has_major ? d->major : ANY;
      x->minor = d->has_minor ? d->minor : ANY;
      x->access = 0;
      a = d->access && *d->access ? d->access : "rwm";
      /* runc 1.1 on cgroup v1 (devices.Permissions.toSet) keeps the r, w
       * and m of the string, in any order and repeated, and ignores the
       * other characters ("rwa" is "rw"); a string without any of them
       * fails there ("resulting devices cgroup doesn't precisely match
       * target"): accept the same, and say why for the rest */
      for (; *a; a++)
        {
          if (*a == 'r')
            x->access |= CG_DEV_R;
          else if (*a == 'w')
            x->access |= CG_DEV_W;
          else if (*a == 'm')
            x->access |= CG_DEV_M;
        }
      if (x->access == 0)
        {
          free (rules);
          return ocirun_make_error (err, 0,
                                    "linux.resources.devices[%zu].access: \"%s\" names no access "
                                    "(a combination of r, w and m)",
                                    i, d->access);
        }
      k++;
    }
  for (i = 0; i < ARRAY_SIZE (default_rules); i++)
    rules[k++] = default_rules[i];
  *out = rules;
  *n = k;
  return 0;
}

/* --- v1 --- */

static void
fmt_num (char *buf, size_t len, int64_t v)
{
  if (v < 0)
    snprintf (buf, len, "*");
  else
    snprintf (buf, len, "%" PRId64, v);
}

static void
fmt_access (char *buf, unsigned acc)
{
  char *p = buf;
  if (acc & CG_DEV_R)
    *p++ = 'r';
  if (acc & CG_DEV_W)
    *p++ = 'w';
  if (acc & CG_DEV_M)
    *p++ = 'm';
  *p = '\0';
}

static bool
is_deny_all (const struct cg_dev_rule *x)
{
  return x->type == 'a' && x->major < 0 && x->minor < 0 && x->access == (CG_DEV_R | CG_DEV_W | CG_DEV_M);
}

/* cgroup v1 keeps one list of exceptions to a default: a deny that falls
 * inside an earlier wildcard allow cannot be expressed, and the kernel
 * silently ignores it.  Refuse such a config (as runc's device emulator
 * does) rather than run a container with the device open.  rules[0] is our
 * deny-all, rules[1..] are linux.resources.devices[0..]. */
static int
v1_check_holes (const struct cg_dev_rule *rules, size_t n, size_t n_user, ocirun_error_t *err)
{
  size_t i, j, start = 0;
  for (j = 1; j <= n_user && j < n; j++)
    {
      const struct cg_dev_rule *d = &rules[j];
      if (is_deny_all (d))
        {
          start = j;
          continue;
        }
      if (d->allow)
        continue;
      for (i = start + 1; i < j; i++)
        {
          const struct cg_dev_rule *a = &rules[i];
          bool wildcard = a->type == 'a' || a->major < 0 || a->minor < 0;
          if (!a->allow || !wildcard || !(a->access & d->access))
            continue;
          if ((a->type == 'a' || a->type == d->type || d->type == 'a') && (a->major < 0 || a->major == d->major)
              && (a->minor < 0 || a->minor == d->minor))
            return ocirun_make_error (err, 0,
                                      "linux.resources.devices[%zu]: cgroup v1 cannot deny part of what "
                                      "linux.resources.devices[%zu] allows with a wildcard",
                                      j - 1, i - 1);
        }
    }
  return 0;
}

int
cg_devices_v1_apply (const char *dir, const struct cg_dev_rule *rules, size_t n, ocirun_error_t *err)
{
  size_t i;
  if (v1_check_holes (rules, n, cg_device_user_rules (n), err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    {
      const struct cg_dev_rule *x = &rules[i];
      const char *file = x->allow ? "devices.allow" : "devices.deny";
      char maj[24], min[24], acc[4];
      const char *field = i == 0 ? "linux.resources.devices (deny all)" : "linux.resources.devices";
      fmt_num (maj, sizeof maj, x->major);
      fmt_num (min, sizeof min, x->minor);
      fmt_access (acc, x->access);
      if (x->type == 'a' && x->major < 0 && x->minor < 0 && x->access == (CG_DEV_R | CG_DEV_W | CG_DEV_M))
        {
          /* "a": the whole list at once (the kernel resets the exceptions) */
          if (cg_write (dir, file, field, err, "a") < 0)
            return -1;
          continue;
        }
      if (x->type == 'a')
        {
          /* v1 reads "a" as everything, whatever follows: spell out both types */
          if (cg_write (dir, file, field, err, "c %s:%s %s", maj, min, acc) < 0
              || cg_write (dir, file, field, err, "b %s:%s %s", maj, min, acc) < 0)
            return -1;
          continue;
        }
      if (cg_write (dir, file, field, err, "%c %s:%s %s", x->type, maj, min, acc) < 0)
        return -1;
    }
  return 0;
}

/* --- v2: eBPF --- */

/* Instruction builders (see linux/filter.h; not exported to user space). */
#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN (BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) INSN (BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT_INSN() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
 * access_type = (access << 16) | type. */
enum
{
  R_CTX = 1,
  R_TYPE = 2,
  R_ACC = 3,
  R_MAJ = 4,
  R_MIN = 5,
  R_TMP = 1, /* the ctx pointer is dead after the prologue */
};

/* Append the block for one rule.  Returns true when the rule matches
 * every request (nothing after it can be reached). */
static bool
emit_rule (struct bpf_insn *p, size_t *len, const struct cg_dev_rule *x)
{
  const unsigned all = CG_DEV_R | CG_DEV_W | CG_DEV_M;
  int blen = 2, i = 0;
  bool check_acc = x->access != all;
  size_t start = *len;

  blen += x->type != 'a';
  blen += check_acc ? 3 : 0;
  blen += x->major >= 0;
  blen += x->minor >= 0;
  /* every jump goes to the next block: offset = blen - (index + 1) */
  if (x->type != 'a')
    {
      p[start + i] = JMP_IMM (BPF_JNE, R_TYPE, x->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, blen - i - 1);
      i++;
    }
  if (check_acc)
    {
      p[start + i++] = MOV32_REG (R_TMP, R_ACC);
      if (x->allow)
        {
          /* allow only when every requested bit is granted */
          p[start + i++] = ALU32_IMM (BPF_AND, R_TMP, (int) (~x->access & all));
          p[start + i] = JMP_IMM (BPF_JNE, R_TMP, 0, blen - i - 1);
        }
      else
        {
          /* deny when any requested bit is denied */
          p[start + i++] = ALU32_IMM (BPF_AND, R_TMP, (int) x->access);
          p[start + i] = JMP_IMM (BPF_JEQ, R_TMP, 0, blen - i - 1);
        }
      i++;
    }
  if (x->major >= 0)
    {
      p[start + i] = JMP_IMM (BPF_JNE, R_MAJ, (int) x->major, blen - i - 1);
      i++;
    }
  if (x->minor >= 0)
    {
      p[start + i] = JMP_IMM (BPF_JNE, R_MIN, (int) x->minor, blen - i - 1);
      i++;
    }
  p[start + i++] = MOV64_IMM (0, x->allow ? 1 : 0);
  p[start + i++] = EXIT_INSN ();
  *len = start + (size_t) i;
  return blen == 2;
}

/* Exposed for the unit test: build the program for `rules`. */
size_t ocirun_cgroup_devices_bpf (const struct cg_dev_rule *rules, size_t n, struct bpf_insn **out);
size_t
ocirun_cgroup_devices_bpf (const struct cg_dev_rule *rules, size_t n, struct bpf_insn **out)
{
  struct bpf_insn *p = xmalloc0 ((8 + n * 10) * sizeof (*p));
  size_t len = 0, i;
  bool complete = false;

  p[len++] = LDX_W (R_TYPE, R_CTX, 0);
  p[len++] = ALU32_IMM (BPF_AND, R_TYPE, 0xffff);
  p[len++] = LDX_W (R_ACC, R_CTX, 0);
  p[len++] = ALU32_IMM (BPF_RSH, R_ACC, 16);
  p[len++] = LDX_W (R_MAJ, R_CTX, 4);
  p[len++] = LDX_W (R_MIN, R_CTX, 8);
  for (i = n; i-- > 0 && !complete;)
    complete = emit_rule (p, &len, &rules[i]);
  if (!complete)
    {
      /* nothing matched: deny (the verifier rejects unreachable code, so
       * this is only emitted when it can be reached) */
      p[len++] = MOV64_IMM (0, 0);
      p[len++] = EXIT_INSN ();
    }
  *out = p;
  return len;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

int
cg_devices_v2_apply (const char *dir, const struct cg_dev_rule *rules, size_t n, ocirun_error_t *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_close int prog = -1, dirfd = -1;
  cleanup_free char *log = NULL;
  union bpf_attr attr;
  uint32_t old_ids[64];
  uint32_t old_cnt = 0, i;
  size_t len = ocirun_cgroup_devices_bpf (rules, n, &insns);

  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return ocirun_make_error (err, errno, "linux.resources.devices: open `%s`", dir);

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) len;
  attr.license = (uint64_t) (uintptr_t) "Apache";
  prog = sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog < 0)
    {
      int e = errno;
      /* again with the verifier's log, for the message */
      log = xmalloc0 (4096);
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = 4096;
      attr.log_level = 1;
      if (sys_bpf (BPF_PROG_LOAD, &attr) < 0 && log[0])
        {
          size_t l = strlen (log);
          while (l && log[l - 1] == '\n')
            log[--l] = '\0';
          return ocirun_make_error (err, e, "linux.resources.devices: load the device cgroup program (%s)", log);
        }
      return ocirun_make_error (err, e, "linux.resources.devices: load the device cgroup program");
    }

  /* the programs attached before (an update): detached once ours is in */
  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = (uint32_t) dirfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) old_ids;
  attr.query.prog_cnt = ARRAY_SIZE (old_ids);
  if (sys_bpf (BPF_PROG_QUERY, &attr) == 0)
    old_cnt = attr.query.prog_cnt;

  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) dirfd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return ocirun_make_error (err, errno, "linux.resources.devices: attach the device cgroup program to `%s`", dir);

  for (i = 0; i < old_cnt && i < ARRAY_SIZE (old_ids); i++)
    {
      cleanup_close int ofd = -1;
      memset (&attr, 0, sizeof (attr));
      attr.prog_id = old_ids[i];
      ofd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (ofd < 0)
        continue;
      memset (&attr, 0, sizeof (attr));
      attr.target_fd = (uint32_t) dirfd;
      attr.attach_bpf_fd = (uint32_t) ofd;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &attr) < 0)
        ocirun_warning ("detach the previous device cgroup program from `%s`: %s", dir, strerror (errno));
    }
  return 0;
}
