"""Command line: `python -m grader grade DIR --out OUT`, `merge OUT1 OUT2 ... --out OUT`, `check DIR`, `gradescope`.

Run from the repository with ``PYTHONPATH=autograder`` (the Makefile does this).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

from grader.engine import DEFAULT_SEED
from grader.questions import QUESTION_IDS


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade Convolution-as-GEMM submissions.")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade every submission in a folder and write the gradebook")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, default=Path("grades"))
    g.add_argument("--seed", type=int, default=None,
                   help="one seed for every submission (default: each student's own, derived from the folder name)")
    g.add_argument("--workers", type=_positive, default=None,
                   help="parallel worker processes (default: one per usable CPU, as many as the memory holds)")
    g.add_argument("--layout", default=None, help="how the class folder is laid out: plain, canvas, moodle, blackboard, "
                   "gradescope, classroom (default: recognised from the names in it)")
    g.add_argument("--shard", default=None, metavar="K/N",
                   help="grade only share K of N (K from 1; slurm/N or k8s/N: from the array task or job index)")
    g.add_argument("--compare", type=Path, default=None, metavar="PREVIOUS_OUT",
                   help="after grading, print and write (changes.csv) who changed since that gradebook and which checks flipped")
    g.add_argument("--assignment", default=None,
                   help="the assignment's column in canvas_import.csv, as Canvas names it (e.g. 'Convolution as GEMM (123456)')")
    m = sub.add_parser("merge", help="join the gradebooks of shards (grade --shard) into one")
    m.add_argument("shards", type=Path, nargs="+")
    m.add_argument("--out", type=Path, required=True)
    g.add_argument("--allow-unconfined", action="store_true",
                   help="grade even where student code cannot be confined (no Landlock, or neither seccomp nor Landlock 6 "
                        "to keep submissions apart); every row of the gradebook then says so")
    c = sub.add_parser("check", help="public checks on one package folder, as a student runs them (`make check`)",
                       description="Run the public checks on one package and print a table of scores and each failure's "
                                   "feedback. Hidden checks and the notebook are graded by the autograder only.")
    c.add_argument("package", type=Path,
                   help="the conv_gemm package folder, or a folder that holds it as conv_gemm/ (the student release's root)")
    c.add_argument("--question", "-q", action="append", choices=[q for q in QUESTION_IDS if q != "notebook"], metavar="ID",
                   help="check only this question (repeat for more; default: every question). IDs: "
                        + ", ".join(q for q in QUESTION_IDS if q != "notebook"))
    c.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed of the public checks' random inputs (default {DEFAULT_SEED}, the same for every student)")
    gs = sub.add_parser("gradescope", help="grade $AUTOGRADER_ROOT/submission into $AUTOGRADER_ROOT/results/results.json")
    gs.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")),
                    help="Gradescope's autograder folder: reads submission/ and submission_metadata.json, writes "
                         "results/results.json (default: $AUTOGRADER_ROOT, else /autograder)")
    gs.add_argument("--seed", type=int, default=None,
                    help="override the per-student seed (default: derived from submission_metadata.json's user ids)")
    args = parser.parse_args(argv)
    if args.command == "grade":
        return cmd_grade(args)
    if args.command == "merge":
        return cmd_merge(args)
    if args.command == "check":
        return cmd_check(args)
    return cmd_gradescope(args)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def cmd_grade(args) -> int:
    """Exit 0 when every submission was graded; 1 when nothing gradable was found in the whole class
    (the gradebook is still written); 2 when the class folder, an option or the machine's
    confinement is wrong, before grading anything; 3 when the grader failed: it cannot run here
    (the preflight), it failed on a submission (that row says 'grader error'), or the machine
    ran out of memory and a check died of it (flagged in needs_look.csv)."""
    from grader.access import SandboxUnavailable, sandbox_user
    from grader.instructor import compare, records
    from grader.instructor.gradebook import grade_folder, summary_table
    from grader.instructor.layouts import ClassFolderError
    from grader.instructor.shards import parse_shard
    from grader.machine import grading_workers

    try:
        shard = parse_shard(args.shard) if args.shard else None
        previous = records.load(args.compare)[1] if args.compare else None  # before OUT is rewritten: it may be the same folder
        sandbox_user()  # under root: an unprivileged user for student code, or stop before grading anything
    except (ValueError, SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    facts = environment_or_none()
    if facts is None:
        return 3
    missing = missing_confinement(facts)
    if missing and not args.allow_unconfined:
        print(f"error: student code cannot be confined on this machine: {'; '.join(missing)}. One student's code could read "
              "the reference solution, the hidden checks or another student's files, or disturb another submission. Grade on "
              "Linux 5.13 or later with libseccomp (README: what a machine needs), or pass --allow-unconfined to grade "
              "anyway (every row of the gradebook then says so).", file=sys.stderr)
        return 2
    if missing:
        os.environ["GRADER_ALLOWED_UNCONFINED"] = "; ".join(missing)  # recorded in every submission's environment
        print(f"warning: grading without confinement ({'; '.join(missing)}), as --allow-unconfined asks", file=sys.stderr)
    workers, warning = grading_workers(args.workers)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    start = time.monotonic()
    try:
        grade_folder(args.submissions, args.out, seed=args.seed, workers=workers, progress=sys.stderr.isatty(),
                     layout=args.layout, shard=shard, assignment=args.assignment)
    except ClassFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    meta, rows = records.load(args.out)
    print(f"class folder read as the {meta['layout']} layout" + (f"; shard {meta['shard']}: {len(rows)} of {len(meta['class'])}" if shard else ""))
    print(summary_table(rows))
    print(f"\n{len(rows)} submission(s) graded in {time.monotonic() - start:.1f} s; "
          f"wrote {args.out / 'grades.csv'}, needs_look.csv, histogram.png and {args.out}/<student>/results.json + feedback.md")
    if previous is not None:
        changes = compare.compare(previous, rows)
        compare.write_changes(args.out / "changes.csv", changes)
        print("\n" + compare.changes_table(changes) + f"\n(wrote {args.out / 'changes.csv'})")
    return _verdict(rows, whole_class=shard is None)


def _verdict(rows, whole_class: bool = True) -> int:
    from grader.instructor.records import GRADER_ERROR, NOTHING, OUT_OF_MEMORY

    failed = [r for r in rows if r.status == GRADER_ERROR]
    if failed:
        print(f"\nerror: the grader failed on {len(failed)} submission(s), which are NOT graded (grades.csv says 'grader "
              "error'; not the students' fault): " + "; ".join(f"{r.student}: {r.error}" for r in failed[:5]), file=sys.stderr)
        return 3
    starved = [r for r in rows if OUT_OF_MEMORY in r.flags]
    if starved:
        print(f"\nerror: the grading machine ran out of memory: checks of {len(starved)} submission(s) failed because the "
              "kernel killed their process, which may be the machine's fault and not the students' (needs_look.csv lists "
              "them): " + ", ".join(r.student for r in starved[:10]) + ". Regrade them with fewer workers (--workers 1) "
              "or on a machine with more memory.", file=sys.stderr)
        return 3
    if whole_class and rows and all(r.status == NOTHING for r in rows):  # a shard's share may be only such students
        print("\nerror: nothing gradable was found in any submission (no assignment files, no notebook). "
              "Is this the right folder, or does it need --layout?", file=sys.stderr)
        return 1
    return 0


def cmd_merge(args) -> int:
    from grader.instructor import records
    from grader.instructor.gradebook import summary_table
    from grader.instructor.shards import merge

    try:
        merge(args.shards, args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = records.load(args.out)[1]
    print(summary_table(rows))
    print(f"\nmerged {len(args.shards)} shard(s), {len(rows)} submission(s), into {args.out}")
    return _verdict(rows)


def environment_or_none() -> dict | None:
    """The preflight's facts (grader.preflight), or None after printing why the grader cannot run here."""
    from grader.preflight import FIX, check_environment
    from grader.sandbox import GraderFailure

    try:
        return check_environment()
    except GraderFailure as failure:
        print(f"error: the grader cannot run student code on this machine: {failure.message}. {FIX}", file=sys.stderr)
        return None


