"""Hidden checks: seeded random configurations and edge cases. Never shipped to students.

Feedback names the property that failed, never the inputs. Each check draws from
``ctx.rng``, which is seeded from the recorded seed and the check's id.
"""
from __future__ import annotations

import numpy as np

from grader.checks import check, torch_conv2d
from grader.common import (OTHER_QUESTION_NOTE, check_backward, check_bias, check_benchmark_timing, check_forward, check_im2col,
                           check_unfold, check_windows, symmetric_input)

# (N, C_in, H, W, C_out, kernel, stride, padding, dilation, groups): the edge cases the issue names.
EDGE_CASES = {
    "stride larger than the kernel": (1, 2, 11, 10, 3, 2, 3, 0, 1, 1),
    "dilation with padding": (2, 2, 9, 8, 3, 3, 1, 2, 2, 1),
    "one-pixel output": (1, 3, 3, 3, 2, 3, 1, 0, 1, 1),
    "batch of one, C_in != C_out, non-square kernel": (1, 3, 8, 9, 5, (2, 3), 1, (1, 0), 1, 1),
    "pair-valued stride, padding and dilation": (2, 2, 10, 9, 3, 3, (2, 1), (0, 1), (1, 2), 1),
    "odd sizes, 1x1 kernel": (3, 4, 5, 7, 2, 1, 1, 0, 1, 1),
}


