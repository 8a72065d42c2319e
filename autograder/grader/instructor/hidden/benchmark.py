"""Hidden checks of question ``benchmark``: seeded random configurations and edge cases. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/benchmark.py.
"""
from __future__ import annotations

from grader.checks import check
from grader.common import check_benchmark_timing


@check("benchmark", "the table's times follow the run times of the calls it times", public=False)
def _(ctx):
    check_benchmark_timing(ctx, shape=((1, 3, 9, 9), (2, 3, 3, 3)))
