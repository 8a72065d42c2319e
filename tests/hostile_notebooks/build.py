"""Build the hostile notebooks: the solved notebook, right or wrong answers, plus one attack cell.

Each ``nNN_*.py`` (or ``.ipy``) file here is one code cell appended to ``autograder/notebook/solved.ipynb``
after ``earn.py`` (``_earn()`` sets the right answers: an attack that gets anything turns it
into points). Header lines, before the first other line:

- ``# loses: q_a, q_b``: questions the cell's own answers give up entirely (default: none);
- ``# feedback: TEXT``: a phrase the grading ``error`` must contain.

Placeholders in a cell, replaced by :func:`build`: ``__ASSETS_TESTS__`` (the grading material's
tests folder used for that run), ``__OUTSIDE__`` (a folder the notebook must not be able to
write); ``cross_student_attack.py`` (not in :func:`cases`: run only inside ``unshare -n``) takes
``__TCP_PORT__``, ``__UDP_PORT__`` and ``__UNIX_PATH__``.

``wrong`` answers pass every public format test and no hidden one, so a wrong-answer notebook
earns exactly the public points of the questions it does not give up.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOLVED = ROOT / "autograder" / "notebook" / "solved.ipynb"
QUESTIONS = ROOT / "autograder" / "notebook" / "questions.json"
WRONG = {"stem_out": "111", "stem_flops": "1", "q_readonly": '"a"', "backward_ms": "10",
         "standard_params": "1", "sep_params": "1", "reduction": "1.0", "quick_check": "1"}


def cases() -> list[Path]:
    """The ``nNN_*.py`` cells, and ``nNN_*.ipy`` ones (IPython syntax, not Python files)."""
    return sorted(p for p in HERE.glob("n[0-9][0-9]_*.*") if p.suffix in (".py", ".ipy"))


def header(path: Path) -> dict:
    meta = {"loses": [], "feedback": None}
    for line in path.read_text().splitlines():
        m = re.fullmatch(r"# (loses|feedback): (.*)", line)
        if not m:
            break
        meta[m[1]] = [q.strip() for q in m[2].split(",") if q.strip()] if m[1] == "loses" else m[2].strip()
    return meta


def expected_score(path: Path, answers: str) -> float:
    """What the answers earn, from questions.json: all points (right) or the public ones (wrong),
    of every autograded question the cell does not give up."""
    loses = set(header(path)["loses"])
    total = 0.0
    for q in json.loads(QUESTIONS.read_text())["questions"]:
        if q["manual"] or q["name"] in loses:
            continue
        total += sum(c["points"] for c in q["cases"] if answers == "right" or not c["hidden"])
    return total


def with_answers(nb: nbformat.NotebookNode, answers: str) -> nbformat.NotebookNode:
    if answers == "right":
        return nb
    changed = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = []
        for line in cell.source.splitlines():
            m = re.match(r"(\w+) = .*# SOLUTION$", line)
            if m and m[1] in WRONG:
                line = f"{m[1]} = {WRONG[m[1]]}"
                changed.add(m[1])
            lines.append(line)
        cell.source = "\n".join(lines)
    assert changed == set(WRONG), f"answers not found in the solved notebook: {set(WRONG) - changed}"
    return nb


def cell_source(case: Path, replacements: dict[str, str]) -> str:
    """``earn.py`` then the case's text, each placeholder (e.g. ``__OUTSIDE__``) replaced."""
    source = (HERE / "earn.py").read_text() + "\n\n" + case.read_text()
    for placeholder, value in replacements.items():
        source = source.replace(placeholder, value)
    return source


def build(case: Path, answers: str, target: Path, replacements: dict[str, str]) -> Path:
    """Write ``target`` (a ``conv_gemm.ipynb``): solved, ``answers`` right or wrong, plus ``case``'s cell."""
    nb = with_answers(nbformat.read(SOLVED, as_version=4), answers)
    nb.cells.append(nbformat.v4.new_code_cell(cell_source(case, replacements), id=f"hostile-{case.stem[:12]}"))
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target
