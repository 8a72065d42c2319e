"""The canonical 5x5 example: every stated value re-derived from torch, then from the reference."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import SOLUTIONS


@pytest.fixture(scope="module")
def K(ref):
    return ref.canonical


def torch_forward(K, **kw):
    x = torch.from_numpy(K.X)[None, None]
    w = torch.from_numpy(K.W_SOBEL_X)[None, None]
    return F.conv2d(x, w, **kw)[0, 0].numpy()


def test_forward_values_come_from_torch(K):
    np.testing.assert_array_equal(torch_forward(K), K.Y_STRIDE1)
    np.testing.assert_array_equal(torch_forward(K, stride=2), K.Y_STRIDE2)
    padded = torch_forward(K, padding=1)
    assert padded.shape == (5, 5)
    np.testing.assert_array_equal(padded[0], K.Y_PAD1_ROW0)
    np.testing.assert_array_equal(torch_forward(K, dilation=2), K.Y_DILATION2)


def test_hand_trace_of_position_00(K):
    assert float(np.sum(K.X[:3, :3] * K.W_SOBEL_X)) == K.Y_STRIDE1[0, 0] == 2


def test_backward_values_come_from_autograd(K):
    x = torch.from_numpy(K.X)[None, None].requires_grad_()
    w = torch.from_numpy(K.W_SOBEL_X)[None, None].requires_grad_()
    F.conv2d(x, w).sum().backward()  # upstream gradient of all ones
    np.testing.assert_array_equal(w.grad[0, 0].numpy(), K.DW_ONES)
    np.testing.assert_array_equal(x.grad[0, 0].numpy(), K.DX_ONES)


def test_reference_reproduces_every_canonical_value(ref, K):
    x, w = K.as_nchw(K.X), K.as_nchw(K.W_SOBEL_X)
    for fn in (ref.conv2d, ref.conv2d_gemm, ref.conv2d_naive):
        np.testing.assert_array_equal(fn(x, w)[0, 0], K.Y_STRIDE1)
        np.testing.assert_array_equal(fn(x, w, stride=2)[0, 0], K.Y_STRIDE2)
        np.testing.assert_array_equal(fn(x, w, padding=1)[0, 0, 0], K.Y_PAD1_ROW0)
        np.testing.assert_array_equal(fn(x, w, dilation=2)[0, 0], K.Y_DILATION2)
    np.testing.assert_array_equal(ref.winograd_conv2d(x, w)[0, 0], K.Y_STRIDE1)
    y = ref.conv2d_unfold(torch.from_numpy(x), torch.from_numpy(w))
    np.testing.assert_array_equal(y[0, 0].numpy(), K.Y_STRIDE1)
    dx, dw, db = ref.conv2d_backward(np.ones((1, 1, 3, 3)), x, w)
    np.testing.assert_array_equal(dw[0, 0], K.DW_ONES)
    np.testing.assert_array_equal(dx[0, 0], K.DX_ONES)
    assert db.tolist() == [9.0]


def test_canonical_im2col_is_9x9_of_flattened_patches(ref, K):
    for fn in (ref.im2col_loop, ref.im2col_strided):
        cols = fn(K.X, 3)
        assert cols.shape == (9, 9)
        for i in range(3):
            for j in range(3):
                np.testing.assert_array_equal(cols[:, i * 3 + j], K.X[i : i + 3, j : j + 3].ravel())
        np.testing.assert_array_equal(K.W_SOBEL_X.ravel() @ cols, K.Y_STRIDE1.ravel())


def test_one_canonical_module_shared_by_starter(starter, ref):
    assert (SOLUTIONS / "canonical.py").read_text() == (
        SOLUTIONS.parents[1] / "assignments" / "conv_gemm" / "canonical.py"
    ).read_text()
    np.testing.assert_array_equal(starter.canonical.X, ref.canonical.X)
