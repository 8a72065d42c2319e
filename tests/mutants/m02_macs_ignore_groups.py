# module: cost
# question: cost
# conv2d_macs multiplies by C_in instead of C_in // groups.
_reference_macs = conv2d_macs


def conv2d_macs(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1):
    return _reference_macs(x_shape, w_shape, stride, padding, dilation, groups) * groups
