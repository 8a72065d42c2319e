"""Hidden checks of question ``strided``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/strided.py.
"""
from __future__ import annotations

from grader.checks import check
from grader.common import check_im2col, check_windows
from grader.instructor.hidden.cases import random_config


@check("strided", "zero-copy windows of a non-contiguous input", public=False)
def _(ctx):
    check_windows(ctx, ctx.randn(2, 3, 8, 9), (3, 2), stride=(2, 1), dilation=(1, 2), noncontiguous=True,
                  label="sliding_windows (non-contiguous input)")


@check("strided", "im2col_strided for random configurations", public=False)
def _(ctx):
    for _ in range(4):
        n, c, h, w, co, k, s, p, d, g = random_config(ctx)
        check_im2col(ctx, "im2col_strided", ctx.randn(n, c, h, w), k, s, p, d, label="im2col_strided (random configuration)")
