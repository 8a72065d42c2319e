"""Objective 1: the same FLOPs cost very different time on different paths.

:func:`time_callable` is the one stopwatch every measurement goes through; on a GPU it uses
CUDA events, because kernel launches return before the work is done.
"""
from __future__ import annotations

import numbers
import statistics
import time

import numpy as np

from .cost import conv2d_macs, conv2d_naive
from .conv2d import conv2d
from .im2col import im2col_loop


def time_callable(fn, *args, repeats=5, warmup=1, cuda=False) -> float:
    """Median wall time of ``fn(*args)`` in seconds, after ``warmup`` untimed calls.

    Args:
        fn: any callable; args: its positional arguments.
        repeats: timed calls (>= 1); warmup: untimed calls first (>= 0).
        cuda: time with ``torch.cuda.Event`` pairs and synchronize (needs CUDA).

    Returns:
        The median of ``repeats`` timings, in seconds (robust to one slow outlier).
    """
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {type(fn).__name__}")
    for name, value, low in (("repeats", repeats, 1), ("warmup", warmup, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    # BEGIN SOLUTION benchmark
    # HINT: time.perf_counter() around each call; on CUDA, Event(enable_timing=True) + synchronize().
    for _ in range(warmup):
        fn(*args)
    times = []
    if cuda:
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("cuda=True but torch.cuda.is_available() is False")
        torch.cuda.synchronize()
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn(*args)
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end) / 1e3)  # elapsed_time is in milliseconds
    else:
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t0)
    return float(statistics.median(times))
    # END SOLUTION


def benchmark_table(x_shape, w_shape, stride=1, padding=0, repeats=3, warmup=1, dtype="float32", seed=0) -> list:
    """Time one convolution on every path and tabulate.

    Args:
        x_shape: ``(N, C_in, H, W)``; w_shape: ``(C_out, C_in, kh, kw)``.

    Returns:
        One dict per row, in this order: ``naive``, ``im2col_loop``, ``einsum``, ``torch_cpu``
        and ``cudnn`` (only where CUDA is present), each with the keys ``name``, ``backend``,
        ``seconds`` (median), ``gflops`` (``2 * MACs / seconds / 1e9``) and ``speedup``
        (naive seconds / these seconds, so naive is 1.0).
    """
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    # BEGIN SOLUTION benchmark
    macs = conv2d_macs(x_shape, w_shape, stride, padding)
    kernel = tuple(w_shape[2:])
    c_out = w_shape[0]
    w_mat = w.reshape(c_out, -1)

    def im2col_gemm():
        cols = im2col_loop(x, kernel, stride, padding)  # (N, C*kh*kw, L)
        return w_mat @ cols

    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    paths = [
        ("naive", "numpy loops", lambda: conv2d_naive(x, w, None, stride, padding)),
        ("im2col_loop", "numpy", im2col_gemm),
        ("einsum", "numpy", lambda: conv2d(x, w, None, stride, padding)),
        ("torch_cpu", "torch cpu", lambda: F.conv2d(xt, wt, None, stride, padding)),
    ]
    rows = []
    for name, backend, fn in paths:
        seconds = time_callable(fn, repeats=repeats, warmup=warmup)
        rows.append({"name": name, "backend": backend, "seconds": seconds})
    if torch.cuda.is_available():
        xg, wg = xt.cuda(), wt.cuda()
        seconds = time_callable(F.conv2d, xg, wg, None, stride, padding, repeats=repeats, warmup=max(warmup, 3), cuda=True)
        rows.append({"name": "cudnn", "backend": "torch cuda", "seconds": seconds})
    naive_seconds = rows[0]["seconds"]
    for row in rows:
        row["gflops"] = 2 * macs / row["seconds"] / 1e9
        row["speedup"] = naive_seconds / row["seconds"]
    return rows
    # END SOLUTION
