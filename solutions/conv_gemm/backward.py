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

from ._args import check_array, check_conv_shapes, pad_hw, pair
from .cost import conv_output_size
from .im2col import col2im, sliding_windows


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
    # BEGIN SOLUTION backward
    # HINT: db sums dy; dw contracts the forward windows with dy; dx = col2im(W^T dy).
    ho = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(wd, kw, stride[1], padding[1], dilation[1])
    if dy.shape[2:] != (ho, wo):
        raise ValueError(f"dy must have the forward output's shape {(n, c_out, ho, wo)}, got {dy.shape}")
    dy = dy.astype(x.dtype, copy=False)
    w = w.astype(x.dtype, copy=False)
    g, c_out_g, k = groups, c_out // groups, c_per_group * kh * kw
    db = dy.sum(axis=(0, 2, 3))

    # Both gradients are GEMMs against the forward's im2col matrix, in F.unfold's layout
    # (g, C/g*kh*kw, Ho*Wo) per image. One image at a time: that matrix and W^T dy (each 9x the
    # image for a 3x3 kernel) stay in cache, instead of two batch-sized arrays in main memory.
    windows = sliding_windows(pad_hw(x, padding), (kh, kw), stride, dilation)
    windows = windows.reshape(n, g, c_per_group, ho, wo, kh, kw).transpose(0, 1, 2, 5, 6, 3, 4)
    dy_mat = dy.reshape(n, g, c_out_g, ho * wo)  # a view for a contiguous NCHW dy
    w_t = w.reshape(g, c_out_g, k).swapaxes(-1, -2)  # W^T, a view: BLAS reads it transposed
    dw = np.zeros((g, c_out_g, k), dtype=x.dtype)
    dx = np.empty_like(x)
    for i in range(n):
        cols = windows[i].reshape(g, k, ho * wo)  # the copy: its loop runs along output rows
        # dw = dy @ cols^T, summed over images: (C_out/g, L) @ (L, k); the transpose is a view
        dw += dy_mat[i] @ cols.swapaxes(-1, -2)
        # W^T dy: what each output pixel sends back to every (c, p, q) entry of its window
        dcols = w_t @ dy_mat[i]  # (g, k, L): col2im's (C*kh*kw, L) rows, in order
        dx[i] = col2im(dcols.reshape(1, c * kh * kw, ho * wo), (1, c, h, wd), (kh, kw), stride, padding, dilation)[0]
    dw = dw.reshape(w.shape)
    return dx, dw, db
    # END SOLUTION
