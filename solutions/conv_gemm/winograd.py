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
    # zero-pad so that th tiles of 4 rows at stride 2 fit: 2*th + 2 rows (same for columns)
    xp = np.pad(x, [(0, 0), (0, 0), (ph, 2 * th + 2 - h - ph), (pw, 2 * tw + 2 - wd - pw)])

    def signed_sum(M, parts, out):
        """``out[i] = sum_j M[i, j] * parts[j]`` for a matrix of 0 and +-1 entries, as BT and AT are.

        The data transforms are therefore additions and subtractions only (one ufunc pass per
        term, no multiplications); every row of BT and AT has a +1 and at least two terms.
        """
        for i, row in enumerate(M):
            plus = [p for p, m in zip(parts, row) if m > 0]
            minus = [p for p, m in zip(parts, row) if m < 0]
            if minus:
                np.subtract(plus[0], minus.pop(0), out=out[i])
            else:
                np.add(plus[0], plus.pop(1), out=out[i])
            for p in plus[1:]:
                out[i] += p
            for p in minus:
                out[i] -= p

    # kernel transform U = G g G^T, once per filter: (4, 4, C_out, C)
    U = np.einsum("ij,ocjk,lk->iloc", G, w.astype(x.dtype, copy=False), G, optimize=True)
    y = np.empty((n, c_out, th, 2, tw, 2), x.dtype)  # [n, o, t, r, u, s]: output pixel (2t + r, 2u + s)
    # One image at a time: its transformed tiles (16 numbers per 4 pixels) stay in cache from one
    # stage to the next instead of streaming the whole batch's through memory at every stage.
    # The work arrays are allocated once and reused (a fresh multi-MB array costs page faults).
    even, odd = np.empty((2, c, 2 * th + 2, tw + 1), x.dtype)
    half = np.empty((4, c, 2 * th + 2, tw), x.dtype)
    V = np.empty((4, 4, c, th, tw), x.dtype)
    M = np.empty((4, 4, c_out, th * tw), x.dtype)
    rows = np.empty((2, 4, c_out, th, tw), x.dtype)
    for img, y_img in zip(xp, y):
        # Input transform V = BT d BT^T of every tile d at once, columns first. Tile column k of
        # tile u is image column 2u + k: split even and odd columns once, then all four are
        # contiguous slices.
        np.copyto(even, img[:, :, 0::2])
        np.copyto(odd, img[:, :, 1::2])
        tile_cols = [even[:, :, :tw], odd[:, :, :tw], even[:, :, 1:], odd[:, :, 1:]]
        signed_sum(BT, tile_cols, half)  # half[l] = sum_k BT[l, k] * (tile column k)
        # Rows: tile row j of tile t is image row 2t + j. V[i, l] is a (C, th*tw) matrix.
        for l in range(4):
            signed_sum(BT, [half[l][:, j : j + 2 * th : 2] for j in range(4)], V[:, l])
        # The multiplication stage: 16 GEMMs over channels, one per point of the 4x4 transform
        # domain, (C_out, C) @ (C, th*tw). This is where F(2, 3) saves 36/16 of the work.
        np.matmul(U, V.reshape(4, 4, c, th * tw), out=M)
        # Output transform AT M AT^T, rows then columns, written straight into y's 2x2 blocks.
        signed_sum(AT, M.reshape(4, 4, c_out, th, tw), rows)  # rows[r] = sum_i AT[r, i] * M[i]
        for r in range(2):
            signed_sum(AT, rows[r], [y_img[:, :, r, :, s] for s in range(2)])
    y = y.reshape(n, c_out, 2 * th, 2 * tw)[:, :, :ho, :wo]
    if b is not None:
        y = y + b.astype(x.dtype, copy=False)[None, :, None, None]
    return np.ascontiguousarray(y)
    # END SOLUTION
