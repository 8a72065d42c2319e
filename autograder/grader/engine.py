"""Grade one submission: every question, each in its own confined child, results as plain data."""
from __future__ import annotations

import os
import platform
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from grader import checks as checks_module
from grader import kept_template, preflight, static
from grader.access import read_paths, sandbox_user
from grader.checks import CheckFailed, Context, seeded_rng
from grader.common import ForbiddenUse
from grader.machine import oom_kills, question_lanes
from grader.outcome import OUT_OF_MEMORY_NOTE, CheckOutcome, GradeReport, NotebookReport, QuestionOutcome
from grader.questions import (BUDGET_WEIGHTS, EXTRA_CREDIT, HIDDEN_WEIGHTS, MAX_TOTAL, POINTS, QUESTION_IDS, functions_of,
                              load_hidden_checks, modules_of)
from grader.reaper import become_subreaper
from grader.runner import QuestionRunner, prepare_torch
from grader.sandbox import ChildFailure, GraderFailure, Limits, Scratch, protect_grader, remove_tree
from grader.template_process import Template
from grader.submission import (
    Submission,
    extract_zip,
    locate,
    stage_package,
    student_name,
)
from grader.trusted import trusted_files
from grader.unpack import UnpackBudget, copy_tree, unpack_zips_in

DEFAULT_SEED = 20261124
DEFAULT_BUDGET_SECONDS = 480.0
"""The whole submission is graded within this (Gradescope's default limit is 600 s)."""
NOT_YOUR_FAULT = "the grader itself failed here, not your code; please tell the course staff"
QUESTION_COST = BUDGET_WEIGHTS
"""Relative share of the remaining budget a question may use: each question module's BUDGET_WEIGHT."""


class Budget:
    """The submission's time budget, shared out as questions start: a question that starts now
    may use the time left times its weight over the weights of the questions not started yet
    (its own included). Graded one after another, every question gets its share; graded side by
    side, none ends later than the whole budget."""

    def __init__(self, end: float, questions: list[str]):
        self.end = end
        self.waiting = {q: QUESTION_COST.get(q, 1.0) for q in questions}
        self._lock = threading.Lock()

    def deadline(self, question: str) -> float:
        """The ``time.monotonic()`` by which ``question``, starting now, must be done."""
        with self._lock:
            weight = self.waiting.pop(question)
            now = time.monotonic()
            return now + max(self.end - now, 0.0) * weight / (weight + sum(self.waiting.values()))


