"""What the assignment asks for, as data: modules, functions, questions and their points.

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

QUESTION_FUNCTIONS: dict[str, list[str]] = {
    "cost": ["conv_output_size", "conv2d_macs", "conv2d_naive"],
    "im2col": ["im2col_loop"],
    "strided": ["sliding_windows", "im2col_strided"],
    "conv2d": ["conv2d"],
    "unfold": ["conv2d_unfold"],
    "backward": ["conv2d_backward", "col2im"],
    "exercises": ["conv2d_gemm"],
    "variants": ["conv1x1", "depthwise_conv2d", "separable_conv2d", "conv2d_params", "separable_params"],
    "layout": ["strides_nchw", "strides_nhwc", "to_channels_last", "benchmark_channels_last"],
    "benchmark": ["time_callable", "benchmark_table"],
    "winograd": ["winograd_f23_matrices", "winograd_tile", "winograd_conv2d"],
    "notebook": [],
}
"""The student functions a question grades. While a question is graded, these are the
student's own everywhere; every other function of the package is the grader's own
implementation (oracle.py), so ``depthwise_conv2d`` calling ``conv2d`` gets the grader's
``conv2d``: one bug costs one question, not every question downstream of it."""

QUESTION_DIRECT_CALLS: dict[str, list[str]] = {
    "exercises": ["conv2d"],
    "variants": ["conv2d"],
}
"""Student functions a question also calls directly, for properties relative to the student's
own results: the bias exercise (``conv2d(x, w, b) - conv2d(x, w)`` is ``b``) and grouped
convolution (``groups=g`` is ``g`` of the student's own convolutions side by side)."""

POINTS: dict[str, float] = {
    "cost": 8,
    "im2col": 10,
    "strided": 10,
    "conv2d": 12,
    "unfold": 10,
    "backward": 14,
    "exercises": 8,
    "variants": 10,
    "layout": 6,
    "benchmark": 6,
    "notebook": 6,
    "winograd": 10,
}
"""Points per question; ``winograd`` is extra credit (not part of MAX_TOTAL)."""

EXTRA_CREDIT = ("winograd",)
QUESTION_IDS = tuple(POINTS)
MAX_TOTAL = sum(p for q, p in POINTS.items() if q not in EXTRA_CREDIT)

NUMPY_ONLY_MODULES = ("cost", "im2col", "conv2d", "backward", "variants", "winograd")
"""Modules where torch, scipy and numpy.convolve/correlate are forbidden."""


def functions_of(question: str) -> list[str]:
    """Every student function a question runs, wired or called directly."""
    return QUESTION_FUNCTIONS[question] + QUESTION_DIRECT_CALLS.get(question, [])


def modules_of(question: str) -> list[str]:
    """The student modules a question loads (those defining the functions it runs)."""
    wanted = set(functions_of(question))
    return [m for m, fns in MODULE_FUNCTIONS.items() if wanted & set(fns)]


def module_of(function: str) -> str:
    return next(m for m, fns in MODULE_FUNCTIONS.items() if function in fns)
