"""Shared helpers for bench/bench.py and bench/ref_ratios.py (no numpy/torch import at module level,
so a script can still set its thread environment variables after importing this)."""
from __future__ import annotations

import math
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# The shapes of `make bench` (bench/bench.py) and of the GPU rows of `make gpu-check`:
# (label, x_shape, w_shape, stride, padding)
BENCH_SHAPES = [
    ("seed", (1, 3, 32, 32), (16, 3, 3, 3), 1, 1),
    ("resnet 56x56", (8, 64, 56, 56), (64, 64, 3, 3), 1, 1),
    ("strided", (16, 64, 56, 56), (128, 64, 3, 3), 2, 1),
]


def use_reference():
    """Put the reference package (``solutions/conv_gemm``) first on ``sys.path`` and return it."""
    if str(SOLUTIONS) not in sys.path:
        sys.path.insert(0, str(SOLUTIONS))
    import conv_gemm

    if Path(conv_gemm.__file__).resolve().parent != SOLUTIONS / "conv_gemm":
        raise RuntimeError(f"imported conv_gemm from {conv_gemm.__file__}, expected the reference in {SOLUTIONS}")
    return conv_gemm


def geomean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values))


def shape_text(shape) -> str:
    return "(" + ",".join(str(s) for s in shape) + ")"


def conv_text(x_shape, w_shape, stride=1, padding=0, dilation=1) -> str:
    """``x(16,64,56,56) w(64,64,3,3) s1 p1 d1``: one convolution, as printed in the tables."""
    return f"x{shape_text(x_shape)} w{shape_text(w_shape)} s{stride} p{padding} d{dilation}"


def timing_row(name, backend, seconds, macs, timed_x_shape, note="") -> dict:
    """One row of the benchmark table: ``gflops = 2 * macs / seconds / 1e9``; ``speedup`` is filled in later."""
    return {"name": name, "backend": backend, "seconds": seconds, "gflops": 2 * macs / seconds / 1e9,
            "speedup": None, "timed_x_shape": list(timed_x_shape), "timed_macs": int(macs), "note": note}


def inputs(x_shape, w_shape, dtype="float32", seed=0):
    """Seeded standard-normal ``x``, ``w`` and bias ``b`` as NumPy arrays."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return x, w, b


def load_text() -> str:
    """The 1-minute load average against the core count: other work on the machine skews timings."""
    import os

    try:
        load = os.getloadavg()[0]
    except OSError:
        return "load average unavailable"
    return f"load average {load:.2f} on {os.cpu_count()} cores"


def environment() -> dict:
    """What the numbers were measured with: CPU, library versions, thread settings."""
    import os

    import numpy as np
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = "?"
    try:
        cfg = np.show_config(mode="dicts")
        blas = f"{cfg['Build Dependencies']['blas']['name']} {cfg['Build Dependencies']['blas']['version']}"
    except Exception:  # noqa: BLE001 - informational only
        pass
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": blas,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "thread_env": {v: os.environ.get(v) for v in THREAD_VARS},
        "cuda": torch.cuda.is_available(),
    }
