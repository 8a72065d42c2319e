"""The child's probes: what only the student's process can observe, reported as events.

Runs inside the child (part of the runtime package). Multiplications of data by weights (an ndarray
subclass), aten ops (a TorchDispatchMode), Python line events in the student's files and
frames of forbidden packages (a trace function), the autograd graph behind a tensor, and
whether windows move with x. Counts and ops go out on the event pipe as they happen.
"""
from __future__ import annotations

import itertools
import sys
import types

import numpy as np
from . import wire
from .rules import FORBIDDEN_PACKAGES

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


def _on_line(add, frame, event, arg):
    """A student frame's local trace function (bound to a counter's ``__next__``: whoever gets hold
    of it can only add). It looks up no global, so rebinding the runtime's globals or builtins
    does not switch it off."""
    if event == "line":
        add()
    return frame.f_trace


def _on_call(state, frame, event, arg):
    """The global trace function, bound to a tuple (``check_frame``, ``is_student``,
    ``line_tracer``): ``check_frame`` sees every new frame, and lines are counted in student code
    (provenance.py decides whose code it is, not its file name)."""
    check_frame, is_student, line_tracer = state
    try:
        if check_frame is not None:
            check_frame(frame)
        if line_tracer is not None and is_student(frame.f_code):
            return line_tracer
    except:  # noqa: E722 - no exception class is looked up here (a name student code could rebind)
        pass
    return None


def _check_frame(state, frame) -> None:
    """A NumPy task: report a frame of a forbidden package entered from outside that package."""
    emit, forbidden = state
    top = str(frame.f_globals.get("__name__", "")).split(".")[0]
    if top in forbidden:
        caller = frame.f_back
        if caller is None or str(caller.f_globals.get("__name__", "")).split(".")[0] != top:
            emit("call", top)


class Observer:
    """One child's trace functions, the same for every thread: ``counting`` counts Python line
    events in student code (the method measure) and, in a NumPy task, reports frames of forbidden
    packages (scipy.signal.convolve2d, ...); ``plain`` only reports those frames.

    ``sys.gettrace()`` hands a trace function to any code, so each is a method bound to a tuple of
    immutable parts and the count is an ``itertools.count``: student code that finds them can
    add to the count, never lower or stop it. Threads started by student code run under
    ``counting`` from their first line (provenance.observe_threads), so their lines count too.
    """

    def __init__(self, emit, is_student, numpy_only: bool):
        self._count = itertools.count()
        check = types.MethodType(_check_frame, (emit, frozenset(FORBIDDEN_PACKAGES))) if numpy_only else None
        line_tracer = types.MethodType(_on_line, self._count.__next__)
        self.counting = types.MethodType(_on_call, (check, is_student, line_tracer))
        self.plain = types.MethodType(_on_call, (check, None, None)) if numpy_only else None

    @property
    def lines(self) -> int:
        """Line events counted so far in this child (``count(n)`` reads as n)."""
        return int(repr(self._count)[len("count("):-1])


class CallTracer:
    """During one call: the calling thread runs under the child's trace function (Observer),
    and ``lines`` is how many student lines ran in the child meanwhile (every thread)."""

    def __init__(self, session, count_lines: bool):
        self.observer = session.observer
        self.count_lines = count_lines
        self._trace = self.observer.counting if count_lines else self.observer.plain
        self._start = self.observer.lines

    @property
    def lines(self) -> int:
        return self.observer.lines - self._start

    def __enter__(self):
        self._start = self.observer.lines
        if self._trace is not None:  # tracing costs: only when it measures something
            self._previous = sys.gettrace()
            sys.settrace(self._trace)
        return self

    def __exit__(self, *exc):
        if self._trace is not None:
            sys.settrace(self._previous)  # (student code cannot replace the tracer: the audit hook refuses sys.settrace)
        return False


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
