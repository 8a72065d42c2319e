"""No sockets for the current process and everything it starts: a seccomp filter (pyseccomp).

Landlock (landlock.py) confines files and TCP; it cannot stop UDP, Unix or raw sockets. This
filter makes ``socket()`` and ``socketpair()`` fail with EPERM for every address family, and
closes the side doors that could hand a process a socket anyway: io_uring (which can open and
connect sockets itself) and ``pidfd_getfd`` (which copies a file descriptor out of another
process). A confined process then talks to its parent only over the pipes it inherited.

The filter is irreversible and inherited across fork and exec. It also sets no_new_privs (so a
set-uid program cannot shed it). Foreign system-call ABIs (32-bit x86 ``int 0x80``, x32) are
killed by libseccomp's default bad-architecture action, so ``socketcall`` is no way round it.

Used by the notebook runner (notebook_runner.py) and by the package child (child.py), both in
the runtime package; it needs only the ``pyseccomp`` package and the system's
``libseccomp.so.2``. Where either is missing, or the kernel has no seccomp, :func:`deny_sockets`
returns False and the caller records that the filter was not available.
"""
from __future__ import annotations

import errno

DENIED_SOCKET_CALLS = ("socket", "socketpair")
DENIED_SIDE_DOORS = ("io_uring_setup", "io_uring_enter", "io_uring_register", "pidfd_getfd")
SESSION_CALLS = ("setsid", "setpgid")
LIMIT_CALLS = ("setrlimit",)


def preload() -> bool:
    """Import pyseccomp ahead of :func:`deny_sockets` (its import runs ``ldconfig`` to find
    libseccomp): the template does it once, before it forks the children. Installs nothing."""
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, RuntimeError, OSError):
        return False
    return True


def deny_sockets(*, keep_process_group: bool = False, freeze_limits: bool = False) -> bool:
    """Install the filter on the calling process (and its future threads and children).

    Args:
        keep_process_group: also make ``setsid()`` and ``setpgid()`` fail (EPERM), so that every
            process this one starts stays in its process group and one ``killpg`` ends them all.
        freeze_limits: also make raising or setting resource limits fail (``setrlimit``, and
            ``prlimit64`` with a new limit; reading limits still works), which matters where the
            process keeps root's CAP_SYS_RESOURCE.

    Returns:
        True when the filter is installed; False where seccomp or libseccomp is unavailable
        (nothing is changed then).
    """
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
        f.load()
    except (OSError, ValueError, RuntimeError):
        return False
    return True
