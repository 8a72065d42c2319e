"""The trusted side of the process boundary: start a confined child, talk to it, survive it.

One :class:`Child` serves the checks of one question. Each request has a deadline; a child
that hangs is killed with its whole process group, one that dies is reported by signal or
exit code, and the caller starts a fresh child for the checks that remain.

Confinement of the child, strongest first where the machine allows it:
- Landlock (Linux >= 5.13): reads only the Python installation and the scratch folder,
  writes only its work folder, no TCP, no signals outside its sandbox (child.py applies it);
- under root, an unprivileged user (``nobody`` unless GRADER_SANDBOX_USER says otherwise),
  when that user can run the interpreter;
- always: its own session and process group, rlimits on address space, CPU time, file
  size and core dumps, stdin/stdout/stderr on /dev/null, a scrubbed environment.
"""
from __future__ import annotations

import errno
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.runtime import wire
from grader.runtime.loader import compile_package
from grader.access import cuda_devices, read_paths, sandbox_user
from grader.reaper import LIVE, kill_group, reap_orphans

HERE = Path(__file__).resolve().parent
RUNTIME = HERE / "runtime"  # the code that runs in the student's process, copied whole
RUNTIME_PACKAGE = "grader_runtime"  # its name inside the sandbox


def install_runtime(folder: Path) -> None:
    """Copy the runtime package into ``folder`` (read-only for the sandbox user)."""
    target = folder / RUNTIME_PACKAGE
    target.mkdir(mode=0o755)
    os.chmod(target, 0o755)
    for source in sorted(RUNTIME.glob("*.py")):
        shutil.copyfile(source, target / source.name)
        os.chmod(target / source.name, 0o644)


def runtime_command(module: str, *args: str) -> list[str]:
    """Run ``grader_runtime.<module>``; the process's cwd must be the folder it was installed in
    (``-m`` puts that folder, and nothing else of ours, first on ``sys.path``)."""
    return [sys.executable, "-E", "-s", "-B", "-m", f"{RUNTIME_PACKAGE}.{module}", *args]


@dataclass
class Limits:
    """Per-child limits; every figure appears in the feedback when it is hit."""

    call_seconds: float = 10.0
    start_seconds: float = 30.0
    memory_bytes: int = 2 << 30
    cpu_seconds: int = 120
    file_bytes: int = 64 << 20


