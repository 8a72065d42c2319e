"""The grader's layout: a question is one module (plus its hidden twin), and the trust boundaries
are folders (grader/runtime runs in the student's process; grader/instructor never ships)."""
from __future__ import annotations

import ast
import importlib
import re

import pytest

from conftest import ROOT, SOLUTIONS
from corpus import corpus, header, questions
from grader import checks
from grader.interface import MODULE_FUNCTIONS, module_of
from grader.questions import MODULES, PREREQUISITES, QUESTION_FUNCTIONS, QUESTION_IDS, load_hidden_checks

GRADER = ROOT / "autograder" / "grader"
CODE_QUESTIONS = [q for q in QUESTION_IDS if q != "notebook"]


def test_every_question_is_one_module_named_by_its_id():
    assert sorted(p.stem for p in (GRADER / "questions").glob("*.py") if p.stem != "__init__") == sorted(QUESTION_IDS)
    for q, module in MODULES.items():
        assert module.__name__ == f"grader.questions.{q}"
        assert module.POINTS > 0 and set(module.PREREQUISITES) == set(module.FUNCTIONS), q


@pytest.mark.parametrize("question", CODE_QUESTIONS)
def test_from_a_question_id_its_twin_reference_and_mutants_are_found_by_name(question):
    twin = GRADER / "instructor" / "hidden" / f"{question}.py"
    assert twin.is_file()
    for function in QUESTION_FUNCTIONS[question]:
        reference = SOLUTIONS / f"{module_of(function)}.py"
        assert re.search(rf"^def {function}\(", reference.read_text(), re.M), f"{function} not in {reference.name}"
    mutants = [p for p in corpus("mutants") if question in questions(header(p), "question")]
    assert mutants, f"no mutant in tests/mutants declares '# question: {question}'"


def test_checks_live_in_their_questions_module():
    """Adding a check to a question touches that question's module (or its twin), nothing else."""
    load_hidden_checks()
    for c in checks.REGISTRY:
        where = c.fn.__module__
        expected = f"grader.questions.{c.question}" if c.public else f"grader.instructor.hidden.{c.question}"
        assert where == expected, (c.id, where)


def test_every_student_function_belongs_to_exactly_one_question():
    graded = [f for fns in QUESTION_FUNCTIONS.values() for f in fns]
    assert sorted(graded) == sorted(f for fns in MODULE_FUNCTIONS.values() for f in fns)
    assert set(PREREQUISITES) == set(graded)
    assert all(set(p) <= set(graded) for p in PREREQUISITES.values())


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_the_runtime_imports_nothing_of_the_grader_and_nothing_by_bare_sibling_name():
    """grader/runtime is copied whole into the sandbox as its own package: relative imports only."""
    siblings = {p.stem for p in (GRADER / "runtime").glob("*.py")}
    for path in (GRADER / "runtime").glob("*.py"):
        for name, level in _imports(path):
            if level == 0:
                assert not name.startswith("grader") and name.split(".")[0] not in siblings, (path.name, name)


def test_public_grader_never_imports_the_instructor_folder_at_module_level():
    """The release is grader/ without instructor/: every public module must import without it."""
    for path in GRADER.rglob("*.py"):
        if "instructor" in path.parts or "__pycache__" in path.parts:
            continue
        top_level = [n for n in ast.parse(path.read_text()).body if isinstance(n, (ast.Import, ast.ImportFrom))]
        for node in top_level:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert not any("instructor" in n for n in names), (path, names)


def test_public_checks_import_without_the_instructor_folder(tmp_path):
    """The release's grader: a copy of the public folders; every question module imports there."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(GRADER, tmp_path / "grader", ignore=shutil.ignore_patterns("instructor", "__pycache__"))
    code = ("import grader.engine as e, grader.questions as q; "
            "print(len(e.load_checks(False)), q.load_hidden_checks())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    count, hidden = out.stdout.split()
    assert int(count) == sum(c.public for c in checks.REGISTRY if c.public) and hidden == "False"


def test_tools_take_the_question_ids_from_the_modules():
    make_assignments = importlib.import_module("make_assignments")
    assert make_assignments.QUESTION_IDS == set(QUESTION_IDS)


def test_the_guard_watches_every_runtime_module_under_its_package_name():
    """The audit hook treats as the grader's own state every module of the runtime package as the
    child imports it (grader_runtime.<name>), and no student module."""
    from grader.runtime import guard

    assert guard.RUNTIME_PACKAGE == "grader.runtime"
    for path in (GRADER / "runtime").glob("*.py"):
        if path.stem != "__init__":
            assert guard.is_runtime_module(f"grader.runtime.{path.stem}"), path.name
    assert guard.is_runtime_module("__main__") and guard.is_runtime_module("grader_standins")
    assert not any(guard.is_runtime_module(m) for m in ("conv_gemm.conv2d", "grader.runtime_x", "child", "torch"))
