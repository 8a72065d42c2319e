"""The questions, one module each: ``grader/questions/<id>.py`` holds a question's points, the
student functions it grades, their prerequisites and its public checks; its hidden checks are
the twin ``grader/instructor/hidden/<id>.py``, which the student release never carries.

Every table the rest of the grader reads (the points, the question ids and their order, each
function's prerequisites) is assembled here from those modules: changing a question means
editing its module, and adding one means a new module plus its id in ``QUESTION_IDS``.

A question module defines ``POINTS``; ``FUNCTIONS`` (the student functions it grades);
``PREREQUISITES`` (for each of them, ASSIGNMENT.md's "Prerequisites": the grader's own
implementations present in the student's process while it is graded, nothing else);
``HIDDEN_WEIGHT`` (the total weight of its hidden checks, which the release does not carry:
`make check` splits the points as Gradescope does; a test checks it against the twin); optionally
``DIRECT_CALLS`` and ``EXTRA_CREDIT``; then its public checks (``@check(..., public=True)``).
Public checks are what students run with `make check`: their feedback shows the call made.
Inputs are the canonical 5x5 example or small seeded arrays; expected values come from torch,
computed in the check, never by student code.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from grader.interface import MODULE_FUNCTIONS

QUESTION_IDS = ("cost", "im2col", "strided", "conv2d", "unfold", "backward", "exercises", "variants", "layout",
                "benchmark", "notebook", "winograd")
"""The question ids, in the order of the points table and of every report."""

MODULES: dict[str, ModuleType] = {q: importlib.import_module(f"{__name__}.{q}") for q in QUESTION_IDS}

POINTS: dict[str, float] = {q: float(m.POINTS) for q, m in MODULES.items()}
EXTRA_CREDIT = tuple(q for q, m in MODULES.items() if getattr(m, "EXTRA_CREDIT", False))
"""Questions whose points come on top of ``MAX_TOTAL``."""
MAX_TOTAL = sum(p for q, p in POINTS.items() if q not in EXTRA_CREDIT)
HIDDEN_WEIGHTS: dict[str, float] = {q: float(getattr(m, "HIDDEN_WEIGHT", 0)) for q, m in MODULES.items()}
"""Question -> the total weight of its hidden checks (a public check's share of the points is its
weight over the public and hidden weights together, with or without the hidden checks present)."""
QUESTION_FUNCTIONS: dict[str, list[str]] = {q: list(m.FUNCTIONS) for q, m in MODULES.items()}
PREREQUISITES: dict[str, tuple[str, ...]] = {f: tuple(p) for m in MODULES.values() for f, p in m.PREREQUISITES.items()}
"""ASSIGNMENT.md, "Prerequisites", as data: while a function is graded, these (and nothing
else) are the grader's own implementations in the student's process, so one bug costs one
question. Functions that compute the same result never stand in for each other."""
QUESTION_DIRECT_CALLS: dict[str, list[str]] = {q: list(m.DIRECT_CALLS) for q, m in MODULES.items() if hasattr(m, "DIRECT_CALLS")}
"""Functions of other questions that a question also calls, on inputs where that other
question's classic bugs cannot change the result (see the modules that declare them)."""


def functions_of(question: str) -> list[str]:
    """Every student function a question runs."""
    return QUESTION_FUNCTIONS[question] + QUESTION_DIRECT_CALLS.get(question, [])


def modules_of(question: str) -> list[str]:
    """The student modules a question needs (those defining the functions it runs)."""
    wanted = set(functions_of(question))
    return [m for m, fns in MODULE_FUNCTIONS.items() if wanted & set(fns)]


def load_hidden_checks() -> bool:
    """Import every hidden twin (registering its checks); False where they are absent (the release)."""
    try:
        for q in QUESTION_IDS:
            if q != "notebook":  # the notebook's hidden cases are Otter tests (questions/notebook.py)
                importlib.import_module(f"grader.instructor.hidden.{q}")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("grader.instructor"):
            raise
        return False
    return True
