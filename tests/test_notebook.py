"""The notebook: master -> otter assign -> student notebook (nbclient), and its grading.

Grading runs the cells in a confined runner and Otter's tests in a separate judge process
(autograder/grader/notebook.py); tests/test_hostile_notebooks.py grades the hostile corpus. The
slow tests start Jupyter kernels or runners (about 5 to 20 s each).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, SOLUTIONS, STARTER

import make_notebook  # noqa: E402
import notebook_source  # noqa: E402
from grader import access  # noqa: E402
from grader.instructor.notebook import grade_notebook, readable_assets  # noqa: E402
from grader.instructor.notebook_judge import answer_names, read_test  # noqa: E402
from grader.instructor.notebook_process import valid_value  # noqa: E402
from grader.runtime import notebook_runner  # noqa: E402

HERE_HOSTILE = ROOT / "tests" / "hostile_notebooks"
STUDENT_NB = ROOT / "assignments" / "conv_gemm.ipynb"
MASTER_NB = ROOT / "solutions" / "conv_gemm.ipynb"
ASSETS = ROOT / "autograder" / "notebook"
SOLVED_NB = ASSETS / "solved.ipynb"
AUTO_POINTS = sum(p for p, manual in notebook_source.QUESTIONS.values() if not manual)
AUTO_QUESTIONS = [q for q, (_, manual) in notebook_source.QUESTIONS.items() if not manual]


def stage(folder: Path, notebook: Path, package: Path | None) -> Path:
    """``folder/conv_gemm.ipynb`` (+ ``folder/conv_gemm/`` copied from ``package``)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, folder / "conv_gemm.ipynb")
    if package is not None:
        shutil.copytree(package, folder / "conv_gemm", ignore=shutil.ignore_patterns("__pycache__"))
    return folder / "conv_gemm.ipynb"


