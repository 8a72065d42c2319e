"""Who a submission belongs to, and the per-student seed of its hidden inputs.

Gradescope writes ``$AUTOGRADER_ROOT/submission_metadata.json`` (documented fields used here:
``users: [{id, name, email}]`` and ``assignment: {id, title}``). Locally a submission is
identified by its folder name. The seed is a hash of the assignment and the student, so it is
the same for one student across resubmissions and differs between students; a hidden input
leaked by one student is worth nothing to another.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

ASSIGNMENT = "conv-gemm"
"""The assignment key used when Gradescope's metadata names none (local grading)."""

MAX_METADATA_BYTES = 4 << 20  # the file also holds previous submissions' results; we never need more


@dataclass(frozen=True)
class Identity:
    """``key``: what the seed derives from (sorted Gradescope user ids, or the folder name);
    ``name``: for logs only; ``source``: where the key came from."""

    key: str
    name: str
    source: str
    user_ids: list[str] = field(default_factory=list)
    assignment: str = ASSIGNMENT


def derive_seed(assignment: str, student_key: str) -> int:
    """A stable seed in [0, 2**53): sha256 of the assignment and the student key.

    53 bits, so the value survives any JSON reader (Gradescope's pages included) exactly.
    """
    digest = hashlib.sha256(f"conv-gemm-seed\0{assignment}\0{student_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 11


def read_submission_metadata(path: Path) -> dict | None:
    """The parsed metadata, or None when the file is missing, too large or not a JSON object."""
    try:
        path = Path(path)
        if not path.is_file() or path.stat().st_size > MAX_METADATA_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def gradescope_identity(metadata: dict | None, fallback: str) -> Identity:
    """The identity from Gradescope's metadata; ``fallback`` (a folder name) when it has no user ids.

    Group submissions: every member's id, sorted, so the group keeps its seed whoever uploads.
    """
    metadata = metadata if isinstance(metadata, dict) else {}
    users = metadata.get("users")
    users = [u for u in users if isinstance(u, dict)] if isinstance(users, list) else []
    ids = sorted({str(u["id"]) for u in users if isinstance(u.get("id"), (int, str)) and not isinstance(u.get("id"), bool) and str(u["id"])})
    names = [str(u["name"]) for u in users if isinstance(u.get("name"), str) and u["name"].strip()]
    assignment = metadata.get("assignment")
    assignment_id = assignment.get("id") if isinstance(assignment, dict) else None
    assignment_key = f"gradescope:{assignment_id}" if isinstance(assignment_id, (int, str)) and not isinstance(assignment_id, bool) else ASSIGNMENT
    if not ids:
        return local_identity(fallback)
    return Identity(key="gradescope-users:" + ",".join(ids), name=", ".join(names)[:200] or ",".join(ids),
                    source="gradescope user ids", user_ids=ids, assignment=assignment_key)


def local_identity(folder_name: str) -> Identity:
    """A local submission: the student is the folder (or zip) name, as in the gradebook."""
    return Identity(key=f"folder:{folder_name}", name=folder_name, source="submission folder name")


def seed_for(identity: Identity) -> int:
    return derive_seed(identity.assignment, identity.key)


def seed_record(identity: Identity, seed: int, overridden: bool = False) -> dict:
    """What goes into results.json's extra_data: how the seed was chosen (no names, no emails)."""
    return {"seed": seed, "seed_source": "--seed (explicit)" if overridden else identity.source,
            "assignment": identity.assignment, "user_ids": list(identity.user_ids)}
