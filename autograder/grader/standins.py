"""The grader's stand-ins for a graded function's declared prerequisites, as source text.

While a function is graded, the child holds the grader's implementations of that function's
prerequisites (grader.questions.PREREQUISITES) and nothing else of the grader: this module cuts
exactly those functions, with the private helpers and imports they need, out of oracle.py
and sends them over the pipe. No grader file is readable from the child, and no other oracle
function (in particular none that computes the answer of the function under test) is there.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ORACLE = Path(__file__).resolve().parent / "instructor" / "oracle.py"


@lru_cache(maxsize=1)
def _oracle_tree() -> tuple[list[str], dict[str, tuple[str, set[str]]]]:
    """``(import lines, {top-level def name: (source, names it references)})`` of oracle.py."""
    text = ORACLE.read_text(encoding="utf-8")
    tree = ast.parse(text)
    imports, defs = [], {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(text, node))
        elif isinstance(node, ast.FunctionDef):
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            defs[node.name] = (ast.get_source_segment(text, node), used)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            used = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}  # an alias: im2col_loop = ...
            defs[node.targets[0].id] = (ast.get_source_segment(text, node), used)
    return imports, defs


def standin_source(functions: list[str] | tuple[str, ...]) -> str:
    """Source defining ``functions`` and every oracle helper they reach, nothing more."""
    imports, defs = _oracle_tree()
    missing = [f for f in functions if f not in defs]
    if missing:
        raise ValueError(f"the grader has no stand-in for {', '.join(missing)}, a declared prerequisite: "
                         "write it in autograder/grader/instructor/oracle.py")
    needed, todo = set(), list(functions)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        todo += [n for n in defs[name][1] if n in defs and n not in needed]
    body = [defs[name][0] for name in defs if name in needed]  # oracle.py's order
    return "\n".join(imports) + "\n\n\n" + "\n\n\n".join(body) + "\n"


TIMED_BY = {"benchmark_table": ("conv2d_naive", "im2col_loop", "conv2d")}
"""Functions checked against run times the grader sets: while they are graded, each function
they time sleeps a known time per call (stand-in or the student's own, in ``make check``)."""


def benchmark_delays(seed: int) -> dict[str, float]:
    """Per-call sleeps for the functions benchmark_table times, drawn from the seed (so a table of
    invented numbers cannot know them), far enough apart that the rows are ordered, and short:
    a table of 4 rows, 3 repeats and a warm-up sleeps their sum 4 times per check."""
    import numpy as np

    rng = np.random.default_rng([seed, 20261130])
    low, high = np.array([0.025, 0.01, 0.002]), np.array([0.04, 0.0175, 0.005])
    return {name: round(float(v), 4) for name, v in zip(TIMED_BY["benchmark_table"], rng.uniform(low, high))}
