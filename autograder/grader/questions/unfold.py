"""Question ``unfold`` (10 points): conv2d in PyTorch with F.unfold, gradients through autograd."""
from __future__ import annotations

from grader.checks import check
from grader.common import canonical_pair, check_unfold

POINTS = 10
ORDER = 50
BUDGET_WEIGHT = 1
FUNCTIONS = {
    "conv2d_unfold": "conv2d_torch",
}
HIDDEN_WEIGHT = 3  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "conv2d_unfold": (),
}
EXAMPLE_CALLS = {
    "conv2d_unfold": lambda: _canonical_tensors(),
}


def _canonical_tensors():
    import torch

    return tuple(torch.from_numpy(a) for a in canonical_pair())


@check("unfold", "canonical 5x5 forward, tensors in and out", public=True)
def _(ctx):
    x, w = canonical_pair()
    check_unfold(ctx, x, w, grads=False, label="conv2d_unfold(canonical x, Sobel-X w)")


@check("unfold", "gradients through autograd match F.conv2d's", public=True)
def _(ctx):
    check_unfold(ctx, ctx.randn(2, 3, 6, 6), ctx.randn(4, 3, 3, 3), ctx.randn(4), stride=1, padding=1)
