# module: conv2d
# question: conv2d
# also: exercises, variants (they call the same conv2d)
# conv2d is right, then zeroes the caller's x.
_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    y = _reference_conv2d(x, w, b, stride, padding, dilation, groups)
    x[...] = 0
    return y
