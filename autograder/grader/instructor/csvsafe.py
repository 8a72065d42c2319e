"""CSV for spreadsheets that never turns a cell into a formula: a cell whose text begins (after
any spaces) with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or their full-width
forms, is written with a leading apostrophe, which spreadsheets show as text. Every CSV the
gradebook writes goes through :func:`write_csv`."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from grader.results import write_text_atomic

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value) -> str:
    """The cell's text; numbers as written (``g`` format), text defused where it could start a formula."""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, (int, float)):
        text = f"{value:g}"
    else:
        text = "" if value is None else str(value)
    if text.startswith(TRIGGERS) or text.lstrip(" ").startswith(TRIGGERS):
        return "'" + text
    return text


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """``rows`` under ``header``, every cell through safe_cell; written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF ends a row; a CR or LF inside a cell is quoted
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    write_text_atomic(Path(path), buffer.getvalue())
