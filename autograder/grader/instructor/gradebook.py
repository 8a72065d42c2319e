"""Grade a class folder in parallel: grades.csv, one results.json per student, a histogram, a summary.

The class folder is read by its LMS layout (grader.instructor.layouts); each student's files are
staged into a folder of their own (grader.instructor.staging) and graded there by a worker
process. Every gradebook file is then written from the rows (grader.instructor.exports).
"""
from __future__ import annotations

import multiprocessing
import os
import statistics
import tempfile
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from grader.identity import local_identity, seed_for, seed_record
from grader.instructor.exports import RESERVED, histogram_figure, write_gradebook  # noqa: F401 - histogram_figure: tests/test_feedback.py
from grader.instructor.layouts import Entry, read_class
from grader.instructor.records import GRADED, Record, mark_out_of_memory, record_of
from grader.instructor.shards import share
from grader.instructor.staging import stage
from grader.machine import grading_workers, question_lanes
from grader.outcome import GradeReport
from grader.sandbox import remove_tree
from grader.questions import EXTRA_CREDIT, MAX_TOTAL, POINTS, QUESTION_IDS
from grader.results import failure_json, gradescope_json, render_markdown, write_json_atomic, write_text_atomic
from grader.submission import locate, student_name


def find_submissions(folder: Path) -> list[Path]:
    """One folder or .zip per student (the plain layout), skipping hidden entries; sorted."""
    entries = [p for p in sorted(Path(folder).iterdir()) if not p.name.startswith((".", "_"))]
    return [p for p in entries if p.is_dir() or p.suffix == ".zip"]


def gradebook_names(entries: list[Entry]) -> dict[str, str]:
    """Entry key -> a unique, folder-safe gradebook name (``dup_x``, ``dup_x-2``, ...): keys that
    sanitise, or differ only in case, to the same string never share a row or a folder, and no
    name is one of the gradebook's own files (``grades.csv`` becomes ``grades.csv-2``)."""
    names, taken = {}, {n.lower() for n in RESERVED}
    for key in sorted(e.key for e in entries):
        base = student_name(key)
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name.lower())
        names[key] = name
    return names


def grade_entry(entry: Entry, student: str, seed: int | None, limits=None, lanes: int | None = None,
                questions=None) -> tuple[GradeReport, bool]:
    """Stage and grade one student (in a worker process): (the report, whether anything gradable
    was found). ``seed=None``: the student's own seed (derived from the gradebook name)."""
    from grader.engine import grade_submission

    root = Path(tempfile.mkdtemp(prefix="conv-gemm-stage-"))
    gradable = True
    try:
        staged = root / student
        problems = stage(entry, staged)
        found = locate(staged, student)
        gradable = found.package_dir is not None or found.notebook is not None
        identity = local_identity(student)
        own_seed = seed if seed is not None else seed_for(identity)
        result = grade_submission(staged, seed=own_seed, limits=limits, student=student, lanes=lanes, questions=questions)
        result.seed_record = seed_record(identity, own_seed, overridden=seed is not None)
        result.problems = problems + [p for p in result.problems if p not in problems]
    except Exception as exc:  # noqa: BLE001 - one grader failure must not lose the class's other grades
        result = GradeReport(student, error=f"{type(exc).__name__}: {exc}")
    finally:
        remove_tree(root)
    result.submission = entry.submission
    return result, gradable


def _died(student: str, exc: BaseException) -> GradeReport:
    return GradeReport(student, error=f"the grading process died twice while grading this submission "
                                      f"({type(exc).__name__}: {exc}); every other submission was graded. "
                                      f"Grade it alone to see why, and report it")


def run_pool(tasks: list[tuple[Entry, str]], workers: int, args: tuple, on_done, grade_one=grade_entry) -> None:
    """Grade ``tasks`` (entry, gradebook name), ``workers`` at a time, each in a worker process of
    its own (spawned, one submission at a time), so a worker that dies takes only its own
    submission with it: that worker is replaced and the submission graded once more; if it dies
    again, the submission is a grader error. ``on_done(entry, name, report, gradable)``."""
    # spawn, not fork: a forked copy of a process whose torch thread pools already started can deadlock
    context = multiprocessing.get_context("spawn")
    slots: list[ProcessPoolExecutor | None] = [None] * workers
    queue = [(task, 1) for task in tasks]
    running, free = {}, list(range(workers))
    try:
        while queue or running:
            while free and queue:
                slot, (task, attempt) = free.pop(0), queue.pop(0)
                if slots[slot] is None:
                    slots[slot] = ProcessPoolExecutor(max_workers=1, mp_context=context)
                running[slots[slot].submit(grade_one, *task, *args)] = (slot, task, attempt)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                slot, (entry, name), attempt = running.pop(future)
                free.append(slot)
                try:
                    report, gradable = future.result()
                except BrokenProcessPool as exc:  # this worker died (killed, out of memory): replace it
                    slots[slot].shutdown(wait=True)
                    slots[slot] = None
                    if attempt == 1:
                        queue.insert(0, ((entry, name), 2))
                        continue
                    report, gradable = _died(name, exc), True
                except Exception as exc:  # noqa: BLE001 - the worker could not return its result
                    report, gradable = GradeReport(name, error=f"{type(exc).__name__}: {exc}"), True
                report.submission = entry.submission
                on_done(entry, name, report, gradable)
    finally:
        for pool in slots:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)


