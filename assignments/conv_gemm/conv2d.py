"""Objective 3 and exercise 2: a full conv2d as one contraction over a windowed view.

``y[n, o, i, j] = sum_{c, p, q} xpad[n, c, i*sh + p*dh, j*sw + q*dw] * w[o, c, p, q] + b[o]``

With the windows of the padded input as a zero-copy view ``(N, C, Ho, Wo, kh, kw)``, that
sum is a single ``np.einsum``; flattening ``(c, p, q)`` into one axis turns it into one GEMM
``W (C_out, C*kh*kw) @ cols (C*kh*kw, Ho*Wo)`` per image, which is :func:`conv2d_gemm`.
For speed the einsum runs per piece of the batch, a few images or a band of output rows of
one image (as Caffe runs im2col and its GEMM per image), so that the copied windows are still
in cache when the GEMM reads them.
Groups split the channels into ``groups`` independent convolutions side by side.
"""
from __future__ import annotations

import numpy as np

from ._args import check_array, check_conv_shapes, pad_hw, pair
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
    """2-D cross-correlation (``torch.nn.functional.conv2d``): padding + windowed view + ``np.einsum``.

    Args:
        x: ``(N, C_in, H, W)``; w: ``(C_out, C_in // groups, kh, kw)``; b: ``(C_out,)`` or None.
        stride, dilation: int or ``(h, w)``, >= 1; padding: int or ``(h, w)``, >= 0.
        groups: split ``C_in`` and ``C_out`` into this many independent convolutions.

    Returns:
        y: ``(N, C_out, Ho, Wo)`` in x's dtype.
    """
    w, b, stride, padding, dilation = _check_conv2d_args(x, w, b, stride, padding, dilation, groups)
    # TODO(conv2d): windows (N, C, Ho, Wo, kh, kw) -> split C into (groups, C // groups); same for w's C_out.
    raise NotImplementedError("conv2d: not implemented yet (question 'conv2d')")


def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """Exercise: the same convolution as an explicit GEMM, ``w.reshape(C_out, -1) @ im2col(x)``.

    Args and returns as :func:`conv2d`: ``x: (N, C_in, H, W)`` -> ``y: (N, C_out, Ho, Wo)``.
    """
    w, b, stride, padding, dilation = _check_conv2d_args(x, w, b, stride, padding, dilation, groups)
    # TODO(exercises): cols (N, C*kh*kw, L); with groups, view cols as (N, G, Cg*kh*kw, L) and w as (G, Cog, Cg*kh*kw).
    raise NotImplementedError("conv2d_gemm: not implemented yet (question 'exercises')")
