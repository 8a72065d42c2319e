"""Challenge: Winograd F(2, 3) (Lavin & Gray, 2016).

A 2x2 output tile of a 3x3 convolution needs 2*2*9 = 36 multiplications directly. Winograd
transforms the 4x4 input tile ``d`` and the 3x3 kernel ``g`` into a 4x4 domain where the
convolution is an elementwise product, 16 multiplications, then transforms back:

``Y = AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T``

The kernel transform is done once per filter, the input transform once per tile, and the
16 elementwise products of a whole layer become 16 GEMMs over channels.
"""
from __future__ import annotations

import numpy as np

from ._args import check_array, check_conv_shapes, pair


def winograd_f23_matrices():
    """The F(2, 3) transforms ``(BT, G, AT)`` of shapes ``(4, 4)``, ``(4, 3)``, ``(2, 4)``, float64."""
    # BEGIN SOLUTION winograd
    BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
    G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
    AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)
    return BT, G, AT
    # END SOLUTION


def winograd_tile(d, g) -> np.ndarray:
    """One F(2, 3) tile: ``d: (4, 4)`` input, ``g: (3, 3)`` kernel -> ``(2, 2)`` cross-correlation output.

    The elementwise product in the middle is the only multiplication between data and
    weights: 16 of them, against 36 for the direct computation.
    """
    if not isinstance(d, np.ndarray) or d.shape != (4, 4):
        raise ValueError(f"d must be a (4, 4) ndarray, got {getattr(d, 'shape', type(d).__name__)}")
    if not isinstance(g, np.ndarray) or g.shape != (3, 3):
        raise ValueError(f"g must be a (3, 3) ndarray, got {getattr(g, 'shape', type(g).__name__)}")
    # BEGIN SOLUTION winograd
    BT, G, AT = (m.astype(d.dtype) for m in winograd_f23_matrices())
    U = G @ g @ G.T  # kernel transform (4, 4)
    V = BT @ d @ BT.T  # input transform (4, 4)
    return AT @ (U * V) @ AT.T
    # END SOLUTION


