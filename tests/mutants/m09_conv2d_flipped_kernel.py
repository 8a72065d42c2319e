# module: conv2d
# question: conv2d
# conv2d computes a true convolution (kernel flipped), not the cross-correlation F.conv2d computes.
_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return _reference_conv2d(x, np.ascontiguousarray(w[..., ::-1, ::-1]), b, stride, padding, dilation, groups)
