# module: winograd
# question: winograd
# winograd_conv2d drops the last row and column when the output size is odd.
_reference_winograd = winograd_conv2d


def winograd_conv2d(x, w, b=None, padding=0):
    y = _reference_winograd(x, w, b, padding)
    h, wd = y.shape[-2:]
    y = y.copy()
    if h % 2:
        y[..., -1, :] = 0
    if wd % 2:
        y[..., :, -1] = 0
    return y
