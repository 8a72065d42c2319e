"""What the student package must define, as data: its modules, their functions, the argument names.

The questions (points, prerequisites, checks) are grader/questions/, one module each.

Shared by the parent and the child (no torch import here).
"""
from __future__ import annotations

MODULE_FUNCTIONS: dict[str, list[str]] = {
    "cost": ["conv_output_size", "conv2d_macs", "conv2d_naive"],
    "im2col": ["im2col_loop", "sliding_windows", "im2col_strided", "col2im"],
    "conv2d": ["conv2d", "conv2d_gemm"],
    "conv2d_torch": ["conv2d_unfold"],
    "backward": ["conv2d_backward"],
    "variants": ["conv1x1", "depthwise_conv2d", "separable_conv2d", "conv2d_params", "separable_params"],
    "layout": ["strides_nchw", "strides_nhwc", "to_channels_last", "benchmark_channels_last"],
    "benchmark": ["time_callable", "benchmark_table"],
    "winograd": ["winograd_f23_matrices", "winograd_tile", "winograd_conv2d"],
}
"""Each student module and the public functions it must define."""

TRUSTED_MODULES = ("_args", "canonical")
"""Scaffolding the grader always supplies itself (a student's copy is ignored)."""

CONV_PATH = ("conv_output_size", "sliding_windows", "im2col_strided")
"""The functions conv2d is built on: prerequisites of every question that calls conv2d's path."""

ARG_NAMES: dict[str, tuple[str, ...]] = {
    "conv2d_naive": ("x", "w", "b"), "conv2d": ("x", "w", "b"), "conv2d_gemm": ("x", "w", "b"),
    "conv2d_unfold": ("x", "w", "b"), "conv1x1": ("x", "w", "b"), "depthwise_conv2d": ("x", "w", "b"),
    "separable_conv2d": ("x", "w_depthwise", "w_pointwise"), "conv2d_backward": ("dy", "x", "w"),
    "col2im": ("cols",), "im2col_loop": ("x",), "im2col_strided": ("x",), "sliding_windows": ("x",),
    "to_channels_last": ("x",), "winograd_tile": ("d", "g"), "winograd_conv2d": ("x", "w", "b"),
}
"""The contract's names of the array arguments, for feedback such as "changed its input x"."""

NUMPY_ONLY_MODULES = ("cost", "im2col", "conv2d", "backward", "variants", "winograd")
"""Modules where torch, scipy and numpy.convolve/correlate are forbidden."""


def module_of(function: str) -> str:
    """The student module that defines ``function``."""
    return next(m for m, fns in MODULE_FUNCTIONS.items() if function in fns)
