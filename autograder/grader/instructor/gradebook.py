"""Grade a class folder in parallel: grades.csv, one results.json per student, a histogram, a summary."""
from __future__ import annotations

import csv
import multiprocessing
import os
import statistics
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from grader.machine import question_lanes
from grader.questions import EXTRA_CREDIT, MAX_TOTAL, POINTS, QUESTION_IDS
from grader.identity import local_identity, seed_for, seed_record
from grader.outcome import GradeReport
from grader.results import failure_json, gradescope_json, render_markdown, write_json_atomic, write_text_atomic
from grader.submission import student_name


def find_submissions(folder: Path) -> list[Path]:
    """One folder or .zip per student, skipping hidden entries; sorted for a stable gradebook."""
    entries = [p for p in sorted(Path(folder).iterdir()) if not p.name.startswith((".", "_"))]
    return [p for p in entries if p.is_dir() or p.suffix == ".zip"]


def gradebook_names(submissions: list[Path]) -> dict[Path, str]:
    """A unique, filesystem-safe gradebook name per submission (``dup_x``, ``dup_x-2``, ...):
    names that sanitise, or differ only in case, to the same string never share a row or a folder."""
    names, taken = {}, set()
    for path in sorted(submissions, key=lambda p: p.name):
        base = student_name(path)
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name.lower())
        names[path] = name
    return names


def _grade_one(path: str, student: str, seed: int | None, limits=None, lanes: int | None = None) -> GradeReport:
    """Grade one submission; ``seed=None``: the student's own seed (derived from the gradebook name)."""
    from grader.engine import grade_submission

    try:
        identity = local_identity(student)
        own_seed = seed if seed is not None else seed_for(identity)
        result = grade_submission(Path(path), seed=own_seed, limits=limits, student=student, lanes=lanes)
        result.seed_record = seed_record(identity, own_seed, overridden=seed is not None)
    except Exception as exc:  # noqa: BLE001 - one grader failure must not lose the class's other grades
        result = GradeReport(student, error=f"{type(exc).__name__}: {exc}")
    result.submission = Path(path).name
    return result


def grade_folder(folder: Path, out: Path, *, seed: int | None = None, workers: int | None = None, progress=True, limits=None,
                 lanes: int | None = None) -> list[GradeReport]:
    """Grade every submission in ``folder`` into the gradebook ``out``, ``workers`` processes at
    once, each grading ``lanes`` questions at once (default: what machine.question_lanes gives
    each of the workers)."""
    submissions = find_submissions(folder)
    out.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chmod(out, 0o700)  # children run as another user where possible; the gradebook is not theirs to read
    workers = max(1, min(workers or os.cpu_count() or 1, len(submissions) or 1))
    lanes = lanes or question_lanes(workers)
    results: list[GradeReport] = []
    bar = _progress(len(submissions)) if progress else None
    # spawn, not fork: a forked copy of a process whose torch thread pools already started can deadlock
    names = gradebook_names(submissions)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_grade_one, str(p), names[p], seed, limits, lanes): p for p in submissions}
        for future in as_completed(futures):
            path = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a worker that died (killed, out of memory)
                result = GradeReport(names[path], submission=path.name, error=f"worker failed: {type(exc).__name__}: {exc}")
            results.append(result)
            student_dir = out / result.student
            data = failure_json(result.error) if result.error else gradescope_json(result, extra=result.seed_record)
            write_json_atomic(student_dir / "results.json", data)
            # the student's report as it reads once grades are published (hidden checks: property only)
            write_text_atomic(student_dir / "feedback.md", data["output"] if result.error else render_markdown(result, published=True))
            if bar:
                bar.update(result.student)
    if bar:
        bar.close()
    results.sort(key=lambda r: r.student)
    write_csv(results, out / "grades.csv")
    write_histogram(results, out / "histogram.png")
    return results


def flags_of(result: GradeReport) -> str:
    """What the instructor should look at, per question: tampering with the grader, then forbidden shortcuts."""
    found = [f"{q}: tampering: {flag}" for q, e in result.questions.items() for flag in e.flags]
    found += [f"{q}: forbidden: {message}" for q, e in result.questions.items() for message in e.forbidden]
    if result.environment.get("unconfined"):
        found.append(f"graded unconfined (--allow-unconfined): {result.environment['unconfined']}")
    return "; ".join(found)[:2000]


def write_csv(results: list[GradeReport], path: Path) -> None:
    """grades.csv: the contract's columns (student, total, max_total, one per question), then the
    submission's original folder or zip name and the instructor's flags."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "total", "max_total", *QUESTION_IDS, "submission", "flags"])
        for r in results:
            if r.error:
                writer.writerow([r.student, 0, MAX_TOTAL, *[0 for _ in QUESTION_IDS], r.submission, f"grader error: {r.error}"[:300]])
                continue
            writer.writerow([r.student, f"{r.total:g}", f"{r.max_total:g}",
                             *[f"{r.questions[q].score:g}" if q in r.questions else 0 for q in QUESTION_IDS],
                             r.submission, flags_of(r)])


def histogram_figure(results: list[GradeReport]):
    """The class's totals as a matplotlib figure: bars of 5 points over 0 to the maximum plus extra
    credit, whole students on the y axis, the maximum marked, the legend above the plot where no
    bar can be."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    extra = sum(POINTS[q] for q in EXTRA_CREDIT)
    totals = [0.0 if r.error else r.total for r in results]
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


def write_histogram(results: list[GradeReport], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = histogram_figure(results)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summary_table(results: list[GradeReport]) -> str:
    """Mean and spread per question, for the terminal."""
    graded = [r for r in results if not r.error]
    lines = [f"{'question':<12}{'mean':>8}{'stdev':>8}{'min':>7}{'max':>7}{'points':>8}"]
    for q in QUESTION_IDS + ("total",):
        scores = [r.total if q == "total" else r.questions[q].score for r in graded if q == "total" or q in r.questions]
        if not scores:
            continue
        points = MAX_TOTAL if q == "total" else POINTS[q]
        spread = statistics.pstdev(scores) if len(scores) > 1 else 0.0
        tag = "*" if q in EXTRA_CREDIT else ""
        lines.append(f"{q + tag:<12}{statistics.mean(scores):>8.2f}{spread:>8.2f}{min(scores):>7.1f}{max(scores):>7.1f}{points:>8g}")
    lines.append("* extra credit")
    for r in results:
        if r.error:
            lines.append(f"GRADER ERROR for {r.student}: {r.error} (recorded as 0)")
        elif flags_of(r):
            lines.append(f"FLAGGED {r.student}: {flags_of(r)[:300]}")
    return "\n".join(lines)


class _progress:
    def __init__(self, total):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
        self.progress.start()
        self.task = self.progress.add_task("", total=total)

    def update(self, student):
        self.progress.update(self.task, advance=1, description=student)

    def close(self):
        self.progress.stop()
