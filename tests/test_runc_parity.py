"""Behaviour of runc that callers rely on (issue 9): HOME from the
container's /etc/passwd, runc's exec-failure wording, a seccomp profile
without openat2, a cwd only root may enter, read-only mounts with mounts
below them, bind sources only the host can reach with a user namespace,
and a config without a mount namespace.

Each test starts real containers; what runc 1.1 does was checked against
/usr/sbin/runc on the same bundles (tests/FINDINGS.md, issue 9)."""
import os
import subprocess
from pathlib import Path

import pytest

import helpers
from helpers import default_config, one_line_error

APP_PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
              "app:x:1000:1000:app:/home/app:/bin/sh\n"
              "nohome:x:1001:1001:nohome::/bin/sh\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")


def sh(script, **kw):
    return default_config(["/bin/sh", "-c", script], **kw)


def out_of(c, timeout=60):
    r = c.run_fg(timeout=timeout)
    assert r.rc == 0, r
    return r.out


def env_home(text):
    homes = [ln[len("HOME="):] for ln in text.splitlines() if ln.startswith("HOME=")]
    assert len(homes) <= 1, text
    return homes[0] if homes else None


# ------------------------------------------------------------------ HOME
@pytest.mark.parametrize("uid,home", [(0, "/root"), (1000, "/home/app"), (1001, "/"), (4242, "/"),
                                      (65534, "/nonexistent")])
def test_home_from_passwd_for_the_uid(ctr, uid, home):
    """runc: HOME, when process.env lacks it, is the uid's home in the
    container's /etc/passwd, "/" without an entry (or with an empty one)."""
    cfg = sh("env")
    cfg["process"]["user"] = {"uid": uid, "gid": uid}
    c = ctr(cfg)
    (c.rootfs / "etc" / "passwd").write_text(APP_PASSWD)
    assert env_home(out_of(c)) == home


def test_home_given_in_env_is_kept(ctr):
    cfg = sh("env")
    cfg["process"]["env"].append("HOME=/custom")
    c = ctr(cfg)
    assert env_home(out_of(c)) == "/custom"
    cfg = sh("env")
    cfg["process"]["env"].append("HOME=")
    c = ctr(cfg)
    assert env_home(out_of(c)) == ""


def test_home_without_passwd_is_root(ctr):
    c = ctr(sh("env"))
    (c.rootfs / "etc" / "passwd").unlink()
    assert env_home(out_of(c)) == "/"


def test_home_for_exec_and_exec_user(ctr):
    """`exec` (and `exec -u 1000`, Docker's `exec -u`) gets HOME the same way."""
    c = ctr(default_config(["/probe", "pause"]))
    (c.rootfs / "etc" / "passwd").write_text(APP_PASSWD)
    c.create()
    c.start()
    c.wait_output(1)
    r = c.rt.run("exec", c.id, "env")
    assert r.rc == 0, r
    assert env_home(r.out) == "/root"
    r = c.rt.run("exec", "-u", "1000:1000", c.id, "env")
    assert r.rc == 0, r
    assert env_home(r.out) == "/home/app"
    r = c.rt.run("exec", "-u", "1000:1000", "-e", "HOME=/elsewhere", c.id, "env")
    assert r.rc == 0, r
    assert env_home(r.out) == "/elsewhere"


# ------------------------------------------------------------------ exec-failure wording
def test_missing_program_says_no_such_file_or_directory(ctr):
    """Docker maps "no such file or directory" (lower case, Go's text) to
    exit 127, "permission denied" to 126; podman matches the same words."""
    c = ctr(default_config(["/nonexistent"]))
    msg = one_line_error(c.create(check=False))
    assert "/nonexistent" in msg and "no such file or directory" in msg, msg
    assert c.left_behind() == []

    c = ctr(default_config(["/etc/passwd"]))
    msg = one_line_error(c.create(check=False))
    assert "/etc/passwd" in msg and "permission denied" in msg, msg

    c = ctr(default_config(["nosuchprog"]))
    msg = one_line_error(c.create(check=False))
    assert "nosuchprog" in msg and "executable file not found in $PATH" in msg, msg


