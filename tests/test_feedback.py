"""What people read: points that add up everywhere, and feedback in a student's words.

Points: ``x / max (+ e of E extra credit)``, rounded for people, exact (no float noise) in
results.json; a public check is worth the same in `make check` (no hidden checks present) as on
Gradescope; a missing notebook has the same visible maximum as a submitted one. Feedback: an
unanswered notebook question says so, a failing Otter test shows its expression and the values
given (no doctest transcript), one "(hidden)", no grader class names, calls written as Python, a
method check on wrong values says it was not judged. And the class histogram.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from corpus import ROOT, build
from grader import checks as checks_module
from grader.markdown import exact, figure, md_text, with_extra
from grader.outcome import CheckOutcome, GradeReport, QuestionOutcome
from grader.questions import EXTRA_CREDIT, HIDDEN_WEIGHTS, POINTS, QUESTION_IDS, load_hidden_checks
from grader.results import dumps, gradescope_json, render_markdown
from grader.sandbox import Limits

SEED = 7
LIMITS = Limits(call_seconds=5, start_seconds=20)
CODE = [q for q in QUESTION_IDS if q != "notebook"]


def public_points(cuda: bool = False) -> tuple[float, float]:
    """What `make check` shows as its maxima, computed from the registered checks themselves:
    (regular questions, extra credit); a check's share is its weight over all of its question's
    active checks, the hidden twin's included."""
    load_hidden_checks()
    regular = extra = 0.0
    for q in CODE:
        active = [c for c in checks_module.REGISTRY if c.question == q
                  and not ((c.needs_cuda and not cuda) or (c.skip_with_cuda and cuda))]
        share = sum(c.weight for c in active if c.public) / sum(c.weight for c in active)
        if q in EXTRA_CREDIT:
            extra += POINTS[q] * share
        else:
            regular += POINTS[q] * share
    return regular, extra


# ---------------------------------------------------------------- numbers
def test_points_are_rounded_for_people_and_exact_in_the_json():
    assert [figure(x) for x in (8.0, 1.142857142, 0.8999999999999999, 0.125, 49.86334, 0.0, -0.0001)] == \
        ["8", "1.14", "0.9", "0.12", "49.86", "0", "0"]
    assert exact(0.8999999999999999) == 0.9 and exact(1 / 7) == 0.142857 and exact(-1e-9) == 0.0
    assert with_extra(17.874, 49.863, 0, 6) == "17.87 / 49.86 (+ 0 of 6 extra credit)"
    assert with_extra(3, 5, 0, 0) == "3 / 5"
    noisy = CheckOutcome("a", True, passed=True, score=0.8999999999999999, max_score=0.8999999999999999)
    report = GradeReport("s", total=0.8999999999999999, max_total=1.0,
                         questions={"cost": QuestionOutcome(max_score=0.9, score=0.8999999999999999, checks=[noisy])})
    text = dumps(gradescope_json(report))
    assert "0.8999" not in text and '"max_score": 0.9,' in text


def test_extra_credit_stays_beside_the_maximum():
    def q(public_score, hidden_score, extra_credit=False):
        cs = [CheckOutcome("p", True, passed=bool(public_score), score=public_score, max_score=2.0),
              CheckOutcome("h", False, passed=bool(hidden_score), score=hidden_score, max_score=3.0)]
        return QuestionOutcome(max_score=5.0, extra_credit=extra_credit, checks=cs, score=public_score + hidden_score)

    report = GradeReport("s", total=2 + 3 + 2, max_total=5.0, questions={"cost": q(2, 3), "winograd": q(2, 0, True)})
    data = gradescope_json(report)
    assert "**Visible score: 2 / 2 (+ 2 of 2 extra credit)**" in data["output"]
    assert "worth 3 more points (+ 3 extra credit)" in data["output"]
    assert data["extra_data"]["visible_score"] == 2 and data["extra_data"]["visible_extra_credit"] == 2
    published = render_markdown(report, published=True)
    assert "**Score: 5 / 5 (+ 2 of 5 extra credit)**" in published


# ---------------------------------------------------------------- the same check, the same points
def test_hidden_weights_match_the_hidden_twins():
    load_hidden_checks()
    for q in CODE:
        hidden = sum(c.weight for c in checks_module.REGISTRY if c.question == q and not c.public)
        assert HIDDEN_WEIGHTS[q] == hidden, f"questions/{q}.py: HIDDEN_WEIGHT = {HIDDEN_WEIGHTS[q]:g}, its hidden checks weigh {hidden:g}"


