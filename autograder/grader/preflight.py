"""Before any student code: push a known-good function through the whole path, so that a broken
grading environment stops with its cause instead of grading every student 0.

The probe goes where student code goes: the submission's template, a forked child, its
confinement (limits measured after the imports, the user, Landlock, seccomp), the package loader,
the pipes, and back. Its function allocates within the memory allowance, runs torch and NumPy,
and returns a value the grader checks. Any failure is a :class:`GraderFailure` with what to do.

:func:`check_environment` runs it on its own (``make grade`` before the first submission, ``make
check``); :func:`probe_once` runs it on the first submission's own template in each grading
process (``grade_submission``: a fork and two messages).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from grader.child_process import Child
from grader.runtime import wire
from grader.runtime.loader import compile_package
from grader.sandbox import ChildFailure, GraderFailure, Limits, Scratch, field_switches, remove_tree
from grader.template_process import Template

PROBE_ALLOCATION = 1 << 30
"""Bytes the probe allocates, of which it touches the first PROBE_TOUCHED: the limits must leave
honest code this much room, and a 768 MiB container must hold what is touched (touching a byte
per MiB would fill 2 MiB huge pages: the whole GiB)."""
PROBE_TOUCHED = 16 << 20

PROBE_SOURCE = f'''"""The grader's known-good probe (grader/preflight.py), run where student code runs."""
import numpy as np


def probe(x):
    """x: (2, 3) float64 -> 2 * x + 1, computed by torch after a {PROBE_ALLOCATION >> 20} MiB allocation."""
    room = np.empty({PROBE_ALLOCATION}, dtype=np.uint8)
    room[:{PROBE_TOUCHED}] = 1
    import torch

    y = torch.nn.functional.unfold(torch.from_numpy(x)[None, None], 1)
    return (2 * y + 1).numpy().reshape(x.shape)
'''

FIX = ("Nothing was graded. Check that this machine can run the grader (README: what a machine needs), "
       "reinstall with `make venv`, or ask the course staff.")


def probe(template: Template, scratch: Scratch, limits: Limits) -> dict:
    """Run the probe in a child of ``template``; the child's confinement facts (Landlock ABI,
    seccomp, the memory limits set). Raises GraderFailure with the cause."""
    folder = scratch.runner / "preflight"  # the runner folder is readable by every child
    folder.mkdir(mode=0o755, exist_ok=True)
    (folder / "probe.py").write_text(PROBE_SOURCE)
    (folder / "probe.py").chmod(0o644)
    child = Child(scratch, limits, template)
    try:
        child.start()
        setup = {"op": "setup", "seed": 0, "package_dir": str(folder), "module_functions": {"probe": ["probe"]},
                 "trusted": [], "numpy_only": False, "standins": {}, "modules": ["probe"], "import_seconds": 10.0,
                 "known_broken": {}, "compiled": compile_package(str(folder))}
        reply = child.request(setup, timeout=limits.start_seconds)
        if not reply.get("ok") or not (reply.get("modules") or {}).get("probe", {}).get("ok"):
            raise GraderFailure(f"the grader's probe could not be imported in the sandbox: {_error(reply)}")
        x = np.arange(6.0).reshape(2, 3)
        answer = child.request({"op": "call", "module": "probe", "func": "probe", "args": wire.encode([x]), "kwargs": wire.encode({})["__dict__"],
                                "probes": [], "torch": False, "noncontiguous": []}, timeout=max(limits.call_seconds, 30.0))
        if not answer.get("ok"):
            raise GraderFailure(f"the grader's probe failed in the sandbox: {_error(answer)}")
        got = wire.decode(answer.get("result"))
        if type(got) is not np.ndarray or got.shape != x.shape or not np.array_equal(got, 2 * x + 1):
            raise GraderFailure("the grader's probe returned a wrong value in the sandbox")
        return {"landlock_abi": child.landlock_abi, "seccomp": child.seccomp, **child.applied_limits}
    except GraderFailure:
        raise
    except ChildFailure as failure:  # it stopped or timed out: the sandbox cannot run code
        raise GraderFailure(f"the grader's probe did not finish in the sandbox ({failure.message})") from None
    finally:
        child.close()
        remove_tree(folder)


_PASSED: dict = {}  # (field switches, limits) -> the facts of this process's probe that passed


def probe_once(template: Template, scratch: Scratch, limits: Limits) -> dict:
    """:func:`probe` on the first submission this process grades; its facts after that (the
    environment does not change between submissions, and a sandbox that fails to start later is
    still the grader's failure: child_process.Child.start)."""
    key = (tuple(sorted(field_switches().items())), repr(limits))
    if key not in _PASSED:
        _PASSED[key] = probe(template, scratch, limits)
    return dict(_PASSED[key])


def check_environment(limits: Limits | None = None) -> dict:
    """The probe on a template of its own (NumPy and torch imported, as for a submission)."""
    limits = limits or Limits()
    from grader.access import sandbox_user

    user = sandbox_user()
    root = Path(tempfile.mkdtemp(prefix="conv-gemm-preflight-"))
    root.chmod(0o755)
    scratch = Scratch(root / "scratch", owner_uid=user[0] if user else None)
    template = Template(scratch, limits)
    try:
        scratch.prepare()
        return probe(template, scratch, limits)
    finally:
        template.close()
        remove_tree(root)


def _error(reply: dict) -> str:
    error = reply.get("error") or next((m.get("error") for m in (reply.get("modules") or {}).values()
                                        if isinstance(m, dict) and m.get("error")), None) or {}
    return f"{error.get('type', 'error')}: {str(error.get('message', ''))[:300]}" if isinstance(error, dict) else str(error)[:300]