def test_exec_of_missing_program_wording(ctr):
    c = ctr(default_config(["/probe", "pause"]))
    c.create()
    c.start()
    c.wait_output(1)
    r = c.rt.run("exec", c.id, "/nonexistent")
    msg = one_line_error(r)
    assert "/nonexistent" in msg and "no such file or directory" in msg, msg
    r = c.rt.run("exec", c.id, "/etc/passwd")
    msg = one_line_error(r)
    assert "/etc/passwd" in msg and "permission denied" in msg, msg


def test_program_gone_at_start_wording(ctr):
    """The program removed between create and start: `start` fails with
    runc's words too."""
    cfg = default_config(["/bin/gone"])
    c = ctr(cfg)
    os.link(c.rootfs / "bin" / "busybox", c.rootfs / "bin" / "gone")
    c.create()
    (c.rootfs / "bin" / "gone").unlink()
    r = c.start(check=False)
    msg = one_line_error(r)
    assert "/bin/gone" in msg and "no such file or directory" in msg, msg


def test_errno_texts_are_lowercase(ctr):
    """Every errno text ocirun prints reads as runc's (Go's): lower case."""
    cfg = default_config(["/probe"])
    cfg["mounts"].append({"destination": "/data", "type": "bind", "source": "/nonexistent-src", "options": ["bind"]})
    c = ctr(cfg)
    msg = one_line_error(c.create(check=False))
    assert msg.endswith(": no such file or directory"), msg


# ------------------------------------------------------------------ seccomp without openat2
# A Docker-default-like allow list (moby profiles/seccomp/default.json),
# without the syscalls that are newer than many profiles in use:
# openat2, close_range, faccessat2, clone3, pidfd_*.
ALLOWED = """
accept accept4 access adjtimex alarm arch_prctl bind brk capget capset chdir chmod chown clock_adjtime
clock_getres clock_gettime clock_nanosleep clone close connect copy_file_range creat dup dup2 dup3
epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_wait eventfd eventfd2 execve execveat exit
exit_group faccessat fadvise64 fallocate fchdir fchmod fchmodat fchown fchownat fcntl fdatasync
fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstatfs fsync ftruncate futex getcpu
getcwd getdents getdents64 getegid geteuid getgid getgroups getitimer getpeername getpgid getpgrp
getpid getppid getpriority getrandom getresgid getresuid getrlimit get_robust_list getrusage getsid
getsockname getsockopt gettid gettimeofday getuid getxattr inotify_add_watch inotify_init
inotify_init1 inotify_rm_watch ioctl ioprio_get ioprio_set kill lchown lgetxattr link linkat listen
listxattr llistxattr lremovexattr lseek lsetxattr lstat madvise memfd_create mincore mkdir mkdirat
mknod mknodat mlock mlockall mmap mprotect mremap msync munlock munlockall munmap nanosleep
newfstatat open openat pause pipe pipe2 poll ppoll prctl pread64 preadv prlimit64 pselect6 pwrite64
pwritev read readahead readlink readlinkat readv recvfrom recvmmsg recvmsg rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn
rt_sigsuspend rt_sigtimedwait rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam
sched_get_priority_max sched_get_priority_min sched_getscheduler sched_setaffinity sched_setattr
sched_setparam sched_setscheduler sched_yield seccomp select sendfile sendmmsg sendmsg sendto
setfsgid setfsuid setgid setgroups setitimer setpgid setpriority setregid setresgid setresuid
setreuid setrlimit set_robust_list setsid setsockopt set_tid_address setuid setxattr shutdown
sigaltstack signalfd signalfd4 socket socketpair splice stat statfs statx symlink symlinkat sync
sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timerfd_create
timerfd_gettime timerfd_settime timer_getoverrun timer_gettime timer_settime times tkill truncate
umask uname unlink unlinkat utime utimensat utimes vfork wait4 waitid write writev
""".split()


def old_profile():
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ALLOWED, "action": "SCMP_ACT_ALLOW"}]}


