"""Hidden checks of question ``exercises``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/exercises.py.
"""
from __future__ import annotations

from grader.checks import check
from grader.common import check_bias, check_forward
from grader.instructor.hidden.cases import EDGE_CASES, case_arrays


@check("exercises", "bias on a batch of several channels", public=False)
def _(ctx):
    check_bias(ctx, 2, 3, 6, 4)


@check("exercises", "conv2d_gemm for the edge cases and with groups", public=False, weight=2)
def _(ctx):
    for name in ("dilation with padding", "stride larger than the kernel", "batch of one, C_in != C_out, non-square kernel"):
        x, w, kw, _ = case_arrays(ctx, EDGE_CASES[name])
        check_forward(ctx, "conv2d_gemm", x, w, ctx.randn(w.shape[0]), **kw, label=f"conv2d_gemm ({name})")
    x, w, kw, g = case_arrays(ctx, (2, 4, 6, 6, 6, 3, 1, 1, 1, 2))
    check_forward(ctx, "conv2d_gemm", x, w, **kw, groups=g, label="conv2d_gemm (groups=2)")
