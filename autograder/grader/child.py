"""The untrusted side: imports a student's modules and runs the calls the parent asks for.

Started by sandbox.py as ``python -I child.py`` in a scratch folder, with resource limits and,
under root, as an unprivileged user. It talks to the parent over two inherited pipes (file
descriptors in GRADER_IN_FD / GRADER_OUT_FD); stdout and stderr go to /dev/null, so nothing a
student prints can look like a grader message. Expected values never come here.

Everything this process reports is treated by the parent as untrusted data: values are
re-checked there, and only the child's own observations (zero-copy, recorded ops, counts)
depend on this code staying unpatched, which the closing notes of the grader accept.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import os
import re
import sys
import time
import traceback
import types

import numpy as np

import wire

CONV_OP = re.compile(r"conv(olution|_transpose|_depthwise|_tbc|\d|_)", re.IGNORECASE)
FORBIDDEN_NUMPY_CALLS = ("convolve", "correlate")


class State:
    package_dir = ""
    question = ""
    wired = set()  # student functions wired into the package for this question
    module_functions = {}  # module -> public function names
    trusted = ()
    oracle = None  # the grader's implementations, or None (student mode: everything is theirs)
    numpy_only = False
    student_functions = {}  # (module, function) -> the student's own function
    import_errors = {}  # module -> error dict
    events = []  # forbidden things seen at run time


def error_info(exc: BaseException) -> dict:
    frames = [
        f"{os.path.basename(f.filename)}, line {f.lineno}, in {f.name}"
        for f in traceback.extract_tb(exc.__traceback__)
        if f.filename.startswith(State.package_dir)
    ]
    return {"type": type(exc).__name__, "message": str(exc)[:500], "frames": frames[-4:]}


# ---------------------------------------------------------------- module loading
class GradingFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``conv_gemm.<module>`` (and bare ``<module>``) for the question being graded."""

    def find_spec(self, fullname, path=None, target=None):
        name = fullname[len("conv_gemm."):] if fullname.startswith("conv_gemm.") else fullname
        if "." in name or not self._knows(name):
            return None
        return importlib.util.spec_from_loader(f"conv_gemm.{name}", self, origin=self._file(name))

    def _knows(self, name):
        return name in State.module_functions or name in State.trusted or os.path.isfile(self._file(name))

    def _file(self, name):
        return os.path.join(State.package_dir, f"{name}.py")

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__.split(".", 1)[1]
        module.__package__ = "conv_gemm"
        uses_oracle = State.oracle is not None and name in State.module_functions
        wired_here = [f for f in State.module_functions.get(name, []) if f in State.wired]
        if uses_oracle and not wired_here:
            fill_from_oracle(module, name)
        else:
            run_student_file(module, name)
            if uses_oracle:  # the student's own functions of other questions give way to the grader's
                fill_from_oracle(module, name, keep=wired_here)
        sys.modules.setdefault(name, module)  # flat-style `import cost` sees the same module


def run_student_file(module, name):
    path = os.path.join(State.package_dir, f"{name}.py")
    if not os.path.isfile(path):
        raise ImportError(f"{name}.py is missing from the submission")
    module.__file__ = path
    with open(path, encoding="utf-8", errors="replace") as f:
        source = f.read()
    exec(compile(source, path, "exec"), module.__dict__)
    for fn in State.module_functions.get(name, []):
        if callable(module.__dict__.get(fn)):
            State.student_functions[(name, fn)] = module.__dict__[fn]


def fill_from_oracle(module, name, keep=()):
    for fn in State.module_functions[name]:
        if fn in keep:
            continue
        if fn in State.oracle:
            setattr(module, fn, State.oracle[fn])
        else:
            setattr(module, fn, _unavailable(fn))


def _unavailable(fn):
    def unavailable(*args, **kwargs):
        raise NotImplementedError(f"{fn} is graded in its own question and not available to this one")

    return unavailable


def student_function(module_name, fn):
    """The student's own ``module.fn``, loading their file privately when the package uses the oracle's."""
    if (module_name, fn) in State.student_functions:
        return State.student_functions[(module_name, fn)]
    if module_name in State.import_errors:
        raise ImportError(State.import_errors[module_name]["message"])
    module = types.ModuleType(f"conv_gemm._student_{module_name}")
    module.__package__ = "conv_gemm"
    try:
        run_student_file(module, module_name)
    except BaseException as exc:  # noqa: BLE001 - remembered, so a broken file is run once
        State.import_errors[module_name] = error_info(exc)
        raise
    if (module_name, fn) not in State.student_functions:
        raise AttributeError(f"{module_name}.py defines no function {fn}()")
    return State.student_functions[(module_name, fn)]


