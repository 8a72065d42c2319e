"""Objectives 2 and 4: unroll every receptive field into a column (im2col), and back (col2im).

Layout, exactly what ``torch.nn.functional.unfold`` returns: ``cols: (N, C*kh*kw, L)`` with
rows ordered (c, i, j) (channel slowest, kernel column fastest) and columns row-major over
the ``L = Ho * Wo`` output positions. A 2-D ``(H, W)`` image gives ``(kh*kw, L)``: the 5x5
canonical image and a 3x3 kernel give a 9x9 matrix whose columns are the flattened patches.
"""
from __future__ import annotations

import numpy as np

from ._args import check_array, pair
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
    n, c, h, w = x.shape
    ho = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    padded = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    out = np.zeros((n, c, kh, kw, ho, wo), dtype=x.dtype)
    # one kernel tap (p, q) at a time: it sees every output position's pixel at that offset
    for p in range(kh):
        top = p * dilation[0]
        for q in range(kw):
            left = q * dilation[1]
            out[:, :, p, q] = padded[:, :, top : top + (ho - 1) * stride[0] + 1 : stride[0],
                                     left : left + (wo - 1) * stride[1] + 1 : stride[1]]
    return out.reshape(n, c * kh * kw, ho * wo)


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
    height, width = x.shape[-2:]
    out_h = conv_output_size(height, kh, stride[0], 0, dilation[0])
    out_w = conv_output_size(width, kw, stride[1], 0, dilation[1])
    step_h, step_w = x.strides[-2], x.strides[-1]
    lead_shape, lead_strides = list(x.shape[:-2]), list(x.strides[:-2])
    new_shape = lead_shape + [out_h, out_w, kh, kw]
    new_strides = lead_strides + [stride[0] * step_h, stride[1] * step_w, dilation[0] * step_h, dilation[1] * step_w]
    return np.lib.stride_tricks.as_strided(x, shape=tuple(new_shape), strides=tuple(new_strides), writeable=False)


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
    n, c = x.shape[0], x.shape[1]
    padded = np.pad(x, ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1])))
    view = sliding_windows(padded, (kh, kw), stride, dilation)  # (N, C, Ho, Wo, kh, kw)
    n_positions = view.shape[2] * view.shape[3]
    ordered = np.array(np.moveaxis(view, (4, 5), (2, 3)))  # (N, C, kh, kw, Ho, Wo), always a fresh array
    return ordered.reshape(n, c * kh * kw, n_positions)


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
    ho = conv_output_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_output_size(w, kw, stride[1], padding[1], dilation[1])
    if cols.shape[2] != ho * wo:
        raise ValueError(f"cols must have Ho*Wo = {ho * wo} columns for x_shape {x_shape}, got {cols.shape[2]}")
    hp, wp = h + 2 * padding[0], w + 2 * padding[1]
    # flat index, in the padded (Hp, Wp) plane, of every (p, q, i, j) entry of a channel's block
    r = np.arange(kh)[:, None] * dilation[0] + np.arange(ho)[None, :] * stride[0]  # (kh, Ho)
    s = np.arange(kw)[:, None] * dilation[1] + np.arange(wo)[None, :] * stride[1]  # (kw, Wo)
    plane = (r[:, None, :, None] * wp + s[None, :, None, :]).ravel()  # (kh*kw*Ho*Wo,)
    planes = np.arange(n * c)[:, None] * (hp * wp)  # one (Hp, Wp) plane per image and channel
    target = (planes + plane[None, :]).ravel()
    sums = np.bincount(target, weights=cols.reshape(-1).astype(np.float64), minlength=n * c * hp * wp)
    image = sums.reshape(n, c, hp, wp)[:, :, padding[0] : padding[0] + h, padding[1] : padding[1] + w]
    return image.astype(cols.dtype)
