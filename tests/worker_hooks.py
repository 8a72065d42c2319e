"""Stand-ins for the gradebook's worker function (grade_folder(grade_one=...)), run inside the
spawned worker processes: one that kills its own worker for chosen students, one that changes a
check (a regrade after an instructor fixed it). Configured through the environment, which the
spawned workers inherit; each call is logged, one line per grading, in $HOOK_LOG/<student>."""
from __future__ import annotations

import os
import signal
from pathlib import Path

from grader.instructor.gradebook import grade_entry


def _log(student: str) -> int:
    """Append this grading to the student's log; how many gradings it holds now."""
    path = Path(os.environ["HOOK_LOG"]) / student
    with open(path, "a") as f:
        f.write("graded\n")
    return len(path.read_text().splitlines())


def grade_or_die(entry, student, *args):
    """``HOOK_DIE_ONCE`` students kill their worker on the first try, ``HOOK_DIE_ALWAYS`` ones on every try."""
    attempt = _log(student)
    if student in os.environ.get("HOOK_DIE_ALWAYS", "").split(",") or (
            attempt == 1 and student in os.environ.get("HOOK_DIE_ONCE", "").split(",")):
        os.kill(os.getpid(), signal.SIGKILL)
    return grade_entry(entry, student, *args)


def grade_with_changed_check(entry, student, *args):
    """The check ``HOOK_FAIL_CHECK`` ("question/check name") fails for everyone from now on."""
    from grader import questions  # noqa: F401 - registers the public checks
    from grader.checks import REGISTRY, CheckFailed

    def fails(ctx):
        raise CheckFailed("this check was changed by the instructor")

    target = os.environ["HOOK_FAIL_CHECK"]
    hits = [c for c in REGISTRY if f"{c.question}/{c.name}" == target]
    assert hits, f"no check {target}"
    for c in hits:
        c.fn = fails
    return grade_entry(entry, student, *args)
