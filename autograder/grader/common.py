"""Check bodies shared by the public and the hidden checks (one place for each comparison)."""
from __future__ import annotations

import numpy as np

from grader.runtime import wire
from grader.runtime.probes import vector_jacobian
from grader.checks import F32, CheckFailed, Context, conv_diagnoses, output_size, pair, positive_real, shape_formula, torch_conv2d
from grader.trusted import canonical


def canonical_pair(dtype=np.float64):
    """The section's running example: x (1, 1, 5, 5) and the Sobel-X kernel w (1, 1, 3, 3)."""
    K = canonical()
    return K.as_nchw(K.X, dtype), K.as_nchw(K.W_SOBEL_X, dtype)


def call_text(fn: str, x, w=None, **kwargs) -> str:
    shown = [f"x {tuple(x.shape)}"] + ([f"w {tuple(w.shape)}"] if w is not None else [])
    shown += [f"{k}={v}" for k, v in kwargs.items() if v is not None]
    return f"{fn}({', '.join(shown)})"


def check_forward(ctx: Context, fn: str, x, w, b=None, *, stride=1, padding=0, dilation=1, groups=None,
                  noncontiguous=False, label=None, fresh=True):
    """A NumPy forward convolution against F.conv2d, with the conv diagnoses.

    ``fresh``: then call again with other values of the same shapes (no caching of results).
    """
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    if groups is not None:
        kwargs["groups"] = groups
    g = groups or 1
    what = label or call_text(fn, x, w, b=None if b is None else "b", **kwargs)
    got = None
    for attempt in range(2 if fresh else 1):
        if attempt:
            x, w = ctx.randn(*x.shape, dtype=x.dtype), ctx.randn(*w.shape, dtype=w.dtype)
            b = None if b is None else ctx.randn(*b.shape, dtype=b.dtype)
        expected = torch_conv2d(x, w, b, stride, padding, dilation, g)
        reply = ctx.call(fn, x, w, b, noncontiguous=(0,) if noncontiguous else (), **kwargs)
        if attempt:
            expect_not_cached(ctx, reply, got, expected, what)
        got = ctx.expect_array(reply, expected, what, dtype=x.dtype, diagnoses=conv_diagnoses(x, w, b, stride, padding, dilation, g),
                               shape_hint=shape_formula(x.shape, w.shape, stride, padding, dilation))


def expect_not_cached(ctx: Context, reply, previous, expected, what: str) -> None:
    """A second call with other values of the same shapes must not return the first call's result."""
    got = reply.value
    if (reply.error is None and type(got) is np.ndarray and type(previous) is np.ndarray and got.shape == previous.shape
            and np.array_equal(got, previous) and not np.allclose(expected, previous)):
        ctx.fail(f"{what}: returned the same result for different inputs of the same shapes: a graded function must "
                 "compute its result from its arguments every time (no caching by shape)")


def symmetric_input(ctx: Context, n, c, size, co, c_per_group):
    """``x (n, c, size, size)`` equal to its own transpose and ``w`` symmetric under flips and
    transposition: on these, a flipped kernel or a transposed output of conv2d gives the right
    answer, so a check of another property (bias, groups) is not charged for those bugs."""
    x = ctx.randn(n, c, size, size)
    x = x + x.swapaxes(-1, -2)
    w = ctx.randn(co, c_per_group, 3, 3)
    w = w + w[..., ::-1, ::-1]
    return x, w + w.swapaxes(-1, -2)


OTHER_QUESTION_NOTE = ("(This check runs your conv2d on inputs where a flipped kernel or a transposed output cannot change "
                       "the result; if conv2d fails its own question, fix that first: this failure may come from there.)")


def check_bias(ctx: Context, n: int, c: int, size: int, co: int) -> None:
    """The bias exercise: conv2d(x, w, b) against F.conv2d, on inputs where conv2d's classic bugs cannot matter."""
    x, w = symmetric_input(ctx, n, c, size, co, c)
    b = ctx.randn(co)
    expected = torch_conv2d(x, w, b)
    what = call_text("conv2d", x, w, b="b") if ctx.public else "conv2d with a bias"
    # float32 tolerance and any float dtype: a conv2d that computes in float32 costs the conv2d question only
    ctx.expect_array(ctx.call("conv2d", x, w, b), expected, what, tol=F32,
                     diagnoses=[(expected - b[None, :, None, None], "the bias b was not added")],
                     note=OTHER_QUESTION_NOTE)


