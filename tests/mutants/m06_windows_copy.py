# module: im2col
# question: strided
# sliding_windows returns a copy of the windows instead of a view of x.
_reference_sliding_windows = sliding_windows


def sliding_windows(x, kernel_size, stride=1, dilation=1):
    view = _reference_sliding_windows(x, kernel_size, stride, dilation)
    out = view.copy()
    out.flags.writeable = False
    return out