def load_checks(include_hidden: bool) -> list[checks_module.Check]:
    """The registered checks (importing grader.questions registers the public ones); the hidden
    ones only where their twins are present (never in the release)."""
    if include_hidden:
        load_hidden_checks()
    return [c for c in checks_module.REGISTRY if include_hidden or c.public]


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def grade_submission(source: Path, *, seed: int = DEFAULT_SEED, include_hidden: bool = True, oracle: bool = True,
                     limits: Limits | None = None, questions=None, student: str | None = None,
                     budget_seconds: float = DEFAULT_BUDGET_SECONDS, lanes: int | None = None) -> GradeReport:
    """Grade the folder or zip ``source`` within ``budget_seconds``. Never raises for anything the submission does.

    ``lanes``: how many of the package's questions are graded at once, each with its own children
    (default: machine.question_lanes(), two with two free CPUs, else one). Verdicts do not depend
    on it: every check's inputs come from the seed and its id, and each question its own children.
    """
    started, kills_before = time.monotonic(), oom_kills()
    end = started + budget_seconds
    source = Path(source)
    limits = limits or Limits()
    student = student or student_name(source)
    root = Path(tempfile.mkdtemp(prefix="conv-gemm-grade-"))
    os.chmod(root, 0o755)
    user = sandbox_user()
    become_subreaper()  # what a child starts and leaves behind is adopted here, and killed
    protect_grader()
    problems = []
    notebook_template = notebook_judge = scratch = template = None
    keep_template = False
    try:
        # the template forks every child of this submission; it is the last submission's where
        # nothing of that one can reach this one (kept_template), else it imports torch now,
        # while the submission is staged and the grader imports its own
        scratch, template = kept_template.take(limits, user)
        if source.is_file() and source.suffix == ".zip":
            unpacked = root / "unpacked"
            unpacked.mkdir()
            problems += extract_zip(source, unpacked)
            sub = locate(unpacked, student)
        elif source.is_dir():  # copied under one unpacking budget, every zip in it opened (Gradescope, make check)
            unpacked, budget_left = root / "unpacked", UnpackBudget()
            problems += copy_tree(source, unpacked, budget_left)
            problems += [p for p in unpack_zips_in(unpacked, budget_left) if p not in problems]
            sub = locate(unpacked, student)
        else:
            sub = Submission(student, None, None, [f"{source.name} is neither a folder nor a .zip"])
        stage_package(sub, scratch.package, trusted_files())
        problems += [p for p in sub.problems if p not in problems]
        static_hits = static.scan_submission(sub.package_dir)
        scratch.compiled_package()  # once, before the lanes start, while the template imports torch
        confinement = preflight.probe_once(template, scratch, limits)  # the whole path works before any student code runs
        cuda = cuda_available()
        prepare_torch()  # one thread
        wanted = [q for q in QUESTION_IDS if questions is None or q in questions]
        if "notebook" in wanted and sub.notebook is not None:
            # the notebook's judge and template import what they need while the questions are
            # graded (neither where this grader has no notebook grading: the student release)
            notebook_judge = early_judge()
            notebook_template = spawn_notebook_template(template) if notebook_judge is not None else None
        import torch

        torch.manual_seed(seed)  # expected values use no randomness today; this keeps it so if one ever does
        all_checks = load_checks(include_hidden)
        known_broken = {}
        budget = Budget(end, wanted)
        package_questions = [q for q in wanted if q != "notebook"]

        def grade(q: str) -> tuple[QuestionOutcome, tuple[int, bool]]:
            question_checks = [c for c in all_checks if c.question == q]
            try:
                return grade_question(q, question_checks, sub, scratch, limits, seed, oracle, cuda, static_hits,
                                      budget.deadline(q), known_broken, template,
                                      absent_weight=0.0 if include_hidden else HIDDEN_WEIGHTS[q])
            except GraderFailure:
                raise  # the sandbox itself: the submission is not graded (below)
            except Exception as exc:  # noqa: BLE001 - one question's failure (MemoryError, a broken pipe) costs it alone
                return question_not_graded(q, question_checks, exc), (0, False)

        # ``lanes`` at a time, a lane taking the next one when it is free; with two, the costliest
        # first (the benchmark's timed sleeps), so that the other lane fills the time they take
        lanes = max(1, lanes or question_lanes())
        queue = package_questions if lanes == 1 else sorted(package_questions, key=lambda q: -QUESTION_COST.get(q, 1.0))
        with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="question") as pool:
            graded = dict(zip(queue, pool.map(grade, queue)))
        results = {q: outcome for q, (outcome, _) in graded.items()}
        landlock = max((abi[0] for _, abi in graded.values()), default=0)
        seccomp = any(abi[1] for _, abi in graded.values())
        if "notebook" in wanted:  # last; a notebook runs after the package template is gone (the two never hold memory at once)
            if sub.notebook is not None:
                template.close()
            results["notebook"] = grade_notebook_question(sub, scratch, limits, budget.deadline("notebook"), notebook_template,
                                                          notebook_judge)
        results = {q: results[q] for q in wanted}
        if oom_kills() > kills_before:
            explain_out_of_memory(results)
        failed = [f"{q}: {e.grader_errors[0]}" for q, e in results.items() if e.grader_errors]
        keep_template = not failed and kept_template.confined_from_each_other(confinement, user)
        return GradeReport(
            student=student,
            seed=seed,
            mode="grade" if include_hidden else "check",
            total=round(sum(r.score for r in results.values()), 4),
            max_total=MAX_TOTAL if questions is None else sum(POINTS[q] for q in wanted if q not in EXTRA_CREDIT),
            questions=results,
            problems=problems,
            environment=environment(landlock, seccomp, user, cuda, confinement),
            seconds=round(time.monotonic() - started, 3),
            error=f"the grader failed while grading ({'; '.join(failed)[:600]})" if failed else None,
        )
    except GraderFailure as failure:  # before or around the questions: nothing of this grade is the student's
        return GradeReport(student=student, seed=seed, mode="grade" if include_hidden else "check", submission=source.name,
                           seconds=round(time.monotonic() - started, 3), error=failure.message)
    finally:
        if template is not None:
            kept_template.give_back(scratch, template, keep=keep_template)
        if notebook_template is not None:
            notebook_template.close()
        if notebook_judge is not None and notebook_judge.poll() is None:  # grade_notebook ends it; unless it never ran
            notebook_judge.kill()
            notebook_judge.wait()
        remove_tree(root)


