"""How a check is written: the registry, the call context, and typed comparisons with diagnoses.

A check is a function ``check(ctx)`` registered with :func:`check`. It builds inputs with
``ctx.rng``, runs the student's code with ``ctx.call`` (in the child), computes expected
values itself with torch, and raises :class:`CheckFailed` with a teaching message.
Public checks may show the call they made; hidden checks name only the property that
failed (``ctx.public`` tells which), never inputs or tracebacks.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from grader.runtime import wire
from grader.interface import ARG_NAMES, module_of

F64 = dict(rtol=1e-7, atol=1e-9)
"""float64 tolerance: the reference's einsum and torch agree to ~1e-14; 1e-7 leaves room for any summation order."""
F32 = dict(rtol=1e-4, atol=1e-3)
"""float32 tolerance: sums of up to a few hundred products of N(0, 1) values carry ~1e-5 absolute error."""


def tolerance(dtype) -> dict:
    return F32 if np.dtype(dtype) == np.float32 else F64


class CheckFailed(Exception):
    """A check's verdict: the message is the student's feedback.

    ``detail``: optional structured facts for the feedback renderer (results.py), e.g. the
    error statistics of a value mismatch (:func:`mismatch_detail`); only public checks set it.
    """

    def __init__(self, message: str, detail: dict | None = None):
        super().__init__(message)
        self.detail = detail


@dataclass
class Check:
    question: str
    name: str
    public: bool
    fn: Callable
    weight: float = 1.0
    needs_cuda: bool = False
    skip_with_cuda: bool = False

    @property
    def id(self) -> str:
        return f"{self.question}:{'public' if self.public else 'hidden'}:{self.name}"


REGISTRY: list[Check] = []


def check(question: str, name: str, *, public: bool, weight: float = 1.0, needs_cuda: bool = False, skip_with_cuda: bool = False):
    """Register ``fn(ctx)`` as a check of ``question``."""

    def register(fn):
        REGISTRY.append(Check(question, name, public, fn, weight, needs_cuda, skip_with_cuda))
        return fn

    return register


@dataclass
class Reply:
    """What came back from one student call (all of it untrusted data).

    ``changed``: names of array arguments whose values the call changed, found by comparing
    the child's fingerprints after the call with the parent's own copies.
    """

    value: object = None
    error: dict | None = None
    probes: dict = field(default_factory=dict)
    changed: list = field(default_factory=list)


def seeded_rng(seed: int, check_id: str) -> np.random.Generator:
    """The same check and seed always draw the same inputs (crc32, not Python's salted hash)."""
    return np.random.default_rng([seed, zlib.crc32(check_id.encode())])