def _case(ctx, cfg, dtype=np.float64, groups_ok=True):
    n, c, h, w, co, k, s, p, d, g = cfg
    kh, kw = (k, k) if isinstance(k, int) else k
    x = ctx.randn(n, c, h, w, dtype=dtype)
    wt = ctx.randn(co, c // g, kh, kw, dtype=dtype)
    return x, wt, dict(stride=s, padding=p, dilation=d), g


def _random_cfg(ctx, groups=False):
    g = int(ctx.rng.choice([1, 2, 3])) if groups else 1
    c = g * int(ctx.rng.integers(1, 3))
    co = g * int(ctx.rng.integers(1, 3))
    kh, kw = (int(v) for v in ctx.rng.integers(1, 4, size=2))
    s = tuple(int(v) for v in ctx.rng.integers(1, 3, size=2))
    d = tuple(int(v) for v in ctx.rng.integers(1, 3, size=2))
    p = tuple(int(v) for v in ctx.rng.integers(0, 3, size=2))
    h = int(ctx.rng.integers(d[0] * (kh - 1) + 1, 10))
    w = int(ctx.rng.integers(d[1] * (kw - 1) + 1, 10))
    return (int(ctx.rng.integers(1, 3)), c, h, w, co, (kh, kw), s, p, d, g)


# ---------------------------------------------------------------- cost
@check("cost", "output size for random configurations", public=False)
def _(ctx):
    for _ in range(12):
        n, c, h, w, co, k, s, p, d, g = _random_cfg(ctx)
        y = torch_conv2d(np.zeros((1, 1, h, w)), np.zeros((1, 1) + k), stride=s, padding=p, dilation=d)
        ctx.expect_equal(ctx.call("conv_output_size", h, k[0], s[0], p[0], d[0]), y.shape[2], "conv_output_size")


@check("cost", "MACs with groups, stride and dilation", public=False)
def _(ctx):
    for _ in range(6):
        n, c, h, w, co, k, s, p, d, g = _random_cfg(ctx, groups=True)
        y = torch_conv2d(np.zeros((n, c, h, w)), np.zeros((co, c // g) + k), stride=s, padding=p, dilation=d, groups=g)
        expected = int(np.prod(y.shape)) * (c // g) * k[0] * k[1]
        ctx.expect_equal(ctx.call("conv2d_macs", (n, c, h, w), (co, c // g) + k, s, p, d, g), expected, "conv2d_macs")


@check("cost", "naive loop: stride, padding, dilation, batch, float32", public=False)
def _(ctx):
    for name in ("dilation with padding", "pair-valued stride, padding and dilation"):
        x, w, kw, _ = _case(ctx, EDGE_CASES[name])
        check_forward(ctx, "conv2d_naive", x, w, ctx.randn(w.shape[0]), **kw, label=f"conv2d_naive ({name})")
    x, w, kw, _ = _case(ctx, EDGE_CASES["stride larger than the kernel"], np.float32)
    check_forward(ctx, "conv2d_naive", x, w, **kw, label="conv2d_naive (float32)")


# ---------------------------------------------------------------- im2col
@check("im2col", "stride, padding and dilation together", public=False)
def _(ctx):
    for name in ("dilation with padding", "pair-valued stride, padding and dilation", "stride larger than the kernel"):
        n, c, h, w, co, k, s, p, d, g = EDGE_CASES[name]
        check_im2col(ctx, "im2col_loop", ctx.randn(n, c, h, w), k, s, p, d, label=f"im2col_loop ({name})")


@check("im2col", "non-square kernels, one-pixel output, float32", public=False)
def _(ctx):
    for name in ("batch of one, C_in != C_out, non-square kernel", "one-pixel output"):
        n, c, h, w, co, k, s, p, d, g = EDGE_CASES[name]
        check_im2col(ctx, "im2col_loop", ctx.randn(n, c, h, w, dtype=np.float32), k, s, p, d, label=f"im2col_loop ({name}, float32)")


# ---------------------------------------------------------------- strided
@check("strided", "zero-copy windows of a non-contiguous input", public=False)
def _(ctx):
    check_windows(ctx, ctx.randn(2, 3, 8, 9), (3, 2), stride=(2, 1), dilation=(1, 2), noncontiguous=True,
                  label="sliding_windows (non-contiguous input)")


@check("strided", "im2col_strided for random configurations", public=False)
def _(ctx):
    for _ in range(4):
        n, c, h, w, co, k, s, p, d, g = _random_cfg(ctx)
        check_im2col(ctx, "im2col_strided", ctx.randn(n, c, h, w), k, s, p, d, label="im2col_strided (random configuration)")


# ---------------------------------------------------------------- conv2d
for _name, _cfg in EDGE_CASES.items():

    @check("conv2d", _name, public=False)
    def _(ctx, _cfg=_cfg, _name=_name):
        x, w, kw, _ = _case(ctx, _cfg)
        check_forward(ctx, "conv2d", x, w, **kw, label=f"conv2d ({_name})")


@check("conv2d", "float32 stays float32, within float32 tolerance", public=False)
def _(ctx):
    x, w, kw, _ = _case(ctx, (2, 3, 9, 9, 4, 3, 1, 1, 1, 1), np.float32)
    check_forward(ctx, "conv2d", x, w, **kw, label="conv2d (float32 input)")


@check("conv2d", "non-contiguous input", public=False)
def _(ctx):
    x, w, kw, _ = _case(ctx, (2, 2, 7, 8, 3, 3, 2, 1, 1, 1))
    check_forward(ctx, "conv2d", x, w, **kw, noncontiguous=True, label="conv2d (non-contiguous input)")


# ---------------------------------------------------------------- unfold
@check("unfold", "forward and gradients for the edge cases", public=False, weight=2)
def _(ctx):
    for name in ("dilation with padding", "stride larger than the kernel", "pair-valued stride, padding and dilation"):
        x, w, kw, _ = _case(ctx, EDGE_CASES[name])
        check_unfold(ctx, x, w, ctx.randn(w.shape[0]), **kw, label=f"conv2d_unfold ({name})")


@check("unfold", "groups and float32", public=False)
def _(ctx):
    x, w, kw, g = _case(ctx, (2, 4, 7, 7, 6, 3, 1, 1, 1, 2), np.float32)
    check_unfold(ctx, x, w, None, **kw, groups=g, label="conv2d_unfold (groups=2, float32)")


# ---------------------------------------------------------------- backward
@check("backward", "random configurations against torch.autograd", public=False, weight=2)
def _(ctx):
    for _ in range(4):
        cfg = _random_cfg(ctx, groups=True)
        x, w, kw, g = _case(ctx, cfg)
        y = torch_conv2d(x, w, **kw, groups=g)
        check_backward(ctx, ctx.randn(*y.shape), x, w, **kw, groups=g, label="conv2d_backward (random configuration)")


@check("backward", "stride larger than the kernel, float32", public=False)
def _(ctx):
    x, w, kw, g = _case(ctx, EDGE_CASES["stride larger than the kernel"], np.float32)
    y = torch_conv2d(x, w, **kw)
    check_backward(ctx, ctx.randn(*y.shape, dtype=np.float32), x, w, **kw, label="conv2d_backward (stride > kernel, float32)")


@check("backward", "col2im matches F.fold with stride, padding and dilation", public=False)
def _(ctx):
    import torch
    import torch.nn.functional as F

    for name in ("dilation with padding", "pair-valued stride, padding and dilation"):
        n, c, h, w, co, k, s, p, d, g = EDGE_CASES[name]
        kk = (k, k) if isinstance(k, int) else k
        L = F.unfold(torch.zeros(n, c, h, w), kk, d, p, s).shape[-1]
        cols = ctx.randn(n, c * kk[0] * kk[1], L)
        expected = F.fold(torch.from_numpy(cols), (h, w), kk, d, p, s).numpy()
        ctx.expect_array(ctx.call("col2im", cols, (n, c, h, w), k, s, p, d), expected, f"col2im ({name})", dtype=np.float64)


# ---------------------------------------------------------------- exercises
@check("exercises", "bias on a batch of several channels", public=False)
def _(ctx):
    check_bias(ctx, 2, 3, 6, 4)


@check("exercises", "conv2d_gemm for the edge cases and with groups", public=False, weight=2)
def _(ctx):
    for name in ("dilation with padding", "stride larger than the kernel", "batch of one, C_in != C_out, non-square kernel"):
        x, w, kw, _ = _case(ctx, EDGE_CASES[name])
        check_forward(ctx, "conv2d_gemm", x, w, ctx.randn(w.shape[0]), **kw, label=f"conv2d_gemm ({name})")
    x, w, kw, g = _case(ctx, (2, 4, 6, 6, 6, 3, 1, 1, 1, 2))
    check_forward(ctx, "conv2d_gemm", x, w, **kw, groups=g, label="conv2d_gemm (groups=2)")


# ---------------------------------------------------------------- variants
@check("variants", "grouped conv2d matches F.conv2d with groups", public=False, weight=2)
def _(ctx):
    for g, c, co in ((2, 4, 6), (3, 3, 3)):
        x, w = symmetric_input(ctx, 2, c, 6, co, c // g)
        expected = torch_conv2d(x, w, groups=g)
        per_group = expected.reshape(2, g, co // g, *expected.shape[2:])
        interleaved = per_group.swapaxes(1, 2).reshape(expected.shape)
        ctx.expect_array(ctx.call("conv2d", x, w, None, groups=g), expected, f"conv2d with groups={g}", dtype=x.dtype,
                         diagnoses=[(interleaved, "output channels of the groups are interleaved; group i owns the consecutive "
                                     "block i*C_out/g ... (i+1)*C_out/g - 1")],
                         note=OTHER_QUESTION_NOTE)


@check("variants", "depthwise with stride, padding and dilation; separable against torch", public=False, weight=2)
def _(ctx):
    x, wd, wp = ctx.randn(2, 4, 9, 8), ctx.randn(4, 1, 3, 3), ctx.randn(5, 4, 1, 1)
    for s, p, d in ((2, 1, 1), (1, 2, 2)):
        b = ctx.randn(4)
        ctx.expect_array(ctx.call("depthwise_conv2d", x, wd, b, s, p, d), torch_conv2d(x, wd, b, s, p, d, 4), "depthwise_conv2d", dtype=x.dtype)
        expected = torch_conv2d(torch_conv2d(x, wd, None, s, p, d, 4), wp)
        ctx.expect_array(ctx.call("separable_conv2d", x, wd, wp, s, p, d), expected, "separable_conv2d", dtype=x.dtype)
    x32 = ctx.randn(1, 3, 5, 5, dtype=np.float32)
    w32 = ctx.randn(2, 3, 1, 1, dtype=np.float32)
    ctx.expect_array(ctx.call("conv1x1", x32, w32), torch_conv2d(x32, w32), "conv1x1 (float32)", dtype=np.float32)


@check("variants", "parameter counts against torch modules", public=False)
def _(ctx):
    import torch

    for c_in, c_out, k, g, bias in ((32, 64, (3, 5), 1, False), (48, 96, 3, 8, True), (16, 16, 5, 16, False)):
        expected = sum(p.numel() for p in torch.nn.Conv2d(c_in, c_out, k, groups=g, bias=bias).parameters())
        ctx.expect_equal(ctx.call("conv2d_params", c_in, c_out, k, g, bias), expected, "conv2d_params")
    for c_in, c_out, k in ((512, 512, 3), (32, 64, (3, 5))):
        mods = (torch.nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False), torch.nn.Conv2d(c_in, c_out, 1, bias=False))
        ctx.expect_equal(ctx.call("separable_params", c_in, c_out, k), sum(p.numel() for m in mods for p in m.parameters()), "separable_params")


# ---------------------------------------------------------------- layout
@check("layout", "strides and channels_last for other shapes", public=False)
def _(ctx):
    import torch

    for shape in ((1, 64, 7, 7), (4, 2, 3, 1)):
        ctx.expect_equal(ctx.call("strides_nchw", shape), tuple(torch.empty(shape).stride()), "strides_nchw", types=(tuple,))
        ctx.expect_equal(ctx.call("strides_nhwc", shape), tuple(torch.empty(shape).to(memory_format=torch.channels_last).stride()),
                         "strides_nhwc", types=(tuple,))
    x = ctx.randn(3, 5, 2, 4)
    ctx.expect_array(ctx.call("to_channels_last", x), x, "to_channels_last", dtype=x.dtype)


# ---------------------------------------------------------------- benchmark
@check("benchmark", "the table's times follow the run times of the calls it times", public=False)
def _(ctx):
    check_benchmark_timing(ctx, shape=((1, 3, 9, 9), (2, 3, 3, 3)))


# ---------------------------------------------------------------- winograd
@check("winograd", "odd sizes, padding, channels and float32", public=False, weight=2)
def _(ctx):
    for n, c, h, w, co, p, dtype in ((1, 2, 5, 8, 3, 0, np.float64), (2, 3, 9, 7, 2, 1, np.float64), (1, 4, 6, 6, 4, (2, 0), np.float32)):
        x, wt, b = ctx.randn(n, c, h, w, dtype=dtype), ctx.randn(co, c, 3, 3, dtype=dtype), ctx.randn(co, dtype=dtype)
        ctx.expect_array(ctx.call("winograd_conv2d", x, wt, b, padding=p), torch_conv2d(x, wt, b, padding=p), "winograd_conv2d", dtype=dtype)