def check_benchmark_timing(ctx: Context, shape=((1, 2, 10, 10), (3, 2, 3, 3))) -> None:
    """benchmark_table times the calls it reports: while it is graded, conv2d_naive, im2col_loop
    and conv2d sleep ``ctx.delays`` seconds per call, so each row's median is known."""
    x_shape, w_shape = shape
    delays = ctx.delays
    what = f"benchmark_table({x_shape}, {w_shape}, repeats=3)" if ctx.public else "benchmark_table"
    rows = ctx.value(ctx.call("benchmark_table", x_shape, w_shape, repeats=3, warmup=1, timeout=60), what)
    if type(rows) is not list or not all(type(r) is dict for r in rows):
        ctx.fail(f"{what} must return a list of dicts, one per row")
    by_name = {r.get("name"): r for r in rows}
    macs = int(np.prod(torch_conv2d(np.zeros(x_shape), np.zeros(w_shape)).shape)) * int(np.prod(w_shape[1:]))
    for name, fn in (("naive", "conv2d_naive"), ("im2col_loop", "im2col_loop"), ("einsum", "conv2d"), ("torch_cpu", None)):
        row = by_name.get(name)
        if row is None or not all(positive_real(row.get(k)) for k in ("seconds", "gflops", "speedup")):
            ctx.fail(f"{what}: the {name!r} row needs positive float seconds, gflops and speedup")
        if fn is not None and not delays[fn] * 0.98 <= row["seconds"] <= delays[fn] + 0.3:
            ctx.fail(f"{what}: the {name!r} row says {row['seconds']:.4g} s, but every {fn} call it times takes "
                     f"{delays[fn]:.3g} s here (the grader makes it sleep that long): time the calls you report, "
                     "and report the median", f"{what}: the {name!r} row's seconds are not the time of the calls it times")
        if not np.isclose(row["gflops"], 2 * macs / row["seconds"] / 1e9, rtol=0.01):
            ctx.fail(f"{what}: the {name!r} row's gflops is not 2 * MACs / seconds / 1e9 ({macs} MACs)")
        if not np.isclose(row["speedup"], by_name["naive"]["seconds"] / row["seconds"], rtol=0.01):
            ctx.fail(f"{what}: the {name!r} row's speedup is not naive seconds / its seconds")
    if by_name["torch_cpu"]["seconds"] >= by_name["naive"]["seconds"]:
        ctx.fail(f"{what}: F.conv2d on the CPU is reported slower than the naive loop: time F.conv2d itself")


def method_check(ctx: Context, fn: str) -> None:
    """``fn`` computes a medium convolution without Python work per output position.

    Counted, not timed: the Python line events in the student's own files during the call must
    stay under half the number of output positions (N*Ho*Wo); a loop over positions, directly
    or through a helper such as conv2d_naive, runs at least one line per position.
    """
    x, w = ctx.randn(2, 4, 24, 24), ctx.randn(3, 4, 3, 3)
    positions = 2 * 22 * 22
    reply = ctx.call(fn, x, w, probes=("line_events",))
    what = f"{fn}(x (2, 4, 24, 24), w (3, 4, 3, 3))"
    try:
        ctx.expect_array(reply, torch_conv2d(x, w), what, dtype=x.dtype)
    except CheckFailed as failure:
        if reply.error is not None:  # it raised, timed out, is not written yet: that is what to say
            raise
        ctx.fail(f"{what}: the method was not judged, because {fn} does not give the right values here yet "
                 f"({str(failure).removeprefix(what).lstrip(': ')[:200]}); this question's other checks show where. "
                 "The method is judged once the values are right.",
                 f"{fn}: the method was not judged, because {fn} does not give the right values yet")
    lines = reply.probes.get("line_events")
    if type(lines) is not int:
        ctx.fail(f"{what}: the method could not be measured (the grader's line count is missing)")
    if lines >= positions // 2:
        ctx.fail(f"{what} ran {lines} lines of Python in your files for {positions} output positions: that is a loop over "
                 "output positions (directly or through a helper such as conv2d_naive). Build the patch matrix with "
                 "im2col and compute every output with one GEMM (einsum or @).")


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


