/* The compiled-seccomp cache file (<cache dir>/<key>.bpf, by default /run/ocirun-seccomp-cache),
 * read back on every `create` whose profile hits the cache.  The reader must
 * reject any damaged file; what passes must be a program that bpf_check
 * accepted.
 *
 * Input byte 0 selects the mode:
 *   even: the rest is the file, verified as is (header/length/checksum paths);
 *   odd:  the rest is a BPF program (and a fuzzed header tail) that the
 *         harness wraps into a well-formed file with the right magic, key,
 *         lengths, library identity and checksum, so that the fuzzer reaches
 *         the program check (a fuzzer cannot forge a SHA-256). */
#include "fuzz.h"

#include "seccomp.c"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

static const char lib_path[] = "/proc/self/exe";

static void
verify (const uint8_t *file, size_t size, const uint8_t key[32])
{
  ocirun_seccomp_filter f;
  const char *why;
  /* the real reader hands over a malloc()ed (aligned) buffer */
  uint8_t *copy = malloc (size ? size : 1);
  if (copy == NULL)
    abort ();
  memcpy (copy, file, size);
  memset (&f, 0, sizeof f);
  why = cache_verify (copy, size, key, &f);
  if (why == NULL)
    {
      /* accepted: it must be a sane program */
      if (f.insns == NULL || f.len == 0 || bpf_check (f.insns, f.len) != NULL)
        abort ();
      free (f.insns);
    }
  else if (f.insns != NULL || *why == '\0')
    abort ();
  free (copy);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  uint8_t key[32];
  struct cache_header h;
  struct stat st;
  size_t prog_len, total;
  uint8_t *buf;

  if (len < 1)
    return 0;
  fuzz_quiet ();
  ocirun_sha256 ("fuzz", 4, key);
  if ((data[0] & 1) == 0)
    {
      verify (data + 1, len - 1, key);
      return 0;
    }

  data++, len--;
  memset (&h, 0, sizeof h);
  prog_len = len / sizeof (struct sock_filter) * sizeof (struct sock_filter);
  if (prog_len == 0 || stat (lib_path, &st) < 0)
    return 0;
  memcpy (h.magic, CACHE_MAGIC, sizeof h.magic);
  h.format = CACHE_FORMAT;
  h.header_size = sizeof h;
  memcpy (h.key, key, 32);
  h.n_insns = (uint32_t) (prog_len / sizeof (struct sock_filter));
  h.lib_path_len = sizeof lib_path - 1;
  h.lib_dev = st.st_dev;
  h.lib_ino = st.st_ino;
  h.lib_size = (uint64_t) st.st_size;
  h.lib_mtime_sec = st.st_mtim.tv_sec;
  h.lib_mtime_nsec = st.st_mtim.tv_nsec;
  total = sizeof h + h.lib_path_len + prog_len;
  buf = malloc (total);
  if (buf == NULL)
    abort ();
  memcpy (buf + sizeof h, lib_path, h.lib_path_len);
  memcpy (buf + sizeof h + h.lib_path_len, data, prog_len);
  cache_checksum (&h, buf + sizeof h, h.lib_path_len + prog_len, h.checksum);
  memcpy (buf, &h, sizeof h);
  verify (buf, total, key);
  free (buf);
  return 0;
}
