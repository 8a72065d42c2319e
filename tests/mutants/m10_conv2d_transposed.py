# module: conv2d
# question: conv2d
# conv2d returns its output with H and W swapped.
_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return np.ascontiguousarray(_reference_conv2d(x, w, b, stride, padding, dilation, groups).swapaxes(-1, -2))
