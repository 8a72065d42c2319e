"""What the NumPy tasks and conv2d_unfold must not use: one list, read by the static scan
(parent), the child's run-time observations and the parent's reading of them.

Part of the runtime package copied into the sandbox (no torch import, no grader imports).
"""
import re

FORBIDDEN_PACKAGES = ("torch", "scipy", "tensorflow", "jax", "cupy")
"""Packages that the NumPy tasks may not use."""
FORBIDDEN_NUMPY_CALLS = ("convolve", "correlate")
"""numpy's own convolution shortcuts."""
CONV_OP = re.compile(r"conv(olution|_transpose|_depthwise|_tbc|\d|_)", re.IGNORECASE)
"""A torch op that convolves (aten.convolution, aten.conv2d, cudnn_convolution, ...)."""
CONV_FREE_MODULES = ("conv2d_torch",)
"""Modules whose graded functions may run no convolution op at all: in their children every
convolution kernel of the dispatcher is replaced by one that reports and refuses."""
