# module: im2col
# question: im2col
# im2col_loop forgets to pad the input.
_reference_im2col_loop = im2col_loop


def im2col_loop(x, kernel_size, stride=1, padding=0, dilation=1):
    return _reference_im2col_loop(x, kernel_size, stride, 0, dilation)
