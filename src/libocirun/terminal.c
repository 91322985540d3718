/* process.terminal (config.md#process, runtime-linux.md /dev/console):
 * the container gets a pty from its own devpts; the master goes to the
 * caller over --console-socket (SCM_RIGHTS, as runc does) or, for a
 * foreground `run`, stays with ocirun, which proxies it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

#include "job.h"
#include "paths.h"
#include "sync.h"
#include "terminal.h"
#include "utils.h"

/* Child, after pivot_root: allocate the pty, make it the controlling
 * terminal and stdio, bind it on /dev/console. */
int
ocirun_terminal_setup_child (struct ocirun_job *job, int *masterp, ocirun_error_t *err)
{
  const oci_process *p = job->config->process;
  cleanup_close int master = -1;
  cleanup_close int slave = -1;
  char name[64];
  int unlock = 0, n;

  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return ocirun_make_error (err, errno, "process.terminal: open `/dev/ptmx` in the container");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0 || ioctl (master, TIOCGPTN, &n) < 0)
    return ocirun_make_error (err, errno, "process.terminal: set up the pty");
  snprintf (name, sizeof name, "/dev/pts/%d", n);
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return ocirun_make_error (err, errno, "process.terminal: open `%s`", name);
  if (p->console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_size->height,
                            .ws_col = (unsigned short) p->console_size->width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return ocirun_make_error (err, errno, "process.consoleSize: set the window size");
    }

  if (!job->is_exec)
    {
      /* runtime-linux.md: /dev/console is a bind of the pty */
      cleanup_close int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      cleanup_close int target = -1;
      cleanup_close int tree = -1;
      target = ocirun_open_in_root (root, "/dev/console", O_PATH | O_NOFOLLOW, S_IFREG, err);
      if (target < 0)
        return ocirun_error_prefix (err, "process.terminal");
      tree = open_tree (slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (tree < 0 || move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return ocirun_make_error (err, errno, "process.terminal: bind the pty on `/dev/console`");
    }

  if (setsid () < 0 && errno != EPERM)
    return ocirun_make_error (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return ocirun_make_error (err, errno, "process.terminal: set the controlling terminal");
  if (dup2 (slave, 0) < 0 || dup2 (slave, 1) < 0 || dup2 (slave, 2) < 0)
    return ocirun_make_error (err, errno, "process.terminal: dup2");
  *masterp = steal_fd (&master);
  return 0;
}

int
ocirun_console_socket_send (const char *path, int master, ocirun_error_t *err)
{
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  static const char name[] = "/dev/ptmx";
  struct iovec iov = { (void *) name, sizeof name - 1 };

  if (sock < 0)
    return ocirun_make_error (err, errno, "--console-socket: socket");
  if (strlen (path) >= sizeof addr.sun_path)
    return ocirun_make_error (err, ENAMETOOLONG, "--console-socket `%s`", path);
  strcpy (addr.sun_path, path);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return ocirun_make_error (err, errno, "--console-socket: connect to `%s`", path);
  if (fd_sendmsg (sock, &iov, 1, master) < 0)
    return ocirun_make_error (err, errno, "--console-socket: send the pty to `%s`", path);
  return 0;
}

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t r = read (from, buf, sizeof buf);
  if (r <= 0)
    return r < 0 && (errno == EINTR || errno == EAGAIN);
  return write_all (to, buf, (size_t) r) == 0;
}

int
ocirun_terminal_proxy (int master, int sigfd, pid_t pid, int *status)
{
  struct termios saved, raw;
  bool tty = isatty (0) && tcgetattr (0, &saved) == 0;
  bool in_open = true, done = false;

  if (tty)
    {
      raw = saved;
      cfmakeraw (&raw);
      raw.c_oflag |= OPOST; /* keep our own output sane */
      tcsetattr (0, TCSANOW, &raw);
      copy_winsize (0, master);
    }
  while (!done)
    {
      struct pollfd p[3] = { { master, POLLIN, 0 }, { sigfd, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 } };
      if (poll (p, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sigfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGCHLD)
                {
                  pid_t w;
                  while ((w = waitpid (-1, status, WNOHANG)) > 0)
                    if (w == pid)
                      done = true;
                }
              else if (si.ssi_signo == SIGWINCH)
                copy_winsize (0, master);
              else
                kill (pid, (int) si.ssi_signo);
            }
        }
      if (p[0].revents & POLLIN)
        pump (master, 1);
      else if (p[0].revents & (POLLHUP | POLLERR))
        {
          /* the container closed its side: wait for its exit */
          if (!done)
            {
              while (waitpid (pid, status, 0) < 0 && errno == EINTR)
                ;
              done = true;
            }
        }
      if (in_open && (p[2].revents & (POLLIN | POLLHUP)))
        {
          if (!pump (0, master))
            in_open = false;
        }
    }
  /* drain what is left */
  {
    int fl = fcntl (master, F_GETFL);
    fcntl (master, F_SETFL, fl | O_NONBLOCK);
    while (pump (master, 1))
      {
        struct pollfd p = { master, POLLIN, 0 };
        if (poll (&p, 1, 0) <= 0 || !(p.revents & POLLIN))
          break;
      }
  }
  if (tty)
    tcsetattr (0, TCSANOW, &saved);
  return 0;
}
