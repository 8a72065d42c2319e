# module: conv2d
# question: conv2d
# conv2d always returns float64, even for float32 input.
_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _reference_conv2d(x.astype(np.float64), w, b, stride, padding, dilation, groups)
