"""The grader discriminates: reference full marks, starter zero, each mutant loses its own
question only, correct alternatives keep full marks, and hostile code is contained.

The session fixture ``graded`` (tests/conftest.py, tests/corpus_grading.py) grades the whole
corpus once, in the background from the start of the session, the way `make grade` does, so the
gradebook and the per-student results.json are exercised too.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from corpus_grading import CORPUS_LIMITS, CORPUS_SEED
from corpus import ROOT, STARTER, build, corpus, header, questions
from test_feedback import public_points

from grader.markdown import figure
from grader.questions import EXTRA_CREDIT, MAX_TOTAL, POINTS, QUESTION_IDS
from grader.sandbox import Limits

TEST_LIMITS = Limits(**CORPUS_LIMITS)
SEED = CORPUS_SEED
GRADED = [q for q in QUESTION_IDS if q != "notebook"]  # the corpus has no notebooks (tests/test_notebook.py)


def scores(result) -> dict:
    return {q: e.score for q, e in result.questions.items()}


def confined(result) -> bool:
    env = result.environment
    return bool(env.get("landlock_abi")) or env.get("sandbox_user") is not None


def test_reference_gets_full_marks(graded):
    result = graded["results"]["complete"]
    for q in GRADED:
        entry = result.questions[q]
        failures = [(c.name, c.feedback) for c in entry.checks if not c.passed and not c.skipped]
        assert entry.score == pytest.approx(POINTS[q]), failures
        assert not entry.forbidden
    assert result.total == pytest.approx(MAX_TOTAL - POINTS["notebook"] + sum(POINTS[q] for q in EXTRA_CREDIT))


def test_starter_scores_zero_with_teaching_feedback(graded):
    result = graded["results"]["starter"]
    assert result.total == 0
    for q in GRADED:
        for c in result.questions[q].checks:
            if not c.skipped:
                assert not c.passed, f"{q}: {c.name} passes on the starter: it cannot fail"
                assert "not implemented yet" in c.feedback, c.feedback
                assert "Traceback" not in c.feedback


@pytest.mark.parametrize("snippet", corpus("mutants"), ids=lambda p: p.stem)
def test_mutant_loses_its_question_only(graded, snippet):
    meta = header(snippet)
    own = questions(meta, "question")
    allowed = own | questions(meta, "also")
    result, reference = graded["results"][snippet.stem], graded["results"]["complete"]
    for q in own:
        assert result.questions[q].score < reference.questions[q].score, f"{snippet.stem} should lose points on {q}"
    for q in GRADED:
        if q not in allowed:
            assert result.questions[q].score == pytest.approx(reference.questions[q].score), f"{snippet.stem} lost points on {q}"


def test_mutants_cover_every_graded_question():
    covered = set().union(*(questions(header(p), "question") for p in corpus("mutants")))
    assert covered >= set(GRADED)
    assert len(corpus("mutants")) >= 20


@pytest.mark.parametrize("snippet", corpus("alternatives"), ids=lambda p: p.stem)
def test_correct_alternative_gets_full_marks(graded, snippet):
    result = graded["results"][snippet.stem]
    assert scores(result) == pytest.approx(scores(graded["results"]["complete"]))
    assert not any(e.flags for e in result.questions.values())


@pytest.mark.parametrize("snippet", corpus("hostile"), ids=lambda p: p.stem)
def test_hostile_code_is_contained(graded, snippet):
    meta = header(snippet)
    loses = questions(meta, "loses")
    result, reference = graded["results"][snippet.stem], graded["results"]["complete"]
    assert result.error is None, result.error
    if not loses and not confined(result):
        pytest.skip("no Landlock and no sandbox user on this machine: file access is not confined")
    if meta.get("needs") == "landlock" and not result.environment.get("landlock_abi"):
        pytest.skip("no Landlock on this machine: the shared temporary folders are writable by every child")
    for q in GRADED:
        if q in loses:
            assert result.questions[q].score < reference.questions[q].score
        else:
            assert result.questions[q].score == pytest.approx(reference.questions[q].score), f"{q} lost points"
    if meta.get("feedback"):
        texts = [c.feedback for q in loses for c in result.questions[q].checks]
        texts += [f for q in loses for f in result.questions[q].forbidden]
        assert any(meta["feedback"].lower() in t.lower() for t in texts), texts[:5]
    data = json.loads((graded["out"] / snippet.stem / "results.json").read_text())
    assert data["score"] == pytest.approx(result.total)
    flags = [f for e in result.questions.values() for f in e.flags]
    if meta.get("flagged") == "yes":
        assert flags and set(data["extra_data"]["flags"]) <= loses, flags
        with open(graded["out"] / "grades.csv") as f:
            row = next(r for r in csv.DictReader(f) if r["student"] == snippet.stem)
        assert row["flags"], "tampering must reach the gradebook's flags column"
    else:
        assert not flags, f"honest or merely broken code was flagged: {flags}"


def test_no_process_of_a_submission_is_left_after_grading(graded):
    from autograder_runs import in_test_container

    found = subprocess.run(["pgrep", "-f", "sleep 313|conv-gemm-grade-"], capture_output=True, text=True).stdout.split()
    # Gradescope's container runs (tests/test_gradescope.py) may be grading in the background now
    leftovers = [pid for pid in found if not in_test_container(int(pid))]
    assert not leftovers, subprocess.run(["ps", "-o", "pid,user,args", "-p", ",".join(leftovers)], capture_output=True, text=True).stdout


def test_nothing_outside_the_scratch_space_changed(graded):
    if not confined(graded["results"]["h08_write_grader_files"]):
        pytest.skip("no Landlock and no sandbox user on this machine: file access is not confined")
    assert graded["unchanged"], "a submission changed files of the repository"
    assert not graded["tmp_results_created"]
    assert not Path("/autograder/results/results.json").exists() or Path("/autograder/source").exists()


def test_gradebook_csv_and_json(graded):
    out = graded["out"]
    with open(out / "grades.csv") as f:
        rows = list(csv.reader(f))
    # the contract's columns first, then the status (graded / grader error / nothing gradable) and the rest
    assert rows[0][: 4 + len(QUESTION_IDS)] == ["student", "total", "max_total", *QUESTION_IDS, "status"]
    assert {"submission", "flags", "notes"} <= set(rows[0])
    assert {r[3 + len(QUESTION_IDS)] for r in rows[1:]} <= {"graded", "nothing gradable"}
    by_student = {r[0]: r for r in rows[1:]}
    assert set(by_student) == set(graded["results"])
    complete = by_student["complete"]
    assert float(complete[1]) == pytest.approx(graded["results"]["complete"].total)
    assert float(complete[2]) == MAX_TOTAL
    assert (out / "histogram.png").stat().st_size > 1000
    for student in graded["results"]:
        data = json.loads((out / student / "results.json").read_text())
        validate_results_json(data)


def validate_results_json(data: dict) -> None:
    """Gradescope's results.json schema, field by field."""
    assert isinstance(data["score"], (int, float))
    assert isinstance(data["tests"], list) and isinstance(data["output"], str)
    assert data.get("stdout_visibility") in (None, "hidden", "visible", "after_due_date", "after_published")
    total = 0.0
    for t in data["tests"]:
        assert set(t) <= {"name", "number", "score", "max_score", "status", "output", "visibility", "execution_time", "tags", "extra_data", "name_format", "output_format"}
        assert isinstance(t["name"], str) and isinstance(t["number"], str)
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"] + 1e-9
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        total += t["score"]
    if data["tests"]:
        assert total == pytest.approx(data["score"], abs=1e-3)


