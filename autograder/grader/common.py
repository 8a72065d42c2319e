"""Check bodies shared by the public and the hidden checks (one place for each comparison)."""
from __future__ import annotations

import numpy as np

from grader import wire
from grader.checks import Context, conv_diagnoses, pair, shape_formula, torch_conv2d


def call_text(fn: str, x, w=None, **kwargs) -> str:
    shown = [f"x {tuple(x.shape)}"] + ([f"w {tuple(w.shape)}"] if w is not None else [])
    shown += [f"{k}={v}" for k, v in kwargs.items() if v is not None]
    return f"{fn}({', '.join(shown)})"


def check_forward(ctx: Context, fn: str, x, w, b=None, *, stride=1, padding=0, dilation=1, groups=None,
                  noncontiguous=False, label=None):
    """A NumPy forward convolution against F.conv2d, with the conv diagnoses."""
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    if groups is not None:
        kwargs["groups"] = groups
    g = groups or 1
    expected = torch_conv2d(x, w, b, stride, padding, dilation, g)
    reply = ctx.call(fn, x, w, b, noncontiguous=(0,) if noncontiguous else (), **kwargs)
    what = label or call_text(fn, x, w, b=None if b is None else "b", **kwargs)
    ctx.expect_array(reply, expected, what, dtype=x.dtype, diagnoses=conv_diagnoses(x, w, b, stride, padding, dilation, g),
                     shape_hint=shape_formula(x.shape, w.shape, stride, padding, dilation))


def unfold_expected(x, kernel, stride=1, padding=0, dilation=1):
    import torch
    import torch.nn.functional as F

    return F.unfold(torch.from_numpy(np.asarray(x, dtype=np.float64)), pair(kernel), pair(dilation), pair(padding), pair(stride)).numpy()


def im2col_diagnoses(expected, n, c, kh, kw, ho, wo):
    """Classic im2col layouts that are not F.unfold's."""
    L = ho * wo
    blocks = expected.reshape(n, c, kh, kw, L)
    return [
        (blocks.transpose(0, 2, 3, 1, 4).reshape(n, c * kh * kw, L),
         "rows are in (i, j, c) order; F.unfold orders them (c, i, j): channel slowest, kernel column fastest"),
        (expected.transpose(0, 2, 1), "the result is transposed: columns must be patches, (N, C*kh*kw, L), not (N, L, C*kh*kw)"),
        (expected.reshape(n, c * kh * kw, ho, wo).swapaxes(-1, -2).reshape(n, c * kh * kw, L),
         "output positions are column-major; F.unfold walks them row by row (column index i * Wo + j)"),
    ]


def check_im2col(ctx: Context, fn: str, x, kernel, stride=1, padding=0, dilation=1, label=None):
    two_d = x.ndim == 2
    x4 = x[None, None] if two_d else x
    expected = unfold_expected(x4, kernel, stride, padding, dilation)
    n, c = x4.shape[:2]
    kh, kw = pair(kernel)
    ho = (x4.shape[2] + 2 * pair(padding)[0] - pair(dilation)[0] * (kh - 1) - 1) // pair(stride)[0] + 1
    wo = (x4.shape[3] + 2 * pair(padding)[1] - pair(dilation)[1] * (kw - 1) - 1) // pair(stride)[1] + 1
    diags = im2col_diagnoses(expected, n, c, kh, kw, ho, wo)
    if two_d:
        expected, diags = expected[0], [(alt[0], msg) for alt, msg in diags]
    reply = ctx.call(fn, x, kernel, stride=stride, padding=padding, dilation=dilation)
    what = label or call_text(fn, x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    fake_w = (1, 1, kh, kw)
    ctx.expect_array(reply, expected, what, dtype=x.dtype, diagnoses=diags, shape_hint=shape_formula(x4.shape, fake_w, stride, padding, dilation))


def check_windows(ctx: Context, x, kernel, stride=1, dilation=1, noncontiguous=False, label=None):
    """sliding_windows: values against F.unfold, then zero-copy and read-only."""
    kh, kw = pair(kernel)
    n, c, h, w = x.shape
    cols = unfold_expected(x, kernel, stride, 0, dilation)
    ho = (h - pair(dilation)[0] * (kh - 1) - 1) // pair(stride)[0] + 1
    wo = (w - pair(dilation)[1] * (kw - 1) - 1) // pair(stride)[1] + 1
    expected = cols.reshape(n, c, kh, kw, ho, wo).transpose(0, 1, 4, 5, 2, 3)
    reply = ctx.call("sliding_windows", x, kernel, stride=stride, dilation=dilation, probes=("shares_memory",),
                     noncontiguous=(0,) if noncontiguous else ())
    what = label or call_text("sliding_windows", x, kernel_size=kernel, stride=stride, dilation=dilation)
    ctx.expect_array(reply, expected, what, dtype=x.dtype,
                     diagnoses=[(expected.transpose(0, 1, 4, 5, 2, 3), "axes are (N, C, kh, kw, Ho, Wo); expected (N, C, Ho, Wo, kh, kw)")])
    if not reply.probes.get("shares_memory"):
        ctx.fail(f"{what} returned a copy: the windows must be a view that shares memory with x (np.lib.stride_tricks.as_strided)")
    if reply.probes.get("writeable"):
        ctx.fail(f"{what} returned a writeable view: pass writeable=False, since overlapping windows share elements and one write would change many of them")


def backward_expected(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    """(dx, dw, db) from torch.autograd, float64."""
    import torch
    import torch.nn.functional as F

    t = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64)).requires_grad_()  # noqa: E731
    xt, wt = t(x), t(w)
    bt = torch.zeros(w.shape[0], dtype=torch.float64, requires_grad=True)
    y = F.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    grads = torch.autograd.grad(y, (xt, wt, bt), torch.from_numpy(np.asarray(dy, dtype=np.float64)))
    return tuple(g.numpy() for g in grads)


