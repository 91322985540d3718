/* linux.seccomp (config-linux.md#seccomp).
 *
 * Three phases, each in the process that can afford it:
 *
 *   parent, before clone:  validate the profile (names, errnoRet, flags,
 *                          actions the kernel lacks) and turn it into a
 *                          classic-BPF program.  libseccomp does the
 *                          compiling, but it is dlopen()ed here, lazily, and
 *                          only when the compiled-program cache misses: a
 *                          container without linux.seccomp, or one whose
 *                          profile is already cached, never maps it.
 *   child, last before exec: install the ready `struct sock_filter[]` with the
 *                          raw seccomp(2) syscall; no libseccomp in the child.
 *   parent, after install: hand the SCMP_ACT_NOTIFY listener fd to the agent
 *                          at listenerPath (runc's ContainerProcessState).
 *
 * The cache: `<cache_dir>/<sha256 hex>.bpf`.  The key hashes a canonical
 * serialisation of everything that shapes the program (default action and
 * errno, architectures, syscall rules), the native architecture, the
 * libseccomp headers we were built against, the ocirun version and the cache
 * format.  It does NOT hash the flags or the listener settings: they are
 * applied at install and never change the program.
 *
 * The identity of the libseccomp that produced a program cannot go into the
 * key: learning its version means loading it, which a cache hit must avoid.
 * Instead, the file header records the path the dynamic loader resolved
 * libseccomp.so.2 to, with its st_dev/st_ino/st_size/st_mtime, and a hit
 * costs one stat() of that path: a package upgrade replaces the file (new
 * inode and mtime), the check fails and the program is rebuilt by the new
 * library.  (Changing LD_LIBRARY_PATH so that another copy would be found is
 * not detected; remove the cache directory in that case.)
 *
 * A cache file is never trusted: magic, format, key, lengths and a SHA-256 of
 * the whole file are verified, the file must belong to us and not be
 * writable by others, and the program is sanity-checked like a fresh one.
 * Anything wrong means "miss": recompile and atomically rewrite.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <yajl/yajl_tree.h>

#ifdef HAVE_SECCOMP
#  include <seccomp.h>
#endif

#include "seccomp.h"
#include "utils.h"

/* Older uapi headers lack the newer names; the values are kernel ABI. */
#ifndef SECCOMP_GET_ACTION_AVAIL
#  define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#  define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#  define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#  define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#  define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#  define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#  define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_KILL_THREAD
#  define SECCOMP_RET_KILL_THREAD 0x00000000U
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#  define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_RET_LOG
#  define SECCOMP_RET_LOG 0x7ffc0000U
#endif

struct ocirun_seccomp_filter
{
  struct sock_filter *insns;
  size_t len;
  unsigned int flags; /* for seccomp(2): SECCOMP_FILTER_FLAG_* */
  bool from_cache;
};

static struct ocirun_seccomp_stats stats;

void
ocirun_seccomp_get_stats (struct ocirun_seccomp_stats *out)
{
  *out = stats;
}

bool
ocirun_seccomp_filter_from_cache (const ocirun_seccomp_filter *f)
{
  return f != NULL && f->from_cache;
}

size_t
ocirun_seccomp_filter_length (const ocirun_seccomp_filter *f)
{
  return f ? f->len : 0;
}

void
ocirun_seccomp_filter_free (ocirun_seccomp_filter *f)
{
  if (f == NULL)
    return;
  free (f->insns);
  free (f);
}

static int
sys_seccomp (unsigned int op, unsigned int flags, void *args)
{
  return (int) syscall (__NR_seccomp, op, flags, args);
}

/* ---------------------------------------------------------------------------
 * Names.  Actions and operators are kernel/libseccomp ABI values, so they are
 * known even in a build without libseccomp; the architecture tokens come from
 * <seccomp.h> and exist only with it. */

enum
{
  ACT_HAS_ERRNO = 1, /* errnoRet applies (SCMP_ACT_ERRNO, SCMP_ACT_TRACE) */
  ACT_PROBE = 2,     /* newer than seccomp itself: ask the kernel (SECCOMP_GET_ACTION_AVAIL) */
};

struct action_def
{
  const char *name;
  uint32_t value;
  unsigned int what;
};

