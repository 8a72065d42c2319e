"""Seeded convolution configurations shared by the reference tests.

Each config: (N, C_in, H, W, C_out, kernel, stride, padding, dilation, groups).
Chosen to cover: stride > 1 and > kernel, padding and dilation together, non-square kernels,
pair-valued arguments, odd and non-square images, batch > 1, C_in != C_out, groups and
depthwise, 1x1 kernels and 1-pixel outputs.
"""
CONFIGS = [
    (1, 1, 5, 5, 1, 3, 1, 0, 1, 1),
    (2, 3, 7, 9, 4, 3, 1, 1, 1, 1),
    (3, 2, 8, 8, 5, 3, 2, 0, 1, 1),
    (2, 4, 9, 7, 6, 3, 2, 1, 1, 2),
    (1, 6, 8, 8, 6, (3, 2), (1, 2), (2, 0), (2, 1), 3),
    (2, 3, 11, 10, 2, (2, 4), 3, (1, 2), 1, 1),
    (1, 4, 6, 6, 4, 3, 1, 1, 1, 4),
    (2, 2, 5, 6, 3, 1, 1, 0, 1, 1),
    (1, 3, 13, 12, 2, 3, 4, 0, 1, 1),  # stride > kernel
    (2, 2, 9, 9, 3, 3, 1, 2, 3, 1),  # dilation with padding
    (1, 5, 3, 3, 2, 3, 1, 0, 1, 1),  # 1-pixel output
    (1, 2, 7, 5, 2, (1, 3), (2, 1), (0, 1), (1, 2), 2),
]


def config_id(cfg):
    n, c, h, w, co, k, s, p, d, g = cfg
    return f"x{n}x{c}x{h}x{w}-w{co}-k{k}-s{s}-p{p}-d{d}-g{g}"


def kernel_hw(k):
    return (k, k) if isinstance(k, int) else tuple(k)
