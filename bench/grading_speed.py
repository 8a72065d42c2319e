"""Grading speed: one complete submission end to end, and the sample class with 1 and 2 workers.

Prints wall times (this machine is shared: compare the figures of one run with each other).
``make bench`` runs it after the benchmark table; it needs ``make samples`` first.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "autograder"))


def main() -> int:
    from grader.engine import grade_submission
    from grader.gradebook import find_submissions, grade_folder

    samples = ROOT / "autograder" / "samples"
    if not (samples / "complete").is_dir():
        print("no samples: run `make samples` first", file=sys.stderr)
        return 2
    print(f"grading speed on {os.cpu_count()} core(s), load average {os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    result = grade_submission(samples / "complete")
    one = time.perf_counter() - t0
    code = sum(c["seconds"] for q, e in result["questions"].items() if q != "notebook" for c in e["checks"])
    print(f"  one complete submission, all questions, public and hidden: {one:5.1f} s wall "
          f"(score {result['total']:g}; {code:.1f} s inside checks, notebook {result['questions']['notebook'].get('seconds', 0):.1f} s)")
    count = len(find_submissions(samples))
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            grade_folder(samples, Path(out), seed=result["seed"], workers=workers, progress=False)
            print(f"  sample folder ({count} submissions), {workers} worker(s): {time.perf_counter() - t0:5.1f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
