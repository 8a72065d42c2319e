"""The untrusted side of notebook grading: run a student's code cells, report the answer values.

Forked by a notebook template (template.py) for each run; :func:`run` gets the job file
notebook_process.py wrote, the write end of the report pipe, and the template's pid. The job:

- ``cells``: the code cells' source, in order, with ``null`` for a cell the parent tells it to
  skip (IPython-only lines are made inert here, see :func:`python_source`);
- ``names``: the answer variables the tests read (``stem_out``, ...), never the tests;
- ``workdir``: the folder holding the notebook and its ``conv_gemm`` package; the cells run
  there (current directory and first on ``sys.path``), the only folder it may write;
- ``env``: the whole environment the cells see (the template already put it in place);
- ``read_paths``, ``rlimits`` (memory beyond what it has imported, CPU seconds, file size: limits.py), ``user`` ([uid, gid] or
  null), ``cell_seconds`` (CPU seconds a cell may use; it may take ``WALL_FACTOR`` times as long
  in wall time, e.g. asleep).

Before any student code runs it confines itself, in this order: rlimits; under root, private
network and IPC namespaces and then the unprivileged user; death with its template; Landlock
(read the Python installation and the runtime's own folder, of /etc and /proc only what
:func:`narrowed` keeps, write ``workdir``, no TCP, no signals outside); the seccomp filter (no
socket of any family, no new session or process group, no raising of limits).

It then executes each cell in one namespace, like a kernel would: an exception, ``sys.exit()``
or a per-cell timer (CPU time: SIGPROF; wall time: SIGALRM) fails that cell only. Around each cell it writes one JSON line
to the parent: ``{"event": "start", "cell": i}`` and ``{"event": "end", "cell": i, "ok": bool,
"error": str|null, "values": {...}|absent, "unsupported": {...}|absent}``, the values when they
changed. Values are plain JSON: None, bool, int, float, str, and lists (from lists, tuples,
exact NumPy scalars and small numeric arrays); anything else is reported as unsupported with its
type. The parent trusts none of it: it re-validates every value, enforces the timers itself, and
the tests run in another process that never sees student code.
"""
from __future__ import annotations

import builtins
import ctypes
import json
import os
import re
import signal
import sys

from . import landlock, limits
from . import seccomp_filter

MAX_STR = 4096  # characters of one answer string
MAX_ITEMS = 1024  # elements of one list or array
MAX_DEPTH = 4
CLONE_NEWIPC, CLONE_NEWNET = 0x08000000, 0x40000000
PR_SET_PDEATHSIG = 1
# What stays readable of /etc and /proc (the caller's read paths give the whole folders): no
# /etc/shadow, and of /proc only this process's own folder (not the grader's environ, not the
# list of processes, not the host's sockets) plus the CPU and memory facts libraries ask for.
ETC_FILES = ("ld.so.cache", "localtime", "timezone", "passwd", "group", "nsswitch.conf", "mime.types", "os-release",
             "fonts")
PROC_FILES = ("cpuinfo", "meminfo", "stat")
# Cell magics whose body is plain Python (timing, capturing output): the body runs without them.
TRANSPARENT_CELL_MAGICS = ("time", "timeit", "capture")
IPYTHON_LINE = re.compile(r"^(\s*)([%!]|\w+\s*=\s*[%!]\w)")


WALL_FACTOR = 3  # a cell's wall-clock limit, in CPU limits: slow (shared) machines stay fair


class CellTimeout(BaseException):
    """Raised by a per-cell timer; a BaseException so that ``except Exception`` does not eat it."""


class Unsupported(Exception):
    """An answer value that plain JSON cannot carry faithfully."""


def plain(value, depth: int = 0):
    """``value`` as plain JSON data (exact types only), or :class:`Unsupported` saying why."""
    t = type(value)
    if value is None or t is bool or t is float:
        return value
    if t is int:
        if value.bit_length() > 4096:
            raise Unsupported("an int with more than 4096 bits")
        return value
    if t is str:
        if len(value) > MAX_STR:
            raise Unsupported(f"a string of {len(value)} characters (at most {MAX_STR})")
        return value
    if t in (list, tuple):
        if depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
            raise Unsupported(f"a {t.__name__} nested deeper than {MAX_DEPTH} or longer than {MAX_ITEMS}")
        return [plain(v, depth + 1) for v in value]
    np = sys.modules.get("numpy")  # only when the notebook imported NumPy itself
    if np is not None:
        if t in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
                 np.uint8, np.uint16, np.uint32, np.uint64, np.bool_):
            return value.item()
        if t is np.ndarray and value.dtype.kind in "biuf":
            if value.size > MAX_ITEMS or value.ndim > MAX_DEPTH:
                raise Unsupported(f"an array of shape {value.shape} (at most {MAX_ITEMS} elements)")
            return value.tolist()
    raise Unsupported(f"an object of type {t.__module__}.{t.__qualname__}")


