"""Hidden checks of question ``layout``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/layout.py.
"""
from __future__ import annotations

from grader.checks import check


@check("layout", "strides and channels_last for other shapes", public=False)
def _(ctx):
    import torch

    for shape in ((1, 64, 7, 7), (4, 2, 3, 1)):
        ctx.expect_equal(ctx.call("strides_nchw", shape), tuple(torch.empty(shape).stride()), "strides_nchw", types=(tuple,))
        ctx.expect_equal(ctx.call("strides_nhwc", shape), tuple(torch.empty(shape).to(memory_format=torch.channels_last).stride()),
                         "strides_nhwc", types=(tuple,))
    x = ctx.randn(3, 5, 2, 4)
    ctx.expect_array(ctx.call("to_channels_last", x), x, "to_channels_last", dtype=x.dtype)
