# module: variants
# question: variants
# conv1x1 ignores its bias.
_reference_conv1x1 = conv1x1


def conv1x1(x, w, b=None):
    return _reference_conv1x1(x, w)