def test_hidden_checks_never_show_inputs_or_tracebacks(graded):
    for name in ("m09_conv2d_flipped_kernel", "m04_im2col_rows_ijc", "h06_segfault", "starter"):
        for q, entry in graded["results"][name].questions.items():
            for c in entry.checks:
                if not c.public:
                    assert "Traceback" not in c.feedback and " line " not in c.feedback
                    assert "x (" not in c.feedback and "shape (" not in c.feedback, c.feedback


def test_same_submission_graded_twice_gets_the_same_result(tmp_path):
    from grader.engine import grade_submission

    sub = build(tmp_path / "m09", corpus("mutants")[8])
    first = grade_submission(sub, seed=SEED, limits=TEST_LIMITS, questions=["conv2d", "backward"])
    second = grade_submission(sub, seed=SEED, limits=TEST_LIMITS, questions=["conv2d", "backward"])
    strip = lambda r: {q: [(c.name, c.passed, c.feedback) for c in e.checks] for q, e in r.questions.items()}  # noqa: E731
    assert strip(first) == strip(second) and first.total == second.total
    assert first.seed == SEED


@pytest.mark.slow
@pytest.mark.parametrize("stem", ["m09", "h15", "h24", "h28", "h30"])
def test_verdicts_do_not_depend_on_the_lanes(graded, tmp_path, stem):
    """One question at a time gives what two at a time gave the same submission (the corpus
    fixture grades with two lanes): every check's verdict and feedback, the flags, the forbidden."""
    from grader.engine import grade_submission

    snippet = next(p for kind in ("mutants", "hostile") for p in corpus(kind) if p.stem.startswith(stem))
    one_lane = grade_submission(build(tmp_path / snippet.stem, snippet), seed=SEED, limits=TEST_LIMITS, lanes=1,
                                questions=GRADED, student=snippet.stem)
    two_lanes = graded["results"][snippet.stem]
    verdicts = lambda r: {q: ([(c.name, c.passed, c.feedback) for c in e.checks], e.flags, e.forbidden)  # noqa: E731
                          for q, e in r.questions.items() if q in GRADED}
    assert verdicts(one_lane) == verdicts(two_lanes)
    assert one_lane.total == two_lanes.total  # the gradebook's notebook (missing here) scores 0