def missing_confinement(facts: dict) -> list[str]:
    """What a class's grading would lack here, from the preflight's facts."""
    missing = []
    if not facts.get("landlock_abi"):
        missing.append("no file confinement (Landlock)")
    if not facts.get("seccomp") and facts.get("landlock_abi", 0) < 6:
        missing.append("no process isolation (seccomp, or Landlock ABI 6)")
    return missing


def cmd_check(args) -> int:
    """The public checks on the student's package, printed as the same Markdown report Gradescope shows.

    ``package`` is the package folder itself, or a folder holding it as ``conv_gemm/`` (the
    release root, next to .venv/ and grader/, which are then never searched).
    """
    from rich.console import Console
    from rich.markdown import Markdown

    from grader.runtime import landlock
    from grader.engine import grade_submission
    from grader.outcome import GradeReport
    from grader.results import render_markdown

    if not args.package.is_dir():
        print(f"error: {args.package} is not a folder", file=sys.stderr)
        return 2
    package = args.package / "conv_gemm" if (args.package / "conv_gemm").is_dir() else args.package
    reason = landlock.unavailable_reason()
    if reason:
        print(f"note: {reason}, so your code runs without file confinement (time and memory limits still apply).")
    code_questions = args.question or [q for q in QUESTION_IDS if q != "notebook"]
    os.environ["GRADER_OWN_CODE"] = "1"  # a student checking their own code may be root on their own machine
    try:
        result = grade_submission(package, seed=args.seed, include_hidden=False, oracle=False,
                                  student=args.package.resolve().name, questions=code_questions)
    except Exception as exc:  # noqa: BLE001 - the grader broke, not the student's code: say so, exit non-zero
        traceback.print_exc()
        result = GradeReport(student=args.package.name, error=f"{type(exc).__name__}: {exc}")
    if result.error:
        from grader.preflight import FIX

        print(f"error: the grader could not check your code, and this is not your code's fault: {result.error}. {FIX}",
              file=sys.stderr)
        return 3
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(Markdown(render_markdown(result, published=False)))
    console.print("\nOn Gradescope each question is graded on its own (a bug costs only its question), the hidden checks run "
                  "too,\nand the notebook is graded (check it inside the notebook with grader.check).", markup=False, highlight=False)
    return 0


