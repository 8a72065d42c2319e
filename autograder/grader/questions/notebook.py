"""Question ``notebook`` (6 points): the notebook's answers.

Graded by the notebook grader (grader/instructor/notebook.py), not by checks here: the
notebook's public and hidden cases are Otter tests in autograder/notebook/tests/, built
from the solved notebook by tools/make_notebook.py.
"""
from __future__ import annotations

POINTS = 6
ORDER = 110
BUDGET_WEIGHT = 3  # it runs the student's whole notebook
FUNCTIONS: dict[str, str] = {}
PREREQUISITES: dict[str, tuple[str, ...]] = {}
EXAMPLE_CALLS: dict = {}
