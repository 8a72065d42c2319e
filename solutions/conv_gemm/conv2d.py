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
    # BEGIN SOLUTION conv2d
    # HINT: windows (N, C, Ho, Wo, kh, kw) -> split C into (groups, C // groups); same for w's C_out.
    n, c, h, wd = x.shape
    c_out, c_per_group, kh, kw = w.shape
    (ph, pw), g = padding, groups
    ho = conv_output_size(h, kh, stride[0], ph, dilation[0])  # ValueError below 1
    wo = conv_output_size(wd, kw, stride[1], pw, dilation[1])
    k, hw, c_out_g = c_per_group * kh * kw, ho * wo, c_out // g
    # The im2col matrix, per image and group, is (k + 1, Ho*Wo): F.unfold's rows (c, p, q) plus,
    # when there is a bias, a last row of ones. With b as the last column of W, the GEMM adds
    # the bias itself (no extra pass over y). Rows are the GEMM's K axis, columns its N axis.
    rows = k + (b is not None)
    # Caffe's schedule, in cache-sized pieces: im2col a piece, then its GEMM right away, while the
    # piece just written is still in the CPU's cache (BLAS reads it once more to pack it). The
    # whole batch's im2col matrix is kh*kw times the input (115 MB for x(16,64,56,56) and a 3x3
    # kernel): built at once, it would stream through main memory twice. A piece is about
    # 2 MiB (the size of a core's L2 cache on current CPUs, and measured best among 0.25 to 2
    # MiB on the shapes of bench/ref_ratios.py): several images when an image is small, else a
    # band of output rows of one image (the GEMM of a band writes rows r0..r1 of y[n], a
    # contiguous stretch of its Ho*Wo columns). Much smaller bands make many small GEMMs, each
    # of which packs all of W again.
    piece_bytes = 2 << 20
    row_bytes = g * rows * wo * x.itemsize  # im2col bytes per output row of one image
    chunk = int(max(1, min(n, piece_bytes // (row_bytes * ho))))  # images per piece
    band = ho if chunk > 1 else int(max(1, min(ho, piece_bytes // row_bytes)))  # output rows
    band = -(-ho // -(-ho // band))  # the same number of rows in every band (the last one may be shorter)
    # Padding is a copy: it goes into one zeroed buffer of `chunk` images whose border stays
    # zero, refilled per chunk; the windows are a view of that buffer (or of x, unpadded).
    padded = ph > 0 or pw > 0
    xpad = np.zeros((chunk, c, h + 2 * ph, wd + 2 * pw), x.dtype) if padded else x
    windows = sliding_windows(xpad, (kh, kw), stride, dilation)  # (chunk or N, C, Ho, Wo, kh, kw)
    windows = windows.reshape(-1, g, c_per_group, ho, wo, kh, kw)
    # One im2col buffer, reused by every piece: (image, group, k + 1, band * Wo). A shorter last
    # band uses the first columns of each row (still a plain matrix for BLAS: unit column stride).
    cols = np.empty((chunk, g, rows, band * wo), x.dtype)
    cols[:, :, k:] = 1
    w_mat = np.empty((g, c_out_g, rows), x.dtype)  # W: (C_out/g, C/g*kh*kw [+1 bias column])
    w_mat[:, :, :k] = w.reshape(g, c_out_g, k)
    if b is not None:
        w_mat[:, :, k] = b.reshape(g, c_out_g)
    # One batch axis for the einsum: (image, group) pairs. W repeats over the images of a chunk:
    # broadcast_to is a stride-0 view, so for groups=1 nothing is copied.
    w_batch = np.broadcast_to(w_mat, (chunk, g, c_out_g, rows)).reshape(chunk * g, c_out_g, rows)
    y = np.empty((n, c_out, ho, wo), x.dtype)
    y_batch = y.reshape(n * g, c_out_g, hw)  # a view: the GEMMs write y in NCHW order directly
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        if padded:
            xpad[:m, :, ph : ph + h, pw : pw + wd] = x[start : start + m]
            window_chunk = windows[:m]
        else:
            window_chunk = windows[start : start + m]
        for r0 in range(0, ho, band):
            r = min(band, ho - r0)
            piece = cols[:m, :, :, : r * wo]
            # im2col: windows (m, g, C/g, r, Wo, kh, kw) -> (m, g, C/g, kh, kw, r, Wo); the copy
            # runs along output rows, contiguous in the buffer
            im2col = piece[:, :, :k].reshape(m, g, c_per_group, kh, kw, r, wo)
            np.copyto(im2col, window_chunk[:, :, :, r0 : r0 + r].transpose(0, 1, 2, 5, 6, 3, 4))
            # y[b, o, l] = sum_k W[b, o, k] cols[b, k, l] for each (image, group) b of the piece.
            # How the operands are given decides whether einsum makes copies. NumPy 2.4 (pinned)
            # with optimize hands two operands to matmul, (second operand) @ (first operand), and
            # writes into `out` only when every index group (batch, rows of W, k, columns) is one
            # axis already in that order; otherwise it transposes, reshapes (a copy) or writes a
            # temporary and copies it into `out`. Hence cols first and W second, k already
            # flattened, and no batch axis when the piece is one image with one group. The path
            # is given explicitly (a single pairwise contraction), so no search runs per call.
            operands = (piece.reshape(m * g, rows, r * wo), w_batch[: m * g],
                        y_batch[start * g : (start + m) * g, :, r0 * wo : (r0 + r) * wo])
            if m * g == 1:
                operands, subscripts = [op[0] for op in operands], "kl,ok->ol"
            else:
                subscripts = "bkl,bok->bol"
            np.einsum(subscripts, *operands[:2], out=operands[2], optimize=["einsum_path", (0, 1)])
    return y
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