def budget_seconds() -> float:
    """The submission's time budget: CONV_GEMM_BUDGET seconds, default 480 (run_autograder stops at
    570, Gradescope at 600). A bad value is a ValueError that says so."""
    from grader.engine import DEFAULT_BUDGET_SECONDS

    text = os.environ.get("CONV_GEMM_BUDGET", "").strip()
    if not text:
        return DEFAULT_BUDGET_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"CONV_GEMM_BUDGET must be a number of seconds, got {text!r}") from None
    if not 10 <= value <= 3600:
        raise ValueError(f"CONV_GEMM_BUDGET must be between 10 and 3600 seconds, got {value:g}")
    return value


def cmd_gradescope(args) -> int:
    """Always leaves a valid results.json, whatever happens (the parent writes it, last)."""
    from grader.identity import gradescope_identity, read_submission_metadata, seed_for, seed_record
    from grader.results import failure_json, gradescope_json, write_json_atomic

    results_path = args.root / "results" / "results.json"
    try:
        from grader.engine import grade_submission

        identity = gradescope_identity(read_submission_metadata(args.root / "submission_metadata.json"), fallback="submission")
        seed = args.seed if args.seed is not None else seed_for(identity)
        print(f"grading the submission of {identity.name} ({identity.source}), seed {seed}", flush=True)  # stdout: instructors only
        result = grade_submission(args.root / "submission", student="submission", seed=seed, budget_seconds=budget_seconds())
        data = (failure_json(result.error) if result.error
                else gradescope_json(result, extra=seed_record(identity, seed, overridden=args.seed is not None)))
        if result.error:
            print(f"GRADER ERROR (the submission is not graded): {result.error}", flush=True)
    except BaseException as exc:  # noqa: BLE001 - the grader itself failed; still write valid JSON
        traceback.print_exc()
        data = failure_json(f"{type(exc).__name__}: {exc}")
    write_json_atomic(results_path, data)
    print(f"wrote {results_path}: score {data['score']}")
    return 0
