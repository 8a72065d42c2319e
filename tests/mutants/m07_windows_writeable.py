# module: im2col
# question: strided
# sliding_windows forgets writeable=False.
def sliding_windows(x, kernel_size, stride=1, dilation=1):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    h, w = x.shape[-2:]
    ho, wo = (h - dh * (kh - 1) - 1) // sh + 1, (w - dw * (kw - 1) - 1) // sw + 1
    s_h, s_w = x.strides[-2:]
    return np.lib.stride_tricks.as_strided(
        x, x.shape[:-2] + (ho, wo, kh, kw), x.strides[:-2] + (s_h * sh, s_w * sw, s_h * dh, s_w * dw)
    )
