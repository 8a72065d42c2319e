"""Hidden checks of question ``im2col``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/im2col.py.
"""
from __future__ import annotations

import numpy as np

from grader.checks import check
from grader.common import check_im2col
from grader.instructor.hidden.cases import EDGE_CASES


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
