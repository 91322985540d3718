/* bench/spawn: run a command and report its cost, for bench/run.py.
 *
 *   spawn FD ARGV...   forks, execs ARGV, waits; writes
 *                      "wall_ns cpu_us maxrss_kib exit_code\n" to fd FD
 *                      and exits 0 (the code is in the report)
 *
 * Why not from Python directly: a child that Python forks (or vforks)
 * starts with the interpreter's memory, and the kernel keeps that high-water
 * mark across execve (ru_maxrss would read ~18 MiB for every runtime).  This
 * helper is small and static: what its child inherits is a few hundred KiB,
 * below what any runtime itself uses. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct timespec a, b;
  struct rusage ru;
  int status = 0, fd, code;
  long long wall, cpu;
  pid_t pid;
  FILE *out;

  if (argc < 3)
    {
      fprintf (stderr, "usage: spawn FD ARGV...\n");
      return 2;
    }
  fd = atoi (argv[1]);
  clock_gettime (CLOCK_MONOTONIC, &a);
  pid = fork ();
  if (pid < 0)
    return 2;
  if (pid == 0)
    {
      close (fd);
      execvp (argv[2], argv + 2);
      _exit (127);
    }
  if (wait4 (pid, &status, 0, &ru) < 0)
    return 2;
  clock_gettime (CLOCK_MONOTONIC, &b);
  wall = (long long) (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  cpu = (long long) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  out = fdopen (fd, "w");
  if (out == NULL)
    return 2;
  fprintf (out, "%lld %lld %ld %d\n", wall, cpu, ru.ru_maxrss, code);
  fclose (out);
  return 0;
}
