"""Hidden checks of question ``winograd``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/winograd.py.
"""
from __future__ import annotations

import numpy as np

from grader.checks import check, torch_conv2d


@check("winograd", "odd sizes, padding, channels and float32", public=False, weight=2)
def _(ctx):
    for n, c, h, w, co, p, dtype in ((1, 2, 5, 8, 3, 0, np.float64), (2, 3, 9, 7, 2, 1, np.float64), (1, 4, 6, 6, 4, (2, 0), np.float32)):
        x, wt, b = ctx.randn(n, c, h, w, dtype=dtype), ctx.randn(co, c, 3, 3, dtype=dtype), ctx.randn(co, dtype=dtype)
        ctx.expect_array(ctx.call("winograd_conv2d", x, wt, b, padding=p), torch_conv2d(x, wt, b, padding=p), "winograd_conv2d", dtype=dtype)
