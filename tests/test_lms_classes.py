"""Whole classes graded as each LMS exports them (tests/lms_exports.py), only the ``cost`` question
so that a class takes seconds: the right score, status and id on every row, the LMS import
files in their documented formats, shards merged into exactly the single run's gradebook, a
regrade's changes named exactly, a dead worker costing only its own submission, and nothing
in the gradebook a spreadsheet would run."""
from __future__ import annotations

import csv
import shutil

import pytest

from corpus import SOLUTIONS, build
from lms_exports import BUILDERS, HOSTILE_NAMES, LIMITS, MUTANT, QUESTIONS, SEED, STUDENTS, grade
from grader.instructor import records
from grader.instructor.compare import compare
from grader.instructor.shards import merge
from grader.questions import POINTS
from grader.submission import student_name

pytestmark = pytest.mark.slow


def rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def classes(lms_classes):
    """The classes graded in the background (``lms_classes``: tests/lms_exports.py's grade_classes),
    and the bug graded alone as a plain folder: what the mutant's row must get, whatever the layout."""
    from grader.engine import grade_submission

    work = lms_classes["work"]
    bug = grade_submission(build(work / "bug-alone", MUTANT), seed=SEED, limits=LIMITS, questions=QUESTIONS)
    return {**lms_classes, "bug_cost": bug.questions["cost"].score}


def expected_rows(ids: dict) -> dict:
    """Gradebook name -> (kind, LMS id): the builders list the students in STUDENTS' order."""
    return {student_name(key): (s.kind, lms_id) for (key, lms_id), s in zip(ids.items(), STUDENTS)}


def by_kind(out, ids) -> dict:
    _, recs = records.load(out)
    expected = expected_rows(ids)
    return {expected[r.student][0]: r for r in recs if r.student in expected}


@pytest.mark.parametrize("layout", sorted(BUILDERS))
def test_every_student_has_the_right_score_status_and_id(classes, layout):
    out, ids = classes["graded"][layout]
    meta, recs = records.load(out)
    assert meta["layout"] == layout
    expected = expected_rows(ids)
    assert set(expected) <= {r.student for r in recs}
    assert classes["bug_cost"] < POINTS["cost"]
    for r in recs:
        if r.student not in expected:
            continue
        kind, lms_id = expected[r.student]
        score = {"bug": classes["bug_cost"], "nothing": 0.0}.get(kind, POINTS["cost"])
        assert r.scores["cost"] == pytest.approx(score), (layout, kind, r.notes)
        assert r.status == ("nothing gradable" if kind == "nothing" else "graded"), (layout, kind)
        assert r.lms_id == lms_id, (layout, kind)
        assert r.late == (layout == "canvas" and kind == "late"), (layout, kind)
        assert (out / r.student / "results.json").is_file()
    rows_by_kind = by_kind(out, ids)
    look = {row[0] for row in rows(out / "needs_look.csv")[1:]}
    assert rows_by_kind["nothing"].student in look and rows_by_kind["correct"].student not in look


def test_canvas_import_file_has_canvas_columns_and_ids(classes):
    out, ids = classes["graded"]["canvas"]
    table = rows(out / "canvas_import.csv")
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Convolution as GEMM"]
    assert table[1][0].strip() == "Points Possible" and float(table[1][5]) == POINTS["cost"]
    grades = {row[1]: float(row[5]) for row in table[2:]}
    assert set(grades) == set(ids.values())
    _, recs = records.load(out)
    assert grades == {r.lms_id: r.total for r in recs}


def test_moodle_worksheet_has_the_columns_its_importer_reads(classes):
    out, ids = classes["graded"]["moodle"]
    table = rows(out / "moodle_grading_worksheet.csv")
    header = table[0]
    for column in ("Identifier", "Grade", "Last modified (grade)", "Feedback comments"):
        assert column in header
    got = {row[header.index("Identifier")]: float(row[header.index("Grade")]) for row in table[1:]}
    _, recs = records.load(out)
    assert got == {f"Participant {r.lms_id}": r.total for r in recs}
    assert set(got) == {f"Participant {v}" for v in ids.values()}


