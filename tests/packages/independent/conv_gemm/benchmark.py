"""Objective 1: the same FLOPs cost very different time on different paths.

:func:`time_callable` is the one stopwatch every measurement goes through; on a GPU it uses
CUDA events, because kernel launches return before the work is done.
"""
from __future__ import annotations

import numbers
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
    for _ in range(warmup):
        fn(*args)
    samples = np.empty(repeats)
    if cuda:
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError("time_callable(cuda=True) needs CUDA, which is not available")
        for k in range(repeats):
            begin, finish = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            begin.record()
            fn(*args)
            finish.record()
            finish.synchronize()
            samples[k] = begin.elapsed_time(finish) * 1e-3  # milliseconds -> seconds
    else:
        for k in range(repeats):
            t0 = time.perf_counter_ns()
            fn(*args)
            samples[k] = (time.perf_counter_ns() - t0) * 1e-9
    return float(np.median(samples))


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
    macs = conv2d_macs(tuple(x_shape), tuple(w_shape), stride, padding)
    kernel = (w_shape[2], w_shape[3])
    flat_w = w.reshape(w_shape[0], -1)
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    candidates = [
        ("naive", "numpy loops", lambda: conv2d_naive(x, w, stride=stride, padding=padding)),
        ("im2col_loop", "numpy", lambda: flat_w @ im2col_loop(x, kernel, stride, padding)),
        ("einsum", "numpy", lambda: conv2d(x, w, stride=stride, padding=padding)),
        ("torch_cpu", "torch cpu", lambda: F.conv2d(xt, wt, stride=stride, padding=padding)),
    ]
    timings = [(name, backend, time_callable(fn, repeats=repeats, warmup=warmup)) for name, backend, fn in candidates]
    if torch.cuda.is_available():
        xg, wg = xt.to("cuda"), wt.to("cuda")
        gpu = time_callable(lambda: F.conv2d(xg, wg, stride=stride, padding=padding), repeats=repeats, warmup=max(3, warmup), cuda=True)
        timings.append(("cudnn", "torch cuda", gpu))
    baseline = timings[0][2]
    return [
        {"name": name, "backend": backend, "seconds": sec, "gflops": 2.0 * macs / sec / 1e9, "speedup": baseline / sec}
        for name, backend, sec in timings
    ]
