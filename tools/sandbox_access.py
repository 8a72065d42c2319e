"""Let the grader's unprivileged sandbox user run this interpreter (root only).

Student code never runs as root: under root the grader runs it as ``nobody`` (or
GRADER_SANDBOX_USER), which must be able to start this Python and import NumPy. Where the
interpreter lives under a closed folder (pyenv under /root, mode 700), this adds the traverse
bit (o+x, not read: nothing can be listed) to each folder above the interpreter and the virtual
environment that lacks it, prints what it changed, and checks the result.

Usage: ``.venv/bin/python tools/sandbox_access.py`` (``make sandbox-access`` does this).
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "autograder"))
from grader.access import SandboxUnavailable, sandbox_user  # noqa: E402


def closed_ancestors(paths) -> list[Path]:
    """Folders above ``paths`` (and the paths themselves) that other users cannot traverse."""
    out = []
    for p in paths:
        for folder in [Path(p)] + list(Path(p).parents):
            if folder.is_dir() and not folder.stat().st_mode & stat.S_IXOTH and folder not in out:
                out.append(folder)
    return out


def main() -> int:
    if os.geteuid() != 0:
        print("not root: the grader's children run as you; nothing to do")
        return 0
    targets = {sys.prefix, sys.base_prefix, os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix)}
    for folder in closed_ancestors(sorted(targets)):
        folder.chmod(folder.stat().st_mode | stat.S_IXOTH)
        print(f"sandbox access: added o+x (traverse only) to {folder}")
    try:
        uid, _ = sandbox_user()
    except SandboxUnavailable as exc:
        print(f"sandbox access: still unavailable: {exc}", file=sys.stderr)
        return 1
    print(f"sandbox access: children run as uid {uid}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
