"""The building blocks of the master notebook (tools/notebook_source.py), in Otter Assign's format (v1).

Otter Assign's format, as used here:

- the first (raw) cell is the ``# ASSIGNMENT CONFIG`` (YAML);
- a question is a raw ``# BEGIN QUESTION`` cell (YAML: ``name``, ``points``, ``manual``), its prompt
  (markdown), its solution between raw ``# BEGIN SOLUTION`` / ``# END SOLUTION`` cells (only cells
  in such a block are stripped: in a code cell, lines ending in ``# SOLUTION`` become ``name = ...``
  and ``# BEGIN SOLUTION NO PROMPT`` ... ``# END SOLUTION`` lines disappear; a manual question's
  markdown answer becomes a "type your answer here" cell), then ``# BEGIN TESTS`` ...
  ``# END TESTS`` and ``# END QUESTION``;
- a test cell is a code cell (OK format): its code becomes a doctest whose expected output is the
  cell's output, which is written here (``True``) rather than recorded by running the notebook.
  A ``# BEGIN TEST CONFIG`` ... ``# END TEST CONFIG`` header (a string statement) sets ``hidden``
  and ``points``.

Public tests check only the type and format of an answer; hidden tests check the value. Public
test cases come first in every question (Otter pairs a question's ``points`` list with its test
cases in order, also when it drops the hidden ones from the student notebook).

The answers to the conceptual questions are plain variables, so they never depend on the
student's package: a broken ``conv2d`` still leaves those points to be earned.
"""
from __future__ import annotations

import textwrap

from nbformat.v4 import new_code_cell, new_markdown_cell, new_output, new_raw_cell

NOTEBOOK_NAME = "conv_gemm.ipynb"
ASSIGNMENT_NAME = "conv_gemm"
FIGURE_TAG = "im2col-figure"  # the cell whose PNG output becomes docs/im2col_unroll.png

ASSIGNMENT_CONFIG = """\
# ASSIGNMENT CONFIG
name: conv_gemm
init_cell: true
check_all_cell: false
export_cell: false
run_tests: false
solutions_pdf: false
template_pdf: false
generate: false
tests:
  files: false
  ok_format: true
"""

# Question name -> (points, manual). Points of autograded questions sum to 10.

QUESTIONS = {
    "q_stem": (2, False),
    "q_readonly": (2, False),
    "q_backward": (2, False),
    "q_separable": (3, False),
    "q_quick_check": (1, False),
    "q_slower": (2, True),
}


PROMPTS: dict[str, str] = {}  # question name -> its prompt (markdown), filled as the cells are built


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str, **metadata):
    return new_markdown_cell(_dedent(text), metadata=metadata)


def code(text: str, tags: tuple[str, ...] = ()):
    metadata = {"tags": list(tags)} if tags else {}
    return new_code_cell(_dedent(text), metadata=metadata)


def raw(text: str):
    return new_raw_cell(_dedent(text))


def otter_test(expression: str, *, hidden: bool, points: float):
    """One OK-format test case: ``expression`` (last line) must print ``True``."""
    header = f'""" # BEGIN TEST CONFIG\nhidden: {str(hidden).lower()}\npoints: {points}\n""" # END TEST CONFIG\n'
    cell = new_code_cell(header + _dedent(expression))
    cell.outputs = [new_output("execute_result", data={"text/plain": "True"}, execution_count=None)]
    return cell


def question(name: str, prompt: list, solution: list, tests: list) -> list:
    points, manual = QUESTIONS[name]
    PROMPTS[name] = "\n\n".join(cell.source for cell in prompt)
    cells = [raw(f"# BEGIN QUESTION\nname: {name}\npoints: {points}" + ("\nmanual: true" if manual else ""))]
    cells += prompt
    # Only cells inside a SOLUTION block are stripped from the student notebook (code and markdown alike).
    cells += [raw("# BEGIN SOLUTION"), *solution, raw("# END SOLUTION")]
    if not manual:
        cells += [raw("# BEGIN TESTS"), *tests, raw("# END TESTS")]
    cells.append(raw("# END QUESTION"))
    return cells
