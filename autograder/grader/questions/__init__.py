"""The questions, one module each: ``grader/questions/<id>.py`` holds a question's points, the
student functions it grades, their prerequisites and its public checks; its hidden checks are
the twin ``grader/instructor/hidden/<id>.py``, which the student release never carries.

Every table the rest of the grader reads (the question ids and their order, the points, which
student module defines which function, each function's prerequisites, each question's share of
the time budget) is assembled here from those modules: changing a question means editing its
module, and adding one means adding its files (``make question``, docs/adding-a-question.md).

A question module defines:

- ``POINTS``: its points (``EXTRA_CREDIT = True``: on top of ``MAX_TOTAL``);
- ``ORDER``: where it comes in the points table, the reports and the gradebook's columns
  (ascending; spaced by 10 so that a new question fits between two);
- ``BUDGET_WEIGHT``: its share of the submission's time budget relative to the others (most 1);
- ``FUNCTIONS``: ``{student function it grades: the conv_gemm module that defines it}``;
- ``PREREQUISITES``: for each of those functions, ASSIGNMENT.md's "Prerequisites": the grader's
  own implementations present in the student's process while it is graded, nothing else;
- ``EXAMPLE_CALLS``: for each function, ``lambda: (positional arguments)`` of one valid call (the
  reference must accept it and the starter's hole must raise: tests/test_starter.py);
- ``HIDDEN_WEIGHT``: the total weight of its hidden checks, which the release does not carry, so
  that `make check` splits the points as Gradescope does (a test checks it against the twin);
- optionally ``DIRECT_CALLS``, then its public checks (``@check(..., public=True)``).

Public checks are what students run with `make check`: their feedback shows the call made.
Inputs are the canonical 5x5 example or small seeded arrays; expected values come from torch,
computed in the check, never by student code.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

REQUIRED = ("POINTS", "ORDER", "BUDGET_WEIGHT", "FUNCTIONS", "PREREQUISITES")
"""The settings every question module defines (a missing one stops the grader, naming the file)."""


class QuestionError(ValueError):
    """A question module that is missing a setting or contradicts another question."""


def _where(q: str) -> str:
    return f"autograder/grader/questions/{q}.py"


def _load() -> dict[str, ModuleType]:
    """Every question module, by id, in ``ORDER``; checked for the settings the grader reads."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        missing = [name for name in REQUIRED if not hasattr(module, name)]
        if missing:
            raise QuestionError(f"{_where(info.name)} must define {', '.join(missing)} (see autograder/grader/questions/__init__.py)")
        if not isinstance(module.FUNCTIONS, dict) or not all(isinstance(m, str) for m in module.FUNCTIONS.values()):
            raise QuestionError(f"{_where(info.name)}: FUNCTIONS maps each function it grades to its module, "
                                "e.g. {'conv2d': 'conv2d'}")
        if set(module.PREREQUISITES) != set(module.FUNCTIONS):
            raise QuestionError(f"{_where(info.name)}: PREREQUISITES must have one entry per function of FUNCTIONS "
                                f"(differ: {sorted(set(module.PREREQUISITES) ^ set(module.FUNCTIONS))})")
        found[info.name] = module
    orders = {}
    for q, module in found.items():
        if module.ORDER in orders:
            raise QuestionError(f"{_where(q)} and {_where(orders[module.ORDER])} both have ORDER = {module.ORDER}: give {q} another")
        orders[module.ORDER] = q
    owner: dict[str, str] = {}
    for q, module in found.items():
        for function in module.FUNCTIONS:
            if function in owner:
                raise QuestionError(f"{function} is graded by both {_where(owner[function])} and {_where(q)}: "
                                    "a function belongs to exactly one question")
            owner[function] = q
    return dict(sorted(found.items(), key=lambda item: item[1].ORDER))


MODULES: dict[str, ModuleType] = _load()

QUESTION_IDS = tuple(MODULES)
"""The question ids, in the order of the points table and of every report."""
CODE_QUESTIONS = tuple(q for q, m in MODULES.items() if m.FUNCTIONS)
"""The questions graded from the package's functions (all but the notebook's)."""

POINTS: dict[str, float] = {q: float(m.POINTS) for q, m in MODULES.items()}
EXTRA_CREDIT = tuple(q for q, m in MODULES.items() if getattr(m, "EXTRA_CREDIT", False))
"""Questions whose points come on top of ``MAX_TOTAL``."""
MAX_TOTAL = sum(p for q, p in POINTS.items() if q not in EXTRA_CREDIT)
BUDGET_WEIGHTS: dict[str, float] = {q: float(m.BUDGET_WEIGHT) for q, m in MODULES.items()}
"""Each question's share of the remaining time budget, relative to the others' (engine.Budget)."""
HIDDEN_WEIGHTS: dict[str, float] = {q: float(getattr(m, "HIDDEN_WEIGHT", 0)) for q, m in MODULES.items()}
"""Question -> the total weight of its hidden checks (a public check's share of the points is its
weight over the public and hidden weights together, with or without the hidden checks present)."""
QUESTION_FUNCTIONS: dict[str, list[str]] = {q: list(m.FUNCTIONS) for q, m in MODULES.items()}
FUNCTION_MODULE: dict[str, str] = {f: mod for m in MODULES.values() for f, mod in m.FUNCTIONS.items()}
"""The conv_gemm module that defines each student function."""
MODULE_FUNCTIONS: dict[str, list[str]] = {}
"""Each student module and the public functions it must define (in question order)."""
for _function, _module in FUNCTION_MODULE.items():
    MODULE_FUNCTIONS.setdefault(_module, []).append(_function)
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
    """Import every hidden twin (registering its checks); False where the instructor folder is
    absent (the release). A code question without its twin is an error that names the file."""
    try:
        importlib.import_module("grader.instructor.hidden")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("grader.instructor"):
            raise
        return False
    for q in CODE_QUESTIONS:  # the notebook's hidden cases are Otter tests (questions/notebook.py)
        try:
            importlib.import_module(f"grader.instructor.hidden.{q}")
        except ModuleNotFoundError as exc:
            if exc.name != f"grader.instructor.hidden.{q}":
                raise
            raise QuestionError(f"question {q} has no hidden checks: write autograder/grader/instructor/hidden/{q}.py "
                                "(the twin of its questions module)") from None
    return True
