# module: backward
# question: backward
# conv2d_backward is right, then scales the caller's dy in place.
_reference_conv2d_backward = conv2d_backward


def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    grads = _reference_conv2d_backward(dy, x, w, stride, padding, dilation, groups)
    dy *= 2
    return grads
