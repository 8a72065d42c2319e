"""The class folder as a learning-management system exports it, one module per layout.

Each layout module has ``NAME``, ``recognise(folder) -> bool`` and ``read(folder) -> [Entry]``.
:func:`read_class` tries them in :data:`ORDER` (the most specific naming first, the plain layout
last) unless one is named, and looks one folder down when the class folder only wraps the
export (an LMS zip unpacked into a folder of its own).
"""
from __future__ import annotations

from pathlib import Path

from grader.instructor.layouts import blackboard, canvas, classroom, gradescope, moodle, plain
from grader.instructor.layouts.entry import Entry, visible

ORDER = (gradescope, moodle, blackboard, canvas, classroom, plain)
LAYOUTS = {m.NAME: m for m in ORDER}


class ClassFolderError(ValueError):
    """The class folder cannot be graded: missing, unreadable, or nothing in it is a submission."""


def detect(folder: Path) -> str:
    """The name of the first layout that recognises ``folder`` ("plain" when none does)."""
    return next((m.NAME for m in ORDER if m.recognise(folder)), plain.NAME)


def read_class(folder: Path, layout: str | None = None) -> tuple[str, list[Entry]]:
    """(layout name, one Entry per student); ``layout``: one of LAYOUTS, or None to recognise it.
    Raises ClassFolderError with what is wrong when no student is found."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ClassFolderError(f"{folder} is not a folder of submissions")
    if layout is not None and layout not in LAYOUTS:
        raise ClassFolderError(f"unknown layout {layout!r}; one of: {', '.join(LAYOUTS)}")
    inner = visible(folder)
    if layout is None and len(inner) == 1 and inner[0].is_dir() and detect(inner[0]) != plain.NAME:
        folder = inner[0]  # the export's own folder inside the class folder
    name = layout or detect(folder)
    entries = LAYOUTS[name].read(folder)
    if not entries:
        shown = ", ".join(p.name for p in visible(folder)[:5]) or "nothing"
        raise ClassFolderError(f"no submission found in {folder} read as the {name} layout (it holds: {shown}); "
                               f"expected {LAYOUTS[name].__doc__.strip().splitlines()[0][:200]}")
    return name, entries


__all__ = ["ClassFolderError", "Entry", "LAYOUTS", "ORDER", "detect", "read_class"]
