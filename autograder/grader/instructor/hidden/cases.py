"""Configurations the hidden checks draw: the named edge cases and seeded random layers.

A configuration is ``(N, C_in, H, W, C_out, kernel, stride, padding, dilation, groups)``.
"""
from __future__ import annotations

import numpy as np

EDGE_CASES = {
    "stride larger than the kernel": (1, 2, 11, 10, 3, 2, 3, 0, 1, 1),
    "dilation with padding": (2, 2, 9, 8, 3, 3, 1, 2, 2, 1),
    "one-pixel output": (1, 3, 3, 3, 2, 3, 1, 0, 1, 1),
    "batch of one, C_in != C_out, non-square kernel": (1, 3, 8, 9, 5, (2, 3), 1, (1, 0), 1, 1),
    "pair-valued stride, padding and dilation": (2, 2, 10, 9, 3, 3, (2, 1), (0, 1), (1, 2), 1),
    "odd sizes, 1x1 kernel": (3, 4, 5, 7, 2, 1, 1, 0, 1, 1),
}


def case_arrays(ctx, cfg, dtype=np.float64):
    """``(x (N, C_in, H, W), w (C_out, C_in / groups, kH, kW), dict(stride, padding, dilation), groups)``."""
    n, c, h, w, co, k, s, p, d, g = cfg
    kh, kw = (k, k) if isinstance(k, int) else k
    x = ctx.randn(n, c, h, w, dtype=dtype)
    wt = ctx.randn(co, c // g, kh, kw, dtype=dtype)
    return x, wt, dict(stride=s, padding=p, dilation=d), g


def random_config(ctx, groups=False):
    """A random small layer whose kernel fits; ``groups``: also a random group count (1, 2 or 3)."""
    g = int(ctx.rng.choice([1, 2, 3])) if groups else 1
    c = g * int(ctx.rng.integers(1, 3))
    co = g * int(ctx.rng.integers(1, 3))
    kh, kw = (int(v) for v in ctx.rng.integers(1, 4, size=2))
    s = tuple(int(v) for v in ctx.rng.integers(1, 3, size=2))
    d = tuple(int(v) for v in ctx.rng.integers(1, 3, size=2))
    p = tuple(int(v) for v in ctx.rng.integers(0, 3, size=2))
    h = int(ctx.rng.integers(d[0] * (kh - 1) + 1, 10))
    w = int(ctx.rng.integers(d[1] * (kw - 1) + 1, 10))
    return (int(ctx.rng.integers(1, 3)), c, h, w, co, (kh, kw), s, p, d, g)
