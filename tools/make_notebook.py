"""Build the notebooks: master -> ``otter assign`` -> student notebook and grading material.

``tools/notebook_source.py`` builds the master notebook (Otter Assign format) with nbformat. This
script writes it to ``solutions/conv_gemm.ipynb``, runs ``otter assign`` on it in a temporary
folder, and keeps, normalised (cell ids numbered, outputs and execution counts cleared, JSON
sorted), what the project needs:

- ``assignments/conv_gemm.ipynb``: the student notebook (solutions stripped, public tests only,
  in the notebook metadata, so ``grader.check`` works with nothing else);
- ``autograder/notebook/tests/*.py``: every test, hidden ones included, as Otter OK-format files;
- ``autograder/notebook/questions.json``: questions, points per test case, manual prompts;
- ``autograder/notebook/solved.ipynb``: the student notebook with the solutions filled in (the
  ``complete`` sample's notebook; its metadata holds only the public tests).

Everything is deterministic text, so ``--check`` can compare. ``autograder/grader/notebook.py``
grades from ``autograder/notebook/`` alone (it runs the cells itself and Otter's test files in a
separate process; no ``otter run`` configuration is needed).

Usage::

    python tools/make_notebook.py            # write what is out of date
    python tools/make_notebook.py --check    # exit 1 and list what is out of date, write nothing
    python tools/make_notebook.py --figure   # also execute the master (nbclient) and save
                                             # docs/im2col_unroll.png from its unroll figure
"""
from __future__ import annotations

import argparse
import base64
import copy
import json
import pprint
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import notebook_source  # noqa: E402

MASTER = ROOT / "solutions" / "conv_gemm.ipynb"
STUDENT = ROOT / "assignments" / "conv_gemm.ipynb"
ASSETS = ROOT / "autograder" / "notebook"
FIGURE = ROOT / "docs" / "im2col_unroll.png"
SOLUTION_PACKAGE = ROOT / "solutions" / "conv_gemm"


class BuildError(RuntimeError):
    """otter assign failed, or its output breaks a rule (a hidden test or solution in the student notebook)."""


