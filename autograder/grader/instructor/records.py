"""One gradebook row per student as plain data (``gradebook.json``), from which every gradebook
file is written (grades.csv, the needs-a-look list, the LMS import files, the histogram), shards
are merged and a regrade is compared with the grades before it."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.instructor.layouts.entry import Entry
from grader.outcome import OUT_OF_MEMORY_NOTE, GradeReport
from grader.questions import EXTRA_CREDIT, POINTS, QUESTION_IDS

GRADED, GRADER_ERROR, NOTHING = "graded", "grader error", "nothing gradable"
GRADEBOOK_JSON = "gradebook.json"
VERSION = 1


@dataclass
class Record:
    """``checks``: "question/check name" -> passed / failed / skipped; ``status``: GRADED,
    GRADER_ERROR or NOTHING; ``notes``: what the student's submission-level problems were."""

    student: str
    name: str
    lms_id: str
    layout: str
    submission: str
    late: bool
    status: str
    total: float
    max_total: float
    scores: dict[str, float] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)
    flags: str = ""
    notes: str = ""
    error: str = ""

    def look_reasons(self) -> list[str]:
        """Why an instructor should look at this student (empty: nothing to look at)."""
        reasons = []
        if self.status == GRADER_ERROR:
            reasons.append(f"grader error: {self.error}"[:300])
        elif self.status == NOTHING:
            reasons.append(f"nothing gradable: {self.notes}"[:300])
        elif self.total == 0:
            reasons.append("score 0")
        if self.flags:
            reasons.append(f"flagged: {self.flags}"[:300])
        if self.late:
            reasons.append("late (marked by the LMS)")
        return reasons


def flags_of(result: GradeReport) -> str:
    """What the instructor should look at, per question: tampering with the grader, then forbidden shortcuts."""
    found = [f"{q}: tampering: {flag}" for q, e in result.questions.items() for flag in e.flags]
    found += [f"{q}: forbidden: {message}" for q, e in result.questions.items() for message in e.forbidden]
    if result.environment.get("unconfined"):
        found.append(f"graded unconfined (--allow-unconfined): {result.environment['unconfined']}")
    return "; ".join(found)[:2000]


OUT_OF_MEMORY = "killed while the grading machine ran out of memory"
"""The flag's words (gradebook, needs_look.csv, ``grader grade``'s exit status 3)."""


def mark_out_of_memory(record: Record, report: GradeReport) -> None:
    """Flag ``record`` when a check of ``report`` failed because its process was killed while the
    kernel killed processes for memory (the engine's OUT_OF_MEMORY_NOTE): that check may have
    failed for the machine's sake, not the student's."""
    killed = [f"{q}/{c.name}" for q, e in report.questions.items() for c in e.checks
              if not c.passed and OUT_OF_MEMORY_NOTE in c.feedback]
    if killed:
        flag = f"{OUT_OF_MEMORY}: {', '.join(killed)}; regrade with fewer workers or more memory"
        record.flags = "; ".join(part for part in (flag, record.flags) if part)[:2000]


def max_total_of(questions) -> float:
    wanted = [q for q in QUESTION_IDS if questions is None or q in questions]
    return float(sum(POINTS[q] for q in wanted if q not in EXTRA_CREDIT))


def record_of(report: GradeReport, entry: Entry, student: str, *, gradable: bool, questions=None) -> Record:
    """The row of ``report`` (graded from ``entry`` under the gradebook name ``student``)."""
    base = dict(student=student, name=entry.name, lms_id=entry.lms_id, layout=entry.layout, submission=entry.submission,
                late=entry.late, notes="; ".join(report.problems)[:1000])
    if report.error:
        return Record(**base, status=GRADER_ERROR, total=0.0, max_total=max_total_of(questions),
                      scores={q: 0.0 for q in QUESTION_IDS if questions is None or q in questions}, error=report.error[:1000])
    return Record(**base, status=GRADED if gradable else NOTHING, total=float(report.total), max_total=float(report.max_total),
                  scores={q: float(e.score) for q, e in report.questions.items()},
                  checks={f"{q}/{c.name}": c.status for q, e in report.questions.items() for c in e.checks},
                  flags=flags_of(report))


def save(path: Path, meta: dict, records: list[Record]) -> None:
    from grader.results import write_text_atomic

    data = {"version": VERSION, **meta, "records": [asdict(r) for r in sorted(records, key=lambda r: r.student)]}
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def load(folder: Path) -> tuple[dict, list[Record]]:
    """(meta, records) of a gradebook folder; ValueError saying what is wrong when it has none."""
    path = Path(folder) / GRADEBOOK_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
        records = [Record(**r) for r in data.pop("records")]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"{folder} is not a gradebook written by `grader grade` ({path.name}: {type(exc).__name__}: {exc})") from None
    return data, records