class Context:
    """Passed to every check: randomness, the call into the child, and the verdict helpers."""

    def __init__(self, check: Check, rng: np.random.Generator, send: Callable[[dict, float | None], Reply],
                 delays: dict | None = None):
        self.check = check
        self.public = check.public
        self.rng = rng
        self._send = send
        self.delays = dict(delays or {})  # seconds each function benchmark_table times sleeps per call

    # -- inputs
    def randn(self, *shape, dtype=np.float64) -> np.ndarray:
        return self.rng.standard_normal(shape).astype(dtype)

    # -- calls
    def call(self, func: str, *args, probes=(), torch=False, upstream=None, noncontiguous=(), timeout=None, **kwargs) -> Reply:
        """Run the student's ``func(*args, **kwargs)`` in the child.

        ``noncontiguous``: indices of array arguments the child should receive as non-contiguous
        views (same values). ``torch``: arrays arrive as tensors (``wire.TensorValue`` for grads).
        """
        sent_args = []
        for i, a in enumerate(args):
            if i in noncontiguous:
                a = np.ascontiguousarray(np.swapaxes(a, -1, -2))
            sent_args.append(a)
        message = {
            "op": "call",
            "module": module_of(func),
            "func": func,
            "args": wire.encode(list(sent_args)),
            "kwargs": wire.encode(kwargs)["__dict__"],
            "probes": list(probes),
            "torch": torch,
            "noncontiguous": list(noncontiguous),
        }
        if upstream is not None:
            message["upstream"] = wire.encode(upstream)
        reply = self._send(message, timeout)
        if reply.error is None:
            reply.changed = changed_arguments(func, sent_args, reply.probes.get("arg_digests"))
        return reply

    def value(self, reply: Reply, what: str):
        """The returned value, or a failure that says what went wrong in the call (a changed argument included)."""
        if reply.error is not None:
            raise CheckFailed(f"{what}: {describe_error(reply.error, self.public)}")
        if reply.changed:
            fn = what.split("(")[0].split(" ")[0]
            self.fail(f"{what}: your {fn} changed its input {', '.join(reply.changed)}; graded functions must not modify their arguments "
                      "(work on a copy, or on new arrays)")
        return reply.value

    # -- verdicts
    def fail(self, public_text: str, hidden_text: str | None = None, detail: dict | None = None):
        """Fail the check; a hidden check gets ``hidden_text`` (when given) and never ``detail``."""
        if self.public:
            raise CheckFailed(public_text, detail)
        raise CheckFailed(public_text if hidden_text is None else hidden_text)

    def expect_array(self, reply: Reply, expected: np.ndarray, what: str, *, note: str = "", **options) -> np.ndarray:
        """Typed comparison: type, then shape, then dtype, then finiteness, then values.

        ``note``: appended to a failure (for example: the failure may come from another question).
        """
        try:
            return self._expect_array(reply, expected, what, **options)
        except CheckFailed as failure:
            if note:
                raise CheckFailed(f"{failure} {note}") from None
            raise

    def _expect_array(self, reply: Reply, expected: np.ndarray, what: str, *, dtype=None, tol=None,
                      diagnoses=(), shape_hint: str = "", kind=np.ndarray) -> np.ndarray:
        got = self.value(reply, what)
        if kind is np.ndarray and not (type(got) is np.ndarray):
            self.fail(f"{what} returned {type_text(got)}; expected a numpy.ndarray")
        if kind is wire.TensorValue:
            if not isinstance(got, wire.TensorValue):
                self.fail(f"{what} returned {type_text(got)}; expected a torch.Tensor")
            got = got.array
        expected = np.asarray(expected)
        if got.shape != expected.shape:
            hint = next((msg for alt, msg in diagnoses if alt is not None and np.shape(alt) == got.shape and _close(got, alt, tol or F64)), None)
            detail = f" ({hint})" if hint else ""
            formula = f" {shape_hint}" if shape_hint and self.public else ""
            self.fail(
                f"{what} returned shape {got.shape}, expected {expected.shape}{detail}.{formula}",
                f"{what}: wrong output shape{detail or ''}." + (" Check Ho = floor((H + 2p - d(k-1) - 1)/s) + 1." if shape_hint else ""),
            )
        if dtype is not None and got.dtype != np.dtype(dtype):
            self.fail(f"{what} returned dtype {got.dtype} for {np.dtype(dtype)} input: work in the input's dtype")
        if got.dtype.kind not in "fiub":
            self.fail(f"{what} returned dtype {got.dtype}; expected a real floating-point array")
        if not np.all(np.isfinite(got)):
            bad = int(np.size(got) - np.count_nonzero(np.isfinite(got)))
            self.fail(f"{what} returned {bad} NaN or inf value(s)", detail=mismatch_detail(got, expected, what, tol or tolerance(got.dtype)))
        tol = tol or tolerance(dtype or got.dtype)
        if _close(got, expected, tol):
            return got
        for alt, msg in diagnoses:
            if alt is not None and np.shape(alt) == got.shape and _close(got, alt, tol):
                self.fail(f"{what}: {msg}", detail=mismatch_detail(got, expected, what, tol))
        err = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        where = np.unravel_index(int(np.argmax(err)), err.shape)
        self.fail(
            f"{what} differs from the expected values: max abs error {err.max():.3g} at index {tuple(int(i) for i in where)} "
            f"({int(np.count_nonzero(~np.isclose(got, expected, **tol)))} of {got.size} entries off)",
            f"{what}: wrong values (max abs error {err.max():.3g})",
            detail=mismatch_detail(got, expected, what, tol),
        )

    def expect_equal(self, reply: Reply, expected, what: str, *, types=(int,)):
        """Exact comparison; where ``int`` is wanted any integral value (a NumPy integer too) counts."""
        got = self.value(reply, what)
        if int in types and isinstance(got, np.integer):
            got = int(got)
        if type(got) not in types:
            self.fail(f"{what} returned {type_text(got)}; expected {' or '.join(t.__name__ for t in types)}")
        if got != expected:
            self.fail(f"{what} returned {got!r}, expected {expected!r}", f"{what}: wrong value")
        return got

    def expect_raises(self, reply: Reply, error_type: str, what: str):
        if reply.error is None:
            self.fail(f"{what} returned {type_text(reply.value)}; expected it to raise {error_type}")
        if reply.error.get("type") in ("NotImplementedError", "MemoryError") + GRADER_ERRORS:  # said in the student's words
            self.fail(f"{what}: {describe_error(reply.error, self.public)}")
        if reply.error.get("type") != error_type:
            self.fail(f"{what} raised {reply.error.get('type')}; expected {error_type} with a message that says what is wrong")


