"""The child's watch on the code it runs: typed events on a write-only pipe, and an audit hook.

Runs inside the child (copied beside child.py). Observations that only the student's process
can make are written, as they happen, to a pipe that only the parent reads: nothing written
there can be taken back, so clearing a list or overwriting a counter afterwards changes
nothing, and closing the pipe or writing garbage on it is itself seen by the parent.

The audit hook (PEP 578: once added it cannot be removed) refuses, and reports, what code in
the student's own files has no business doing while it is graded: reaching frames or the
garbage collector (the routes to the grader's state), ctypes, installing trace or profile
functions (the method measure), starting processes, signalling, sockets.
"""
from __future__ import annotations

import os
import sys

FROM_STUDENT_CODE = {
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._getframe", "sys._current_frames",
    "sys.settrace", "sys.setprofile", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.addressof",
    "ctypes.string_at", "ctypes.wstring_at",
}
"""Refused when the code that asked is in the student's files (libraries may use them)."""
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
WITH_STUDENT_ON_STACK = {
    "subprocess.Popen", "os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.kill",
    "os.killpg", "signal.pthread_kill", "socket.__new__", "socket.socketpair", "socket.connect", "socket.bind",
    "socket.sendto", "pty.spawn",
}
"""Refused when any frame on the stack is the student's (the call may come through the stdlib)."""
PASS_THROUGH = {"inspect.py", "traceback.py"}
"""Standard modules that hand frames to their caller."""
EVENTS = sorted(FROM_STUDENT_CODE | WITH_STUDENT_ON_STACK | {"object.__getattr__"})


class EventPipe:
    """Typed events, one line each, written at once to the parent: ``kind detail``."""

    def __init__(self, fd: int):
        self._fd = fd

    def emit(self, kind: str, detail) -> None:
        try:
            os.write(self._fd, f"{kind} {detail}\n".encode()[:200])
        except OSError:
            pass  # a closed pipe is noticed by the parent


class Watch:
    """Installs the audit hook; ``student_file(path)`` says whose code a frame runs."""

    def __init__(self, events: EventPipe, student_file):
        self._events = events
        self._student_file = student_file
        self._busy = False

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _hook(self, event, args):
        if self._busy or (event not in FROM_STUDENT_CODE and event not in WITH_STUDENT_ON_STACK
                          and event != "object.__getattr__"):
            return
        if event == "object.__getattr__" and (len(args) < 2 or args[1] not in FRAME_ATTRIBUTES):
            return
        self._busy = True  # sys._getframe below raises an audit event of its own
        try:
            frame = sys._getframe(1)
            if event in ("sys._getframe", "sys._current_frames") and os.path.basename(frame.f_code.co_filename) in PASS_THROUGH:
                frame = frame.f_back or frame  # inspect.currentframe(), traceback.walk_stack(): whoever called them
            guilty = self._student_file(frame.f_code.co_filename)
            if not guilty and event in WITH_STUDENT_ON_STACK:
                while frame is not None and not guilty:
                    guilty = self._student_file(frame.f_code.co_filename)
                    frame = frame.f_back
        finally:
            self._busy = False
        if guilty:
            self._events.emit("tamper", event if event != "object.__getattr__" else args[1])
            raise PermissionError(f"{event} is not available to code being graded (reported to the instructor)")
