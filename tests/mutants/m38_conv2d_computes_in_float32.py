# module: conv2d
# question: conv2d
# conv2d always computes in float32 and casts the result back to the input's dtype: float64
# results carry float32 rounding. One bug: the bias exercise and grouped conv2d must not pay for it.
_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    low = lambda a: None if a is None else a.astype(np.float32)  # noqa: E731
    return _reference_conv2d(low(x), low(w), low(b), stride, padding, dilation, groups).astype(x.dtype)
