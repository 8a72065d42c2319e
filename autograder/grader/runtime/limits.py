"""Resource limits that a process running student code sets on itself, before any student file.

Used by the package child (child.py) and a notebook run (notebook_runner.py).

Memory is limited by what the process really uses, whatever torch build it has imported. A CUDA
build of torch maps about 3 GB of libraries and reserved address space at import (and CUDA, once
started on a GPU, reserves tens of GiB it never touches), so a fixed address-space limit either
fails the first honest allocation or stops nothing. Each process therefore measures itself after
its imports (``/proc/self/status``) and allows ``allowance`` bytes beyond that:

- ``RLIMIT_DATA``: private writable memory (what ``malloc`` and NumPy allocate), always;
- ``RLIMIT_AS``: the whole address space, where no GPU is in use (CUDA needs its reservations).

Either stops a 16 GiB allocation. The tasks its user may start are bounded too (``RLIMIT_NPROC``). Shared memory, which neither counts, is refused by the seccomp
filter (seccomp_filter.py: ``memfd_create``, System V segments, shared anonymous mappings) and
Landlock keeps files out of ``/dev/shm``. The process is also the out-of-memory killer's first
choice (``oom_score_adj`` 1000) and cannot be read or traced by others of its user
(``PR_SET_DUMPABLE`` 0).
"""
from __future__ import annotations

import ctypes
import os
import resource

_PR_SET_DUMPABLE = 4
OOM_FIRST = 1000


def usage() -> tuple[int, int] | None:
    """``(address space, private writable data)`` of this process in bytes; None without /proc."""
    sizes = {}
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmSize", "VmData"):
                    sizes[key] = int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    if len(sizes) != 2:
        return None
    return sizes["VmSize"], sizes["VmData"]


def limit_memory(allowance: int, *, gpu: bool) -> dict:
    """Allow ``allowance`` bytes beyond what this process uses now; what was set, for the record."""
    measured = usage()
    if measured is None:  # no /proc (macOS): no baseline to add the allowance to, and an absolute
        return {}         # limit would count torch's own libraries against the student
    address, data = measured
    resource.setrlimit(resource.RLIMIT_DATA, (data + allowance, data + allowance))
    applied = {"data_limit": data + allowance}
    if not gpu:
        resource.setrlimit(resource.RLIMIT_AS, (address + allowance, address + allowance))
        applied["address_limit"] = address + allowance
    return applied


def prefer_oom_kill(score: int = OOM_FIRST) -> None:
    """Make this process the out-of-memory killer's choice before the grader (no-op off Linux)."""
    try:
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as f:
            f.write(str(score))
    except OSError:
        pass


def undumpable() -> None:
    """Nobody but root may read this process's memory or environment, even as the same user."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


TASK_ALLOWANCE = 256
"""Processes and threads a confined process's user may start beyond every task that runs now."""


def limit_tasks(allowance: int = TASK_ALLOWANCE) -> None:
    """``RLIMIT_NPROC``: the user's tasks (every submission's children share the sandbox user) at
    most all the machine's tasks now plus ``allowance``, so a fork or thread bomb stops there
    instead of exhausting the machine's processes (root, the grader under root, is exempt)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[1])  # "runnable/total" tasks of the whole machine
    except (OSError, ValueError, IndexError):
        return
    resource.setrlimit(resource.RLIMIT_NPROC, (running + allowance, running + allowance))


def apply(allowance: int, cpu_seconds: int, file_bytes: int, *, gpu: bool) -> dict:
    """Every limit, in the order that works unprivileged too: memory, CPU, file size, no core
    dump, tasks, first to be killed when memory runs out."""
    applied = limit_memory(allowance, gpu=gpu)
    limit_tasks()
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    prefer_oom_kill()
    return applied


_CLONE_NEWNS = 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
FOLDER_INODES = 4096


def own_folder(path: str, size: int, user: tuple[int, int] | None) -> bool:
    """Under root: ``path`` (the process's work folder) becomes a file system of its own, ``size``
    bytes and FOLDER_INODES files at most, owned by ``user``, in a mount namespace of its own
    (gone with the process). Per-file limits (RLIMIT_FSIZE) do not bound how much a process
    writes in all, so without this one child could fill the grader's temporary folder (and,
    where that is a tmpfs, its memory) under every other submission. False where it cannot be
    done (not root, no mount namespaces): the folder is then bounded per file only."""
    if os.geteuid() != 0:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0:
        return False
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:  # nothing mounted here reaches the machine
        return False
    owner = f",uid={user[0]},gid={user[1]}" if user else ""
    options = f"size={size},nr_inodes={FOLDER_INODES},mode=0700{owner}".encode()
    if libc.mount(b"tmpfs", path.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, options) != 0:
        return False
    os.chdir(path)  # the new file system, not the folder beneath it
    return True


def gpu_present() -> bool:
    """Whether an NVIDIA GPU's device files are here (CUDA would then reserve its address space)."""
    try:
        return any(name.startswith("nvidia") for name in os.listdir("/dev"))
    except OSError:
        return False


def demote(user: tuple[int, int] | None) -> None:
    """Become the unprivileged ``(uid, gid)`` (under root; None: stay who we are), then become
    unreadable by every other process of that user (other submissions' children, the grader)."""
    if user:
        uid, gid = user
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    undumpable()
