"""The child's watch on the code it runs: typed events on a write-only pipe, and an audit hook.

Runs inside the child (part of the runtime package). Observations that only the student's process
can make are written, as they happen, to a pipe that only the parent reads: nothing written
there can be taken back, so clearing a list or overwriting a counter afterwards changes
nothing, and closing the pipe or writing garbage on it is itself seen by the parent.

The audit hook (PEP 578: once added it cannot be removed) refuses, and reports, what student
code has no business doing while it is graded: reaching frames or the garbage collector (the
routes to the grader's state), ctypes, installing trace or profile functions (the method
measure), starting processes, signalling, sockets. Whose code asked is decided by provenance
(provenance.py), never by a file name: code the student compiled at run time under a library's
name is the student's, and so is every request from a thread that student code started.
"""
from __future__ import annotations

import os
import sys
import types

from .provenance import RUN_OBSERVED

FROM_STUDENT_CODE = {
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._getframe", "sys._current_frames",
    "sys.settrace", "sys.setprofile", "object.__setattr__",
}
"""Refused when the code that asked is in the student's files (libraries may use them)."""
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
WITH_STUDENT_ON_STACK = {
    "subprocess.Popen", "os.fork", "os.forkpty", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.kill",
    "os.killpg", "signal.pthread_kill", "socket.__new__", "socket.socketpair", "socket.connect", "socket.bind",
    "socket.sendto", "pty.spawn", "ctypes.dlopen", "ctypes.dlsym",
}
"""Refused when any frame on the stack is the student's (the call may come through the stdlib)."""
PASS_THROUGH = {"inspect.py", "traceback.py"}
"""Standard modules that hand frames to their caller."""
EVENTS = sorted(FROM_STUDENT_CODE | WITH_STUDENT_ON_STACK | {"object.__getattr__", "module_state", "line_counter"})


RUNTIME_PACKAGE = __package__ or ""  # grader_runtime in the sandbox (grader.runtime where the parent imports it)


def is_runtime_module(name: str) -> bool:
    """The child's own modules: the runtime package's, the template (``__main__``) and the stand-ins
    module the child makes. Their classes and globals are the grader's state."""
    return name in ("__main__", "grader_standins") or name.startswith(RUNTIME_PACKAGE + ".")


def _write_event(fd: int, kind: str, detail, _write=os.write) -> None:
    try:
        _write(fd, f"{kind} {detail}\n".encode()[:200])
    except OSError:
        pass  # a closed pipe is noticed by the parent


class EventPipe:
    """Typed events, one line each, written at once to the parent: ``kind detail``.

    ``emit`` is a method bound to the file descriptor itself (an int): whoever gets hold of it
    (through a trace function) finds nothing to redirect or rebind."""

    def __init__(self, fd: int):
        self.emit = types.MethodType(_write_event, fd)


