"""Question ``cost`` (8 points): the output size, the MAC count and the naive four-loop convolution."""
from __future__ import annotations

import numpy as np

from grader.checks import check, torch_conv2d
from grader.common import canonical_pair, check_forward

POINTS = 8
ORDER = 10
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "conv_output_size": "cost",
    "conv2d_macs": "cost",
    "conv2d_naive": "cost",
}
HIDDEN_WEIGHT = 3  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "conv_output_size": (),
    "conv2d_macs": ("conv_output_size",),
    "conv2d_naive": ("conv_output_size",),
}
EXAMPLE_CALLS = {
    "conv_output_size": lambda: (5, 3),
    "conv2d_macs": lambda: ((1, 1, 5, 5), (1, 1, 3, 3)),
    "conv2d_naive": canonical_pair,
}


@check("cost", "conv_output_size on the canonical 5x5", public=True)
def _(ctx):
    x, w = canonical_pair()
    for kw in (dict(stride=1), dict(stride=2), dict(padding=1), dict(dilation=2)):
        expected = torch_conv2d(x, w, **kw).shape[2]
        call = f"conv_output_size(5, 3, {', '.join(f'{k}={v}' for k, v in kw.items())})"  # as Python writes it
        ctx.expect_equal(ctx.call("conv_output_size", 5, 3, **kw), expected, call)


@check("cost", "conv_output_size raises ValueError when the kernel does not fit", public=True)
def _(ctx):
    ctx.expect_raises(ctx.call("conv_output_size", 3, 5), "ValueError", "conv_output_size(3, 5)")


@check("cost", "conv2d_macs of the ResNet-50 stem", public=True)
def _(ctx):
    y_shape = torch_conv2d(np.zeros((1, 3, 224, 224)), np.zeros((64, 3, 7, 7)), stride=2, padding=3).shape
    expected = int(np.prod(y_shape)) * 3 * 7 * 7  # one MAC per output element per weight it reads
    ctx.expect_equal(ctx.call("conv2d_macs", (1, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3), expected,
                     "conv2d_macs((1, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3)")


@check("cost", "conv2d_naive on the canonical 5x5", public=True)
def _(ctx):
    x, w = canonical_pair()
    check_forward(ctx, "conv2d_naive", x, w, label="conv2d_naive(canonical x, Sobel-X w)")
    check_forward(ctx, "conv2d_naive", x, w, stride=2, label="conv2d_naive(canonical x, Sobel-X w, stride=2)")