static const struct action_def actions[] = {
  { "SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD, 0 },
  { "SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS, ACT_PROBE },
  { "SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD, 0 },
  { "SCMP_ACT_TRAP", SECCOMP_RET_TRAP, 0 },
  { "SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO, ACT_HAS_ERRNO },
  { "SCMP_ACT_TRACE", SECCOMP_RET_TRACE, ACT_HAS_ERRNO },
  { "SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW, 0 },
  { "SCMP_ACT_LOG", SECCOMP_RET_LOG, ACT_PROBE },
  { "SCMP_ACT_NOTIFY", SECCOMP_RET_USER_NOTIF, ACT_PROBE },
};

/* libseccomp's enum scmp_compare, which is its ABI. */
enum
{
  OP_NE = 1,
  OP_LT,
  OP_LE,
  OP_EQ,
  OP_GE,
  OP_GT,
  OP_MASKED_EQ,
};

static const struct
{
  const char *name;
  int value;
} operators[] = {
  { "SCMP_CMP_NE", OP_NE },
  { "SCMP_CMP_LT", OP_LT },
  { "SCMP_CMP_LE", OP_LE },
  { "SCMP_CMP_EQ", OP_EQ },
  { "SCMP_CMP_GE", OP_GE },
  { "SCMP_CMP_GT", OP_GT },
  { "SCMP_CMP_MASKED_EQ", OP_MASKED_EQ },
};

#ifdef HAVE_SECCOMP
_Static_assert(SCMP_ACT_KILL_PROCESS == SECCOMP_RET_KILL_PROCESS, "action ABI");
_Static_assert(SCMP_ACT_TRAP == SECCOMP_RET_TRAP, "action ABI");
_Static_assert(SCMP_ACT_ERRNO (1) == (SECCOMP_RET_ERRNO | 1), "action ABI");
_Static_assert(SCMP_ACT_TRACE (1) == (SECCOMP_RET_TRACE | 1), "action ABI");
_Static_assert(SCMP_ACT_LOG == SECCOMP_RET_LOG, "action ABI");
_Static_assert(SCMP_ACT_ALLOW == SECCOMP_RET_ALLOW, "action ABI");
_Static_assert(SCMP_ACT_NOTIFY == SECCOMP_RET_USER_NOTIF, "action ABI");
_Static_assert((int) SCMP_CMP_NE == (int) OP_NE && (int) SCMP_CMP_MASKED_EQ == (int) OP_MASKED_EQ, "operator ABI");
#endif

static const struct
{
  const char *name;
  uint32_t value;
} archs[] = {
#ifdef HAVE_SECCOMP
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#  ifdef SCMP_ARCH_LOONGARCH64
  { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#  endif
#  ifdef SCMP_ARCH_M68K
  { "SCMP_ARCH_M68K", SCMP_ARCH_M68K },
#  endif
#  ifdef SCMP_ARCH_SH
  { "SCMP_ARCH_SH", SCMP_ARCH_SH },
#  endif
#  ifdef SCMP_ARCH_SHEB
  { "SCMP_ARCH_SHEB", SCMP_ARCH_SHEB },
#  endif
#endif
  { NULL, 0 },
};

/* runtime-spec 1.3 linux.seccomp.flags */
static const struct
{
  const char *name;
  unsigned int value;
} flag_defs[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* The kernel checks the flags before it reads the program: with a NULL
 * program a known flag fails with EFAULT, an unknown one with EINVAL.
 * WAIT_KILLABLE_RECV is only accepted together with NEW_LISTENER. */
static bool
kernel_has_flag (unsigned int flag)
{
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return sys_seccomp (SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

static bool
kernel_has_action (uint32_t action)
{
  return sys_seccomp (SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

void
ocirun_seccomp_features (struct ocirun_seccomp_features *f)
{
  static const char *none[] = { NULL };
  static const char *action_names[ARRAY_SIZE (actions) + 1];
  static const char *operator_names[ARRAY_SIZE (operators) + 1];
  static const char *arch_names[ARRAY_SIZE (archs)];
  static const char *known[ARRAY_SIZE (flag_defs) + 1];
  static const char *supported[ARRAY_SIZE (flag_defs) + 1];
  size_t i, n;

#ifndef HAVE_SECCOMP
  f->enabled = false;
  f->actions = f->operators = f->archs = f->known_flags = f->supported_flags = none;
  return;
#endif
  (void) none;
  for (i = 0; i < ARRAY_SIZE (actions); i++)
    action_names[i] = actions[i].name;
  for (i = 0; i < ARRAY_SIZE (operators); i++)
    operator_names[i] = operators[i].name;
  for (i = 0; archs[i].name; i++)
    arch_names[i] = archs[i].name;
  for (i = 0, n = 0; i < ARRAY_SIZE (flag_defs); i++)
    {
      known[i] = flag_defs[i].name;
      if (kernel_has_flag (flag_defs[i].value))
        supported[n++] = flag_defs[i].name;
    }
  supported[n] = NULL;
  f->enabled = true;
  f->actions = action_names;
  f->operators = operator_names;
  f->archs = arch_names;
  f->known_flags = known;
  f->supported_flags = supported;
}

/* ---------------------------------------------------------------------------
 * SHA-256 (FIPS 180-4): it hashes a profile and at most 32 KiB of program per
 * container.  A 2000-rule profile is ~350 KB of key material: the portable
 * rounds take ~1.5 ms of every cached create, the x86 SHA extensions (Intel
 * since Goldmont/Ice Lake, AMD since Zen) ~0.15 ms; picked at run time. */

struct sha256
{
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t used;
};

static const uint32_t sha256_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block (struct sha256 *c, const uint8_t *p)
{
  uint32_t w[64], a, b, d, e, f, g, h, cc, t1, t2;
  int i;

  for (i = 0; i < 16; i++)
    w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 | (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
  for (i = 16; i < 64; i++)
    {
      uint32_t s0 = ROR32 (w[i - 15], 7) ^ ROR32 (w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ROR32 (w[i - 2], 17) ^ ROR32 (w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
  a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
  e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
  for (i = 0; i < 64; i++)
    {
      t1 = h + (ROR32 (e, 6) ^ ROR32 (e, 11) ^ ROR32 (e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
      t2 = (ROR32 (a, 2) ^ ROR32 (a, 13) ^ ROR32 (a, 22)) + ((a & b) ^ (a & cc) ^ (b & cc));
      h = g, g = f, f = e, e = d + t1;
      d = cc, cc = b, b = a, a = t1 + t2;
    }
  c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
  c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

#if defined(__x86_64__) && defined(__GNUC__)
#  include <cpuid.h>
#  include <immintrin.h>
#  define HAVE_SHA256_SHANI 1

/* The same compression with SHA-NI: the state is kept as ABEF and CDGH
 * (the layout sha256rnds2 works on), four message words per step. */
__attribute__ ((target ("sha,sse4.1,ssse3"))) static void
sha256_blocks_shani (uint32_t h[8], const uint8_t *p, size_t nblocks)
{
  /* bytes of each 32-bit word reversed: the message is big-endian */
  const __m128i bswap = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i abef, cdgh, tmp, w[4], msg, abef_in, cdgh_in;
  int i;

  tmp = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &h[0]), 0xB1);  /* CDAB */
  cdgh = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &h[4]), 0x1B); /* HGFE */
  abef = _mm_alignr_epi8 (tmp, cdgh, 8);
  cdgh = _mm_blend_epi16 (cdgh, tmp, 0xF0);
  while (nblocks-- > 0)
    {
      abef_in = abef, cdgh_in = cdgh;
      for (i = 0; i < 16; i++)
        {
          /* w[i % 4] holds W[4i .. 4i+3] */
          if (i < 4)
            w[i] = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) (p + 16 * i)), bswap);
          else
            {
              /* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
              __m128i x = _mm_sha256msg1_epu32 (w[i % 4], w[(i + 1) % 4]);
              x = _mm_add_epi32 (x, _mm_alignr_epi8 (w[(i + 3) % 4], w[(i + 2) % 4], 4));
              w[i % 4] = _mm_sha256msg2_epu32 (x, w[(i + 3) % 4]);
            }
          msg = _mm_add_epi32 (w[i % 4], _mm_loadu_si128 ((const __m128i *) &sha256_k[4 * i]));
          /* two rounds each; after two, the old ABEF is the new CDGH */
          cdgh = _mm_sha256rnds2_epu32 (cdgh, abef, msg);
          abef = _mm_sha256rnds2_epu32 (abef, cdgh, _mm_shuffle_epi32 (msg, 0x0E));
        }
      abef = _mm_add_epi32 (abef, abef_in);
      cdgh = _mm_add_epi32 (cdgh, cdgh_in);
      p += 64;
    }
  tmp = _mm_shuffle_epi32 (abef, 0x1B);                                    /* FEBA */
  cdgh = _mm_shuffle_epi32 (cdgh, 0xB1);                                   /* DCHG */
  _mm_storeu_si128 ((__m128i *) &h[0], _mm_blend_epi16 (tmp, cdgh, 0xF0)); /* DCBA */
  _mm_storeu_si128 ((__m128i *) &h[4], _mm_alignr_epi8 (cdgh, tmp, 8));    /* HGFE */
}

static bool
cpu_has_shani (void)
{
  unsigned int a, b, c, d;
  /* leaf 1: SSSE3 (ecx bit 9), SSE4.1 (bit 19); leaf 7: SHA (ebx bit 29) */
  if (!__get_cpuid (1, &a, &b, &c, &d) || !(c & (1U << 9)) || !(c & (1U << 19)))
    return false;
  return __get_cpuid_count (7, 0, &a, &b, &c, &d) && (b & (1U << 29));
}
#endif

/* Tests set it to false to check the portable rounds on a CPU with SHA-NI. */
static int sha256_use_shani = -1; /* -1: not probed yet */

void
ocirun_sha256_force_portable (bool portable)
{
  sha256_use_shani = portable ? 0 : -1;
}

static void
sha256_blocks (struct sha256 *c, const uint8_t *p, size_t nblocks)
{
#ifdef HAVE_SHA256_SHANI
  if (sha256_use_shani < 0)
    sha256_use_shani = cpu_has_shani ();
  if (sha256_use_shani)
    {
      sha256_blocks_shani (c->h, p, nblocks);
      return;
    }
#endif
  for (; nblocks > 0; nblocks--, p += 64)
    sha256_block (c, p);
}

static void
sha256_init (struct sha256 *c)
{
  static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  memcpy (c->h, iv, sizeof iv);
  c->len = 0;
  c->used = 0;
}

static void
sha256_update (struct sha256 *c, const void *data, size_t n)
{
  const uint8_t *p = data;
  c->len += n;
  while (n > 0)
    {
      size_t take;
      if (c->used == 0 && n >= 64)
        {
          /* whole blocks straight from the input */
          sha256_blocks (c, p, n / 64);
          p += n / 64 * 64, n %= 64;
          continue;
        }
      take = 64 - c->used;
      if (take > n)
        take = n;
      memcpy (c->buf + c->used, p, take);
      c->used += take, p += take, n -= take;
      if (c->used == 64)
        {
          sha256_blocks (c, c->buf, 1);
          c->used = 0;
        }
    }
}

static void
sha256_final (struct sha256 *c, uint8_t out[32])
{
  uint64_t bits = c->len * 8;
  uint8_t pad = 0x80, len_be[8];
  int i;

  sha256_update (c, &pad, 1);
  pad = 0;
  while (c->used != 56)
    sha256_update (c, &pad, 1);
  for (i = 0; i < 8; i++)
    len_be[i] = (uint8_t) (bits >> (56 - 8 * i));
  sha256_update (c, len_be, 8);
  for (i = 0; i < 8; i++)
    {
      out[4 * i] = (uint8_t) (c->h[i] >> 24);
      out[4 * i + 1] = (uint8_t) (c->h[i] >> 16);
      out[4 * i + 2] = (uint8_t) (c->h[i] >> 8);
      out[4 * i + 3] = (uint8_t) c->h[i];
    }
}

/* Exposed for the unit tests (known-answer vectors). */
void
ocirun_sha256 (const void *data, size_t len, uint8_t out[32])
{
  struct sha256 c;
  sha256_init (&c);
  sha256_update (&c, data, len);
  sha256_final (&c, out);
}

/* ---------------------------------------------------------------------------
 * Validation: everything that can be decided without libseccomp, done on the
 * cache-hit path too so both paths accept and reject exactly the same
 * profiles with the same messages. */

struct profile_info
{
  uint32_t default_action; /* full value, errno included */
  unsigned int flags;      /* for seccomp(2) */
  bool uses_notify;
};

static const struct action_def *
find_action (const char *name)
{
  size_t i;
  for (i = 0; name && i < ARRAY_SIZE (actions); i++)
    if (strcmp (actions[i].name, name) == 0)
      return &actions[i];
  return NULL;
}

static int
find_operator (const char *name)
{
  size_t i;
  for (i = 0; name && i < ARRAY_SIZE (operators); i++)
    if (strcmp (operators[i].name, name) == 0)
      return operators[i].value;
  return -1;
}

static int
find_arch (const char *name, uint32_t *out)
{
  size_t i;
  for (i = 0; name && archs[i].name; i++)
    if (strcmp (archs[i].name, name) == 0)
      {
        *out = archs[i].value;
        return 0;
      }
  return -1;
}

/* The JSON property of an action: idx < 0 names defaultAction (or
 * defaultErrnoRet), else syscalls[idx].action (.errnoRet).  Formatted only
 * when there is an error to report: a 2000-rule profile is validated on
 * every create, cached or not. */
static const char *
action_path (long idx, bool errno_field, char *buf, size_t size)
{
  if (idx < 0)
    return errno_field ? "linux.seccomp.defaultErrnoRet" : "linux.seccomp.defaultAction";
  snprintf (buf, size, "linux.seccomp.syscalls[%ld].%s", idx, errno_field ? "errnoRet" : "action");
  return buf;
}

static int
resolve_action (const char *name, bool has_errno, uint32_t errno_ret, long idx, uint32_t *out, ocirun_error_t *err)
{
  const struct action_def *a;
  char buf[96];

  if (name == NULL)
    return ocirun_make_error (err, 0, "%s: missing", action_path (idx, false, buf, sizeof buf));
  a = find_action (name);
  if (a == NULL)
    return ocirun_make_error (err, 0, "%s: unknown action \"%s\"", action_path (idx, false, buf, sizeof buf), name);
  if (!(a->what & ACT_HAS_ERRNO))
    {
      /* config-linux.md#seccomp: "When the action doesn't support an errno,
       * the runtime MUST print and error and fail." */
      if (has_errno)
        return ocirun_make_error (err, 0,
                                  "%s: not supported with action \"%s\" (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE)",
                                  action_path (idx, true, buf, sizeof buf), name);
      *out = a->value;
      return 0;
    }
  if (has_errno && errno_ret > SECCOMP_RET_DATA)
    return ocirun_make_error (err, 0, "%s: %u does not fit in 16 bits", action_path (idx, true, buf, sizeof buf),
                              errno_ret);
  /* The default is EPERM for both (spec; runc uses EPERM for TRACE too). */
  *out = a->value | (has_errno ? errno_ret : EPERM);
  return 0;
}

static int
check_action_available (uint32_t action, const char *name, long idx, uint32_t *probed, ocirun_error_t *err)
{
  const struct action_def *a = find_action (name);
  uint32_t base = action & SECCOMP_RET_ACTION_FULL;
  char buf[96];
  size_t i;

  if (a == NULL || !(a->what & ACT_PROBE))
    return 0;
  for (i = 0; i < ARRAY_SIZE (actions); i++)
    if (&actions[i] == a)
      break;
  if (*probed & (1U << i))
    return 0;
  if (!kernel_has_action (base))
    return ocirun_make_error (err, 0, "%s: \"%s\" is not supported by the running kernel",
                              action_path (idx, false, buf, sizeof buf), name);
  *probed |= 1U << i;
  return 0;
}

/* Syscalls the init stage still makes after installing the filter in order to
 * hand the listener fd to the parent; notifying them would deadlock the
 * container before anyone holds the fd (runc refuses `write` for the same
 * reason). */
static const char *const notify_forbidden[] = { "write", "sendmsg" };

static int
validate_profile (const oci_seccomp *s, struct profile_info *info, ocirun_error_t *err)
{
  uint32_t probed = 0, action;
  size_t i, j;
  int ret;

  memset (info, 0, sizeof *info);
  ret = resolve_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret, -1, &info->default_action,
                        err);
  if (ret < 0)
    return ret;
  if ((info->default_action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
    return ocirun_make_error (err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  ret = check_action_available (info->default_action, s->default_action, -1, &probed, err);
  if (ret < 0)
    return ret;

  for (i = 0; i < s->architectures_len; i++)
    {
      uint32_t a;
      if (find_arch (s->architectures[i], &a) < 0)
        return ocirun_make_error (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
                                  s->architectures[i] ? s->architectures[i] : "");
    }

  for (i = 0; i < s->syscalls_len; i++)
    {
      const oci_seccomp_syscall *sc = &s->syscalls[i];

      ret = resolve_action (sc->action, sc->has_errno_ret, sc->errno_ret, (long) i, &action, err);
      if (ret < 0)
        return ret;
      ret = check_action_available (action, sc->action, (long) i, &probed, err);
      if (ret < 0)
        return ret;
      if (sc->names_len == 0)
        return ocirun_make_error (err, 0, "linux.seccomp.syscalls[%zu].names: must contain at least one entry", i);
      for (j = 0; j < sc->names_len; j++)
        {
          size_t k;
          if (sc->names[j] == NULL || sc->names[j][0] == '\0')
            return ocirun_make_error (err, 0, "linux.seccomp.syscalls[%zu].names[%zu]: empty syscall name", i, j);
          if ((action & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_USER_NOTIF)
            continue;
          for (k = 0; k < ARRAY_SIZE (notify_forbidden); k++)
            if (strcmp (sc->names[j], notify_forbidden[k]) == 0)
              return ocirun_make_error (err, 0,
                                        "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be used for "
                                        "\"%s\" (the "
                                        "runtime needs it to hand over the listener fd)",
                                        i, j, sc->names[j]);
        }
      if ((action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
        info->uses_notify = true;
      for (j = 0; j < sc->args_len; j++)
        {
          const oci_seccomp_arg *arg = &sc->args[j];
          if (find_operator (arg->op) < 0)
            {
              if (arg->op == NULL)
                return ocirun_make_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: missing", i, j);
              return ocirun_make_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"", i,
                                        j, arg->op);
            }
          /* seccomp_data.args[6] */
          if (arg->index > 5)
            return ocirun_make_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range (0-5)",
                                      i, j, arg->index);
        }
    }

  if (info->uses_notify && (s->listener_path == NULL || s->listener_path[0] == '\0'))
    return ocirun_make_error (err, 0, "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used");
  if (s->listener_metadata && s->listener_path == NULL)
    return ocirun_make_error (err, 0, "linux.seccomp.listenerMetadata: must not be set without listenerPath");

  for (i = 0; i < s->flags_len; i++)
    {
      const char *name = s->flags[i] ? s->flags[i] : "";
      for (j = 0; j < ARRAY_SIZE (flag_defs); j++)
        if (strcmp (flag_defs[j].name, name) == 0)
          break;
      if (j == ARRAY_SIZE (flag_defs))
        return ocirun_make_error (err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, name);
      if (flag_defs[j].value == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !info->uses_notify)
        {
          /* Only meaningful for a listener; the kernel rejects it without one. */
          ocirun_debug ("seccomp: ignoring %s: the profile has no SCMP_ACT_NOTIFY rule", name);
          continue;
        }
      if (!kernel_has_flag (flag_defs[j].value))
        return ocirun_make_error (err, 0, "linux.seccomp.flags[%zu]: \"%s\" is not supported by the running kernel", i,
                                  name);
      info->flags |= flag_defs[j].value;
    }
  if (info->uses_notify)
    {
      info->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      /* With TSYNC, a positive return would be ambiguous (failed thread or
       * listener fd); the kernel accepts the pair only with TSYNC_ESRCH (5.7). */
      if (info->flags & SECCOMP_FILTER_FLAG_TSYNC)
        {
          if (!kernel_has_flag (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
            return ocirun_make_error (err, 0,
                                      "linux.seccomp.flags: SECCOMP_FILTER_FLAG_TSYNC cannot be combined with "
                                      "SCMP_ACT_NOTIFY on the running kernel");
          info->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
    }
  return 0;
}

/* ---------------------------------------------------------------------------
 * BPF sanity check, for fresh and cached programs alike.  The kernel checks
 * again (seccomp_check_filter); this catches a damaged cache file early with
 * a clear message instead of an EINVAL in the child. */

static const char *
bpf_check (const struct sock_filter *p, size_t n)
{
  size_t i;

  if (n == 0 || n > BPF_MAXINSNS)
    return "program length out of range";
  for (i = 0; i < n; i++)
    {
      uint16_t code = p[i].code;
      switch (BPF_CLASS (code))
        {
        case BPF_LD:
          if (code == (BPF_LD | BPF_W | BPF_ABS))
            {
              if (p[i].k >= sizeof (struct seccomp_data) || p[i].k % 4 != 0)
                return "load outside of seccomp_data";
            }
          else if (code != (BPF_LD | BPF_IMM) && code != (BPF_LD | BPF_W | BPF_LEN)
                   && !(code == (BPF_LD | BPF_MEM) && p[i].k < BPF_MEMWORDS))
            return "unexpected load instruction";
          break;
        case BPF_LDX:
          if (code != (BPF_LDX | BPF_IMM) && code != (BPF_LDX | BPF_W | BPF_LEN)
              && !(code == (BPF_LDX | BPF_MEM) && p[i].k < BPF_MEMWORDS))
            return "unexpected load instruction";
          break;
        case BPF_ST:
        case BPF_STX:
          if (p[i].k >= BPF_MEMWORDS)
            return "store outside of scratch memory";
          break;
        case BPF_ALU:
          if ((BPF_OP (code) == BPF_DIV || BPF_OP (code) == BPF_MOD) && BPF_SRC (code) == BPF_K && p[i].k == 0)
            return "division by zero";
          break;
        case BPF_JMP:
          if (BPF_OP (code) == BPF_JA)
            {
              if (p[i].k >= n - i - 1)
                return "jump out of range";
            }
          else if ((size_t) p[i].jt >= n - i - 1 || (size_t) p[i].jf >= n - i - 1)
            return "jump out of range";
          break;
        case BPF_RET:
          break;
        case BPF_MISC:
          if (code != (BPF_MISC | BPF_TAX) && code != (BPF_MISC | BPF_TXA))
            return "unexpected instruction";
          break;
        default:
          return "unexpected instruction";
        }
    }
  if (BPF_CLASS (p[n - 1].code) != BPF_RET)
    return "program does not end with a return";
  return NULL;
}

/* ---------------------------------------------------------------------------
 * The -ENOSYS stub.
 *
 * A profile lists the syscalls its author knew; a syscall newer than all of
 * them (clone3 for an older profile) gets the default action, typically
 * EPERM, and glibc, which falls back to an older syscall only on ENOSYS,
 * then fails instead of falling back.  runc (libcontainer/seccomp/patchbpf)
 * therefore puts a prologue before libseccomp's program: for each
 * architecture of the profile, a syscall number above the largest one the
 * profile names gets -ENOSYS; everything else goes on to the profile.  This
 * is our own generator of that prologue.
 *
 * On x86_64 the x32 ABI shares AUDIT_ARCH_X86_64 and is told apart by bit 30
 * of the number (__X32_SYSCALL_BIT): each half is compared with its own
 * largest number, and a half the profile does not list goes to the profile
 * untouched (which gives it libseccomp's bad-architecture action). */

#define X32_SYSCALL_BIT 0x40000000U
#define JMP_ENOSYS (-1)
#define JMP_FILTER (-2)

struct stub_insn
{
  uint16_t code;
  int jt, jf; /* an instruction index of the stub, JMP_ENOSYS or JMP_FILTER */
  uint32_t k;
};

static void
stub_emit (struct stub_insn *v, size_t *n, uint16_t code, int jt, int jf, uint32_t k)
{
  v[*n] = (struct stub_insn) { code, jt, jf, k };
  (*n)++;
}

/* Prepend the stub to *prog (replaced, malloc()ed).  0 when done or when
 * there is nothing to do, -1 when the stub cannot be expressed (a jump too
 * long: only with dozens of architectures) and the program is unchanged. */
int
ocirun_seccomp_prepend_enosys_stub (const struct ocirun_enosys_arch *archs, size_t n_archs, struct sock_filter **prog,
                                    size_t *len)
{
  /* per arch: jeq + ld + jset + 2 jgt at most; plus ld, ja, ret */
  size_t cap = 5 * n_archs + 3, n = 0, i, sections = 0;
  struct stub_insn *v;
  struct sock_filter *out;
  size_t enosys_at, total;
  int *entry;

  for (i = 0; i < n_archs; i++)
    if (archs[i].max_native >= 0 || archs[i].max_x32 >= 0)
      sections++;
  if (sections == 0)
    return 0;
  v = xmalloc0 (cap * sizeof *v);
  entry = xmalloc0 (n_archs * sizeof *entry);

  /* the dispatch on seccomp_data.arch; jump targets filled in below */
  stub_emit (v, &n, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof (struct seccomp_data, arch));
  for (i = 0; i < n_archs; i++)
    if (archs[i].max_native >= 0 || archs[i].max_x32 >= 0)
      stub_emit (v, &n, BPF_JMP | BPF_JEQ | BPF_K, 0 /* patched */, (int) n + 1, archs[i].audit_arch);
  stub_emit (v, &n, BPF_JMP | BPF_JA, 0, 0, 0 /* to the filter: patched */);
  v[n - 1].jt = JMP_FILTER;

  for (i = 0; i < n_archs; i++)
    {
      const struct ocirun_enosys_arch *a = &archs[i];
      if (a->max_native < 0 && a->max_x32 < 0)
        continue;
      entry[i] = (int) n;
      stub_emit (v, &n, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof (struct seccomp_data, nr));
      if (a->audit_arch != AUDIT_ARCH_X86_64)
        stub_emit (v, &n, BPF_JMP | BPF_JGT | BPF_K, JMP_ENOSYS, JMP_FILTER, (uint32_t) a->max_native);
      else if (a->max_x32 < 0)
        {
          /* x86_64 only: x32 numbers go to the profile */
          stub_emit (v, &n, BPF_JMP | BPF_JSET | BPF_K, JMP_FILTER, (int) n + 1, X32_SYSCALL_BIT);
          stub_emit (v, &n, BPF_JMP | BPF_JGT | BPF_K, JMP_ENOSYS, JMP_FILTER, (uint32_t) a->max_native);
        }
      else if (a->max_native < 0)
        {
          /* x32 only: x86_64 numbers go to the profile */
          stub_emit (v, &n, BPF_JMP | BPF_JSET | BPF_K, (int) n + 1, JMP_FILTER, X32_SYSCALL_BIT);
          stub_emit (v, &n, BPF_JMP | BPF_JGT | BPF_K, JMP_ENOSYS, JMP_FILTER, (uint32_t) a->max_x32);
        }
      else
        {
          stub_emit (v, &n, BPF_JMP | BPF_JSET | BPF_K, (int) n + 2, (int) n + 1, X32_SYSCALL_BIT);
          stub_emit (v, &n, BPF_JMP | BPF_JGT | BPF_K, JMP_ENOSYS, JMP_FILTER, (uint32_t) a->max_native);
          stub_emit (v, &n, BPF_JMP | BPF_JGT | BPF_K, JMP_ENOSYS, JMP_FILTER, (uint32_t) a->max_x32);
        }
    }
  enosys_at = n;
  stub_emit (v, &n, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS);
  /* the jeq of each arch jumps to its section */
  for (i = 0, sections = 0; i < n_archs; i++)
    if (archs[i].max_native >= 0 || archs[i].max_x32 >= 0)
      v[1 + sections++].jt = entry[i];
  free (entry);

  total = n + *len;
  if (total > BPF_MAXINSNS)
    {
      free (v);
      return -1;
    }
  out = xmalloc0 (total * sizeof *out);
  for (i = 0; i < n; i++)
    {
      int t[2] = { v[i].jt, v[i].jf };
      long off[2];
      int j;
      for (j = 0; j < 2; j++)
        {
          size_t target = t[j] == JMP_ENOSYS ? enosys_at : t[j] == JMP_FILTER ? n : (size_t) t[j];
          off[j] = (long) target - (long) i - 1;
        }
      out[i].code = v[i].code;
      out[i].k = v[i].k;
      if (BPF_CLASS (v[i].code) == BPF_JMP && BPF_OP (v[i].code) == BPF_JA)
        out[i].k = (uint32_t) off[0];
      else if (BPF_CLASS (v[i].code) == BPF_JMP)
        {
          if (off[0] < 0 || off[0] > 255 || off[1] < 0 || off[1] > 255)
            {
              free (v);
              free (out);
              return -1;
            }
          out[i].jt = (uint8_t) off[0];
          out[i].jf = (uint8_t) off[1];
        }
    }
  memcpy (out + n, *prog, *len * sizeof *out);
  free (v);
  free (*prog);
  *prog = out;
  *len = total;
  return 0;
}

/* ---------------------------------------------------------------------------
 * libseccomp, loaded on demand. */

#ifdef HAVE_SECCOMP

static struct
{
  void *handle;
  char *path; /* as resolved by the dynamic loader */
  scmp_filter_ctx (*init) (uint32_t);
  void (*release) (scmp_filter_ctx);
  int (*attr_set) (scmp_filter_ctx, enum scmp_filter_attr, uint32_t);
  int (*arch_add) (scmp_filter_ctx, uint32_t);
  int (*syscall_resolve_name) (const char *);
  int (*syscall_resolve_name_arch) (uint32_t, const char *); /* optional: no -ENOSYS stub without it */
  int (*rule_add_array) (scmp_filter_ctx, uint32_t, int, unsigned int, const struct scmp_arg_cmp *);
  int (*export_bpf) (const scmp_filter_ctx, int);
  int (*export_bpf_mem) (const scmp_filter_ctx, void *, size_t *); /* libseccomp >= 2.6, optional */
  const struct scmp_version *(*version) (void);
} lib;

static int
load_libseccomp (ocirun_error_t *err)
{
  struct link_map *lm = NULL;
  void *h;

  if (lib.handle)
    return 0;
  const struct ocirun_dlsym syms[] = {
    { (void **) &lib.init, "seccomp_init" },
    { (void **) &lib.release, "seccomp_release" },
    { (void **) &lib.attr_set, "seccomp_attr_set" },
    { (void **) &lib.arch_add, "seccomp_arch_add" },
    { (void **) &lib.syscall_resolve_name, "seccomp_syscall_resolve_name" },
    { (void **) &lib.rule_add_array, "seccomp_rule_add_array" },
    { (void **) &lib.export_bpf, "seccomp_export_bpf" },
    { (void **) &lib.version, "seccomp_version" },
  };
  h = ocirun_dlopen_all ("libseccomp.so.2", syms, ARRAY_SIZE (syms), "linux.seccomp", err);
  if (h == NULL)
    return -1;
  *(void **) &lib.export_bpf_mem = dlsym (h, "seccomp_export_bpf_mem");
  *(void **) &lib.syscall_resolve_name_arch = dlsym (h, "seccomp_syscall_resolve_name_arch");

  if (dlinfo (h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0] == '/')
    lib.path = xstrdup (lm->l_name);
  lib.handle = h;
  stats.library_loads++;
  {
    const struct scmp_version *v = lib.version ();
    ocirun_debug ("seccomp: loaded libseccomp %u.%u.%u from %s", v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0,
                  lib.path ? lib.path : "(unknown path)");
  }
  return 0;
}

static void
cleanup_ctx (scmp_filter_ctx *ctx)
{
  if (*ctx)
    lib.release (*ctx);
}

static int
export_program (scmp_filter_ctx ctx, struct sock_filter **out, size_t *out_len, ocirun_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  size_t len = 0;
  int ret;

  if (lib.export_bpf_mem)
    {
      ret = lib.export_bpf_mem (ctx, NULL, &len);
      if (ret == 0 && len > 0)
        {
          buf = xmalloc0 (len);
          ret = lib.export_bpf_mem (ctx, buf, &len);
          if (ret < 0)
            return ocirun_make_error (err, -ret, "linux.seccomp: export the program");
          goto done;
        }
    }

  fd = memfd_create ("ocirun-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    {
      FILE *tmp = tmpfile ();
      if (tmp == NULL)
        return ocirun_make_error (err, errno, "linux.seccomp: create a buffer for the program");
      fd = fcntl (fileno (tmp), F_DUPFD_CLOEXEC, 0);
      fclose (tmp);
      if (fd < 0)
        return ocirun_make_error (err, errno, "linux.seccomp: create a buffer for the program");
    }
  ret = lib.export_bpf (ctx, fd);
  if (ret < 0)
    return ocirun_make_error (err, -ret, "linux.seccomp: export the program");
  if (lseek (fd, 0, SEEK_SET) < 0)
    return ocirun_make_error (err, errno, "linux.seccomp: rewind the program buffer");
  ret = read_all_fd (fd, "seccomp program", &buf, &len, err);
  if (ret < 0)
    return ret;

done:
  if (len == 0 || len % sizeof (struct sock_filter) != 0)
    return ocirun_make_error (err, EINVAL, "linux.seccomp: libseccomp produced a program of %zu bytes", len);
  *out = steal_pointer (&buf);
  *out_len = len / sizeof (struct sock_filter);
  return 0;
}

static int
add_rule (scmp_filter_ctx ctx, size_t i, const char *name, int nr, uint32_t action, unsigned int n,
          const struct scmp_arg_cmp *cmp, ocirun_error_t *err)
{
  int ret = lib.rule_add_array (ctx, action, nr, n, cmp);
  if (ret < 0)
    return ocirun_make_error (err, -ret, "linux.seccomp.syscalls[%zu]: add a rule for \"%s\"", i, name);
  return 0;
}

/* OCI and libseccomp agree: for MASKED_EQ, value is the mask and valueTwo
 * the expected result; other operators ignore valueTwo. */
static struct scmp_arg_cmp
arg_cmp (const oci_seccomp_arg *a)
{
  return (struct scmp_arg_cmp) {
    .arg = a->index,
    .op = (enum scmp_compare) find_operator (a->op),
    .datum_a = a->value,
    .datum_b = a->has_value_two ? a->value_two : 0,
  };
}

/* runc's rules for the stub (patchbpf generatePatch): not when the default
 * action lets unknown syscalls through anyway (allow, log, trace: a tracer
 * handles new syscalls itself) nor when the default already is ENOSYS; per
 * architecture listed in the profile (the others get libseccomp's
 * bad-architecture action), the largest number among every name of every
 * rule, whatever its action. */
static void
add_enosys_stub (const oci_seccomp *s, const struct profile_info *info, const bool *added, struct sock_filter **prog,
                 size_t *len)
{
  uint32_t base = info->default_action & SECCOMP_RET_ACTION_FULL;
  cleanup_free struct ocirun_enosys_arch *v = NULL;
  size_t n = 0, i, j, k, m;

  if (base == SECCOMP_RET_ALLOW || base == SECCOMP_RET_LOG || base == SECCOMP_RET_TRACE
      || info->default_action == (SECCOMP_RET_ERRNO | ENOSYS))
    return;
  if (lib.syscall_resolve_name_arch == NULL)
    {
      ocirun_debug ("seccomp: libseccomp has no seccomp_syscall_resolve_name_arch: no -ENOSYS stub");
      return;
    }
  v = xmalloc0 ((s->architectures_len + 1) * sizeof *v);
  for (i = 0; i < s->architectures_len; i++)
    {
      uint32_t token = 0, audit;
      bool x32;
      long max = -1;
      if (!added[i] || find_arch (s->architectures[i], &token) < 0)
        continue;
      x32 = token == SCMP_ARCH_X32;
      audit = x32 ? AUDIT_ARCH_X86_64 : token;
      for (j = 0; j < s->syscalls_len; j++)
        for (k = 0; k < s->syscalls[j].names_len; k++)
          {
            int nr = lib.syscall_resolve_name_arch (token, s->syscalls[j].names[k]);
            /* unknown names, and the negative pseudo-numbers of multiplexed
             * syscalls (socketcall, ipc), do not count */
            if (nr != __NR_SCMP_ERROR && nr > max)
              max = nr;
          }
      if (max <= 0)
        {
          ocirun_debug ("seccomp: no syscall of the profile is known for `%s`: no -ENOSYS stub for it",
                        s->architectures[i]);
          continue;
        }
      for (m = 0; m < n && v[m].audit_arch != audit; m++)
        ;
      if (m == n)
        v[n++] = (struct ocirun_enosys_arch) { .audit_arch = audit, .max_native = -1, .max_x32 = -1 };
      if (x32)
        v[m].max_x32 = max;
      else
        v[m].max_native = max;
    }
  if (ocirun_seccomp_prepend_enosys_stub (v, n, prog, len) < 0)
    ocirun_debug ("seccomp: the -ENOSYS stub does not fit: left out");
}

static int
build_program (const oci_seccomp *s, const struct profile_info *info, struct sock_filter **out, size_t *out_len,
               ocirun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_ctx))) scmp_filter_ctx ctx = NULL;
  cleanup_free bool *added = NULL;
  size_t i, j, k;
  int ret;

  ret = load_libseccomp (err);
  if (ret < 0)
    return ret;

  /* seccomp_init() already includes the native architecture. */
  ctx = lib.init (info->default_action);
  if (ctx == NULL)
    return ocirun_make_error (err, EINVAL, "linux.seccomp.defaultAction: libseccomp rejected \"%s\"",
                              s->default_action);
  /* The runtime sets no_new_privs itself, from process.noNewPrivileges; and
   * we never call seccomp_load() anyway. */
  ret = lib.attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    return ocirun_make_error (err, -ret, "linux.seccomp: set SCMP_FLTATR_CTL_NNP");
  /* Accept rules on the syscall number -1 (TRACE profiles use it to let a
   * tracer skip a syscall); harmless otherwise.  Absent from old libseccomp. */
  if (lib.attr_set (ctx, SCMP_FLTATR_API_TSKIP, 1) < 0)
    ocirun_debug ("seccomp: libseccomp has no SCMP_FLTATR_API_TSKIP");

  added = xmalloc0 ((s->architectures_len + 1) * sizeof *added);
  for (i = 0; i < s->architectures_len; i++)
    {
      uint32_t arch = 0;
      find_arch (s->architectures[i], &arch); /* validated */
      ret = lib.arch_add (ctx, arch);
      added[i] = ret == 0 || ret == -EEXIST;
      if (ret == -EDOM)
        {
          /* an architecture of the other endianness cannot share a filter
           * with the native one; its processes could not run here anyway */
          ocirun_debug ("linux.seccomp.architectures[%zu]: `%s` skipped (endianness differs from the native arch)", i,
                        s->architectures[i]);
          continue;
        }
      if (ret < 0 && ret != -EEXIST)
        return ocirun_make_error (err, -ret, "linux.seccomp.architectures[%zu]: \"%s\" not supported by libseccomp", i,
                                  s->architectures[i]);
    }

  for (i = 0; i < s->syscalls_len; i++)
    {
      const oci_seccomp_syscall *sc = &s->syscalls[i];
      struct scmp_arg_cmp cmp[6];
      bool same_index = false;
      uint32_t action;

      resolve_action (sc->action, sc->has_errno_ret, sc->errno_ret, (long) i, &action, err); /* validated */
      if (action == info->default_action)
        {
          /* libseccomp refuses rules that repeat the default action */
          ocirun_debug ("seccomp: syscalls[%zu]: action \"%s\" is the default action, skipped", i, sc->action);
          continue;
        }
      /* libseccomp ANDs the comparisons of one rule, but cannot AND two on the
       * same argument; like runc, such a rule becomes one rule per comparison
       * (OR). */
      for (j = 0; j < sc->args_len && !same_index; j++)
        for (k = j + 1; k < sc->args_len; k++)
          if (sc->args[j].index == sc->args[k].index)
            {
              same_index = true;
              break;
            }
      /* distinct indexes (validated 0-5) means at most 6 comparisons */
      for (j = 0; j < sc->args_len && !same_index; j++)
        cmp[j] = arg_cmp (&sc->args[j]);

      for (j = 0; j < sc->names_len; j++)
        {
          const char *name = sc->names[j];
          int nr = lib.syscall_resolve_name (name);
          if (nr == __NR_SCMP_ERROR)
            {
              /* A profile lists syscalls for many kernels and libseccomp
               * versions; one this libseccomp does not know is skipped, as
               * runc and crun do. */
              ocirun_debug ("seccomp: unknown syscall \"%s\" skipped", name);
              continue;
            }
          if (!same_index)
            ret = add_rule (ctx, i, name, nr, action, (unsigned int) sc->args_len, cmp, err);
          else
            for (k = 0, ret = 0; k < sc->args_len && ret == 0; k++)
              {
                struct scmp_arg_cmp one = arg_cmp (&sc->args[k]);
                ret = add_rule (ctx, i, name, nr, action, 1, &one, err);
              }
          if (ret < 0)
            return ret;
        }
    }

  ret = export_program (ctx, out, out_len, err);
  if (ret < 0)
    return ret;
  add_enosys_stub (s, info, added, out, out_len);
  stats.compiles++;
  return 0;
}

#endif /* HAVE_SECCOMP */

/* ---------------------------------------------------------------------------
 * The cache. */

#define CACHE_MAGIC "OCIRBPF\n"
/* 2: programs carry the -ENOSYS stub */
#define CACHE_FORMAT 2

struct cache_header
{
  char magic[8];
  uint32_t format;
  uint32_t header_size;
  uint8_t key[32];
  uint32_t n_insns;
  uint32_t lib_path_len; /* bytes of path following the header, no NUL */
  uint64_t lib_dev, lib_ino, lib_size;
  int64_t lib_mtime_sec, lib_mtime_nsec;
  uint32_t lib_version; /* major << 16 | minor << 8 | micro, informational */
  uint32_t reserved;
  uint8_t checksum[32]; /* SHA-256 of header (this field zeroed) + path + program */
};

static const char *
native_arch_name (void)
{
#if defined(__x86_64__) && defined(__ILP32__)
  return "x32";
#elif defined(__x86_64__)
  return "x86_64";
#elif defined(__i386__)
  return "x86";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__powerpc64__)
  return "ppc64";
#elif defined(__powerpc__)
  return "ppc";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__s390__)
  return "s390";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loongarch64";
#elif defined(__mips__)
#  if defined(_ABIO32)
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "mipsel" : "mips";
#  elif defined(_ABIN32)
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "mipsel64n32" : "mips64n32";
#  else
  return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "mipsel64" : "mips64";
#  endif
#else
  return "unknown";
#endif
}

static void
hash_u64 (struct sha256 *c, uint64_t v)
{
  sha256_update (c, &v, sizeof v);
}

static void
hash_str (struct sha256 *c, const char *s)
{
  if (s == NULL)
    {
      hash_u64 (c, UINT64_MAX);
      return;
    }
  hash_u64 (c, strlen (s));
  sha256_update (c, s, strlen (s));
}

/* Length-prefixed fields in a fixed order: no two different profiles
 * serialise to the same bytes. */
static void
cache_key (const oci_seccomp *s, uint8_t key[32])
{
  struct sha256 c;
  size_t i, j;

  sha256_init (&c);
  hash_str (&c, "ocirun seccomp cache");
  hash_u64 (&c, CACHE_FORMAT);
  hash_str (&c, PACKAGE_VERSION);
#ifdef HAVE_SECCOMP
  hash_u64 (&c, SCMP_VER_MAJOR << 16 | SCMP_VER_MINOR << 8 | SCMP_VER_MICRO);
#endif
  hash_str (&c, native_arch_name ());

  hash_str (&c, s->default_action);
  hash_u64 (&c, s->has_default_errno_ret);
  hash_u64 (&c, s->default_errno_ret);
  hash_u64 (&c, s->architectures_len);
  for (i = 0; i < s->architectures_len; i++)
    hash_str (&c, s->architectures[i]);
  hash_u64 (&c, s->syscalls_len);
  for (i = 0; i < s->syscalls_len; i++)
    {
      const oci_seccomp_syscall *sc = &s->syscalls[i];
      hash_u64 (&c, sc->names_len);
      for (j = 0; j < sc->names_len; j++)
        hash_str (&c, sc->names[j]);
      hash_str (&c, sc->action);
      hash_u64 (&c, sc->has_errno_ret);
      hash_u64 (&c, sc->errno_ret);
      hash_u64 (&c, sc->args_len);
      for (j = 0; j < sc->args_len; j++)
        {
          hash_u64 (&c, sc->args[j].index);
          hash_u64 (&c, sc->args[j].value);
          hash_u64 (&c, sc->args[j].has_value_two);
          hash_u64 (&c, sc->args[j].value_two);
          hash_str (&c, sc->args[j].op);
        }
    }
  sha256_final (&c, key);
}

static void
cache_file_name (const uint8_t key[32], char name[70])
{
  static const char hex[] = "0123456789abcdef";
  int i;
  for (i = 0; i < 32; i++)
    {
      name[2 * i] = hex[key[i] >> 4];
      name[2 * i + 1] = hex[key[i] & 15];
    }
  strcpy (name + 64, ".bpf");
}

static void
cache_checksum (const struct cache_header *h, const void *rest, size_t rest_len, uint8_t out[32])
{
  struct cache_header copy = *h;
  struct sha256 c;

  memset (copy.checksum, 0, sizeof copy.checksum);
  sha256_init (&c);
  sha256_update (&c, &copy, sizeof copy);
  sha256_update (&c, rest, rest_len);
  sha256_final (&c, out);
}

/* Verify the bytes of a cache file (size bytes at buf, read whole) against
 * the key we expect: header, lengths, checksum, the identity of the
 * libseccomp that built it, and the program itself.  Returns NULL with
 * f->insns and f->len filled, or the reason for the rejection.  Kept apart
 * from the file handling so that tests/fuzz/fuzz-seccomp-cache.c can feed
 * it arbitrary bytes. */
static const char *
cache_verify (const uint8_t *buf, size_t size, const uint8_t key[32], ocirun_seccomp_filter *f)
{
  const struct cache_header *h = (const struct cache_header *) buf;
  const char *why = NULL;
  uint8_t sum[32];
  struct stat st;
  size_t prog_len;
  char *lib_path = NULL;

  if (size < sizeof (struct cache_header))
    return "bad size";
  prog_len = (size_t) h->n_insns * sizeof (struct sock_filter);
  if (memcmp (h->magic, CACHE_MAGIC, sizeof h->magic) != 0)
    return "bad magic";
  if (h->format != CACHE_FORMAT || h->header_size != sizeof (struct cache_header))
    return "other format version";
  if (memcmp (h->key, key, 32) != 0)
    return "key mismatch";
  if (h->n_insns == 0 || h->n_insns > BPF_MAXINSNS || h->lib_path_len == 0 || h->lib_path_len >= PATH_MAX)
    return "bad lengths";
  if (sizeof (struct cache_header) + h->lib_path_len + prog_len != size)
    return "size does not match the header";
  cache_checksum (h, buf + sizeof *h, h->lib_path_len + prog_len, sum);
  if (memcmp (sum, h->checksum, sizeof sum) != 0)
    return "bad checksum";

  /* Is the libseccomp that built this program still the one installed? */
  lib_path = strndup ((const char *) buf + sizeof *h, h->lib_path_len);
  if (lib_path == NULL || memchr (lib_path, '\0', h->lib_path_len) != NULL || stat (lib_path, &st) < 0)
    why = "libseccomp that built it is gone";
  else if ((uint64_t) st.st_dev != h->lib_dev || (uint64_t) st.st_ino != h->lib_ino
           || (uint64_t) st.st_size != h->lib_size || st.st_mtim.tv_sec != h->lib_mtime_sec
           || st.st_mtim.tv_nsec != h->lib_mtime_nsec)
    why = "libseccomp changed since";
  free (lib_path);
  if (why)
    return why;

  /* the program follows a variable-length path: copy it to an aligned
   * buffer before looking at it as struct sock_filter */
  f->insns = xmalloc0 (prog_len);
  memcpy (f->insns, buf + sizeof *h + h->lib_path_len, prog_len);
  why = bpf_check ((const struct sock_filter *) f->insns, h->n_insns);
  if (why)
    {
      free (f->insns);
      f->insns = NULL;
      return why;
    }
  f->len = h->n_insns;
  return NULL;
}

/* Returns true with f->insns filled on a verified hit; false (with the reason
 * logged) on anything else. */
static bool
cache_load (int dirfd, const char *name, const uint8_t key[32], ocirun_seccomp_filter *f)
{
  const size_t max_size = sizeof (struct cache_header) + PATH_MAX + BPF_MAXINSNS * sizeof (struct sock_filter);
  cleanup_free uint8_t *buf = NULL;
  cleanup_close int fd = -1;
  const char *why = NULL;
  struct stat st;
  size_t got = 0;

  fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    {
      if (errno != ENOENT)
        ocirun_debug ("seccomp cache: open `%s`: %s", name, strerror (errno));
      return false;
    }
  if (fstat (fd, &st) < 0)
    why = "cannot stat";
  else if (!S_ISREG (st.st_mode))
    why = "not a regular file";
  else if (st.st_uid != geteuid () || (st.st_mode & (S_IWGRP | S_IWOTH)))
    why = "not owned by us or writable by others";
  else if ((size_t) st.st_size < sizeof (struct cache_header) || (size_t) st.st_size > max_size)
    why = "bad size";
  if (why == NULL)
    {
      buf = xmalloc0 ((size_t) st.st_size);
      while (got < (size_t) st.st_size)
        {
          ssize_t r = pread (fd, buf + got, (size_t) st.st_size - got, (off_t) got);
          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            break;
          got += (size_t) r;
        }
      if (got != (size_t) st.st_size)
        why = "short read";
    }
  if (why == NULL)
    why = cache_verify (buf, got, key, f);
  if (why)
    {
      stats.cache_rejects++;
      ocirun_debug ("seccomp cache: `%s` rejected (%s), recompiling", name, why);
      return false;
    }
  f->from_cache = true;
  return true;
}

#ifdef HAVE_SECCOMP
static void
cache_store (int dirfd, const char *name, const uint8_t key[32], const ocirun_seccomp_filter *f)
{
  const struct scmp_version *v = lib.version ();
  struct cache_header h;
  cleanup_free uint8_t *buf = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  size_t path_len, prog_len = f->len * sizeof (struct sock_filter), total;
  struct stat st;

  if (lib.path == NULL || stat (lib.path, &st) < 0)
    {
      /* Without the library's identity a hit could not be verified. */
      ocirun_debug ("seccomp cache: libseccomp path unknown, not caching");
      return;
    }
  path_len = strlen (lib.path);
  memset (&h, 0, sizeof h);
  memcpy (h.magic, CACHE_MAGIC, sizeof h.magic);
  h.format = CACHE_FORMAT;
  h.header_size = sizeof h;
  memcpy (h.key, key, 32);
  h.n_insns = (uint32_t) f->len;
  h.lib_path_len = (uint32_t) path_len;
  h.lib_dev = st.st_dev;
  h.lib_ino = st.st_ino;
  h.lib_size = (uint64_t) st.st_size;
  h.lib_mtime_sec = st.st_mtim.tv_sec;
  h.lib_mtime_nsec = st.st_mtim.tv_nsec;
  h.lib_version = v ? (v->major << 16 | v->minor << 8 | v->micro) : 0;

  total = sizeof h + path_len + prog_len;
  buf = xmalloc0 (total);
  memcpy (buf + sizeof h, lib.path, path_len);
  memcpy (buf + sizeof h + path_len, f->insns, prog_len);
  cache_checksum (&h, buf + sizeof h, path_len + prog_len, h.checksum);
  memcpy (buf, &h, sizeof h);

  /* temp + rename: readers see the old file or the new one, never half; the
   * pid keeps concurrent writers of the same key apart. */
  xasprintf (&tmp, ".%s.%d.tmp", name, (int) getpid ());
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      ocirun_debug ("seccomp cache: create `%s`: %s", tmp, strerror (errno));
      return;
    }
  if (write_all (fd, buf, total) < 0 || renameat (dirfd, tmp, dirfd, name) < 0)
    {
      ocirun_debug ("seccomp cache: write `%s`: %s", name, strerror (errno));
      unlinkat (dirfd, tmp, 0);
      return;
    }
  stats.cache_writes++;
}
#endif

/* The cache is an optimisation: when it cannot be used, say so in the debug
 * log and compile as if there were none. */
static int
open_cache_dir (const char *cache_dir)
{
  ocirun_error_t tmp_err = NULL;
  int fd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    {
      if (mkdir_p (cache_dir, 0700, &tmp_err) < 0)
        {
          ocirun_debug ("seccomp cache: cannot use `%s`: %s", cache_dir, tmp_err->msg);
          ocirun_error_release (&tmp_err);
          return -1;
        }
      fd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (fd < 0)
    ocirun_debug ("seccomp cache: cannot use `%s`: %s", cache_dir, strerror (errno));
  return fd;
}

/* ---------------------------------------------------------------------------
 * Entry points. */

int
ocirun_seccomp_compile (const oci_seccomp *s, const char *cache_dir, ocirun_seccomp_filter **out, ocirun_error_t *err)
{
  *out = NULL;
  if (s == NULL)
    return ocirun_make_error (err, 0, "linux.seccomp: missing");
#ifndef HAVE_SECCOMP
  (void) cache_dir;
  (void) validate_profile;
  (void) cache_load;
  (void) cache_key;
  (void) open_cache_dir;
  (void) cache_file_name;
  return ocirun_make_error (err, ENOTSUP, "linux.seccomp: this build has no seccomp support");
#else
  struct profile_info info;
  ocirun_seccomp_filter *f;
  cleanup_close int dirfd = -1;
  uint8_t key[32];
  char name[70];
  const char *why;
  int ret;

  ret = validate_profile (s, &info, err);
  if (ret < 0)
    return ret;

  f = xmalloc0 (sizeof *f);
  f->flags = info.flags;

  if (cache_dir && *cache_dir)
    {
      cache_key (s, key);
      cache_file_name (key, name);
      dirfd = open_cache_dir (cache_dir);
      if (dirfd >= 0 && cache_load (dirfd, name, key, f))
        {
          stats.cache_hits++;
          *out = f;
          return 0;
        }
      stats.cache_misses++;
    }

  ret = build_program (s, &info, &f->insns, &f->len, err);
  if (ret < 0)
    {
      ocirun_seccomp_filter_free (f);
      return ret;
    }
  why = bpf_check (f->insns, f->len);
  if (why)
    {
      size_t n = f->len;
      ocirun_seccomp_filter_free (f);
      if (n > BPF_MAXINSNS)
        return ocirun_make_error (err, E2BIG,
                                  "linux.seccomp: the compiled program has %zu instructions, the kernel takes at most "
                                  "%d",
                                  n, BPF_MAXINSNS);
      return ocirun_make_error (err, EINVAL, "linux.seccomp: libseccomp produced an invalid program: %s", why);
    }
  if (dirfd >= 0)
    cache_store (dirfd, name, key, f);
  *out = f;
  return 0;
#endif
}

int
ocirun_seccomp_install (ocirun_seccomp_filter *f, int *listener_fd, ocirun_error_t *err)
{
  struct sock_fprog prog;
  int ret;

  if (listener_fd)
    *listener_fd = -1;
  if (f == NULL || f->insns == NULL)
    return ocirun_make_error (err, EINVAL, "seccomp: no filter to install");
  if ((f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) && listener_fd == NULL)
    return ocirun_make_error (err, EINVAL, "seccomp: the profile uses SCMP_ACT_NOTIFY but no listener fd is expected");

  prog.len = (unsigned short) f->len;
  prog.filter = f->insns;
  ret = sys_seccomp (SECCOMP_SET_MODE_FILTER, f->flags, &prog);
  if (ret < 0)
    {
      int e = errno;
      if (e == EACCES)
        return ocirun_make_error (err, e,
                                  "seccomp: install the filter: no_new_privs is not set and CAP_SYS_ADMIN is missing");
      if (e == EINVAL)
        return ocirun_make_error (err, e,
                                  "seccomp: install the filter (flags 0x%x): the kernel rejected the flags or the "
                                  "program",
                                  f->flags);
      return ocirun_make_error (err, e, "seccomp: install the filter");
    }
  if (f->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    *listener_fd = ret;
  else if (ret > 0)
    /* TSYNC without ESRCH: the id of a thread that could not be synced */
    return ocirun_make_error (err, 0, "seccomp: install the filter: cannot synchronize thread %d", ret);
  return 0;
}

/* ---------------------------------------------------------------------------
 * The listener hand-over: runc's specs.ContainerProcessState
 *   {"ociVersion": .., "fds": ["seccompFd"], "pid": .., "metadata": .., "state": {..}}
 * with the fd in SCM_RIGHTS of the first (and here only) sendmsg. */

static void
json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
  fputc ('"', f);
}

static void
cleanup_yajl (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}

static int
build_process_state (const oci_seccomp *s, const char *state_json, char **out, size_t *out_len, ocirun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_yajl))) yajl_val state = NULL;
  static const char *pid_path[] = { "pid", NULL };
  char errbuf[256] = "";
  yajl_val pid;
  FILE *f;

  state = yajl_tree_parse (state_json, errbuf, sizeof errbuf);
  if (state == NULL || !YAJL_IS_OBJECT (state))
    return ocirun_make_error (err, EINVAL, "seccomp listener: invalid state JSON%s%s", errbuf[0] ? ": " : "", errbuf);
  pid = yajl_tree_get (state, pid_path, yajl_t_number);
  if (pid == NULL || !YAJL_IS_INTEGER (pid))
    return ocirun_make_error (err, EINVAL, "seccomp listener: the state has no pid");

  f = open_memstream (out, out_len);
  if (f == NULL)
    return ocirun_make_error (err, errno, "seccomp listener: open_memstream");
  fprintf (f, "{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%lld", OCI_SPEC_VERSION, YAJL_GET_INTEGER (pid));
  /* runc: `json:"metadata,omitempty"` */
  if (s->listener_metadata && s->listener_metadata[0])
    {
      fputs (",\"metadata\":", f);
      json_string (f, s->listener_metadata);
    }
  fprintf (f, ",\"state\":%s}", state_json);
  if (fclose (f) != 0)
    return ocirun_make_error (err, errno, "seccomp listener: build the message");
  return 0;
}

static int
connect_listener (const char *path, ocirun_error_t *err)
{
  cleanup_close int sock = -1;
  cleanup_close int pathfd = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return ocirun_make_error (err, errno, "linux.seccomp.listenerPath: socket");
  if (strlen (path) >= sizeof addr.sun_path)
    {
      /* Too long for sun_path: go through an O_PATH fd to the socket. */
      pathfd = open (path, O_PATH | O_CLOEXEC);
      if (pathfd < 0)
        return ocirun_make_error (err, errno, "linux.seccomp.listenerPath: open \"%s\"", path);
      snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d", pathfd);
    }
  else
    memcpy (addr.sun_path, path, strlen (path) + 1);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return ocirun_make_error (err, errno, "linux.seccomp.listenerPath: connect to \"%s\"", path);
  return steal_fd (&sock);
}

int
ocirun_seccomp_send_listener (const oci_seccomp *s, int listener_fd, const char *state_json, ocirun_error_t *err)
{
  cleanup_free char *msg = NULL;
  cleanup_close int sock = -1;
  size_t len = 0, sent = 0;
  int ret;

  if (s == NULL || s->listener_path == NULL || s->listener_path[0] == '\0')
    return ocirun_make_error (err, EINVAL, "linux.seccomp.listenerPath: not set");
  if (listener_fd < 0)
    return ocirun_make_error (err, EBADF, "seccomp listener: no listener fd");
  if (state_json == NULL)
    return ocirun_make_error (err, EINVAL, "seccomp listener: no state");

  ret = build_process_state (s, state_json, &msg, &len, err);
  if (ret < 0)
    return ret;
  ret = connect_listener (s->listener_path, err);
  if (ret < 0)
    return ret;
  sock = ret;

  /* config-linux.md: the fds go with the first sendmsg only */
  while (sent < len)
    {
      struct iovec iov = { .iov_base = msg + sent, .iov_len = len - sent };
      ssize_t w = fd_sendmsg (sock, &iov, 1, sent == 0 ? listener_fd : -1);
      if (w <= 0)
        return ocirun_make_error (err, w < 0 ? errno : EIO,
                                  "linux.seccomp.listenerPath: send the container state to \"%s\"", s->listener_path);
      sent += (size_t) w;
    }
  /* exactly one state per connection; closing it ends the message */
  return 0;
}
