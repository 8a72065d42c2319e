"""Hidden checks of question ``backward``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/backward.py.
"""
from __future__ import annotations

import numpy as np

from grader.checks import check, torch_conv2d
from grader.common import check_backward
from grader.instructor.hidden.cases import EDGE_CASES, case_arrays, random_config


@check("backward", "random configurations against torch.autograd", public=False, weight=2)
def _(ctx):
    for _ in range(4):
        cfg = random_config(ctx, groups=True)
        x, w, kw, g = case_arrays(ctx, cfg)
        y = torch_conv2d(x, w, **kw, groups=g)
        check_backward(ctx, ctx.randn(*y.shape), x, w, **kw, groups=g, label="conv2d_backward (random configuration)")


@check("backward", "stride larger than the kernel, float32", public=False)
def _(ctx):
    x, w, kw, g = case_arrays(ctx, EDGE_CASES["stride larger than the kernel"], np.float32)
    y = torch_conv2d(x, w, **kw)
    check_backward(ctx, ctx.randn(*y.shape, dtype=np.float32), x, w, **kw, label="conv2d_backward (stride > kernel, float32)")


@check("backward", "col2im matches F.fold with stride, padding and dilation", public=False)
def _(ctx):
    import torch
    import torch.nn.functional as F

    for name in ("dilation with padding", "pair-valued stride, padding and dilation"):
        n, c, h, w, co, k, s, p, d, g = EDGE_CASES[name]
        kk = (k, k) if isinstance(k, int) else k
        L = F.unfold(torch.zeros(n, c, h, w), kk, d, p, s).shape[-1]
        cols = ctx.randn(n, c * kk[0] * kk[1], L)
        expected = F.fold(torch.from_numpy(cols), (h, w), kk, d, p, s).numpy()
        ctx.expect_array(ctx.call("col2im", cols, (n, c, h, w), k, s, p, d), expected, f"col2im ({name})", dtype=np.float64)