def test_a_public_check_is_worth_the_same_in_make_check_and_on_gradescope(tmp_path):
    from grader.engine import grade_submission

    folder = build(tmp_path / "complete")
    kw = dict(seed=SEED, limits=LIMITS, questions=["cost", "winograd"])
    check = grade_submission(folder, include_hidden=False, oracle=False, **kw)
    grade = grade_submission(folder, **kw)
    for q in ("cost", "winograd"):
        mine = {c.name: c.max_score for c in check.questions[q].checks}
        theirs = {c.name: c.max_score for c in grade.questions[q].checks if c.public}
        assert mine == pytest.approx(theirs) and sum(mine.values()) < POINTS[q]
    shown = render_markdown(check)
    share = POINTS["cost"] / (4 + HIDDEN_WEIGHTS["cost"])
    assert f"| conv\\_output\\_size on the canonical 5x5 | passed | {figure(share)} / {figure(share)} |" in shown
    assert "The autograder also runs hidden checks" in shown


# ---------------------------------------------------------------- the notebook
def test_a_missing_notebook_has_the_same_entries_as_a_submitted_one(tmp_path):
    from grader.instructor.notebook import grade_notebook, load_assets, not_graded, score_tests

    questions = load_assets()["questions"]
    answered = {q["name"]: {"cases": [{"hidden": c["hidden"], "passed": True} for c in q["cases"]]}
                for q in questions["questions"] if not q["manual"]}
    full = score_tests(questions, answered)
    missing = not_graded("conv_gemm.ipynb is missing from the submission")
    (tmp_path / "conv_gemm.ipynb").write_text("not a notebook")
    broken = grade_notebook(tmp_path / "conv_gemm.ipynb")
    for report in (missing, broken):
        assert [(c.name, c.public, c.max_score) for c in report.checks] == [(c.name, c.public, c.max_score) for c in full]
        assert report.score == 0 and report.max_score == sum(c.max_score for c in full)
    assert all("missing from the submission" in c.feedback for c in missing.checks)
    assert {c.name for c in full if not c.public} == {c.name for c in full if c.public}  # the renderer adds "(hidden)"


def _otter_messages(values: dict) -> dict:
    """Otter's own verdicts on ``values`` (the judge's evaluate, in this process)."""
    from grader.instructor.notebook import load_assets
    from grader.instructor.notebook_judge import _otter_test_files, evaluate

    ok = _otter_test_files().OKTestFile
    return evaluate([ok.from_file(str(p)) for p in load_assets()["tests"].values()], values)


def test_notebook_feedback_is_in_the_students_words():
    from grader.instructor.notebook import load_assets, score_tests
    from grader.instructor.notebook_feedback import PLACEHOLDER, public_feedback

    assets = load_assets()
    values = {"stem_out": 5, "stem_flops": -1, "q_readonly": 3, "backward_ms": 20.0}
    unsupported = {"standard_params": PLACEHOLDER, "sep_params": PLACEHOLDER, "reduction": PLACEHOLDER}
    verdicts = _otter_messages(values)  # quick_check: never defined
    entries = score_tests(assets["questions"], verdicts,
                          lambda q, m: public_feedback(q, assets["names"].get(q, []), values, unsupported, m))
    text = {c.name: c.feedback for c in entries if c.public}
    assert text["q_separable"].startswith("q_separable: not answered yet: ")
    assert "`standard_params` is still `...`" in text["q_separable"]
    assert text["q_quick_check"] == "q_quick_check: not answered yet: `quick_check` is not defined (run its cell)"
    assert re.search(r"^q_stem: the test `all\(.*stem_out, stem_flops.*\)` should give `True`, it gave `False`$", text["q_stem"], re.M)
    assert "your values: `stem_flops` = -1, `stem_out` = 5" in text["q_stem"]
    assert "`q_readonly` = 3" in text["q_readonly"]
    assert "q_backward" not in text or text["q_backward"] == "q_backward: public tests passed"
    for t in text.values():
        for raw in ("Traceback", "doctest", "****", "Trying:", "builtins.ellipsis", "[truncated]", "NameError"):
            assert raw not in t, (raw, t)
    odd = public_feedback("q_readonly", ["q_readonly"], {}, {"q_readonly": "an object of type builtins.dict"}, ["NameError"])
    assert odd == ("q_readonly: `q_readonly` holds an object of type builtins.dict: only numbers, strings, booleans, None "
                   "and small lists or arrays of them can be graded")
    rendered = md_text(text["q_quick_check"])
    assert "`quick_check`" in rendered and "\\`" not in rendered  # code spans, not escaped backticks