class Watch:
    """Installs the audit hook; ``is_student(code)`` (provenance.student_code_test) says whose code a frame runs."""

    def __init__(self, events: EventPipe, is_student, install_paths: tuple[str, ...]):
        self._emit = events.emit  # bound now: rebinding EventPipe.emit later cannot silence the reports
        self._student = is_student
        self._install_paths = tuple(p.rstrip(os.sep) + os.sep for p in install_paths if p)
        self._busy = False
        self._snapshot = self._module_state()
        import sysconfig

        self._stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"]) + os.sep

    def install(self) -> None:
        sys.addaudithook(self._hook)

    @staticmethod
    def _module_state() -> dict:
        """Identity of every global of the child's own modules, and of every attribute of the classes
        they define (a rebinding shows as a new id). Setting a class attribute raises no audit
        event, so ``EventPipe.emit = ...`` is found here, after the call that did it."""
        state = {}
        for name, module in list(sys.modules.items()):
            if is_runtime_module(name):
                for attr, value in list(vars(module).items()):
                    state[(name, attr)] = id(value)
                    if isinstance(value, type) and value.__module__ == name:
                        for class_attr, member in list(vars(value).items()):
                            state[(name, f"{attr}.{class_attr}")] = id(member)
        return state

    def check_state(self) -> None:
        """After each call: the child's own globals are as they were before any student code ran."""
        now = self._module_state()
        if any(now.get(k) != v for k, v in self._snapshot.items()):
            self._emit("tamper", "module_state")
            self._snapshot = now  # reported once

    def _exempt(self, event, args) -> bool:
        """What a student frame may still do: read frame attributes other than the frame links,
        set attributes on its own classes, load libraries of the Python installation (torch)."""
        if event == "object.__getattr__":
            return len(args) < 2 or args[1] not in FRAME_ATTRIBUTES
        if event == "object.__setattr__":  # the runtime's classes and functions (a trace function's __code__)
            owner = args[0] if args else None
            kinds = (type, types.FunctionType)
            module = str(getattr(owner, "__module__", "")) if isinstance(owner, kinds) else ""
            return not (is_runtime_module(module) or module.startswith("torch"))
        if event == "ctypes.dlopen":  # None: the interpreter itself (ctypes.pythonapi)
            return args[0] is None or isinstance(args[0], str) and os.path.realpath(args[0]).startswith(self._install_paths)
        if event == "ctypes.dlsym":  # torch asks for PyCapsule_*; never the interpreter's tracing or threads
            library, symbol = getattr(args[0], "_name", None), args[1] if len(args) > 1 else None
            if isinstance(symbol, str) and symbol.startswith(("Py", "_Py")):
                return symbol.startswith("PyCapsule_")
            return isinstance(library, str) and os.path.realpath(library).startswith(self._install_paths)
        return False

    def _hook(self, event, args):
        if self._busy or (event not in FROM_STUDENT_CODE and event not in WITH_STUDENT_ON_STACK
                          and event != "object.__getattr__"):
            return
        try:
            if not event.startswith("ctypes.") and self._exempt(event, args):
                return
        except Exception:  # noqa: BLE001 - an odd object (a pybind11 type) is nothing the student asked for
            return
        self._busy = True  # sys._getframe below raises an audit event of its own
        try:
            try:
                frame = sys._getframe(1)
            except ValueError:  # raised from C with no Python frame above: nobody's code asked
                return
            if event in ("sys._getframe", "sys._current_frames") and os.path.basename(frame.f_code.co_filename) in PASS_THROUGH \
                    and not self._student(frame.f_code):
                frame = frame.f_back or frame  # inspect.currentframe(), traceback.walk_stack(): whoever called them
            guilty = self._student(frame.f_code)
            on_stack = False
            if not guilty and event not in WITH_STUDENT_ON_STACK:
                guilty = self._thread_target(frame)
            if not guilty and event in WITH_STUDENT_ON_STACK:
                # whose doing: the first frame outside the standard library decides; a library the
                # student imported (matplotlib asking fc-list for fonts) is refused, not reported.
                # A thread that student code started counts as student code at its bottom.
                first = True
                while frame is not None and not on_stack:
                    if frame.f_code is RUN_OBSERVED:  # the bottom of a thread: did student code start it?
                        if frame.f_locals.get("by_student") is True:
                            on_stack, guilty = True, first
                    elif self._student(frame.f_code):
                        on_stack, guilty = True, first
                    elif not self._standard(frame.f_code):
                        first = False
                    frame = frame.f_back
            # ctypes asked for by the student's own code (not a library on its behalf) is refused outright
            if event.startswith("ctypes.") and not guilty and self._exempt(event, args):
                return
        except Exception:  # noqa: BLE001 - an odd object (a pybind11 type) is nothing the student asked for
            return
        finally:
            self._busy = False
        if guilty:
            self._emit("tamper", event if event != "object.__getattr__" else args[1])
            raise PermissionError(f"{event} is not available to code being graded (reported to the instructor)")
        if on_stack:
            raise PermissionError(f"{event} is not available to code being graded")

    def _thread_target(self, frame) -> bool:
        """A request made, through the standard library alone, by a thread that student code
        started (``Thread(target=gc.get_objects)``, ``pool.submit(sys._getframe)``)."""
        if frame.f_code is RUN_OBSERVED:
            return False  # the runtime's own request (installing the thread's trace function)
        while frame is not None and frame.f_code is not RUN_OBSERVED and self._standard(frame.f_code):
            frame = frame.f_back
        return frame is not None and frame.f_code is RUN_OBSERVED and frame.f_locals.get("by_student") is True

    def _standard(self, code) -> bool:
        """The standard library (and the frozen import machinery): code that only relays a request."""
        filename = code.co_filename
        return (filename.startswith("<frozen") or filename.startswith(self._stdlib)) and not self._student(code)
