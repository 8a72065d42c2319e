"""A grading result rendered for people: Gradescope's results.json, and the same feedback as Markdown.

Input: the engine's plain result dict (``grader.engine.grade_submission``). Output:

- :func:`gradescope_json`: Gradescope's results.json schema. Every test has
  ``output_format: "md"``; public checks are ``visible``, hidden ones ``after_published``;
  each question opens with a visible 0/0 summary test holding its table of checks. The
  top-level ``output`` shows the score of the public checks only and says that hidden checks
  are published with the grades (Gradescope itself hides the total while any test is
  ``after_published``).
- :func:`render_markdown`: the whole report in one Markdown document, for ``make check``
  (printed with rich) and each student's ``feedback.md`` from ``make grade``.

Points read ``score / max (+ e of E extra credit)``: extra credit beside the maximum, never in
it; rounded to two decimals for people (grader.markdown.figure), exact to six decimals in the
JSON's numbers. A check is worth the same everywhere: its share of the question's points is its
weight over all of the question's checks, hidden ones included, also where they do not run
(`make check`; grader.questions.HIDDEN_WEIGHTS).

What a student sees of a failed public check: the call, the diagnosis, and for a value
mismatch the largest absolute and relative error with their index, how many entries differ,
NaN/inf counts and a few expected-vs-got entries around the worst one. Of a failed hidden
check: only the property that failed (the check's own hidden text), never inputs or anything
the student's code printed. Every text is escaped and capped (:data:`CHECK_TEXT_BYTES` per
test), and :func:`fit_size` keeps results.json under :data:`RESULTS_MAX_BYTES` by shrinking
feedback, never by dropping a test or a score.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.markdown import TRUNCATED, clip, clip_bytes, exact, figure, md_cell, md_code, md_escape, md_text, num, points, with_extra
from grader.outcome import CheckOutcome, GradeReport, QuestionOutcome
from grader.questions import QUESTION_IDS

OUTPUT_FORMAT = "md"
RESULTS_MAX_BYTES = 1 << 20
"""Gradescope's results.json stays under 1 MiB (GRADING.md, "Size")."""
CHECK_TEXT_BYTES = 4096
"""One test's output at most (GRADING.md: "one check's feedback at most a few KiB")."""
MESSAGE_CHARS = 1200
"""One free-text message (a diagnosis, an exception message) inside a test's output."""
HIDDEN_MESSAGE_CHARS = 300
"""A hidden check's message: the property that failed, no more."""
NAME_CHARS = 200
LIST_ITEMS = 10
"""At most this many problems / forbidden findings are listed; the rest are counted."""
HIDDEN_MARK = " (hidden)"
"""Added to a hidden check's name wherever it is shown (the check names never carry it)."""


def _index(idx) -> str:
    return "(" + ", ".join(str(int(i)) for i in idx) + ")" if idx else "()"


# ---------------------------------------------------------------- one check


def mismatch_markdown(detail: dict) -> str:
    """The statistics of a value mismatch (checks.mismatch_detail) as two small tables."""
    size = detail.get("size", 0)
    lines = [
        "| | value | at index |",
        "|---|---|---|",
        f"| largest absolute error | {num(detail.get('max_abs_error', 0))} | {_index(detail.get('max_abs_index'))} |",
        f"| largest relative error | {num(detail.get('max_rel_error', 0))} | {_index(detail.get('max_rel_index'))} |",
        f"| entries that differ | {int(detail.get('differing', 0))} of {int(size)} | tolerance rtol={detail.get('rtol')}, atol={detail.get('atol')} |",
        f"| NaN / inf in your result | {int(detail.get('nan', 0))} / {int(detail.get('inf', 0))} | |",
    ]
    rows = detail.get("excerpt") or []
    if rows:
        where = _index(detail.get("excerpt_index"))
        lines += ["", f"Around index {where} (along the last axis, shape {_index(detail.get('shape'))}):", "",
                  "| index | expected | yours | difference |", "|---|---|---|---|"]
        for idx, expected, got in rows[:11]:
            try:
                diff = num(float(got) - float(expected))
            except (TypeError, ValueError, OverflowError):
                diff = "n/a"
            mark = " **<-**" if list(idx) == list(detail.get("excerpt_index") or []) else ""
            lines.append(f"| {_index(idx)}{mark} | {num(expected)} | {num(got)} | {diff} |")
    return "\n".join(lines)