def explain_out_of_memory(results: dict[str, QuestionOutcome]) -> None:
    """The kernel killed processes for memory while this submission was graded: a check whose
    process died of SIGKILL says so, where it would read as the student's own crash."""
    for entry in results.values():
        for check in entry.checks:
            if not check.passed and "signal 9" in check.feedback and OUT_OF_MEMORY_NOTE not in check.feedback:
                check.feedback = f"{check.feedback}\n{OUT_OF_MEMORY_NOTE}"


def early_judge():
    """The notebook judge, started now (grader.instructor.notebook.early_judge); None where the
    grader has no notebook grading (the student release)."""
    try:
        from grader.instructor.notebook import early_judge as start
    except ImportError:
        return None
    return start()


def spawn_notebook_template(template: Template) -> Template | None:
    """The notebook's template, forked from the package template; None if it could not be
    (grade_notebook then starts one of its own)."""
    try:
        return template.spawn_notebook()
    except ChildFailure:
        return None


def environment(landlock: int, seccomp: bool, user, cuda: bool, confinement: dict) -> dict:
    import torch

    return {
        **{k: v for k, v in confinement.items() if k.endswith("_limit") or k == "own_folder"},  # what the probe's child set
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cuda": cuda,
        "landlock_abi": landlock,
        "seccomp": seccomp,
        "sandbox_user": user[0] if user else None,
        "unconfined": os.environ.get("GRADER_ALLOWED_UNCONFINED") or None,  # what `grade --allow-unconfined` went without
    }


def grade_question(q, question_checks, sub, scratch, limits, seed, oracle, cuda, static_hits, deadline, known_broken,
                   template, absent_weight: float = 0.0) -> tuple[QuestionOutcome, tuple[int, bool]]:
    """``absent_weight``: the weight of the question's checks not run here (the hidden ones, in
    `make check`), so that each check's share of the points is the same with or without them."""
    points = POINTS[q]
    entry = QuestionOutcome(max_score=points, extra_credit=q in EXTRA_CREDIT)
    fns = set(functions_of(q))
    for module in modules_of(q):
        for function, message in static_hits.get(module, []):
            if function is None or function in fns:
                entry.forbidden.append(message)
    missing = [m for m in modules_of(q) if not sub.has_module(m)]
    runner = None if entry.forbidden or missing else QuestionRunner(q, scratch, limits, oracle, seed, deadline, known_broken, template)
    active_weight = sum(c.weight for c in question_checks if not _skipped(c, cuda)) + absent_weight
    for c in question_checks:
        record = CheckOutcome(name=c.name, public=c.public, weight=c.weight)
        if _skipped(c, cuda):
            record.skipped = True
            record.feedback = "skipped: needs CUDA" if c.needs_cuda else "skipped: CUDA is present (this check is for machines without it)"
        elif missing:
            record.feedback = f"{', '.join(m + '.py' for m in missing)} missing from the submission"
        elif entry.forbidden:
            record.feedback = "not run: forbidden shortcut (see below)"
        else:
            run_check(c, record, entry, runner, seed)
        record.max_score = 0.0 if record.skipped or not active_weight else points * c.weight / active_weight
        record.score = record.max_score if record.passed else 0.0
        entry.checks.append(record)
    abi = (runner.landlock_abi, runner.seccomp) if runner else (0, False)
    if runner is not None:
        runner.close()
        entry.problems += list(dict.fromkeys(runner.problems))
    entry.forbidden = list(dict.fromkeys(entry.forbidden))
    entry.flags = list(dict.fromkeys(entry.flags + (runner.tamper if runner else [])))
    if entry.forbidden or entry.flags:  # a forbidden shortcut or tampering: the question earns nothing
        for record in entry.checks:
            record.score, record.passed = 0.0, False
    if missing:
        entry.problems.append(f"{', '.join(m + '.py' for m in missing)} not found in the submission")
    entry.score = round(sum(r.score for r in entry.checks), 4)
    return entry, abi


