"""Question ``backward`` (14 points): the backward pass (both gradients are convolutions) and col2im."""
from __future__ import annotations

import numpy as np

from grader.checks import check
from grader.common import canonical_pair, check_backward
from grader.interface import CONV_PATH

POINTS = 14
ORDER = 60
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "conv2d_backward": "backward",
    "col2im": "im2col",
}
HIDDEN_WEIGHT = 4  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "conv2d_backward": CONV_PATH + ("conv2d",),
    "col2im": CONV_PATH + ("conv2d",),
}
EXAMPLE_CALLS = {
    "conv2d_backward": lambda: (np.ones((1, 1, 3, 3)), *canonical_pair()),
    "col2im": lambda: (np.ones((9, 9)), (5, 5), 3),
}


@check("backward", "canonical 5x5 with an all-ones upstream gradient", public=True)
def _(ctx):
    x, w = canonical_pair()
    check_backward(ctx, np.ones((1, 1, 3, 3)), x, w, label="conv2d_backward(ones (1, 1, 3, 3), canonical x, Sobel-X w)")


@check("backward", "batch with padding and stride 2 matches torch.autograd", public=True)
def _(ctx):
    x, w = ctx.randn(2, 3, 7, 6), ctx.randn(4, 3, 3, 3)
    dy = ctx.randn(2, 4, 4, 3)
    check_backward(ctx, dy, x, w, stride=2, padding=1)


@check("backward", "col2im of the canonical im2col matches F.fold", public=True)
def _(ctx):
    import torch
    import torch.nn.functional as F

    cols = np.ones((9, 9))
    expected = F.fold(torch.from_numpy(cols[None]), (5, 5), 3).numpy()[0, 0]
    reply = ctx.call("col2im", cols, (5, 5), 3)
    ctx.expect_array(reply, expected, "col2im(ones (9, 9), (5, 5), 3)", dtype=np.float64,
                     diagnoses=[(np.minimum(expected, 1), "overlapping entries must be summed, not overwritten")])
