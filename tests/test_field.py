"""The machines students and instructors really have, reproduced on this one.

- older kernels: Landlock capped at ABI 0, 1, 4 and 5 (GRADER_LANDLOCK_ABI_MAX), no seccomp
  (GRADER_NO_SECCOMP), a CUDA build of torch (GRADER_TEMPLATE_RESERVE: 8 GiB of reserved address
  space in the template, as such a build maps at import): the reference and an independent
  correct package keep every point;
- a class graded beside a signal thrower (as root and as an ordinary user) and beside memory
  hogs under Gradescope's 768 MiB: every honest score kept, every results.json written, the
  attacker gains nothing, and checks the kernel's OOM killer ended are flagged, not graded in
  silence;
- a broken environment: the preflight stops `grade` and `check` with the cause (exit 3), and
  run_autograder's results.json says the submission was not graded.

Attacks run inside a PID namespace of their own (``unshare --pid``): ``kill(-1)`` there reaches
only this test's own grading run, never another process of this machine.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SOLUTIONS
from corpus import build
from test_release import student_user  # noqa: F401 - the fixture: an ordinary user, created under root
from grader.engine import grade_submission

TESTS = ROOT / "tests"
INDEPENDENT = TESTS / "packages" / "independent" / "conv_gemm"
RESERVE_8_GIB = str(8 << 30)
ATTACKS = TESTS / "field"


def _full_marks(report) -> None:
    assert report.error is None, report.error
    lost = {q: (e.score, e.max_score, [c.feedback for c in e.checks if not c.passed and not c.skipped][:2])
            for q, e in report.questions.items() if e.score != e.max_score or e.flags}
    assert not lost, lost


def test_reference_keeps_every_point_under_a_cuda_builds_reservation(monkeypatch):
    """The cheap stand-in for the CUDA wheel a student's pip installs (kept in the fast set)."""
    monkeypatch.setenv("GRADER_TEMPLATE_RESERVE", RESERVE_8_GIB)
    report = grade_submission(SOLUTIONS, questions=["cost", "unfold", "variants"])
    _full_marks(report)
    assert report.environment["address_limit"] > 8 << 30  # measured past the reservation
    assert report.environment["data_limit"] < 4 << 30  # and what is really used stays bounded


FIELD_QUESTIONS = ["cost", "strided", "unfold", "backward", "benchmark", "winograd"]
"""One question of each kind a machine could break: a NumPy-only task, torch with autograd and the
dispatcher's refusal, the stand-ins, timed sleeps, the Winograd tape (the fast test above and the
corpus grade every question)."""

FIELD = {
    "landlock ABI 0": {"GRADER_LANDLOCK_ABI_MAX": "0"},
    "landlock ABI 1": {"GRADER_LANDLOCK_ABI_MAX": "1"},
    "landlock ABI 4": {"GRADER_LANDLOCK_ABI_MAX": "4"},
    "landlock ABI 5": {"GRADER_LANDLOCK_ABI_MAX": "5"},
    "no seccomp": {"GRADER_NO_SECCOMP": "1"},
    "CUDA build's reservation": {"GRADER_TEMPLATE_RESERVE": RESERVE_8_GIB},
}


@pytest.mark.slow
@pytest.mark.parametrize("package", [SOLUTIONS, INDEPENDENT], ids=["reference", "independent"])
@pytest.mark.parametrize("machine", list(FIELD))
def test_correct_packages_keep_every_point_on_every_machine(machine, package, monkeypatch):
    for key, value in FIELD[machine].items():
        monkeypatch.setenv(key, value)
    report = grade_submission(package, questions=FIELD_QUESTIONS)
    _full_marks(report)
    cap = FIELD[machine].get("GRADER_LANDLOCK_ABI_MAX")
    if cap is not None:
        assert report.environment["landlock_abi"] <= int(cap)
    assert report.environment["seccomp"] is ("GRADER_NO_SECCOMP" not in FIELD[machine])


