"""Objective 5: NCHW vs NHWC (channels_last). Same logical shape, different memory order.

A tensor is always *indexed* ``(N, C, H, W)``; the layout decides the element strides.
NCHW (contiguous) keeps each channel's H x W plane together; NHWC keeps the C values of a
pixel together, which is what tensor-core convolution kernels want on a GPU.
"""
from __future__ import annotations

import numbers

import numpy as np


def _check_shape(shape):
    shape = tuple(shape)
    if len(shape) != 4 or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in shape):
        raise ValueError(f"shape must be 4 positive ints (N, C, H, W), got {shape!r}")
    return tuple(int(s) for s in shape)


def strides_nchw(shape) -> tuple:
    """Element strides of a contiguous NCHW tensor of ``shape = (N, C, H, W)``, indexed (N, C, H, W)."""
    n, c, h, w = _check_shape(shape)
    strides, step = [], 1
    for size in (w, h, c, n):  # innermost axis first
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def strides_nhwc(shape) -> tuple:
    """Element strides of a channels_last tensor of ``shape = (N, C, H, W)``, still indexed (N, C, H, W).

    ``torch.empty(shape).to(memory_format=torch.channels_last).stride()`` gives the same tuple.
    """
    n, c, h, w = _check_shape(shape)
    memory_order = {"n": n, "h": h, "w": w, "c": c}  # NHWC: c changes fastest in memory
    stride_of, step = {}, 1
    for axis in reversed(list(memory_order)):
        stride_of[axis] = step
        step *= memory_order[axis]
    return (stride_of["n"], stride_of["c"], stride_of["h"], stride_of["w"])


def to_channels_last(x) -> np.ndarray:
    """Copy ``x: (N, C, H, W)`` into NHWC memory; the result is still indexed ``(N, C, H, W)``.

    ``to_channels_last(x).strides`` (in elements) equals ``strides_nhwc(x.shape)``.
    """
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        raise ValueError(f"x must be a 4-D numpy.ndarray (N, C, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    n, c, h, w = x.shape
    storage = np.empty((n, h, w, c), dtype=x.dtype)
    storage[...] = np.moveaxis(x, 1, 3)
    return np.moveaxis(storage, 3, 1)


def benchmark_channels_last(x_shape, w_shape, dtype="float16", repeats=20) -> dict:
    """Time ``F.conv2d`` on CUDA in NCHW and in channels_last (NHWC) memory.

    Args:
        x_shape: ``(N, C_in, H, W)``; w_shape: ``(C_out, C_in, kh, kw)``; dtype: a torch dtype name.

    Returns:
        ``{"nchw_seconds", "nhwc_seconds", "speedup"}`` with median seconds and
        ``speedup = nchw_seconds / nhwc_seconds``.

    Raises:
        RuntimeError: CUDA is not available.
    """
    import torch
    import torch.nn.functional as F

    from .benchmark import time_callable

    if not isinstance(repeats, numbers.Integral) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    try:
        torch_dtype = getattr(torch, dtype)
    except AttributeError:
        raise ValueError(f"unknown dtype {dtype!r}") from None
    if not torch.cuda.is_available():
        raise RuntimeError("benchmark_channels_last needs a CUDA GPU; torch.cuda.is_available() is False here")
    inputs = torch.randn(tuple(x_shape), dtype=torch_dtype, device="cuda")
    weights = torch.randn(tuple(w_shape), dtype=torch_dtype, device="cuda")
    pad = (w_shape[2] // 2, w_shape[3] // 2)
    t_first = time_callable(lambda a, k: F.conv2d(a, k, padding=pad), inputs, weights, repeats=repeats, warmup=3, cuda=True)
    cl = torch.channels_last
    t_last = time_callable(lambda a, k: F.conv2d(a, k, padding=pad), inputs.contiguous(memory_format=cl),
                           weights.contiguous(memory_format=cl), repeats=repeats, warmup=3, cuda=True)
    return {"nchw_seconds": t_first, "nhwc_seconds": t_last, "speedup": t_first / t_last}
