# module: variants
# question: variants
# depthwise_conv2d sums over channels (one shared filter bank) instead of one filter per channel.
def depthwise_conv2d(x, w, b=None, stride=1, padding=0, dilation=1):
    full = np.repeat(w.transpose(1, 0, 2, 3), w.shape[0], axis=0)  # (C, C, kh, kw)
    return conv2d(x, np.ascontiguousarray(full), b, stride, padding, dilation)
