"""The grader's own implementations of the functions that some question declares as a prerequisite.

While one question is graded, its functions' prerequisites (grader.questions.PREREQUISITES) are
these instead of the student's, so a bug costs only the question it belongs to. Only declared
prerequisites are here (tests/test_oracle.py checks that each one is): a function no question
relies on needs no stand-in.

They are written independently of the reference solution (NumPy's ``sliding_window_view``
instead of ``as_strided``, one grouped einsum over the windows) and are checked against torch
by tests/test_oracle.py. Only NumPy: this file runs inside the child,
where torch counts as a forbidden import for the NumPy questions.

Shipped in the Gradescope zip (instructors only), never in the student release.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _hw(v):
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"output size {out} < 1")
    return int(out)


def _windows(x, kernel, stride, padding, dilation):
    """(N, C, Ho, Wo, kh, kw) windows of the zero-padded x, via sliding_window_view."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _hw(kernel), _hw(stride), _hw(padding), _hw(dilation)
    # no padding: a view of x itself (sliding_windows must share memory with x, and code built
    # on it, such as writing into a padded buffer after taking its windows, relies on that)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if span_h > xp.shape[2] or span_w > xp.shape[3]:
        raise ValueError("kernel larger than the padded input")
    win = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))  # (N, C, H', W', span_h, span_w)
    return win[:, :, ::sh, ::sw, ::dh, ::dw]


def sliding_windows(x, kernel_size, stride=1, dilation=1):
    if x.ndim == 2:
        return sliding_windows(x[None, None], kernel_size, stride, dilation)[0, 0]
    return _windows(x, kernel_size, stride, 0, dilation)


def im2col_strided(x, kernel_size, stride=1, padding=0, dilation=1):
    if x.ndim == 2:
        return im2col_strided(x[None, None], kernel_size, stride, padding, dilation)[0]
    win = _windows(x, kernel_size, stride, padding, dilation)
    n, c, ho, wo, kh, kw = win.shape
    return np.ascontiguousarray(np.moveaxis(win, (4, 5), (2, 3))).reshape(n, c * kh * kw, ho * wo)


im2col_loop = im2col_strided


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    win = _windows(x, w.shape[2:], stride, padding, dilation)
    n, c, ho, wo, kh, kw = win.shape
    g = int(groups)
    co = w.shape[0]
    y = np.einsum(
        "ngchwpq,gocpq->ngohw",
        win.reshape(n, g, c // g, ho, wo, kh, kw),
        w.astype(x.dtype).reshape(g, co // g, c // g, kh, kw),
    ).reshape(n, co, ho, wo)
    if b is not None:
        y = y + b.astype(x.dtype)[None, :, None, None]
    return np.ascontiguousarray(y, dtype=x.dtype)


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    """A real loop (benchmark_table's naive row must stay the slow one)."""
    win = _windows(x, w.shape[2:], stride, padding, dilation)
    n, _, ho, wo = win.shape[:4]
    y = np.empty((n, w.shape[0], ho, wo), dtype=x.dtype)
    for i in range(n):
        for o in range(w.shape[0]):
            for r in range(ho):
                for c in range(wo):
                    y[i, o, r, c] = np.sum(win[i, :, r, c] * w[o])
    return y if b is None else y + b.astype(x.dtype)[None, :, None, None]
