"""Hidden checks of question ``conv2d``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/conv2d.py.
"""
from __future__ import annotations

import numpy as np

from grader.checks import check
from grader.common import check_forward
from grader.instructor.hidden.cases import EDGE_CASES, case_arrays


for _name, _cfg in EDGE_CASES.items():

    @check("conv2d", _name, public=False)
    def _(ctx, _cfg=_cfg, _name=_name):
        x, w, kw, _ = case_arrays(ctx, _cfg)
        check_forward(ctx, "conv2d", x, w, **kw, label=f"conv2d ({_name})")


@check("conv2d", "float32 stays float32, within float32 tolerance", public=False)
def _(ctx):
    x, w, kw, _ = case_arrays(ctx, (2, 3, 9, 9, 4, 3, 1, 1, 1, 1), np.float32)
    check_forward(ctx, "conv2d", x, w, **kw, label="conv2d (float32 input)")


@check("conv2d", "non-contiguous input", public=False)
def _(ctx):
    x, w, kw, _ = case_arrays(ctx, (2, 2, 7, 8, 3, 3, 2, 1, 1, 1))
    check_forward(ctx, "conv2d", x, w, **kw, noncontiguous=True, label="conv2d (non-contiguous input)")