def positive_real(value) -> bool:
    """A positive finite float, NumPy's floats (np.float64 from np.median, say) included; not a bool."""
    return isinstance(value, (float, np.floating)) and bool(np.isfinite(value)) and value > 0


def changed_arguments(func: str, sent: list, digests) -> list[str]:
    """Names of the array arguments whose values differ after the call (every one, if the child
    sent no fingerprints: the parent cannot vouch for them)."""
    names = ARG_NAMES.get(func, ())
    arrays = [(i, a.array if isinstance(a, wire.TensorValue) else a) for i, a in enumerate(sent)]
    arrays = [(i, a) for i, a in arrays if type(a) is np.ndarray]
    if not arrays:
        return []
    name = lambda i: names[i] if i < len(names) else f"argument {i + 1}"  # noqa: E731
    if type(digests) is not list or len(digests) != len(sent):
        return [name(i) for i, _ in arrays]
    return [name(i) for i, a in arrays if digests[i] != wire.digest(a)]


def mismatch_detail(got: np.ndarray, expected: np.ndarray, call: str, tol: dict, window: int = 2) -> dict:
    """Where two same-shape arrays differ, as plain data for the feedback (public checks only).

    Errors are taken over the finite entries: ``max_abs_error`` = max |got - expected|,
    ``max_rel_error`` = max |got - expected| / max(|expected|, atol); indices are full
    tuples into the arrays' shape. ``excerpt`` lists up to ``2 * window + 1`` entries of the
    last axis around the worst absolute error: ``[index, expected, got]`` rows.
    """
    g = np.asarray(got, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    finite = np.isfinite(g)
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.where(finite, np.abs(g - e), 0.0)
        rel = err / np.maximum(np.abs(e), tol["atol"])
    flat_abs, flat_rel = int(np.argmax(err)) if err.size else 0, int(np.argmax(rel)) if rel.size else 0
    worst = tuple(int(i) for i in np.unravel_index(flat_abs, g.shape)) if g.ndim else ()
    if not finite.all():  # point at the first non-finite entry: that is what to fix first
        worst = tuple(int(i) for i in np.argwhere(~finite)[0])
    excerpt = []
    if g.ndim:
        last = worst[-1]
        for j in range(max(0, last - window), min(g.shape[-1], last + window + 1)):
            idx = worst[:-1] + (j,)
            excerpt.append([list(idx), float(e[idx]), float(g[idx])])
    else:
        excerpt.append([[], float(e), float(g)])
    return {
        "kind": "values",
        "call": call,
        "shape": list(g.shape),
        "size": int(g.size),
        "max_abs_error": float(err.max()) if err.size else 0.0,
        "max_abs_index": [int(i) for i in np.unravel_index(flat_abs, g.shape)] if g.ndim else [],
        "max_rel_error": float(rel.max()) if rel.size else 0.0,
        "max_rel_index": [int(i) for i in np.unravel_index(flat_rel, g.shape)] if g.ndim else [],
        "differing": int(np.count_nonzero(~np.isclose(g, e, **tol))),
        "nan": int(np.count_nonzero(np.isnan(g))),
        "inf": int(np.count_nonzero(np.isinf(g))),
        "rtol": tol["rtol"],
        "atol": tol["atol"],
        "excerpt_index": list(worst),
        "excerpt": excerpt,
    }


def _close(got, expected, tol) -> bool:
    try:
        return bool(np.allclose(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64), **tol))
    except (TypeError, ValueError):
        return False


