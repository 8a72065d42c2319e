# module: cost
# question: cost
# conv2d_naive slides the window one pixel at a time whatever the stride.
_reference_naive = conv2d_naive


def conv2d_naive(x, w, b=None, stride=1, padding=0, dilation=1):
    return _reference_naive(x, w, b, 1, padding, dilation)
