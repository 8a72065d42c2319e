"""Public checks: students run these with `make check`; their feedback shows the call made.

Inputs are the canonical 5x5 example or small seeded arrays; expected values come from
torch (F.conv2d, F.unfold, F.fold, autograd), computed here, never by student code.
"""
from __future__ import annotations

import numpy as np

from grader import wire
from grader.checks import check, positive_real, torch_conv2d
from grader.common import (call_text, check_backward, check_bias, check_benchmark_timing, check_forward, check_im2col,
                           check_unfold, check_windows, method_check)
from grader.trusted import canonical


def _canon(dtype=np.float64):
    K = canonical()
    return K.as_nchw(K.X, dtype), K.as_nchw(K.W_SOBEL_X, dtype)


# ---------------------------------------------------------------- cost
@check("cost", "conv_output_size on the canonical 5x5", public=True)
def _(ctx):
    x, w = _canon()
    for kw in (dict(stride=1), dict(stride=2), dict(padding=1), dict(dilation=2)):
        expected = torch_conv2d(x, w, **kw).shape[2]
        args = dict(stride=kw.get("stride", 1), padding=kw.get("padding", 0), dilation=kw.get("dilation", 1))
        ctx.expect_equal(ctx.call("conv_output_size", 5, 3, **args), expected, f"conv_output_size(5, 3, {args})")


@check("cost", "conv_output_size raises ValueError when the kernel does not fit", public=True)
def _(ctx):
    ctx.expect_raises(ctx.call("conv_output_size", 3, 5), "ValueError", "conv_output_size(3, 5)")