def question_not_graded(q: str, question_checks, exc: BaseException) -> QuestionOutcome:
    """What a question whose grading broke (an exception in the grader itself) records: 0, and why."""
    text = (f"the grader could not finish grading this question ({type(exc).__name__}: {str(exc)[:200]}); the other "
            "questions were graded; please report this to the course staff")
    entry = QuestionOutcome(max_score=POINTS[q], extra_credit=q in EXTRA_CREDIT, problems=[text])
    total = sum(c.weight for c in question_checks) or 1.0
    entry.checks = [CheckOutcome(name=c.name, public=c.public, weight=c.weight, feedback=text,
                                 max_score=POINTS[q] * c.weight / total) for c in question_checks]
    return entry


def run_check(c, record: CheckOutcome, entry: QuestionOutcome, runner: QuestionRunner, seed: int) -> None:
    """Run one check against the student's child; its verdict goes into ``record``, what the
    child's conduct costs the whole question (forbidden calls, tampering) into ``entry``."""
    t0 = time.monotonic()
    ctx = Context(c, seeded_rng(seed, c.id), runner.send, delays=runner.delays)
    try:
        c.fn(ctx)
        record.passed = True
    except CheckFailed as failure:
        record.feedback = str(failure)
        record.detail = failure.detail  # structured facts for results.py (public checks only)
    except ForbiddenUse as forbidden:
        entry.forbidden.append(str(forbidden))
        record.feedback = str(forbidden)
    except GraderFailure as failure:  # not the student's: the whole submission is reported as not graded
        entry.grader_errors.append(failure.message)
        record.feedback = f"not graded: {NOT_YOUR_FAULT}"
    except Exception as exc:  # noqa: BLE001 - a grader bug must not cost the whole submission
        record.feedback = f"the grader could not finish this check ({type(exc).__name__}); please report it"
    record.seconds = round(time.monotonic() - t0, 3)
    entry.forbidden += runner.forbidden
    runner.forbidden = []
    if runner.tamper:
        entry.flags += runner.tamper
        runner.tamper = []
        record.passed = False
        record.feedback = "not credited: the code being graded tampered with the grader (reported to the instructor)"


def _skipped(c, cuda: bool) -> bool:
    return (c.needs_cuda and not cuda) or (c.skip_with_cuda and cuda)


def grade_notebook_question(sub: Submission, scratch: Scratch, limits: Limits, deadline: float,
                            template: Template | None = None, judge=None) -> QuestionOutcome:
    """The notebook's grade; ``template`` and ``judge`` as engine.spawn_notebook_template and
    early_judge made them (None: grade_notebook starts its own)."""
    points = POINTS["notebook"]
    entry = QuestionOutcome(max_score=points)
    try:
        from grader.instructor.notebook import grade_notebook, not_graded
    except ImportError:
        entry.problems.append("notebook grading is not available in this grader")
        return entry
    t0 = time.monotonic()
    try:
        if sub.notebook is None:  # the same public and hidden entries as a graded notebook, each saying why it scored 0
            report = not_graded("conv_gemm.ipynb is missing from the submission")
        else:  # the cells run confined like the package children (no sockets, Landlock, unprivileged);
            # the Otter tests are judged in another process on the plain values they produced
            report = grade_notebook(sub.notebook, package_dir=scratch.package, read_paths=read_paths(),
                                    deadline_seconds=max(min(deadline - time.monotonic(), 240.0), 5.0), template=template,
                                    judge=judge)
    except Exception as exc:  # noqa: BLE001
        report = NotebookReport(error=f"{type(exc).__name__}: {exc}")
    scale = points / report.max_score if report.max_score else 0.0
    entry.checks = [replace(c, feedback="" if c.passed else c.feedback[:2000], score=c.score * scale, max_score=c.max_score * scale)
                    for c in report.checks]
    if report.error:
        entry.problems.append(report.error[:500])
        if not entry.checks:
            entry.checks.append(CheckOutcome("conv_gemm.ipynb", public=True, feedback=report.error[:500], max_score=points))
    entry.manual = report.manual
    entry.score = round(min(points, report.score * scale), 4)
    entry.seconds = round(time.monotonic() - t0, 3)
    return entry