def check_markdown(c: CheckOutcome) -> str:
    """One check's feedback: the verdict, then (failed) the call, the diagnosis and the error tables."""
    status = c.status
    feedback = c.feedback
    if status == "passed":
        return "**Passed.**"
    if status == "skipped":
        reason = feedback.removeprefix("skipped: ") or "not run here"
        return f"**Skipped** ({md_escape(clip(reason, 200))}): worth 0 of 0 points, so it counts neither for nor against you."
    if not c.public:
        return f"**Failed** (hidden check): {md_escape(clip(feedback, HIDDEN_MESSAGE_CHARS))}"
    detail = c.detail if isinstance(c.detail, dict) else None
    parts = ["**Failed.**"]
    call = str(detail.get("call") or "") if detail else ""
    if call:
        parts.append(f"**Call:** {md_code(clip(call, 300))}")
        if feedback.startswith(call + ": "):  # the call is shown above; keep the diagnosis
            feedback = feedback[len(call) + 2:]
    parts.append(f"**Diagnosis:** {md_text(clip(feedback, MESSAGE_CHARS))}")
    if detail and detail.get("kind") == "values":
        parts.append(mismatch_markdown(detail))
    return clip_bytes("\n\n".join(parts), CHECK_TEXT_BYTES)


# ---------------------------------------------------------------- one question
def _shown(c: CheckOutcome, published: bool) -> bool:
    return published or c.public


def check_label(c: CheckOutcome) -> str:
    """A check's name as shown: hidden checks marked once, here."""
    return clip(c.name, NAME_CHARS) + ("" if c.public else HIDDEN_MARK)


def question_table(entry: QuestionOutcome, published: bool) -> str:
    """The question's checks as a table: check, result, points. Unpublished hidden checks are one row."""
    lines = ["| check | result | points |", "|---|---|---|"]
    hidden = [c for c in entry.checks if not c.public]
    for c in entry.checks:
        if not _shown(c, published):
            continue
        result = "**failed**" if c.status == "failed" else c.status
        lines.append(f"| {md_cell(check_label(c))} | {result} | {points(c.score, c.max_score)} |")
    if hidden and not published:
        lines.append(f"| {len(hidden)} hidden check(s) | published with the grades | ? / {figure(sum(c.max_score for c in hidden))} |")
    return "\n".join(lines)


def _listed(items: list, limit_chars: int) -> list[str]:
    items = [str(i) for i in items]
    out = [f"- {md_escape(clip(i, limit_chars))}" for i in items[:LIST_ITEMS]]
    if len(items) > LIST_ITEMS:
        out.append(f"- ... and {len(items) - LIST_ITEMS} more {TRUNCATED}")
    return out


def question_summary(entry: QuestionOutcome, published: bool) -> str:
    """A question's visible summary: its table, its problems, and (unpublished) what is still hidden."""
    parts = [question_table(entry, published)]
    if entry.problems:
        parts.append("\n".join(["**Problems:**", *_listed(entry.problems, 300)]))
    if entry.forbidden:
        parts.append("**Forbidden shortcut found: this question scores 0.** See the *forbidden shortcut* entry.")
    return clip_bytes("\n\n".join(parts), CHECK_TEXT_BYTES)


def _question_points(entry: QuestionOutcome, published: bool) -> tuple[float, float]:
    """A question's points as the reader may see them: all of it once published, else its public checks'."""
    if published:
        return entry.score, entry.max_score
    public = [c for c in entry.checks if c.public]
    return sum(c.score for c in public), sum(c.max_score for c in public)


def question_label(q: str, entry: QuestionOutcome) -> str:
    return f"{q} (extra credit)" if entry.extra_credit else q


# ---------------------------------------------------------------- the whole submission
@dataclass
class Tally:
    """Points as one reader may see them: the regular questions' score and maximum, and the
    extra credit beside them (never in the maximum); ``hidden``/``hidden_extra``: what the
    checks not shown (unpublished hidden ones, or those `make check` does not run) are worth."""

    score: float = 0.0
    max_score: float = 0.0
    extra: float = 0.0
    extra_max: float = 0.0
    hidden: float = 0.0
    hidden_extra: float = 0.0

    def text(self) -> str:
        return with_extra(self.score, self.max_score, self.extra, self.extra_max)


