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
"""The student functions a question grades (each with its own prerequisites, below)."""

_CONV_PATH = ("conv_output_size", "sliding_windows", "im2col_strided")
PREREQUISITES: dict[str, tuple[str, ...]] = {
    "conv_output_size": (),
    "conv2d_macs": ("conv_output_size",),
    "conv2d_naive": ("conv_output_size",),
    "im2col_loop": ("conv_output_size",),
    "sliding_windows": ("conv_output_size",),
    "im2col_strided": ("conv_output_size",),  # its own question's sliding_windows stays the student's
    "col2im": _CONV_PATH + ("conv2d",),
    "conv2d": _CONV_PATH,
    "conv2d_gemm": _CONV_PATH,
    "conv2d_unfold": (),
    "conv2d_backward": _CONV_PATH + ("conv2d",),
    "conv1x1": _CONV_PATH + ("conv2d",),
    "depthwise_conv2d": _CONV_PATH + ("conv2d",),
    "separable_conv2d": _CONV_PATH + ("conv2d",),
    "conv2d_params": (),
    "separable_params": (),
    "strides_nchw": (),
    "strides_nhwc": (),
    "to_channels_last": (),
    "benchmark_channels_last": (),
    "time_callable": (),
    "benchmark_table": ("conv2d_naive", "im2col_loop", "conv2d"),
    "winograd_f23_matrices": ("conv_output_size",),
    "winograd_tile": ("conv_output_size",),
    "winograd_conv2d": ("conv_output_size",),
}
"""ASSIGNMENT.md, "Prerequisites", as data: while a function is graded, these (and nothing
else) are the grader's own implementations in the student's process, so one bug costs one
question. Functions that compute the same result never stand in for each other."""

ARG_NAMES: dict[str, tuple[str, ...]] = {
    "conv2d_naive": ("x", "w", "b"), "conv2d": ("x", "w", "b"), "conv2d_gemm": ("x", "w", "b"),
    "conv2d_unfold": ("x", "w", "b"), "conv1x1": ("x", "w", "b"), "depthwise_conv2d": ("x", "w", "b"),
    "separable_conv2d": ("x", "w_depthwise", "w_pointwise"), "conv2d_backward": ("dy", "x", "w"),
    "col2im": ("cols",), "im2col_loop": ("x",), "im2col_strided": ("x",), "sliding_windows": ("x",),
    "to_channels_last": ("x",), "winograd_tile": ("d", "g"), "winograd_conv2d": ("x", "w", "b"),
}
"""The contract's names of the array arguments, for feedback such as "changed its input x"."""

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


QUESTION_DIRECT_CALLS: dict[str, list[str]] = {"exercises": ["conv2d"], "variants": ["conv2d"]}
"""Functions of other questions that a question also calls, on inputs where that other
question's classic bugs cannot change the result: the bias exercise of ``conv2d`` and
``conv2d(..., groups=g)`` (graded in variants, with conv2d's prerequisites)."""


def functions_of(question: str) -> list[str]:
    """Every student function a question runs."""
    return QUESTION_FUNCTIONS[question] + QUESTION_DIRECT_CALLS.get(question, [])


def modules_of(question: str) -> list[str]:
    """The student modules a question needs (those defining the functions it runs)."""
    wanted = set(functions_of(question))
    return [m for m, fns in MODULE_FUNCTIONS.items() if wanted & set(fns)]


def module_of(function: str) -> str:
    return next(m for m, fns in MODULE_FUNCTIONS.items() if function in fns)
