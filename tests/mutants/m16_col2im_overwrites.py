# module: im2col
# question: backward
# col2im assigns each column back instead of summing where windows overlap.
def col2im(cols, x_shape, kernel_size, stride=1, padding=0, dilation=1):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    two_d = len(x_shape) == 2
    if two_d:
        cols, x_shape = cols[None], (1, 1) + tuple(x_shape)
    n, c, h, w = x_shape
    ho, wo = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    blocks = cols.reshape(n, c, kh, kw, ho, wo)
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for p in range(kh):
        for q in range(kw):
            xp[:, :, p * dh : p * dh + sh * (ho - 1) + 1 : sh, q * dw : q * dw + sw * (wo - 1) + 1 : sw] = blocks[:, :, p, q]
    out = xp[:, :, ph : ph + h, pw : pw + w]
    return out[0, 0] if two_d else out
