"""The CUDA rows of the benchmark table, shared by bench/bench.py and bench/gpu_check.py.

Imports torch and the reference lazily (the callers set their thread environment first).
"""
from __future__ import annotations

from _common import timing_row

CUDA_ROW_NAMES = ("cudnn", "cudnn_channels_last", "cudnn_fp16_nchw", "cudnn_fp16_channels_last")


def cuda_rows(x, w, stride, padding, repeats, warmup) -> list[dict]:
    """``F.conv2d`` with cuDNN on float32 NCHW and channels_last, then ``benchmark_channels_last`` (float16).

    Args:
        x: ``(N, C_in, H, W)`` and w: ``(C_out, C_in, kh, kw)`` float32 NumPy arrays.

    Returns:
        The four rows of :data:`CUDA_ROW_NAMES` (see :func:`_common.timing_row`), speed-up not filled in.

    Raises:
        RuntimeError: CUDA is not available.
    """
    import torch
    import torch.nn.functional as F
    from conv_gemm.benchmark import time_callable
    from conv_gemm.cost import conv2d_macs
    from conv_gemm.layout import benchmark_channels_last

    if not torch.cuda.is_available():
        raise RuntimeError("CUDA is not available")
    x_shape, w_shape = tuple(x.shape), tuple(w.shape)
    macs = conv2d_macs(x_shape, w_shape, stride, padding)
    rows = []
    xg, wg = torch.from_numpy(x).cuda(), torch.from_numpy(w).cuda()
    cuda_warmup = max(warmup, 3)
    seconds = time_callable(F.conv2d, xg, wg, None, stride, padding, repeats=repeats, warmup=cuda_warmup, cuda=True)
    rows.append(timing_row("cudnn", "torch cuda float32 NCHW", seconds, macs, x_shape))
    xc, wc = xg.to(memory_format=torch.channels_last), wg.to(memory_format=torch.channels_last)
    seconds = time_callable(F.conv2d, xc, wc, None, stride, padding, repeats=repeats, warmup=cuda_warmup, cuda=True)
    rows.append(timing_row("cudnn_channels_last", "torch cuda float32 NHWC", seconds, macs, x_shape))
    # benchmark_channels_last times float16, stride 1, padding k // 2: say so when that is not this row's conv
    cl = benchmark_channels_last(x_shape, w_shape, dtype="float16", repeats=max(repeats, 10))
    cl_macs = conv2d_macs(x_shape, w_shape, 1, w_shape[-1] // 2)
    cl_note = "benchmark_channels_last: float16, stride 1, padding k//2"
    if (stride, padding) != (1, w_shape[-1] // 2):
        cl_note += f" (not this row's stride {stride}, padding {padding})"
    rows.append(timing_row("cudnn_fp16_nchw", "torch cuda float16 NCHW", cl["nchw_seconds"], cl_macs, x_shape, cl_note))
    rows.append(timing_row("cudnn_fp16_channels_last", "torch cuda float16 NHWC", cl["nhwc_seconds"], cl_macs, x_shape,
                           cl_note + f"; speed-up over NCHW {cl['speedup']:.2f}x"))
    return rows


def no_cuda_reason() -> str | None:
    """Why the CUDA rows cannot run here (None when CUDA is available)."""
    import torch

    if torch.cuda.is_available():
        return None
    built = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}, no device visible"
    return f"CUDA is not available (torch {torch.__version__}, {built}: torch.cuda.is_available() is False)"
