"""Question ``winograd`` (10 points, extra credit): Winograd F(2, 3) (extra credit)."""
from __future__ import annotations

import numpy as np

from grader.checks import check, torch_conv2d
from grader.runtime import wire
from grader.common import call_text, canonical_pair

POINTS = 10
ORDER = 120
BUDGET_WEIGHT = 1
HIDDEN_WEIGHT = 2  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
EXTRA_CREDIT = True
FUNCTIONS = {
    "winograd_f23_matrices": "winograd",
    "winograd_tile": "winograd",
    "winograd_conv2d": "winograd",
}
PREREQUISITES = {
    "winograd_f23_matrices": ("conv_output_size",),
    "winograd_tile": ("conv_output_size",),
    "winograd_conv2d": ("conv_output_size",),
}
EXAMPLE_CALLS = {
    "winograd_f23_matrices": lambda: (),
    "winograd_tile": lambda: (np.ones((4, 4)), np.ones((3, 3))),
    "winograd_conv2d": canonical_pair,
}


@check("winograd", "winograd_f23_matrices are valid F(2, 3) transforms", public=True)
def _(ctx):
    got = ctx.value(ctx.call("winograd_f23_matrices"), "winograd_f23_matrices()")
    if type(got) is not tuple or len(got) != 3 or not all(type(m) is np.ndarray for m in got):
        ctx.fail("winograd_f23_matrices() must return a tuple of three arrays (BT, G, AT)")
    BT, G, AT = got
    if (BT.shape, G.shape, AT.shape) != ((4, 4), (4, 3), (2, 4)):
        ctx.fail(f"shapes are {BT.shape}, {G.shape}, {AT.shape}; expected (4, 4), (4, 3), (2, 4)")
    for _ in range(3):
        d, g = ctx.randn(4, 4), ctx.randn(3, 3)
        tile = AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T
        if not np.allclose(tile, torch_conv2d(d[None, None], g[None, None])[0, 0], rtol=1e-9, atol=1e-9):
            ctx.fail("AT @ ((G @ g @ G.T) * (BT @ d @ BT.T)) @ AT.T with your matrices is not the 2x2 cross-correlation of d with g")


@check("winograd", "winograd_tile: values and 16 multiplications", public=True)
def _(ctx):
    d, g = ctx.randn(4, 4), ctx.randn(3, 3)
    reply = ctx.call("winograd_tile", d, g, probes=("count_mults",))
    ctx.expect_array(reply, torch_conv2d(d[None, None], g[None, None])[0, 0], "winograd_tile(d (4, 4), g (3, 3))", dtype=np.float64)
    replayed = reply.probes.get("replay")
    if type(replayed) is not dict or "error" in replayed:
        reason = str(replayed.get("error"))[:200] if type(replayed) is dict else "nothing was recorded"
        ctx.fail(f"winograd_tile: the multiplication count could not be measured ({reason}); return the array that your "
                 "operations on d and g produce, and keep d and g as arrays through the transforms (np.asarray, tolist, "
                 "float() and memoryview make plain copies that cannot be counted)")
    fresh, result = wire.decode(replayed.get("inputs")), wire.decode(replayed.get("result"))
    if not (type(fresh) is list and len(fresh) == 2 and type(result) is np.ndarray and result.shape == (2, 2)
            and np.allclose(result, torch_conv2d(fresh[0][None, None], fresh[1][None, None])[0, 0], rtol=1e-7, atol=1e-9)):
        ctx.fail("winograd_tile: the result does not follow from d and g through the array operations the grader counts: "
                 "part of it was computed on plain copies (np.asarray, tolist, float(), memoryview, .view(np.ndarray)), "
                 "whose multiplications cannot be counted")
    count = reply.probes.get("multiplications", 0)
    if count == 0:
        ctx.fail("winograd_tile: the multiplication count could not be measured; keep d and g as arrays through the transforms (np.asarray/float() drop the tracking)")
    if count > 16:
        ctx.fail(f"winograd_tile multiplied data by weights {count} times; F(2, 3) needs 16 (the direct 2x2x9 would be 36)")


@check("winograd", "winograd_conv2d on the canonical 5x5 and a padded batch", public=True)
def _(ctx):
    x, w = canonical_pair()
    ctx.expect_array(ctx.call("winograd_conv2d", x, w), torch_conv2d(x, w), "winograd_conv2d(canonical x, Sobel-X w)", dtype=np.float64)
    x, w, b = ctx.randn(2, 3, 7, 6), ctx.randn(4, 3, 3, 3), ctx.randn(4)
    ctx.expect_array(ctx.call("winograd_conv2d", x, w, b, padding=1), torch_conv2d(x, w, b, padding=1),
                     call_text("winograd_conv2d", x, w, b="b", padding=1), dtype=np.float64)
