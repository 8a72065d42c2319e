# module: backward
# question: backward
# db sums dy over every axis, channels included.
_reference_backward = conv2d_backward


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    dx, dw, db = _reference_backward(dy, x, w, stride, padding, dilation, groups)
    return dx, dw, np.full_like(db, dy.sum())