@pytest.mark.parametrize("nnp", [False, True])
def test_seccomp_profile_without_openat2(ctr, nnp):
    """A filter loaded while the runtime still has setup to do (without
    noNewPrivileges it is loaded before the uid change) must not need
    openat2, close_range or faccessat2: the cwd is opened before it."""
    cfg = sh("cd /; pwd; echo ok > /tmp/f; cat /tmp/f; env | grep ^HOME=", cwd="/tmp")
    cfg["process"]["noNewPrivileges"] = nnp
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    cfg["linux"]["seccomp"] = old_profile()
    c = ctr(cfg)
    (c.rootfs / "etc" / "passwd").write_text(APP_PASSWD)
    assert out_of(c).split() == ["/", "ok", "HOME=/home/app"]


@pytest.mark.parametrize("nnp", [False, True])
def test_seccomp_profile_without_any_open(ctr, nnp):
    """Stricter still: no open, openat, openat2, creat, stat family; the
    runtime opens nothing once the filter is loaded (busybox `true` needs
    none of them either)."""
    cfg = default_config(["/bin/true"], cwd="/tmp")
    cfg["process"]["noNewPrivileges"] = nnp
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    prof = old_profile()
    gone = {"open", "openat", "creat", "stat", "lstat", "fstat", "newfstatat", "statx", "access", "faccessat",
            "readlink", "readlinkat", "getdents", "getdents64"}
    prof["syscalls"][0]["names"] = [n for n in ALLOWED if n not in gone]
    cfg["linux"]["seccomp"] = prof
    c = ctr(cfg)
    r = c.run_fg()
    assert r.rc == 0, r


def test_seccomp_profile_without_openat2_exec(ctr):
    cfg = default_config(["/probe", "pause"], cwd="/tmp")
    cfg["process"]["noNewPrivileges"] = False
    cfg["linux"]["seccomp"] = old_profile()
    c = ctr(cfg)
    c.create()
    c.start()
    c.wait_output(1)
    r = c.rt.run("exec", "--cwd", "/dev", c.id, "sh", "-c", "pwd")
    assert r.rc == 0, r
    assert r.out.split() == ["/dev"]
    # the filter is really there, for the exec'd process too
    r = c.rt.run("exec", c.id, "grep", "^Seccomp:", "/proc/self/status")
    assert r.rc == 0, r
    assert r.out.split() == ["Seccomp:", "2"], r


# ------------------------------------------------------------------ cwd only root may enter
RUNC_SPEC_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def runc_spec_caps(cfg):
    """`runc spec`'s capabilities: no CAP_DAC_OVERRIDE to enter any directory with"""
    for k in ("bounding", "effective", "permitted"):
        cfg["process"]["capabilities"][k] = list(RUNC_SPEC_CAPS)
    return cfg


def test_cwd_only_root_may_enter_with_non_root_user(ctr):
    """runc changes directory before dropping privileges when it can."""
    cfg = sh("pwd; id -u; ls . >/dev/null 2>&1 && echo listed || echo not-listed", cwd="/root")
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    c = ctr(runc_spec_caps(cfg))
    os.chmod(c.rootfs / "root", 0o700)
    assert out_of(c).split() == ["/root", "1000", "not-listed"]


def test_exec_cwd_only_root_may_enter_with_non_root_user(ctr):
    c = ctr(runc_spec_caps(default_config(["/probe", "pause"])))
    os.chmod(c.rootfs / "root", 0o700)
    c.create()
    c.start()
    c.wait_output(1)
    r = c.rt.run("exec", "-u", "1000:1000", "--cwd", "/root", c.id, "pwd")
    assert r.rc == 0, r
    assert r.out.split() == ["/root"]


# ------------------------------------------------------------------ read-only mounts with mounts below
def test_readonly_dev_tmpfs_with_mounts_below(ctr):
    """A read-only /dev tmpfs followed by /dev/pts, /dev/shm, /dev/mqueue
    (Docker's --read-only with a read-only /dev): the mounts below and the
    device nodes are made, then /dev is read-only."""
    cfg = sh("grep ' /dev ' /proc/self/mounts; test -c /dev/null && echo null-ok;"
             " grep -c ' /dev/pts ' /proc/self/mounts; touch /dev/x 2>/dev/null || echo dev-ro;"
             " echo s > /dev/shm/s && echo shm-rw")
    dev = [m for m in cfg["mounts"] if m["destination"] == "/dev"][0]
    dev["options"].append("ro")
    c = ctr(cfg)
    out = out_of(c).splitlines()
    assert out[0].split()[3].split(",")[0] == "ro", out
    assert out[1:] == ["null-ok", "1", "dev-ro", "shm-rw"], out


