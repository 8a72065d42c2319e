"""Objective 3 and exercise 2: a full conv2d as one contraction over a windowed view.

``y[n, o, i, j] = sum_{c, p, q} xpad[n, c, i*sh + p*dh, j*sw + q*dw] * w[o, c, p, q] + b[o]``

With the windows of the padded input as a zero-copy view ``(N, C, Ho, Wo, kh, kw)``, that
sum is a single ``np.einsum``; flattening ``(c, p, q)`` into one axis turns it into one GEMM
``W (C_out, C*kh*kw) @ cols (C*kh*kw, Ho*Wo)``, which is :func:`conv2d_gemm`.
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
    """2-D cross-correlation (``torch.nn.functional.conv2d``): padding + windowed view + one ``np.einsum``.

    Args:
        x: ``(N, C_in, H, W)``; w: ``(C_out, C_in // groups, kh, kw)``; b: ``(C_out,)`` or None.
        stride, dilation: int or ``(h, w)``, >= 1; padding: int or ``(h, w)``, >= 0.
        groups: split ``C_in`` and ``C_out`` into this many independent convolutions.

    Returns:
        y: ``(N, C_out, Ho, Wo)`` in x's dtype.
    """
    w, b, stride, padding, dilation = _check_conv2d_args(x, w, b, stride, padding, dilation, groups)
    # BEGIN SOLUTION conv2d
    # HINT: windows (N, C, Ho, Wo, kh, kw) -> split C into (groups, C // groups); same for w's C_out.
    n, c, _, _ = x.shape
    c_out, c_per_group, kh, kw = w.shape
    windows = sliding_windows(pad_hw(x, padding), (kh, kw), stride, dilation)
    ho, wo = windows.shape[2:4]
    # Batch axes of the GEMMs, "..." in the subscripts: the images, and the groups (C and C_out
    # split into (groups, C // groups), views both). Each is left out when it has length 1:
    # einsum would drop a length-1 axis with an extra full pass over the windows.
    n_axis, g_axis = (n,) if n > 1 else (), (groups,) if groups > 1 else ()
    windows = windows.reshape(*n_axis, *g_axis, c_per_group, ho, wo, kh, kw)
    w_groups = w.reshape(*g_axis, c_out // groups, c_per_group, kh, kw)
    # Speed comes from the layout einsum sees. With optimize=True, NumPy 2.4 (pinned) hands a
    # two-operand einsum to one batched matmul, (second operand) @ (first operand):
    # - broadcast_to gives w the batch axis n with stride 0 (no copy), so n is a batch index of
    #   both operands and the GEMMs write y straight into NCHW order: no transposed copy of y;
    # - (c, p, q) are w's trailing axes, so W is already a (C_out/g, C/g*kh*kw) matrix, and the one
    #   copy einsum makes is of the windows, into im2col's layout (n, g, C/g*kh*kw, Ho*Wo), whose
    #   copy loop runs along contiguous output rows. Swapping the operands would copy the windows
    #   with kw-long inner loops (several times slower) and transpose y afterwards.
    w_batch = np.broadcast_to(w_groups, n_axis + w_groups.shape)
    y = np.einsum("...chwpq,...ocpq->...ohw", windows, w_batch, optimize=True)
    y = y.reshape(n, c_out, ho, wo)
    if b is not None:
        y += b[:, None, None]  # in place: y is a fresh array, adding into it avoids one more copy
    return np.ascontiguousarray(y)  # already contiguous (then this is free); kept as a guarantee
    # END SOLUTION


def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """Exercise: the same convolution as an explicit GEMM, ``w.reshape(C_out, -1) @ im2col(x)``.

    Args and returns as :func:`conv2d`: ``x: (N, C_in, H, W)`` -> ``y: (N, C_out, Ho, Wo)``.
    """
    w, b, stride, padding, dilation = _check_conv2d_args(x, w, b, stride, padding, dilation, groups)
    # BEGIN SOLUTION exercises
    # HINT: cols (N, C*kh*kw, L); with groups, view cols as (N, G, Cg*kh*kw, L) and w as (G, Cog, Cg*kh*kw).
    n, c, h, wd = x.shape
    c_out, c_per_group, kh, kw = w.shape
    cols = im2col_strided(x, (kh, kw), stride, padding, dilation)  # (N, C*kh*kw, L)
    cols = cols.reshape(n, groups, c_per_group * kh * kw, cols.shape[-1])
    w_mat = w.reshape(groups, c_out // groups, c_per_group * kh * kw)
    y = w_mat @ cols  # broadcasts over N: (N, G, C_out/G, L)
    ho = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(wd, kw, stride[1], padding[1], dilation[1])
    y = y.reshape(n, c_out, ho, wo)
    if b is not None:
        y = y + b[None, :, None, None]
    return y
    # END SOLUTION
