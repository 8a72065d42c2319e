# module: conv2d_torch
# loses: unfold
# feedback: convolution op
def conv2d_unfold(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    op = getattr(F, "con" + "v" + "2d")
    return op(x, w, b, stride, padding, dilation, groups)
