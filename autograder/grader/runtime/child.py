"""The untrusted side: imports a student's modules and runs the calls the parent asks for.

Forked by the template (template.py) for one question, in a scratch folder; it sets its own
resource limits and, under root, becomes an unprivileged user. It talks to the parent over two inherited pipes (file
descriptors in GRADER_IN_FD / GRADER_OUT_FD); stdout and stderr go to /dev/null, so nothing a
student prints can look like a grader message. Expected values never come here.

Everything this process reports is treated by the parent as untrusted data: values are
re-checked there, and only the child's own observations (zero-copy, recorded ops, counts)
depend on this code staying unpatched, which the closing notes of the grader accept.
"""
from __future__ import annotations

import itertools
import os
import sys
import time

import numpy as np
from . import landlock, limits, wire
from .guard import EventPipe, Watch
from .counting import counting_array, fresh_like, new_tape, replay, track, tracked_constructors
from .loader import StudentPackage, error_info
from .probes import (
    CallTracer,
    Nothing,
    Observer,
    autograd_graph,
    conv_op_names,
    op_recorder,
    refuse_conv_ops,
    shifted_view,
    vector_jacobian,
)
from .rules import CONV_FREE_MODULES, CONV_OP, FORBIDDEN_NUMPY_CALLS, FORBIDDEN_PACKAGES

CONV_OPS: tuple[str, ...] = ()
"""The dispatcher's convolution ops, listed once by the template's warm-up (probes.conv_op_names)."""
from .provenance import nested_codes, observe_threads, student_code_test
from .seccomp_filter import deny_sockets

RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))


class Session:
    """What one child knows: the package, the stand-ins, and what was seen at run time."""

    def __init__(self, msg: dict, events: EventPipe):
        self.emit = events.emit  # typed events go straight to the parent; none is kept here
        self.package_dir = msg["package_dir"]
        self.numpy_only = bool(msg["numpy_only"])
        self.trusted_files = {os.path.join(self.package_dir, f"{m}.py") for m in msg["trusted"]}
        standins, standin_codes = build_standins(msg.get("standins") or {})
        # code is the grader's or a library's only if Python compiled it from a file the child cannot write
        readonly = {sys.prefix, sys.base_prefix, RUNTIME_DIR} | installed_paths(self.package_dir)
        self.is_student = student_code_test(self.package_dir, self.trusted_files,
                                            sorted(readonly | {os.path.realpath(p) for p in readonly}), standin_codes)
        self.observer = Observer(self.emit, self.is_student, self.numpy_only)
        self.package = StudentPackage(self.package_dir, {k: list(v) for k, v in msg["module_functions"].items()},
                                      standins, float(msg.get("import_seconds") or 10),
                                      msg.get("known_broken") or {},
                                      {k: float(v) for k, v in ((msg.get("standins") or {}).get("delays") or {}).items()}, delayed,
                                      msg.get("compiled") or {})

    def error(self, exc: BaseException) -> dict:
        return error_info(exc, self.package_dir)

    def thread_probes(self):
        """What each thread started in this child runs inside, besides the trace function: in a
        NumPy task, the recorder of torch ops (dispatch modes are per thread)."""
        return op_recorder(self.emit, "torchop") if self.numpy_only and "torch" in sys.modules else Nothing()


def installed_paths(package_dir: str) -> set[str]:
    """The folders the interpreter imports from (stdlib, site-packages, and what .pth files add:
    a virtual environment may take its packages from another one), as the template found them:
    never the package or this child's work folder (Landlock lets the child write neither else)."""
    own = tuple(os.path.join(os.path.realpath(p), "") for p in (package_dir, os.getcwd()))
    return {p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p)
            and not os.path.join(os.path.realpath(p), "").startswith(own)}


def build_standins(spec: dict) -> tuple[dict, frozenset]:
    """The grader's stand-ins for the prerequisites, from the source the parent sent
    (``spec``: ``{"source": text, "names": [...], "delays": {...}}``), and their code objects."""
    if not spec.get("names"):
        return {}, frozenset()
    namespace = {"__name__": "grader_standins"}
    code = compile(spec["source"], "<grader stand-ins>", "exec")
    exec(code, namespace)
    return {name: namespace[name] for name in spec["names"]}, nested_codes(code)


