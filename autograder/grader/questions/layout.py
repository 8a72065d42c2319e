"""Question ``layout`` (6 points): NCHW vs NHWC strides and channels_last."""
from __future__ import annotations

from grader.checks import check, positive_real
from grader.common import canonical_pair

POINTS = 6
ORDER = 90
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "strides_nchw": "layout",
    "strides_nhwc": "layout",
    "to_channels_last": "layout",
    "benchmark_channels_last": "layout",
}
HIDDEN_WEIGHT = 1  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "strides_nchw": (),
    "strides_nhwc": (),
    "to_channels_last": (),
    "benchmark_channels_last": (),
}
EXAMPLE_CALLS = {
    "strides_nchw": lambda: ((1, 2, 3, 4),),
    "strides_nhwc": lambda: ((1, 2, 3, 4),),
    "to_channels_last": lambda: (canonical_pair()[0],),
    "benchmark_channels_last": lambda: ((1, 1, 5, 5), (1, 1, 3, 3)),  # without CUDA the reference raises RuntimeError
}


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
