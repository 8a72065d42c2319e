"""Winograd's multiplication count: what the student's Winograd function does with d and g,
recorded as it runs and replayed by the grader on inputs nobody has seen.

Runs inside the child (part of the runtime package). ``d`` and ``g`` arrive as a CountingArray
(an ndarray subclass), and every NumPy operation on one (ufuncs, array functions, indexing,
assignment, reshapes and views) appends an entry to a tape: the operation and its operands,
each either an earlier entry's result or a constant (a plain value, copied). After the call the
runtime replays the tape from fresh random inputs d', g' that exist only then:

- the replayed result must be the convolution of d' and g' (the parent checks): a result
  computed on plain copies (``np.asarray``, ``tolist``, ``float``, ``memoryview``,
  ``.view(np.ndarray)``) is a constant on the tape and does not follow the new inputs;
- the multiplications are counted in the replay, so only what shapes the result through the
  tape counts, and nothing the student sends to the tape escapes the count. A multiplication is
  any non-linear step on a value that depends on both d and g: ``*``, ``/``, ``@``, ``einsum``,
  ``dot``, powers, ``exp``/``log`` ...; scaling by a constant, sums, differences and moving
  values around count nothing.

The tape lives in a generator's frame: student code can add entries (which are replayed and
counted like any other) but can neither read nor remove them (``gi_frame`` is refused).
"""
from __future__ import annotations

import os

import numpy as np

_UFUNCS = frozenset(v for v in vars(np).values() if type(v) is np.ufunc)
_FUNCTIONS = frozenset(v for m in (np, np.lib.stride_tricks, np.linalg, np.fft) for k, v in vars(m).items()
                       if callable(v) and not isinstance(v, type) and not k.startswith("_")) - {
    getattr(np, name, None) for name in ("apply_along_axis", "apply_over_axes", "piecewise", "frompyfunc", "fromfunction",
                                         "vectorize", "load", "loads", "fromfile", "genfromtxt", "loadtxt", "memmap")}
LINEAR_UFUNCS = frozenset({np.add, np.subtract, np.negative, np.positive})
SCALING_UFUNCS = frozenset({np.multiply, np.divide, np.matmul})
PRODUCTS = frozenset({np.einsum, np.dot, np.tensordot, np.inner, np.outer, np.kron, np.vdot, np.matmul})
STRUCTURAL = frozenset(getattr(np, n) for n in (
    "stack", "hstack", "vstack", "dstack", "concatenate", "block", "pad", "transpose", "swapaxes", "moveaxis", "reshape",
    "ravel", "squeeze", "expand_dims", "copy", "empty_like", "zeros_like", "ones_like", "full_like", "sum", "mean", "trace",
    "diagonal", "flip", "fliplr", "flipud", "rot90", "roll", "take", "atleast_1d", "atleast_2d", "atleast_3d",
    "broadcast_to", "tile", "repeat", "split", "array_split", "hsplit", "vsplit", "cumsum", "diff", "asarray",
    "ascontiguousarray", "result_type", "shape", "ndim", "size", "array") if hasattr(np, n))
METHODS = ("__getitem__", "reshape", "transpose", "swapaxes", "ravel", "flatten", "copy", "astype", "squeeze", "dot", "sum")
_VIEW_METHODS = ("__getitem__", "reshape", "transpose", "swapaxes", "ravel", "flatten", "copy", "astype", "squeeze")


_SCALAR_TYPES = tuple(t for t in set(np.sctypeDict.values()) if type(t) is type) + (float, int, complex, bool)
_CONSTANTS = frozenset({bool, int, float, complex, str} | {type(np.dtype(t)) for t in _SCALAR_TYPES if t not in (object,)}
                       | {t for t in _SCALAR_TYPES if issubclass(t, np.generic)})
"""Constants the replay may use as they are: Python and NumPy scalars, dtypes, scalar types (exact types only)."""


class Ref(tuple):
    """An operand that is the result of tape entry ``ref[0]``."""


class Poison:
    """An operand the replay cannot reproduce (an object of the student's): the replay fails."""


def _tape():
    """Appends what it is sent; ``(token,)`` from the runtime returns the entries (nobody else has the token)."""
    entries, token = [], object()
    item = yield token
    while True:
        if type(item) is tuple and len(item) == 1 and item[0] is token:
            item = yield list(entries)
        else:
            entries.append(item)
            item = yield len(entries) - 1


def _operand(value, tracked):
    """A tape operand: the entry that produced a tracked array, or a copy of a constant."""
    if isinstance(value, tracked):
        node = vars(value).get("_node")
        return Ref((node,)) if type(node) is int else np.array(value, copy=True, subok=False)
    if type(value) in (tuple, list):
        return type(value)(_operand(v, tracked) for v in value)
    if type(value) is np.ndarray:
        return value.copy()
    if value is None or value is Ellipsis or type(value) in _CONSTANTS or any(value is t for t in _SCALAR_TYPES):
        return value
    if type(value) is slice and all(type(p) in (int, type(None)) for p in (value.start, value.stop, value.step)):
        return value
    return Poison()  # an object of the student's: the replay must not run its code