# ---------------------------------------------------------------- a class beside attackers
def _pid_namespace() -> str | None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "needs root and unshare (attacks run in a PID namespace of their own)"
    if subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], capture_output=True).returncode != 0:
        return "unshare --pid is not permitted here"
    return None


needs_pid_namespace = pytest.mark.skipif(_pid_namespace() is not None, reason=str(_pid_namespace()))


def _class(folder: Path, *attacks: str) -> Path:
    """A class: one attacker per attack (the reference with the attack appended, ``attacker_<name>``),
    and two honest students."""
    for attack in attacks:
        build(folder / f"attacker_{Path(attack).stem}", ATTACKS / attack)
    shutil.copytree(INDEPENDENT, folder / "honest_independent")
    build(folder / "honest_reference")
    os.chmod(folder, 0o755)
    return folder


def _grade_class(folder: Path, out: Path, user: str | None = None, wrap=lambda argv: argv, workers: int = 2,
                 **env) -> subprocess.CompletedProcess:
    """``python -m grader grade`` on ``folder``, in a PID namespace of its own."""
    argv = [sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out), "--workers", str(workers)]
    if user:
        argv = [shutil.which("runuser"), "-u", user, "--", *argv]
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "autograder"), "GRADER_LANDLOCK_ABI_MAX": "5", **env}
    return subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", *wrap(argv)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=900)


def _rows(folder: Path, out: Path) -> dict[str, dict]:
    """Every submission's results.json (each must have one)."""
    return {student.name: json.loads((out / student.name / "results.json").read_text()) for student in folder.iterdir()}


def _assert_honest_kept_everything(folder: Path, out: Path, reference_total: float) -> dict:
    rows = _rows(folder, out)
    for student in ("honest_independent", "honest_reference"):
        assert rows[student]["score"] == pytest.approx(reference_total), (student, rows[student]["score"])
    for student in (s for s in rows if s.startswith("attacker_")):
        assert rows[student]["score"] <= reference_total + 1e-9, (student, rows[student]["score"])
    return rows


@pytest.fixture(scope="module")
def reference_total() -> float:
    return grade_submission(SOLUTIONS).total


@pytest.mark.slow
@pytest.mark.exclusive  # its attack loads the CPUs: alone, after the background gradings
@needs_pid_namespace
@pytest.mark.parametrize("as_user", [False, True], ids=["root", "ordinary user"])
def test_signal_throwers_cost_no_one_anything(as_user, reference_total, tmp_path, request):
    """Landlock capped at 5 (no signal scoping): in every child of two attackers a thread sends
    SIGKILL to every process it can name, every 20 ms (one with kill(), one as a pipe's SIGIO),
    while two honest students are graded beside them."""
    parent = Path(os.environ.get("TMPDIR", "/tmp")) / f"conv-gemm-field-{os.getpid()}"
    parent.mkdir(mode=0o755)
    try:
        folder, out = _class(parent / "class", "signal_thrower.py", "sigio_thrower.py"), parent / "out"
        user = request.getfixturevalue("student_user") if as_user else None
        if user:
            out.mkdir()
            subprocess.run(["chown", "-R", f"{user}:", str(parent)], check=True)
        proc = _grade_class(folder, out, user)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        rows = _assert_honest_kept_everything(folder, out, reference_total)
        assert "signal 9" not in json.dumps(rows["honest_reference"]) + json.dumps(rows["honest_independent"])
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.exclusive  # its attack loads the CPUs: alone, after the background gradings
@needs_pid_namespace
def test_memory_hogs_under_gradescopes_memory_cost_no_one_anything(reference_total, tmp_path):
    """Two attackers in a 768 MiB container: one holds memory that no per-process limit counts
    (refused), one writes 1 GiB within its allowance (the kernel's OOM killer ends its children).
    The honest students keep every point; the second attacker's killed checks are flagged as the
    machine's lack of memory and the run exits 3, rather than passing as the student's crashes."""
    from autograder_runs import DefaultContainer
    from grader.instructor.records import OUT_OF_MEMORY, load

    container = DefaultContainer(f"conv-gemm-field-{os.getpid()}")
    try:
        for leftover in Path("/dev/shm").glob("conv-gemm-hog-*"):  # an earlier run's, had confinement failed
            leftover.unlink()
        folder, out = _class(tmp_path / "class", "shared_memory_hog.py", "memory_toucher.py"), tmp_path / "out"
        proc = _grade_class(folder, out, wrap=container.wrap, workers=1)  # as Gradescope: one grading at a time
        assert proc.returncode == 3, (proc.stdout + proc.stderr)[-3000:]
        assert "the grading machine ran out of memory" in proc.stderr and "attacker_memory_toucher" in proc.stderr
        _assert_honest_kept_everything(folder, out, reference_total)
        flagged = {r.student for r in load(out)[1] if OUT_OF_MEMORY in r.flags}
        assert flagged == {"attacker_memory_toucher"}, flagged
        assert container.oom_kills() > 0
        assert "attacker_memory_toucher" in (out / "needs_look.csv").read_text()
        toucher = json.dumps(_rows(folder, out)["attacker_memory_toucher"])
        assert "The grading machine ran out of memory while this ran" in toucher  # what the student reads
        assert not container.leftover()
        assert not list(Path("/dev/shm").glob("conv-gemm-hog-*")), "the hog wrote into /dev/shm"
    finally:
        container.close()
        for leftover in Path("/dev/shm").glob("conv-gemm-hog-*"):
            leftover.unlink()


