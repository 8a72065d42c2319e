"""The hostile notebook corpus (tests/hostile_notebooks/), graded end to end.

Each case is the solved notebook plus one attack cell. With wrong answers it must score exactly
what those answers earn (computed from questions.json, not by the grader); with right answers,
full marks. After every run: the grading material unchanged, nothing written outside the
notebook's folder, no signal reached the grading process, no process of the notebook left, the
scratch folder removed. Every run is forked by one notebook template made as the engine makes it
(torch, matplotlib and Otter imported), which must outlive every attack. The cross-student
attack runs inside ``unshare -n``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

from grader import access
from grader.instructor.notebook import grade_notebook
from grader.sandbox import Limits, Scratch
from grader.template_process import Template
from grader.runtime import landlock
from hostile_notebooks import build as hostile

HERE_HOSTILE = ROOT / "tests" / "hostile_notebooks"
ASSETS = ROOT / "autograder" / "notebook"
AUTO_POINTS = sum(q["points"] for q in json.loads((ASSETS / "questions.json").read_text())["questions"] if not q["manual"])

CASES = hostile.cases()
PROCESS_ENDING = {"n11_hang_ignoring_the_timer", "n12_kill_own_process", "n15_tamper_with_the_channel"}
CELL_SECONDS = {"n11_hang_ignoring_the_timer": 5}
"""A cell's CPU seconds (10 unless named here; wall clock three times that). The spinner runs
until the wall-clock limit ends it; the solved notebook's cells need well under a second each
in a template that has imported torch."""
OWN_ANSWERS = {c.stem for c in CASES if hostile.header(c)["loses"]}
SECRET = "GRADER_NB_SECRET"


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        digest.update(str(p.relative_to(folder)).encode() + (p.read_bytes() if p.is_file() else b"/"))
    return digest.hexdigest()


def _leftover_sleepers() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/cmdline").read_bytes() == b"sleep\x0031337\x00":
                found.append(int(entry))
        except OSError:
            continue
    return found


def _unconfinable(case: str) -> str | None:
    """Why this machine cannot stop ``case`` (then it is skipped, saying so), or None."""
    files = landlock.abi_version() > 0 or access.sandbox_user() is not None
    if case in ("n04_write_logs_and_results", "n05_read_the_tests", "n06_environment") and not files:
        return "no file confinement here (no Landlock, no unprivileged user)"
    if case == "n08_signals_and_ptrace" and landlock.abi_version() < 6 and access.sandbox_user() is None:
        return "signals are scoped by Landlock ABI 6 or a different user; neither here"
    return None


@pytest.fixture(scope="module")
def engine_template():
    """The notebook template grading uses (engine.spawn_notebook_template): forked from a package
    template after torch, with matplotlib and Otter imported. One for the whole module, as one
    serves every run of a submission: no attack may change it or end it."""
    root = Path(tempfile.mkdtemp(prefix="hostile-nb-template-"))
    os.chmod(root, 0o755)
    user = access.sandbox_user()
    package = Template(Scratch(root / "scratch", owner_uid=user[0] if user else None), Limits())
    package.scratch.prepare()
    notebook = package.spawn_notebook()
    notebook.start()
    pid = notebook.proc.pid
    yield notebook
    assert notebook.alive and notebook.proc.pid == pid, "an attack ended the notebook template"
    notebook.close()
    package.close()
    shutil.rmtree(root, ignore_errors=True)


def test_the_engine_template_has_the_notebook_imports_and_one_thread(engine_template):
    pid = engine_template.proc.pid
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "libtorch" in maps and "matplotlib" in maps, "torch and matplotlib are imported before any fork"
    assert len(os.listdir(f"/proc/{pid}/task")) == 1, "a template with threads cannot be forked safely"


@pytest.fixture
def hostile_run(tmp_path, monkeypatch, engine_template):
    """grade(cells, answers) -> result, with the checks every case shares afterwards; every run
    is forked by the engine's notebook template."""
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS, assets)
    outside = tmp_path / "outside"
    outside.mkdir()
    before = _tree_hash(assets)
    monkeypatch.setenv(SECRET, "s3cr3t")
    signals = []
    previous = signal.signal(signal.SIGUSR1, lambda *a: signals.append(a))
    replacements = {"__ASSETS_TESTS__": str(assets / "tests"), "__OUTSIDE__": str(outside)}

    def grade(cases: list[Path], answers: str) -> dict:
        target = hostile.build(cases[0], answers, tmp_path / "nb" / "conv_gemm.ipynb", replacements)
        if len(cases) > 1:
            nb = nbformat.read(target, as_version=4)
            nb.cells += [nbformat.v4.new_code_cell(hostile.cell_source(c, replacements), id=f"hostile-{c.stem[:12]}")
                         for c in cases[1:]]
            nbformat.write(nb, target)
        return grade_notebook(target, assets_dir=assets, deadline_seconds=150, workdir=tmp_path / "work", template=engine_template,
                              cell_seconds=CELL_SECONDS.get(cases[0].stem, 10))

    yield grade
    signal.signal(signal.SIGUSR1, previous)
    assert _tree_hash(assets) == before, "the grading material changed"
    assert list(outside.iterdir()) == [], "the notebook wrote outside its folder"
    assert signals == [], "a signal reached the grading process"
    leftover = _leftover_sleepers()
    for pid in leftover:
        os.kill(pid, signal.SIGKILL)
    assert leftover == [], "a process of the notebook outlived grading"
    assert not (tmp_path / "work").exists() or not list((tmp_path / "work").iterdir()), "the scratch folder is removed"