def delayed(fn, seconds: float):
    """``fn`` that first sleeps ``seconds``: benchmark_table is checked against run times the grader sets."""
    def timed(*args, **kwargs):
        time.sleep(seconds)
        return fn(*args, **kwargs)

    timed.__name__ = getattr(fn, "__name__", "timed")
    return timed


# ---------------------------------------------------------------- run-time rules
def guard_numpy(session: Session):
    """Record calls of numpy's own convolution shortcuts."""
    for fn in FORBIDDEN_NUMPY_CALLS:
        original = getattr(np, fn)

        def recorder(*args, _original=original, _name=fn, _emit=session.emit, **kwargs):
            _emit("numpy", _name)
            return _original(*args, **kwargs)

        setattr(np, fn, recorder)


# ---------------------------------------------------------------- probes
def build_callable(spec: wire.CallableSpec, emit):
    """The callable a CallableSpec names, built from the grader's own code.

    ``sleep_sequence``: each call sleeps the next of ``durations`` and sends how long it really
    took (a busy or throttled machine wakes a sleeper late) to the parent as a ``calltime``
    event, at once. The callable is a generator's ``__next__``: its count and its way to the
    parent live in the generator's frame, which the guard refuses to hand out (``gi_frame``),
    so the code being graded can neither silence nor rewrite what is measured; lines it writes
    on the pipe itself only add to the calls counted.
    """
    if spec.kind == "sleep_sequence":
        durations = tuple(float(d) for d in spec.params["durations"])

        def sleeps():
            for i in itertools.count():
                start = time.perf_counter()
                time.sleep(durations[i % len(durations)])
                emit("calltime", f"{time.perf_counter() - start:.6f}")
                yield

        return sleeps().__next__
    raise ValueError(f"unknown callable kind {spec.kind!r}")


def to_tensor(array, requires_grad):
    import torch

    t = torch.from_numpy(array)
    return t.requires_grad_(True) if requires_grad else t


def _as_array(value):
    if type(value).__name__ == "Tensor" and type(value).__module__ == "torch":
        return value.detach().numpy()
    return value


def handle_call(msg, session: Session):
    probes = set(msg.get("probes") or [])
    needs_torch = bool(msg.get("torch"))
    decode_kw = {"tensors_as": to_tensor} if needs_torch else {}
    received = list(wire.decode(msg.get("args") or [], **decode_kw))
    kwargs = wire.decode({"__dict__": msg.get("kwargs") or []}, **decode_kw)
    args = [build_callable(a, session.emit) if isinstance(a, wire.CallableSpec) else a for a in received]
    for i in msg.get("noncontiguous") or []:  # same values, strided memory: a transposed view
        args[i] = args[i].swapaxes(-1, -2)
    counting = constructors = None
    if "count_mults" in probes:  # Winograd: the operations on the arrays are recorded, then replayed (counting.py)
        send, token = new_tape()
        counting = counting_array(send)
        constructors = tracked_constructors(counting, send)
        args = [track(a, counting, send, f"arg{i}") if type(a) is np.ndarray else a for i, a in enumerate(args)]
    fn = session.package.student_function(msg["module"], msg["func"])
    probe_out = {}
    conv_ops = op_recorder(session.emit, "op", CONV_OP) if "conv_ops" in probes else None
    torch_ops = op_recorder(session.emit, "torchop") if session.numpy_only and "torch" in sys.modules else None
    before = {m for m in FORBIDDEN_PACKAGES if m in sys.modules}
    tracer = CallTracer(session, "line_events" in probes)
    start = time.perf_counter()
    try:
        with (conv_ops or Nothing()), (torch_ops or Nothing()), (constructors or Nothing()), tracer:
            result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - SystemExit from student code is a failed call, not an exit
        note_imports(session, before)
        session.watch.check_state()
        return {"ok": False, "error": session.error(exc)}
    seconds = time.perf_counter() - start
    note_imports(session, before)
    session.watch.check_state()
    if counting is not None:
        probe_out["replay"] = replay_probe(session, send((token,)), result, received)
        if isinstance(result, counting):
            result = np.asarray(result)
    if "line_events" in probes:
        probe_out["line_events"] = tracer.lines
    probe_out["arg_digests"] = [wire.digest(a) if type(a) is np.ndarray else None for a in map(_as_array, received)]
    if type(result) is np.ndarray:
        probe_out["writeable"] = bool(result.flags.writeable)  # ndarray's own flags: no student code runs here
        probe_out["contiguous"] = bool(result.flags.c_contiguous)
        if "shares_memory" in probes and received and type(received[0]) is np.ndarray:
            probe_out["after_shift"] = shifted_view(result, received[0])
    if "autograd" in probes:
        probe_out["grads"] = autograd_probe(result, args, kwargs, msg, conv_ops)
    if "graph" in probes:
        probe_out["graph"] = autograd_graph(result)
    return {"ok": True, "result": wire.encode(result), "probes": probe_out, "seconds": seconds}


