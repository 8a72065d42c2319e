"""Gradescope's "Export Submissions" (a programming assignment): one folder ``submission_<id>/``
per submission, as uploaded, and ``submission_metadata.yml`` beside them, mapping each folder
name to ``:submitters:`` (each with ``:name:``, ``:sid:``, ``:email:``), ``:created_at:`` and
``:score:``. A group submission lists every member. The row's id is the members' student ids
(``:sid:``), or their emails where the course has no student ids.

Recognised by ``submission_metadata.yml`` beside ``submission_<id>`` folders.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.instructor.layouts.entry import Entry, visible

NAME = "gradescope"
METADATA = "submission_metadata.yml"
FOLDER = re.compile(r"^submission_(?P<id>\d+)$")
MAX_METADATA_BYTES = 16 << 20


def recognise(folder: Path) -> bool:
    return (folder / METADATA).is_file() and any(p.is_dir() and FOLDER.match(p.name) for p in visible(folder))


def read_metadata(path: Path) -> dict:
    """The parsed YAML ({} when missing, too large or not a mapping): plain YAML, no tags run."""
    import yaml

    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            return {}
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _field(d: dict, key: str) -> str:
    value = d.get(f":{key}", d.get(key))
    return str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def read(folder: Path) -> list[Entry]:
    metadata = read_metadata(folder / METADATA)
    entries = []
    for p in visible(folder):
        m = FOLDER.match(p.name)
        if not (p.is_dir() and m):
            continue
        meta = metadata.get(p.name)
        meta = meta if isinstance(meta, dict) else {}
        people = meta.get(":submitters", meta.get("submitters"))
        people = [s for s in people if isinstance(s, dict)] if isinstance(people, list) else []
        names = [n for s in people if (n := _field(s, "name"))]
        ids = [i for s in people if (i := _field(s, "sid") or _field(s, "email"))]
        lms_id = ";".join(ids)
        key = f"{names[0] if names else 'submission'}_{ids[0] if ids else m.group('id')}"
        entries.append(Entry(key=key, name=", ".join(names) or p.name, lms_id=lms_id, layout=NAME,
                             sources=((str(p), ""),), submission=p.name))
    return entries