def test_no_cell_of_any_csv_starts_a_formula_and_no_name_takes_a_gradebook_file(classes):
    out, _ = classes["graded"]["plain"]
    assert (out / "grades.csv").is_file() and (out / "histogram.png").is_file()
    meta, recs = records.load(out)
    assert len(recs) == len(STUDENTS) + len(HOSTILE_NAMES) + 1
    assert {"grades.csv-2", "histogram.png-2"} <= {r.student for r in recs}
    submissions = {r.submission for r in recs}
    assert set(HOSTILE_NAMES) <= submissions  # the raw names are kept, as text
    for layout, (folder, _) in classes["graded"].items():
        for path in folder.glob("*.csv"):
            for row in rows(path):
                for cell in row:
                    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (path.name, cell)
    cells = {cell for row in rows(out / "grades.csv") for cell in row}
    assert "'" + HOSTILE_NAMES[0] in cells


def test_a_zip_bomb_is_stopped_and_its_student_still_has_a_row_with_the_reason(classes):
    out, _ = classes["graded"]["plain"]
    _, recs = records.load(out)
    bomber = next(r for r in recs if r.student == "zip_bomber")
    assert bomber.status == "nothing gradable" and bomber.total == 0
    assert "more than 50 MB" in bomber.notes, bomber.notes
    look = {row[0]: row[-1] for row in rows(out / "needs_look.csv")[1:]}
    assert "more than 50 MB" in look["zip_bomber"]
    assert "more than 50 MB" in (out / "zip_bomber" / "feedback.md").read_text()


def test_three_shards_merged_are_the_single_run(classes, tmp_path):
    folder = classes["work"] / "plain"
    single, _ = classes["graded"]["plain"]
    outs = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    for k, out in enumerate(outs, 1):
        grade(folder, out, shard=(k, 3))
    sizes = [len(records.load(out)[1]) for out in outs]
    assert sum(sizes) == len(records.load(single)[1]) and min(sizes) >= 3
    merge(outs, tmp_path / "merged")
    for name in ("grades.csv", "needs_look.csv", "gradebook.json", "histogram.png"):
        assert (tmp_path / "merged" / name).read_bytes() == (single / name).read_bytes(), name
    with pytest.raises(ValueError, match="missing"):
        merge(outs[:2], tmp_path / "partial")
    with pytest.raises(ValueError, match="graded in both"):
        merge([outs[0], outs[0]], tmp_path / "twice")


def test_compare_names_exactly_the_students_a_changed_check_moves(classes, tmp_path, monkeypatch):
    from grader import questions  # noqa: F401 - registers the public checks
    from grader.checks import REGISTRY

    folder = classes["work"] / "moodle"
    before_out, _ = classes["graded"]["moodle"]
    _, before = records.load(before_out)
    kinds = by_kind(before_out, classes["graded"]["moodle"][1])
    public = {f"cost/{c.name}" for c in REGISTRY if c.question == "cost" and c.public}
    # a check the bug fails and correct code passes: failing it for everyone moves the others only
    target = next(k for k in sorted(public) if kinds["bug"].checks.get(k) == "failed" and kinds["correct"].checks.get(k) == "passed")
    monkeypatch.setenv("HOOK_FAIL_CHECK", target)
    from worker_hooks import grade_with_changed_check

    grade(folder, tmp_path / "after", grade_one=grade_with_changed_check)
    _, after = records.load(tmp_path / "after")
    changes = compare(before, after)
    moved = {r.student for r in before if r.checks.get(target) == "passed"}
    assert {c.student for c in changes} == moved and moved
    assert all(c.flipped == [f"{target}: passed -> failed"] and c.points < 0 for c in changes)


def test_a_dead_worker_costs_only_its_own_submission(classes, tmp_path, monkeypatch):
    work = classes["work"]
    folder = tmp_path / "class"
    for name in ("honest_a", "honest_b", "dies_once", "dies_always"):
        shutil.copytree(SOLUTIONS, folder / name / "conv_gemm")
    log = tmp_path / "log"
    log.mkdir()
    monkeypatch.setenv("HOOK_LOG", str(log))
    monkeypatch.setenv("HOOK_DIE_ONCE", "dies_once")
    monkeypatch.setenv("HOOK_DIE_ALWAYS", "dies_always")
    from worker_hooks import grade_or_die

    reports = {r.student: r for r in grade(folder, tmp_path / "out", grade_one=grade_or_die)}
    gradings = {p.name: len(p.read_text().splitlines()) for p in log.iterdir()}
    assert gradings == {"honest_a": 1, "honest_b": 1, "dies_once": 2, "dies_always": 2}
    for name in ("honest_a", "honest_b", "dies_once"):
        assert reports[name].error is None and reports[name].questions["cost"].score == POINTS["cost"], reports[name].error
    assert "died twice" in reports["dies_always"].error
    _, recs = records.load(tmp_path / "out")
    assert {r.student: r.status for r in recs}["dies_always"] == "grader error"
    assert work.exists()