def _check_confined(result: dict) -> None:
    if landlock.abi_version() > 0:
        assert result.confinement["landlock"] > 0
    assert result.confinement["seccomp"] is True, result.confinement


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_hostile_notebook_with_wrong_answers_earns_only_its_answers(hostile_run, case):
    if _unconfinable(case.stem):
        pytest.skip(_unconfinable(case.stem))
    result = hostile_run([case], "wrong")
    _check_confined(result)
    assert result.score == pytest.approx(hostile.expected_score(case, "wrong")), (result.error, result.checks)
    feedback = hostile.header(case)["feedback"]
    if feedback:
        assert feedback in (result.error or ""), result.error
    for question in hostile.header(case)["loses"]:
        public = next(t for t in result.checks if t.name == question)
        assert "can be graded" in public.feedback and public.score == 0, public


@pytest.mark.slow
def test_correct_notebook_keeps_full_marks_after_every_attack_cell(hostile_run):
    """All cases that keep the answers, appended together to the solved notebook."""
    cases = [c for c in CASES if c.stem not in PROCESS_ENDING | OWN_ANSWERS and not _unconfinable(c.stem)]
    result = hostile_run(cases, "right")
    _check_confined(result)
    assert result.score == AUTO_POINTS, (result.error, result.cell_errors)
    assert result.error is None


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(PROCESS_ENDING))
def test_correct_notebook_keeps_full_marks_when_a_cell_ends_the_process(hostile_run, case):
    result = hostile_run([HERE_HOSTILE / f"{case}.py"], "right")
    assert result.score == AUTO_POINTS, result.error
    assert "was skipped" in result.error


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None,
                    reason="needs root, unshare and ip (a private network namespace)")
def test_cross_student_attack_reaches_nothing_inside_a_private_network(tmp_path):
    proc = subprocess.run(["unshare", "-n", sys.executable, str(HERE_HOSTILE / "cross_student.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["control"] == "earned", "unconfined, the attack reaches the listeners (the test can fail)"
    assert all(n > 0 for n in out["after_control"].values())
    assert out["final"] == out["after_control"], "something reached a listener during grading"
    assert out["victim"]["score"] == AUTO_POINTS and out["victim"]["error"] is None
    assert out["attacker"]["score"] == pytest.approx(hostile.expected_score(HERE_HOSTILE / "cross_student_attack.py", "wrong"))
