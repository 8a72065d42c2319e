"""The generated starter: in sync with solutions/, same interface, every hole raises."""
from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SOLUTIONS, STARTER, submodule

import make_assignments  # noqa: E402

MODULES = sorted(p.stem for p in SOLUTIONS.glob("*.py") if p.stem != "__init__")


def test_starter_is_up_to_date():
    result = subprocess.run([sys.executable, "tools/make_assignments.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"starter out of date, run `make assignments`:\n{result.stdout}"


@pytest.mark.parametrize("root", ["solutions", "assignments"])
def test_import_conv_gemm_from_either_root(root):
    code = "import conv_gemm, sys; print(sorted(conv_gemm.__all__)); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT / root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    names, torch_loaded = result.stdout.splitlines()
    assert torch_loaded == "False", "import conv_gemm should not pay for import torch"
    assert "conv2d_unfold" in names


def public_functions(package, module_name):
    module = submodule(package, module_name)
    return {
        name: inspect.signature(obj)
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
    }


@pytest.mark.parametrize("module_name", MODULES)
def test_same_names_signatures_and_docstrings(ref, starter, module_name):
    mine, theirs = public_functions(ref, module_name), public_functions(starter, module_name)
    assert mine.keys() == theirs.keys()
    assert mine == theirs
    for name in mine:
        assert getattr(submodule(ref, module_name), name).__doc__ == getattr(submodule(starter, module_name), name).__doc__
    assert sorted(ref.__all__) == sorted(starter.__all__)


def stub_calls(K):
    """One valid call per graded function (valid arguments, so only the hole can raise)."""
    import torch

    x, w = K.as_nchw(K.X), K.as_nchw(K.W_SOBEL_X)
    return {
        "conv_output_size": (5, 3),
        "conv2d_macs": ((1, 1, 5, 5), (1, 1, 3, 3)),
        "conv2d_naive": (x, w),
        "im2col_loop": (K.X, 3),
        "sliding_windows": (x, 3),
        "im2col_strided": (x, 3),
        "col2im": (np.ones((9, 9)), (5, 5), 3),
        "conv2d": (x, w),
        "conv2d_gemm": (x, w),
        "conv2d_unfold": (torch.from_numpy(x), torch.from_numpy(w)),
        "conv2d_backward": (np.ones((1, 1, 3, 3)), x, w),
        "conv1x1": (x, np.ones((2, 1, 1, 1))),
        "depthwise_conv2d": (x, w),
        "separable_conv2d": (x, w, np.ones((2, 1, 1, 1))),
        "conv2d_params": (3, 4, 3),
        "separable_params": (256, 256, 3),
        "strides_nchw": ((1, 2, 3, 4),),
        "strides_nhwc": ((1, 2, 3, 4),),
        "to_channels_last": (x,),
        "time_callable": (lambda: None,),
        "benchmark_table": ((1, 1, 5, 5), (1, 1, 3, 3)),
        "winograd_f23_matrices": (),
        "winograd_tile": (np.ones((4, 4)), np.ones((3, 3))),
        "winograd_conv2d": (x, w),
    }


def test_every_stub_raises_not_implemented_naming_its_question(ref, starter):
    calls = stub_calls(starter.canonical)
    graded = {n for n in ref.__all__ if n != "canonical" and n != "benchmark_channels_last"}
    assert graded == calls.keys()
    for name, args in calls.items():
        getattr(ref, name)(*args)  # the same call succeeds on the reference
        with pytest.raises(NotImplementedError, match=rf"{name}: not implemented yet \(question '\w+'\)"):
            getattr(starter, name)(*args)


def test_no_solution_marker_or_body_survives_in_the_starter():
    for path in STARTER.glob("*.py"):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "as_strided(x, shape=shape" not in (STARTER / "im2col.py").read_text()


def test_generator_keeps_hints_and_rejects_bad_markers():
    source = (
        "def f(x):\n"
        "    check(x)\n"
        "    # BEGIN SOLUTION cost\n"
        "    # HINT: first hint\n"
        "    # HINT: second\n"
        "    return secret(x)\n"
        "    # END SOLUTION\n"
    )
    stub = make_assignments.stub_source(source)
    assert "secret" not in stub and "check(x)" in stub
    assert "# TODO(cost): first hint\n    #   second\n" in stub
    assert "raise NotImplementedError(\"f: not implemented yet (question 'cost')\")" in stub
    for bad in [
        source.replace("# END SOLUTION\n", ""),
        source.replace("cost", "nonsense"),
        source.replace("    return secret(x)\n", "    # BEGIN SOLUTION cost\n"),
        "# BEGIN SOLUTION cost\nx = 1\n# END SOLUTION\n",
        "x = 1\n# END SOLUTION\n",
    ]:
        with pytest.raises(make_assignments.MarkerError):
            make_assignments.stub_source(bad)


def test_readme_points_table_is_the_graders():
    """The README's points table says what interface.POINTS says (one source of truth)."""
    import re

    from conftest import ROOT
    from grader.questions import EXTRA_CREDIT, MAX_TOTAL, POINTS

    text = (ROOT / "README.md").read_text()
    table = dict(re.findall(r"^\| `(\w+)` \| \+?(\d+) \|", text.split("### Points", 1)[1].split("###", 1)[0], re.M))
    assert {q: float(p) for q, p in table.items()} == {q: float(p) for q, p in POINTS.items()}
    assert set(re.findall(r"^\| `(\w+)` \| \+\d+ \|", text, re.M)) == set(EXTRA_CREDIT)
    assert f"`max_total` is {MAX_TOTAL:g}" in text