def run(folder: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(folder / "conv_gemm.ipynb", as_version=4)
    return make_notebook.execute_notebook(nb, folder, timeout=300)


def errors(nb) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


def text_of(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        parts.append(o.get("text", ""))
        parts.append(str(o.get("data", {}).get("text/plain", "")))
    return "".join(parts)


def check_cells(nb) -> dict[str, str]:
    found = {}
    for cell in nb.cells:
        m = re.fullmatch(r'grader\.check\("(\w+)"\)', cell.source.strip()) if cell.cell_type == "code" else None
        if m:
            found[m[1]] = text_of(cell)
    return found


# ---------------------------------------------------------------------------------------------
# Files only.

def test_generated_notebooks_are_up_to_date():
    result = subprocess.run([sys.executable, "tools/make_notebook.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"notebooks out of date, run `make assignments`:\n{result.stdout}{result.stderr}"


def test_master_is_in_otter_assign_format():
    nb = nbformat.read(MASTER_NB, as_version=4)
    nbformat.validate(nb)
    first = nb.cells[0]
    assert first.cell_type == "raw" and first.source.startswith("# ASSIGNMENT CONFIG")
    begins = [c.source for c in nb.cells if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")]
    assert len(begins) == len(notebook_source.QUESTIONS)
    assert any("manual: true" in b for b in begins)
    assert AUTO_POINTS == 10
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## ")]
    order = ["cost of the naive loop", "unroll", "conv2d", "Backward", "FLOPs, very different times", "NCHW and NHWC", "separable"]
    positions = [next(i for i, h in enumerate(headings) if key in h) for key in order]
    assert positions == sorted(positions), headings


def test_check_fails_on_a_stale_notebook(tmp_path, monkeypatch):
    """--check exits 1 when the student notebook, the master or the tests differ from what the build gives."""
    copies = {}
    for name, path in (("MASTER", MASTER_NB), ("STUDENT", STUDENT_NB)):
        copies[name] = tmp_path / name / path.name
        copies[name].parent.mkdir()
        shutil.copyfile(path, copies[name])
        monkeypatch.setattr(make_notebook, name, copies[name])
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    monkeypatch.setattr(make_notebook, "ASSETS", assets)
    expected = make_notebook.expected_files()
    monkeypatch.setattr(make_notebook, "expected_files", lambda: expected)  # otter assign once, not per check
    assert make_notebook.main(["--check"]) == 0
    for target in (copies["STUDENT"], copies["MASTER"]):
        original = target.read_text()
        target.write_text(original.replace("Convolution as GEMM", "Convolution as GEMM!", 1))
        assert make_notebook.main(["--check"]) == 1
        target.write_text(original)
    (assets / "tests" / "q_old.py").write_text("OK_FORMAT = True\n")
    assert make_notebook.main(["--check"]) == 1
    assert make_notebook.stale_files(expected) == [assets / "tests" / "q_old.py"]


def test_student_notebook_has_init_and_check_cells():
    nb = nbformat.read(STUDENT_NB, as_version=4)
    assert 'grader = otter.Notebook("conv_gemm.ipynb")' in nb.cells[0].source
    assert sorted(check_cells(nb)) == sorted(AUTO_QUESTIONS)
    public = nb.metadata["otter"]["tests"]
    assert sorted(public) == sorted(AUTO_QUESTIONS)
    for test in public.values():
        assert all(not case["hidden"] for case in test["suites"][0]["cases"])


def test_no_hidden_test_or_solution_in_the_student_notebook():
    raw = STUDENT_NB.read_text()
    nb = nbformat.read(STUDENT_NB, as_version=4)
    text = "\n".join(c.source for c in nb.cells) + "\n" + json.dumps(nb.metadata)
    hidden_code = []
    for path in (ASSETS / "tests").glob("*.py"):
        namespace = {}
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own OK-format test file
        for case in namespace["test"]["suites"][0]["cases"]:
            if case["hidden"]:
                hidden_code += [l[4:] for l in case["code"].splitlines() if l.startswith(">>> ") and "import" not in l]
    assert hidden_code
    for line in hidden_code:
        assert line not in text and json.dumps(line)[1:-1] not in raw, f"hidden test {line!r} in the student notebook"
    # the answers of the conceptual questions (67,840 is public: the starter's docstring states it)
    for secret in ("236027904", "236,027,904", "= 112", 'q_readonly = "b"', "2359296", "2,359,296", "266752", "266,752",
                   "8.84", "backward_ms = 20", "BEGIN SOLUTION", "# SOLUTION", "BEGIN TEST", "hidden: true"):
        assert secret not in text, f"{secret!r} appears in the student notebook"
    solved = nbformat.read(SOLVED_NB, as_version=4)
    manual_answer = next(c.source for c in solved.cells if c.source.startswith("When the layer is limited by memory"))
    assert manual_answer[:60] not in text
    assert not list(ROOT.joinpath("assignments").rglob("*.zip")), "no Otter autograder zip under assignments/"
    assert not (ROOT / "assignments" / "tests").exists()


def test_grading_material_is_consistent():
    questions = json.loads((ASSETS / "questions.json").read_text())
    auto = [q for q in questions["questions"] if not q["manual"]]
    assert sum(q["points"] for q in auto) == AUTO_POINTS
    assert {f"{q['name']}.py" for q in auto} == {p.name for p in (ASSETS / "tests").glob("*.py")}
    for q in auto:
        assert abs(sum(c["points"] for c in q["cases"]) - q["points"]) < 1e-9
        assert not q["cases"][0]["hidden"] and any(c["hidden"] for c in q["cases"]), "public format check first, then hidden values"
    assert [q["name"] for q in questions["questions"] if q["manual"]] == ["q_slower"]


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    (b"", "is empty"),
    (b"\n  \n", "is empty"),
    (b'{"cells": [', "invalid JSON"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b"[1, 2]", "not a Jupyter notebook"),
    (b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "no cells"),
    (b'{"cells": [{"cell_type": "widget"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "broken notebook"),
    (b'{"cells": [{"cell_type": "code", "source": 42}], "nbformat": 4}', "broken notebook"),
])
def test_unusable_notebook_scores_zero_with_a_message(tmp_path, content, message):
    path = tmp_path / "conv_gemm.ipynb"
    if content is not None:
        path.write_bytes(content)
    result = grade_notebook(path, package_dir=SOLUTIONS)
    assert result.score == 0 and result.max_score == AUTO_POINTS
    assert result.error and message in result.error, result.error
    assert [m.name for m in result.manual] == ["q_slower"]
    # every question's entries, at 0, saying why: the visible maximum does not depend on the file
    assert len(result.checks) == 2 * len(AUTO_QUESTIONS) and all(c.score == 0 for c in result.checks)
    assert all(c.feedback.endswith(f"not graded ({result.error})") for c in result.checks), result.checks[0].feedback


def test_grade_notebook_never_raises(tmp_path):
    result = grade_notebook(tmp_path)  # a folder, not a file
    assert result.score == 0 and "not a file" in result.error
    broken_assets = tmp_path / "assets"
    broken_assets.mkdir()
    result = grade_notebook(SOLVED_NB, assets_dir=broken_assets)
    assert result.score == 0 and "grading material" in result.error


# ---------------------------------------------------------------------------------------------
# Executed with nbclient, graded with Otter.

@pytest.mark.slow
def test_reference_master_runs_top_to_bottom():
    executed = make_notebook.run_master()
    assert errors(executed) == []
    test_cells = [c for c in executed.cells if c.cell_type == "code" and "BEGIN TEST CONFIG" in c.source]
    assert test_cells and all(text_of(c).strip() == "True" for c in test_cells), "every test passes on the solution"
    assert make_notebook.figure_png(executed).startswith(b"\x89PNG")
    printed = "".join(text_of(c) for c in executed.cells)
    assert "118,013,952 MACs = 236,027,904 FLOPs" in printed
    assert "skipped" not in printed


@pytest.mark.slow
def test_starter_notebook_runs_to_the_end_without_an_error_cell(tmp_path):
    executed = run(stage(tmp_path, STUDENT_NB, STARTER).parent)
    assert errors(executed) == []
    printed = "".join(text_of(c) for c in executed.cells)
    assert "Traceback" not in printed
    for fn in ("conv2d_macs", "im2col_loop", "conv2d", "conv2d_backward", "benchmark_table", "strides_nchw", "separable_params"):
        assert f"skipped: {fn}: not implemented yet" in printed
    checks = check_cells(executed)  # grader.check works: Otter's public tests run and report
    assert sorted(checks) == sorted(AUTO_QUESTIONS)
    assert all("Test case failed" in out for out in checks.values())


@pytest.mark.slow
def test_solved_notebook_executes_and_otter_gives_full_points(tmp_path):
    executed = run(stage(tmp_path / "run", SOLVED_NB, SOLUTIONS).parent)
    assert errors(executed) == []
    assert all("passed" in out for out in check_cells(executed).values())
    submission = tmp_path / "submission"
    submission.mkdir()
    nbformat.write(executed, submission / "conv_gemm.ipynb")
    assets = tmp_path / "assets"  # grading needs autograder/notebook/ alone
    shutil.copytree(ASSETS, assets)
    result = grade_notebook(submission / "conv_gemm.ipynb", package_dir=SOLUTIONS, assets_dir=assets, workdir=tmp_path / "work")
    assert result.error is None
    assert result.score == result.max_score == AUTO_POINTS
    assert all(t.score == t.max_score > 0 for t in result.checks)
    assert {t.public for t in result.checks} == {True, False}
    assert sorted((t.name, t.public) for t in result.checks) == sorted((q, p) for q in AUTO_QUESTIONS for p in (True, False))
    (manual,) = result.manual
    assert manual.name == "q_slower" and manual.max_score == 2 and "slower" in manual.prompt
    assert manual.answer.startswith("When the layer is limited by memory")
    assert not list((tmp_path / "work").iterdir()), "the scratch folder is removed"


@pytest.mark.slow
def test_unanswered_notebook_scores_zero(tmp_path):
    result = grade_notebook(stage(tmp_path, STUDENT_NB, STARTER))
    assert result.error is None
    assert result.score == 0 and result.max_score == AUTO_POINTS
    public = [t for t in result.checks if t.public]
    assert public and all(re.fullmatch(r"\w+: not answered yet: `\w+` is still `\.\.\.`(; `\w+` is still `\.\.\.`)*", t.feedback)
                          for t in public), [t.feedback for t in public]
    hidden = [t for t in result.checks if not t.public]
    for t in hidden:  # no hidden test text, only a count
        assert re.fullmatch(r"\w+: 0 of \d+ hidden test\(s\) passed", t.feedback), t.feedback
    assert result.manual[0].answer == ""


@pytest.mark.slow
def test_conceptual_points_do_not_need_a_working_package(tmp_path):
    """The solved answers with the bare starter: every package call fails, every answer still counts."""
    result = grade_notebook(stage(tmp_path, SOLVED_NB, STARTER))
    assert result.error is None and result.score == AUTO_POINTS


HANG_CELL_SECONDS = 6  # CPU seconds of a cell (its wall clock: three times that); the import cell needs about 2.5


def grade_dying_notebooks(folder: Path) -> dict:
    """The solved notebook beside a package that exits, one whose import spins and one whose
    import sleeps, graded side by side (each with processes of its own, so the sleeper's wall
    clock and the spinner's CPU time overlap): ``{"exits" | "hangs" | "sleeps": NotebookReport}``.
    A background grading of the session (fixture ``dying_notebooks``, tests/conftest.py)."""
    from concurrent.futures import ThreadPoolExecutor

    exits = folder / "exits"
    stage(exits, SOLVED_NB, SOLUTIONS)
    with open(exits / "conv_gemm" / "conv2d.py", "a") as f:
        f.write("\n\ndef conv2d(*args, **kwargs):\n    import os\n    os._exit(3)\n")
    hangs = folder / "hangs"
    stage(hangs, SOLVED_NB, SOLUTIONS)
    init = hangs / "conv_gemm" / "__init__.py"
    init.write_text("while True:\n    pass\n" + init.read_text())
    sleeps = folder / "sleeps"
    stage(sleeps, SOLVED_NB, SOLUTIONS)
    init = sleeps / "conv_gemm" / "__init__.py"
    init.write_text("import time\ntime.sleep(3600)\n" + init.read_text())
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = {"exits": pool.submit(grade_notebook, exits / "conv_gemm.ipynb", deadline_seconds=120)}
        for name, path in (("hangs", hangs), ("sleeps", sleeps)):  # then interrupted
            runs[name] = pool.submit(grade_notebook, path / "conv_gemm.ipynb", deadline_seconds=150, cell_seconds=HANG_CELL_SECONDS)
    return {name: run.result() for name, run in runs.items()}


def test_a_package_that_kills_the_kernel_or_hangs_costs_no_conceptual_points(dying_notebooks):
    result = dying_notebooks["exits"]
    assert result.score == AUTO_POINTS
    assert "was skipped: the process exited with code 3" in result.error, result.error

    result = dying_notebooks["hangs"]
    assert result.score == AUTO_POINTS
    assert any("import numpy as np" in e and f"more than {HANG_CELL_SECONDS} s of CPU time" in e for e in result.cell_errors), \
        result.cell_errors

    result = dying_notebooks["sleeps"]
    assert result.score == AUTO_POINTS
    assert any("import numpy as np" in e and f"timed out after {3 * HANG_CELL_SECONDS} s" in e for e in result.cell_errors), \
        result.cell_errors


# ---------------------------------------------------------------------------------------------
# The grading parts, one by one (no process started).

def test_ipython_lines_become_inert_and_python_is_kept():
    assert notebook_runner.python_source("x = 1  # %d\ny = '!'\n") == "x = 1  # %d\ny = '!'\n"
    assert notebook_runner.python_source("%matplotlib inline\nx = 1") == "pass\nx = 1"
    assert notebook_runner.python_source("if True:\n    !ls\n    files = !ls\n    x = 2") == \
        "if True:\n    pass\n    pass\n    x = 2"
    assert notebook_runner.python_source("%%time\nx = 3") == "x = 3"
    assert notebook_runner.python_source("%%bash\necho hi") is None
    assert notebook_runner.python_source("y = (4\n     % 3)") == "y = (4\n     % 3)"  # Python that compiles stays


def test_answer_values_are_plain_data_or_refused():
    import numpy as np

    assert notebook_runner.plain(np.int64(7)) == 7 and type(notebook_runner.plain(np.int64(7))) is int
    assert notebook_runner.plain((1, [2.5, "b"], None, True)) == [1, [2.5, "b"], None, True]
    assert notebook_runner.plain(np.arange(3.0)) == [0.0, 1.0, 2.0]
    refused = [type("S", (str,), {})("b"), type("I", (int,), {})(1), "x" * 5000, list(range(2000)), [[[[[1]]]]],
               np.zeros(5000), np.array(["a"]), 10 ** 2000, object(), {"a": 1}]
    for value in refused:
        with pytest.raises(notebook_runner.Unsupported):
            notebook_runner.plain(value)
    # the parent's own check, whatever the runner sent
    assert valid_value([1, 2.0, "b", None, [True]])
    for bad in ({"a": 1}, "x" * 5000, list(range(2000)), [[[[[1]]]]], 10 ** 2000):
        assert not valid_value(bad)


def test_answer_names_are_the_free_variables_of_the_tests():
    names = {q: answer_names(read_test(ASSETS / "tests" / f"{q}.py")) for q in AUTO_QUESTIONS}
    assert names == {"q_stem": ["stem_flops", "stem_out"], "q_readonly": ["q_readonly"], "q_backward": ["backward_ms"],
                     "q_separable": ["reduction", "sep_params", "standard_params"], "q_quick_check": ["quick_check"]}


def test_lying_answers_fool_otter_in_the_students_process_but_not_the_judge():
    """Control for n09: run in the notebook's own namespace (Otter's usual set-up), the liars pass."""
    from otter.test_files import OKTestFile

    namespace = {}
    exec(compile((HERE_HOSTILE / "n09_lying_answers.py").read_text(), "n09", "exec"), namespace)  # our own corpus file
    files = [OKTestFile.from_file(str(ASSETS / "tests" / f"{q}.py")) for q in ("q_stem", "q_backward", "q_quick_check")]
    for f in files:
        f.run(namespace)
        assert all(r.passed for r in f.test_case_results), f.name
    # the runner hands over plain values only: each liar is refused, so its tests see no value at all
    for name in ("stem_out", "stem_flops", "backward_ms", "quick_check"):
        with pytest.raises(notebook_runner.Unsupported, match="_Int"):
            notebook_runner.plain(namespace[name])


def test_read_paths_that_expose_the_tests_are_refused(tmp_path):
    assert readable_assets(["/usr", str(ASSETS.parent)], ASSETS) == [str(ASSETS.parent)]
    assert readable_assets(access.read_paths(), ASSETS) == []
    result = grade_notebook(SOLVED_NB, read_paths=[*access.read_paths(), str(ROOT)])
    assert result.score == 0 and "tests would be readable" in result.error
