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
    # TODO(benchmark): time.perf_counter() around each call; on CUDA, Event(enable_timing=True) + synchronize().
    raise NotImplementedError("time_callable: not implemented yet (question 'benchmark')")


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
    # TODO(benchmark): your code here
    raise NotImplementedError("benchmark_table: not implemented yet (question 'benchmark')")
