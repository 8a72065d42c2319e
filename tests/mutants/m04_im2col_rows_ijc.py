# module: im2col
# question: im2col
# im2col_loop orders the rows (i, j, c) instead of F.unfold's (c, i, j).
_reference_im2col_loop = im2col_loop


def im2col_loop(x, kernel_size, stride=1, padding=0, dilation=1):
    cols = _reference_im2col_loop(x, kernel_size, stride, padding, dilation)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if cols.ndim == 2:
        return cols
    n, ckk, length = cols.shape
    c = ckk // (kh * kw)
    return cols.reshape(n, c, kh, kw, length).transpose(0, 2, 3, 1, 4).reshape(n, ckk, length)
