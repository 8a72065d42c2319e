"""Shared fixtures: the reference and the starter loaded side by side under distinct names, the
grader's corpus graded once per session, and Gradescope's container runs started in the background.

Tests that read a graded corpus (a fixture named ``graded``) or wait for the container runs
(``container_runs``) are marked slow here, whatever file they are in: ``make test-fast`` leaves
them out. Those that wait for the container runs go last, so that the runs (half a CPU each,
minutes) overlap the rest of the suite.
"""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "conv_gemm"
STARTER = ROOT / "assignments" / "conv_gemm"
CORPUS_KINDS = ("mutants", "alternatives", "hostile")  # folders of tests/ graded by `graded`, every case in them
SLOW_FIXTURES = {"graded", "container_runs"}
CORPUS_SEED = 7
CORPUS_LIMITS = {"call_seconds": 5, "start_seconds": 20}  # grader.sandbox.Limits: hanging cases cost seconds


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


# ---------------------------------------------------------------- the grader's corpus, graded once
def _tree_digest(*folders: Path) -> str:
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """The reference ("complete"), the starter and every case of tests/mutants, alternatives and
    hostile, graded in one call the way `make grade` does (gradebook, results.json per student),
    one process grading two questions at a time. Every test that reads it shares this one
    grading; a test that needs a fresh one grades its own."""
    from corpus import build, corpus

    from grader.instructor.gradebook import grade_folder
    from grader.sandbox import Limits

    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("gradebook")
    build(subs / "complete")
    build(subs / "starter", base=STARTER)
    for kind in CORPUS_KINDS:
        for snippet in corpus(kind):
            build(subs / snippet.stem, snippet)
    watched = [ROOT / "autograder", ROOT / "solutions", ROOT / "assignments"]
    before = _tree_digest(*watched)
    tmp_before = Path("/tmp/results.json").exists()
    # test_verdicts_do_not_depend_on_the_lanes grades some of them again with one lane
    results = grade_folder(subs, out, seed=CORPUS_SEED, workers=1, lanes=2, progress=False, limits=Limits(**CORPUS_LIMITS))
    return {
        "results": {r.student: r for r in results},
        "out": out,
        "unchanged": _tree_digest(*watched) == before,
        "tmp_results_created": not tmp_before and Path("/tmp/results.json").exists(),
    }


# ---------------------------------------------------------------- Gradescope's container, in the background
_BACKGROUND = {}


@pytest.fixture(scope="session")
def container_runs():
    """``{"complete": Future, "hanging": Future}`` of run_autograder inside Gradescope's default
    container (tests/autograder_runs.py), started when the session's tests were collected."""
    if "runs" not in _BACKGROUND:
        from autograder_runs import Background

        _BACKGROUND["runs"] = Background()
    return _BACKGROUND["runs"].runs


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Before `-m` selects: a test that reads a graded corpus or the container runs is slow; the
    container readers go last (a stable sort keeps every other test in its place)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: "container_runs" in getattr(item, "fixturenames", ()))


def pytest_collection_finish(session):
    """Start the container runs now if a selected test will wait for them."""
    if session.config.option.collectonly:
        return
    if any("container_runs" in getattr(item, "fixturenames", ()) for item in session.items) and "runs" not in _BACKGROUND:
        from autograder_runs import Background

        _BACKGROUND["runs"] = Background()


def pytest_sessionfinish(session):
    runs = _BACKGROUND.pop("runs", None)
    if runs is not None:
        runs.close()
