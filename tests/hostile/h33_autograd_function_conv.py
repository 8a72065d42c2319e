# module: conv2d_torch
# loses: unfold
# feedback: convolution op
# A torch.autograd.Function whose forward and backward pop the Python dispatch modes and call
# F.conv2d under no_grad: no ConvolutionBackward0 in the graph, and no Python mode sees the op.
import importlib as _importlib


def _modes_off():
    return getattr(_importlib.import_module("torch.utils." + "_python_" + "dispatch"), "_disable_" + "current_modes")()


class _Hidden(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, stride, padding, dilation):
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation)
        with _modes_off(), torch.no_grad():
            return getattr(F, "con" + "v2d")(x, w, None, stride, padding, dilation)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensors
        s, p, d = ctx.conf
        with _modes_off(), torch.no_grad():
            grad = getattr(torch.ops.aten, "convol" + "ution_backward")
            dx, dw, _ = grad(dy, x, w, None, list(_pair(s)), list(_pair(p)), list(_pair(d)), False, [0, 0], 1,
                             [True, True, False])
        return dx, dw, None, None, None


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_unfold(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    y = _Hidden.apply(x, w, stride, padding, dilation)
    return y if b is None else y + b.view(1, -1, 1, 1)