def check_im2col(ctx: Context, fn: str, x, kernel, stride=1, padding=0, dilation=1, label=None, fresh=True):
    """im2col_loop / im2col_strided against F.unfold; then again with other values (no caching)."""
    what = label or call_text(fn, x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    got = None
    for attempt in range(2 if fresh else 1):
        if attempt:
            x = ctx.randn(*x.shape, dtype=x.dtype)
        two_d = x.ndim == 2
        x4 = x[None, None] if two_d else x
        expected = unfold_expected(x4, kernel, stride, padding, dilation)
        kh, kw = pair(kernel)
        ho = output_size(x4.shape[2], kh, pair(stride)[0], pair(padding)[0], pair(dilation)[0])
        wo = output_size(x4.shape[3], kw, pair(stride)[1], pair(padding)[1], pair(dilation)[1])
        diags = im2col_diagnoses(expected, x4.shape[0], x4.shape[1], kh, kw, ho, wo)
        if two_d:
            expected, diags = expected[0], [(alt[0], msg) for alt, msg in diags]
        reply = ctx.call(fn, x, kernel, stride=stride, padding=padding, dilation=dilation)
        if attempt:
            expect_not_cached(ctx, reply, got, expected, what)
        got = ctx.expect_array(reply, expected, what, dtype=x.dtype, diagnoses=diags,
                               shape_hint=shape_formula(x4.shape, (1, 1, kh, kw), stride, padding, dilation))


def check_windows(ctx: Context, x, kernel, stride=1, dilation=1, noncontiguous=False, label=None):
    """sliding_windows: values against F.unfold, then zero-copy and read-only."""
    kh, kw = pair(kernel)
    n, c, h, w = x.shape
    cols = unfold_expected(x, kernel, stride, 0, dilation)
    ho = output_size(h, kh, pair(stride)[0], 0, pair(dilation)[0])
    wo = output_size(w, kw, pair(stride)[1], 0, pair(dilation)[1])
    expected = cols.reshape(n, c, kh, kw, ho, wo).transpose(0, 1, 4, 5, 2, 3)
    reply = ctx.call("sliding_windows", x, kernel, stride=stride, dilation=dilation, probes=("shares_memory",),
                     noncontiguous=(0,) if noncontiguous else ())
    what = label or call_text("sliding_windows", x, kernel_size=kernel, stride=stride, dilation=dilation)
    ctx.expect_array(reply, expected, what, dtype=x.dtype,
                     diagnoses=[(expected.transpose(0, 1, 4, 5, 2, 3), "axes are (N, C, kh, kw, Ho, Wo); expected (N, C, Ho, Wo, kh, kw)")])
    got = reply.value
    shifted = reply.probes.get("after_shift")
    if not (type(shifted) is np.ndarray and shifted.shape == got.shape and np.allclose(shifted, got + 1, rtol=1e-6, atol=1e-5)):
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
    grads = vector_jacobian(y, (xt, wt, bt), torch.from_numpy(np.asarray(dy, dtype=np.float64)))
    return tuple(g.numpy() for g in grads)


def check_backward(ctx: Context, dy, x, w, *, stride=1, padding=0, dilation=1, groups=1, label=None, fresh=True):
    got = _check_backward_once(ctx, dy, x, w, stride, padding, dilation, groups, label)
    if fresh:
        dy2, x2, w2 = (ctx.randn(*a.shape, dtype=a.dtype) for a in (dy, x, w))
        reply = ctx.call("conv2d_backward", dy2, x2, w2, stride=stride, padding=padding, dilation=dilation, groups=groups)
        what = label or call_text("conv2d_backward", x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
        if type(reply.value) is tuple and len(reply.value) == 3 and type(reply.value[0]) is np.ndarray:
            expect_not_cached(ctx, type(reply)(value=reply.value[0], error=reply.error), got[0],
                              backward_expected(dy2, x2, w2, stride, padding, dilation, groups)[0], what)
        _check_backward_once(ctx, dy2, x2, w2, stride, padding, dilation, groups, label, reply=reply)


def _check_backward_once(ctx, dy, x, w, stride, padding, dilation, groups, label, reply=None):
    dx, dw, db = backward_expected(dy, x, w, stride, padding, dilation, groups)
    dx_unrotated, _, _ = backward_expected(dy, x, w[..., ::-1, ::-1].copy(), stride, padding, dilation, groups)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    reply = reply or ctx.call("conv2d_backward", dy, x, w, **kwargs)
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
    return got


def check_unfold(ctx: Context, x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, grads=True, label=None):
    """conv2d_unfold: forward against F.conv2d and gradients against torch.autograd."""
    import torch
    import torch.nn.functional as F

    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    expected = torch_conv2d(x, w, b, stride, padding, dilation, groups)
    dy = ctx.randn(*expected.shape, dtype=x.dtype)
    args = [wire.TensorValue(x, True), wire.TensorValue(w, True)] + ([wire.TensorValue(b, True)] if b is not None else [None])
    reply = ctx.call("conv2d_unfold", *args, torch=True, probes=("conv_ops", "graph") + (("autograd",) if grads else ()),
                     upstream=wire.TensorValue(dy, False), **kwargs)
    what = label or call_text("conv2d_unfold", x, w, b=None if b is None else "b", **kwargs)
    ops = list(reply.probes.get("conv_ops") or [])
    graph = reply.probes.get("graph") if type(reply.probes.get("graph")) is list else []
    ops += [f"an autograd node {n}" for n in graph if type(n) is str and "onvolution" in n]
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
    want = vector_jacobian(y, leaves, torch.from_numpy(dy.astype(np.float64)))
    got = probe.get("values")
    if not isinstance(got, list) or len(got) != len(want):
        ctx.fail(f"{what}: autograd returned no gradient for every input")
    for name, g, t in zip(("x", "w", "b"), got, want):
        if g is None:
            ctx.fail(f"{what}: no gradient reaches {name}; keep every step a torch op (no .numpy(), no .detach())")
        ctx.expect_array(type(reply)(value=g), t.numpy(), f"{what}: gradient with respect to {name}", dtype=x.dtype, kind=wire.TensorValue)


class ForbiddenUse(Exception):
    """A forbidden shortcut seen while a check ran: the whole question scores nothing."""


