"""Today's layout: one folder or ``.zip`` per student, named after the student (GRADING.md, "A
submission"). Recognised last: whatever no LMS layout claims is read this way."""
from __future__ import annotations

from pathlib import Path

from grader.instructor.layouts.entry import Entry, visible

NAME = "plain"


def recognise(folder: Path) -> bool:
    return any(p.is_dir() or p.suffix.lower() == ".zip" for p in visible(folder))


def read(folder: Path) -> list[Entry]:
    entries = []
    for p in visible(folder):
        if p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"):
            key = p.name[:-4] if p.suffix.lower() == ".zip" else p.name
            entries.append(Entry(key=key, name=key, lms_id="", layout=NAME, sources=((str(p), ""),), submission=p.name))
    return entries
