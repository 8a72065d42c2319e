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
from grader.interface import module_of
from grader.questions import CODE_QUESTIONS, MODULES, POINTS, PREREQUISITES, QUESTION_FUNCTIONS, QUESTION_IDS, load_hidden_checks

GRADER = ROOT / "autograder" / "grader"
SCAFFOLD_TODO = "TODO(make question)"
"""What tools/new_question.py writes where the maintainer has work to do."""


def question_file(q: str) -> str:
    return f"autograder/grader/questions/{q}.py"


def twin_file(q: str) -> str:
    return f"autograder/grader/instructor/hidden/{q}.py"


def solution_blocks() -> dict[tuple[str, str], set[str]]:
    """``{(module, function): question ids of the # BEGIN SOLUTION blocks inside it}`` of the reference."""
    blocks: dict[tuple[str, str], set[str]] = {}
    for path in sorted(SOLUTIONS.glob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                ids = {m[1] for line in lines[node.lineno - 1:node.end_lineno] if (m := re.match(r"\s*# BEGIN SOLUTION (\w+)", line))}
                if ids:
                    blocks[(path.stem, node.name)] = ids
    return blocks


@pytest.mark.parametrize("question", QUESTION_IDS)
def test_every_question_is_one_module_named_by_its_id_whose_docstring_gives_its_points(question):
    module = MODULES[question]
    assert module.__name__ == f"grader.questions.{question}"
    assert module.POINTS > 0, f"{question_file(question)}: POINTS must be positive"
    assert module.BUDGET_WEIGHT > 0, f"{question_file(question)}: BUDGET_WEIGHT must be positive (most questions: 1)"
    first = (module.__doc__ or "").splitlines()[0] if module.__doc__ else ""
    extra = ", extra credit" if getattr(module, "EXTRA_CREDIT", False) else ""
    stated = f"Question ``{question}`` ({POINTS[question]:g} points{extra})"
    assert first.startswith(stated), f"{question_file(question)}: the docstring must start with {stated!r} (POINTS says so), not {first!r}"


@pytest.mark.parametrize("question", CODE_QUESTIONS)
def test_from_a_question_id_its_twin_reference_and_mutants_are_found_by_name(question):
    twin = ROOT / twin_file(question)
    assert twin.is_file(), f"{twin_file(question)} is missing: the hidden checks of question {question}"
    blocks = solution_blocks()
    for function in QUESTION_FUNCTIONS[question]:
        reference = f"solutions/conv_gemm/{module_of(function)}.py"
        assert re.search(rf"^def {function}\(", (ROOT / reference).read_text() if (ROOT / reference).is_file() else "", re.M), (
            f"{function} (graded by {question_file(question)}) is not defined in {reference}")
        assert question in blocks.get((module_of(function), function), set()), (
            f"{function} in {reference} holds no '# BEGIN SOLUTION {question}' block: the starter would ship its body")
    mutants = [p for p in corpus("mutants") if question in questions(header(p), "question")]
    assert mutants, f"no mutant of question {question}: write tests/mutants/mNN_<what_it_breaks>.py starting '# module: ...' and '# question: {question}'"


def test_every_solution_block_belongs_to_a_question_that_grades_its_function():
    for (module, function), ids in solution_blocks().items():
        for q in ids:
            assert q in MODULES, (f"solutions/conv_gemm/{module}.py: {function} has a solution block of question {q!r}, "
                                  f"which has no module: write {question_file(q)} (`make question ID={q} MODULE={module}`)")
            assert function in QUESTION_FUNCTIONS[q], (
                f"solutions/conv_gemm/{module}.py: {function} has a solution block of question {q}, "
                f"but {question_file(q)} does not list it in FUNCTIONS")
        assert module_of(function) == module, (
            f"{question_file(module_question(function))}: FUNCTIONS says {function} is in {module_of(function)}.py, but the reference defines it in {module}.py")


@pytest.mark.parametrize("question", CODE_QUESTIONS)
def test_every_question_has_an_example_call_and_public_and_hidden_checks(question):
    examples = getattr(MODULES[question], "EXAMPLE_CALLS", {})
    assert set(examples) == set(QUESTION_FUNCTIONS[question]), (
        f"{question_file(question)}: EXAMPLE_CALLS must give one call per function of FUNCTIONS "
        f"(differ: {sorted(set(examples) ^ set(QUESTION_FUNCTIONS[question]))})")
    load_hidden_checks()
    mine = [c for c in checks.REGISTRY if c.question == question]
    assert any(c.public for c in mine), f"question {question} has no public check: write one in {question_file(question)}"
    assert any(not c.public for c in mine), f"question {question} has no hidden check: write one in {twin_file(question)}"


def test_no_scaffold_todo_is_left():
    """tools/new_question.py marks what the maintainer must write; none of it may ship."""
    files = [*(GRADER / "questions").glob("*.py"), *(GRADER / "instructor" / "hidden").glob("*.py"),
             *SOLUTIONS.glob("*.py"), *corpus("mutants"), ROOT / "README.md"]
    left = [str(p.relative_to(ROOT)) for p in files if SCAFFOLD_TODO in p.read_text()]
    assert not left, f"{SCAFFOLD_TODO} left in {', '.join(left)}: write what it asks for"


def test_checks_live_in_their_questions_module():
    """Adding a check to a question touches that question's module (or its twin), nothing else."""
    load_hidden_checks()
    for c in checks.REGISTRY:
        where = c.fn.__module__
        expected = f"grader.questions.{c.question}" if c.public else f"grader.instructor.hidden.{c.question}"
        assert where == expected, (c.id, where)


def test_every_prerequisite_is_a_graded_function():
    graded = {f for fns in QUESTION_FUNCTIONS.values() for f in fns}
    for function, names in PREREQUISITES.items():
        unknown = set(names) - graded
        assert not unknown, f"{question_file(module_question(function))}: prerequisites of {function} that no question grades: {sorted(unknown)}"


def module_question(function: str) -> str:
    return next(q for q, fns in QUESTION_FUNCTIONS.items() if function in fns)


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


def test_the_time_budget_weights_are_the_question_modules():
    from grader import engine

    assert engine.QUESTION_COST == {q: float(m.BUDGET_WEIGHT) for q, m in MODULES.items()}


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
