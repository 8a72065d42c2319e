"""Question ``strided`` (10 points): zero-copy sliding windows and im2col from them."""
from __future__ import annotations

from grader.checks import check
from grader.common import canonical_pair, check_im2col, check_windows
from grader.trusted import canonical

POINTS = 10
ORDER = 30
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "sliding_windows": "im2col",
    "im2col_strided": "im2col",
}
HIDDEN_WEIGHT = 2  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "sliding_windows": ("conv_output_size",),
    "im2col_strided": ("conv_output_size",),
}
EXAMPLE_CALLS = {
    "sliding_windows": lambda: (canonical_pair()[0], 3),
    "im2col_strided": lambda: (canonical_pair()[0], 3),
}


@check("strided", "sliding_windows on the canonical 5x5: values, zero-copy, read-only", public=True)
def _(ctx):
    x, _ = canonical_pair()
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