def test_readonly_tmpfs_with_a_mount_below(ctr):
    """Any read-only tmpfs with a mount below it whose mount point must be made."""
    cfg = sh("grep ' /data' /proc/self/mounts | cut -d' ' -f2,4 | cut -d, -f1")
    cfg["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["ro"]})
    cfg["mounts"].append({"destination": "/data/sub/dir", "type": "tmpfs", "source": "tmpfs", "options": []})
    c = ctr(cfg)
    assert out_of(c).splitlines() == ["/data ro", "/data/sub/dir rw"]


def test_readonly_dev_with_a_terminal(ctr, work):
    """With a terminal, /dev/console (the pty's mount point) is made while
    /dev is still writable."""
    from test_terminal import ConsoleSocket, read_until_eof
    cfg = default_config(["/bin/sh", "-c", "test -c /dev/console && echo console-ok;"
                          " touch /dev/x 2>/dev/null || echo dev-ro; echo END-OF-TEST"], terminal=True)
    [m for m in cfg["mounts"] if m["destination"] == "/dev"][0]["options"].append("ro")
    c = ctr(cfg)
    cs = ConsoleSocket(Path(work) / "console.sock")
    try:
        c.create(console_socket=cs.path)
        fd = cs.wait_fd()
        c.start()
        out = read_until_eof(fd, want="END-OF-TEST")
        c.wait()
    finally:
        cs.close()
    assert "console-ok" in out and "dev-ro" in out, out


# ------------------------------------------------------------------ userns: bind source below a 0700 dir
def userns_cfg(cfg, base=100000):
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": base, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": base, "size": 65536}]
    return cfg


def test_userns_bind_source_below_a_private_host_dir(ctr, work):
    """runc opens bind sources on the host side, before the user namespace:
    a source below a 0700 host directory works."""
    private = Path(work) / "private"
    (private / "data").mkdir(parents=True)
    (private / "data" / "hello").write_text("hi\n")
    os.chmod(private, 0o700)
    os.chmod(private / "data", 0o755)
    os.chmod(private / "data" / "hello", 0o644)
    cfg = userns_cfg(sh("cat /data/hello; cat /file; grep ' /data ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1"))
    cfg["mounts"].append({"destination": "/data", "type": "bind", "source": str(private / "data"),
                          "options": ["rbind", "ro"]})
    cfg["mounts"].append({"destination": "/file", "type": "bind", "source": str(private / "data" / "hello"),
                          "options": ["bind"]})
    c = ctr(cfg)
    subprocess.run(["chown", "-R", "100000:100000", str(c.rootfs)], check=True)
    assert out_of(c).split() == ["hi", "hi", "ro"]


# ------------------------------------------------------------------ no mount namespace
def no_mnt_cfg(args):
    cfg = default_config(args)
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "mount"]
    cfg["linux"]["maskedPaths"] = []
    cfg["linux"]["readonlyPaths"] = []
    return cfg


def test_no_mount_namespace_inherits_the_runtimes(ctr, host_ns):
    """config-linux.md: an absent namespace type is the runtime's.  runc runs
    such a container chrooted in the rootfs, in the runtime's mount
    namespace; nothing of it stays mounted after delete."""
    cfg = no_mnt_cfg(["/bin/sh", "-c", "readlink /proc/self/ns/mnt; test -x /probe && echo in-rootfs;"
                      " test -c /dev/null && echo dev"])
    c = ctr(cfg)
    out = out_of(c).split()
    assert out == [host_ns["mnt"], "in-rootfs", "dev"], out
    # `run` deleted it: the mounts it made on the host are gone
    assert helpers.mounts_mentioning(c.bundle) == []


