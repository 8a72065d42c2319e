"""The templates: processes that import NumPy and torch once and fork every process that runs
student code (their code is runtime/template.py; this is the grader's side of them)."""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import threading
import time

from grader.reaper import LIVE, kill_group, reap_orphans
from grader.sandbox import ChildFailure, GraderFailure, Limits, Scratch, child_environment, runtime_command


class Template:
    """A process that has imported once and forks each process that runs student code (template.py).

    ``role`` "package": imports NumPy and torch, forks each question's child; one per submission.
    ``role`` "notebook": forks each run of a notebook's cells; :meth:`spawn_notebook` makes one
    from a package template (torch already imported, then matplotlib and Otter), started on its
    own it preloads nothing. A template runs no student code and holds none of the grader's
    secrets (it has the children's environment). A forked process is a fresh copy of it, so
    nothing passes between them, and each confines itself from scratch. Questions graded side
    by side (engine's lanes) share one: one request and its answer at a time.
    """

    def __init__(self, scratch: Scratch, limits: Limits, role: str = "package"):
        if role not in ("package", "notebook"):
            raise ValueError(f"role must be 'package' or 'notebook', not {role!r}")
        self.scratch, self.limits, self.role = scratch, limits, role
        self.proc: subprocess.Popen | ForkedProcess | None = None
        self.env: dict = {}  # the environment it was launched with (child_environment)
        self.sock: socket.socket | None = None
        self._buffer = b""
        self._ready = False
        self._fds: list[int] = []  # file descriptors that came with the last answer
        self._lock = threading.RLock()

    def launch(self) -> None:
        """Start the process and return at once: it imports NumPy and torch while the grader
        stages the submission and imports its own (the first fork waits for it to be ready)."""
        if self.proc is not None:
            return
        ours, theirs = socket.socketpair()
        self.env = child_environment(self.scratch, self.limits)
        env = dict(self.env, GRADER_TEMPLATE_FD=str(theirs.fileno()))
        env.update(GRADER_TEMPLATE_TORCH="1") if self.role == "package" else env.update(GRADER_TEMPLATE_ROLE="notebook")
        try:
            self.proc = subprocess.Popen(runtime_command("template"),
                                         cwd=self.scratch.runner, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), start_new_session=True)
        except OSError as exc:
            ours.close()
            raise GraderFailure(f"the grader could not start its template process: {exc}") from None
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        LIVE.add(self.proc.pid)  # never an orphan to reap
        self.sock = ours
        self._ready = False

    def start(self) -> None:
        """Launch the process if it is not running, and wait until it has imported everything."""
        with self._lock:
            self.launch()
            if not self._ready:
                answer = self._read(max(self.limits.start_seconds, 60.0))
                if answer.get("ready") is not True:
                    raise GraderFailure(f"the grader's template process could not start: {str(answer.get('fatal'))[:300]}")
                self._ready = True

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _read(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise GraderFailure(f"the grader's template process did not answer within {timeout:g} s")
            chunk, fds, _, _ = socket.recv_fds(self.sock, 65536, 1)
            self._fds += fds
            if not chunk:
                raise GraderFailure("the grader's template process stopped")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _ask(self, request: dict, fds=(), timeout: float = 30.0) -> tuple[dict, list[int]]:
        """Send ``request`` (with ``fds`` attached); its answer and the descriptors that came with it."""
        with self._lock:
            if not self.alive:
                self.close()
            self.start()
            self._drop_fds()
            try:
                socket.send_fds(self.sock, [json.dumps(request).encode() + b"\n"], list(fds))
            except OSError:
                raise GraderFailure("the grader's template process stopped") from None
            try:
                answer = self._read(timeout)
            except BaseException:
                self._drop_fds()
                raise
            received, self._fds = self._fds, []
            return answer, received

    def _drop_fds(self) -> None:
        while self._fds:
            os.close(self._fds.pop())

    def fork(self, fds: tuple[int, ...], op: str = "fork", **request: str) -> tuple[int, int | None]:
        """Fork a process with these descriptors attached: a package child (``work``: its folder,
        three pipe ends), a notebook run (``job``: its job file, the report pipe) or, with
        ``op="spawn"``, a notebook template (one end of its socket). Its pid, and a pidfd for it
        (readable once it has ended) where the template could open one, so that the grader sees
        it end without asking."""
        answer, received = self._ask({"op": op, **request}, fds)
        pidfd = received.pop() if len(received) == 1 else None
        for fd in received:
            os.close(fd)
        try:
            return int(answer["pid"]), pidfd
        except (KeyError, TypeError, ValueError):
            if pidfd is not None:
                os.close(pidfd)
            raise GraderFailure(f"the grader's template process did not {op}") from None

    def spawn_notebook(self) -> Template:
        """A notebook template forked from this package template, in its own session: it has
        NumPy and torch already and imports matplotlib and Otter while questions are graded.
        Registered as live, so it outlives this template's close (the notebook is graded after)."""
        ours, theirs = socket.socketpair()
        try:
            pid, pidfd = self.fork((theirs.fileno(),), op="spawn")
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        spawned = Template(self.scratch, self.limits, role="notebook")
        spawned.proc, spawned.sock = ForkedProcess(self, pid, pidfd), ours
        LIVE.add(pid)  # reparented to this process if the package template ends first: not an orphan to kill
        return spawned

    def status(self, pid: int):
        if not self.alive:
            return -signal.SIGKILL  # with the template gone its children are gone too (killed below)
        return self._ask({"op": "status", "pid": pid})[0].get("status")

    def wait(self, pid: int, seconds: float):
        """The child's exit status once it has ended, or None if it still runs after ``seconds``."""
        if not self.alive:
            return -signal.SIGKILL
        return self._ask({"op": "wait", "pid": pid, "seconds": seconds}, timeout=seconds + 30.0)[0].get("status")

    def close(self) -> None:
        with self._lock:
            if self.sock is not None:
                self.sock.close()
                self.sock = None
            if self.proc is not None:
                kill_group(self.proc)
                LIVE.discard(self.proc.pid)
                if isinstance(self.proc, ForkedProcess):
                    self.proc.release()
                self.proc = None
                self._ready = False
                self._buffer = b""
                self._drop_fds()
                reap_orphans()  # children it had left, now ours


class ForkedProcess:
    """A child forked by the template, with the part of Popen's interface Child uses."""

    def __init__(self, template: Template, pid: int, pidfd: int | None = None):
        self.template, self.pid, self.returncode = template, pid, None
        self.pidfd = pidfd

    def _ended(self, timeout: float | None = 0.0) -> bool:
        """Whether the child has ended, from its pidfd (waiting up to ``timeout``; None: until it has)."""
        return bool(select.select([self.pidfd], [], [], timeout)[0])

    def poll(self):
        if self.returncode is None:
            if self.pidfd is not None and not self._ended():
                return None  # still running: no need to ask the template
            try:
                self.returncode = self.template.status(self.pid)
            except ChildFailure:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None):
        """Wait for the child to end (the template waits on it and answers as soon as it has)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.pidfd is not None and self.returncode is None:
            if not self._ended(timeout):
                raise subprocess.TimeoutExpired("child", timeout)
            self.poll()
        while self.returncode is None:
            step = 1.0 if deadline is None else min(1.0, max(deadline - time.monotonic(), 0.0))
            try:
                self.returncode = self.template.wait(self.pid, step)
            except ChildFailure:
                self.returncode = -signal.SIGKILL
            if self.returncode is None and deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired("child", timeout)
        return self.returncode

    def release(self) -> None:
        """Close the pidfd (once the child has been waited for)."""
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
