"""The templates: processes that import once, then fork every process that runs student code.

Started by template_process.Template as ``python -m grader_runtime.template`` with the children's
scrubbed environment, as the grader's user; a template runs no student code. It stays
single-threaded (one BLAS/OpenMP thread: nothing to lose in a fork), so a forked process starts
with everything imported, then confines itself from scratch exactly as a freshly started one
would (rlimits, user, Landlock, seccomp). Nothing of one forked process reaches another: each
is a fresh copy of this pristine one.

Two roles, one protocol:

- the package template (the default; GRADER_TEMPLATE_TORCH=1 imports torch and warms it up)
  forks each question's child (child.main);
- a notebook template forks each run of a notebook's cells (notebook_runner.run). The engine
  gets one by asking the package template to ``spawn`` it: a fork of it, torch already
  imported, that then imports what a notebook's first cells import (matplotlib, Otter) on the
  other core while the package's questions are graded. ``grade_notebook`` on its own starts one
  with GRADER_TEMPLATE_ROLE=notebook, which preloads nothing.

Protocol on the inherited Unix socket (GRADER_TEMPLATE_FD), one JSON object per message:
- ``{"op": "fork", "work": dir}`` (package) with the child's three pipe ends attached
  (SCM_RIGHTS): a child in its own (fresh, empty) work folder; ``{"op": "fork", "job": path}``
  (notebook) with the report pipe's write end attached: a run of the job file notebook_process
  wrote -> ``{"pid": n}``, with a pidfd of the child attached where Linux has them (>= 5.3): the
  grader polls it to see the child end, without asking here;
- ``{"op": "spawn"}`` (package) with one end of a new socket attached -> ``{"pid": n}`` and its
  pidfd: a notebook template in its own session, speaking this protocol on that socket (its
  first message is ``{"ready": true}``, once its imports are done);
- ``{"op": "status", "pid": n}`` -> ``{"status": code or null}`` (a negative code is a signal,
  as subprocess reports it); a template reaps its children as they end;
- ``{"op": "wait", "pid": n, "seconds": s}`` -> the same, once the child has ended or ``s``
  seconds have passed.

Everything a forked process would otherwise redo for itself and that depends on nothing of its
own is done in the template, once, before any fork: the imports of Landlock's and seccomp's
helpers (pyseccomp runs ldconfig to find libseccomp). The confinement itself is applied by each
forked process to itself.
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
from . import limits, notebook_runner, seccomp_filter

FD_NAMES = ("GRADER_IN_FD", "GRADER_OUT_FD", "GRADER_EVENT_FD")
RUNTIME_FAILED = 70  # EX_SOFTWARE: a forked process's own code failed (never 0: that hid the cause)


TEMPLATE_OOM_SCORE = 500  # killed for memory after its children (1000), before the grader
RESERVED: list = []  # address space held by reserve_like_cuda, for the template's lifetime


def reserve_like_cuda() -> None:
    """``GRADER_TEMPLATE_RESERVE=BYTES``: map that much inaccessible address space before forking,
    as CUDA builds of torch do at import (about 3 GB): the field tests' stand-in for such a build,
    on a machine that has the CPU build. Counts in the address space, never in memory used."""
    size = int(os.environ.get("GRADER_TEMPLATE_RESERVE") or 0)
    if size > 0:
        import mmap

        RESERVED.append(mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                                  prot=0))  # PROT_NONE


NOTEBOOK_PRELOADS = ("matplotlib.pyplot", "otter")
"""What a notebook's first cells import, besides NumPy and torch (a spawned notebook template has those)."""


def warm() -> None:
    if os.environ.get("GRADER_TEMPLATE_TORCH") == "1":
        import importlib

        for name in ("torch", "torch.nn.functional", "torch.utils._python_dispatch"):
            importlib.import_module(name)
        child.warm_up_torch()
    seccomp_filter.preload()
    freeze()


def warm_notebook() -> None:
    """A spawned notebook template's imports (matplotlib's cache in its own home)."""
    import importlib

    os.environ["MPLCONFIGDIR"] = os.path.join(os.environ.get("HOME") or "/tmp", ".matplotlib-template")
    for name in NOTEBOOK_PRELOADS:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - not installed or broken: the notebook imports it itself, and fails there
            pass
    freeze()


def freeze() -> None:
    # what exists now is never collected in a forked process: its collector does not walk (and
    # so does not copy) the pages of everything imported above
    gc.collect()
    gc.freeze()


def _detach(sock: socket.socket) -> None:
    """In a forked process: drop the template's socket, take a session of its own, stdio on /dev/null."""
    sock.close()
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.close(devnull)


def run_child(sock: socket.socket, fds: list[int], request: dict) -> None:
    """In the forked package child: its pipes, its work folder, then child.main(). An exception
    that reaches here is the runtime's own (child.main answers for student code): exit code 70."""
    code = RUNTIME_FAILED
    try:
        _detach(sock)
        work = request["work"]
        for name, fd in zip(FD_NAMES, fds):
            os.environ[name] = str(fd)
        os.chdir(work)
        os.environ["HOME"] = os.environ["TMPDIR"] = work
        # its own folder is the one it may write (with /dev/null and a GPU's devices)
        os.environ["GRADER_WRITE_PATHS"] = os.pathsep.join([work, os.environ.get("GRADER_WRITE_PATHS", "")])
        child.main()
        code = 0
    finally:
        os._exit(code)


def run_notebook(sock: socket.socket, fds: list[int], request: dict) -> None:
    """In the forked notebook run: the job's environment (exactly, nothing of the template's),
    then notebook_runner.run, which confines itself before the first cell."""
    try:
        template = os.getppid()
        _detach(sock)
        with open(request["job"], encoding="utf-8") as f:
            job = json.load(f)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in job["env"].items()})
        notebook_runner.run(job, fds[0], template)
    finally:
        os._exit(0)


def become_notebook_template(sock: socket.socket, fds: list[int], request: dict) -> None:
    """In the spawned process: a notebook template on the socket that came with the request."""
    try:
        _detach(sock)
        own = socket.socket(fileno=fds[0])
        warm_notebook()
        own.sendall(b'{"ready": true}\n')
        serve(own, run_notebook)
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


def serve(sock: socket.socket, start) -> None:
    """Answer requests until the grader closes the socket; ``start(sock, fds, request)`` runs in
    each forked process and never returns."""
    ended: dict[int, int] = {}
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
        if request["op"] in ("fork", "spawn"):
            pid = os.fork()
            if pid == 0:
                (start if request["op"] == "fork" else become_notebook_template)(sock, fds, request)
            ended.pop(pid, None)  # an earlier child's status under the same (reused) pid is not this one's
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


def main() -> None:
    sock = socket.socket(fileno=int(os.environ.pop("GRADER_TEMPLATE_FD")))
    limits.prefer_oom_kill(TEMPLATE_OOM_SCORE)
    limits.undumpable()  # nothing of its user's (a child of another submission) reads its memory
    notebook = os.environ.pop("GRADER_TEMPLATE_ROLE", "") == "notebook"
    try:
        if notebook:
            seccomp_filter.preload()
            freeze()
        else:
            warm()
        reserve_like_cuda()
    except BaseException as exc:  # a broken environment (torch that cannot import): say why, for the grader to report
        sock.sendall(json.dumps({"ready": False, "fatal": f"{type(exc).__name__}: {exc}"[:500]}).encode() + b"\n")
        raise
    sock.sendall(b'{"ready": true}\n')
    serve(sock, run_notebook if notebook else run_child)


if __name__ == "__main__":
    sys.exit(main())
