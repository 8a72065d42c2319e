"""Grade a student's ``conv_gemm.ipynb``: cells run confined, answers judged elsewhere.

What grading needs lives under ``autograder/notebook/`` (``notebook/`` beside ``grader/`` in the
Gradescope zip), written by ``tools/make_notebook.py`` with ``otter assign``; nothing here reads
``solutions/``:

- ``tests/*.py``: Otter's OK-format tests, public *and hidden* cases (never shipped to students,
  never readable from the student's process);
- ``questions.json``: the questions, their points per test case, the manual questions' prompts.

The data flow, from cell to score:

1. :func:`grade_notebook` reads the file (notebook_file.py: present, JSON, a notebook; repaired
   where an editor left small defects) and takes its code cells' source as text, plus the
   markdown answers of the hand-graded questions.
2. The names of the answer variables (``stem_out``, ...) are read statically from the tests
   (notebook_judge.answer_names): the student's side learns these names, never a test.
3. notebook_process.run_notebook executes the cells in ``notebook_runner.py``, each run forked
   by a notebook template (the engine's, with NumPy, torch, matplotlib and Otter imported, or
   one of its own that preloads nothing): an unprivileged
   user under root, scrubbed environment, rlimits, Landlock (read Python and its own folder,
   write its own folder), a seccomp filter (no socket of any family, no leaving its process
   group), private network namespace under root; a per-cell and a whole-notebook time limit; a
   cell that hangs or ends the process is skipped and the notebook run again. No Jupyter kernel.
4. The runner reports the answer values as plain JSON (numbers, strings, booleans, None, small
   lists); the parent re-validates them. Nothing is unpickled, no object crosses.
5. ``notebook_judge.py``, a separate process that never runs student code, runs Otter's own
   ``OKTestFile`` tests on a namespace made of those values and reports pass/fail per case.
6. :func:`score_tests` gives each question a public entry (format tests, with Otter's message)
   and a hidden one (values; only a count), with the points of ``questions.json``.

So no cell can reach the tests, the test machinery, another submission's processes, files or
sockets, or the grader's environment; patching Otter inside the notebook changes only the
notebook's own ``grader.check`` output. ``grader.check`` keeps working for the student.
"""
from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader import access
from grader.outcome import CheckOutcome, ManualAnswer, NotebookReport
from grader.instructor.notebook_file import NotebookProblem, code_cells, manual_answers, read_notebook, sanitize
from grader.instructor.notebook_feedback import public_feedback
from grader.instructor.notebook_judge import answer_names, read_test
from grader.instructor.notebook_process import NotebookLimits, run_notebook
from grader.sandbox import Limits, Scratch, remove_tree
from grader.template_process import Template

AUTOGRADER = Path(__file__).resolve().parents[2]  # the folder that holds the grader package
ASSETS = AUTOGRADER / "notebook"
PACKAGE_NAME = "conv_gemm"
MAX_JUDGE_OUTPUT = 4 << 20


def load_assets(assets_dir: Path | None = None) -> dict:
    """``questions.json`` and the test files, checked for consistency.

    Returns ``{"root", "questions", "tests": {question: path}, "names": {question: [variable]}}``.
    """
    assets = (Path(assets_dir) if assets_dir is not None else ASSETS).resolve()
    questions = json.loads((assets / "questions.json").read_text(encoding="utf-8"))
    auto = [q["name"] for q in questions["questions"] if not q["manual"]]
    tests = {name: assets / "tests" / f"{name}.py" for name in auto}
    missing = [name for name, path in tests.items() if not path.is_file()]
    if missing:
        raise FileNotFoundError(f"Otter tests missing for {', '.join(missing)} in {assets / 'tests'}")
    names = {name: answer_names(read_test(path)) for name, path in tests.items()}
    return {"root": assets, "questions": questions, "tests": tests, "names": names}