def replay_probe(session: Session, entries, result, received) -> dict:
    """The recorded operations replayed from fresh inputs: those inputs and the result, for the
    parent to compare with the convolution of them; the multiplications go out as an event."""
    fresh = {f"arg{i}": fresh_like(a) for i, a in enumerate(received) if type(a) is np.ndarray}
    value, multiplications = replay(entries, result, fresh)
    if value is None:
        return {"error": str(multiplications)[:300]}
    session.emit("mult", int(multiplications))
    return {"inputs": wire.encode([fresh[k] for k in sorted(fresh)]), "result": wire.encode(np.array(value, copy=True))}


def note_imports(session: Session, before: set) -> None:
    """A forbidden package imported during a NumPy task's call."""
    if session.numpy_only:
        for m in FORBIDDEN_PACKAGES:
            if m in sys.modules and m not in before:
                session.emit("import", m)


def autograd_probe(result, args, kwargs, msg, recorder):
    import torch

    if not isinstance(result, torch.Tensor) or result.grad_fn is None:
        return {"error": "the result is not connected to the autograd graph (no grad_fn)"}
    leaves = [a for a in list(args) + list(kwargs.values()) if isinstance(a, torch.Tensor) and a.requires_grad]
    upstream = wire.decode(msg["upstream"], tensors_as=to_tensor)
    try:
        with (recorder or Nothing()):
            grads = vector_jacobian(result, leaves, upstream, allow_unused=True)
    except BaseException as exc:  # noqa: BLE001
        return {"error": f"backward raised {type(exc).__name__}: {str(exc)[:300]}"}
    return {"values": wire.encode([None if g is None else g for g in grads])}


def warm_up_torch() -> None:
    """Pay torch's lazy first-use imports (dispatch modes, unfold, autograd) once, in the
    template (template.py), not in a child's call."""
    import torch
    import torch.nn.functional as F

    global CONV_OPS
    CONV_OPS = conv_op_names(CONV_OP)
    x = torch.ones(1, 1, 3, 3, requires_grad=True)
    with op_recorder(lambda kind, detail: None, "op", CONV_OP):
        y = F.unfold(x, 2)
        vector_jacobian(y, [x], torch.ones_like(y))
    autograd_graph(y)


