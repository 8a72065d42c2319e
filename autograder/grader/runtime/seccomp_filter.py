"""No sockets for the current process and everything it starts: a seccomp filter (pyseccomp).

Landlock (landlock.py) confines files and TCP; it cannot stop UDP, Unix or raw sockets. This
filter makes ``socket()`` and ``socketpair()`` fail with EPERM for every address family, and
closes the side doors that could hand a process a socket anyway: io_uring (which can open and
connect sockets itself) and ``pidfd_getfd`` (which copies a file descriptor out of another
process). A confined process then talks to its parent only over the pipes it inherited.

The filter is irreversible and inherited across fork and exec. It also sets no_new_privs (so a
set-uid program cannot shed it). Foreign system-call ABIs (32-bit x86 ``int 0x80``, x32) are
killed by libseccomp's default bad-architecture action, so ``socketcall`` is no way round it.

With ``isolate=True`` it also keeps the process to itself, on every kernel (Landlock's signal
scoping needs Linux 6.12, and every child of every submission runs as the same user): signals
reach only its own process group (``kill(0, sig)``) and its own threads; no tracing, no reading or
writing another process's memory, no pidfds, no renicing, re-pinning or re-limiting another
process; and no shared memory, which no memory limit counts (``memfd_create``, System V
segments, shared anonymous mappings), nor System V message queues and semaphore sets (kernel
memory no limit counts either: 32000 semaphore sets of 2 MiB each, and they outlive the process),
nor POSIX message queues and kernel keys (they outlive the process too, kept for its user: a
channel from one child, or one submission, to the next),
nor stack mappings (``MAP_GROWSDOWN``, ``mremap``: memory ``RLIMIT_DATA`` does not count); no
signal through a file's owner (``fcntl(F_SETOWN)``: SIGIO, or any signal with F_SETSIG, goes to
the owner with only a same-user check); and no change to the metadata of files (``chmod``,
``chown``, ``utime``, ``truncate``, extended attributes), which Landlock does not control, so a
child cannot lock the grader's user out of its own gradebook.

``GRADER_NO_SECCOMP=1`` in the environment turns the filter off, as on a machine without
seccomp: the grader's tests use it to exercise that path on any machine.

Used by the notebook runner (notebook_runner.py) and by the package child (child.py), both in
the runtime package; it needs only the ``pyseccomp`` package and the system's
``libseccomp.so.2``. Where either is missing, or the kernel has no seccomp, :func:`deny_sockets`
returns False and the caller records that the filter was not available.
"""
from __future__ import annotations

import errno
import os

DENIED_SOCKET_CALLS = ("socket", "socketpair")
DENIED_SIDE_DOORS = ("io_uring_setup", "io_uring_enter", "io_uring_register", "pidfd_getfd")
SESSION_CALLS = ("setsid", "setpgid")
LIMIT_CALLS = ("setrlimit",)
# with isolate=True: calls that reach another process or share memory outside every limit
OTHER_PROCESS_CALLS = ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open", "pidfd_send_signal",
                       "tkill", "perf_event_open", "memfd_create", "memfd_secret", "shmget", "msgget", "semget",
                       "mremap",  # mremap: moving the stack's lowest page makes memory no limit counts (realloc falls back)
                       "mq_open", "add_key", "request_key", "keyctl")  # kept by the kernel for the user, after the process
SELF_ONLY = {"kill": (0,), "setpriority": (0, 1), "ioprio_set": (1,), "sched_setaffinity": (0,), "sched_setscheduler": (0,),
             "sched_setparam": (0,), "sched_setattr": (0,), "prlimit64": (0,), "migrate_pages": (0,), "move_pages": (0,),
             "get_robust_list": (0,)}
"""Call -> the arguments that must be 0 (this process; for kill, its own process group; for
setpriority also PRIO_PROCESS, so not every process of the user)."""
OWN_THREAD_GROUP = ("tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
"""Calls whose first argument, a thread-group id, must be this process's own."""
FILE_METADATA_CALLS = ("chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime", "utimes",
                       "utimensat", "futimesat", "truncate", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
                       "lremovexattr", "fremovexattr")
"""What Landlock never controls (truncate: before ABI 3), on files of the grader's user outside the work folder."""
F_SETOWN, F_SETOWN_EX = 8, 15  # fcntl: make another process a file's owner, the target of its SIGIO (F_SETSIG: any signal)
MAP_GROWSDOWN = 0x0100  # a stack mapping: not data, so RLIMIT_DATA does not count it
IOPRIO_WHO_PROCESS = 1
MAP_SHARED_ANONYMOUS = 0x01 | 0x20  # MAP_SHARED (and MAP_SHARED_VALIDATE) with MAP_ANONYMOUS


def preload() -> bool:
    """Import pyseccomp ahead of :func:`deny_sockets` (its import runs ``ldconfig`` to find
    libseccomp): the template does it once, before it forks the children. Installs nothing."""
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, RuntimeError, OSError):
        return False
    return True


