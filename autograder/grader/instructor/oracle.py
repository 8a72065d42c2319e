"""The grader's own implementations of every function the assignment asks for.

While one question is graded, the student's functions of *other* questions are replaced by
these, so a bug costs only the question it belongs to (see grader/questions/).
They are written independently of the reference solution (NumPy's ``sliding_window_view``
instead of ``as_strided``, explicit loops over kernel offsets for the adjoint) and are
checked against torch by tests/test_oracle.py. Only NumPy: this file runs inside the child,
where torch counts as a forbidden import for the NumPy questions.

Shipped in the Gradescope zip (instructors only), never in the student release.
"""
import statistics
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _hw(v):
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    if out < 1:
        raise ValueError(f"output size {out} < 1")
    return int(out)


def conv2d_macs(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1):
    (s, p, d) = (_hw(stride), _hw(padding), _hw(dilation))
    ho = conv_output_size(x_shape[2], w_shape[2], s[0], p[0], d[0])
    wo = conv_output_size(x_shape[3], w_shape[3], s[1], p[1], d[1])
    return int(x_shape[0] * w_shape[0] * ho * wo * w_shape[1] * w_shape[2] * w_shape[3])


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


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    if len(x_shape) == 2:
        return col2im(cols[None], (1, 1) + tuple(x_shape), kernel_size, stride, padding, dilation)[0, 0]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _hw(kernel_size), _hw(stride), _hw(padding), _hw(dilation)
    n, c, h, w = x_shape
    ho = conv_output_size(h, kh, sh, ph, dh)
    wo = conv_output_size(w, kw, sw, pw, dw)
    blocks = cols.reshape(n, c, kh, kw, ho, wo)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(ho):
        for j in range(wo):
            out[:, :, i * sh : i * sh + dh * kh : dh, j * sw : j * sw + dw * kw : dw] += blocks[:, :, :, :, i, j]
    return out[:, :, ph : ph + h, pw : pw + w]


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


conv2d_gemm = conv2d


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    win = _windows(x, w.shape[2:], stride, padding, dilation)
    n, c, ho, wo, kh, kw = win.shape
    g, co = int(groups), w.shape[0]
    dyg = dy.astype(x.dtype).reshape(n, g, co // g, ho, wo)
    dw = np.einsum("ngchwpq,ngohw->gocpq", win.reshape(n, g, c // g, ho, wo, kh, kw), dyg).reshape(w.shape)
    wg = w.astype(x.dtype).reshape(g, co // g, c // g, kh, kw)
    (sh, sw), (ph, pw), (dh, dwl) = _hw(stride), _hw(padding), _hw(dilation)
    dxp = np.zeros((n, c, x.shape[2] + 2 * ph, x.shape[3] + 2 * pw), dtype=x.dtype)
    for p in range(kh):  # each kernel offset scatters W^T dy back onto the pixels it read
        for q in range(kw):
            back = np.einsum("ngohw,goc->ngchw", dyg, wg[:, :, :, p, q]).reshape(n, c, ho, wo)
            dxp[:, :, p * dh : p * dh + sh * (ho - 1) + 1 : sh, q * dwl : q * dwl + sw * (wo - 1) + 1 : sw] += back
    dx = dxp[:, :, ph : ph + x.shape[2], pw : pw + x.shape[3]]
    return dx, dw, dy.sum(axis=(0, 2, 3)).astype(x.dtype)


def conv1x1(x, w, b=None):
    w2 = w.reshape(w.shape[0], w.shape[1])
    y = np.einsum("nchw,oc->nohw", x, w2.astype(x.dtype))
    return y if b is None else y + b.astype(x.dtype)[None, :, None, None]


def depthwise_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    return conv2d(x, w, b, stride, padding, dilation, groups=x.shape[1])


def separable_conv2d(x, w_depthwise, w_pointwise, stride=1, padding=0, dilation=1):
    spatial = conv2d(x, w_depthwise, None, stride, padding, dilation, groups=x.shape[1])
    return conv1x1(spatial, w_pointwise)


def conv2d_params(c_in, c_out, kernel_size, groups=1, bias=False):
    kh, kw = _hw(kernel_size)
    weights = c_out * (c_in // groups) * kh * kw
    return int(weights + c_out) if bias else int(weights)


def separable_params(c_in, c_out, kernel_size):
    kh, kw = _hw(kernel_size)
    return int(c_in * kh * kw + c_in * c_out)


def strides_nchw(shape):
    n, c, h, w = shape
    return (c * h * w, h * w, w, 1)


def strides_nhwc(shape):
    n, c, h, w = shape
    return (h * w * c, 1, w * c, c)


def to_channels_last(x):
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, 3)), 3, 1)


def time_callable(fn, *args, repeats=5, warmup=1, cuda=False):
    for _ in range(warmup):
        fn(*args)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - start)
    return float(statistics.median(samples))
