"""Question ``im2col`` (10 points): im2col with Python loops."""
from __future__ import annotations

import numpy as np

from grader.checks import check
from grader.common import check_im2col
from grader.trusted import canonical

POINTS = 10
ORDER = 20
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "im2col_loop": "im2col",
}
HIDDEN_WEIGHT = 2  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "im2col_loop": ("conv_output_size",),
}
EXAMPLE_CALLS = {
    "im2col_loop": lambda: (canonical().X.copy(), 3),
}


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


@check("im2col", "float32 input gives a float32 matrix (the input's dtype)", public=True)
def _(ctx):
    check_im2col(ctx, "im2col_loop", ctx.randn(2, 2, 5, 6, dtype=np.float32), (2, 3), stride=(1, 2))
