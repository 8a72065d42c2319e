"""The grader's own implementations (used for the other questions while one is graded) against torch."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from configs import CONFIGS, config_id, kernel_hw
from conftest import ROOT
from grader.instructor import oracle
from grader.interface import MODULE_FUNCTIONS
from grader.questions import PREREQUISITES
from grader.standins import standin_source


@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_oracle_matches_torch(cfg, rng):
    n, c, h, w, co, k, s, p, d, g = cfg
    kh, kw = kernel_hw(k)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((co, c // g, kh, kw))
    b = rng.standard_normal(co)
    xt, wtt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, wt, b))
    y = F.conv2d(xt, wtt, bt, s, p, d, g)
    np.testing.assert_allclose(oracle.conv2d(x, wt, b, s, p, d, g), y.detach().numpy(), atol=1e-10)
    if g == 1:
        np.testing.assert_allclose(oracle.conv2d_naive(x, wt, b, s, p, d), y.detach().numpy(), atol=1e-10)
    cols = F.unfold(xt.detach(), (kh, kw), d, p, s).numpy()
    np.testing.assert_array_equal(oracle.im2col_strided(x, k, s, p, d), cols)
    np.testing.assert_allclose(oracle.col2im(cols, x.shape, k, s, p, d), F.fold(torch.from_numpy(cols), (h, w), (kh, kw), d, p, s).numpy(), atol=1e-10)
    dy = rng.standard_normal(tuple(y.shape))
    want = torch.autograd.grad(y, (xt, wtt, bt), torch.from_numpy(dy))
    for got, t in zip(oracle.conv2d_backward(dy, x, wt, s, p, d, g), want):
        np.testing.assert_allclose(got, t.numpy(), atol=1e-10)
    assert oracle.conv2d_macs(x.shape, wt.shape, s, p, d, g) == y.numel() * (c // g) * kh * kw


def test_oracle_small_functions(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    assert oracle.strides_nhwc(x.shape) == torch.empty(x.shape).to(memory_format=torch.channels_last).stride()
    assert oracle.strides_nchw(x.shape) == torch.empty(x.shape).stride()
    y = oracle.to_channels_last(x)
    assert np.array_equal(y, x) and y.strides[1] == y.itemsize
    w1 = rng.standard_normal((4, 3, 1, 1))
    np.testing.assert_allclose(oracle.conv1x1(x, w1), F.conv2d(torch.from_numpy(x), torch.from_numpy(w1)).numpy(), atol=1e-12)
    wd = rng.standard_normal((3, 1, 3, 3))
    np.testing.assert_allclose(oracle.depthwise_conv2d(x, wd, None, 1, 1), F.conv2d(torch.from_numpy(x), torch.from_numpy(wd), None, 1, 1, 1, 3).numpy(), atol=1e-12)
    assert oracle.separable_params(256, 256, 3) == 67_840 and oracle.conv2d_params(64, 128, 3, 4, True) == 128 * 16 * 9 + 128
    assert oracle.time_callable(lambda: None, repeats=3, warmup=0) >= 0


def test_oracle_does_not_import_torch_and_covers_dependencies():
    source = Path(oracle.__file__).read_text()
    assert "import torch" not in source and "scipy" not in source
    # every function another question's module may call is provided
    needed = {f for m in ("cost", "im2col", "conv2d", "backward", "variants", "layout") for f in MODULE_FUNCTIONS[m]} - {"benchmark_channels_last"}
    assert needed <= {name for name in dir(oracle) if not name.startswith("_")}


def test_oracle_windows_are_read_only_views_of_x(rng):
    """The stand-in sliding_windows is what the contract asks of the student's: code that fills a
    padded buffer after taking its windows (the reference conv2d does) depends on it."""
    x = rng.standard_normal((2, 3, 7, 6))
    win = oracle.sliding_windows(x, 3, stride=2, dilation=1)
    assert np.shares_memory(win, x) and not win.flags.writeable
    x += 1
    np.testing.assert_array_equal(win[0, 0, 0, 0], x[0, 0, :3, :3])


@pytest.mark.parametrize("function", sorted(PREREQUISITES))
def test_standins_hold_the_prerequisites_and_nothing_that_answers_the_function(function):
    names = PREREQUISITES[function]
    namespace = {}
    exec(compile(standin_source(names) if names else "", "<standins>", "exec"), namespace)
    for name in names:
        assert callable(namespace[name])
    defined = {k for k, v in namespace.items() if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) is None}
    public = {n for fns in MODULE_FUNCTIONS.values() for n in fns}
    assert function not in namespace, f"the grader's own {function} would be in the child while {function} is graded"
    assert (defined & public) <= set(names) | {"im2col_strided"}, defined & public  # im2col_loop's stand-in is built on it
