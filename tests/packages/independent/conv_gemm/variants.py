"""Objective 6: 1x1, grouped, depthwise and depthwise-separable convolution, and their sizes.

- 1x1: no spatial extent, so the convolution is one matmul per pixel: ``(C_out, C_in) @ (C_in,)``.
- grouped (``conv2d(..., groups=g)``): ``g`` independent convolutions, ``1/g`` of the weights and MACs.
- depthwise: ``groups == C``, one ``kh x kw`` filter per channel, no channel mixing.
- separable: depthwise (spatial mixing) then 1x1 (channel mixing), as in MobileNet.
"""
from __future__ import annotations

import numbers

import numpy as np

from ._args import check_array, pair
from .conv2d import conv2d


def conv1x1(x, w, b=None) -> np.ndarray:
    """A 1x1 convolution as a per-pixel matmul.

    Args:
        x: ``(N, C_in, H, W)``; w: ``(C_out, C_in, 1, 1)`` (or ``(C_out, C_in)``); b: ``(C_out,)`` or None.

    Returns:
        y: ``(N, C_out, H, W)`` in x's dtype.
    """
    check_array(x, "x", 4)
    check_array(w, "w", (2, 4))
    if w.ndim == 4:
        if w.shape[2:] != (1, 1):
            raise ValueError(f"conv1x1 needs a 1x1 kernel, got w of shape {w.shape}")
        w = w.reshape(w.shape[:2])
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"channel mismatch: x has {x.shape[1]} channels, w expects {w.shape[1]}")
    if b is not None:
        check_array(b, "b", 1)
        if b.shape != (w.shape[0],):
            raise ValueError(f"b must have shape ({w.shape[0]},), got {b.shape}")
    n, c, h, wd = x.shape
    y = np.matmul(w.astype(x.dtype), x.reshape(n, c, h * wd))  # (C_out, C_in) @ (N, C_in, H*W)
    if b is not None:
        y += b.astype(x.dtype)[:, None]
    return y.reshape(n, w.shape[0], h, wd)


def depthwise_conv2d(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """One filter per channel: ``conv2d`` with ``groups = C``.

    Args:
        x: ``(N, C, H, W)``; w: ``(C, 1, kh, kw)``; b: ``(C,)`` or None.

    Returns:
        y: ``(N, C, Ho, Wo)``.
    """
    check_array(x, "x", 4)
    check_array(w, "w", 4)
    if w.shape[0] != x.shape[1] or w.shape[1] != 1:
        raise ValueError(f"depthwise w must be (C, 1, kh, kw) = ({x.shape[1]}, 1, kh, kw), got {w.shape}")
    return conv2d(x, w, b, stride, padding, dilation, groups=w.shape[0])


def separable_conv2d(x, w_depthwise, w_pointwise, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Depthwise-separable convolution: depthwise ``kh x kw`` then pointwise 1x1, no bias.

    Args:
        x: ``(N, C_in, H, W)``; w_depthwise: ``(C_in, 1, kh, kw)``; w_pointwise: ``(C_out, C_in, 1, 1)``.

    Returns:
        y: ``(N, C_out, Ho, Wo)``.
    """
    check_array(w_pointwise, "w_pointwise", 4)
    mixed_space = depthwise_conv2d(x, w_depthwise, None, stride, padding, dilation)
    return conv1x1(mixed_space, w_pointwise)


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def conv2d_params(c_in, c_out, kernel_size, groups=1, bias=False) -> int:
    """Number of learnable parameters of a conv layer: ``c_out * (c_in // groups) * kh * kw`` (+ ``c_out`` with bias)."""
    for name, value in (("c_in", c_in), ("c_out", c_out), ("groups", groups)):
        _check_count(value, name)
    kh, kw = pair(kernel_size, "kernel_size")
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups ({groups}) must divide c_in ({c_in}) and c_out ({c_out})")
    weights = c_out * (c_in // groups) * kh * kw
    return weights + c_out if bias else weights


def separable_params(c_in, c_out, kernel_size) -> int:
    """Parameters of depthwise (``c_in * kh * kw``) plus pointwise (``c_in * c_out``), no bias.

    Quick check: ``separable_params(256, 256, 3) == 67_840``.
    """
    for name, value in (("c_in", c_in), ("c_out", c_out)):
        _check_count(value, name)
    kh, kw = pair(kernel_size, "kernel_size")
    depthwise = c_in * kh * kw
    pointwise = c_out * c_in
    return depthwise + pointwise
