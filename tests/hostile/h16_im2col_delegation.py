# module: im2col
# loses: im2col, strided
# im2col_loop and im2col_strided call each other, and sliding_windows asks the package for
# im2col_loop: nothing is implemented, so nothing may score.
def im2col_loop(x, kernel_size, stride=1, padding=0, dilation=1):
    return im2col_strided(x, kernel_size, stride, padding, dilation)


def im2col_strided(x, kernel_size, stride=1, padding=0, dilation=1):
    return im2col_loop(x, kernel_size, stride, padding, dilation)


def sliding_windows(x, kernel_size, stride=1, dilation=1):
    import conv_gemm

    cols = conv_gemm.im2col_loop(x, kernel_size, stride, 0, dilation)
    return np.lib.stride_tricks.as_strided(cols, writeable=False)
