"""Hidden checks of question ``unfold``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/unfold.py.
"""
from __future__ import annotations

import numpy as np

from grader.checks import check
from grader.common import check_unfold
from grader.instructor.hidden.cases import EDGE_CASES, case_arrays


@check("unfold", "forward and gradients for the edge cases", public=False, weight=2)
def _(ctx):
    for name in ("dilation with padding", "stride larger than the kernel", "pair-valued stride, padding and dilation"):
        x, w, kw, _ = case_arrays(ctx, EDGE_CASES[name])
        check_unfold(ctx, x, w, ctx.randn(w.shape[0]), **kw, label=f"conv2d_unfold ({name})")


@check("unfold", "groups and float32", public=False)
def _(ctx):
    x, w, kw, g = case_arrays(ctx, (2, 4, 7, 7, 6, 3, 1, 1, 1, 2), np.float32)
    check_unfold(ctx, x, w, None, **kw, groups=g, label="conv2d_unfold (groups=2, float32)")
