#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ocirun.h"
#include "utils.h"

#define EXEC_USAGE "[options] CONTAINER_ID [--] COMMAND [ARGS...]"

static void
push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 1) * sizeof (char *));
  (*v)[(*n)++] = (char *) s;
}

/* long: one getopt table and one case per runc flag, read in one place */
int
cmd_exec (struct ocirun_global *g, int argc, char **argv, ocirun_error_t *err)
{
  static const struct option opts[] = {
    { "process", required_argument, NULL, 'p' },
    { "tty", no_argument, NULL, 't' },
    { "detach", no_argument, NULL, 'd' },
    { "cwd", required_argument, NULL, 'w' },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, 'N' },
    { "process-label", required_argument, NULL, 'l' },
    { "apparmor", required_argument, NULL, 'a' },
    { "pid-file", required_argument, NULL, 'P' },
    { "console-socket", required_argument, NULL, 'S' },
    { "preserve-fds", required_argument, NULL, 'F' },
    { "cgroup", required_argument, NULL, 'C' },
    { "ignore-paused", no_argument, NULL, 'I' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct ocirun_context ctx;
  struct ocirun_exec_options o;
  long long n;
  int c, status = 0, ret;

  cli_context_init (g, &ctx);
  memset (&o, 0, sizeof o);
  opterr = 0;
  /* '+': stop at the first non-option, so the command keeps its own flags */
  while ((c = getopt_long (argc, argv, "+p:tdw:e:u:g:c:h", opts, NULL)) != -1)
    {
      switch (c)
        {
        case 'p':
          o.process_path = optarg;
          break;
        case 't':
          o.tty = true;
          break;
        case 'd':
          o.detach = true;
          break;
        case 'w':
          o.cwd = optarg;
          break;
        case 'e':
          if (strchr (optarg, '=') == NULL)
            return ocirun_make_error (err, 0, "exec --env: expected KEY=value, got `%s`", optarg);
          push (&o.env, &o.env_len, optarg);
          break;
        case 'u':
          o.user = optarg;
          break;
        case 'g':
          {
            char *s = strdup (optarg), *save = NULL, *t;
            for (t = strtok_r (s, ",", &save); t; t = strtok_r (NULL, ",", &save))
              push (&o.additional_gids, &o.additional_gids_len, t);
          }
          break;
        case 'c':
          push (&o.caps, &o.caps_len, optarg);
          break;
        case 'N':
          o.no_new_privs = true;
          break;
        case 'l':
          o.process_label = optarg;
          break;
        case 'a':
          o.apparmor = optarg;
          break;
        case 'P':
          o.pid_file = optarg;
          break;
        case 'S':
          ctx.console_socket = optarg;
          break;
        case 'F':
          if (parse_int64 (optarg, &n) < 0 || n < 0 || n > 65536)
            return ocirun_make_error (err, 0, "exec --preserve-fds: expected a non-negative number, got `%s`", optarg);
          ctx.preserve_fds = (int) n;
          break;
        case 'C':
          o.cgroup = optarg;
          break;
        case 'I':
          o.ignore_paused = true;
          break;
        case 'h':
          cli_usage ("exec", EXEC_USAGE,
                     "  --process, -p FILE      the process to run, as the spec's process JSON\n"
                     "  --tty, -t               allocate a pty\n"
                     "  --detach, -d            do not wait for the process\n"
                     "  --cwd DIR               working directory\n"
                     "  --env, -e KEY=value     set an environment variable\n"
                     "  --user, -u UID[:GID]    user to run as\n"
                     "  --additional-gids, -g G additional groups (comma separated)\n"
                     "  --cap, -c CAP           add a capability\n"
                     "  --no-new-privs          set no_new_privs\n"
                     "  --process-label LABEL   SELinux label\n"
                     "  --apparmor PROFILE      AppArmor profile\n"
                     "  --pid-file FILE         write the process' pid to FILE\n"
                     "  --console-socket PATH   send the pty master to this unix socket\n"
                     "  --preserve-fds N        pass N extra fds\n"
                     "  --cgroup PATH           a sub-cgroup of the container to join\n"
                     "  --ignore-paused         allow exec into a paused container\n");
          exit (0);
        default:
          return cli_unknown_option ("exec", argv, err);
        }
    }
  if (optind >= argc)
    return ocirun_make_error (err, 0, "exec: missing argument (usage: ocirun exec %s)", EXEC_USAGE);
  ctx.id = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  if (o.process_path && optind < argc)
    return ocirun_make_error (err, 0, "exec: --process and a command line are exclusive");
  o.args = argv + optind;
  o.args_len = (size_t) (argc - optind);
  /* runc: "exec failed: ..." exits 255 (usage errors above exit 1) */
  g->fail_status = 255;
  ret = ocirun_container_exec (&ctx, &o, &status, err);
  free (o.env);
  free (o.caps);
  if (ret < 0)
    return -1;
  return status;
}