def counting_array(send):
    """The CountingArray class for one call; ``send`` appends to the tape (see :func:`new_tape`)."""

    class CountingArray(np.ndarray):
        def _recorded(self, result, kind, fn, args, kwargs):
            if isinstance(result, np.generic):  # one element (d[i, j], a sum): a 0-d array, still on the tape
                result = np.asarray(result)
            if type(result) is np.ndarray:
                result = result.view(CountingArray)
            if isinstance(result, CountingArray):
                node = send((kind, fn, _operand(args, CountingArray), {k: _operand(v, CountingArray) for k, v in kwargs.items()}))
                vars(result)["_node"] = node
            elif type(result) in (tuple, list):  # split, ...: each part is a getitem of the whole
                whole = send((kind, fn, _operand(args, CountingArray), {k: _operand(v, CountingArray) for k, v in kwargs.items()}))
                parts = [r.view(CountingArray) if type(r) is np.ndarray else r for r in result]
                for i, part in enumerate(parts):
                    if isinstance(part, CountingArray):
                        vars(part)["_node"] = send(("item", i, (Ref((whole,)),), {}))
                result = type(result)(parts)
            return result

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            out = kwargs.pop("out", None)
            raw = [np.asarray(a) if isinstance(a, CountingArray) else a for a in inputs]
            result = getattr(ufunc, method)(*raw, **kwargs)
            recorded = self._recorded(result, "ufunc", (ufunc, method), inputs, kwargs)
            for target in (out or ()) if isinstance(recorded, CountingArray) else ():
                target[...] = recorded  # __setitem__: recorded (a plain target stays untracked)
            return recorded if not out else (out[0] if len(out) == 1 else out)

        def __array_function__(self, func, types_, args, kwargs):
            plain = [np.asarray(a) if isinstance(a, CountingArray) else a for a in args]
            plain = [[np.asarray(b) if isinstance(b, CountingArray) else b for b in a] if type(a) in (list, tuple) else a
                     for a in plain]
            result = func(*plain, **kwargs)
            return self._recorded(result, "function", func, args, kwargs)

        def __setitem__(self, key, value):
            np.ndarray.__setitem__(self, key, value)
            node = vars(self).get("_node")
            if type(node) is int:
                vars(self)["_node"] = send(("setitem", None, (Ref((node,)), _operand(key, CountingArray),
                                                             _operand(value, CountingArray)), {}))

        @property
        def T(self):
            return self.transpose()

    def method(name):
        def recorded(self, *args, **kwargs):
            result = getattr(np.ndarray, name)(self.view(np.ndarray), *args, **kwargs)
            return self._recorded(result, "method", name, (self,) + args, kwargs)

        recorded.__name__ = name
        return recorded

    for name in METHODS:
        setattr(CountingArray, name, method(name))
    return CountingArray


CONSTRUCTORS = ("empty", "zeros", "ones", "full")
"""NumPy's constructors from a shape: during the call they make tracked arrays, so that values
written into one element by element (``M = np.empty((4, 4)); M[i, j] = U[i, j] * V[i, j]``)
stay on the tape like any other operation (``np.array`` of tracked values too)."""


class tracked_constructors:
    """While active, ``np.empty`` and the other CONSTRUCTORS return arrays of ``cls`` whose tape
    entry is a constant (their initial contents); restored on exit."""

    def __init__(self, cls, send):
        self.cls, self.send, self.saved = cls, send, {}

    def __enter__(self):
        for name in CONSTRUCTORS:
            original = self.saved[name] = getattr(np, name)

            def made(*args, _original=original, **kwargs):
                array = _original(*args, **kwargs)
                if type(array) is not np.ndarray:
                    return array
                tracked = array.view(self.cls)
                vars(tracked)["_node"] = self.send(("const", None, (array.copy(),), {}))
                return tracked

            setattr(np, name, made)
        self.saved["array"] = np.array
        np.array = self.built
        return self

    def built(self, obj, *args, **kwargs):
        """``np.array`` of values that hold tracked ones (``np.array([[U[0, 0] * V[0, 0], ...]])``): on the tape."""
        array = self.saved["array"](obj, *args, **kwargs)
        if type(array) is not np.ndarray or not _holds(obj, self.cls):
            return array
        tracked = array.view(self.cls)
        operands = _operand((obj, *args), self.cls)
        vars(tracked)["_node"] = self.send(("function", self.saved["array"], operands,
                                            {k: _operand(v, self.cls) for k, v in kwargs.items()}))
        return tracked

    def __exit__(self, *exc):
        for name, original in self.saved.items():
            setattr(np, name, original)
        return False


def _holds(value, tracked, depth: int = 0) -> bool:
    """Whether ``value`` is, or nests in lists and tuples, an array of ``tracked``."""
    if isinstance(value, tracked):
        return True
    return depth < 4 and type(value) in (list, tuple) and any(_holds(v, tracked, depth + 1) for v in value)


