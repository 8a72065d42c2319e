"""The canonical 5x5 example: one hand-traceable image and the Sobel-X kernel.

Students, the graders and the repository's tests all import these values from here.
Every expected output below is re-derived from ``torch.nn.functional.conv2d`` and
``torch.autograd`` by the repository's tests (tests/test_canonical.py), so no number
here is trusted on its own.

Position (0, 0) of the stride-1 output, by hand:
1*-1 + 2*0 + 0*1 + 0*-2 + 1*0 + 2*2 + 2*-1 + 0*0 + 1*1 = 2
"""
import numpy as np

X = np.array(
    [
        [1, 2, 0, 1, 3],
        [0, 1, 2, 3, 1],
        [2, 0, 1, 0, 2],
        [1, 3, 2, 1, 0],
        [0, 2, 1, 2, 1],
    ],
    dtype=np.float64,
)
"""The 5x5 input image, ``(H, W)``."""

W_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
"""The 3x3 Sobel-X kernel, ``(kh, kw)``."""

Y_STRIDE1 = np.array([[2, 3, 2], [1, 0, -1], [2, -4, -3]], dtype=np.float64)
"""Cross-correlation of X with W_SOBEL_X, stride 1, no padding: ``(3, 3)``."""

Y_STRIDE2 = np.array([[2, 2], [2, -3]], dtype=np.float64)
"""Stride 2: ``(2, 2)``."""

Y_PAD1_ROW0 = np.array([5, 0, 0, 5, -5], dtype=np.float64)
"""First row of the padding-1 output (the whole output is 5x5)."""

Y_DILATION2 = np.array([[3]], dtype=np.float64)
"""Dilation 2: the 3x3 kernel spans 5x5, one output pixel."""

DW_ONES = np.array([[9, 10, 13], [12, 13, 12], [12, 12, 10]], dtype=np.float64)
"""dL/dW for the stride-1 output with an all-ones upstream gradient: ``(3, 3)``."""

DX_ONES = np.array(
    [
        [-1, -1, 0, 1, 1],
        [-3, -3, 0, 3, 3],
        [-4, -4, 0, 4, 4],
        [-3, -3, 0, 3, 3],
        [-1, -1, 0, 1, 1],
    ],
    dtype=np.float64,
)
"""dL/dx for the stride-1 output with an all-ones upstream gradient: ``(5, 5)``."""


def as_nchw(image: np.ndarray, dtype=np.float64) -> np.ndarray:
    """``(H, W)`` -> ``(1, 1, H, W)`` in ``dtype``: the batched form every function takes."""
    return np.asarray(image, dtype=dtype)[None, None]
