"""Objective 3 and exercise 2: a full conv2d as one contraction over a windowed view.

``y[n, o, i, j] = sum_{c, p, q} xpad[n, c, i*sh + p*dh, j*sw + q*dw] * w[o, c, p, q] + b[o]``

With the windows of the padded input as a zero-copy view ``(N, C, Ho, Wo, kh, kw)``, that
sum is a single ``np.einsum``; flattening ``(c, p, q)`` into one axis turns it into one GEMM
``W (C_out, C*kh*kw) @ cols (C*kh*kw, Ho*Wo)``, which is :func:`conv2d_gemm`.
Groups split the channels into ``groups`` independent convolutions side by side.
"""
from __future__ import annotations

import numpy as np

from ._args import check_array, check_conv_shapes, pair
from .cost import conv_output_size
from .im2col import im2col_strided, sliding_windows


def _check_conv2d_args(x, w, b, stride, padding, dilation, groups):
    """Validate the common arguments; return ``(w, b, stride, padding, dilation)`` in x's dtype."""
    check_array(x, "x", 4)
    check_array(w, "w", 4)
    if b is not None:
        check_array(b, "b", 1)
    check_conv_shapes(x.shape, w.shape, None if b is None else b.shape, groups)
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    w = w.astype(x.dtype, copy=False)
    b = None if b is None else b.astype(x.dtype, copy=False)
    return w, b, stride, padding, dilation


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """2-D cross-correlation (``torch.nn.functional.conv2d``): padding + windowed view + one ``np.einsum``.

    Args:
        x: ``(N, C_in, H, W)``; w: ``(C_out, C_in // groups, kh, kw)``; b: ``(C_out,)`` or None.
        stride, dilation: int or ``(h, w)``, >= 1; padding: int or ``(h, w)``, >= 0.
        groups: split ``C_in`` and ``C_out`` into this many independent convolutions.

    Returns:
        y: ``(N, C_out, Ho, Wo)`` in x's dtype.
    """
    w, b, stride, padding, dilation = _check_conv2d_args(x, w, b, stride, padding, dilation, groups)
    batch, c_in = x.shape[:2]
    c_out, c_group, kh, kw = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    win = sliding_windows(padded, (kh, kw), stride, dilation)  # (N, C, Ho, Wo, kh, kw), a view
    ho, wo = win.shape[2], win.shape[3]
    o_group = c_out // groups
    y = np.empty((batch, c_out, ho, wo), dtype=x.dtype)
    for g in range(groups):  # one GEMM per group: (N*Ho*Wo, Cg*kh*kw) x (Cg*kh*kw, Cog)
        part = win[:, g * c_group : (g + 1) * c_group]
        kernel = w[g * o_group : (g + 1) * o_group]
        prod = np.tensordot(part, kernel, axes=([1, 4, 5], [1, 2, 3]))  # (N, Ho, Wo, Cog)
        y[:, g * o_group : (g + 1) * o_group] = np.moveaxis(prod, 3, 1)
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """Exercise: the same convolution as an explicit GEMM, ``w.reshape(C_out, -1) @ im2col(x)``.

    Args and returns as :func:`conv2d`: ``x: (N, C_in, H, W)`` -> ``y: (N, C_out, Ho, Wo)``.
    """
    w, b, stride, padding, dilation = _check_conv2d_args(x, w, b, stride, padding, dilation, groups)
    batch, c_in, height, width = x.shape
    c_out, c_group, kh, kw = w.shape
    depth = c_group * kh * kw
    cols = im2col_strided(x, (kh, kw), stride, padding, dilation)  # (N, C*kh*kw, L)
    ho = conv_output_size(height, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(width, kw, stride[1], padding[1], dilation[1])
    grouped_cols = cols.reshape(batch, groups, depth, ho * wo)
    grouped_w = w.reshape(groups, c_out // groups, depth)
    y = np.einsum("gok,ngkl->ngol", grouped_w, grouped_cols, optimize=True)
    y = y.reshape(batch, c_out, ho, wo)
    return y if b is None else y + b.reshape(1, c_out, 1, 1)
