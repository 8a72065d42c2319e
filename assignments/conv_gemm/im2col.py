"""Objectives 2 and 4: unroll every receptive field into a column (im2col), and back (col2im).

Layout, exactly what ``torch.nn.functional.unfold`` returns: ``cols: (N, C*kh*kw, L)`` with
rows ordered (c, i, j) (channel slowest, kernel column fastest) and columns row-major over
the ``L = Ho * Wo`` output positions. A 2-D ``(H, W)`` image gives ``(kh*kw, L)``: the 5x5
canonical image and a 3x3 kernel give a 9x9 matrix whose columns are the flattened patches.
"""
from __future__ import annotations

import numpy as np

from ._args import check_array, pad_hw, pair
from .cost import conv_output_size


def im2col_loop(x, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """im2col by hand: copy each (dilated) window into its column, one output position at a time.

    Args:
        x: ``(N, C, H, W)`` or a single image ``(H, W)``.
        kernel_size, stride, dilation: int or ``(h, w)``, >= 1; padding: int or ``(h, w)``, >= 0.

    Returns:
        ``(N, C*kh*kw, Ho*Wo)``, or ``(kh*kw, Ho*Wo)`` for a 2-D input, in x's dtype.
    """
    check_array(x, "x", (2, 4))
    (kh, kw) = pair(kernel_size, "kernel_size")
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    if x.ndim == 2:
        return im2col_loop(x[None, None], (kh, kw), stride, padding, dilation)[0]
    # TODO(im2col): column number i * Wo + j holds the window whose top-left corner is (i*sh, j*sw).
    raise NotImplementedError("im2col_loop: not implemented yet (question 'im2col')")


def sliding_windows(x, kernel_size, stride=1, dilation=1) -> np.ndarray:
    """Every (dilated) window of ``x`` as a zero-copy, read-only strided view.

    No padding argument: padding makes a copy, so pad first and pass the padded array.

    Args:
        x: ``(N, C, H, W)`` or ``(H, W)``.

    Returns:
        A read-only view ``(N, C, Ho, Wo, kh, kw)`` (``(Ho, Wo, kh, kw)`` for 2-D input)
        that shares memory with ``x``: ``view[n, c, i, j, p, q] == x[n, c, i*sh + p*dh, j*sw + q*dw]``.
    """
    check_array(x, "x", (2, 4))
    (kh, kw) = pair(kernel_size, "kernel_size")
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    # TODO(strided): np.lib.stride_tricks.as_strided(x, shape=..., strides=..., writeable=False)
    raise NotImplementedError("sliding_windows: not implemented yet (question 'strided')")


def im2col_strided(x, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """im2col without Python loops: pad, take :func:`sliding_windows`, reorder, reshape.

    Same arguments and result as :func:`im2col_loop`: ``(N, C*kh*kw, Ho*Wo)``
    (``(kh*kw, Ho*Wo)`` for a 2-D input). The result is a new array, not a view.
    """
    check_array(x, "x", (2, 4))
    (kh, kw) = pair(kernel_size, "kernel_size")
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    if x.ndim == 2:
        return im2col_strided(x[None, None], (kh, kw), stride, padding, dilation)[0]
    # TODO(strided): (N, C, Ho, Wo, kh, kw) -> (N, C, kh, kw, Ho, Wo) -> reshape; the reshape makes the one copy.
    raise NotImplementedError("im2col_strided: not implemented yet (question 'strided')")


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The adjoint of im2col (what ``torch.nn.functional.fold`` does): scatter columns back, summing overlaps.

    Args:
        cols: ``(N, C*kh*kw, Ho*Wo)``, or ``(kh*kw, Ho*Wo)`` when ``x_shape`` is ``(H, W)``.
        x_shape: the shape of the image that was unrolled, ``(N, C, H, W)`` or ``(H, W)``.

    Returns:
        An array of shape ``x_shape`` in cols' dtype. ``<im2col(x), cols> == <x, col2im(cols)>``
        for every x and cols: each input pixel receives the sum of every column entry it fed.
    """
    check_array(cols, "cols", (2, 3))
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) not in (2, 4):
        raise ValueError(f"x_shape must be (N, C, H, W) or (H, W), got {x_shape}")
    (kh, kw) = pair(kernel_size, "kernel_size")
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    if len(x_shape) == 2:
        if cols.ndim != 2:
            raise ValueError(f"cols must be 2-D (kh*kw, L) for a 2-D x_shape, got shape {cols.shape}")
        return col2im(cols[None], (1, 1) + x_shape, (kh, kw), stride, padding, dilation)[0, 0]
    if cols.ndim != 3:
        raise ValueError(f"cols must be 3-D (N, C*kh*kw, L) for a 4-D x_shape, got shape {cols.shape}")
    n, c, h, w = x_shape
    if cols.shape[:2] != (n, c * kh * kw):
        raise ValueError(f"cols must have shape (N, C*kh*kw, L) = ({n}, {c * kh * kw}, L) for x_shape {x_shape}, got {cols.shape}")
    # TODO(backward): loop over the kh*kw kernel offsets; each one adds an (N, C, Ho, Wo) block into a strided slice.
    raise NotImplementedError("col2im: not implemented yet (question 'backward')")
