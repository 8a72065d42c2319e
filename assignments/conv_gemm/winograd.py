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
    # TODO(winograd): your code here
    raise NotImplementedError("winograd_f23_matrices: not implemented yet (question 'winograd')")


def winograd_tile(d, g) -> np.ndarray:
    """One F(2, 3) tile: ``d: (4, 4)`` input, ``g: (3, 3)`` kernel -> ``(2, 2)`` cross-correlation output.

    The elementwise product in the middle is the only multiplication between data and
    weights: 16 of them, against 36 for the direct computation.
    """
    if not isinstance(d, np.ndarray) or d.shape != (4, 4):
        raise ValueError(f"d must be a (4, 4) ndarray, got {getattr(d, 'shape', type(d).__name__)}")
    if not isinstance(g, np.ndarray) or g.shape != (3, 3):
        raise ValueError(f"g must be a (3, 3) ndarray, got {getattr(g, 'shape', type(g).__name__)}")
    # TODO(winograd): your code here
    raise NotImplementedError("winograd_tile: not implemented yet (question 'winograd')")


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
    # TODO(winograd): tiles of 4x4 with stride 2 cover 2x2 outputs each; pad the bottom/right so they fit.
    raise NotImplementedError("winograd_conv2d: not implemented yet (question 'winograd')")
