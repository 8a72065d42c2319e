"""An exception in the grader's handling of one question costs that question only, with a message."""
from __future__ import annotations

import pytest

from corpus import build

from grader import engine, static
from grader.sandbox import Limits


def test_a_module_too_deep_to_parse_is_left_to_the_import(tmp_path):
    path = tmp_path / "winograd.py"
    path.write_text("_OPS = " + " + ".join(["1"] * 3000) + "\nimport torch\n")
    with pytest.raises(RecursionError):
        compile(path.read_text(), str(path), "exec")
    assert static.scan_file(path, "winograd") == []
    assert static.scan_submission(tmp_path) == {}


def test_one_question_whose_grading_breaks_costs_that_question_only(tmp_path, monkeypatch):
    real = engine.grade_question
    failures = {"cost": MemoryError(), "strided": BrokenPipeError(32, "Broken pipe")}

    def breaking(q, *args, **kwargs):
        if q in failures:
            raise failures[q]
        return real(q, *args, **kwargs)

    monkeypatch.setattr(engine, "grade_question", breaking)
    report = engine.grade_submission(build(tmp_path / "complete"), seed=7, limits=Limits(call_seconds=5, start_seconds=20),
                                     questions=["cost", "strided", "im2col"], lanes=1)
    assert report.questions["im2col"].score == pytest.approx(10)
    for q, kind in (("cost", "MemoryError"), ("strided", "BrokenPipeError")):
        entry = report.questions[q]
        assert entry.score == 0 and entry.checks and not any(c.passed for c in entry.checks)
        assert kind in entry.problems[0] and "other questions were graded" in entry.problems[0]
        assert sum(c.max_score for c in entry.checks) == pytest.approx(entry.max_score)
