"""Hidden checks of question ``variants``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/variants.py.
"""
from __future__ import annotations

import numpy as np

from grader.checks import F32, check, torch_conv2d
from grader.common import OTHER_QUESTION_NOTE, symmetric_input


@check("variants", "grouped conv2d matches F.conv2d with groups", public=False, weight=2)
def _(ctx):
    for g, c, co in ((2, 4, 6), (3, 3, 3)):
        x, w = symmetric_input(ctx, 2, c, 6, co, c // g)
        expected = torch_conv2d(x, w, groups=g)
        per_group = expected.reshape(2, g, co // g, *expected.shape[2:])
        interleaved = per_group.swapaxes(1, 2).reshape(expected.shape)
        # float32 tolerance, any float dtype: conv2d's own dtype handling is graded in its own question
        ctx.expect_array(ctx.call("conv2d", x, w, None, groups=g), expected, f"conv2d with groups={g}", tol=F32,
                         diagnoses=[(interleaved, "output channels of the groups are interleaved; group i owns the consecutive "
                                     "block i*C_out/g ... (i+1)*C_out/g - 1")],
                         note=OTHER_QUESTION_NOTE)


@check("variants", "depthwise with stride, padding and dilation; separable against torch", public=False, weight=2)
def _(ctx):
    x, wd, wp = ctx.randn(2, 4, 9, 8), ctx.randn(4, 1, 3, 3), ctx.randn(5, 4, 1, 1)
    for s, p, d in ((2, 1, 1), (1, 2, 2)):
        b = ctx.randn(4)
        ctx.expect_array(ctx.call("depthwise_conv2d", x, wd, b, s, p, d), torch_conv2d(x, wd, b, s, p, d, 4), "depthwise_conv2d", dtype=x.dtype)
        expected = torch_conv2d(torch_conv2d(x, wd, None, s, p, d, 4), wp)
        ctx.expect_array(ctx.call("separable_conv2d", x, wd, wp, s, p, d), expected, "separable_conv2d", dtype=x.dtype)
    x32 = ctx.randn(1, 3, 5, 5, dtype=np.float32)
    w32 = ctx.randn(2, 3, 1, 1, dtype=np.float32)
    ctx.expect_array(ctx.call("conv1x1", x32, w32), torch_conv2d(x32, w32), "conv1x1 (float32)", dtype=np.float32)


@check("variants", "parameter counts against torch modules", public=False)
def _(ctx):
    import torch

    for c_in, c_out, k, g, bias in ((32, 64, (3, 5), 1, False), (48, 96, 3, 8, True), (16, 16, 5, 16, False)):
        expected = sum(p.numel() for p in torch.nn.Conv2d(c_in, c_out, k, groups=g, bias=bias).parameters())
        ctx.expect_equal(ctx.call("conv2d_params", c_in, c_out, k, g, bias), expected, "conv2d_params")
    for c_in, c_out, k in ((512, 512, 3), (32, 64, (3, 5))):
        mods = (torch.nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False), torch.nn.Conv2d(c_in, c_out, 1, bias=False))
        ctx.expect_equal(ctx.call("separable_params", c_in, c_out, k), sum(p.numel() for m in mods for p in m.parameters()), "separable_params")
