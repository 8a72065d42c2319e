"""Question ``benchmark`` (6 points): timing and the benchmark table."""
from __future__ import annotations

import numpy as np

from grader.runtime import wire
from grader.checks import check, positive_real
from grader.common import check_benchmark_timing

POINTS = 6
ORDER = 100
BUDGET_WEIGHT = 1.5  # its checks sleep: the timed calls take their time
FUNCTIONS = {
    "time_callable": "benchmark",
    "benchmark_table": "benchmark",
}
HIDDEN_WEIGHT = 1  # total weight of the hidden twin's checks: a public check is worth the same in `make check` and on Gradescope
PREREQUISITES = {
    "time_callable": (),
    "benchmark_table": ("conv2d_naive", "im2col_loop", "conv2d"),
}
EXAMPLE_CALLS = {
    "time_callable": lambda: (lambda: None,),
    "benchmark_table": lambda: ((1, 1, 5, 5), (1, 1, 3, 3)),
}


@check("benchmark", "time_callable returns the median of the timed calls, after the warm-up", public=True)
def _(ctx):
    durations = [0.003, 0.1, 0.003, 0.003, 0.1, 0.003]  # first is the warm-up; median of the rest 0.003, mean 0.042
    reply = ctx.call("time_callable", wire.CallableSpec("sleep_sequence", {"durations": durations}), repeats=5, warmup=1)
    got = ctx.value(reply, "time_callable(fn, repeats=5, warmup=1)")
    if not isinstance(got, (float, np.floating)):
        ctx.fail(f"time_callable returned {type(got).__name__}; expected a float number of seconds")
    # how long each call of fn really took, measured inside fn and sent over the event pipe as
    # it happened: a busy or throttled machine (half a CPU) wakes a sleeper late, in the
    # student's times too, so the median is judged against these
    measured = reply.probes.get("call_seconds")
    if type(measured) is not list or len(measured) != 6:
        calls = len(measured) if type(measured) is list else "an unknown number of"
        ctx.fail(f"time_callable(fn, repeats=5, warmup=1) called fn {calls} times; expected 1 warm-up + 5 timed = 6")
    median, mean = float(np.median(measured[1:])), float(np.mean(measured[1:]))
    if not 0.95 * median <= got <= median + max(0.005, 0.5 * median):
        hint = " (that looks like the mean, not the median)" if abs(got - mean) < abs(got - median) else ""
        ctx.fail(f"time_callable returned {got:.4f} s; the median of the 5 timed calls is {median:.4f} s "
                 f"(each fn call sleeps 0.003 or 0.1 s){hint}")


@check("benchmark", "benchmark_table rows, keys and order", public=True)
def _(ctx):
    import torch

    rows = ctx.value(ctx.call("benchmark_table", (1, 2, 10, 10), (3, 2, 3, 3), repeats=2, timeout=60), "benchmark_table((1, 2, 10, 10), (3, 2, 3, 3))")
    names = ["naive", "im2col_loop", "einsum", "torch_cpu"] + (["cudnn"] if torch.cuda.is_available() else [])
    if type(rows) is not list or not all(type(r) is dict for r in rows):
        ctx.fail("benchmark_table must return a list of dicts, one per row")
    if [r.get("name") for r in rows] != names:
        ctx.fail(f"benchmark_table rows are {[r.get('name') for r in rows]}; expected {names} in that order")
    for r in rows:
        if set(r) != {"name", "backend", "seconds", "gflops", "speedup"}:
            ctx.fail(f"row {r.get('name')!r} has keys {sorted(r)}; expected name, backend, seconds, gflops, speedup")
        if not all(positive_real(r[k]) for k in ("seconds", "gflops", "speedup")):
            ctx.fail(f"row {r.get('name')!r}: seconds, gflops and speedup must be positive floats")
    if abs(rows[0]["speedup"] - 1.0) > 1e-9:
        ctx.fail(f"the naive row's speedup is {rows[0]['speedup']}; speed-ups are against naive, so it must be 1.0")


@check("benchmark", "benchmark_table reports the time its calls really take", public=True)
def _(ctx):
    check_benchmark_timing(ctx)
