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
    # interpolation points 0, 1, -1 and infinity
    BT = np.zeros((4, 4))
    BT[0, [0, 2]] = 1.0, -1.0
    BT[1, [1, 2]] = 1.0, 1.0
    BT[2, [1, 2]] = -1.0, 1.0
    BT[3, [1, 3]] = 1.0, -1.0
    G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
    AT = np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, -1.0]])
    return BT, G, AT


def winograd_tile(d, g) -> np.ndarray:
    """One F(2, 3) tile: ``d: (4, 4)`` input, ``g: (3, 3)`` kernel -> ``(2, 2)`` cross-correlation output.

    The elementwise product in the middle is the only multiplication between data and
    weights: 16 of them, against 36 for the direct computation.
    """
    if not isinstance(d, np.ndarray) or d.shape != (4, 4):
        raise ValueError(f"d must be a (4, 4) ndarray, got {getattr(d, 'shape', type(d).__name__)}")
    if not isinstance(g, np.ndarray) or g.shape != (3, 3):
        raise ValueError(f"g must be a (3, 3) ndarray, got {getattr(g, 'shape', type(g).__name__)}")
    _, G, _ = (m.astype(d.dtype) for m in winograd_f23_matrices())

    def input_transform(t):  # rows of BT @ t, (4, k) -> (4, k): additions only
        out = np.empty_like(t)
        out[0], out[1], out[2], out[3] = t[0] - t[2], t[1] + t[2], t[2] - t[1], t[1] - t[3]
        return out

    def output_transform(t):  # rows of AT @ t, (4, k) -> (2, k): additions only
        out = np.empty_like(t[:2])
        out[0], out[1] = t[0] + t[1] + t[2], t[1] - t[2] - t[3]
        return out

    V = input_transform(input_transform(d).T).T  # BT d BT^T
    U = np.matmul(np.matmul(G, g.astype(d.dtype)), G.T)  # G g G^T: weights only
    M = U * V  # the 16 multiplications between data and weights
    return output_transform(output_transform(M).T).T  # AT M AT^T


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
    BT, G, AT = (m.astype(x.dtype) for m in winograd_f23_matrices())
    c_out = w.shape[0]
    tiles_h, tiles_w = (ho + 1) // 2, (wo + 1) // 2
    need_h, need_w = 2 * tiles_h + 2, 2 * tiles_w + 2  # rows/columns the tiles read
    xp = np.zeros((n, c, need_h, need_w), dtype=x.dtype)  # need_h >= ho + 2 = h + 2*ph: x always fits
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    tiles = np.lib.stride_tricks.sliding_window_view(xp, (4, 4), axis=(2, 3))[:, :, ::2, ::2]  # (N, C, th, tw, 4, 4)
    V = np.einsum("ij,nctujk,lk->ilcntu", BT, tiles, BT, optimize=True)  # (4, 4, C, N, th, tw)
    U = np.einsum("ij,ocjk,lk->iloc", G, w.astype(x.dtype), G, optimize=True)  # (4, 4, C_out, C)
    M = U @ V.reshape(4, 4, c, n * tiles_h * tiles_w)  # 16 GEMMs over channels
    Y = np.einsum("ri,iloP,sl->orsP", AT, M, AT, optimize=True)  # (C_out, 2, 2, N*th*tw)
    Y = Y.reshape(c_out, 2, 2, n, tiles_h, tiles_w).transpose(3, 0, 4, 1, 5, 2)
    y = Y.reshape(n, c_out, 2 * tiles_h, 2 * tiles_w)[:, :, :ho, :wo]
    if b is not None:
        y = y + b.astype(x.dtype)[None, :, None, None]
    return np.ascontiguousarray(y)