def type_text(value) -> str:
    if isinstance(value, wire.Unsupported):
        return f"an object of type {value.type_name}"
    if isinstance(value, wire.TensorValue):
        return "a torch.Tensor"
    if type(value) is np.ndarray:
        return f"a numpy.ndarray of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:120]


GRADER_ERRORS = ("ChildFailure", "GraderLimit")
"""Error types the grader itself reports for a call (the process died, timed out, hit a limit)."""


def describe_error(error: dict, public: bool) -> str:
    """What went wrong in a call, in the student's words: the exception (public: its message and
    line), or the grader's own account of a call that did not finish."""
    kind = error.get("type", "an exception")
    if kind == "NotImplementedError":
        return "not implemented yet (raises NotImplementedError)"
    if kind == "MemoryError":
        return "ran out of memory (MemoryError: the limit is 2 GiB)"
    if kind in GRADER_ERRORS:  # the grader's own account (a timeout, a crash, a limit): never its class name
        return str(error.get("message") or "the call did not finish")
    if not public:
        return f"raised {kind}"
    where = f" at {error['frames'][-1]}" if error.get("frames") else ""
    message = str(error.get("message", ""))[:300]
    return f"raised {kind}: {message}{where}"


# ---------------------------------------------------------------- shared expectations (torch)
def torch_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """The expected forward output, computed in float64 by ``F.conv2d``."""
    import torch
    import torch.nn.functional as F

    t = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64))  # noqa: E731
    return F.conv2d(t(x), t(w), None if b is None else t(b), stride, padding, dilation, groups).numpy()


def conv_diagnoses(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Wrong answers the grader recognises for a forward convolution, with what each means."""
    expected = torch_conv2d(x, w, b, stride, padding, dilation, groups)
    out = [
        (torch_conv2d(x, w[..., ::-1, ::-1].copy(), b, stride, padding, dilation, groups),
         "this is the convolution with the flipped kernel: F.conv2d computes cross-correlation, so do not flip w"),
        (np.swapaxes(expected, -1, -2), "the output is transposed (H and W swapped)"),
    ]
    if b is not None:
        out.append((expected - np.asarray(b, dtype=np.float64)[None, :, None, None], "the bias b was not added"))
    return out


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def output_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """floor((size + 2p - d(k-1) - 1) / s) + 1: one output axis of a convolution."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def shape_formula(x_shape, w_shape, stride=1, padding=0, dilation=1) -> str:
    """The output-size formula worked out for one call, axis by axis."""
    parts = []
    for axis, name in ((0, "Ho"), (1, "Wo")):
        size, k = x_shape[2 + axis], w_shape[2 + axis]
        s, p, d = pair(stride)[axis], pair(padding)[axis], pair(dilation)[axis]
        out = output_size(size, k, s, p, d)
        parts.append(f"{name} = floor(({size} + 2*{p} - {d}*({k}-1) - 1)/{s}) + 1 = {out}")
    return "; ".join(parts)