def handle_setup(msg, events: EventPipe) -> tuple[Session, dict]:
    session = Session(msg, events)
    session.watch = Watch(events, session.is_student, (sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix),
                                                         os.path.realpath(sys.base_prefix)))
    session.watch.install()  # before the first line of student code
    observe_threads(session.observer.counting, session.thread_probes, session.is_student)
    seed = int(msg.get("seed", 0))
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)  # student code that draws random numbers draws the same ones each run
    if session.numpy_only:
        guard_numpy(session)
    if msg["modules"] and set(msg["modules"]) <= set(CONV_FREE_MODULES):
        # kept on the session: destroying the libraries would give the kernels back
        session.conv_kernels = refuse_conv_ops(session.emit, CONV_OPS or conv_op_names(CONV_OP))
    session.package.install()
    session.package.import_package(run_init=bool(msg.get("run_init", True)))
    modules = {}
    for name in msg["modules"]:
        before = {m for m in FORBIDDEN_PACKAGES if m in sys.modules}
        try:
            session.package.import_module(name)
            modules[name] = {"ok": True}
        except ImportError as exc:
            modules[name] = {"ok": False, "error": session.package.import_errors.get(name)
                             or {"type": "ImportError", "message": str(exc)[:500], "frames": []}}
        if session.numpy_only:
            for m in FORBIDDEN_PACKAGES:
                if m in sys.modules and m not in before:
                    session.emit("import", m)
    session.watch.check_state()
    reply = {"ok": True, "modules": modules, "import_errors": {k: v for k, v in session.package.import_errors.items() if k != "__init__"}}
    if "__init__" in session.package.import_errors:
        reply["init_error"] = session.package.import_errors["__init__"]
    return session, reply


def confine_self() -> int:
    """Apply Landlock before any student file is read; 0 where the kernel lacks it."""
    split = lambda key: [p for p in os.environ.get(key, "").split(os.pathsep) if p]  # noqa: E731
    # of /proc only this process's own entries and the machine facts libraries read: never
    # another process's (a parallel student's environment, memory or command line)
    reads = [p for p in split("GRADER_READ_PATHS") if p != "/proc"]
    reads += [f"/proc/{os.getpid()}", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/sys/kernel", "/proc/sys/vm"]
    try:
        return landlock.restrict([p for p in reads if os.path.exists(p)], split("GRADER_WRITE_PATHS"))
    except OSError:
        return 0


def limit_self() -> dict:
    """rlimits (memory measured from here on, limits.py), then under root the unprivileged user;
    before any student file. What was set, for the ready message."""
    memory, cpu, fsize, cuda = (int(v) for v in os.environ["GRADER_RLIMITS"].split(","))
    applied = limits.apply(memory, cpu, fsize, gpu=bool(cuda))
    user = os.environ.get("GRADER_DEMOTE")
    user = tuple(int(v) for v in user.split(":")) if user else None
    applied["own_folder"] = limits.own_folder(os.getcwd(), fsize, user)  # all it writes: one file's limit
    limits.demote(user)
    return applied


def main():
    fd_in, fd_out = int(os.environ["GRADER_IN_FD"]), int(os.environ["GRADER_OUT_FD"])
    events = EventPipe(int(os.environ["GRADER_EVENT_FD"]))
    try:
        applied = limit_self()
        abi = confine_self()
        # no socket of any family, every process it starts stays in its process group (one killpg
        # ends them), and nothing of another process is reachable (signals, memory, tracing)
        seccomp = deny_sockets(keep_process_group=True, isolate=True)
    except BaseException as exc:  # no student code has run: the parent reports the grader's failure
        wire.write_message(fd_out, {"ok": False, "fatal": f"{type(exc).__name__}: {exc}"[:500]})
        raise
    for key in ("GRADER_IN_FD", "GRADER_OUT_FD", "GRADER_EVENT_FD", "GRADER_READ_PATHS", "GRADER_WRITE_PATHS", "GRADER_RLIMITS", "GRADER_DEMOTE"):
        os.environ.pop(key, None)
    wire.write_message(fd_out, {"ok": True, "ready": True, "landlock": abi, "seccomp": seccomp, "limits": applied})
    session = None
    while True:
        msg = wire.read_message_blocking(fd_in)
        if msg is None:
            return
        try:
            if msg.get("op") == "setup":
                session, reply = handle_setup(msg, events)
            else:
                reply = handle_call(msg, session)
        except BaseException as exc:  # noqa: BLE001
            reply = {"ok": False, "error": error_info(exc, session.package_dir if session else "")}
        wire.write_message(fd_out, reply)


if __name__ == "__main__":
    main()
