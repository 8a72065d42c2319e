# module: conv2d_torch
# conv2d_unfold with Tensor.unfold on each spatial axis and einsum: still no convolution op.
def conv2d_unfold(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    dh, dw = (dilation, dilation) if isinstance(dilation, int) else dilation
    c_out, cg, kh, kw = w.shape
    xp = F.pad(x, (pw, pw, ph, ph))
    win = xp.unfold(2, dh * (kh - 1) + 1, sh).unfold(3, dw * (kw - 1) + 1, sw)[..., ::dh, ::dw]  # (N, C, Ho, Wo, kh, kw)
    n, c, ho, wo = win.shape[:4]
    win = win.reshape(n, groups, cg, ho, wo, kh, kw)
    y = torch.einsum("ngchwpq,gocpq->ngohw", win, w.reshape(groups, c_out // groups, cg, kh, kw)).reshape(n, c_out, ho, wo)
    return y if b is None else y + b.view(1, -1, 1, 1)