def test_no_mount_namespace_mounts_are_removed_by_delete(ctr):
    """The mounts live on the host while the container does; `delete`
    (also `delete --force` of a created one) removes them."""
    c = ctr(no_mnt_cfg(["/probe", "pause"]))
    c.create()
    mounted = [ln.split()[4] for ln in helpers.mounts_mentioning(c.bundle)]
    assert str(c.rootfs / "proc") in mounted and str(c.rootfs / "dev") in mounted, mounted
    c.delete(force=True)
    assert helpers.mounts_mentioning(c.bundle) == []


def test_no_mount_namespace_runtime_killed_half_way(ctr, work):
    """SIGKILL of the runtime after the mounts were made (in a createRuntime
    hook): `delete --force` still removes them from the host."""
    mark = Path(work) / "hook.pid"
    cfg = no_mnt_cfg(["/probe"])
    cfg["hooks"] = {"createRuntime": [{"path": "/bin/sh",
                                       "args": ["sh", "-c", "echo $$ > %s.tmp && mv %s.tmp %s && exec sleep 600"
                                                % (mark, mark, mark)]}]}
    c = ctr(cfg)
    p = subprocess.Popen(c.rt.argv("create", "--bundle", str(c.bundle), c.id),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hook_pid = None
    try:
        helpers.wait_for(mark.exists, timeout=60)
        hook_pid = int(mark.read_text())
        assert helpers.mounts_mentioning(c.bundle), "no mounts made before the hook"
        p.kill()
        p.wait()
    finally:
        if hook_pid:
            try:
                os.kill(hook_pid, 9)
            except ProcessLookupError:
                pass
        if p.poll() is None:
            p.kill()
            p.wait()
    r = c.rt.delete(c.id, force=True)
    assert r.rc == 0, r
    assert helpers.mounts_mentioning(c.bundle) == []


def test_no_mount_namespace_symlinked_mount_point_is_not_followed_at_delete(ctr, work):
    """At delete, a mount point the container replaced with a symlink to a
    host directory is resolved inside the rootfs: no host mount is touched."""
    host = Path(work) / "host-mnt"
    host.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "hostside", str(host)], check=True)
    try:
        cfg = no_mnt_cfg(["/bin/sh", "-c", "umount -l /data && rmdir /data && ln -s %s /data && echo swapped" % host])
        cfg["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": []})
        cfg["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
        cfg["process"]["capabilities"]["effective"].append("CAP_SYS_ADMIN")
        cfg["process"]["capabilities"]["permitted"].append("CAP_SYS_ADMIN")
        c = ctr(cfg)
        assert out_of(c).split() == ["swapped"]
        assert any(ln.split()[4] == str(host) for ln in helpers.mounts_mentioning(host)), "the host's mount was detached"
    finally:
        subprocess.run(["umount", "-l", str(host)], capture_output=True)


def test_no_mount_namespace_exec(ctr, host_ns):
    cfg = no_mnt_cfg(["/probe", "pause"])
    c = ctr(cfg)
    c.create()
    c.start()
    c.wait_output(1)
    r = c.rt.run("exec", c.id, "sh", "-c", "readlink /proc/self/ns/mnt; test -x /probe && echo in-rootfs; pwd")
    assert r.rc == 0, r
    assert r.out.split() == [host_ns["mnt"], "in-rootfs", "/"], r


@pytest.mark.parametrize("what", ["maskedPaths", "readonlyPaths", "no-pivot", "readonly-root"])
def test_no_mount_namespace_refusals(ctr, what):
    """What runc refuses without a mount namespace of the container's own
    ("unable to restrict sys entries without a private MNT namespace",
    "unable to use no-pivot without a private MNT namespace"): refused the
    same way, before anything is made."""
    cfg = no_mnt_cfg(["/probe"])
    extra = []
    if what == "maskedPaths":
        cfg["linux"]["maskedPaths"] = ["/proc/kcore"]
    elif what == "readonlyPaths":
        cfg["linux"]["readonlyPaths"] = ["/proc/sys"]
    elif what == "no-pivot":
        extra = ["--no-pivot"]
    else:
        cfg["root"]["readonly"] = True
    c = ctr(cfg)
    r = c.rt.run("create", *extra, "--bundle", c.bundle, c.id)
    msg = one_line_error(r)
    assert "mount namespace" in msg, msg
    assert c.left_behind() == []
