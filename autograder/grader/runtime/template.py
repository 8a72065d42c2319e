"""The template: imports Python, NumPy and torch once per submission, then forks each child.

Started by sandbox.Template as ``python -m grader_runtime.template`` with the children's
scrubbed environment, as the grader's user, and runs no student code. It stays
single-threaded (one BLAS/OpenMP thread: nothing to lose in a fork), so a forked child starts
with everything imported and torch warmed up, then confines itself from scratch exactly as a
freshly started child would (rlimits, user, Landlock, seccomp: child.main). Nothing of one
child reaches another: each is a fresh copy of this pristine process.

Protocol on the inherited Unix socket (GRADER_TEMPLATE_FD), one JSON object per message:
- ``{"op": "fork", "work": dir}`` with the child's three pipe ends attached (SCM_RIGHTS): a
  child in its own (fresh, empty) work folder ->
  ``{"pid": n}``, with a pidfd of the child attached where Linux has them (>= 5.3): the grader
  polls it to see the child end, without asking here;
- ``{"op": "status", "pid": n}`` -> ``{"status": code or null}`` (a negative code is a signal,
  as subprocess reports it); this process reaps its children as they end;
- ``{"op": "wait", "pid": n, "seconds": s}`` -> the same, once the child has ended or ``s``
  seconds have passed.

Everything a child would otherwise redo for itself and that depends on nothing of its own is
done here, once, before any fork: the imports of Landlock's and seccomp's helpers (pyseccomp
runs ldconfig to find libseccomp). The confinement itself is applied by each child to itself.
"""
from __future__ import annotations

import gc
import json
import os
import select
import socket
import sys
import time

import numpy  # noqa: F401 - imported once, here, for every child

from . import child  # the child's own code, imported before any fork
from . import seccomp_filter

FD_NAMES = ("GRADER_IN_FD", "GRADER_OUT_FD", "GRADER_EVENT_FD")


def warm() -> None:
    if os.environ.get("GRADER_TEMPLATE_TORCH") == "1":
        import importlib

        for name in ("torch", "torch.nn.functional", "torch.utils._python_dispatch"):
            importlib.import_module(name)
        child.warm_up_torch()
    seccomp_filter.preload()
    # what exists now is never collected in a child: its collector does not walk (and so does not
    # copy) the pages of everything imported above
    gc.collect()
    gc.freeze()


def run_child(sock: socket.socket, fds: list[int], work: str) -> None:
    """In the forked child: its own session, its pipes, the work folder, then child.main()."""
    try:
        sock.close()
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(devnull, target)
        os.close(devnull)
        for name, fd in zip(FD_NAMES, fds):
            os.environ[name] = str(fd)
        os.chdir(work)
        os.environ["HOME"] = os.environ["TMPDIR"] = work
        # its own folder is the one it may write (with /dev/null and a GPU's devices)
        os.environ["GRADER_WRITE_PATHS"] = os.pathsep.join([work, os.environ.get("GRADER_WRITE_PATHS", "")])
        child.main()
    finally:
        os._exit(0)


def _status(code: int) -> int:
    return -os.WTERMSIG(code) if os.WIFSIGNALED(code) else os.WEXITSTATUS(code)


def _reap(pid: int, ended: dict[int, int]) -> None:
    if pid not in ended:
        try:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                ended[pid] = _status(code)
        except ChildProcessError:
            pass


def _wait(pid: int, seconds: float, ended: dict[int, int]) -> None:
    """Until the child ``pid`` has ended (and is reaped) or ``seconds`` have passed."""
    _reap(pid, ended)
    if pid in ended:
        return
    try:
        pidfd = os.pidfd_open(pid)  # not yet reaped, so ``pid`` is still this child (Linux >= 5.3)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        try:
            select.select([pidfd], [], [], max(seconds, 0.0))
        finally:
            os.close(pidfd)
        _reap(pid, ended)
        return
    deadline = time.monotonic() + seconds
    while pid not in ended and time.monotonic() < deadline:
        time.sleep(0.002)
        _reap(pid, ended)


def main() -> None:
    sock = socket.socket(fileno=int(os.environ.pop("GRADER_TEMPLATE_FD")))
    warm()
    ended: dict[int, int] = {}
    sock.sendall(b'{"ready": true}\n')
    buffer = b""
    while True:
        while True:  # reap what has ended
            try:
                pid, code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            ended[pid] = _status(code)
        if not select.select([sock], [], [], 0.05)[0]:
            continue
        data, fds, _, _ = socket.recv_fds(sock, 65536, 3)
        if not data:
            return  # the grader closed the socket: grading is over
        buffer += data
        line, _, buffer = buffer.partition(b"\n")
        request = json.loads(line)
        reply_fds: list[int] = []
        if request["op"] == "fork":
            pid = os.fork()
            if pid == 0:
                run_child(sock, fds, request["work"])
            for fd in fds:
                os.close(fd)
            reply = {"pid": pid}
            try:
                reply_fds = [os.pidfd_open(pid)]  # before any reaping: it names this child
            except (AttributeError, OSError):
                pass
        else:
            pid = int(request["pid"])
            if request["op"] == "wait":
                _wait(pid, min(float(request.get("seconds") or 0), 60.0), ended)
            else:
                _reap(pid, ended)
            reply = {"status": ended.get(pid)}
        try:
            socket.send_fds(sock, [json.dumps(reply).encode() + b"\n"], reply_fds)
        finally:
            for fd in reply_fds:
                os.close(fd)


if __name__ == "__main__":
    sys.exit(main())