def snapshot(namespace: dict, names: list[str]) -> tuple[dict, dict]:
    """(values, unsupported): the answer variables that exist, as plain data or as a reason."""
    values, unsupported = {}, {}
    for name in names:
        if name not in namespace:
            continue
        try:
            values[name] = plain(namespace[name])
        except Unsupported as exc:
            unsupported[name] = str(exc)
        except BaseException as exc:  # noqa: BLE001 - a value whose conversion raises
            unsupported[name] = f"a value that could not be read ({type(exc).__name__})"
    return values, unsupported


def python_source(source: str) -> str | None:
    """A cell as plain Python. Source that compiles is kept as it is. Otherwise IPython line
    magics (``%matplotlib``), shell escapes (``!pip``) and ``x = !cmd`` become ``pass``
    (indentation kept), a transparent cell magic (``%%time``) is dropped and its body kept, and
    any other cell magic (``%%bash``) gives None (the cell is not run). What is still not
    Python fails that cell alone, with its SyntaxError."""
    try:
        compile(source, "<cell>", "exec")
        return source
    except (SyntaxError, ValueError):
        pass
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in TRANSPARENT_CELL_MAGICS:
            return None
        lines = lines[first + 1:]
    return "\n".join(f"{m[1]}pass" if (m := IPYTHON_LINE.match(line)) else line for line in lines)


def send(fd: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def isolate_network() -> bool:
    """Under root: private network and IPC namespaces (only a loopback that is down)."""
    if os.geteuid() != 0:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.unshare(CLONE_NEWNET | CLONE_NEWIPC) == 0


def narrowed(paths: list[str], pid: int) -> list[str]:
    """``paths`` with ``/etc`` and ``/proc`` replaced by the few entries that must stay readable."""
    out = []
    for path in paths:
        if path == "/etc":
            out += [f"/etc/{name}" for name in ETC_FILES]
        elif path == "/proc":
            out += [f"/proc/{pid}"] + [f"/proc/{name}" for name in PROC_FILES]
        else:
            out.append(path)
    return out


def confine(job: dict, parent: int) -> dict:
    """Every restriction, before the first cell; what was applied. ``parent``: the template's
    pid (the runner dies with it)."""
    memory, cpu, fsize = job["rlimits"]
    limits.apply(memory, cpu, fsize, gpu=limits.gpu_present())  # memory beyond what the template imported
    netns = isolate_network()
    limits.demote(tuple(job["user"]) if job.get("user") else None)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after the user switch, which clears it
    if os.getppid() != parent:
        os._exit(1)  # the template is already gone
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        abi = landlock.restrict([*narrowed(job["read_paths"], os.getpid()), here], [job["workdir"], "/dev/null"])
    except OSError:
        abi = 0
    filtered = seccomp_filter.deny_sockets(keep_process_group=True, freeze_limits=True, isolate=True)
    return {"landlock": abi, "seccomp": filtered, "netns": netns, "uid": os.getuid()}


def _on_timer(signum, frame):
    raise CellTimeout(signum)


def run_cell(index: int, source: str, namespace: dict, seconds: float) -> str | None:
    """Execute one cell; None when it finished, else a one-line reason."""
    signal.setitimer(signal.ITIMER_PROF, seconds)
    signal.setitimer(signal.ITIMER_REAL, seconds * WALL_FACTOR)
    try:
        try:
            source = python_source(source)
            if source is None:
                return "a cell magic that only IPython can run (the cell was not run)"
            exec(compile(source, f"<cell {index + 1}>", "exec"), namespace)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.setitimer(signal.ITIMER_PROF, 0)
    except CellTimeout as exc:
        if exc.args and exc.args[0] == signal.SIGPROF:
            return f"used more than {seconds:g} s of CPU time"
        return f"timed out after {seconds * WALL_FACTOR:g} s"
    except SystemExit as exc:
        return f"SystemExit({exc.code!r})"[:300]
    except BaseException as exc:  # noqa: BLE001 - a failing cell does not stop the next
        try:
            return f"{type(exc).__name__}: {exc}"[:300]
        except BaseException:  # noqa: BLE001 - an exception whose str() raises
            return type(exc).__name__
    return None


def run(job: dict, out: int, parent: int) -> None:
    """Confine this process, run the cells, report on ``out``; ends the process."""
    confinement = confine(job, parent)
    send(out, {"event": "ready", **confinement})
    # the notebook imports its own modules, not the grader's runtime (the template's first path entry)
    runtime_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != runtime_root]
    os.chdir(job["workdir"])
    sys.path.insert(0, job["workdir"])
    sys.argv = [os.path.join(job["workdir"], "conv_gemm.ipynb")]
    builtins.display = lambda *args, **kwargs: None  # IPython's display(); output goes nowhere anyway
    signal.signal(signal.SIGALRM, _on_timer)
    signal.signal(signal.SIGPROF, _on_timer)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    names = [str(n) for n in job["names"]]
    last = None
    for index, source in enumerate(job["cells"]):
        if source is None:
            continue
        send(out, {"event": "start", "cell": index})
        error = run_cell(index, source, namespace, float(job["cell_seconds"]))
        message = {"event": "end", "cell": index, "ok": error is None, "error": error}
        current = snapshot(namespace, names)
        if current != last:
            message["values"], message["unsupported"] = current
            last = current
        send(out, message)
    send(out, {"event": "done"})
    os._exit(0)  # no atexit handlers or thread joins from the notebook's code
