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
import pwd
import select
import shutil
import signal
import site
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from grader import wire

HERE = Path(__file__).resolve().parent
RUNNER_FILES = ("child.py", "loader.py", "guard.py", "rules.py", "wire.py", "landlock.py", "seccomp_filter.py")


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
    """A per-submission folder: runner/ (grader code the child runs), pkg/ (the package), work/ (cwd)."""

    root: Path
    owner_uid: int | None = None

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
        for name in RUNNER_FILES:  # public code only: the stand-ins travel over the pipe
            shutil.copyfile(HERE / name, self.runner / name)
        if self.owner_uid is not None:
            os.chown(self.work, self.owner_uid, -1)

    def reset_work(self) -> None:
        """Empty work/ between children, so one question's files cannot reach the next."""
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()
        os.chmod(self.work, 0o755)
        if self.owner_uid is not None:
            os.chown(self.work, self.owner_uid, -1)


SYSTEM_READ_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc", "/proc", "/sys/devices/system/cpu",
                     "/dev/urandom", "/dev/zero")
_CHILD_SYS_PATH: list[str] | None = None


def read_paths() -> list[str]:
    """What a child may read under Landlock, as real paths.

    - every entry of ``sys.path`` as the child's interpreter sees it (run with the child's own
      flags, ``-E -s``): the stdlib, lib-dynload, site-packages wherever they live and every
      folder a ``.pth`` file adds;
    - the interpreter's prefixes and the folder of the real executable;
    - the system folders shared libraries and torch read (/usr, /lib, /etc, /proc, ...).

    Dropped from all of these: the grader's own folder, anything inside it and anything that
    holds it (so never the repository's autograder/ nor a student release's root, whose grader/
    sits next to the student's files), the filesystem root, and any folder holding the user's
    home. The package and runner folders are added by the caller.
    """
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths().get(key, ""))
    paths.update(_child_sys_path())
    paths.update(SYSTEM_READ_PATHS)
    real = {os.path.realpath(p) for p in paths if p and os.path.isabs(p) and os.path.exists(p)}
    return sorted(p for p in real if not _inside_grader(p) and not _holds_home(p))


def _child_sys_path() -> list[str]:
    """``sys.path`` of ``sys.executable -E -s`` (probed once); the parent's own, less its additions, if that fails."""
    global _CHILD_SYS_PATH
    if _CHILD_SYS_PATH is None:
        try:
            probe = subprocess.run([sys.executable, "-E", "-s", "-c", "import json, sys; print(json.dumps(sys.path))"],
                                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, cwd="/")
            _CHILD_SYS_PATH = [p for p in json.loads(probe.stdout) if p] if probe.returncode == 0 else None
        except (OSError, subprocess.SubprocessError, ValueError):
            _CHILD_SYS_PATH = None
        if _CHILD_SYS_PATH is None:
            added = set(os.environ.get("PYTHONPATH", "").split(os.pathsep)) | {site.getusersitepackages()}
            _CHILD_SYS_PATH = [p for p in sys.path if p and p not in added]
    return list(_CHILD_SYS_PATH)


def _inside_grader(path: str) -> bool:
    """True for the grader's folder (it holds the hidden checks), anything inside it, and anything holding it."""
    return _related(os.path.realpath(path), os.path.realpath(HERE))


def _holds_home(path: str) -> bool:
    """True for ``/`` and for any folder that holds (or is) the user's home folder."""
    real = os.path.realpath(path)
    if real == os.path.realpath(os.sep):
        return True
    homes = {os.path.expanduser("~")}
    try:
        homes.add(pwd.getpwuid(os.geteuid()).pw_dir)
    except KeyError:
        pass
    return any(h and h != os.sep and _contains(real, os.path.realpath(h)) for h in homes)


def _contains(outer: str, inner: str) -> bool:
    """``inner`` is ``outer`` or lies under it (both real paths)."""
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def _related(a: str, b: str) -> bool:
    return _contains(a, b) or _contains(b, a)


class SandboxUnavailable(RuntimeError):
    """Running as root, and no unprivileged user can run this interpreter: student code would run as root."""


_SANDBOX_USER: tuple[int, int] | None | bool = False  # False: not probed yet