def tally(result: GradeReport, published: bool) -> Tally:
    """The submission's points: every check once published, else the public checks only."""
    t = Tally()
    for entry in result.questions.values():
        score, top = _question_points(entry, published)
        rest = max(entry.max_score - top, 0.0) if entry.checks else 0.0
        if entry.extra_credit:
            t.extra, t.extra_max, t.hidden_extra = t.extra + score, t.extra_max + top, t.hidden_extra + rest
        else:
            t.score, t.max_score, t.hidden = t.score + score, t.max_score + top, t.hidden + rest
    return t


def visible_score(result: GradeReport) -> tuple[float, float]:
    """Score and maximum of the public checks only, extra credit apart (see :func:`tally`)."""
    t = tally(result, published=False)
    return exact(t.score), exact(t.max_score)


def overview_markdown(result: GradeReport, published: bool) -> str:
    """The top of the report. Unpublished: the visible score only, never a total that includes hidden checks."""
    questions = [(q, result.questions[q]) for q in QUESTION_IDS if q in result.questions]
    any_hidden = any(not c.public for _, e in questions for c in e.checks)
    seen, public = tally(result, published), tally(result, published=False)
    more = f"{figure(public.hidden)} more points" + (f" (+ {figure(public.hidden_extra)} extra credit)" if public.hidden_extra else "")
    if published:
        lines = [f"**Score: {seen.text()}**, public and hidden checks together. The public checks alone: {public.text()}."]
    elif any_hidden:
        lines = [f"**Visible score: {public.text()}** (public checks only).", "",
                 f"Hidden checks, worth {more}, have run too: their results and your total score are published with the grades."]
    elif public.hidden or public.hidden_extra:  # `make check`: the hidden checks are not here
        lines = [f"**Score on the public checks: {public.text()}**", "",
                 f"The autograder also runs hidden checks, worth {more}: passing every public check is necessary, not sufficient."]
    else:
        lines = [f"**Score: {public.text()}**"]
    lines += ["", "| question | points | passed | failed | skipped |" + (" hidden checks |" if any_hidden else ""),
              "|---|---|---|---|---|" + ("---|" if any_hidden else "")]
    for q, e in questions:
        statuses = [c.status for c in e.checks if _shown(c, published)]
        name = md_cell(question_label(q, e)) + (" (forbidden shortcut: scores 0)" if e.forbidden else "")
        row = (f"| {name} | {points(*_question_points(e, published))} | {statuses.count('passed')} | {statuses.count('failed')} "
               f"| {statuses.count('skipped')} |")
        if any_hidden:
            row += f" {sum(not c.public for c in e.checks)} |"
        lines.append(row)
    if result.problems:
        lines += ["", "**Notes:**", *_listed(result.problems, 300)]
    return "\n".join(lines)


def render_markdown(result: GradeReport, published: bool = False) -> str:
    """The whole report: the overview, then per question its table and each failure's feedback.

    ``published=False`` shows what a student sees before grades are published (public checks
    and counts of hidden ones); ``True`` also lists hidden checks, with their property-only text.
    """
    parts = [f"# Feedback for {md_escape(clip(result.student, NAME_CHARS))}", "", overview_markdown(result, published)]
    for q in QUESTION_IDS:
        e = result.questions.get(q)
        if e is None:
            continue
        parts += ["", f"## {md_escape(question_label(q, e))}: {points(*_question_points(e, published))}", "",
                  question_summary(e, published)]
        if e.forbidden:
            parts += ["", "\n".join(["**Forbidden shortcut** (the question scores 0):", *_listed(e.forbidden, 300)])]
        for c in e.checks:
            if c.status == "failed" and _shown(c, published):
                parts += ["", f"### {md_escape(check_label(c))}", "", check_markdown(c)]
        for m in e.manual:
            parts += ["", f"*{md_escape(clip(m.name, NAME_CHARS))}* is graded by hand ({figure(m.max_score)} point(s))."]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- Gradescope
def _test(name: str, number: str, score: float, max_score: float, status: str, output: str, visibility: str,
          seconds: float | None = None) -> dict:
    t = {"name": clip(name, NAME_CHARS), "name_format": "text", "number": number, "score": exact(score),
         "max_score": exact(max_score), "status": status, "output": clip_bytes(output, CHECK_TEXT_BYTES),
         "output_format": OUTPUT_FORMAT, "visibility": visibility}
    if seconds is not None:
        t["execution_time"] = float(seconds)
    return t


