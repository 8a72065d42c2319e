"""Shared fixtures: the reference and the starter loaded side by side under distinct names, the
build artifacts, the grader's corpus graded once per session, and Gradescope's container runs.

The corpus grading (tests/corpus_grading.py) and the container runs (tests/autograder_runs.py)
are the suite's longest work and leave CPU time unused (half a CPU each for the containers), so
they start in the background as soon as the tests are collected, each only if a selected test
reads it; the tests that wait for them go last, so that they overlap the rest of the suite.
Tests that read a graded corpus (a fixture named ``graded``) or the container runs
(``container_runs``) are marked slow here, whatever file they are in: ``make test-fast`` leaves
them out.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "conv_gemm"
STARTER = ROOT / "assignments" / "conv_gemm"
SLOW_FIXTURES = {"graded", "container_runs"}


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
_BACKGROUND = {}


def _corpus_reader(item) -> bool:
    """A test that reads the corpus of tests/corpus_grading.py (test_forms.py has a `graded` of its own)."""
    return "graded" in getattr(item, "fixturenames", ()) and not hasattr(getattr(item, "module", None), "graded")


def _start_corpus(config):
    if "corpus" not in _BACKGROUND:
        import corpus_grading

        factory = config._tmp_path_factory  # pytest's tmp_path_factory; a hook has no fixtures
        _BACKGROUND["corpus"] = corpus_grading.start(factory.mktemp("submissions"), factory.mktemp("gradebook"))
    return _BACKGROUND["corpus"]


@pytest.fixture(scope="session")
def graded(pytestconfig):
    """The grader's corpus graded once (tests/corpus_grading.py): ``{"results": {student: GradeReport},
    "out": the gradebook folder, "unchanged": bool, "tmp_results_created": bool}``. Every test that
    reads it shares this one grading; a test that needs a fresh one grades its own."""
    return _start_corpus(pytestconfig).result()


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Before `-m` selects: a test that reads a graded corpus or the container runs is slow. Then
    the order of :func:`_place` (a stable sort keeps every other test in its place)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_place)


def _place(item) -> int:
    """0: every other test; 1: container readers; 2: corpus readers; 3: exclusive tests, after all
    background work (so that they wait for nothing)."""
    if item.get_closest_marker("exclusive") is not None:
        return 3
    if _corpus_reader(item):
        return 2
    return int("container_runs" in getattr(item, "fixturenames", ()))


def pytest_collection_finish(session):
    """Start the corpus grading and the container runs now, each if a selected test will wait for it."""
    if session.config.option.collectonly:
        return
    if any(_corpus_reader(item) for item in session.items):
        _start_corpus(session.config)
    if any("container_runs" in getattr(item, "fixturenames", ()) for item in session.items):
        _start_container_runs()


def pytest_runtest_setup(item):
    """A test marked exclusive runs alone: the background gradings end first (the sandbox user's
    task allowance, for one, is shared by every grading of the machine)."""
    if item.get_closest_marker("exclusive") is not None:
        for work in (_BACKGROUND.get("corpus"), *(_BACKGROUND["runs"].runs.values() if "runs" in _BACKGROUND else ())):
            if work is not None:
                work.exception()  # waits; a failure is reported by the tests that read it


def pytest_sessionfinish(session):
    """End the container runs if they still run (a session stopped early); a corpus grading that
    still runs is waited for (it cannot be stopped halfway without leaving its processes)."""
    runs = _BACKGROUND.pop("runs", None)
    if runs is not None:
        runs.close()
    corpus = _BACKGROUND.pop("corpus", None)
    if corpus is not None:
        corpus.exception()  # waits; its failure, if any, was reported by the tests that read it
