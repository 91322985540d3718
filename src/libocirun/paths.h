/* Path primitives: resolving a path inside a tree (the container's root)
 * without leaving it, whatever symlinks the tree holds (CVE-2021-30465,
 * CVE-2024-21626).  A leaf module: it calls nothing of the runtime's but
 * utils and error. */
#ifndef OCIRUN_PATHS_H
#define OCIRUN_PATHS_H

#include <linux/openat2.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* how every path of the container is resolved: ".." and absolute symlinks
 * stay below the root, and no /proc magic link is followed */
#define OCIRUN_RESOLVE_IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* openat2(2) (no libc wrapper in glibc 2.36); O_CREAT makes 0644.
 * Returns the fd, or -1 with errno set. */
int ocirun_openat2 (int dirfd, const char *path, int flags, unsigned long long resolve);

/* Open `path` (absolute or relative: both are taken inside the root) in
 * the tree at rootfd, O_CLOEXEC.  With create_type S_IFDIR/S_IFREG,
 * missing components are created (parents as directories), each one with
 * mkdirat/openat on a parent fd that was itself resolved in the root. */
int ocirun_open_in_root (int rootfd, const char *path, int flags, mode_t create_type, ocirun_error_t *err);

/* "/proc/self/fd/N": the path that names what fd N is, for the syscalls
 * that take no fd (mount(2)); buf of 32 bytes or more. */
void ocirun_fd_path (int fd, char *buf, size_t len);

#endif
