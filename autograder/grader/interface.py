"""What the student package must define, as data: its modules, their functions, the argument names.

The questions (points, the functions they grade and the module of each, prerequisites, checks)
are grader/questions/, one module each; ``MODULE_FUNCTIONS`` is assembled from them
(grader.questions.MODULE_FUNCTIONS) on first use, so that those modules may import this one.

Shared by the parent and the child (no torch import here).
"""
from __future__ import annotations

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
    from grader.questions import FUNCTION_MODULE

    try:
        return FUNCTION_MODULE[function]
    except KeyError:
        raise ValueError(f"no question grades the student function {function!r}: add it to FUNCTIONS "
                         "in its question's module, autograder/grader/questions/<id>.py") from None


def __getattr__(name: str):
    if name == "MODULE_FUNCTIONS":  # "Each student module and the public functions it must define."
        from grader.questions import MODULE_FUNCTIONS

        return MODULE_FUNCTIONS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