@check("cost", "conv2d_macs of the ResNet-50 stem", public=True)
def _(ctx):
    y_shape = torch_conv2d(np.zeros((1, 3, 224, 224)), np.zeros((64, 3, 7, 7)), stride=2, padding=3).shape
    expected = int(np.prod(y_shape)) * 3 * 7 * 7  # one MAC per output element per weight it reads
    ctx.expect_equal(ctx.call("conv2d_macs", (1, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3), expected,
                     "conv2d_macs((1, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3)")


@check("cost", "conv2d_naive on the canonical 5x5", public=True)
def _(ctx):
    x, w = _canon()
    check_forward(ctx, "conv2d_naive", x, w, label="conv2d_naive(canonical x, Sobel-X w)")
    check_forward(ctx, "conv2d_naive", x, w, stride=2, label="conv2d_naive(canonical x, Sobel-X w, stride=2)")


# ---------------------------------------------------------------- im2col
@check("im2col", "canonical 5x5 -> 9x9 matrix of flattened patches", public=True)
def _(ctx):
    check_im2col(ctx, "im2col_loop", canonical().X.copy(), 3, label="im2col_loop(canonical X (5, 5), 3)")


@check("im2col", "batched multi-channel input matches F.unfold", public=True)
def _(ctx):
    check_im2col(ctx, "im2col_loop", ctx.randn(2, 3, 6, 7), 3)


@check("im2col", "stride, padding and dilation match F.unfold", public=True)
def _(ctx):
    x = ctx.randn(1, 2, 7, 7)
    for kw in (dict(stride=2), dict(padding=1), dict(dilation=2)):
        check_im2col(ctx, "im2col_loop", x, 3, **kw)


# ---------------------------------------------------------------- strided
@check("strided", "sliding_windows on the canonical 5x5: values, zero-copy, read-only", public=True)
def _(ctx):
    x, _ = _canon()
    check_windows(ctx, x, 3, label="sliding_windows(canonical x (1, 1, 5, 5), 3)")


@check("strided", "sliding_windows with stride 2 and dilation 2", public=True)
def _(ctx):
    x = ctx.randn(2, 3, 9, 8)
    check_windows(ctx, x, 3, stride=2)
    check_windows(ctx, x, (2, 3), dilation=2)


@check("strided", "im2col_strided matches F.unfold", public=True)
def _(ctx):
    check_im2col(ctx, "im2col_strided", canonical().X.copy(), 3, label="im2col_strided(canonical X (5, 5), 3)")
    check_im2col(ctx, "im2col_strided", ctx.randn(2, 3, 7, 6), 3, padding=1, stride=2)


# ---------------------------------------------------------------- conv2d
for _kw in (dict(), dict(stride=2), dict(padding=1), dict(dilation=2)):
    _name = ", ".join(f"{k} {v}" for k, v in _kw.items()) or "stride 1"

    @check("conv2d", f"canonical 5x5, {_name}", public=True)
    def _(ctx, _kw=_kw):
        x, w = _canon()
        check_forward(ctx, "conv2d", x, w, **_kw, label=f"conv2d(canonical x, Sobel-X w{''.join(f', {k}={v}' for k, v in _kw.items())})")


@check("conv2d", "method: im2col + one GEMM, no Python loop over output positions", public=True, weight=0.5)
def _(ctx):
    method_check(ctx, "conv2d")


@check("exercises", "method: conv2d_gemm is im2col + one matrix product, no Python loop over output positions", public=True, weight=0.5)
def _(ctx):
    method_check(ctx, "conv2d_gemm")


@check("conv2d", "batch of 2, 3 -> 4 channels, padding 1, float64 and float32", public=True)
def _(ctx):
    for dtype in (np.float64, np.float32):
        check_forward(ctx, "conv2d", ctx.randn(2, 3, 6, 7, dtype=dtype), ctx.randn(4, 3, 3, 3, dtype=dtype), padding=1)


# ---------------------------------------------------------------- unfold
@check("unfold", "canonical 5x5 forward, tensors in and out", public=True)
def _(ctx):
    x, w = _canon()
    check_unfold(ctx, x, w, grads=False, label="conv2d_unfold(canonical x, Sobel-X w)")


@check("unfold", "gradients through autograd match F.conv2d's", public=True)
def _(ctx):
    check_unfold(ctx, ctx.randn(2, 3, 6, 6), ctx.randn(4, 3, 3, 3), ctx.randn(4), stride=1, padding=1)


# ---------------------------------------------------------------- backward
@check("backward", "canonical 5x5 with an all-ones upstream gradient", public=True)
def _(ctx):
    x, w = _canon()
    check_backward(ctx, np.ones((1, 1, 3, 3)), x, w, label="conv2d_backward(ones (1, 1, 3, 3), canonical x, Sobel-X w)")


@check("backward", "batch with padding and stride 2 matches torch.autograd", public=True)
def _(ctx):
    x, w = ctx.randn(2, 3, 7, 6), ctx.randn(4, 3, 3, 3)
    dy = ctx.randn(2, 4, 4, 3)
    check_backward(ctx, dy, x, w, stride=2, padding=1)


@check("backward", "col2im of the canonical im2col matches F.fold", public=True)
def _(ctx):
    import torch
    import torch.nn.functional as F

    cols = np.ones((9, 9))
    expected = F.fold(torch.from_numpy(cols[None]), (5, 5), 3).numpy()[0, 0]
    reply = ctx.call("col2im", cols, (5, 5), 3)
    ctx.expect_array(reply, expected, "col2im(ones (9, 9), (5, 5), 3)", dtype=np.float64,
                     diagnoses=[(np.minimum(expected, 1), "overlapping entries must be summed, not overwritten")])


# ---------------------------------------------------------------- exercises
@check("exercises", "bias: conv2d(x, w, b) adds b[o] to every pixel of output channel o", public=True)
def _(ctx):
    check_bias(ctx, 1, 2, 5, 3)


@check("exercises", "conv2d_gemm on the canonical 5x5 and a batch", public=True)
def _(ctx):
    x, w = _canon()
    check_forward(ctx, "conv2d_gemm", x, w, label="conv2d_gemm(canonical x, Sobel-X w)")
    check_forward(ctx, "conv2d_gemm", ctx.randn(2, 3, 6, 5), ctx.randn(4, 3, 3, 3), ctx.randn(4), padding=1)


# ---------------------------------------------------------------- variants
@check("variants", "conv1x1 matches F.conv2d with a 1x1 kernel", public=True)
def _(ctx):
    x, w, b = ctx.randn(2, 4, 5, 6), ctx.randn(3, 4, 1, 1), ctx.randn(3)
    ctx.expect_array(ctx.call("conv1x1", x, w, b), torch_conv2d(x, w, b), call_text("conv1x1", x, w, b="b"), dtype=x.dtype)


@check("variants", "depthwise_conv2d matches F.conv2d with groups = C", public=True)
def _(ctx):
    x, w = ctx.randn(1, 3, 6, 6), ctx.randn(3, 1, 3, 3)
    ctx.expect_array(ctx.call("depthwise_conv2d", x, w, padding=1), torch_conv2d(x, w, padding=1, groups=3),
                     call_text("depthwise_conv2d", x, w, padding=1), dtype=x.dtype)


@check("variants", "parameter counts: the Quick Check and a grouped layer", public=True)
def _(ctx):
    import torch

    def count(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())

    expected = count(torch.nn.Conv2d(256, 256, 3, groups=256, bias=False), torch.nn.Conv2d(256, 256, 1, bias=False))
    ctx.expect_equal(ctx.call("separable_params", 256, 256, 3), expected, "separable_params(256, 256, 3)")
    expected = count(torch.nn.Conv2d(64, 128, 3, groups=4, bias=True))
    ctx.expect_equal(ctx.call("conv2d_params", 64, 128, 3, groups=4, bias=True), expected, "conv2d_params(64, 128, 3, groups=4, bias=True)")


# ---------------------------------------------------------------- layout
@check("layout", "strides_nchw and strides_nhwc match torch", public=True)
def _(ctx):
    import torch

    shape = (2, 3, 4, 5)
    ctx.expect_equal(ctx.call("strides_nchw", shape), tuple(torch.empty(shape).stride()), f"strides_nchw({shape})", types=(tuple,))
    expected = tuple(torch.empty(shape).to(memory_format=torch.channels_last).stride())
    ctx.expect_equal(ctx.call("strides_nhwc", shape), expected, f"strides_nhwc({shape})", types=(tuple,))


@check("layout", "to_channels_last keeps shape and values, changes memory order", public=True)
def _(ctx):
    x = ctx.randn(2, 3, 4, 5)
    reply = ctx.call("to_channels_last", x)  # the child reports C-contiguity of every returned array
    ctx.expect_array(reply, x, "to_channels_last(x (2, 3, 4, 5))", dtype=x.dtype)
    if reply.probes.get("contiguous"):
        ctx.fail("to_channels_last(x (2, 3, 4, 5)) returned C-contiguous (NCHW) memory; expected NHWC memory with the same (N, C, H, W) indexing")


@check("layout", "benchmark_channels_last without CUDA raises RuntimeError", public=True, skip_with_cuda=True)
def _(ctx):
    ctx.expect_raises(ctx.call("benchmark_channels_last", (1, 8, 8, 8), (8, 8, 3, 3), timeout=30), "RuntimeError",
                      "benchmark_channels_last((1, 8, 8, 8), (8, 8, 3, 3)) on a machine without CUDA")


@check("layout", "benchmark_channels_last on CUDA returns the three figures", public=True, needs_cuda=True)
def _(ctx):
    got = ctx.value(ctx.call("benchmark_channels_last", (8, 64, 32, 32), (64, 64, 3, 3), timeout=120), "benchmark_channels_last")
    if type(got) is not dict or set(got) != {"nchw_seconds", "nhwc_seconds", "speedup"}:
        ctx.fail("benchmark_channels_last must return a dict with nchw_seconds, nhwc_seconds and speedup")
    if not all(positive_real(v) for v in got.values()):
        ctx.fail("benchmark_channels_last's figures must be positive floats")


# ---------------------------------------------------------------- benchmark
@check("benchmark", "time_callable returns the median of the timed calls, after the warm-up", public=True)
def _(ctx):
    durations = [0.003, 0.1, 0.003, 0.003, 0.1, 0.003]  # first is the warm-up; median of the rest 0.003, mean 0.042
    reply = ctx.call("time_callable", wire.CallableSpec("sleep_sequence", {"durations": durations}), repeats=5, warmup=1)
    got = ctx.value(reply, "time_callable(fn, repeats=5, warmup=1)")
    if not isinstance(got, (float, np.floating)):
        ctx.fail(f"time_callable returned {type(got).__name__}; expected a float number of seconds")
    if reply.probes.get("calls") != 6:
        ctx.fail(f"time_callable(fn, repeats=5, warmup=1) called fn {reply.probes.get('calls')} times; expected 1 warm-up + 5 timed = 6")
    if not 0.0025 <= got < 0.02:
        mean = sum(durations[1:]) / 5
        hint = " (that looks like the mean, not the median)" if abs(got - mean) < 0.015 else ""
        ctx.fail(f"time_callable returned {got:.4f} s; the median of the timed calls is about 0.003 s{hint}")


@check("benchmark", "benchmark_table rows, keys and order", public=True)
def _(ctx):
    import torch

    rows = ctx.value(ctx.call("benchmark_table", (1, 2, 10, 10), (3, 2, 3, 3), repeats=2, timeout=60), "benchmark_table((1, 2, 10, 10), (3, 2, 3, 3))")
    names = ["naive", "im2col_loop", "einsum", "torch_cpu"] + (["cudnn"] if torch.cuda.is_available() else [])
    if type(rows) is not list or not all(type(r) is dict for r in rows):
        ctx.fail("benchmark_table must return a list of dicts, one per row")
    if [r.get("name") for r in rows] != names:
        ctx.fail(f"benchmark_table rows are {[r.get('name') for r in rows]}; expected {names} in that order")
    for r in rows:
        if set(r) != {"name", "backend", "seconds", "gflops", "speedup"}:
            ctx.fail(f"row {r.get('name')!r} has keys {sorted(r)}; expected name, backend, seconds, gflops, speedup")
        if not all(positive_real(r[k]) for k in ("seconds", "gflops", "speedup")):
            ctx.fail(f"row {r.get('name')!r}: seconds, gflops and speedup must be positive floats")
    if abs(rows[0]["speedup"] - 1.0) > 1e-9:
        ctx.fail(f"the naive row's speedup is {rows[0]['speedup']}; speed-ups are against naive, so it must be 1.0")


@check("benchmark", "benchmark_table reports the time its calls really take", public=True)
def _(ctx):
    check_benchmark_timing(ctx)


# ---------------------------------------------------------------- winograd
@check("winograd", "winograd_f23_matrices are valid F(2, 3) transforms", public=True)
def _(ctx):
    got = ctx.value(ctx.call("winograd_f23_matrices"), "winograd_f23_matrices()")
    if type(got) is not tuple or len(got) != 3 or not all(type(m) is np.ndarray for m in got):
        ctx.fail("winograd_f23_matrices() must return a tuple of three arrays (BT, G, AT)")
    BT, G, AT = got
    if (BT.shape, G.shape, AT.shape) != ((4, 4), (4, 3), (2, 4)):
        ctx.fail(f"shapes are {BT.shape}, {G.shape}, {AT.shape}; expected (4, 4), (4, 3), (2, 4)")
    for _ in range(3):
        d, g = ctx.randn(4, 4), ctx.randn(3, 3)
        tile = AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T
        if not np.allclose(tile, torch_conv2d(d[None, None], g[None, None])[0, 0], rtol=1e-9, atol=1e-9):
            ctx.fail("AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T with your matrices is not the 2x2 cross-correlation of d with g")


@check("winograd", "winograd_tile: values and 16 multiplications", public=True)
def _(ctx):
    d, g = ctx.randn(4, 4), ctx.randn(3, 3)
    reply = ctx.call("winograd_tile", d, g, probes=("count_mults",))
    ctx.expect_array(reply, torch_conv2d(d[None, None], g[None, None])[0, 0], "winograd_tile(d (4, 4), g (3, 3))", dtype=np.float64)
    count = reply.probes.get("multiplications", 0)
    if count == 0:
        ctx.fail("winograd_tile: the multiplication count could not be measured; keep d and g as arrays through the transforms (np.asarray/float() drop the tracking)")
    if count > 16:
        ctx.fail(f"winograd_tile multiplied data by weights {count} times; F(2, 3) needs 16 (the direct 2x2x9 would be 36)")


@check("winograd", "winograd_conv2d on the canonical 5x5 and a padded batch", public=True)
def _(ctx):
    x, w = _canon()
    ctx.expect_array(ctx.call("winograd_conv2d", x, w), torch_conv2d(x, w), "winograd_conv2d(canonical x, Sobel-X w)", dtype=np.float64)
    x, w, b = ctx.randn(2, 3, 7, 6), ctx.randn(4, 3, 3, 3), ctx.randn(4)
    ctx.expect_array(ctx.call("winograd_conv2d", x, w, b, padding=1), torch_conv2d(x, w, b, padding=1),
                     call_text("winograd_conv2d", x, w, b="b", padding=1), dtype=np.float64)

