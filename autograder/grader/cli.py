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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade Convolution-as-GEMM submissions.")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="grade every submission in a folder and write the gradebook")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, default=Path("grades"))
    g.add_argument("--seed", type=int, default=None,
                   help="one seed for every submission (default: each student's own, derived from the folder name)")
    g.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: the number of cores)")
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
    c = sub.add_parser("check", help="public checks on one package folder, as a student runs them")
    c.add_argument("package", type=Path)
    c.add_argument("--seed", type=int, default=DEFAULT_SEED)
    gs = sub.add_parser("gradescope", help="grade $AUTOGRADER_ROOT/submission into $AUTOGRADER_ROOT/results/results.json")
    gs.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
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


def cmd_grade(args) -> int:
    """Exit 0 when every submission was graded; 1 when the grader failed on one (grader error) or
    nothing gradable was found in the whole class (the gradebook is still written); 2 when the
    class folder or an option is wrong, before grading anything."""
    from grader.access import SandboxUnavailable, sandbox_user
    from grader.instructor import compare, records
    from grader.instructor.gradebook import grade_folder, summary_table
    from grader.instructor.layouts import ClassFolderError
    from grader.instructor.shards import parse_shard

    try:
        shard = parse_shard(args.shard) if args.shard else None
        previous = records.load(args.compare)[1] if args.compare else None  # before OUT is rewritten: it may be the same folder
        sandbox_user()  # under root: an unprivileged user for student code, or stop before grading anything
    except (ValueError, SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        grade_folder(args.submissions, args.out, seed=args.seed, workers=args.workers, progress=sys.stderr.isatty(),
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
    from grader.instructor.records import GRADER_ERROR, NOTHING

    failed = [r.student for r in rows if r.status == GRADER_ERROR]
    if failed:
        print(f"\nerror: the grader failed on {len(failed)} submission(s): {', '.join(failed[:10])}. Their rows say "
              "'grader error' (not the students' fault); fix the cause shown in needs_look.csv and grade again.", file=sys.stderr)
        return 1
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


def cmd_check(args) -> int:
    """The public checks on the student's package, printed as the same Markdown report Gradescope shows.

    ``package`` is the package folder itself, or a folder holding it as ``conv_gemm/`` (the
    release root, next to .venv/ and grader/, which are then never searched).
    """
    from rich.console import Console
    from rich.markdown import Markdown

    from grader.runtime import landlock
    from grader.engine import grade_submission
    from grader.questions import QUESTION_IDS
    from grader.results import render_markdown

    if not args.package.is_dir():
        print(f"error: {args.package} is not a folder", file=sys.stderr)
        return 2
    package = args.package / "conv_gemm" if (args.package / "conv_gemm").is_dir() else args.package
    reason = landlock.unavailable_reason()
    if reason:
        print(f"note: {reason}, so your code runs without file confinement (time and memory limits still apply).")
    code_questions = [q for q in QUESTION_IDS if q != "notebook"]
    os.environ["GRADER_OWN_CODE"] = "1"  # a student checking their own code may be root on their own machine
    result = grade_submission(package, seed=args.seed, include_hidden=False, oracle=False,
                              student=args.package.resolve().name, questions=code_questions)
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(Markdown(render_markdown(result, published=False)))
    console.print("\nThese are the public checks only: the autograder also runs hidden checks, grades each question on its own,\n"
                  "and grades the notebook (check it inside the notebook with grader.check).", markup=False, highlight=False)
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
        data = gradescope_json(result, extra=seed_record(identity, seed, overridden=args.seed is not None))
    except BaseException as exc:  # noqa: BLE001 - the grader itself failed; still write valid JSON
        traceback.print_exc()
        data = failure_json(f"{type(exc).__name__}: {exc}")
    write_json_atomic(results_path, data)
    print(f"wrote {results_path}: score {data['score']}")
    return 0