def sandbox_user() -> tuple[int, int] | None:
    """``(uid, gid)`` to run children as; None when the grader is not root (children run as the
    grader's own unprivileged user). Under root it never returns None: student code must not run
    as root, so a missing or unusable user raises SandboxUnavailable with what to do."""
    global _SANDBOX_USER
    if _SANDBOX_USER is not False:
        return _SANDBOX_USER
    if os.geteuid() != 0:
        _SANDBOX_USER = None
        return None
    name = os.environ.get("GRADER_SANDBOX_USER") or "nobody"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SandboxUnavailable(f"the grader runs as root and the sandbox user {name!r} does not exist; create it "
                                 "(useradd --system --no-create-home NAME) or set GRADER_SANDBOX_USER") from None
    ids = (entry.pw_uid, entry.pw_gid)
    code = f"import os; os.setgroups([]); os.setgid({ids[1]}); os.setuid({ids[0]}); import numpy, json, statistics"
    try:
        probe = subprocess.run([sys.executable, "-E", "-s", "-c", code], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=60, cwd="/")
        ok = probe.returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    if not ok and os.environ.get("GRADER_OWN_CODE") == "1":
        _SANDBOX_USER = None  # `make check`: a student running their own code on their own machine, as root
        return None
    if not ok:
        raise SandboxUnavailable(
            f"the grader runs as root, and the unprivileged user {name!r} cannot run {sys.executable} "
            f"(a folder above {sys.base_prefix} or {sys.prefix} is closed to other users). Student code never runs as "
            "root: run `python tools/sandbox_access.py` (it opens only the traverse bit of those folders), or grade as a "
            "normal user")
    _SANDBOX_USER = ids
    return _SANDBOX_USER
    _SANDBOX_USER = None
    if os.geteuid() != 0 or os.environ.get("GRADER_SANDBOX_USER", "nobody") == "":
        return None
    try:
        entry = pwd.getpwnam(os.environ.get("GRADER_SANDBOX_USER", "nobody"))
    except KeyError:
        return None
    ids = (entry.pw_uid, entry.pw_gid)
    code = f"import os; os.setgroups([]); os.setgid({ids[1]}); os.setuid({ids[0]}); import numpy"
    try:
        probe = subprocess.run([sys.executable, "-E", "-s", "-c", code], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=60, cwd="/")
        if probe.returncode == 0:
            _SANDBOX_USER = ids
    except (OSError, subprocess.SubprocessError):
        pass
    return _SANDBOX_USER


def cuda_devices() -> list[str]:
    """The NVIDIA device files a CUDA child must open (none on a machine without a GPU)."""
    try:
        return sorted(os.path.join("/dev", d) for d in os.listdir("/dev") if d.startswith("nvidia"))
    except OSError:
        return []


_LIVE: set[int] = set()  # the children this process started and has not closed
_PR_SET_CHILD_SUBREAPER = 36


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
        if int(fields[1]) != me or pid in _LIVE or not _started_by_a_child(pid):
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


class Child:
    """A confined Python process running child.py for one question."""

    def __init__(self, scratch: Scratch, limits: Limits):
        self.scratch = scratch
        self.limits = limits
        self.proc: subprocess.Popen | None = None
        self.reader = wire.MessageReader()
        self._event_tail = b""
        self.leftover_events: list[tuple[str, str]] = []  # read while closing
        self.landlock_abi = 0
        self.seccomp = False
        self.user = sandbox_user()

    # -- lifecycle
    def start(self, timeout: float | None = None) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        events_r, events_w = os.pipe()
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.scratch.work),
            "TMPDIR": str(self.scratch.work),
            "LANG": "C.UTF-8",
            "GRADER_CHILD": "1",  # marks its orphans for reap_orphans
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "GRADER_IN_FD": str(to_child_r),
            "GRADER_OUT_FD": str(from_child_w),
            "GRADER_EVENT_FD": str(events_w),
            "GRADER_READ_PATHS": os.pathsep.join(read_paths() + [str(self.scratch.runner), str(self.scratch.package)]),
            "GRADER_WRITE_PATHS": os.pathsep.join([str(self.scratch.work), "/dev/null"] + cuda_devices()),
            # applied by child.py to itself before it reads any student file (no preexec_fn:
            # Python code between fork and exec is unsafe once torch's threads exist here)
            # CUDA reserves far more address space than it uses: with a GPU the limit is on data, not address space
            "GRADER_RLIMITS": f"{self.limits.memory_bytes},{self.limits.cpu_seconds},{self.limits.file_bytes},{int(bool(cuda_devices()))}",
            "GRADER_DEMOTE": f"{self.user[0]}:{self.user[1]}" if self.user else "",
            "GRADER_NO_LANDLOCK": os.environ.get("GRADER_NO_LANDLOCK", ""),  # landlock.py reads it in the child
        }
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-E", "-s", "-B", str(self.scratch.runner / "child.py")],
                cwd=self.scratch.work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(to_child_r, from_child_w, events_w), start_new_session=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
            os.close(events_w)
        _LIVE.add(self.proc.pid)
        self.to_child, self.from_child, self.events_fd = to_child_w, from_child_r, events_r
        os.set_blocking(self.from_child, False)
        os.set_blocking(self.events_fd, False)
        os.set_blocking(self.to_child, False)
        ready = self._receive(self.limits.start_seconds if timeout is None else timeout, "starting Python")
        self.landlock_abi = int(ready.get("landlock", 0) or 0)
        self.seccomp = ready.get("seccomp") is True

    def close(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        events, _ = self.read_events()  # what it wrote before it ended still counts
        self.leftover_events += events
        _LIVE.discard(self.proc.pid)
        reap_orphans()  # anything it started that left its process group
        for fd in (self.to_child, self.from_child, self.events_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.proc = None

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
