"""sliding_windows is a zero-copy, read-only view; im2col_strided builds on it."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F


@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (1, 2), ((2, 1), (1, 3))])
def test_sliding_windows_shares_memory_and_is_read_only(ref, rng, stride, dilation):
    x = rng.standard_normal((2, 3, 11, 12))
    view = ref.sliding_windows(x, (3, 2), stride, dilation)
    assert np.shares_memory(view, x)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0, 0, 0, 0, 0, 0] = 1.0
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    n, c, ho, wo, kh, kw = view.shape
    assert (kh, kw) == (3, 2)
    for idx in [(0, 0, 0, 0, 0, 0), (1, 2, ho - 1, wo - 1, 2, 1), (1, 1, 1, 0, 1, 1)]:
        nn, cc, i, j, p, q = idx
        assert view[idx] == x[nn, cc, i * sh + p * dh, j * sw + q * dw]
    # the view sees writes to its base: it is a window onto x, not a snapshot
    x[1, 2, -1, -1] = 123.0
    assert 123.0 in view[1, 2]
    expected = F.unfold(torch.from_numpy(x), (3, 2), (dh, dw), 0, (sh, sw)).numpy().reshape(n, c, 3, 2, ho, wo)
    np.testing.assert_array_equal(view.transpose(0, 1, 4, 5, 2, 3), expected)


def test_sliding_windows_on_a_non_contiguous_input(ref, rng):
    base = rng.standard_normal((2, 12, 3, 10))
    x = base.transpose(0, 2, 1, 3)  # (2, 3, 12, 10), not contiguous
    view = ref.sliding_windows(x, 3, 2)
    assert np.shares_memory(view, base) and not view.flags.writeable
    np.testing.assert_array_equal(ref.im2col_strided(x, 3, 2), F.unfold(torch.from_numpy(x.copy()), 3, stride=2).numpy())


def test_im2col_strided_returns_a_new_array(ref, rng):
    x = rng.standard_normal((1, 2, 6, 6))
    cols = ref.im2col_strided(x, 3)
    assert not np.shares_memory(cols, x) and cols.flags.writeable
