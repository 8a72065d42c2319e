"""Values across the parent/child boundary: length-prefixed JSON, arrays as base64 bytes.

Nothing is unpickled. Decoding builds fresh, plain ``np.ndarray`` objects from raw bytes, so
whatever the child returns (a subclass with lying comparisons, a proxy) arrives in the
parent as plain data; types the format does not know arrive as :class:`Unsupported`.
This module is imported by both sides and must stay importable without torch.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass

import numpy as np

MAX_MESSAGE_BYTES = 64 << 20
_NUMERIC_KINDS = "biufc"
_NUMPY_SCALAR_TYPES = frozenset(np.dtype(code).type for code in "?bhilqBHILQefdFD")


@dataclass(frozen=True)
class Unsupported:
    """A value the wire format cannot carry; ``type_name`` says what the child had."""

    type_name: str


@dataclass(frozen=True)
class TensorValue:
    """A ``torch.Tensor`` that crossed the boundary: its data, and whether it tracked gradients."""

    array: np.ndarray
    requires_grad: bool


@dataclass(frozen=True)
class CallableSpec:
    """A callable the child builds from trusted code (parent -> child only), e.g. a recorded sleep."""

    kind: str
    params: dict


def _type_name(value) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _encode_array(a: np.ndarray) -> dict:
    return {"dtype": a.dtype.str, "shape": list(a.shape), "data": base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()}


def encode(value, _depth: int = 0):
    """Turn ``value`` into JSON-safe data; exact types only (a subclass is Unsupported)."""
    if _depth > 20:
        return {"__unsupported__": "nesting deeper than 20"}
    t = type(value)
    if value is None or t in (bool, int, str):
        return value
    if t is float:
        return {"__float__": repr(value)}  # keeps nan/inf exact and JSON-standard
    if t is np.ndarray:
        if value.dtype.kind not in _NUMERIC_KINDS:
            return {"__unsupported__": f"numpy.ndarray of dtype {value.dtype}"}
        return {"__ndarray__": _encode_array(value)}
    if t in (tuple, list):
        items = [encode(v, _depth + 1) for v in value]
        return {"__tuple__": items} if t is tuple else items
    if t is dict:
        if not all(type(k) is str for k in value):
            return {"__unsupported__": "dict with non-str keys"}
        return {"__dict__": [[k, encode(v, _depth + 1)] for k, v in value.items()]}
    if t is CallableSpec:
        return {"__callable__": value.kind, "params": value.params}
    if t is TensorValue:
        return {"__tensor__": _encode_array(value.array), "requires_grad": value.requires_grad}
    if t in _NUMPY_SCALAR_TYPES:
        return {"__npscalar__": _encode_array(np.asarray(value))}
    if t.__module__ == "torch" and t.__name__ == "Tensor":
        tensor = value.detach()
        if tensor.device.type != "cpu":
            tensor = tensor.cpu()
        return {
            "__tensor__": _encode_array(tensor.contiguous().numpy()),
            "requires_grad": bool(value.requires_grad),
        }
    return {"__unsupported__": _type_name(value)}


def _decode_array(d: dict) -> np.ndarray:
    dtype = np.dtype(d["dtype"])
    if dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"refusing dtype {dtype}")
    shape = tuple(int(s) for s in d["shape"])
    raw = base64.b64decode(d["data"])
    if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise ValueError("array byte count does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode(data, *, tensors_as=None):
    """Inverse of :func:`encode`. ``tensors_as(array, requires_grad)`` builds tensors (child side)."""
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is list:
        return [decode(v, tensors_as=tensors_as) for v in data]
    if type(data) is not dict or len(data) == 0:
        raise ValueError(f"malformed wire value of type {type(data).__name__}")
    if "__float__" in data:
        return float(data["__float__"])
    if "__ndarray__" in data:
        return _decode_array(data["__ndarray__"])
    if "__npscalar__" in data:
        return _decode_array(data["__npscalar__"])[()]
    if "__tuple__" in data:
        return tuple(decode(v, tensors_as=tensors_as) for v in data["__tuple__"])
    if "__dict__" in data:
        return {str(k): decode(v, tensors_as=tensors_as) for k, v in data["__dict__"]}
    if "__tensor__" in data:
        array = _decode_array(data["__tensor__"])
        if tensors_as is not None:
            return tensors_as(array, bool(data.get("requires_grad")))
        return TensorValue(array, bool(data.get("requires_grad")))
    if "__callable__" in data:
        return CallableSpec(str(data["__callable__"]), dict(data.get("params") or {}))
    if "__unsupported__" in data:
        return Unsupported(str(data["__unsupported__"]))
    raise ValueError(f"malformed wire value with keys {sorted(data)[:5]}")


def digest(array: np.ndarray) -> str:
    """A fingerprint of an array's values: the child's after a call against the parent's own copy."""
    a = np.ascontiguousarray(array)
    return hashlib.sha256(a.dtype.str.encode() + str(a.shape).encode() + a.tobytes()).hexdigest()


def frame(message: dict) -> bytes:
    """One message as bytes: an 8-byte big-endian length, then the JSON body."""
    body = json.dumps(message, allow_nan=False).encode()
    if len(body) > MAX_MESSAGE_BYTES:
        body = json.dumps({"ok": False, "error": {"type": "GraderLimit", "message": "result larger than 64 MiB"}}).encode()
    return struct.pack("!Q", len(body)) + body


def write_message(fd: int, message: dict) -> None:
    """Write one framed message to the (blocking) file descriptor ``fd``: the child's side."""
    view = memoryview(frame(message))
    while view:
        written = os.write(fd, view)
        view = view[written:]


class MessageReader:
    """Incremental reader of length-prefixed messages from a non-blocking parent-side pipe."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, chunk: bytes) -> list[dict]:
        self.buffer.extend(chunk)
        messages = []
        while len(self.buffer) >= 8:
            (length,) = struct.unpack("!Q", self.buffer[:8])
            if length > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {length} bytes exceeds the limit")
            if len(self.buffer) < 8 + length:
                break
            body = bytes(self.buffer[8 : 8 + length])
            del self.buffer[: 8 + length]
            try:
                message = json.loads(body)
            except (ValueError, RecursionError, UnicodeDecodeError) as exc:  # garbage, or nesting that exhausts the stack
                raise ValueError(f"unreadable message ({type(exc).__name__})") from None
            if type(message) is not dict:
                raise ValueError("message is not a JSON object")
            messages.append(message)
        if len(self.buffer) > 8 and struct.unpack("!Q", self.buffer[:8])[0] > MAX_MESSAGE_BYTES:
            raise ValueError("message exceeds the limit")
        return messages


def read_message_blocking(fd: int) -> dict | None:
    """Child side: read one whole message, or None at end of file."""
    header = _read_exact(fd, 8)
    if header is None:
        return None
    (length,) = struct.unpack("!Q", header)
    if length > MAX_MESSAGE_BYTES:
        raise ValueError("message too large")
    body = _read_exact(fd, length)
    if body is None:
        return None
    return json.loads(body)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = os.read(fd, n - len(chunks))
        if not chunk:
            return None
        chunks.extend(chunk)
    return bytes(chunks)
