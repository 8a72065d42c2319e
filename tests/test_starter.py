"""The generated starter: in sync with solutions/, same interface, every hole raises."""
from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from conftest import ROOT, SOLUTIONS, STARTER, submodule

import make_assignments  # noqa: E402

MODULES = sorted(p.stem for p in SOLUTIONS.glob("*.py") if p.stem != "__init__")


def test_starter_is_up_to_date():
    result = subprocess.run([sys.executable, "tools/make_assignments.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"starter out of date, run `make assignments`:\n{result.stdout}{result.stderr}"


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
    stale = f"assignments/conv_gemm/{module_name}.py differs from solutions/conv_gemm/{module_name}.py: run `make assignments`"
    assert mine.keys() == theirs.keys(), f"{stale} (functions {sorted(set(mine) ^ set(theirs))})"
    assert mine == theirs, stale
    for name in mine:
        assert getattr(submodule(ref, module_name), name).__doc__ == getattr(submodule(starter, module_name), name).__doc__
    assert sorted(ref.__all__) == sorted(starter.__all__)


def test_every_stub_raises_not_implemented_naming_its_question(ref, starter):
    """Each function's example call (EXAMPLE_CALLS of its question module): the reference accepts it
    (or, for want of CUDA, says so), the starter's hole raises naming the question."""
    from grader.questions import MODULES, QUESTION_FUNCTIONS

    graded = {n for n in ref.__all__ if n != "canonical"}
    declared = {f for fns in QUESTION_FUNCTIONS.values() for f in fns}
    assert graded == declared, (f"solutions/conv_gemm exports {sorted(graded - declared)} that no question grades and lacks "
                                f"{sorted(declared - graded)}: run `make assignments`, and list each function in FUNCTIONS of its question")
    for q, module in MODULES.items():
        for name, example in getattr(module, "EXAMPLE_CALLS", {}).items():
            args = example()
            try:
                getattr(ref, name)(*args)  # the same call succeeds on the reference
            except RuntimeError as exc:
                import torch

                if "CUDA" not in str(exc) or torch.cuda.is_available():
                    raise AssertionError(f"the example call of {name} in autograder/grader/questions/{q}.py fails on the reference: {exc}")
            with pytest.raises(NotImplementedError, match=rf"{name}: not implemented yet \(question '{q}'\)"):
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
    """The instructor's guide's points table says what the question modules say (one source of truth)."""
    import re

    from conftest import ROOT
    from grader.questions import EXTRA_CREDIT, MAX_TOTAL, POINTS

    text = (ROOT / "docs" / "instructor.md").read_text()
    section = text.split("## Points", 1)[1].split("\n## ", 1)[0]
    table = dict(re.findall(r"^\| `(\w+)` \| (\+?\d+) \|", section, re.M))
    for q, points in POINTS.items():
        row = f"| `{q}` | {'+' if q in EXTRA_CREDIT else ''}{points:g} | what it grades |"
        assert q in table, f"docs/instructor.md's points table (## Points) has no row for question {q}: add {row!r}"
        assert table[q] == row.split(" | ")[1], f"docs/instructor.md's points table says {table[q]} for {q}; its module says {row.split(' | ')[1]}"
    assert set(table) <= set(POINTS), f"docs/instructor.md's points table has rows for {sorted(set(table) - set(POINTS))}, which are no question"
    assert f"`max_total` is {MAX_TOTAL:g}" in text, f"docs/instructor.md must say `max_total` is {MAX_TOTAL:g} (below its points table)"