def grade_folder(folder: Path, out: Path, *, seed: int | None = None, workers: int | None = None, progress=True, limits=None,
                 lanes: int | None = None, layout: str | None = None, shard: tuple[int, int] | None = None,
                 questions=None, assignment: str | None = None, grade_one=grade_entry) -> list[GradeReport]:
    """Grade every submission in ``folder`` (read as ``layout``, or as recognised) into the
    gradebook ``out``, ``workers`` processes at once, each grading ``lanes`` questions at once
    (default: what machine.question_lanes gives each of the workers). ``shard`` (K, N): only
    that share of the class. ``questions``: only those (all by default). Raises
    layouts.ClassFolderError when the folder holds no submission."""
    layout, entries = read_class(folder, layout)
    names = gradebook_names(entries)
    class_names = sorted(names.values())
    if shard is not None:
        mine = share(class_names, *shard)
        entries = [e for e in entries if names[e.key] in mine]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chmod(out, 0o700)  # children run as another user where possible; the gradebook is not theirs to read
    workers = max(1, min(workers or grading_workers()[0], len(entries) or 1))
    lanes = lanes or question_lanes(workers)
    reports: list[GradeReport] = []
    records: list[Record] = []
    bar = _progress(len(entries)) if progress and entries else None

    def done(entry: Entry, name: str, report: GradeReport, gradable: bool) -> None:
        reports.append(report)
        records.append(record_of(report, entry, name, gradable=gradable, questions=questions))
        mark_out_of_memory(records[-1], report)
        data = failure_json(report.error) if report.error else gradescope_json(report, extra=report.seed_record)
        write_json_atomic(out / name / "results.json", data)
        # the student's report as it reads once grades are published (hidden checks: property only)
        write_text_atomic(out / name / "feedback.md", data["output"] if report.error else render_markdown(report, published=True))
        if bar:
            bar.update(name)

    try:
        run_pool([(e, names[e.key]) for e in sorted(entries, key=lambda e: names[e.key])], workers,
                 (seed, limits, lanes, questions), done, grade_one)
    finally:
        if bar:
            bar.close()
    meta = {"layout": layout, "class": class_names, "shard": None if shard is None else f"{shard[0]}/{shard[1]}",
            "assignment": assignment, "questions": None if questions is None else list(questions)}
    write_gradebook(out, meta, records)
    return sorted(reports, key=lambda r: r.student)


def summary_table(records: list[Record]) -> str:
    """Mean and spread per question, then the students who need a look, for the terminal."""
    graded = [r for r in records if r.status == GRADED]
    lines = [f"{'question':<12}{'mean':>8}{'stdev':>8}{'min':>7}{'max':>7}{'points':>8}"]
    for q in QUESTION_IDS + ("total",):
        scores = [r.total if q == "total" else r.scores[q] for r in graded if q == "total" or q in r.scores]
        if not scores:
            continue
        points = MAX_TOTAL if q == "total" else POINTS[q]
        spread = statistics.pstdev(scores) if len(scores) > 1 else 0.0
        tag = "*" if q in EXTRA_CREDIT else ""
        lines.append(f"{q + tag:<12}{statistics.mean(scores):>8.2f}{spread:>8.2f}{min(scores):>7.1f}{max(scores):>7.1f}{points:>8g}")
    lines.append("* extra credit")
    look = [r for r in records if r.look_reasons()]
    if look:
        lines += ["", f"{len(look)} student(s) need a look (also in needs_look.csv):",
                  f"{'student':<28}{'lms id':<14}{'total':>7}  why"]
        lines += [f"{r.student[:27]:<28}{r.lms_id[:13]:<14}{r.total:>7g}  {'; '.join(r.look_reasons())[:300]}" for r in look]
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