def new_tape():
    """A fresh tape: ``(send, token)``; ``send((token,))`` returns its entries."""
    tape = _tape()
    token = next(tape)
    return tape.send, token


def track(array, cls, send, name):
    """``array`` as a tracked input: tape entry ``("input", name)``."""
    tracked = array.view(cls)
    vars(tracked)["_node"] = send(("input", name, (), {}))
    return tracked


def replay(entries, result, inputs: dict):
    """The tape replayed from ``inputs`` (name -> array): ``(value of result, multiplications)``,
    or ``(None, reason)`` when it cannot be (an untracked result, an operation off the list)."""
    node = getattr(result, "__dict__", {}).get("_node") if isinstance(result, np.ndarray) else None
    if type(node) is not int or not 0 <= node < len(entries):
        return None, "the result is not an array computed from d and g"
    values, deps, count = [], [], 0
    for kind, fn, args, kwargs in entries:
        try:
            value, dep, mults = _step(kind, fn, args, kwargs, values, deps, inputs)
        except Exception as exc:  # noqa: BLE001 - anything off the list
            value, dep, mults = exc, frozenset(), 0
        values.append(value)
        deps.append(dep)
        count += mults
    if isinstance(values[node], BaseException):
        return None, f"the recorded computation could not be replayed ({type(values[node]).__name__})"
    return values[node], count


def _resolve(operand, values, deps, found):
    if type(operand) is Ref:
        value = values[operand[0]]
        if isinstance(value, BaseException):
            raise ValueError("depends on a step that failed")
        found.append(deps[operand[0]])
        return value
    if type(operand) in (tuple, list):
        return type(operand)(_resolve(o, values, deps, found) for o in operand)
    if type(operand) is Poison:
        raise TypeError("an operand the grader cannot replay")
    return operand.copy() if type(operand) is np.ndarray else operand


def _step(kind, fn, args, kwargs, values, deps, inputs):
    if kind == "input":
        return inputs[fn].copy(), frozenset({fn}), 0
    if kind == "const":  # an array np.empty and the like made during the call (tracked_constructors)
        return np.array(args[0], copy=True), frozenset(), 0
    found: list = []
    args = _resolve(args, values, deps, found)
    kwargs = {k: _resolve(v, values, deps, found) for k, v in kwargs.items()}
    dep = frozenset().union(*found)
    mixed = len(dep) >= 2  # depends on both d and g
    if kind == "item":
        return args[0][fn], dep, 0
    if kind == "setitem":
        target, key, value = args
        target[key] = value
        return target, dep, 0
    if kind == "method" and fn in METHODS:
        value = getattr(np.ndarray, fn)(args[0], *args[1:], **kwargs)
        if fn == "dot" and sum(1 for d in found if d) >= 2 and mixed:
            return value, dep, int(np.size(value)) * int(np.shape(args[0])[-1])
        return value, dep, 0
    if kind == "ufunc" and type(fn) is tuple and fn[0] in _UFUNCS and fn[1] in ("__call__", "reduce", "accumulate", "outer"):
        ufunc, method = fn
        value = getattr(ufunc, method)(*args, **kwargs)
        operands = sum(1 for d in found if d)
        if not mixed or ufunc in LINEAR_UFUNCS or (ufunc in SCALING_UFUNCS and operands < 2):
            return value, dep, 0
        inner = int(np.shape(args[0])[-1]) if ufunc is np.matmul and np.ndim(args[0]) else 1
        return value, dep, int(np.size(value if method == "__call__" else args[0])) * inner
    if kind == "function" and fn in _FUNCTIONS:
        value = fn(*args, **kwargs)
        if fn in STRUCTURAL or not mixed:
            return value, dep, 0
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        if fn in PRODUCTS:
            if sum(1 for d in found if d) < 2:
                return value, dep, 0
            if fn is np.einsum and isinstance(args[0], str):
                return value, dep, _einsum_multiplies(args[0], args[1:])
            return value, dep, int(np.prod([np.size(a) for a in arrays[:2]]))
        return value, dep, int(np.size(value)) if isinstance(value, np.ndarray) else 1
    raise TypeError(f"{kind} {fn!r} is not an operation the grader replays")


def _einsum_multiplies(subscripts, operands):
    inputs = subscripts.replace(" ", "").split("->")[0].split(",")
    sizes = {}
    for letters, op in zip(inputs, operands):
        for letter, size in zip(letters, np.shape(op)):
            sizes[letter] = size
    return int(np.prod(list(sizes.values()))) * max(len(inputs) - 1, 1)


def fresh_like(array: np.ndarray) -> np.ndarray:
    """Random values of ``array``'s shape and dtype, drawn from the operating system (no seed to guess)."""
    rng = np.random.default_rng(int.from_bytes(os.urandom(16), "little"))
    return rng.standard_normal(array.shape).astype(array.dtype)