def forced_off() -> bool:
    """True when GRADER_NO_SECCOMP asks for no filter (any value but empty or 0)."""
    return os.environ.get("GRADER_NO_SECCOMP", "") not in ("", "0")


def deny_sockets(*, keep_process_group: bool = False, freeze_limits: bool = False, isolate: bool = False) -> bool:
    """Install the filter on the calling process (and its future threads and children).

    Args:
        keep_process_group: also make ``setsid()`` and ``setpgid()`` fail (EPERM), so that every
            process this one starts stays in its process group and one ``killpg`` ends them all.
        freeze_limits: also make raising or setting resource limits fail (``setrlimit``, and
            ``prlimit64`` with a new limit; reading limits still works), which matters where the
            process keeps root's CAP_SYS_RESOURCE.
        isolate: also keep the process to itself (see the module's docstring).

    Returns:
        True when the filter is installed; False where seccomp or libseccomp is unavailable
        (nothing is changed then), or GRADER_NO_SECCOMP is set.
    """
    if forced_off():
        return False
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError):  # RuntimeError: pyseccomp found no libseccomp
        return False
    deny = pyseccomp.ERRNO(errno.EPERM)
    try:
        f = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
        names = DENIED_SOCKET_CALLS + DENIED_SIDE_DOORS
        if keep_process_group:
            names += SESSION_CALLS
        if freeze_limits:
            names += LIMIT_CALLS
        for name in names:
            try:
                f.add_rule(deny, name)
            except (OSError, ValueError):
                if name in DENIED_SOCKET_CALLS:
                    raise  # the point of the filter: never install one without these
                # an old libseccomp may not know the newer calls (io_uring, pidfd_getfd)
        if freeze_limits:
            f.add_rule(deny, "prlimit64", pyseccomp.Arg(2, pyseccomp.NE, 0))  # new_limit != NULL
        if isolate:
            add_isolation(f, deny, pyseccomp)
        f.load()
    except (OSError, ValueError, RuntimeError):
        return False
    return True


def add_isolation(f, deny, pyseccomp) -> None:
    """The rules of ``isolate=True`` on filter ``f`` (pyseccomp passed in: imported by the caller)."""
    own = os.getpid()
    for name in OTHER_PROCESS_CALLS:
        _add(f, deny, name)
    for name, positions in SELF_ONLY.items():
        for position in positions:  # one rule per argument: any one of them non-zero is refused
            _add(f, deny, name, pyseccomp.Arg(position, pyseccomp.NE, 0))
    _add(f, deny, "ioprio_set", pyseccomp.Arg(0, pyseccomp.NE, IOPRIO_WHO_PROCESS))
    for name in OWN_THREAD_GROUP:
        _add(f, deny, name, pyseccomp.Arg(0, pyseccomp.NE, own))
    f.add_rule(deny, "mmap", pyseccomp.Arg(3, pyseccomp.MASKED_EQ, MAP_SHARED_ANONYMOUS, MAP_SHARED_ANONYMOUS))
    f.add_rule(deny, "mmap", pyseccomp.Arg(3, pyseccomp.MASKED_EQ, MAP_GROWSDOWN, MAP_GROWSDOWN))
    for cmd in (F_SETOWN, F_SETOWN_EX):
        f.add_rule(deny, "fcntl", pyseccomp.Arg(1, pyseccomp.EQ, cmd))
    for name in FILE_METADATA_CALLS:
        _add(f, deny, name)


ESSENTIAL = ("kill", "tgkill", "ptrace", "process_vm_readv", "process_vm_writev", "memfd_create", "shmget")


def _add(f, deny, name: str, *conditions) -> None:
    """One rule; a newer call that this libseccomp does not know (memfd_secret, pidfd_*) is
    skipped, an essential one never (the filter is then not installed at all)."""
    try:
        f.add_rule(deny, name, *conditions)
    except (OSError, ValueError):
        if name in ESSENTIAL:
            raise
