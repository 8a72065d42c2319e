"""The gradebook's files without grading anything (fast): formula-safe cells, gradebook names that
never take a gradebook file's name, shards that cover the class once, the changes of a regrade,
and the command line's refusals (an empty class folder, a bad --shard)."""
from __future__ import annotations

import csv

import pytest

from grader.cli import main
from grader.instructor.compare import compare, write_changes
from grader.instructor.csvsafe import safe_cell, write_csv
from grader.instructor.exports import RESERVED
from grader.instructor.gradebook import gradebook_names
from grader.instructor.layouts.entry import Entry
from grader.instructor.records import Record
from grader.instructor.shards import parse_shard, share

TRIGGERS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1", "\uff1d1", "=HYPERLINK(\"x\")"]


@pytest.mark.parametrize("text", TRIGGERS)
def test_a_cell_that_could_start_a_formula_is_text(text, tmp_path):
    assert safe_cell(text) == "'" + text
    write_csv(tmp_path / "t.csv", ["h"], [[text]])
    with open(tmp_path / "t.csv", newline="") as f:
        assert list(csv.reader(f))[1] == ["'" + text]


def test_ordinary_cells_are_left_alone():
    assert [safe_cell(v) for v in ("Ada Lovelace", 8.0, 5.7143, 0, "", None, True, "a=b")] == \
        ["Ada Lovelace", "8", "5.7143", "0", "", "", "yes", "a=b"]


def entry(key):
    return Entry(key=key, name=key, lms_id="", layout="plain", sources=(), submission=key)


def test_gradebook_names_never_take_a_gradebook_file_and_never_collide():
    keys = [*sorted(RESERVED), "GRADES.CSV", "dup x", "dup_x", "Dup_X", "..", "...", ""]
    names = gradebook_names([entry(k) for k in keys])
    assert len(set(n.lower() for n in names.values())) == len(keys)
    assert not {n.lower() for n in names.values()} & {r.lower() for r in RESERVED}
    assert all(n.strip(".") and "/" not in n for n in names.values())


def test_shards_cover_the_class_once_and_read_the_scheduler():
    names = [f"s{i:02d}" for i in range(17)]
    parts = [share(names, k, 5) for k in range(1, 6)]
    assert set().union(*parts) == set(names) and sum(map(len, parts)) == len(names)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert parse_shard("2/5") == (2, 5)
    assert parse_shard("slurm/4", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0"}) == (4, 4)
    assert parse_shard("slurm/4", {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1"}) == (1, 4)
    assert parse_shard("k8s/3", {"JOB_COMPLETION_INDEX": "0"}) == (1, 3)
    for bad in ("0/3", "4/3", "3", "a/b", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad, {})
    with pytest.raises(ValueError, match="SLURM_ARRAY_TASK_ID"):
        parse_shard("slurm/3", {})


def record(student, total, checks, status="graded"):
    return Record(student=student, name=student, lms_id="", layout="plain", submission=student, late=False,
                  status=status, total=total, max_total=10, scores={"cost": total}, checks=checks)


def test_compare_names_who_changed_and_which_checks_flipped(tmp_path):
    before = [record("a", 10, {"cost/x": "passed"}), record("b", 5, {"cost/x": "failed"}), record("c", 10, {"cost/x": "passed"}),
              record("gone", 1, {})]
    after = [record("a", 5, {"cost/x": "failed"}), record("b", 5, {"cost/x": "failed"}),
             record("c", 0, {}, status="grader error"), record("new", 3, {})]
    changes = {c.student: c for c in compare(before, after)}
    assert set(changes) == {"a", "c", "gone", "new"}
    assert changes["a"].flipped == ["cost/x: passed -> failed"] and changes["a"].points == -5
    assert changes["c"].status == "graded -> grader error"
    write_changes(tmp_path / "changes.csv", list(changes.values()))
    with open(tmp_path / "changes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["student"]: (r["direction"], r["points"]) for r in rows}["a"] == ("down", "5")


def test_an_empty_class_folder_is_an_error(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "no submission found" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert main(["grade", str(tmp_path), "--shard", "4/3"]) == 2
    assert "K must be between 1 and N" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--compare", str(tmp_path)]) == 2
    assert "not a gradebook" in capsys.readouterr().err


def test_exit_status_says_when_the_grader_failed_or_nothing_was_gradable(capsys):
    from grader.cli import _verdict

    nothing = [record("a", 0, {}, status="nothing gradable"), record("b", 0, {}, status="nothing gradable")]
    assert _verdict(nothing) == 1 and "nothing gradable was found" in capsys.readouterr().err
    assert _verdict(nothing, whole_class=False) == 0  # a shard: the merge judges the whole class
    assert _verdict([*nothing, record("c", 3, {})]) == 0
    assert _verdict([record("c", 3, {}), record("d", 0, {}, status="grader error")]) == 3
    assert "grader failed on 1 submission(s)" in capsys.readouterr().err


def test_a_check_killed_while_the_machine_ran_out_of_memory_is_flagged_and_fails_the_run(capsys):
    """The kernel's out-of-memory killer ends a child with SIGKILL, which reads as the student's
    crash: while the machine was short of memory, that verdict may be the machine's."""
    from grader.cli import _verdict
    from grader.instructor.records import OUT_OF_MEMORY, mark_out_of_memory
    from grader.outcome import CheckOutcome, GradeReport, QuestionOutcome

    def report(feedback):
        checks = [CheckOutcome("values", public=True, passed=True),
                  CheckOutcome("gradients", public=False, passed=False, feedback=feedback)]
        return GradeReport(student="s", questions={"backward": QuestionOutcome(max_score=12, checks=checks)})

    from grader.engine import explain_out_of_memory
    from grader.outcome import OUT_OF_MEMORY_NOTE

    crashed, differs = report("conv2d_backward crashed: signal 9 (SIGKILL)"), report("dx differs from torch.autograd by 0.5")
    for graded in (crashed, differs):
        explain_out_of_memory(graded.questions)  # what the student reads (engine)
    assert crashed.questions["backward"].checks[1].feedback.endswith(OUT_OF_MEMORY_NOTE)
    assert OUT_OF_MEMORY_NOTE not in differs.questions["backward"].checks[1].feedback
    assert crashed.questions["backward"].checks[0].feedback == ""  # a passed check says nothing
    killed, wrong = record("killed", 6, {}), record("wrong", 6, {})
    mark_out_of_memory(killed, crashed)
    mark_out_of_memory(wrong, differs)  # the control: a wrong answer
    assert OUT_OF_MEMORY in killed.flags and "backward/gradients" in killed.flags
    assert any(OUT_OF_MEMORY in reason for reason in killed.look_reasons())  # needs_look.csv lists it
    assert wrong.flags == ""
    assert _verdict([wrong]) == 0
    assert _verdict([killed, wrong]) == 3
    err = capsys.readouterr().err
    assert "ran out of memory" in err and "lists them): killed. Regrade" in err and "--workers 1" in err


@pytest.mark.parametrize("workers", ["0", "-2", "two"])
def test_workers_must_be_a_positive_number(workers, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(tmp_path), "--workers", workers])
    assert stop.value.code == 2
    assert f"must be a whole number of at least 1, got {workers!r}" in capsys.readouterr().err
