"""The package template kept from one submission to the next within a grading process.

A package template imports NumPy and torch before it forks its first child: about 2 s of CPU
time, most of what grading a package costs (the checks themselves take about 1.5 s). A class
graded by `make grade` (each worker grading one submission after another) or a test session
would pay it again for every submission. So the template of a submission, and the scratch
folder it was started in, are kept for the next submission of the same process when nothing a
child did can reach that next submission:

- every child ran as another user (the sandbox user, under root), or Landlock kept its writes
  in its own work folder and it could signal no process outside its own group (seccomp, or
  Landlock's signal scoping); a grader that is neither root nor confined keeps nothing;
- the template still runs, no GraderFailure ended the grading, and the notebook was not graded
  (the package template is closed before the notebook's run, to keep memory low);
- the next submission wants the same environment (limits, sandbox user, field switches).

Between two submissions the scratch folder is emptied but for the runtime code the template
imported (``runner/``): the package staged, every child's work folder, the template's home.
A template runs no student code and a forked child is a fresh copy of it, so a kept template
gives the next submission exactly what a new one would.
"""
from __future__ import annotations

import tempfile
import threading
from multiprocessing.util import Finalize
from pathlib import Path

from grader.reaper import reap_orphans
from grader.sandbox import Limits, Scratch, child_environment, remove_tree
from grader.template_process import Template

_kept: tuple[Scratch, Template] | None = None
_LOCK = threading.Lock()  # submissions graded side by side in threads: one keeps its template, the others' end


def _swap(new: tuple[Scratch, Template] | None) -> tuple[Scratch, Template] | None:
    """Put ``new`` in the place of the kept pair (under the lock); the pair that was there."""
    global _kept
    with _LOCK:
        old, _kept = _kept, new
    return old


def take(limits: Limits, user: tuple[int, int] | None) -> tuple[Scratch, Template]:
    """A scratch folder, prepared, and its package template (launched, not necessarily ready):
    the kept ones if they fit ``limits`` and ``user``, else new ones."""
    kept = _swap(None)
    if kept is not None:
        scratch, template = kept
        if (template.alive and template.limits == limits and scratch.owner_uid == _uid(user)
                and template.env == child_environment(scratch, limits)):
            return scratch, template
        discard(scratch, template)
    root = Path(tempfile.mkdtemp(prefix="conv-gemm-scratch-"))
    root.chmod(0o755)
    scratch = Scratch(root, owner_uid=_uid(user))
    scratch.prepare()
    template = Template(scratch, limits)
    template.launch()  # it imports NumPy and torch while the grader stages the submission
    return scratch, template


def give_back(scratch: Scratch, template: Template, *, keep: bool) -> None:
    """After a submission: keep both for the next one (``keep`` and the template still runs), or
    end the template and remove the folder."""
    if not (keep and template.alive):
        discard(scratch, template)  # closing the template reaps what its children left
        return
    reap_orphans()  # whatever a child left running is gone before anything is kept
    try:
        scratch.reset()
    except OSError:  # a folder a child left that cannot be removed: start afresh next time
        discard(scratch, template)
        return
    crowded = _swap((scratch, template))  # another thread's pair, kept meanwhile: it ends
    if crowded is not None:
        discard(*crowded)


def kept() -> Template | None:
    """The template kept for the next submission, if any."""
    kept_now = _kept
    return None if kept_now is None else kept_now[1]


def confined_from_each_other(confinement: dict, user) -> bool:
    """Whether a child on this machine can leave nothing for the next submission's children: it
    runs as another user, or Landlock confines its writes and it can signal only its own group.
    ``confinement``: preflight's facts (``landlock_abi``, ``seccomp``)."""
    if user is not None:
        return True
    abi = int(confinement.get("landlock_abi") or 0)
    return abi >= 1 and (bool(confinement.get("seccomp")) or abi >= 6)


def discard(scratch: Scratch, template: Template) -> None:
    template.close()
    remove_tree(scratch.root)


def discard_kept() -> None:
    """End the kept template (when the process ends; a worker's atexit does not run, this does)."""
    kept = _swap(None)
    if kept is not None:
        discard(*kept)


def _uid(user) -> int | None:
    return user[0] if user else None


Finalize(None, discard_kept, exitpriority=10)  # run at exit by the main process and by multiprocessing's workers
