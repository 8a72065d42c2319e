"""Every gradebook file, written from the records alone (so one run, and shards merged, give the
same files): grades.csv, needs_look.csv, the LMS import files, histogram.png, gradebook.json.

LMS import formats (docs/lms.md says how to upload each):

- Canvas gradebook import: ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>`` then a
  ``Points Possible`` row; Canvas matches rows on ``ID`` (its user id, read from the export's
  file names) and the assignment column on its name (``Name (assignment id)`` as Canvas exports
  it). A blank grade changes nothing.
- Moodle's offline grading worksheet: the importer needs the columns ``Identifier``
  (``Participant <id>``), ``Grade`` and ``Last modified (grade)``; ``Feedback comments`` is read
  when that feedback type is on. The other columns are those of the worksheet Moodle writes.
"""
from __future__ import annotations

from pathlib import Path

from grader.instructor.csvsafe import write_csv
from grader.instructor.records import GRADEBOOK_JSON, GRADER_ERROR, Record, save
from grader.questions import EXTRA_CREDIT, MAX_TOTAL, POINTS, QUESTION_IDS

GRADES, NEEDS_LOOK, CANVAS, MOODLE, HISTOGRAM, CHANGES = (
    "grades.csv", "needs_look.csv", "canvas_import.csv", "moodle_grading_worksheet.csv", "histogram.png", "changes.csv")
RESERVED = {GRADES, NEEDS_LOOK, CANVAS, MOODLE, HISTOGRAM, CHANGES, GRADEBOOK_JSON}
"""The gradebook's own files: no student folder may take one of these names."""
DEFAULT_ASSIGNMENT = "Convolution as GEMM"
GRADES_HEADER = ["student", "total", "max_total", *QUESTION_IDS, "status", "submission", "flags", "name", "lms_id", "late", "notes"]


def grade_cells(r: Record) -> list:
    scores = [r.scores.get(q, 0) for q in QUESTION_IDS]
    return [r.student, r.total, r.max_total, *scores, r.status, r.submission, r.flags or (f"grader error: {r.error}"[:300] if r.error else ""),
            r.name, r.lms_id, r.late, r.notes]


def needs_look(records: list[Record]) -> list[Record]:
    return [r for r in records if r.look_reasons()]


def canvas_rows(records: list[Record], assignment: str) -> tuple[list[str], list[list]]:
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]
    points = max((r.max_total for r in records), default=MAX_TOTAL)
    rows = [["    Points Possible", "", "", "", "", points]]
    rows += [[r.name, r.lms_id, "", "", "", "" if r.status == GRADER_ERROR else r.total] for r in records]
    return header, rows


def moodle_feedback(r: Record) -> str:
    parts = [f"{q} {r.scores[q]:g}/{POINTS[q]:g}" for q in QUESTION_IDS if q in r.scores]
    return f"Autograded {r.total:g}/{r.max_total:g} ({', '.join(parts)}); details in your feedback file."


def moodle_rows(records: list[Record]) -> tuple[list[str], list[list]]:
    header = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade", "Grade can be changed",
              "Last modified (submission)", "Last modified (grade)", "Feedback comments"]
    rows = [[f"Participant {r.lms_id}", r.name, "", "Submitted for grading", "" if r.status == GRADER_ERROR else r.total,
             r.max_total, "Yes", "", "", "" if r.status == GRADER_ERROR else moodle_feedback(r)] for r in records]
    return header, rows


def write_gradebook(out: Path, meta: dict, records: list[Record]) -> list[str]:
    """Write every gradebook file of ``records`` into ``out``; the names written."""
    records = sorted(records, key=lambda r: r.student)
    written = [GRADES, NEEDS_LOOK, HISTOGRAM, GRADEBOOK_JSON]
    write_csv(out / GRADES, GRADES_HEADER, [grade_cells(r) for r in records])
    write_csv(out / NEEDS_LOOK, ["student", "name", "lms_id", "total", "status", "why"],
              [[r.student, r.name, r.lms_id, r.total, r.status, "; ".join(r.look_reasons())] for r in needs_look(records)])
    if meta.get("layout") == "canvas":
        write_csv(out / CANVAS, *canvas_rows(records, meta.get("assignment") or DEFAULT_ASSIGNMENT))
        written.append(CANVAS)
    if meta.get("layout") == "moodle":
        write_csv(out / MOODLE, *moodle_rows(records))
        written.append(MOODLE)
    write_histogram(records, out / HISTOGRAM)
    save(out / GRADEBOOK_JSON, meta, records)
    return written


def histogram_figure(rows):
    """The class's totals (``rows``: records or GradeReports; a grader error counts 0) as a matplotlib
    figure: bars of 5 points over 0 to the maximum plus extra credit, whole students on the y
    axis, the maximum marked, the legend above the plot where no bar can be."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    extra = sum(POINTS[q] for q in EXTRA_CREDIT)
    totals = [0.0 if r.error else r.total for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    counts, _, _ = ax.hist(totals, bins=max(1, int((MAX_TOTAL + extra) // 5)), range=(0, MAX_TOTAL + extra), color="#3b7dd8",
                           edgecolor="white", label="students")
    ax.axvline(MAX_TOTAL, color="grey", linestyle="--", label=f"maximum {MAX_TOTAL:g} (+ {extra:g} extra credit)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # students come whole
    ax.set_ylim(0, max(1, int(max(counts, default=0))) * 1.1)
    ax.set_xlim(0, MAX_TOTAL + extra)
    ax.set_xlabel("total score")
    ax.set_ylabel("students")
    ax.set_title(f"Convolution as GEMM: {len(totals)} submission(s)", pad=28)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize="small")
    fig.tight_layout()
    return fig


def write_histogram(records: list[Record], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = histogram_figure(records)
    fig.savefig(path, dpi=120)
    plt.close(fig)
