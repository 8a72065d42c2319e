"""Command line: `python -m grader grade DIR --out OUT`, `check DIR`, `gradescope`.

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
    g.add_argument("--seed", type=int, default=DEFAULT_SEED)
    g.add_argument("--workers", type=int, default=None, help="parallel worker processes (default: the number of cores)")
    c = sub.add_parser("check", help="public checks on one package folder, as a student runs them")
    c.add_argument("package", type=Path)
    c.add_argument("--seed", type=int, default=DEFAULT_SEED)
    gs = sub.add_parser("gradescope", help="grade $AUTOGRADER_ROOT/submission into $AUTOGRADER_ROOT/results/results.json")
    gs.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    args = parser.parse_args(argv)
    if args.command == "grade":
        return cmd_grade(args)
    if args.command == "check":
        return cmd_check(args)
    return cmd_gradescope(args)


def cmd_grade(args) -> int:
    from grader.gradebook import grade_folder, summary_table

    if not args.submissions.is_dir():
        print(f"error: {args.submissions} is not a folder of submissions", file=sys.stderr)
        return 2
    start = time.monotonic()
    results = grade_folder(args.submissions, args.out, seed=args.seed, workers=args.workers, progress=sys.stderr.isatty())
    print(summary_table(results))
    print(f"\n{len(results)} submission(s) graded in {time.monotonic() - start:.1f} s; "
          f"wrote {args.out / 'grades.csv'}, {args.out / 'histogram.png'} and {args.out}/<student>/results.json")
    return 0


def cmd_check(args) -> int:
    """Public checks on one package, as a student runs them (``make check`` in the release: ``check .``).

    ``package`` is the package folder itself, or a folder holding it as ``conv_gemm/`` (the
    release root, next to .venv/ and grader/, which are then never searched).
    """
    from grader import landlock
    from grader.engine import grade_submission
    from grader.interface import QUESTION_IDS
    from grader.results import feedback_table

    if not args.package.is_dir():
        print(f"error: {args.package} is not a folder", file=sys.stderr)
        return 2
    package = args.package / "conv_gemm" if (args.package / "conv_gemm").is_dir() else args.package
    reason = landlock.unavailable_reason()
    if reason:
        print(f"note: {reason}, so your code runs without file confinement (time and memory limits still apply).")
    code_questions = [q for q in QUESTION_IDS if q != "notebook"]
    result = grade_submission(package, seed=args.seed, include_hidden=False, oracle=False,
                              student=args.package.resolve().name, questions=code_questions)
    print(feedback_table(result))
    print("\nThese are the public checks only: the autograder also runs hidden checks, grades each question on its own,")
    print("and grades the notebook (check it inside the notebook with grader.check).")
    return 0


def cmd_gradescope(args) -> int:
    """Always leaves a valid results.json, whatever happens (the parent writes it, last)."""
    from grader.results import failure_json, gradescope_json, write_json_atomic

    results_path = args.root / "results" / "results.json"
    try:
        from grader.engine import grade_submission

        result = grade_submission(args.root / "submission", student="submission")
        data = gradescope_json(result)
    except BaseException as exc:  # noqa: BLE001 - the grader itself failed; still write valid JSON
        traceback.print_exc()
        data = failure_json(f"{type(exc).__name__}: {exc}")
    write_json_atomic(results_path, data)
    print(f"wrote {results_path}: score {data['score']}")
    return 0
