"""The trusted side of the process boundary: what every confined process is given.

The processes themselves: template_process.py (the templates that fork them) and
child_process.py (one question's child, its requests and deadlines).

Confinement of a process that runs student code, strongest first where the machine allows it:
- Landlock (Linux >= 5.13): reads only the Python installation and the scratch folder,
  writes only its work folder, no TCP (ABI 4), no signals outside its sandbox (ABI 6);
- seccomp (runtime/seccomp_filter.py): no sockets, and on every kernel no signal, trace,
  memory access or shared memory beyond its own process group;
- under root, an unprivileged user (``nobody`` unless GRADER_SANDBOX_USER says otherwise),
  when that user can run the interpreter;
- always: its own session and process group, memory limited to what it uses after the
  template's imports plus an allowance (runtime/limits.py, for every torch build), CPU time,
  file size, no core dumps, first to be killed when memory runs out, unreadable by others of
  its user, stdin/stdout/stderr on /dev/null, a scrubbed environment.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from grader.runtime.loader import compile_package
from grader.access import cuda_devices, read_paths, sandbox_user

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


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def remove_tree(path) -> None:
    """Remove the folder ``path`` and everything in it, however deep; never raises. A child can
    nest folders thousands deep (past the recursion limit of ``shutil.rmtree`` and past
    PATH_MAX), so this descends one folder at a time relative to the one above, holding one
    descriptor, and climbs back through ``..`` once a folder is empty."""
    try:
        fd = os.open(path, _DIRECTORY)
    except OSError:  # gone already, or not a folder
        return
    names: list[str] = []  # the folders below ``path`` that fd is in
    try:
        while True:
            below = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        below = entry.name
                        break
                    os.unlink(entry.name, dir_fd=fd)
            if below is not None:
                fd, above = os.open(below, _DIRECTORY, dir_fd=fd), fd
                os.close(above)
                names.append(below)
            elif names:
                fd, below = os.open("..", _DIRECTORY, dir_fd=fd), fd
                os.close(below)
                os.rmdir(names.pop(), dir_fd=fd)
            else:
                break
        os.rmdir(path)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass
class Limits:
    """Per-child limits; every figure appears in the feedback when it is hit."""

    call_seconds: float = 10.0
    start_seconds: float = 30.0
    memory_bytes: int = 2 << 30  # beyond what the process has imported (runtime/limits.py)
    cpu_seconds: int = 120
    file_bytes: int = 64 << 20


class ChildFailure(Exception):
    """The child could not answer: ``kind`` is timeout, crash, exit, memory or protocol."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class GraderFailure(ChildFailure):
    """The grader could not run the student's code at all (a sandbox that does not start, a
    template that stops): never the student's failure. Raised only where no code of the
    student's has run in that process yet."""

    def __init__(self, message: str):
        super().__init__("grader", message)


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
        self._make(self.root, self.runner, self.package, self.work)
        install_runtime(self.runner)  # public code only: the stand-ins travel over the pipe

    def reset(self) -> None:
        """Empty it for the next submission (kept_template): everything but runner/, which the
        template has imported from, goes; pkg/ and work/ are made again, empty."""
        for entry in self.root.iterdir():
            if entry == self.runner:
                continue
            if entry.is_dir() and not entry.is_symlink():
                remove_tree(entry)
            else:
                entry.unlink()
        if [entry.name for entry in self.root.iterdir()] != [self.runner.name]:
            raise OSError(f"{self.root} could not be emptied")
        self._compiled, self._works = None, 0
        self._make(self.package, self.work)

    def _make(self, *folders: Path) -> None:
        for d in folders:
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o755)
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
        **field_switches(),
    }


FIELD_SWITCHES = ("GRADER_NO_LANDLOCK", "GRADER_LANDLOCK_ABI_MAX", "GRADER_NO_SECCOMP", "GRADER_TEMPLATE_RESERVE")
"""Variables that make this machine behave like another one (an older kernel, no seccomp, a CUDA
build of torch), read in the processes that run student code: for the field tests and for
instructors reproducing a problem. runtime/landlock.py, seccomp_filter.py and template.py document each."""


def field_switches() -> dict:
    """The FIELD_SWITCHES set in this process's environment, passed on to a confined process."""
    return {k: os.environ[k] for k in FIELD_SWITCHES if os.environ.get(k)}


GRADER_OOM_SCORE = -500  # under root: the out-of-memory killer takes every confined process (1000) and template (500) first


def protect_grader() -> None:
    """Keep this grading process out of reach of the processes it confines: unreadable and
    untraceable by others of its user (where the grader is not root, its children are that user),
    and, under root, the out-of-memory killer's last choice."""
    from grader.runtime import limits

    limits.undumpable()
    if os.geteuid() == 0:
        limits.prefer_oom_kill(GRADER_OOM_SCORE)
