"""Objective 3 in PyTorch: ``F.unfold`` -> one matmul -> view, differentiable end to end.

``F.unfold`` is im2col: ``(N, C, H, W) -> (N, C*kh*kw, L)``. Multiplying by the weight
matrix ``(C_out, C*kh*kw)`` and viewing ``L`` as ``(Ho, Wo)`` gives the convolution. Every
step is an autograd op, so ``loss.backward()`` works without writing a backward pass.
Calling ``F.conv2d`` (or any other convolution op) here defeats the purpose and scores nothing.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._args import check_conv_shapes, pair


def conv2d_unfold(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> torch.Tensor:
    """2-D cross-correlation via ``F.unfold`` and a matmul, no convolution op.

    Args:
        x: tensor ``(N, C_in, H, W)``; w: ``(C_out, C_in // groups, kh, kw)``; b: ``(C_out,)`` or None.

    Returns:
        y: ``(N, C_out, Ho, Wo)``, same dtype as x, differentiable with respect to x, w and b.
    """
    for name, t in (("x", x), ("w", w), ("b", b)):
        if t is not None and not isinstance(t, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    check_conv_shapes(tuple(x.shape), tuple(w.shape), None if b is None else tuple(b.shape), groups)
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding", 0), pair(dilation, "dilation")
    # BEGIN SOLUTION unfold
    # HINT: F.unfold(x, (kh, kw), dilation=..., padding=..., stride=...) is im2col; then one matmul and a view.
    n, _, h, wd = x.shape
    c_out, c_per_group, kh, kw = w.shape
    # computed here, not with cost.conv_output_size: this question may use no other question's function
    ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"output size {ho}x{wo} < 1: the (dilated) kernel does not fit the padded input")
    cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)  # (N, C*kh*kw, L)
    cols = cols.view(n, groups, c_per_group * kh * kw, ho * wo)
    w_mat = w.reshape(groups, c_out // groups, c_per_group * kh * kw)
    y = torch.matmul(w_mat, cols)  # (N, G, C_out/G, L)
    y = y.reshape(n, c_out, ho, wo)
    if b is not None:
        y = y + b.view(1, -1, 1, 1)
    return y
    # END SOLUTION