def _result(questions: dict | None, checks: list[CheckOutcome], error: str | None, answers: dict | None = None,
            outcome=None, cells: list | None = None) -> NotebookReport:
    auto = [q for q in questions["questions"] if not q["manual"]] if questions else []
    manual = [q for q in questions["questions"] if q["manual"]] if questions else []
    if questions and not checks:  # not run: the same entries as a graded notebook, at 0, saying why
        checks = score_tests(questions, {}, reason=error)
    return NotebookReport(
        max_score=float(sum(q["points"] for q in auto)),
        checks=checks,
        manual=[ManualAnswer(q["name"], float(q["points"]), q["prompt"], (answers or {}).get(q["name"])) for q in manual],
        error=error,
        confinement=outcome.confinement if outcome else {},
        cell_errors=[f"{_cell_label(cells, i)}: {e}" for i, e in sorted(outcome.cell_errors.items())][:20] if outcome else [],
    )


def readable_assets(read_paths: list[str], assets: Path) -> list[str]:
    """The read paths through which the student's process could read the tests."""
    real = os.path.realpath(assets)
    return [p for p in read_paths if real == os.path.realpath(p) or real.startswith(os.path.realpath(p).rstrip(os.sep) + os.sep)]


def reachable(folder: Path, uid: int) -> bool:
    """Whether user ``uid`` may enter ``folder`` (the execute bit on it and every folder above)."""
    for p in [folder.resolve(), *folder.resolve().parents]:
        st = p.stat()
        if not st.st_mode & (stat.S_IXUSR if st.st_uid == uid else stat.S_IXOTH):
            return False
    return True


# --------------------------------------------------------------------------------------------
# The judge process.

