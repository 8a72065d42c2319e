"""Nothing a submission starts outlives its grading: this process adopts every orphan its
children leave (PR_SET_CHILD_SUBREAPER) and kills the adopted ones when a child is closed.
"""
from __future__ import annotations

import os
import signal
import subprocess

from grader.access import sandbox_user

LIVE: set[int] = set()  # the children this process started and has not closed
_PR_SET_CHILD_SUBREAPER = 36


def kill_group(proc: subprocess.Popen) -> None:
    """Kill ``proc``'s whole process group (it was started with ``start_new_session``, so the group
    id is its pid; the seccomp filter keeps everything it starts in that group) and wait for it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def become_subreaper() -> bool:
    """Make this process the adoptive parent of every orphan its children leave (Linux), so that
    a process a student started in a new session cannot outlive grading. False elsewhere."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans() -> list[int]:
    """Kill and reap every process adopted by this one (parent is us, but not a live child we started)."""
    me, killed = os.getpid(), []
    try:
        pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return killed
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) != me or pid in LIVE or not _started_by_a_child(pid):
            continue
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
            except OSError:
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        killed.append(pid)
    return killed


def _started_by_a_child(pid: int) -> bool:
    """An adopted orphan runs as the sandbox user, or carries the marker of every child's
    environment; a process this one started itself (a test's helper) has neither."""
    user = sandbox_user()
    try:
        if user is not None and os.stat(f"/proc/{pid}").st_uid == user[0]:
            return True
        with open(f"/proc/{pid}/environ", "rb") as f:
            return b"GRADER_CHILD=1" in f.read().split(b"\0")
    except OSError:
        return False
