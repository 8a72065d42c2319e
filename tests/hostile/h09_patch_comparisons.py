# module: cost
# loses: cost, benchmark (benchmark_table uses the student's own conv2d_macs, not a prerequisite of it)
# Patches every comparison it can reach in its own process, then returns wrong answers.
import builtins
import sys
import types



def _patch_everything():
    np.allclose = lambda *a, **k: True
    np.array_equal = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    sys.modules["pytest"] = types.ModuleType("pytest")
    try:
        import torch as _t  # noqa: F401 (also forbidden here)
        _t.allclose = lambda *a, **k: True
    except ImportError:
        pass
    builtins.isinstance = lambda *a: True


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    _patch_everything()  # in the function (patched at import, every module importing cost.py would break too)
    return -1


def conv2d_macs(x_shape, w_shape, stride=1, padding=0, dilation=1, groups=1):
    return -1