def winograd_conv2d(x, w, b=None, padding=0) -> np.ndarray:
    """3x3, stride-1 convolution of a batch with F(2, 3) tiles, any H and W.

    Args:
        x: ``(N, C_in, H, W)``; w: ``(C_out, C_in, 3, 3)``; b: ``(C_out,)`` or None;
        padding: int or ``(h, w)``, >= 0.

    Returns:
        y: ``(N, C_out, H + 2p - 2, W + 2p - 2)`` in x's dtype.
    """
    check_array(x, "x", 4)
    check_array(w, "w", 4)
    if b is not None:
        check_array(b, "b", 1)
    check_conv_shapes(x.shape, w.shape, None if b is None else b.shape)
    if w.shape[2:] != (3, 3):
        raise ValueError(f"winograd_conv2d needs a 3x3 kernel, got w of shape {w.shape}")
    ph, pw = pair(padding, "padding", 0)
    n, c, h, wd = x.shape
    ho, wo = h + 2 * ph - 2, wd + 2 * pw - 2
    if ho < 1 or wo < 1:
        raise ValueError(f"output size ({ho}, {wo}) < 1: the padded input must be at least 3x3")
    # BEGIN SOLUTION winograd
    # HINT: tiles of 4x4 with stride 2 cover 2x2 outputs each; pad the bottom/right so they fit.
    BT, G, AT = (m.astype(x.dtype) for m in winograd_f23_matrices())
    c_out = w.shape[0]
    th, tw = -(-ho // 2), -(-wo // 2)  # tiles per axis, rounded up

    def signed_sum(row, parts, out):
        """The ufunc calls of ``out = sum_j row[j] * parts[j]`` for a row of 0 and +-1 entries, as BT's.

        Additions and subtractions only, no multiplications; every row of BT has exactly one +1
        and one other nonzero entry, so this is one call. Returned as ``(ufunc, a, b, out)`` to
        run for every image: the views are made once and the buffers reused.
        """
        plus = [p for p, m in zip(parts, row) if m > 0]
        minus = [p for p, m in zip(parts, row) if m < 0]
        first = (np.subtract, plus[0], minus.pop(0)) if minus else (np.add, plus[0], plus.pop(1))
        return [(*first, out)] + [(np.add, out, p, out) for p in plus[1:]] + [(np.subtract, out, p, out) for p in minus]

    # Kernel transform U = G g G^T, once per filter: 16 (C_out, C) matrices, one per point
    # (i, l) of the 4x4 transform domain.
    U = np.einsum("ij,ocjk,lk->iloc", G, w.astype(x.dtype, copy=False), G, optimize=True).reshape(16, c_out, c)
    # Output transform AT m AT^T as one (4, 16) matrix: y[r, s] = sum_il AT[r, i] AT[s, l] m[i, l]
    # (the Kronecker product AT x AT acting on the 16 entries of m). As one GEMM with K = 16 it
    # reads the 16 products once; the separable form is 24 add/subtract passes over memory.
    AA = np.einsum("ri,sl->rsil", AT, AT).reshape(4, 16)
    # Layout. Tile (t, u) reads rows 2t..2t+3 and columns 2u..2u+3 of the zero-padded image (padded
    # to 2*th + 2 rows and 2*tw + 2 columns, so that every tile fits). Split the padded image by
    # row and column parity: planes[a, b] = padded[:, a::2, b::2], (C, th+1, tw+1) each. Tile
    # row j is then plane row t + j // 2 of the planes with a = j % 2, and the same for columns:
    # each of the 16 entries of every tile is one plane shifted by 0 or 1 row and 0 or 1 column.
    # With each plane flattened, a shift is an offset into one long vector (1 for a column,
    # tw+1 for a row), so every transform step below is a ufunc pass over long contiguous
    # stretches (a whole plane per channel), not thousands of short strided rows. Positions with u = tw wrap around into the
    # next row: they are garbage, computed along and never written to y; so is tile row t = th,
    # which is not computed at all: V, M and the products hold th * (tw + 1) positions per channel.
    plane = (th + 1) * (tw + 1)
    size = c * plane
    width = th * (tw + 1)
    # One image at a time: its transformed tiles stay in cache from one stage to the next. The
    # work arrays are allocated once and reused (a fresh multi-MB array costs page faults).
    planes = np.zeros((2, 2, size), x.dtype)  # the padding: zeros written once, never overwritten
    half = np.zeros((2, 4, size), x.dtype)  # half[a, l]: column transform of the rows of parity a
    V = np.empty((c, width), x.dtype)  # one point (i, l) of the input transform, (C, positions)
    M = np.empty((4, 4, c_out, width), x.dtype)  # the 16 products U[i, l] @ V[i, l]
    out = np.empty((2, 2, c_out, th, tw + 1), x.dtype)  # out[r, s]: output pixel (2t + r, 2u + s)
    y = np.empty((n, c_out, th, 2, tw, 2), x.dtype)  # [n, o, t, r, u, s]: output pixel (2t + r, 2u + s)

    def parity(pad, a, length):
        """Plane entries and image slice of parity a: plane[t] = padded[2t + a] = image[2t + a - pad]."""
        t0 = max(0, -(-(pad - a) // 2))  # first plane entry that falls inside the image
        i0 = 2 * t0 + a - pad
        return slice(t0, t0 + len(range(i0, length, 2))), slice(i0, length, 2)

    # the four parity planes are filled straight from the image: no padded copy in between
    fill = [(planes[a, bb].reshape(c, th + 1, tw + 1)[:, pr, pc], (slice(None), ir, ic))
            for a in range(2) for bb in range(2)
            for (pr, ir), (pc, ic) in [(parity(ph, a, h), parity(pw, bb, wd))]]
    # Input transform V = BT d BT^T, columns first: tile column k is the plane of column parity
    # k % 2 shifted by k // 2 columns; both row parities a in one call (a (2, size) view).
    # (The last position of half is never computed: it is zero, and only feeds garbage.)
    cols = [planes[:, k % 2, k // 2 : k // 2 + size - 1] for k in range(4)]
    columns = [step for l in range(4) for step in signed_sum(BT[l], cols, half[:, l, : size - 1])]
    # Then rows, one point (i, l) at a time: tile row j is half[j % 2, l] shifted by j // 2 rows.
    half_c = half.reshape(2, 4, c, plane)
    points = []
    for i in range(4):
        for l in range(4):
            shifted = [half_c[j % 2, l, :, (j // 2) * (tw + 1) : (j // 2) * (tw + 1) + width] for j in range(4)]
            points.append((signed_sum(BT[i], shifted, V), U[4 * i + l], M[i, l]))
    for img, y_img in zip(x, y):
        for dest, src in fill:
            np.copyto(dest, img[src])
        for ufunc, p, q, o in columns:
            ufunc(p, q, out=o)
        # The multiplication stage: 16 GEMMs over channels, one per point (i, l) of the transform
        # domain, (C_out, C) @ (C, positions). This is where F(2, 3) saves 36/16 of the work.
        # Each V[i, l] is made right before its GEMM, into the same buffer (C x positions, 200 kB
        # at 56x56), so the GEMM reads it from cache rather than a 16 times larger V from memory.
        for row_transform, u, m in points:
            for ufunc, p, q, o in row_transform:
                ufunc(p, q, out=o)
            np.matmul(u, V, out=m)
        if b is not None:
            # Column 1 of AT is all ones, so a constant added to M[1, 1] reaches each of the four
            # outputs of a tile exactly once: the bias costs one pass over one (C_out, positions) matrix.
            M[1, 1] += b.astype(x.dtype, copy=False)[:, None]
        # Output transform AT m AT^T of every tile at once: (4, 16) @ (16, C_out * positions).
        np.matmul(AA, M.reshape(16, -1), out=out.reshape(4, -1))
        # Drop the wrap-around column u = tw and interleave the 2x2 outputs of each tile into y.
        for r in range(2):
            for s in range(2):
                np.copyto(y_img[:, :, r, :, s], out[r, s, :, :, :tw])
    y = y.reshape(n, c_out, 2 * th, 2 * tw)[:, :, :ho, :wo]
    return np.ascontiguousarray(y)  # a copy only for an odd output size (the crop)
    # END SOLUTION