def normalize(nb: nbformat.NotebookNode, keep_outputs: bool = False) -> str:
    """Deterministic JSON text: cell ids numbered, outputs and counts cleared (unless kept), sorted keys."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell["execution_count"] = None
            if keep_outputs:
                for out in cell.get("outputs", []):
                    if "execution_count" in out:
                        out["execution_count"] = None
            else:
                cell["outputs"] = []
        cell.get("metadata", {}).pop("execution", None)
        if not cell.get("metadata", {}).get("tags", True):
            cell["metadata"].pop("tags")
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def ok_test_file(test: dict) -> str:
    """An OK-format test file, as ``otter assign`` writes one when tests go to files."""
    return "OK_FORMAT = True\n\ntest = " + pprint.pformat(test, indent=4, width=200) + "\n"


def run_otter_assign(master_text: str, work: Path) -> tuple[dict, dict]:
    """``otter assign`` on the master in ``work``; the (student, autograder) notebooks as dicts."""
    (work / notebook_source.NOTEBOOK_NAME).write_text(master_text)
    proc = subprocess.run(
        [sys.executable, "-m", "otter", "assign", "--no-run-tests", "--no-pdfs", notebook_source.NOTEBOOK_NAME, "dist"],
        cwd=work, capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise BuildError(f"otter assign failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    student = nbformat.read(work / "dist" / "student" / notebook_source.NOTEBOOK_NAME, as_version=4)
    autograder = nbformat.read(work / "dist" / "autograder" / notebook_source.NOTEBOOK_NAME, as_version=4)
    return student, autograder


def questions_json(all_tests: dict) -> str:
    questions = []
    for name, (points, manual) in notebook_source.QUESTIONS.items():
        entry = {"name": name, "points": points, "manual": manual, "prompt": notebook_source.PROMPTS[name]}
        if not manual:
            cases = all_tests[name]["suites"][0]["cases"]
            entry["cases"] = [{"hidden": bool(c["hidden"]), "points": float(c["points"])} for c in cases]
            total = sum(c["points"] for c in entry["cases"])
            if abs(total - points) > 1e-9:
                raise BuildError(f"{name}: test case points sum to {total}, the question is worth {points}")
        questions.append(entry)
    data = {
        "assignment": notebook_source.ASSIGNMENT_NAME,
        "notebook": notebook_source.NOTEBOOK_NAME,
        "autograded_points": sum(p for p, manual in notebook_source.QUESTIONS.values() if not manual),
        "manual_points": sum(p for p, manual in notebook_source.QUESTIONS.values() if manual),
        "questions": questions,
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def hidden_test_lines(all_tests: dict) -> list[str]:
    """The code lines of every hidden test case (``>>> `` prompts removed)."""
    lines = []
    for test in all_tests.values():
        for case in test["suites"][0]["cases"]:
            if case["hidden"]:
                lines += [l[4:].strip() for l in case["code"].splitlines() if l.startswith(">>> ")]
    return lines


def check_student_notebook(student_text: str, all_tests: dict) -> None:
    """The student notebook must hold no hidden test and no solution line."""
    for line in hidden_test_lines(all_tests):
        if line and line in student_text and not line.startswith("import "):
            raise BuildError(f"a hidden test appears in the student notebook: {line!r}")
    if re.search(r"#\s*(BEGIN |END )?SOLUTION", student_text):
        raise BuildError("a solution marker appears in the student notebook")
    if "BEGIN TEST CONFIG" in student_text or "BEGIN QUESTION\\nname" in student_text:
        raise BuildError("Otter Assign markup appears in the student notebook")


def expected_files() -> dict[Path, str]:
    """Every generated file and its text."""
    master = notebook_source.build()
    master_text = normalize(master, keep_outputs=True)  # test cells keep their expected output
    with tempfile.TemporaryDirectory(prefix="make-notebook-") as tmp:
        student, autograder = run_otter_assign(master_text, Path(tmp))
    all_tests = autograder.metadata["otter"]["tests"]
    public = copy.deepcopy(student.metadata["otter"])
    solved = copy.deepcopy(autograder)
    solved.metadata["otter"] = public  # like a student's notebook: public tests only
    student_text = normalize(student)
    check_student_notebook(student_text, all_tests)
    files = {
        MASTER: master_text,
        STUDENT: student_text,
        ASSETS / "solved.ipynb": normalize(solved),
        ASSETS / "questions.json": questions_json(all_tests),
    }
    for name, test in sorted(all_tests.items()):
        files[ASSETS / "tests" / f"{name}.py"] = ok_test_file(test)
    return files


def stale_files(expected: dict[Path, str]) -> list[Path]:
    tests_dir = ASSETS / "tests"
    present = set(tests_dir.glob("*.py")) if tests_dir.is_dir() else set()
    return sorted(present - set(expected))


# --------------------------------------------------------------------------------------------
# Executing a notebook (the figure, and tests/test_notebook.py).

def execute_notebook(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Run every cell with nbclient in ``cwd`` (errors raise ``CellExecutionError``)."""
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def figure_png(executed: nbformat.NotebookNode) -> bytes:
    """The PNG of the unroll figure (the cell tagged ``notebook_source.FIGURE_TAG``)."""
    for cell in executed.cells:
        if notebook_source.FIGURE_TAG in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "image/png" in data:
                    return base64.b64decode(data["image/png"])
            raise BuildError("the unroll figure cell produced no PNG")
    raise BuildError(f"no cell tagged {notebook_source.FIGURE_TAG!r}")


def run_master(timeout: int = 300) -> nbformat.NotebookNode:
    """Execute the master notebook beside a copy of the reference package; the executed notebook."""
    with tempfile.TemporaryDirectory(prefix="run-master-") as tmp:
        work = Path(tmp)
        shutil.copytree(SOLUTION_PACKAGE, work / "conv_gemm", ignore=shutil.ignore_patterns("__pycache__"))
        nb = nbformat.reads(normalize(notebook_source.build(), keep_outputs=True), as_version=4)
        return execute_notebook(nb, work, timeout)


def _show(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the generated files are up to date")
    parser.add_argument("--figure", action="store_true", help=f"also execute the master and write {FIGURE.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    try:
        expected = expected_files()
    except BuildError as exc:
        print(f"make_notebook: {exc}", file=sys.stderr)
        return 2
    stale = stale_files(expected)
    changed = sorted(p for p, text in expected.items() if not p.is_file() or p.read_text() != text)
    if args.check:
        for p in changed + stale:
            print(f"out of date: {_show(p)} (run `make assignments`)")
        return 1 if changed or stale else 0
    for p in stale:
        p.unlink()
    for p in changed:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(expected[p])
    print(f"notebooks: {len(changed)} file(s) written, {len(stale)} removed, {len(expected)} in all")
    if args.figure:
        FIGURE.parent.mkdir(parents=True, exist_ok=True)
        FIGURE.write_bytes(figure_png(run_master()))
        print(f"wrote {_show(FIGURE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
