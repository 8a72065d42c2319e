"""A regrade against the grades before it: who changed, by how much, and which checks flipped, so
an instructor who fixes a check sees exactly whom it touched (``grade --compare PREVIOUS_OUT``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.instructor.csvsafe import write_csv
from grader.instructor.records import Record


@dataclass
class Change:
    student: str
    name: str
    before: float | None  # None: not in that gradebook
    after: float | None
    status: str  # "before -> after" where the status changed, else ""
    flipped: list[str]  # "question/check: passed -> failed"

    @property
    def points(self) -> float:
        return round((self.after or 0.0) - (self.before or 0.0), 4)


def compare(before: list[Record], after: list[Record]) -> list[Change]:
    """Every student whose total, status or any check's verdict differs (or who is in one gradebook only)."""
    old, new = {r.student: r for r in before}, {r.student: r for r in after}
    changes = []
    for student in sorted(set(old) | set(new)):
        a, b = old.get(student), new.get(student)
        if a is None or b is None:
            r = a or b
            changes.append(Change(student, r.name, a and a.total, b and b.total, "only before" if b is None else "only now", []))
            continue
        flipped = [f"{k}: {a.checks.get(k, 'absent')} -> {b.checks.get(k, 'absent')}"
                   for k in sorted(set(a.checks) | set(b.checks)) if a.checks.get(k) != b.checks.get(k)]
        status = f"{a.status} -> {b.status}" if a.status != b.status else ""
        if flipped or status or abs(a.total - b.total) > 1e-9:
            changes.append(Change(student, b.name, a.total, b.total, status, flipped))
    return changes


def write_changes(path: Path, changes: list[Change]) -> None:
    """changes.csv: the change as a direction and a size (no signed numbers: no cell starts with ``-``)."""
    rows = [[c.student, c.name, "" if c.before is None else c.before, "" if c.after is None else c.after,
             "up" if c.points > 0 else "down" if c.points < 0 else "same", abs(c.points), c.status, "; ".join(c.flipped)]
            for c in changes]
    write_csv(path, ["student", "name", "before", "after", "direction", "points", "status", "checks flipped"], rows)


def changes_table(changes: list[Change], limit: int = 40) -> str:
    if not changes:
        return "No student's grade or checks changed since the previous gradebook."
    lines = [f"{len(changes)} student(s) changed since the previous gradebook:",
             f"{'student':<28}{'before':>8}{'after':>8}{'change':>9}  checks flipped"]
    for c in changes[:limit]:
        before = "-" if c.before is None else f"{c.before:g}"
        after = "-" if c.after is None else f"{c.after:g}"
        flips = "; ".join(c.flipped[:3]) + (f" (+{len(c.flipped) - 3} more)" if len(c.flipped) > 3 else "")
        lines.append(f"{c.student[:27]:<28}{before:>8}{after:>8}{c.points:>+9g}  {c.status + ' ' if c.status else ''}{flips}")
    if len(changes) > limit:
        lines.append(f"... and {len(changes) - limit} more (all in changes.csv)")
    return "\n".join(lines)
