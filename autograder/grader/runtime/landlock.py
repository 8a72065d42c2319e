"""Filesystem, network and signal confinement of the current process with Linux Landlock.

Used by the child on itself before any student file is read: afterwards it can read only
the Python installation and the scratch folder, write only its work folder, open no TCP
connection, and signal no process outside its own sandbox. Irreversible for the process
and everything it starts. Returns the Landlock ABI version applied, or 0 where the kernel
has no Landlock (the grader then records that the confinement was not available).

``GRADER_NO_LANDLOCK=1`` in the environment turns it off, as on a kernel without it (macOS,
Linux before 5.13), and ``GRADER_LANDLOCK_ABI_MAX=N`` uses at most ABI N, as on an older kernel
(Ubuntu 22.04 and Debian 12 have 1 or 2; ABI 4 brings TCP rules; ABI 6, Linux 6.12, signal
scoping): the grader's tests use them to exercise those paths on any machine.
"""
from __future__ import annotations

import ctypes
import os
import platform
import sys

_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_PR_SET_NO_NEW_PRIVS = 38
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

# filesystem access rights (ABI 1..5)
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = (1 << i for i in range(9, 16))
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
READ_ONLY = EXECUTE | READ_FILE | READ_DIR
# network (ABI >= 4) and scopes (ABI >= 6)
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def forced_off() -> bool:
    """True when GRADER_NO_LANDLOCK asks for no Landlock (any value but empty or 0)."""
    return os.environ.get("GRADER_NO_LANDLOCK", "") not in ("", "0")


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 without Landlock, off Linux, or when forced off."""
    calls = _SYSCALLS.get(platform.machine())
    if calls is None or not sys.platform.startswith("linux") or forced_off():
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    version = max(int(libc.syscall(calls[0], None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))), 0)
    cap = os.environ.get("GRADER_LANDLOCK_ABI_MAX", "").strip()
    return min(version, int(cap)) if cap.isdigit() else version


def unavailable_reason() -> str | None:
    """Why this machine runs children without file confinement, or None where Landlock works."""
    if forced_off():
        return "GRADER_NO_LANDLOCK is set"
    if not sys.platform.startswith("linux"):
        return f"{platform.system() or sys.platform} has no Landlock"
    if platform.machine() not in _SYSCALLS:
        return f"the grader does not know Landlock's system calls on {platform.machine()}"
    if abi_version() < 1:
        if os.environ.get("GRADER_LANDLOCK_ABI_MAX", "").strip() == "0":
            return "GRADER_LANDLOCK_ABI_MAX is 0"
        return f"this Linux kernel ({platform.release()}) has no Landlock (it needs 5.13 or later, enabled)"
    return None


def restrict(read_paths, write_paths, network: bool = False) -> int:
    """Allow reading ``read_paths`` and reading+writing ``write_paths``; deny the rest.

    ``network=True`` leaves TCP alone (a Jupyter kernel talks to its client over localhost).
    """
    abi = abi_version()
    if abi < 1:
        return 0
    create, add_rule, restrict_self = _SYSCALLS[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    handled = _FS_BY_ABI[min(abi, 5)]
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.net, size = (0 if network else _NET_BIND_TCP | _NET_CONNECT_TCP), 16
    if abi >= 6:
        attr.scoped, size = _SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL, 24
    ruleset = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for paths, access in ((read_paths, READ_ONLY), (write_paths, handled)):
            for path in paths:
                if not os.path.exists(path):
                    continue
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    allowed = access & handled
                    if not os.path.isdir(path):  # directory-only rights are invalid on files
                        allowed &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
                    rule = _PathBeneath(allowed, fd)
                    if libc.syscall(add_rule, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                        raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
                finally:
                    os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(restrict_self, ruleset, ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return abi
