/* process.capabilities (config.md#linux-process): the five sets, applied
 * with raw capset(2)/prctl(2), so no library is loaded on the hot path. */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "caps.h"
#include "utils.h"

const char *const ocirun_cap_names[] = {
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
};
const int ocirun_cap_names_len = (int) ARRAY_SIZE (ocirun_cap_names);

int
ocirun_cap_from_name (const char *name)
{
  int i;
  for (i = 0; i < ocirun_cap_names_len; i++)
    if (strcasecmp (name, ocirun_cap_names[i]) == 0)
      return i;
  return -1;
}

static int
cap_last (void)
{
  static int last = -1;
  if (last < 0)
    {
      char buf[16] = { 0 };
      FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
      if (f && fgets (buf, sizeof buf, f))
        last = atoi (buf);
      if (f)
        fclose (f);
      if (last <= 0)
        last = CAP_LAST_CAP;
    }
  return last;
}

static int
set_mask_ (char **names, size_t n, uint64_t *mask, const char *set, bool warn, ocirun_error_t *err)
{
  size_t i;
  int last = cap_last ();
  *mask = 0;
  for (i = 0; i < n; i++)
    {
      int c = ocirun_cap_from_name (names[i]);
      if (c < 0)
        {
          /* config.md: a value that "cannot be mapped to a relevant kernel
           * interface ... MUST be logged as a warning"; runc and crun go on */
          if (warn)
            ocirun_warning ("process.capabilities.%s[%zu]: unknown capability `%s`, ignored", set, i, names[i]);
          continue;
        }
      if (c > last)
        {
          /* known to us but not to this kernel: skip, as runc does */
          if (warn)
            ocirun_warning ("process.capabilities.%s: `%s` is not supported by this kernel, ignored", set, names[i]);
          continue;
        }
      *mask |= 1ULL << c;
    }
  return 0;
}
#define set_mask(names, n, mask, set, err) set_mask_ (names, n, mask, set, false, err)

int
ocirun_caps_validate (const oci_capabilities *c, const char *where, ocirun_error_t *err)
{
  uint64_t m;
  if (c == NULL)
    return 0;
  if (set_mask_ (c->bounding, c->bounding_len, &m, "bounding", true, err) < 0
      || set_mask_ (c->effective, c->effective_len, &m, "effective", true, err) < 0
      || set_mask_ (c->inheritable, c->inheritable_len, &m, "inheritable", true, err) < 0
      || set_mask_ (c->permitted, c->permitted_len, &m, "permitted", true, err) < 0
      || set_mask_ (c->ambient, c->ambient_len, &m, "ambient", true, err) < 0)
    return ocirun_error_prefix (err, "%s", where);
  {
    /* warn about what this runtime cannot grant (it lacks it itself) */
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct cur[2];
    uint64_t want = 0, held, miss;
    int i;
    memset (cur, 0, sizeof cur);
    set_mask (c->effective, c->effective_len, &m, "effective", err);
    want |= m;
    set_mask (c->permitted, c->permitted_len, &m, "permitted", err);
    want |= m;
    if (syscall (SYS_capget, &hdr, cur) == 0)
      {
        held = (uint64_t) cur[0].permitted | ((uint64_t) cur[1].permitted << 32);
        /* unprivileged (rootless): the container gets every capability of
         * its new user namespace, within our bounding set */
        if (geteuid () != 0)
          for (i = 0; i < ocirun_cap_names_len && i < 64; i++)
            if (prctl (PR_CAPBSET_READ, i, 0, 0, 0) == 1)
              held |= 1ULL << i;
        miss = want & ~held;
        for (i = 0; i < ocirun_cap_names_len; i++)
          if (miss & (1ULL << i))
            ocirun_warning ("%s.capabilities: `%s` cannot be granted by this runtime (it does not hold it), ignored",
                            where, ocirun_cap_names[i]);
      }
  }
  return 0;
}

/* Before the uid changes (needs CAP_SETPCAP): shrink the bounding set. */
int
ocirun_caps_drop_bounding (const oci_capabilities *c, ocirun_error_t *err)
{
  uint64_t bounding;
  int i, last = cap_last ();
  if (c == NULL)
    return 0;
  if (set_mask (c->bounding, c->bounding_len, &bounding, "bounding", err) < 0)
    return -1;
  for (i = 0; i <= last; i++)
    {
      if (bounding & (1ULL << i))
        continue;
      if (prctl (PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
        return ocirun_make_error (err, errno, "drop `%s` from the bounding set",
                                  i < ocirun_cap_names_len ? ocirun_cap_names[i] : "?");
    }
  return 0;
}

/* After the uid change (with PR_SET_KEEPCAPS): the other sets. */
int
ocirun_caps_apply (const oci_capabilities *c, ocirun_error_t *err)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  uint64_t eff, inh, perm;

  if (c == NULL)
    return 0;
  if (set_mask (c->effective, c->effective_len, &eff, "effective", err) < 0
      || set_mask (c->inheritable, c->inheritable_len, &inh, "inheritable", err) < 0
      || set_mask (c->permitted, c->permitted_len, &perm, "permitted", err) < 0)
    return -1;
  /* config.md: "Runtimes SHOULD NOT fail if the container configuration
   * requests capabilities that cannot be granted": keep what we hold */
  {
    struct __user_cap_data_struct cur[2];
    uint64_t held;
    memset (cur, 0, sizeof cur);
    if (syscall (SYS_capget, &hdr, cur) == 0)
      {
        held = (uint64_t) cur[0].permitted | ((uint64_t) cur[1].permitted << 32);
        eff &= held;
        perm &= held;
        /* inheritable may only grow within the bounding set */
        inh &= held | ((uint64_t) cur[0].inheritable | ((uint64_t) cur[1].inheritable << 32));
      }
  }
  memset (data, 0, sizeof data);
  data[0].effective = (uint32_t) eff;
  data[1].effective = (uint32_t) (eff >> 32);
  data[0].permitted = (uint32_t) perm;
  data[1].permitted = (uint32_t) (perm >> 32);
  data[0].inheritable = (uint32_t) inh;
  data[1].inheritable = (uint32_t) (inh >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return ocirun_make_error (err, errno, "process.capabilities: capset");
  return 0;
}

int
ocirun_caps_set_ambient (const oci_capabilities *c, ocirun_error_t *err)
{
  uint64_t amb;
  int i;
  if (c == NULL)
    return 0;
  if (set_mask (c->ambient, c->ambient_len, &amb, "ambient", err) < 0)
    return -1;
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return ocirun_make_error (err, errno, "clear the ambient set");
  for (i = 0; i < 64; i++)
    if ((amb & (1ULL << i)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
      {
        /* not in permitted+inheritable (or not grantable here): skip */
        if (errno == EPERM)
          continue;
        return ocirun_make_error (err, errno, "process.capabilities.ambient: raise `%s`", ocirun_cap_names[i]);
      }
  return 0;
}
