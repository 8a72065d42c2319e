# module: conv2d_torch
# question: unfold
# conv2d_unfold goes through NumPy, which cuts the autograd graph.
_reference_unfold = conv2d_unfold


def conv2d_unfold(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    y = _reference_unfold(x, w, b, stride, padding, dilation, groups)
    return torch.from_numpy(y.detach().numpy().copy())
