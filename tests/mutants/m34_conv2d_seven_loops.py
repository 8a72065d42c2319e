# module: conv2d
# question: conv2d
# A correct conv2d of seven nested Python loops: right values, wrong method (the question teaches im2col + GEMM).
def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    n, c, h, wd = x.shape
    co, cg, kh, kw = w.shape
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((n, co, ho, wo), dtype=x.dtype)
    og = co // groups
    for i in range(n):
        for o in range(co):
            g = o // og
            for r in range(ho):
                for s in range(wo):
                    acc = 0.0
                    for ci in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += xp[i, g * cg + ci, r * sh + p * dh, s * sw + q * dw] * w[o, ci, p, q]
                    y[i, o, r, s] = acc
    if b is not None:
        y += b.astype(x.dtype)[None, :, None, None]
    return y
