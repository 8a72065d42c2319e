"""Shared fixtures: the reference and the starter loaded side by side under distinct names, the
build artifacts, the session's long gradings, and Gradescope's container runs.

The long gradings (GRADINGS: the grader's corpus, the honest forms, a class per LMS, three
run_autograder runs, three notebooks whose package dies) and the container runs
(tests/autograder_runs.py) start in the background as soon as the tests are collected, each
only if a selected test reads it: the gradings two at a time, in the order of GRADINGS, the
container runs (half a CPU each) in a thread of their own. The tests that wait for them go
last, so that they overlap the rest of the suite. Tests that read one (through a fixture of
SLOW_FIXTURES) are marked slow here, whatever file they are in: ``make test-fast`` leaves them
out.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import _pytest.pathlib as _pytest_pathlib  # pinned pytest: its clean-up is patched below
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "conv_gemm"
STARTER = ROOT / "assignments" / "conv_gemm"


def load_package(package_dir: Path, alias: str):
    """Import the package in ``package_dir`` as ``alias`` (its relative imports resolve inside it)."""
    if alias in sys.modules:
        return sys.modules[alias]
    spec = importlib.util.spec_from_file_location(
        alias, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def submodule(package, name: str):
    return importlib.import_module(f"{package.__name__}.{name}")


@pytest.fixture(scope="session")
def ref():
    """The reference solution package."""
    return load_package(SOLUTIONS, "ref_conv_gemm")


@pytest.fixture(scope="session")
def starter():
    """The generated student starter package."""
    return load_package(STARTER, "starter_conv_gemm")


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


@pytest.fixture(scope="session")
def artifacts():
    """``make autograder release`` once per session: (dist/autograder.zip, dist/student/, dist/student.zip)."""
    import subprocess

    subprocess.run([sys.executable, "tools/build_dist.py", "autograder", "release"], cwd=ROOT, check=True, capture_output=True)
    return ROOT / "dist" / "autograder.zip", ROOT / "dist" / "student", ROOT / "dist" / "student.zip"


# ---------------------------------------------------------------- work started as the session begins
GRADINGS = {
    # fixture: (the grading, the temporary folders it is given, what the fixture returns);
    # started in this order, two at a time
    "graded": ("corpus_grading:grade_corpus", ("submissions", "gradebook"),
               """The grader's corpus (tests/corpus_grading.py): ``{"results": {student: GradeReport}, "out":
               the gradebook folder, "unchanged": bool, "tmp_results_created": bool}``."""),
    "forms_graded": ("forms:grade_forms", ("forms", "forms-gradebook"), "The honest forms of tests/forms.py (grade_forms)."),
    "lms_classes": ("lms_exports:grade_classes", ("lms-classes",), "A class as each LMS exports it (tests/lms_exports.py)."),
    "end_to_end": ("autograder_runs:run_end_to_end", ("end-to-end",),
                   "run_autograder on three submissions (tests/autograder_runs.py's run_end_to_end)."),
    "dying_notebooks": ("test_notebook:grade_dying_notebooks", ("dying-notebooks",),
                        "Three notebooks whose package exits, spins or sleeps (tests/test_notebook.py)."),
}
"""The session's long gradings: each is started in the background as the session begins, if a
selected test reads its fixture, and every test that reads it shares that one grading (a test
that needs a fresh one grades its own)."""
SLOW_FIXTURES = set(GRADINGS) | {"container_runs"}
_BACKGROUND: dict = {}  # fixture -> Future; "runs": the container runs


def _start_grading(config, name: str):
    """The Future of grading ``name``, queued now if it was not: two threads run them in the order
    they were queued (each grades with processes of its own)."""
    if name not in _BACKGROUND:
        import importlib

        if "pool" not in _BACKGROUND:
            from concurrent.futures import ThreadPoolExecutor

            _BACKGROUND["pool"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background-grading")
        target, folders, _ = GRADINGS[name]
        module, function = target.split(":")
        factory = config._tmp_path_factory  # pytest's tmp_path_factory; a hook has no fixtures
        paths = [factory.mktemp(folder) for folder in folders]
        _BACKGROUND[name] = _BACKGROUND["pool"].submit(getattr(importlib.import_module(module), function), *paths)
    return _BACKGROUND[name]


def _grading_fixture(name: str, doc: str):
    """The session fixture ``name``: the result of that grading, waited for."""
    def fixture(pytestconfig):
        return _start_grading(pytestconfig, name).result()

    fixture.__doc__ = doc
    return pytest.fixture(scope="session", name=name)(fixture)


for _name, (_, _, _doc) in GRADINGS.items():
    globals()[_name] = _grading_fixture(_name, _doc)


@pytest.fixture(scope="session")
def container_runs():
    """``{"complete": Future, "hanging": Future}`` of run_autograder inside Gradescope's default
    container (tests/autograder_runs.py), started when the session's tests were collected."""
    return _start_container_runs().runs


def _start_container_runs():
    if "runs" not in _BACKGROUND:
        from autograder_runs import Background

        _BACKGROUND["runs"] = Background()
    return _BACKGROUND["runs"]


def _reads(item, fixture: str) -> bool:
    return fixture in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Before `-m` selects: a test that reads a background grading or the container runs is slow.
    Then the order of :func:`_place` (a stable sort keeps every other test in its place)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_place)


def _place(item) -> int:
    """0: every other test; 1: container readers; 2: readers of a background grading; 3: exclusive
    tests, after all background work (so that they wait for nothing)."""
    if item.get_closest_marker("exclusive") is not None:
        return 3
    if any(_reads(item, name) for name in GRADINGS):
        return 2
    return int(_reads(item, "container_runs"))


def pytest_collection_finish(session):
    """Start the background gradings and the container runs now, each if a selected test will wait for it."""
    if session.config.option.collectonly:
        return
    for name in GRADINGS:
        if any(_reads(item, name) for item in session.items):
            _start_grading(session.config, name)
    if any(_reads(item, "container_runs") for item in session.items):
        _start_container_runs()


def _background_work():
    runs = _BACKGROUND["runs"].runs.values() if "runs" in _BACKGROUND else ()
    return [_BACKGROUND[name] for name in GRADINGS if name in _BACKGROUND] + list(runs)


def pytest_runtest_setup(item):
    """A test marked exclusive runs alone: the background gradings end first (the sandbox user's
    task allowance, for one, is shared by every grading of the machine)."""
    if item.get_closest_marker("exclusive") is not None:
        for work in _background_work():
            work.exception()  # waits; a failure is reported by the tests that read it


def pytest_sessionfinish(session):
    """End the container runs if they still run (a session stopped early); a grading that still
    runs is waited for (it cannot be stopped halfway without leaving its processes), one queued
    and not started is dropped."""
    runs = _BACKGROUND.pop("runs", None)
    if runs is not None:
        runs.close()
    pool = _BACKGROUND.pop("pool", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _remove_at_any_depth(rm_rf):
    """pytest removes the numbered folders of earlier sessions with ``shutil.rmtree``, which
    recurses once per level: one folder over ~1000 deep, left by a session that was stopped
    before its own clean-up (the deep trees of test_sandbox and tests/forms), ended every later
    session on this machine with a RecursionError and exit status 1, all tests passed. Such a
    tree goes through the grader's own ``remove_tree`` instead."""
    def rm_rf_any_depth(path):
        try:
            rm_rf(path)
        except RecursionError:
            from grader.sandbox import remove_tree

            remove_tree(path)

    return rm_rf_any_depth


_pytest_pathlib.rm_rf = _remove_at_any_depth(_pytest_pathlib.rm_rf)
