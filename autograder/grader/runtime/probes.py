"""The child's probes: what only the student's process can observe, reported as events.

Runs inside the child (part of the runtime package). Multiplications of data by weights (an ndarray
subclass), aten ops (a TorchDispatchMode), Python line events in the student's files and
frames of forbidden packages (a trace function), the autograd graph behind a tensor, and
whether windows move with x. Counts and ops go out on the event pipe as they happen.
"""
from __future__ import annotations

import functools
import os
import sys

import numpy as np
from . import wire
from .rules import FORBIDDEN_PACKAGES

_MULTIPLY, _MATMUL = np.multiply, np.matmul  # taken before any student code can rebind them
_COUNTED_FUNCTIONS = (np.einsum, np.dot, np.tensordot, np.inner, np.outer, np.kron)


def counting_array(emit):
    """An ndarray subclass that tracks data-derived values and reports every multiplication
    between two of them as a ``mult N`` event (the Winograd count; nothing kept here to overwrite)."""

    class CountingArray(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            tracked = [isinstance(a, CountingArray) for a in inputs]
            raw = [np.asarray(a) if isinstance(a, CountingArray) else a for a in inputs]
            result = getattr(ufunc, method)(*raw, **kwargs)
            if method == "__call__" and sum(tracked) >= 2:
                if ufunc is _MULTIPLY:
                    emit("mult", int(np.size(result)))
                elif ufunc is _MATMUL:
                    emit("mult", int(np.size(result)) * int(np.shape(raw[0])[-1]))
            if any(tracked) and isinstance(result, np.ndarray):
                return result.view(CountingArray)
            return result

        def __array_function__(self, func, types, args, kwargs):
            arrays = [a for a in args if isinstance(a, np.ndarray)]
            if func in _COUNTED_FUNCTIONS and sum(isinstance(a, CountingArray) for a in arrays) >= 2:
                plain = [np.asarray(a) if isinstance(a, CountingArray) else a for a in args]
                if func is np.einsum and isinstance(plain[0], str):
                    emit("mult", _einsum_multiplies(plain[0], plain[1:]))
                else:
                    emit("mult", int(np.prod([np.size(a) for a in arrays[:2]])))
            result = super().__array_function__(func, types, args, kwargs)
            # data-derived values stay tracked through einsum, stack, pad, ... (not only ufuncs)
            if type(result) is np.ndarray:
                return result.view(CountingArray)
            if type(result) in (tuple, list):
                return type(result)(r.view(CountingArray) if type(r) is np.ndarray else r for r in result)
            return result

    return CountingArray


def _einsum_multiplies(subscripts, operands):
    inputs = subscripts.replace(" ", "").split("->")[0].split(",")
    sizes = {}
    for letters, op in zip(inputs, operands):
        for letter, size in zip(letters, np.shape(op)):
            sizes[letter] = size
    return int(np.prod(list(sizes.values()))) * max(len(inputs) - 1, 1)


def op_recorder(emit, kind: str, pattern=None):
    """A TorchDispatchMode that reports each aten op run inside it (those matching ``pattern``) as an event."""
    from torch.utils._python_dispatch import TorchDispatchMode

    def dispatch(self, func, types, args=(), kwargs=None):
        name = str(getattr(func, "__name__", func))
        if pattern is None or pattern.search(name):
            emit(kind, str(func)[:80].replace(" ", "_"))
        return func(*args, **(kwargs or {}))

    _outside_dynamo(dispatch)

    class Recorder(TorchDispatchMode):
        __torch_dispatch__ = dispatch

    return Recorder()


CONV_OP_KEYS = ("CPU", "QuantizedCPU", "CUDA", "QuantizedCUDA")
"""The backend keys a convolution op's kernel is registered under (a key this build lacks is skipped)."""


def conv_op_names(pattern) -> tuple[str, ...]:
    """Every operator in torch's dispatcher, of any namespace (aten, mkldnn, quantized, ...),
    whose name is a convolution (``pattern``: rules.CONV_OP)."""
    import torch

    return tuple(sorted(n for n in torch._C._dispatch_get_all_op_names() if pattern.search(n.split("::")[-1])))


def refuse_conv_ops(emit, names) -> list:
    """Replace the backend kernel of every convolution op in ``names`` with one that reports the
    op (an ``op`` event) and raises, in this process only.

    The dispatcher reaches a backend kernel whatever Python did on the way: popped dispatch
    modes, ``torch.autograd.Function``, ``torch.ops.aten.*``, ``torch._C._nn``, no_grad.
    Returns the libraries, which must be kept alive (their destruction restores the kernels).
    """
    import warnings

    import torch

    libraries = {}

    def refusing(name):
        def kernel(*args, **kwargs):
            emit("op", name.replace(" ", "_")[:80])
            raise RuntimeError(f"{name} is a convolution op: it is refused while conv2d_unfold is graded")

        return kernel

    with warnings.catch_warnings():  # "overriding a previously registered kernel": that is the point
        warnings.simplefilter("ignore")
        for full in names:
            namespace, _, op = full.partition("::")
            try:
                lib = libraries.get(namespace) or libraries.setdefault(namespace, torch.library.Library(namespace, "IMPL"))
            except Exception:  # noqa: BLE001 - a namespace this build cannot extend
                continue
            for key in CONV_OP_KEYS:
                try:
                    lib.impl(op, refusing(full), key)
                except Exception:  # noqa: BLE001 - no such key in this build, or no schema for it
                    pass
    return list(libraries.values())


def _outside_dynamo(fn) -> None:
    """Keep Dynamo out of ``fn`` the way torch does for every mode's ``__torch_dispatch__``
    (``torch._disable_dynamo``), without importing Dynamo where nothing has.

    torch's wrapper imports ``torch._dynamo`` at its first call (seconds: sympy, torch.fx, ...)
    to wrap ``fn`` in ``torch._dynamo.disable``, and keeps the result on ``fn`` as
    ``__dynamo_disable``. Nothing can compile before Dynamo is imported (``torch.compile``
    imports it), so until then there is nothing to keep out and ``fn`` runs as it is; from the
    moment it is imported, ``fn`` runs inside ``torch._dynamo.disable`` exactly as torch would run it.
    Where torch no longer reads ``__dynamo_disable`` this changes nothing: torch's own wrapper
    applies (the template's warm-up then imports Dynamo once for every child).
    """
    disabled = []

    def call(*args, **kwargs):
        if not disabled:
            dynamo = sys.modules.get("torch._dynamo")
            if dynamo is None:
                return fn(*args, **kwargs)
            disabled.append(dynamo.disable(fn, recursive=True, wrapping=False))
        return disabled[0](*args, **kwargs)

    setattr(fn, "__dynamo_disable", call)


def _tally():
    """Counts how often it is sent anything (the first value it yields is 0). The count lives in
    this generator's own frame: student code can reach it only through ``gi_frame``, which the
    audit hook refuses and reports; sending it values only adds to it."""
    count = 0
    while True:
        yield count
        count += 1


def _on_line(add, frame, event, arg):
    """A student frame's local trace function (a ``functools.partial``, so student code that gets
    hold of it cannot rebind what it calls). It looks up no global, so rebinding the runtime's
    globals or builtins does not switch it off."""
    if event == "line":
        try:
            add(None)
        except:  # noqa: E722 - a closed tally (tampering) is reported when the count is read
            pass
    return frame.f_trace


def _on_call(check_frame, student_prefix, trusted, line_tracer, frame, event, arg):
    """The global trace function (a ``functools.partial`` over immutable arguments): lines are
    counted in the student's own files, and ``check_frame`` sees every new frame."""
    try:
        if check_frame is not None:
            check_frame(frame)
        if line_tracer is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(student_prefix) and filename not in trusted:
                return line_tracer
    except:  # noqa: E722 - no exception class is looked up here (a name student code could rebind)
        pass
    return None


class CallTracer:
    """During one call: Python line events in the student's own files (the method measure), and,
    in a NumPy task, any Python frame of a forbidden package (scipy.signal.convolve2d, ...).

    ``sys.gettrace()`` hands the trace function to any code, so what it holds is immutable (a
    partial over a frozen set, strings, and a generator's ``send``): student code that finds it
    can neither lower the line count nor stop it without tampering that is reported.
    """

    def __init__(self, session, count_lines: bool):
        self.session, self.count_lines = session, count_lines
        self.forbidden: set[str] = set()
        self._tally = _tally()
        next(self._tally)
        line_tracer = functools.partial(_on_line, self._tally.send) if count_lines else None
        check_frame = self._check_frame if session.numpy_only else None
        self._trace = functools.partial(_on_call, check_frame, session.package_dir + os.sep,
                                        frozenset(session.trusted_files), line_tracer)

    @property
    def lines(self) -> int:
        """Line events counted; a tally that student code closed is reported as tampering."""
        try:
            return self._tally.send(None) - 1  # reading adds one
        except BaseException:  # noqa: BLE001 - StopIteration, or whatever a thrown-in exception became
            self.session.emit("tamper", "line_counter")
            return 0

    def __enter__(self):
        self._active = self.count_lines or self.session.numpy_only  # tracing costs: only when it measures something
        if self._active:
            self._previous = sys.gettrace()
            sys.settrace(self._trace)
        return self

    def __exit__(self, *exc):
        if self._active:
            sys.settrace(self._previous)  # (student code cannot replace the tracer: the audit hook refuses sys.settrace)
        return False

    def _check_frame(self, frame) -> None:
        top = str(frame.f_globals.get("__name__", "")).split(".")[0]
        if top in FORBIDDEN_PACKAGES and top not in self.forbidden:
            self.forbidden.add(top)
            self.session.emit("call", top)


def shifted_view(result: np.ndarray, x: np.ndarray):
    """The result's values after adding 1 to every element of x in place: a view of x moves with
    it, a copy does not. The parent compares; nothing here judges (and ndarray's own methods,
    which student code cannot rebind, do the work)."""
    saved = x.copy()
    x.__iadd__(1)
    try:
        return wire.encode(result.copy())
    finally:
        x.__setitem__(Ellipsis, saved)


def vector_jacobian(output, inputs, upstream, allow_unused: bool = False) -> tuple:
    """What ``torch.autograd.grad(output, inputs, upstream)`` returns, computed as the gradient
    of the scalar ``sum(output * upstream)``.

    The numbers are the same (the product's backward multiplies ``upstream`` by the sum's ones,
    exactly), but a tensor-valued upstream gradient makes ``autograd.grad`` import
    ``torch.fx.experimental.symbolic_shapes`` (sympy: half a second) at its first use, in the
    grader and in every template. ``output`` and ``upstream``: tensors of the same shape.
    """
    import torch

    if tuple(output.shape) != tuple(upstream.shape):
        raise RuntimeError(f"Mismatch in shape: the upstream gradient has shape {tuple(upstream.shape)} "
                           f"and the output has shape {tuple(output.shape)}")
    loss = (output * upstream.to(output.dtype)).sum()
    return torch.autograd.grad(loss, inputs, allow_unused=allow_unused)


def autograd_graph(result) -> list[str]:
    """The names of the autograd nodes behind a tensor (ConvolutionBackward0 betrays F.conv2d)."""
    names, todo, seen = set(), [getattr(result, "grad_fn", None)], 0
    while todo and seen < 5000:
        node = todo.pop()
        if node is None:
            continue
        seen += 1
        names.add(type(node).__name__[:60])
        todo += [n for n, _ in getattr(node, "next_functions", ())]
    return sorted(names)


class Nothing:
    """A context manager that does nothing (a probe that is off)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
