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
    # TODO(layout): your code here
    raise NotImplementedError("strides_nchw: not implemented yet (question 'layout')")


def strides_nhwc(shape) -> tuple:
    """Element strides of a channels_last tensor of ``shape = (N, C, H, W)``, still indexed (N, C, H, W).

    ``torch.empty(shape).to(memory_format=torch.channels_last).stride()`` gives the same tuple.
    """
    n, c, h, w = _check_shape(shape)
    # TODO(layout): your code here
    raise NotImplementedError("strides_nhwc: not implemented yet (question 'layout')")


def to_channels_last(x) -> np.ndarray:
    """Copy ``x: (N, C, H, W)`` into NHWC memory; the result is still indexed ``(N, C, H, W)``.

    ``to_channels_last(x).strides`` (in elements) equals ``strides_nhwc(x.shape)``.
    """
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        raise ValueError(f"x must be a 4-D numpy.ndarray (N, C, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    # TODO(layout): your code here
    raise NotImplementedError("to_channels_last: not implemented yet (question 'layout')")


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
    # TODO(layout): raise RuntimeError without CUDA; time F.conv2d on NCHW tensors, then on .to(memory_format=torch.channels_last) ones.
    raise NotImplementedError("benchmark_channels_last: not implemented yet (question 'layout')")
