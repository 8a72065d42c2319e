"""Hidden checks of question ``cost``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/cost.py.
"""
from __future__ import annotations

import numpy as np

from grader.checks import check, torch_conv2d
from grader.common import check_forward
from grader.instructor.hidden.cases import EDGE_CASES, case_arrays, random_config


@check("cost", "output size for random configurations", public=False)
def _(ctx):
    for _ in range(12):
        n, c, h, w, co, k, s, p, d, g = random_config(ctx)
        y = torch_conv2d(np.zeros((1, 1, h, w)), np.zeros((1, 1) + k), stride=s, padding=p, dilation=d)
        ctx.expect_equal(ctx.call("conv_output_size", h, k[0], s[0], p[0], d[0]), y.shape[2], "conv_output_size")


@check("cost", "MACs with groups, stride and dilation", public=False)
def _(ctx):
    for _ in range(6):
        n, c, h, w, co, k, s, p, d, g = random_config(ctx, groups=True)
        y = torch_conv2d(np.zeros((n, c, h, w)), np.zeros((co, c // g) + k), stride=s, padding=p, dilation=d, groups=g)
        expected = int(np.prod(y.shape)) * (c // g) * k[0] * k[1]
        ctx.expect_equal(ctx.call("conv2d_macs", (n, c, h, w), (co, c // g) + k, s, p, d, g), expected, "conv2d_macs")


@check("cost", "naive loop: stride, padding, dilation, batch, float32", public=False)
def _(ctx):
    for name in ("dilation with padding", "pair-valued stride, padding and dilation"):
        x, w, kw, _ = case_arrays(ctx, EDGE_CASES[name])
        check_forward(ctx, "conv2d_naive", x, w, ctx.randn(w.shape[0]), **kw, label=f"conv2d_naive ({name})")
    x, w, kw, _ = case_arrays(ctx, EDGE_CASES["stride larger than the kernel"], np.float32)
    check_forward(ctx, "conv2d_naive", x, w, **kw, label="conv2d_naive (float32)")
