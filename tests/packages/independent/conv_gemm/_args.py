"""Argument checking shared by every module (scaffolding, not a graded lesson).

Every public function normalises ``stride``/``padding``/``dilation``/``kernel_size``
through :func:`pair` and checks tensor shapes through :func:`check_conv_shapes`, so a
bad argument always raises ``ValueError`` with a message that names the argument.
"""
from __future__ import annotations

import numbers

import numpy as np


def pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """Return ``value`` as an ``(h, w)`` pair of ints, each at least ``minimum``.

    Accepts an int or a length-2 sequence of ints; anything else raises ``ValueError``.
    """
    given = value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        h, w = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {given!r}") from None
    for v in (h, w):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool):
            raise ValueError(f"{name} must be an int or an (h, w) pair of ints, got {given!r}")
        if v < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {given!r}")
    return int(h), int(w)


def check_array(x, name: str, ndim: int | tuple[int, ...]) -> np.ndarray:
    """Check that ``x`` is a floating-point ``np.ndarray`` with ``ndim`` dimensions."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if x.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {want}, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{name} must have a floating dtype (float32 or float64), got {x.dtype}")
    return x


def check_conv_shapes(x_shape, w_shape, b_shape=None, groups: int = 1) -> None:
    """Check ``x: (N, C_in, H, W)``, ``w: (C_out, C_in // groups, kh, kw)``, ``b: (C_out,)``."""
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if len(x_shape) != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W), got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"w must be 4-D (C_out, C_in // groups, kh, kw), got shape {tuple(w_shape)}")
    c_in, c_out = x_shape[1], w_shape[0]
    if c_in % groups:
        raise ValueError(f"input channels ({c_in}) are not divisible by groups ({groups})")
    if c_out % groups:
        raise ValueError(f"output channels ({c_out}) are not divisible by groups ({groups})")
    if w_shape[1] * groups != c_in:
        raise ValueError(
            f"channel mismatch: x has {c_in} channels, w expects {w_shape[1]} per group "
            f"x {groups} group(s) = {w_shape[1] * groups}"
        )
    if b_shape is not None and tuple(b_shape) != (c_out,):
        raise ValueError(f"b must have shape ({c_out},), got {tuple(b_shape)}")


def pad_hw(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Zero-pad the last two axes of ``x`` by ``padding = (ph, pw)`` (no copy when zero)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(x, widths)
