/* mounts[].options (mount_opts.h): names -> MS_* flags, propagation,
 * recursive attributes; anything else is the filesystem's data. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "mount_opts.h"
#include "utils.h"

enum opt_kind
{
  OPT_FLAG,   /* MS_* flag for mount(2) */
  OPT_PROP,   /* propagation */
  OPT_REC,    /* recursive attribute for mount_setattr(AT_RECURSIVE) */
  OPT_IGNORE, /* accepted, no effect here */
};

struct mount_opt
{
  const char *name;
  enum opt_kind kind;
  bool clear;
  unsigned long value;
};

static const struct mount_opt mount_opts[] = {
  { "defaults", OPT_IGNORE, false, 0 },
  { "ro", OPT_FLAG, false, MS_RDONLY },
  { "rw", OPT_FLAG, true, MS_RDONLY },
  { "nosuid", OPT_FLAG, false, MS_NOSUID },
  { "suid", OPT_FLAG, true, MS_NOSUID },
  { "nodev", OPT_FLAG, false, MS_NODEV },
  { "dev", OPT_FLAG, true, MS_NODEV },
  { "noexec", OPT_FLAG, false, MS_NOEXEC },
  { "exec", OPT_FLAG, true, MS_NOEXEC },
  { "sync", OPT_FLAG, false, MS_SYNCHRONOUS },
  { "async", OPT_FLAG, true, MS_SYNCHRONOUS },
  { "dirsync", OPT_FLAG, false, MS_DIRSYNC },
  { "remount", OPT_FLAG, false, MS_REMOUNT },
  { "mand", OPT_FLAG, false, MS_MANDLOCK },
  { "nomand", OPT_FLAG, true, MS_MANDLOCK },
  { "atime", OPT_FLAG, true, MS_NOATIME },
  { "noatime", OPT_FLAG, false, MS_NOATIME },
  { "diratime", OPT_FLAG, true, MS_NODIRATIME },
  { "nodiratime", OPT_FLAG, false, MS_NODIRATIME },
  { "relatime", OPT_FLAG, false, MS_RELATIME },
  { "norelatime", OPT_FLAG, true, MS_RELATIME },
  { "strictatime", OPT_FLAG, false, MS_STRICTATIME },
  { "nostrictatime", OPT_FLAG, true, MS_STRICTATIME },
  { "lazytime", OPT_FLAG, false, MS_LAZYTIME },
  { "nolazytime", OPT_FLAG, true, MS_LAZYTIME },
  { "silent", OPT_FLAG, false, MS_SILENT },
  { "loud", OPT_FLAG, true, MS_SILENT },
  { "iversion", OPT_FLAG, false, MS_I_VERSION },
  { "noiversion", OPT_FLAG, true, MS_I_VERSION },
  { "nosymfollow", OPT_FLAG, false, MS_NOSYMFOLLOW },
  { "symfollow", OPT_FLAG, true, MS_NOSYMFOLLOW },
  { "bind", OPT_FLAG, false, MS_BIND },
  { "rbind", OPT_FLAG, false, MS_BIND | MS_REC },
  { "private", OPT_PROP, false, MS_PRIVATE },
  { "rprivate", OPT_PROP, false, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROP, false, MS_SHARED },
  { "rshared", OPT_PROP, false, MS_SHARED | MS_REC },
  { "slave", OPT_PROP, false, MS_SLAVE },
  { "rslave", OPT_PROP, false, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROP, false, MS_UNBINDABLE },
  { "runbindable", OPT_PROP, false, MS_UNBINDABLE | MS_REC },
  /* recursive attributes (runtime-spec 1.1, mount_setattr(2)) */
  { "rro", OPT_REC, false, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_REC, true, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC, false, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_REC, true, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC, false, MOUNT_ATTR_NODEV },
  { "rdev", OPT_REC, true, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC, false, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_REC, true, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC, false, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_REC, true, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_REC, false, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_REC, true, MOUNT_ATTR_NOSYMFOLLOW },
  /* atime modes: value is the MOUNT_ATTR__ATIME setting */
  { "rrelatime", OPT_REC, false, MOUNT_ATTR_RELATIME | (1UL << 31) },
  { "rnoatime", OPT_REC, false, MOUNT_ATTR_NOATIME | (1UL << 31) },
  { "rstrictatime", OPT_REC, false, MOUNT_ATTR_STRICTATIME | (1UL << 31) },
  { "ratime", OPT_REC, false, MOUNT_ATTR_STRICTATIME | (1UL << 31) },
  { "rnorelatime", OPT_REC, false, MOUNT_ATTR_STRICTATIME | (1UL << 31) },
  { "rnostrictatime", OPT_REC, false, MOUNT_ATTR_RELATIME | (1UL << 31) },
  /* crun extensions some callers pass: no meaning for us */
  { "tmpcopyup", OPT_IGNORE, false, 0 },
  { "notmpcopyup", OPT_IGNORE, false, 0 },
  { "copy-symlink", OPT_IGNORE, false, 0 },
};

