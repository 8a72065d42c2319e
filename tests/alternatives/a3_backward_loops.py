# module: backward
# conv2d_backward by scattering each output pixel's gradient back to its window (plain loops).
def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    dh, dw_ = (dilation, dilation) if isinstance(dilation, int) else dilation
    n, c, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    ho, wo = dy.shape[2:]
    og = c_out // groups
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w, dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
            cols = slice(j * sw, j * sw + dw_ * (kw - 1) + 1, dw_)
            for g in range(groups):
                window = xp[:, g * cg : (g + 1) * cg, rows, cols]  # (N, cg, kh, kw)
                grad = dy[:, g * og : (g + 1) * og, i, j]  # (N, og)
                dw[g * og : (g + 1) * og] += np.einsum("no,ncpq->ocpq", grad, window)
                dxp[:, g * cg : (g + 1) * cg, rows, cols] += np.einsum("no,ocpq->ncpq", grad, w[g * og : (g + 1) * og])
    return dxp[:, :, ph : ph + h, pw : pw + wd], dw, dy.sum(axis=(0, 2, 3))