@pytest.mark.slow
@pytest.mark.exclusive  # its attack loads the CPUs: alone, after the background gradings
@needs_pid_namespace
def test_disk_filler_costs_no_one_anything(reference_total, tmp_path):
    """The grader's temporary folder on a small file system (1 GiB, 6000 inodes, in a mount
    namespace of the test's own) while every child of the attacker fills it."""
    small = Path(os.environ.get("TMPDIR", "/tmp")) / f"conv-gemm-small-tmp-{os.getpid()}"  # the sandbox user passes through
    small.mkdir(mode=0o755)
    try:
        folder, out = _class(tmp_path / "class", "disk_filler.py"), tmp_path / "out"
        mount = f'mount -t tmpfs -o size=1g,nr_inodes=6000,mode=1777 none {small} && exec "$@"'
        proc = _grade_class(folder, out, wrap=lambda argv: ["sh", "-c", mount, "sh", *argv], TMPDIR=str(small))
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        _assert_honest_kept_everything(folder, out, reference_total)
    finally:
        shutil.rmtree(small, ignore_errors=True)


# ---------------------------------------------------------------- a broken environment
BROKEN = {"GRADER_TEMPLATE_RESERVE": str(1 << 60)}  # the template cannot map it: no sandbox can start


@pytest.mark.slow
def test_broken_environment_stops_grade_and_check_with_the_cause(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "autograder"), **BROKEN}
    grade = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path), "--out", str(tmp_path / "out")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert grade.returncode == 3, grade.stderr
    assert "the grader cannot run student code on this machine" in grade.stderr and "Cannot allocate memory" in grade.stderr
    assert not (tmp_path / "out").exists()  # nothing graded, nothing written
    check = subprocess.run([sys.executable, "-m", "grader", "check", str(SOLUTIONS)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 3, check.stdout + check.stderr
    assert "not your code's fault" in check.stderr and "Score" not in check.stdout


@pytest.mark.slow
def test_broken_environment_gives_a_not_graded_results_json(tmp_path):
    root = tmp_path / "autograder"
    build(root / "submission")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "autograder"), **BROKEN}
    proc = subprocess.run([sys.executable, "-m", "grader", "gradescope", "--root", str(root)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "not at fault" in data["output"] and "course staff" in data["output"]
    assert "GRADER ERROR" in proc.stdout
