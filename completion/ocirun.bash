# bash completion for ocirun: commands, their options, container ids
# (from `ocirun list -q` under the --root given on the command line), signal
# names for `kill`, directories and files where an option takes one.
# Installed as $(datadir)/bash-completion/completions/ocirun.

_ocirun_ids() {
  # the --root of the command line being completed, if any
  local root=() i
  for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
    case ${COMP_WORDS[i]} in
      --root) root=(--root "${COMP_WORDS[i + 1]}") ;;
      --root=*) root=(--root "${COMP_WORDS[i]#--root=}") ;;
    esac
  done
  "${COMP_WORDS[0]}" "${root[@]}" list -q 2>/dev/null
}

_ocirun() {
  local cur prev words cword
  _init_completion 2>/dev/null || {
    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  }
  local commands="create start run state kill delete list exec pause resume ps update events features spec checkpoint restore help"
  local global="--root --log --log-format --debug --systemd-cgroup --rootless --criu --version --help"

  # the command: the first word that is not a global option (or its value)
  local i cmd= cmd_at=0
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      --root|--log|--log-format|--criu) ((i++)) ;;
      -*) ;;
      *) cmd=${words[i]}; cmd_at=$i; break ;;
    esac
  done

  if [ -z "$cmd" ]; then
    case $prev in
      --root) COMPREPLY=($(compgen -d -- "$cur")); return ;;
      --log|--criu) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$global" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    return
  fi

  local opts="--help" ids=yes
  case $cmd in
    create) opts="--bundle --pid-file --console-socket --preserve-fds --no-pivot --no-new-keyring --help" ids=no ;;
    run) opts="--bundle --pid-file --console-socket --preserve-fds --no-pivot --no-new-keyring --detach --keep --help" ids=no ;;
    kill) opts="--all --help" ;;
    delete) opts="--force --help" ;;
    list) opts="--format --quiet --help" ids=no ;;
    exec) opts="--process --tty --detach --cwd --env --user --additional-gids --cap --no-new-privs --process-label --apparmor --pid-file --console-socket --preserve-fds --cgroup --ignore-paused --help" ;;
    ps) opts="--format --help" ;;
    update) opts="--resources --memory --memory-reservation --memory-swap --kernel-memory --kernel-memory-tcp --cpu-shares --cpu-quota --cpu-period --cpu-burst --cpu-idle --cpuset-cpus --cpuset-mems --cpu-rt-runtime --cpu-rt-period --pids-limit --blkio-weight --help" ;;
    events) opts="--stats --interval --help" ;;
    spec) opts="--bundle --rootless --help" ids=no ;;
    features) ids=no ;;
    checkpoint) opts="--image-path --work-path --parent-path --leave-running --pre-dump --tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode --empty-ns --auto-dedup --help" ;;
    restore) opts="--image-path --work-path --bundle --detach --pid-file --console-socket --no-pivot --tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode --empty-ns --lsm-profile --lsm-mount-context --help" ids=no ;;
    help) COMPREPLY=($(compgen -W "${commands% help}" -- "$cur")); return ;;
  esac

  case $prev in
    --bundle|-b|--image-path|--work-path|--parent-path|--cwd) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --pid-file|--console-socket|--process|-p|--resources|-r) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --format|-f) [ "$cmd" = delete ] || { COMPREPLY=($(compgen -W "table json" -- "$cur")); return; } ;;
    --manage-cgroups-mode) COMPREPLY=($(compgen -W "soft full strict ignore" -- "$cur")); return ;;
    --empty-ns) COMPREPLY=($(compgen -W "network" -- "$cur")); return ;;
    --preserve-fds|--env|-e|--user|-u|--additional-gids|-g|--cap|-c|--process-label|--apparmor|--cgroup|--interval|--memory*|--kernel-memory*|--cpu*|--pids-limit|--blkio-weight|--lsm-*) return ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  # the first non-option word after the command is the container id; for
  # kill the next one is a signal
  local nargs=0
  for ((i = cmd_at + 1; i < cword; i++)); do
    [[ ${words[i]} == -* ]] || ((nargs++))
  done
  if [ "$cmd" = kill ] && [ "$nargs" = 1 ]; then
    COMPREPLY=($(compgen -W "KILL TERM INT HUP QUIT USR1 USR2 STOP CONT" -- "$cur"))
  elif [ "$ids" = yes ] && [ "$nargs" = 0 ]; then
    COMPREPLY=($(compgen -W "$(_ocirun_ids)" -- "$cur"))
  fi
}
complete -F _ocirun ocirun