def start_judge(test_paths: list[Path]) -> subprocess.Popen:
    """``notebook_judge.py`` on the tests; it imports Otter while the cells run, then waits for values."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
           "MPLBACKEND": "Agg", "HOME": tempfile.gettempdir()}
    # -m from the folder above the grader package: the judge imports grader.runtime, nothing else is on sys.path
    return subprocess.Popen([sys.executable, "-E", "-s", "-B", "-m", "grader.instructor.notebook_judge", *map(str, test_paths)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=AUTOGRADER, start_new_session=True)


def early_judge(assets_dir: Path | None = None) -> subprocess.Popen | None:
    """The judge for the grading material, started now, so that Otter's import (one to two
    seconds) runs while the package is graded; None where the material is missing (grade_notebook
    then reports that). Pass it to :func:`grade_notebook` with the same ``assets_dir``."""
    try:
        assets = load_assets(assets_dir)
    except Exception:  # noqa: BLE001
        return None
    return start_judge(list(assets["tests"].values()))


def finish_judge(proc: subprocess.Popen, values: dict, timeout: float) -> tuple[dict, str | None]:
    """Send the values, read the verdicts: (``{question: {"cases": [...]}}``, error or None)."""
    try:
        out, err = proc.communicate(json.dumps({"values": values}).encode(), timeout=max(1.0, timeout))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {}, f"checking the answers took longer than {timeout:.0f} s"
    try:
        tests = json.loads(out[-MAX_JUDGE_OUTPUT:].strip().splitlines()[-1])["tests"]
        if type(tests) is not dict:
            raise ValueError("no tests")
    except (ValueError, IndexError, KeyError, TypeError):
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        return {}, f"checking the answers failed ({tail[0][:300]})"
    return tests, None


# --------------------------------------------------------------------------------------------
# Scores.

def score_tests(questions: dict, otter_tests: dict, explain=None, reason: str | None = None) -> list[CheckOutcome]:
    """One public and one hidden entry per autograded question, points from ``questions.json``.

    Only the pass/fail of each case is taken from the judge; a question whose cases do not line
    up with ``questions.json`` scores 0 (``reason`` says why, when known: e.g. no notebook).
    Hidden entries never carry test text or messages. ``explain(question, messages)``: the text
    of a failed public entry from Otter's messages of its failed public cases (default: a
    generic one). Both entries carry the question's name; the renderer marks the hidden one.
    """
    entries = []
    for q in questions["questions"]:
        if q["manual"]:
            continue
        cases = q["cases"]  # [{"hidden": bool, "points": float}], in Otter's order
        got = otter_tests.get(q["name"], {}).get("cases") if isinstance(otter_tests.get(q["name"]), dict) else None
        aligned = isinstance(got, list) and len(got) == len(cases) and all(
            isinstance(g, dict) and bool(g.get("hidden")) == c["hidden"] for g, c in zip(got, cases))
        for hidden in (False, True):
            idx = [i for i, c in enumerate(cases) if c["hidden"] == hidden]
            if not idx:
                continue
            possible = float(sum(cases[i]["points"] for i in idx))
            passed = [i for i in idx if aligned and got[i].get("passed") is True]
            score = float(sum(cases[i]["points"] for i in passed))
            if not aligned:
                output = f"{q['name']}: not graded ({reason or 'the answers could not be checked'})"
            elif hidden:
                output = f"{q['name']}: {len(passed)} of {len(idx)} hidden test(s) passed"
            elif len(passed) == len(idx):
                output = f"{q['name']}: public tests passed"
            else:
                messages = [str(got[i].get("message", "")) for i in idx if i not in passed]
                output = explain(q["name"], messages) if explain else f"{q['name']}: a public test failed"
            entries.append(CheckOutcome(q["name"], public=not hidden, weight=possible,
                                        passed=bool(possible) and score >= possible, feedback=output,
                                        score=round(min(score, possible), 6), max_score=possible))
    return entries


def not_graded(reason: str, assets_dir: Path | None = None) -> NotebookReport:
    """The report of a notebook that could not be graded at all (missing, unreadable): every
    question's public and hidden entry, at 0, saying why, so that the visible maximum is the same
    as for a graded notebook."""
    try:
        questions = load_assets(assets_dir)["questions"]
    except Exception as exc:  # noqa: BLE001
        return _result(None, [], f"notebook grading material missing or broken ({type(exc).__name__}: {exc}); "
                                 "run tools/make_notebook.py")
    return _result(questions, [], reason)


def _explainer(names: dict, values: dict, unsupported: dict):
    """``explain`` for :func:`score_tests`: notebook_feedback.public_feedback with the answers given."""
    return lambda question, messages: public_feedback(question, names.get(question, []), values, unsupported, messages)


def _cell_label(cells: list, index: int) -> str:
    first = next((line.strip() for line in (cells[index] or "").splitlines() if line.strip()), "")
    return f"code cell {index + 1} (`{first[:60]}`)" if first else f"code cell {index + 1}"


def _run_problems(cells: list, outcome) -> str | None:
    parts = [f"{_cell_label(cells, i)} was skipped: {why}" for i, why in outcome.skipped.items()]
    if not outcome.finished and outcome.failure:
        parts.append(f"the notebook stopped after {outcome.cells_done} cell(s): {outcome.failure}; "
                     "the answers were taken from what had run")
    return "; ".join(parts) or None


def grade_notebook(notebook_path, *, deadline_seconds: float = 120, cell_seconds: float | None = None, workdir=None,
                   package_dir=None, assets_dir=None, read_paths=None, template: Template | None = None,
                   judge: subprocess.Popen | None = None) -> NotebookReport:
    """Grade ``notebook_path``; never raises.

    Args:
        notebook_path: the submitted ``conv_gemm.ipynb``.
        deadline_seconds: wall-clock budget for everything (the cells get it less a reserve for
            checking the answers; one cell a sixth of it in CPU time, between 10 and 30 s, and
            three times that in wall-clock time).
        cell_seconds: the CPU seconds of one cell, when given (instead of the sixth).
        workdir: where to make the scratch folder (a fresh folder inside it, removed afterwards);
            the system's temporary folder when None, or when the sandbox user could not enter it.
        package_dir: the ``conv_gemm`` folder copied beside the notebook (top-level ``.py``
            files); when None, ``conv_gemm/`` beside the notebook, if there is one.
        assets_dir: the grading material (default ``autograder/notebook``, ``notebook/`` in the zip).
        read_paths: what the student's process may read besides its own folder (default
            ``grader.access.read_paths()``); none may contain the grading material.
        template: the notebook template (template_process.Template) that forks the runs; when None, one
            is started for this call (preloading nothing) and closed at the end.
        judge: the judge process from :func:`early_judge` for the same ``assets_dir``; when
            None, one is started here. Either way it is ended before this returns.

    Returns:
        a :class:`NotebookReport`. Each autograded question gives a public check (public tests:
        type and format) and a hidden one (values); ``error`` says why a notebook scored 0
        without being run, or which cells stopped it.
    """
    started = time.monotonic()
    deadline = started + float(deadline_seconds)
    questions, scratch, own_template = None, None, None
    try:
        try:
            assets = load_assets(assets_dir)
            questions = assets["questions"]
        except Exception as exc:  # noqa: BLE001
            return _result(None, [], f"notebook grading material missing or broken ({type(exc).__name__}: {exc}); "
                                     "run tools/make_notebook.py")
        try:
            nb = read_notebook(Path(notebook_path))
        except NotebookProblem as problem:
            return _result(questions, [], str(problem))
        import nbformat

        answers = manual_answers(nb, questions)
        cells = code_cells(nb)
        paths = list(read_paths) if read_paths is not None else access.read_paths()
        exposed = readable_assets(paths, assets["root"])
        if exposed:
            return _result(questions, [], f"grader configuration error: the notebook's tests would be readable "
                                          f"through {exposed[0]}; not run")
        judge = judge or start_judge(list(assets["tests"].values()))
        user = access.sandbox_user()
        base = Path(workdir) if workdir is not None else None
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
            if user is not None and not reachable(base, user[0]):
                base = None  # a private folder (e.g. pytest's): the sandbox user could not enter it
        scratch = Path(tempfile.mkdtemp(prefix="notebook-", dir=base))
        os.chmod(scratch, 0o711 if user else 0o700)
        if template is None:
            own_template = template = Template(Scratch(scratch / "template", owner_uid=user[0] if user else None), Limits(),
                                               role="notebook")
            own_template.scratch.prepare()
            own_template.launch()
        package = Path(package_dir) if package_dir is not None else Path(notebook_path).parent / PACKAGE_NAME
        variables = sorted({v for names in assets["names"].values() for v in names})
        reserve = max(5.0, 0.1 * deadline_seconds)
        limits = NotebookLimits(cell_seconds=cell_seconds or max(10.0, min(30.0, deadline_seconds / 6)))
        outcome = run_notebook(cells, variables, scratch, package_dir=package, notebook_text=nbformat.writes(sanitize(nb)),
                               read_paths=paths, user=user, limits=limits, deadline=deadline - reserve, template=template)
        verdicts, judge_error = finish_judge(judge, outcome.values, deadline - time.monotonic())
        judge = None
        tests = score_tests(questions, verdicts, _explainer(assets["names"], outcome.values, outcome.unsupported))
        problems = "; ".join(p for p in (_run_problems(cells, outcome), judge_error) if p) or None
        return _result(questions, tests, problems, answers, outcome, cells)
    except Exception as exc:  # noqa: BLE001 - the promise is: never raise
        return _result(questions, [], f"the notebook grader failed: {type(exc).__name__}: {exc}")
    finally:
        if judge is not None and judge.poll() is None:
            judge.kill()
            judge.wait()
        if own_template is not None:
            own_template.close()
        if scratch is not None:
            remove_tree(scratch)


if __name__ == "__main__":  # PYTHONPATH=autograder python -m grader.instructor.notebook NOTEBOOK [PACKAGE_DIR]
    result = grade_notebook(sys.argv[1], package_dir=sys.argv[2] if len(sys.argv) > 2 else None)
    print(json.dumps(dataclasses.asdict(result), indent=2))