def test_markdown_code_spans_cannot_inject():
    assert md_text("your values: `x` = 4, `y` = -1") == "your values: `x` = 4, `y` = -1"  # no escape mid-line
    assert md_text("a\n# b `c`").startswith("a  \n\\# b")  # a real line start still is one
    assert "`x`" in md_text("\ue0000\ue001 `x`") and "\ue000" not in md_text("\ue0000\ue001 `x`")  # no spoofed span
    for evil in ("`<img src=x onerror=alert(1)>` [a](http://e)", "a ` b", "``", "`[x](y)`**b**"):
        out = md_text(evil)
        outside = re.sub(r"`[^`]*`", "", out)  # what is not inside a code span
        for special in "<>[]*":
            assert not re.search(r"(?<!\\)" + re.escape(special), outside), (evil, out)


# ---------------------------------------------------------------- one check's text
class _Send:
    def __init__(self, error):
        self.error = error

    def __call__(self, message, timeout):
        return checks_module.Reply(error=self.error)


@pytest.mark.parametrize("public", [True, False])
def test_a_call_that_did_not_finish_is_said_without_class_names(public):
    check = checks_module.Check("cost", "x", public, lambda ctx: None)
    for error in ({"type": "ChildFailure", "message": "timed out after 5 s"}, {"type": "GraderLimit", "message": "result larger than 64 MiB"}):
        ctx = checks_module.Context(check, np.random.default_rng(0), _Send(error))
        with pytest.raises(checks_module.CheckFailed) as raised:
            ctx.expect_raises(ctx.call("conv_output_size", 3, 5), "ValueError", "conv_output_size(3, 5)")
        assert error["message"] in str(raised.value) and error["type"] not in str(raised.value)
        with pytest.raises(checks_module.CheckFailed) as raised:
            ctx.expect_equal(ctx.call("conv_output_size", 5, 3), 3, "conv_output_size(5, 3)")
        assert error["type"] not in str(raised.value)


def _check_feedback(tmp_path, mutant: str, question: str) -> dict:
    from grader.engine import grade_submission

    folder = build(tmp_path / mutant, ROOT / "tests" / "mutants" / f"{mutant}.py")
    result = grade_submission(folder, seed=SEED, limits=LIMITS, include_hidden=False, oracle=False, questions=[question])
    return {c.name: c for c in result.questions[question].checks}


def test_calls_are_written_as_python_and_a_method_on_wrong_values_is_not_judged(tmp_path):
    cost = _check_feedback(tmp_path, "m01_output_size_ignores_dilation", "cost")
    failed = cost["conv_output_size on the canonical 5x5"]
    assert failed.feedback.startswith("conv_output_size(5, 3, dilation=2) returned 3, expected 1"), failed.feedback
    conv = _check_feedback(tmp_path, "m09_conv2d_flipped_kernel", "conv2d")
    method = conv["method: im2col + one GEMM, no Python loop over output positions"]
    assert not method.passed and "the method was not judged, because conv2d does not give the right values" in method.feedback
    assert method.detail is None and "loop" not in method.feedback


# ---------------------------------------------------------------- the histogram
def test_histogram_counts_whole_students_and_keeps_its_legend_off_the_bars():
    import matplotlib.pyplot as plt

    from grader.instructor.gradebook import histogram_figure

    for totals in ([35.0], [10, 20, 20, 95, 110], list(np.linspace(40, 105, 37))):
        fig = histogram_figure([GradeReport(str(i), total=float(t)) for i, t in enumerate(totals)])
        ax = fig.axes[0]
        ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
        fig.canvas.draw()
        legend = ax.get_legend().get_window_extent()
        assert legend.y0 >= ax.get_window_extent().y1 - 1, "the legend sits above the plot, not on a bar"
        assert sum(p.get_height() for p in ax.patches if hasattr(p, "get_height")) >= len(totals)
        plt.close(fig)


def test_results_json_has_no_float_noise_anywhere(tmp_path):
    from grader.engine import grade_submission

    result = grade_submission(build(tmp_path / "complete"), seed=SEED, limits=LIMITS, questions=["conv2d", "variants"])
    text = dumps(gradescope_json(result))
    assert not re.search(r"\d\.\d*(?:9999|0000)\d", text.split('"extra_data"')[0]), "float noise in a score"
    data = json.loads(text)
    assert all(t["max_score"] == round(t["max_score"], 6) for t in data["tests"])
