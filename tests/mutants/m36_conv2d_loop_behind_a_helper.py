# module: conv2d
# question: conv2d
# conv2d builds its output one position at a time in a private helper: the loop is hidden, not gone.
def _one_position(xp, w, i, r, s, sh, sw, dh, dw, kh, kw):
    patch = xp[i, :, r * sh : r * sh + dh * (kh - 1) + 1 : dh, s * sw : s * sw + dw * (kw - 1) + 1 : dw]
    return np.einsum("cpq,ocpq->o", patch, w)


def _positions(xp, w, ho, wo, sh, sw, dh, dw):
    kh, kw = w.shape[2:]
    y = np.zeros((xp.shape[0], w.shape[0], ho, wo), dtype=xp.dtype)
    for i in range(xp.shape[0]):
        for r in range(ho):
            for s in range(wo):
                y[i, :, r, s] = _one_position(xp, w, i, r, s, sh, sw, dh, dw, kh, kw)
    return y


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    ho = (x.shape[2] + 2 * ph - dh * (w.shape[2] - 1) - 1) // sh + 1
    wo = (x.shape[3] + 2 * pw - dw * (w.shape[3] - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    y = np.concatenate([_positions(xp[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og].astype(x.dtype), ho, wo, sh, sw, dh, dw)
                        for g in range(groups)], axis=1)
    return y if b is None else y + b.astype(x.dtype)[None, :, None, None]
