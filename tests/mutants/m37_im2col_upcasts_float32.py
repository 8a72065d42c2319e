# module: im2col
# question: im2col
# im2col_loop returns float64 columns for float32 input (np.zeros without a dtype).
_reference_im2col_loop = im2col_loop


def im2col_loop(x, kernel_size, stride=1, padding=0, dilation=1):
    cols = _reference_im2col_loop(x, kernel_size, stride, padding, dilation)
    out = np.zeros(cols.shape)
    out[...] = cols
    return out