# ---------------------------------------------------------------- run-time rules
def guard_numpy():
    """Record calls of numpy's own convolution shortcuts."""
    for fn in FORBIDDEN_NUMPY_CALLS:
        original = getattr(np, fn)

        def recorder(*args, _original=original, _name=fn, **kwargs):
            State.events.append(f"numpy.{_name} was called")
            return _original(*args, **kwargs)

        setattr(np, fn, recorder)


def forbidden_now():
    if State.numpy_only:
        for mod in ("torch", "scipy", "tensorflow", "jax"):
            if mod in sys.modules:
                State.events.append(f"{mod} was imported")
    events, State.events = sorted(set(State.events)), []
    return events


# ---------------------------------------------------------------- probes
class CountingArray(np.ndarray):
    """Tracks data-derived values and counts multiplications between two of them."""

    count = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        tracked = [isinstance(a, CountingArray) for a in inputs]
        raw = [np.asarray(a) if isinstance(a, CountingArray) else a for a in inputs]
        result = getattr(ufunc, method)(*raw, **kwargs)
        if method == "__call__" and sum(tracked) >= 2:
            if ufunc is np.multiply:
                CountingArray.count += int(np.size(result))
            elif ufunc is np.matmul:
                CountingArray.count += int(np.size(result)) * int(np.shape(raw[0])[-1])
        if any(tracked) and isinstance(result, np.ndarray):
            return result.view(CountingArray)
        return result

    def __array_function__(self, func, types, args, kwargs):
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        if func in (np.einsum, np.dot, np.tensordot, np.inner, np.outer, np.kron) and sum(
            isinstance(a, CountingArray) for a in arrays
        ) >= 2:
            plain = [np.asarray(a) if isinstance(a, CountingArray) else a for a in args]
            if func is np.einsum and isinstance(plain[0], str):
                CountingArray.count += _einsum_multiplies(plain[0], plain[1:])
            else:
                CountingArray.count += int(np.prod([np.size(a) for a in arrays[:2]]))
        return super().__array_function__(func, types, args, kwargs)


def _einsum_multiplies(subscripts, operands):
    inputs = subscripts.replace(" ", "").split("->")[0].split(",")
    sizes = {}
    for letters, op in zip(inputs, operands):
        for letter, size in zip(letters, np.shape(op)):
            sizes[letter] = size
    return int(np.prod(list(sizes.values()))) * max(len(inputs) - 1, 1)


def build_callable(spec: wire.CallableSpec, record: dict):
    if spec.kind == "sleep_sequence":
        durations = [float(d) for d in spec.params["durations"]]
        record["calls"] = 0

        def timed_workload(*args):
            i = record["calls"]
            record["calls"] += 1
            time.sleep(durations[i % len(durations)])

        return timed_workload
    raise ValueError(f"unknown callable kind {spec.kind!r}")


def to_tensor(array, requires_grad):
    import torch

    t = torch.from_numpy(array)
    return t.requires_grad_(True) if requires_grad else t


