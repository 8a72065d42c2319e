"""Question ``variants`` (10 points): 1x1, depthwise and separable convolutions, parameter counts."""
from __future__ import annotations

import numpy as np

from grader.checks import check, torch_conv2d
from grader.common import call_text, canonical_pair
from grader.interface import CONV_PATH

POINTS = 10
ORDER = 80
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "conv1x1": "variants",
    "depthwise_conv2d": "variants",
    "separable_conv2d": "variants",
    "conv2d_params": "variants",
    "separable_params": "variants",
}
HIDDEN_WEIGHT = 5  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "conv1x1": CONV_PATH + ("conv2d",),
    "depthwise_conv2d": CONV_PATH + ("conv2d",),
    "separable_conv2d": CONV_PATH + ("conv2d",),
    "conv2d_params": (),
    "separable_params": (),
}
EXAMPLE_CALLS = {
    "conv1x1": lambda: (canonical_pair()[0], np.ones((2, 1, 1, 1))),
    "depthwise_conv2d": canonical_pair,
    "separable_conv2d": lambda: (*canonical_pair(), np.ones((2, 1, 1, 1))),
    "conv2d_params": lambda: (3, 4, 3),
    "separable_params": lambda: (256, 256, 3),
}
DIRECT_CALLS = ("conv2d",)
"""conv2d(..., groups=g) is graded here, with conv2d's prerequisites."""


@check("variants", "conv1x1 matches F.conv2d with a 1x1 kernel", public=True)
def _(ctx):
    x, w, b = ctx.randn(2, 4, 5, 6), ctx.randn(3, 4, 1, 1), ctx.randn(3)
    ctx.expect_array(ctx.call("conv1x1", x, w, b), torch_conv2d(x, w, b), call_text("conv1x1", x, w, b="b"), dtype=x.dtype)


@check("variants", "depthwise_conv2d matches F.conv2d with groups = C", public=True)
def _(ctx):
    x, w = ctx.randn(1, 3, 6, 6), ctx.randn(3, 1, 3, 3)
    ctx.expect_array(ctx.call("depthwise_conv2d", x, w, padding=1), torch_conv2d(x, w, padding=1, groups=3),
                     call_text("depthwise_conv2d", x, w, padding=1), dtype=x.dtype)


@check("variants", "parameter counts: the Quick Check and a grouped layer", public=True)
def _(ctx):
    import torch

    def count(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())

    expected = count(torch.nn.Conv2d(256, 256, 3, groups=256, bias=False), torch.nn.Conv2d(256, 256, 1, bias=False))
    ctx.expect_equal(ctx.call("separable_params", 256, 256, 3), expected, "separable_params(256, 256, 3)")
    expected = count(torch.nn.Conv2d(64, 128, 3, groups=4, bias=True))
    ctx.expect_equal(ctx.call("conv2d_params", 64, 128, 3, groups=4, bias=True), expected, "conv2d_params(64, 128, 3, groups=4, bias=True)")