class ChildFailure(Exception):
    """The child could not answer: ``kind`` is timeout, crash, exit, memory or protocol."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def describe_exit(returncode: int, limits: Limits) -> ChildFailure:
    if returncode < 0:
        sig = -returncode
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        if sig == signal.SIGXCPU:
            return ChildFailure("timeout", f"used more than {limits.cpu_seconds} s of CPU time (killed: {name})")
        if sig == signal.SIGXFSZ:
            return ChildFailure("crash", f"wrote a file larger than {limits.file_bytes >> 20} MiB (killed: {name})")
        return ChildFailure("crash", f"crashed: signal {sig} ({name})")
    return ChildFailure("exit", f"the process exited with code {returncode} while running your code (sys.exit or os._exit?)")


@dataclass
class Scratch:
    """A per-submission folder: runner/ (grader code the child runs), pkg/ (the package), work/
    (the template's home), and one fresh work-N/ per child (its cwd, home and only writable
    folder; removed when the child is closed)."""

    root: Path
    owner_uid: int | None = None
    _compiled: dict | None = field(default=None, repr=False, compare=False)
    _works: int = field(default=0, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def runner(self) -> Path:
        return self.root / "runner"

    @property
    def package(self) -> Path:
        return self.root / "pkg"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def prepare(self) -> None:
        for d in (self.root, self.runner, self.package, self.work):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o755)
        install_runtime(self.runner)  # public code only: the stand-ins travel over the pipe
        if self.owner_uid is not None:
            os.chown(self.work, self.owner_uid, -1)

    def compiled_package(self) -> dict:
        """The staged package's modules compiled once for all the children (loader.compile_package:
        compiling runs none of the code); called after staging."""
        if self._compiled is None:
            self._compiled = compile_package(str(self.package))
        return self._compiled

    def new_work(self) -> Path:
        """A fresh, empty work folder for one child: no file of one child (or question) reaches another."""
        with self._lock:
            self._works += 1
            folder = self.root / f"work-{self._works}"
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)
        if self.owner_uid is not None:
            os.chown(folder, self.owner_uid, -1)
        return folder


def sandbox_environment(work: Path) -> dict:
    """The scrubbed environment every process that runs student code starts with (a package
    child, a notebook's cells): nothing of the grader's own, ``work`` as home and temp folder."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(work),
        "TMPDIR": str(work),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",  # also keeps the template single-threaded, so forking it is safe
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def child_environment(scratch: Scratch, limits: Limits) -> dict:
    """The whole environment of the template and its children."""
    user = sandbox_user()
    return {
        **sandbox_environment(scratch.work),
        "GRADER_CHILD": "1",  # marks their orphans for reap_orphans
        "GRADER_READ_PATHS": os.pathsep.join(read_paths() + [str(scratch.runner), str(scratch.package)]),
        "GRADER_WRITE_PATHS": os.pathsep.join(["/dev/null"] + cuda_devices()),  # and each child's own work folder
        # applied by each child to itself before it reads any student file; with a GPU the memory
        # limit is on data, not address space (CUDA reserves far more than it uses)
        "GRADER_RLIMITS": f"{limits.memory_bytes},{limits.cpu_seconds},{limits.file_bytes},{int(bool(cuda_devices()))}",
        "GRADER_DEMOTE": f"{user[0]}:{user[1]}" if user else "",
        "GRADER_NO_LANDLOCK": os.environ.get("GRADER_NO_LANDLOCK", ""),  # landlock.py reads it in the child
    }


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
        env = dict(child_environment(self.scratch, self.limits), GRADER_TEMPLATE_FD=str(theirs.fileno()))
        env.update(GRADER_TEMPLATE_TORCH="1") if self.role == "package" else env.update(GRADER_TEMPLATE_ROLE="notebook")
        try:
            self.proc = subprocess.Popen(runtime_command("template"),
                                         cwd=self.scratch.runner, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), start_new_session=True)
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
                self._read(max(self.limits.start_seconds, 60.0))
                self._ready = True

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _read(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise ChildFailure("crash", "the grader's template process did not answer")
            chunk, fds, _, _ = socket.recv_fds(self.sock, 65536, 1)
            self._fds += fds
            if not chunk:
                raise ChildFailure("crash", "the grader's template process stopped")
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
                raise ChildFailure("crash", "the grader's template process stopped") from None
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
            raise ChildFailure("crash", f"the grader's template process did not {op}") from None

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


class Child:
    """A confined Python process running child.py for one question (forked by the template)."""

    def __init__(self, scratch: Scratch, limits: Limits, template: Template):
        self.scratch = scratch
        self.limits = limits
        self.template = template
        self.work: Path | None = None  # its own folder, made at start, removed at close
        self.proc: ForkedProcess | None = None
        self.reader = wire.MessageReader()
        self._event_tail = b""
        self.leftover_events: list[tuple[str, str]] = []  # read while closing
        self.landlock_abi = 0
        self.seccomp = False

    # -- lifecycle
    def start(self, timeout: float | None = None) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        events_r, events_w = os.pipe()
        self.work = self.scratch.new_work()
        try:
            self.proc = ForkedProcess(self.template, *self.template.fork((to_child_r, from_child_w, events_w), work=str(self.work)))
        except BaseException:
            for fd in (to_child_w, from_child_r, events_r):
                os.close(fd)
            raise
        finally:
            for fd in (to_child_r, from_child_w, events_w):
                os.close(fd)
        LIVE.add(self.proc.pid)
        self.to_child, self.from_child, self.events_fd = to_child_w, from_child_r, events_r
        os.set_blocking(self.from_child, False)
        os.set_blocking(self.events_fd, False)
        os.set_blocking(self.to_child, False)
        ready = self._receive(self.limits.start_seconds if timeout is None else timeout, "starting Python")
        self.landlock_abi = int(ready.get("landlock", 0) or 0)
        self.seccomp = ready.get("seccomp") is True

    def close(self) -> None:
        if self.work is not None and self.proc is None:  # the fork itself failed
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None
        if self.proc is None:
            return
        kill_group(self.proc)
        events, _ = self.read_events()  # what it wrote before it ended still counts
        self.leftover_events += events
        LIVE.discard(self.proc.pid)
        self.proc.release()
        reap_orphans()  # anything it started that left its process group
        for fd in (self.to_child, self.from_child, self.events_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc = None
        shutil.rmtree(self.work, ignore_errors=True)  # what it wrote goes with it
        self.work = None

    def read_events(self) -> tuple[list[tuple[str, str]], bool]:
        """The typed events written since the last read, and whether the pipe was closed under
        a living child (only student code closes it)."""
        data, closed = bytearray(), False
        while len(data) < (1 << 20):
            try:
                chunk = os.read(self.events_fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = self.alive
                break
            data.extend(chunk)
        self._event_tail += bytes(data)
        lines = self._event_tail.split(b"\n")
        self._event_tail = lines.pop()
        events = []
        for line in lines[:1000]:
            kind, _, detail = line.decode("ascii", "replace").partition(" ")
            events.append((kind, detail))
        return events, closed

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- requests
    def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send one request and return the child's reply; raise ChildFailure (and close) otherwise."""
        timeout = self.limits.call_seconds if timeout is None else timeout
        deadline = time.monotonic() + timeout
        view = memoryview(wire.frame(message))
        try:
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([], [self.to_child], [], remaining)[1]:
                    raise self._fail(ChildFailure("timeout", f"timed out after {timeout:g} s"))
                try:
                    written = os.write(self.to_child, view)
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    raise self._died() from None
                view = view[written:]
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise self._died() from None
            raise
        return self._receive(timeout, None, deadline)

    def _receive(self, timeout: float, what: str | None, deadline: float | None = None) -> dict:
        deadline = deadline or time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                label = f" while {what}" if what else ""
                raise self._fail(ChildFailure("timeout", f"timed out after {timeout:g} s{label}"))
            ready = select.select([self.from_child], [], [], min(remaining, 0.5))[0]
            if not ready:
                if not self.alive:
                    raise self._died()
                continue
            try:
                chunk = os.read(self.from_child, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise self._died()
            try:
                messages = self.reader.feed(chunk)
            except Exception as exc:  # noqa: BLE001 - anything unreadable ends the child, never the grader
                raise self._fail(ChildFailure("protocol", f"the grader's channel received garbage ({str(exc)[:100]})")) from None
            if messages:
                if len(messages) > 1 or self.reader.buffer:
                    raise self._fail(ChildFailure("protocol", "the grader's channel received unexpected data"))
                return messages[0]

    def _died(self) -> ChildFailure:
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
        failure = describe_exit(code, self.limits) if code is not None else ChildFailure("crash", "stopped answering")
        return self._fail(failure)

    def _fail(self, failure: ChildFailure) -> ChildFailure:
        self.close()
        return failure