int
ocirun_mount_options_parse (char **options, size_t n, struct ocirun_mount_opts *pm, ocirun_error_t *err)
{
  cleanup_free char *data = NULL;
  size_t i, k, data_len = 0;

  memset (pm, 0, sizeof *pm);
  for (i = 0; i < n; i++)
    {
      const char *o = options[i];
      if (strcmp (o, "idmap") == 0 || strcmp (o, "ridmap") == 0)
        {
          pm->idmap = true;
          pm->ridmap = o[0] == 'r';
          continue;
        }
      for (k = 0; k < ARRAY_SIZE (mount_opts); k++)
        if (strcmp (o, mount_opts[k].name) == 0)
          break;
      if (k == ARRAY_SIZE (mount_opts))
        {
          /* a filesystem-specific option: pass it as data */
          size_t l = strlen (o);
          data = xrealloc (data, data_len + l + 2);
          if (data_len)
            data[data_len++] = ',';
          memcpy (data + data_len, o, l + 1);
          data_len += l;
          continue;
        }
      switch (mount_opts[k].kind)
        {
        case OPT_FLAG:
          if (mount_opts[k].clear)
            pm->flags &= ~mount_opts[k].value;
          else
            pm->flags |= mount_opts[k].value;
          break;
        case OPT_PROP:
          pm->prop = mount_opts[k].value;
          break;
        case OPT_REC:
          pm->has_rec = true;
          if (mount_opts[k].value & (1UL << 31))
            {
              pm->rec.attr_clr |= MOUNT_ATTR__ATIME;
              pm->rec.attr_set = (pm->rec.attr_set & ~MOUNT_ATTR__ATIME) | (mount_opts[k].value & ~(1UL << 31));
            }
          else if (mount_opts[k].clear)
            {
              pm->rec.attr_clr |= mount_opts[k].value;
              pm->rec.attr_set &= ~mount_opts[k].value;
            }
          else
            {
              pm->rec.attr_set |= mount_opts[k].value;
              pm->rec.attr_clr &= ~mount_opts[k].value;
            }
          break;
        case OPT_IGNORE:
          break;
        }
    }
  pm->data = steal_pointer (&data);
  return 0;
}

int
ocirun_mount_parse_options (char **options, size_t n, unsigned long *flags, char **data, ocirun_error_t *err)
{
  struct ocirun_mount_opts pm;
  int ret = ocirun_mount_options_parse (options, n, &pm, err);
  if (ret < 0)
    return ret;
  *flags = pm.flags | pm.prop;
  *data = pm.data;
  return 0;
}

bool
ocirun_mount_opts_is_bind (const oci_mount *m, const struct ocirun_mount_opts *o)
{
  return (o->flags & MS_BIND) || (m->type && strcmp (m->type, "bind") == 0);
}

bool
ocirun_mount_has_idmap (const oci_mount *m)
{
  size_t i;
  for (i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "idmap") == 0 || strcmp (m->options[i], "ridmap") == 0)
      return true;
  return false;
}

const char *
ocirun_mount_option_name (size_t i)
{
  static const char *const extra[] = { "idmap", "ridmap" };
  if (i < ARRAY_SIZE (mount_opts))
    return mount_opts[i].name;
  i -= ARRAY_SIZE (mount_opts);
  return i < ARRAY_SIZE (extra) ? extra[i] : NULL;
}

bool
ocirun_mount_is_bind (const oci_mount *m)
{
  size_t k;
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (k = 0; k < m->options_len; k++)
    if (strcmp (m->options[k], "bind") == 0 || strcmp (m->options[k], "rbind") == 0)
      return true;
  return false;
}
