# module: backward
# question: backward
# dx is computed with the kernel not rotated by 180 degrees.
_reference_backward = conv2d_backward


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    dx, _, _ = _reference_backward(dy, x, np.ascontiguousarray(w[..., ::-1, ::-1]), stride, padding, dilation, groups)
    _, dw, db = _reference_backward(dy, x, w, stride, padding, dilation, groups)
    return dx, dw, db