def test_zip_submission_and_missing_files(tmp_path):
    import shutil

    from grader.engine import grade_submission

    folder = build(tmp_path / "alice" / "conv_gemm")
    (folder / "winograd.py").unlink()
    shutil.make_archive(str(tmp_path / "alice"), "zip", tmp_path, "alice")
    result = grade_submission(tmp_path / "alice.zip", seed=SEED, limits=TEST_LIMITS, questions=["cost", "winograd"])
    assert result.student == "alice"
    assert result.questions["cost"].score == POINTS["cost"]
    assert result.questions["winograd"].score == 0
    assert "winograd.py missing" in result.questions["winograd"].checks[0].feedback


def test_empty_and_broken_submissions_still_get_a_grade(tmp_path):
    from grader.engine import grade_submission

    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.zip").write_bytes(b"not a zip at all")
    for path in (tmp_path / "empty", tmp_path / "broken.zip"):
        result = grade_submission(path, seed=SEED, limits=TEST_LIMITS)
        assert result.total == 0 and result.problems


def test_make_check_on_the_starter_prints_zeros_without_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(STARTER.parent)], cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "autograder"), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    regular, extra = public_points()  # every check's share as on Gradescope, hidden checks counted
    assert f"0 / {figure(regular)} (+ 0 of {figure(extra)} extra credit)" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr and "not implemented yet" in proc.stdout


def test_wire_format_round_trip_and_refusals():
    from grader.runtime import wire

    values = [1, 2.5, float("nan"), "s", None, True, (1, 2), [np.arange(6, dtype=np.float32).reshape(2, 3)], {"a": np.float64(3.0)}]
    for v in values:
        back = wire.decode(wire.encode(v))
        if isinstance(v, float) and v != v:
            assert back != back
        elif isinstance(v, list):
            assert np.array_equal(back[0], v[0]) and back[0].dtype == np.float32
        elif isinstance(v, dict):
            assert back == {"a": 3.0} and type(back["a"]) is np.float64
        else:
            assert back == v and type(back) is type(v)

    class Liar(np.ndarray):
        pass

    assert isinstance(wire.decode(wire.encode(np.zeros(3).view(Liar))), wire.Unsupported)
    assert isinstance(wire.decode(wire.encode(np.array([object()]))), wire.Unsupported)
    bad = {"__ndarray__": {"dtype": "<f8", "shape": [100], "data": ""}}
    with pytest.raises(ValueError):
        wire.decode(bad)
    with pytest.raises(ValueError):
        wire.decode({"__ndarray__": {"dtype": "|O", "shape": [1], "data": ""}})
