"""Objective 4: the backward pass of conv2d. Both gradients are convolutions.

For ``y = conv2d(x, w, b)`` with upstream gradient ``dy = dL/dy: (N, C_out, Ho, Wo)``:

- ``db[o] = sum_{n, i, j} dy[n, o, i, j]``.
- ``dw = correlate(x, dy)``: ``dw[o, c, p, q] = sum_{n, i, j} xpad[n, c, i*sh + p*dh, j*sw + q*dw] * dy[n, o, i, j]``,
  the same windows as the forward pass, contracted over batch and output positions instead.
- ``dx = col2im(W^T @ dy)``: each output pixel sends ``w[o] * dy[n, o, i, j]`` back to the window
  it read. For stride 1 this equals the *full* convolution of dy (padded by ``d(k-1) - p``)
  with the 180-degree-rotated kernel ``w[:, :, ::-1, ::-1]`` (channels swapped); for stride > 1
  the rotated-kernel form needs dy dilated by the stride first. ``col2im`` handles every
  stride, padding and dilation with the same code, which is why it is used here.
"""
from __future__ import annotations

import numpy as np

from ._args import check_array, check_conv_shapes, pair
from .cost import conv_output_size
from .im2col import col2im, im2col_strided


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Gradients of ``conv2d(x, w, b, stride, padding, dilation, groups)``.

    Args:
        dy: upstream gradient ``(N, C_out, Ho, Wo)``.
        x: the forward input ``(N, C_in, H, W)``; w: ``(C_out, C_in // groups, kh, kw)``.

    Returns:
        ``(dx, dw, db)`` with shapes ``(N, C_in, H, W)``, ``(C_out, C_in // groups, kh, kw)``
        and ``(C_out,)``, in x's dtype.
    """
    check_array(dy, "dy", 4)
    check_array(x, "x", 4)
    check_array(w, "w", 4)
    check_conv_shapes(x.shape, w.shape, None, groups)
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    n, c, h, wd = x.shape
    c_out, c_per_group, kh, kw = w.shape
    if dy.shape[:2] != (n, c_out):
        raise ValueError(f"dy must be (N, C_out, Ho, Wo) = ({n}, {c_out}, Ho, Wo), got {dy.shape}")
    ho = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(wd, kw, stride[1], padding[1], dilation[1])
    if tuple(dy.shape[2:]) != (ho, wo):
        raise ValueError(f"dy must be (N, C_out, Ho, Wo) = {(n, c_out, ho, wo)}, got {dy.shape}")
    dy = dy.astype(x.dtype, copy=False)
    w = w.astype(x.dtype, copy=False)
    depth = c_per_group * kh * kw
    d_out = dy.reshape(n, groups, c_out // groups, ho * wo)
    cols = im2col_strided(x, (kh, kw), stride, padding, dilation).reshape(n, groups, depth, ho * wo)
    db = dy.sum(axis=(0, 2, 3))
    dw = np.einsum("ngol,ngkl->gok", d_out, cols, optimize=True).reshape(w.shape)
    d_cols = np.einsum("gok,ngol->ngkl", w.reshape(groups, c_out // groups, depth), d_out, optimize=True)
    dx = col2im(d_cols.reshape(n, c * kh * kw, ho * wo), x.shape, (kh, kw), stride, padding, dilation)
    return dx.astype(x.dtype, copy=False), dw, db
