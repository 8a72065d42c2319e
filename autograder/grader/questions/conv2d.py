"""Question ``conv2d`` (12 points): conv2d as im2col + one GEMM (einsum)."""
from __future__ import annotations

import numpy as np

from grader.checks import check
from grader.common import canonical_pair, check_forward, method_check
from grader.interface import CONV_PATH

POINTS = 12
ORDER = 40
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "conv2d": "conv2d",
}
HIDDEN_WEIGHT = 8  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "conv2d": CONV_PATH,
}
EXAMPLE_CALLS = {
    "conv2d": canonical_pair,
}


for _kw in (dict(), dict(stride=2), dict(padding=1), dict(dilation=2)):
    _name = ", ".join(f"{k} {v}" for k, v in _kw.items()) or "stride 1"

    @check("conv2d", f"canonical 5x5, {_name}", public=True)
    def _(ctx, _kw=_kw):
        x, w = canonical_pair()
        check_forward(ctx, "conv2d", x, w, **_kw, label=f"conv2d(canonical x, Sobel-X w{''.join(f', {k}={v}' for k, v in _kw.items())})")


@check("conv2d", "method: im2col + one GEMM, no Python loop over output positions", public=True, weight=0.5)
def _(ctx):
    method_check(ctx, "conv2d")


@check("conv2d", "batch of 2, 3 -> 4 channels, padding 1, float64 and float32", public=True)
def _(ctx):
    for dtype in (np.float64, np.float32):
        check_forward(ctx, "conv2d", ctx.randn(2, 3, 6, 7, dtype=dtype), ctx.randn(4, 3, 3, 3, dtype=dtype), padding=1)
