"""Honest code in every form grades the same (issue: the student release and odd forms).

One class folder holds the plain reference and the same package in each form of tests/forms.py;
it is graded the way `make grade` grades (parallel workers, gradebook), once per session in the
background (``forms_graded``: tests/forms.py's grade_forms, started by tests/conftest.py), and
every form must get exactly the plain package's score on every code question. Folder names that
sanitise to the same string keep their own rows.
"""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from forms import FORMS
from grader.questions import POINTS, QUESTION_IDS

pytestmark = pytest.mark.slow
CODE_QUESTIONS = [q for q in QUESTION_IDS if q != "notebook"]


def scores(result):
    return {q: result.questions[q].score for q in CODE_QUESTIONS}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_form_grades_like_the_plain_package(forms_graded, form):
    plain = forms_graded["by_name"]["plain"]
    result = forms_graded["by_name"][form]
    assert result.error is None, result.error
    failures = {q: [(c.name, c.feedback[:200]) for c in result.questions[q].checks if not c.passed and not c.skipped]
                for q in CODE_QUESTIONS if result.questions[q].score != plain.questions[q].score}
    assert scores(result) == pytest.approx(scores(plain)), failures
    assert plain.total == pytest.approx(sum(POINTS[q] for q in CODE_QUESTIONS))  # every code question and the extra credit


def test_deep_trees_say_what_was_left_out(forms_graded):
    for form in ("deep_tree", "deep_zip"):
        problems = " ".join(forms_graded["by_name"][form].problems)
        assert "nested deeper" in problems, problems


def test_failing_init_is_reported_and_costs_nothing_it_does_not_break(forms_graded):
    result = forms_graded["by_name"]["failing_init_tail"]
    problems = [p for e in result.questions.values() for p in e.problems]
    assert any("__init__.py raised RuntimeError" in p for p in problems), problems


def test_undecodable_file_costs_its_own_question_with_a_message(forms_graded):
    result = forms_graded["by_name"]["undecodable"]
    plain = forms_graded["by_name"]["plain"]
    assert result.questions["winograd"].score == 0
    feedback = " ".join(c.feedback for c in result.questions["winograd"].checks)
    assert "winograd.py" in feedback and "SyntaxError" in feedback and "utf-8" in feedback.lower(), feedback[:500]
    others = {q: s for q, s in scores(result).items() if q != "winograd"}
    assert others == pytest.approx({q: s for q, s in scores(plain).items() if q != "winograd"})


def test_colliding_folder_names_keep_their_own_rows(forms_graded):
    out = forms_graded["out"]
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    by_source = {r["submission"]: r for r in rows}
    assert {"dup x", "dup_x"} <= set(by_source)
    names = {by_source["dup x"]["student"], by_source["dup_x"]["student"]}
    assert len(names) == 2 and all(n.startswith("dup_x") for n in names)
    assert len({r["student"] for r in rows}) == len(rows)
    for name in names:
        data = json.loads((out / name / "results.json").read_text())
        assert data["score"] == pytest.approx(forms_graded["by_name"]["plain"].total)


def test_numpy_integer_accepted_but_float_and_bool_refused(tmp_path):
    from grader.checks import Check, CheckFailed, Context, Reply

    ctx = Context(Check("cost", "t", True, lambda c: None), np.random.default_rng(0), lambda m, t: Reply())
    assert ctx.expect_equal(Reply(value=np.int64(3)), 3, "f") == 3
    assert ctx.expect_equal(Reply(value=np.uint8(3)), 3, "f") == 3
    for wrong, text in ((3.0, "float"), (True, "bool"), (np.float64(3.0), "float64"), (np.int64(4), "returned 4")):
        with pytest.raises(CheckFailed, match=text):
            ctx.expect_equal(Reply(value=wrong), 3, "f")
