"""One student of a class folder, as a layout reads it: who (name, LMS id), what (the files that
are theirs, and the name each has inside their submission) and whether the export marked it late."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """``key``: what the gradebook name and the seed derive from (unique in the class);
    ``sources``: (path in the class folder, name inside the staged submission; "" keeps a
    folder's or zip's own contents at the top); ``submission``: the export's own name for it."""

    key: str
    name: str
    lms_id: str
    layout: str
    sources: tuple[tuple[str, str], ...]
    submission: str
    late: bool = False


def visible(folder: Path) -> list[Path]:
    """The class folder's entries, sorted, without hidden ones (``.x``, ``_x``, ``__MACOSX``)."""
    return [p for p in sorted(Path(folder).iterdir()) if not p.name.startswith((".", "_"))]