def check_backward(ctx: Context, dy, x, w, *, stride=1, padding=0, dilation=1, groups=1, label=None):
    dx, dw, db = backward_expected(dy, x, w, stride, padding, dilation, groups)
    dx_unrotated, _, _ = backward_expected(dy, x, w[..., ::-1, ::-1].copy(), stride, padding, dilation, groups)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    reply = ctx.call("conv2d_backward", dy, x, w, **kwargs)
    what = label or call_text("conv2d_backward", x, w, **kwargs)
    got = ctx.value(reply, what)
    if type(got) is not tuple or len(got) != 3:
        ctx.fail(f"{what} returned {type(got).__name__ if type(got) in (list, tuple) else 'something else'}; expected a tuple (dx, dw, db)")
    for name, value, expected, diags in (
        ("dx", got[0], dx, [(dx_unrotated, "dx uses the kernel without the 180-degree rotation: the full convolution needs w[..., ::-1, ::-1]")]),
        ("dw", got[1], dw, [(dw[..., ::-1, ::-1], "dW is rotated by 180 degrees: dW is the cross-correlation of x with dy, no flip")]),
        ("db", got[2], db, [(db * 0 + np.asarray(dy).sum(), "db sums over every axis; it must sum over N, Ho and Wo only, one value per output channel")]),
    ):
        sub = type(reply)(value=value, probes=reply.probes)
        ctx.expect_array(sub, expected, f"{what} -> {name}", dtype=x.dtype, diagnoses=diags)


def check_unfold(ctx: Context, x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, grads=True, label=None):
    """conv2d_unfold: forward against F.conv2d and gradients against torch.autograd."""
    import torch
    import torch.nn.functional as F

    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    expected = torch_conv2d(x, w, b, stride, padding, dilation, groups)
    dy = ctx.randn(*expected.shape, dtype=x.dtype)
    args = [wire.TensorValue(x, True), wire.TensorValue(w, True)] + ([wire.TensorValue(b, True)] if b is not None else [None])
    reply = ctx.call("conv2d_unfold", *args, torch=True, probes=("conv_ops",) + (("autograd",) if grads else ()),
                     upstream=wire.TensorValue(dy, False), **kwargs)
    what = label or call_text("conv2d_unfold", x, w, b=None if b is None else "b", **kwargs)
    ops = reply.probes.get("conv_ops") or []
    if ops:
        raise ForbiddenUse(f"conv2d_unfold ran a convolution op ({', '.join(ops[:3])}): use F.unfold and a matmul, not F.conv2d")
    ctx.expect_array(reply, expected, what, dtype=x.dtype, kind=wire.TensorValue,
                     diagnoses=conv_diagnoses(x, w, b, stride, padding, dilation, groups),
                     shape_hint=shape_formula(x.shape, w.shape, stride, padding, dilation))
    if not grads:
        return
    probe = reply.probes.get("grads") or {}
    if "error" in probe:
        ctx.fail(f"{what}: gradients do not flow: {probe['error']}")
    leaves = [torch.from_numpy(a.astype(np.float64)).requires_grad_() for a in ([x, w] + ([b] if b is not None else []))]
    y = F.conv2d(leaves[0], leaves[1], leaves[2] if b is not None else None, stride, padding, dilation, groups)
    want = torch.autograd.grad(y, leaves, torch.from_numpy(dy.astype(np.float64)))
    got = probe.get("values")
    if not isinstance(got, list) or len(got) != len(want):
        ctx.fail(f"{what}: autograd returned no gradient for every input")
    for name, g, t in zip(("x", "w", "b"), got, want):
        if g is None:
            ctx.fail(f"{what}: no gradient reaches {name}; keep every step a torch op (no .numpy(), no .detach())")
        ctx.expect_array(type(reply)(value=g), t.numpy(), f"{what}: gradient with respect to {name}", dtype=x.dtype, kind=wire.TensorValue)


class ForbiddenUse(Exception):
    """A forbidden shortcut seen while a check ran: the whole question scores nothing."""


