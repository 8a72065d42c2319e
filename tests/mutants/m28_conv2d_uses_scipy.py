# module: conv2d
# question: conv2d
# also: exercises, variants (they run your conv2d directly, so they ran scipy too)
# conv2d calls scipy.signal.correlate, a forbidden shortcut in the NumPy tasks (right values, zero points).
_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    from scipy import signal  # inside the function: the module imports on machines without scipy too

    signal.correlate(np.zeros(3), np.ones(2))
    return _reference_conv2d(x, w, b, stride, padding, dilation, groups)
