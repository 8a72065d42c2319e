"""Objective 1: the shape and the cost of a convolution, and the loop baseline.

A 2-D convolution layer maps ``x: (N, C_in, H, W)`` and ``w: (C_out, C_in // groups, kh, kw)``
to ``y: (N, C_out, Ho, Wo)``. Each output element is a dot product of length
``C_in // groups * kh * kw``, so the layer costs ``N * C_out * Ho * Wo * C_in/groups * kh * kw``
multiply-accumulates (MACs); one MAC is two FLOPs.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._args import check_array, check_conv_shapes, pair


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1) -> int:
    """Output length along one spatial axis.

    ``floor((size + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1``

    Args:
        size: input length (H or W), an int >= 1.
        kernel_size, stride, dilation: ints >= 1; padding: an int >= 0.

    Returns:
        The output length, an int >= 1.

    Raises:
        ValueError: a non-int or out-of-range argument, or an output length below 1
            (the dilated kernel is larger than the padded input).
    """
    for name, value, low in (
        ("size", size, 1),
        ("kernel_size", kernel_size, 1),
        ("stride", stride, 1),
        ("padding", padding, 0),
        ("dilation", dilation, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    reach = dilation * kernel_size - dilation + 1  # first to last tap of the dilated kernel
    room = size + padding + padding - reach  # how far the window can slide
    if room < 0:
        raise ValueError(f"no output: the dilated kernel reaches {reach} pixels, the padded input has {size + 2 * padding}")
    return int(room // stride + 1)


def conv2d_macs(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1) -> int:
    """Multiply-accumulates of one forward convolution.

    Args:
        x_shape: ``(N, C_in, H, W)``; w_shape: ``(C_out, C_in // groups, kh, kw)``.

    Returns:
        ``N * C_out * Ho * Wo * (C_in // groups) * kh * kw`` as a Python int.
    """
    x_shape, w_shape = tuple(x_shape), tuple(w_shape)
    check_conv_shapes(x_shape, w_shape, None, groups)
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    ho = conv_output_size(x_shape[2], w_shape[2], stride[0], padding[0], dilation[0])
    wo = conv_output_size(x_shape[3], w_shape[3], stride[1], padding[1], dilation[1])
    per_output = math.prod(w_shape[1:])  # (C_in // groups) * kh * kw
    return int(x_shape[0] * w_shape[0] * ho * wo * per_output)


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The loop baseline: four nested loops over (n, c_out, i, j), one dot product each.

    Args:
        x: ``(N, C_in, H, W)``; w: ``(C_out, C_in, kh, kw)``; b: ``(C_out,)`` or None.

    Returns:
        y: ``(N, C_out, Ho, Wo)`` in x's dtype, the cross-correlation that
        ``torch.nn.functional.conv2d`` computes.
    """
    check_array(x, "x", 4)
    check_array(w, "w", 4)
    if b is not None:
        check_array(b, "b", 1)
    check_conv_shapes(x.shape, w.shape, None if b is None else b.shape)
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    batch, _, height, width = x.shape
    n_filters, _, kh, kw = w.shape
    ho = conv_output_size(height, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(width, kw, stride[1], padding[1], dilation[1])
    padded = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    rows = np.arange(kh) * dilation[0]
    cols = np.arange(kw) * dilation[1]
    out = np.empty((batch, n_filters, ho, wo), dtype=x.dtype)
    for n in range(batch):
        for o in range(n_filters):
            kernel = w[o].astype(x.dtype).ravel()
            for i in range(ho):
                for j in range(wo):
                    patch = padded[n][:, (i * stride[0] + rows)[:, None], (j * stride[1] + cols)[None, :]]
                    out[n, o, i, j] = np.dot(patch.ravel(), kernel)
    if b is not None:
        out += b.astype(x.dtype).reshape(1, -1, 1, 1)
    return out
