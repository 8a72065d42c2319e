"""The submitted notebook as data: read, repaired, checked; its code cells and manual answers.

Nothing here executes the notebook. :func:`read_notebook` turns the file into an nbformat v4
node or raises :class:`NotebookProblem` with a message for the student; :func:`code_cells` gives
the source the runner executes; :func:`manual_answers`
gives the text of the hand-graded answers.
"""
from __future__ import annotations

import json
from pathlib import Path

MAX_NOTEBOOK_BYTES = 16 << 20
MAX_ANSWER_CHARS = 4000
MAX_CELL_CHARS = 200_000
PLACEHOLDER = "_Type your answer here, replacing this text._"  # Otter's empty answer cell


class NotebookProblem(Exception):
    """The submitted notebook cannot be graded: missing, empty, not JSON, not a notebook."""


def read_notebook(path: Path):
    """The notebook as an nbformat v4 node, or :class:`NotebookProblem` with a message for the student.

    Small defects that editors leave (a cell without metadata or id, list-of-lines sources) are
    repaired; outputs are dropped (Otter runs the notebook again anyway).
    """
    import nbformat

    path = Path(path)
    if not path.exists():
        raise NotebookProblem(f"{path.name}: notebook not found")
    if not path.is_file():
        raise NotebookProblem(f"{path.name}: not a file")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookProblem(f"{path.name} is {size / 2**20:.0f} MiB, over the {MAX_NOTEBOOK_BYTES >> 20} MiB limit "
                              "(clear the outputs before submitting)")
    raw = path.read_bytes()
    if not raw.strip():
        raise NotebookProblem(f"{path.name} is empty: save the notebook in Jupyter before submitting")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotebookProblem(f"{path.name} is not a Jupyter notebook (not UTF-8 text)") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else ""
        raise NotebookProblem(f"{path.name} is not a Jupyter notebook (invalid JSON{where})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise NotebookProblem(f"{path.name} is JSON but not a Jupyter notebook (no list of cells)")
    if data.get("nbformat", 4) == 4 and isinstance(data.get("cells"), list):
        data = _repair_v4(data, path.name)
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise NotebookProblem(f"{path.name} is a broken notebook ({type(exc).__name__}: {str(exc)[:300]})") from None
    if not nb.cells:
        raise NotebookProblem(f"{path.name} has no cells")
    return nb


def _repair_v4(data: dict, name: str) -> dict:
    cells, seen = [], set()
    for i, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookProblem(f"{name} is a broken notebook (cell {i} is not a code, markdown or raw cell)")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookProblem(f"{name} is a broken notebook (cell {i} has no text source)")
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id or len(cell_id) > 64 or cell_id in seen \
                or not all(ch.isalnum() or ch in "-_" for ch in cell_id):
            cell_id = f"cell-{i}"
        seen.add(cell_id)
        fixed = {"cell_type": cell["cell_type"], "id": cell_id, "metadata": metadata, "source": source}
        if cell["cell_type"] == "code":
            fixed.update(outputs=[], execution_count=None)
        elif isinstance(cell.get("attachments"), dict) and cell["cell_type"] != "code":
            fixed["attachments"] = cell["attachments"]
        cells.append(fixed)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def sanitize(nb):
    """Outputs, execution counts and widget state cleared: Otter runs the notebook again anyway."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.metadata.pop("widgets", None)
    return nb


def manual_answers(nb, questions: dict) -> dict:
    """The text of each manual question's answer: the markdown cells after its prompt, up to the next
    locked (Otter prompt) or code cell, without Otter's "type your answer here" placeholder."""
    answers = {}
    cells = nb.cells
    for q in questions["questions"]:
        if not q["manual"]:
            continue
        marker = f"({q['name']}"
        answer = None
        for i, cell in enumerate(cells):
            if cell.get("cell_type") == "markdown" and marker in cell.get("source", ""):
                parts = []
                for following in cells[i + 1:]:
                    locked = following.get("metadata", {}).get("deletable") is False
                    if following.get("cell_type") != "markdown" or locked:
                        break
                    text = following.get("source", "").strip()
                    if text and text != PLACEHOLDER:
                        parts.append(text)
                answer = "\n\n".join(parts)[:MAX_ANSWER_CHARS]
                break
        answers[q["name"]] = answer
    return answers


def code_cells(nb) -> list[str | None]:
    """The source of every code cell, in order (None for one over ``MAX_CELL_CHARS``): the runner
    executes them, making IPython-only lines inert there (notebook_runner.python_source)."""
    cells = []
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells.append(source if len(source) <= MAX_CELL_CHARS else None)
    return cells