def gradescope_json(result: GradeReport, extra: dict | None = None) -> dict:
    """Gradescope's schema: per question a visible summary (q.0), one test per check, forbidden and manual entries.

    ``extra``: more ``extra_data`` (the seed record from grader.identity).
    """
    tests = []
    for q in QUESTION_IDS:
        entry = result.questions.get(q)
        if entry is None:
            continue
        label = question_label(q, entry)
        public = [c for c in entry.checks if c.public and not c.skipped]
        tests.append(_test(f"{label}: summary", f"{q}.0", 0.0, 0.0,
                           "passed" if all(c.passed for c in public) and not entry.forbidden else "failed",
                           question_summary(entry, published=False), "visible"))
        for i, c in enumerate(entry.checks, 1):
            tests.append(_test(f"{label}: {check_label(c)}", f"{q}.{i}", c.score, c.max_score,
                               "failed" if c.status == "failed" else "passed",  # a skip is 0/0, not a failure
                               check_markdown(c), "visible" if c.public else "after_published", c.seconds))
        if entry.forbidden:
            text = "\n".join(["This question scores 0. Found:", "", *_listed(entry.forbidden, 300)])
            tests.append(_test(f"{label}: forbidden shortcut", f"{q}.forbidden", 0.0, 0.0, "failed", text, "visible"))
        if entry.flags:
            text = ("This question scores 0: while it was graded, the code being graded tampered with the grader "
                    "(its probes, its state or its channel). The course staff can see what was found.")
            tests.append(_test(f"{label}: tampering", f"{q}.flags", 0.0, 0.0, "failed", text, "visible"))
        for j, m in enumerate(entry.manual[:LIST_ITEMS], 1):
            text = f"Graded by hand, {figure(m.max_score)} point(s): {md_escape(clip(m.prompt, 1000))}"
            tests.append(_test(f"{label}: {m.name} (graded by hand)", f"{q}.manual{j}", 0.0, 0.0, "passed", text, "visible"))
    public = tally(result, published=False)
    extra_data = {"seed": result.seed, "mode": result.mode, "environment": result.environment,
                  "visible_score": exact(public.score), "visible_max": exact(public.max_score),
                  "visible_extra_credit": exact(public.extra), "visible_extra_credit_max": exact(public.extra_max),
                  "question_scores": {q: exact(e.score) for q, e in result.questions.items()}, "flags": result.flags}
    extra_data.update(extra or {})
    data = {
        "score": exact(result.total),
        "execution_time": result.seconds,
        "output": overview_markdown(result, published=False),
        "output_format": OUTPUT_FORMAT,
        "test_output_format": OUTPUT_FORMAT,
        "test_name_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": extra_data,
    }
    return fit_size(data)


def dumps(data: dict) -> str:
    """The exact text written to results.json (what the size limit is measured on)."""
    return json.dumps(data, indent=1, ensure_ascii=False)


def fit_size(data: dict, limit: int = RESULTS_MAX_BYTES) -> dict:
    """Shrink feedback until the JSON is at most ``limit`` bytes; scores, statuses and tests all stay."""
    if len(dumps(data).encode("utf-8")) <= limit:
        return data
    for cap in (1024, 256, 64, 0):
        for t in data.get("tests", []):
            t["output"] = clip_bytes(t.get("output", ""), cap) if cap else f"*(feedback removed {TRUNCATED}: results.json size limit)*"
            t["name"] = clip(t.get("name", ""), max(cap, 40))
        data["output"] = clip_bytes(data.get("output", ""), max(cap * 8, 256))
        if len(dumps(data).encode("utf-8")) <= limit:
            return data
    data["extra_data"] = {k: data.get("extra_data", {}).get(k) for k in ("seed", "seed_source", "mode")}
    data["extra_data"]["truncated"] = True
    return data


def failure_json(message: str) -> dict:
    """What is written when the grader itself failed: valid, zero, and saying so."""
    message = clip(str(message), 2000)
    return {"score": 0.0, "output": f"The autograder failed before grading finished: {md_escape(message)}. "
            "Your submission was not at fault; please tell the course staff.", "output_format": OUTPUT_FORMAT,
            "tests": [], "stdout_visibility": "hidden", "extra_data": {"grader_error": message}}


def write_json_atomic(path: Path, data: dict) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    write_text_atomic(path, dumps(data))


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
