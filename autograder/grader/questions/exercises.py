"""Question ``exercises`` (8 points): the bias exercise and conv2d_gemm."""
from __future__ import annotations

from grader.checks import check
from grader.common import canonical_pair, check_bias, check_forward, method_check
from grader.interface import CONV_PATH

POINTS = 8
ORDER = 70
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "conv2d_gemm": "conv2d",
}
HIDDEN_WEIGHT = 3  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "conv2d_gemm": CONV_PATH,
}
EXAMPLE_CALLS = {
    "conv2d_gemm": canonical_pair,
}
DIRECT_CALLS = ("conv2d",)
"""The bias exercise also calls conv2d, on inputs where conv2d's classic bugs (a flipped kernel,
a transposed output) cannot change the result."""


@check("exercises", "method: conv2d_gemm is im2col + one matrix product, no Python loop over output positions", public=True, weight=0.5)
def _(ctx):
    method_check(ctx, "conv2d_gemm")


@check("exercises", "bias: conv2d(x, w, b) adds b[o] to every pixel of output channel o", public=True)
def _(ctx):
    check_bias(ctx, 1, 2, 5, 3)


@check("exercises", "conv2d_gemm on the canonical 5x5 and a batch", public=True)
def _(ctx):
    x, w = canonical_pair()
    check_forward(ctx, "conv2d_gemm", x, w, label="conv2d_gemm(canonical x, Sobel-X w)")
    check_forward(ctx, "conv2d_gemm", ctx.randn(2, 3, 6, 5), ctx.randn(4, 3, 3, 3), ctx.randn(4), padding=1)
