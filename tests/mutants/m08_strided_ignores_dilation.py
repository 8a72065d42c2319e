# module: im2col
# question: strided
# im2col_strided passes dilation 1 to sliding_windows.
_reference_im2col_strided = im2col_strided


def im2col_strided(x, kernel_size, stride=1, padding=0, dilation=1):
    return _reference_im2col_strided(x, kernel_size, stride, padding, 1)
