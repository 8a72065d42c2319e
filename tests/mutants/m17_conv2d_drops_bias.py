# module: conv2d
# question: exercises
# conv2d ignores its bias argument (the first coding exercise).
_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _reference_conv2d(x, w, None, stride, padding, dilation, groups)