def conv_op_recorder():
    from torch.utils._python_dispatch import TorchDispatchMode

    class Recorder(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = str(getattr(func, "__name__", func))
            if CONV_OP.search(name):
                self.ops.append(str(func))
            return func(*args, **(kwargs or {}))

    return Recorder()


def handle_call(msg):
    probes = set(msg.get("probes") or [])
    needs_torch = bool(msg.get("torch"))
    decode_kw = {"tensors_as": to_tensor} if needs_torch else {}
    args = list(wire.decode(msg.get("args") or [], **decode_kw))
    kwargs = wire.decode({"__dict__": msg.get("kwargs") or []}, **decode_kw)
    record = {}
    args = [build_callable(a, record) if isinstance(a, wire.CallableSpec) else a for a in args]
    for i in msg.get("noncontiguous") or []:  # same values, strided memory: a transposed view
        args[i] = args[i].swapaxes(-1, -2)
    if "count_mults" in probes:
        args = [a.view(CountingArray) if type(a) is np.ndarray else a for a in args]
        CountingArray.count = 0
    snapshots = {i: a.copy() for i, a in enumerate(args) if type(a) is np.ndarray}
    fn = student_function(msg["module"], msg["func"])
    probe_out = {}
    recorder = conv_op_recorder() if "conv_ops" in probes else None
    start = time.perf_counter()
    try:
        if recorder is not None:
            with recorder:
                result = fn(*args, **kwargs)
        else:
            result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - SystemExit from student code is a failed call, not an exit
        return {"ok": False, "error": error_info(exc), "seconds": time.perf_counter() - start, "forbidden": forbidden_now()}
    seconds = time.perf_counter() - start
    if "count_mults" in probes:
        probe_out["multiplications"] = CountingArray.count
        if type(result) is CountingArray:
            result = np.asarray(result)
    if "calls" in record:
        probe_out["calls"] = record["calls"]
    if type(result) is np.ndarray:
        if "shares_memory" in probes and snapshots:
            probe_out["shares_memory"] = bool(np.shares_memory(result, args[0], max_work=10**6))
        probe_out["writeable"] = bool(result.flags.writeable)
        probe_out["contiguous"] = bool(result.flags.c_contiguous)
    probe_out["mutated_args"] = [i for i, before in snapshots.items() if not np.array_equal(before, args[i], equal_nan=True)]
    if "autograd" in probes:
        probe_out["grads"] = autograd_probe(result, args, kwargs, msg, recorder)
    if recorder is not None:
        probe_out["conv_ops"] = sorted(set(recorder.ops))
    return {"ok": True, "result": wire.encode(result), "probes": probe_out, "seconds": seconds, "forbidden": forbidden_now()}


def autograd_probe(result, args, kwargs, msg, recorder):
    import torch

    if not isinstance(result, torch.Tensor) or result.grad_fn is None:
        return {"error": "the result is not connected to the autograd graph (no grad_fn)"}
    leaves = [a for a in list(args) + list(kwargs.values()) if isinstance(a, torch.Tensor) and a.requires_grad]
    upstream = wire.decode(msg["upstream"], tensors_as=to_tensor)
    try:
        if recorder is not None:
            with recorder:
                grads = torch.autograd.grad(result, leaves, upstream, allow_unused=True)
        else:
            grads = torch.autograd.grad(result, leaves, upstream, allow_unused=True)
    except BaseException as exc:  # noqa: BLE001
        return {"error": f"backward raised {type(exc).__name__}: {str(exc)[:300]}"}
    return {"values": wire.encode([None if g is None else g for g in grads])}


def handle_setup(msg):
    State.package_dir = msg["package_dir"]
    State.question = msg["question"]
    State.wired = set(msg["wired"])
    State.module_functions = {k: list(v) for k, v in msg["module_functions"].items()}
    State.trusted = tuple(msg["trusted"])
    State.numpy_only = bool(msg["numpy_only"])
    if msg.get("oracle_file"):
        namespace = {"__name__": "grader_oracle"}
        with open(msg["oracle_file"], encoding="utf-8") as f:
            exec(compile(f.read(), "grader_oracle", "exec"), namespace)
        State.oracle = {k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")}
    seed = int(msg.get("seed", 0))
    import random

    random.seed(seed)
    np.random.seed(seed % 2**32)  # student code that draws random numbers draws the same ones each run
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    package = types.ModuleType("conv_gemm")
    package.__path__ = [State.package_dir]
    package.__package__ = "conv_gemm"
    sys.modules["conv_gemm"] = package
    sys.meta_path.insert(0, GradingFinder())
    if State.numpy_only:
        guard_numpy()
    modules = {}
    for name in msg["modules"]:
        start = time.perf_counter()
        try:
            importlib.import_module(f"conv_gemm.{name}")
            modules[name] = {"ok": True, "seconds": time.perf_counter() - start}
        except BaseException as exc:  # noqa: BLE001 - a SystemExit at import is a broken module
            State.import_errors[name] = error_info(exc)
            modules[name] = {"ok": False, "error": State.import_errors[name]}
    return {"ok": True, "modules": modules, "forbidden": forbidden_now()}


def confine_self() -> int:
    """Apply Landlock before any student file is read; 0 where the kernel lacks it."""
    import landlock

    split = lambda key: [p for p in os.environ.get(key, "").split(os.pathsep) if p]  # noqa: E731
    try:
        return landlock.restrict(split("GRADER_READ_PATHS"), split("GRADER_WRITE_PATHS"))
    except OSError:
        return 0


def limit_self() -> None:
    """rlimits, then (under root, where possible) the unprivileged user; before any student file."""
    import resource

    memory, cpu, fsize = (int(v) for v in os.environ["GRADER_RLIMITS"].split(","))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.environ.get("GRADER_DEMOTE"):
        uid, gid = (int(v) for v in os.environ["GRADER_DEMOTE"].split(":"))
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


def main():
    fd_in, fd_out = int(os.environ["GRADER_IN_FD"]), int(os.environ["GRADER_OUT_FD"])
    limit_self()
    abi = confine_self()
    for key in ("GRADER_IN_FD", "GRADER_OUT_FD", "GRADER_READ_PATHS", "GRADER_WRITE_PATHS", "GRADER_RLIMITS", "GRADER_DEMOTE"):
        os.environ.pop(key, None)
    wire.write_message(fd_out, {"ok": True, "ready": True, "landlock": abi})
    while True:
        msg = wire.read_message_blocking(fd_in)
        if msg is None:
            return
        try:
            reply = handle_setup(msg) if msg.get("op") == "setup" else handle_call(msg)
        except BaseException as exc:  # noqa: BLE001
            reply = {"ok": False, "error": error_info(exc), "forbidden": forbidden_now()}
        wire.write_message(fd_out, reply)


if __name__ == "__main__":
    main()
