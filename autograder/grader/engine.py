"""Grade one submission: every question, each in its own confined child, results as plain data."""
from __future__ import annotations

import importlib
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from grader import checks as checks_module
from grader import static, wire
from grader.checks import CheckFailed, Context, Reply, seeded_rng
from grader.common import ForbiddenUse
from grader.interface import (EXTRA_CREDIT, MAX_TOTAL, MODULE_FUNCTIONS, NUMPY_ONLY_MODULES, POINTS, QUESTION_FUNCTIONS,
                              QUESTION_IDS, TRUSTED_MODULES, functions_of, modules_of)
from grader.sandbox import Child, ChildFailure, Limits, Scratch, read_paths, sandbox_user
from grader.submission import Submission, extract_zip, locate, stage_package, student_name
from grader.trusted import trusted_files

DEFAULT_SEED = 20261124


def load_checks(include_hidden: bool) -> list[checks_module.Check]:
    """The registered checks; the hidden ones only where their module is present (never in the release)."""
    importlib.import_module("grader.public_checks")
    if include_hidden:
        try:
            importlib.import_module("grader.hidden_checks")
        except ModuleNotFoundError:
            pass
    return [c for c in checks_module.REGISTRY if include_hidden or c.public]


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


class QuestionRunner:
    """Runs one question's checks, reusing one child and replacing it when it fails."""

    def __init__(self, question: str, scratch: Scratch, limits: Limits, oracle: bool, seed: int = 0):
        self.question, self.scratch, self.limits, self.oracle, self.seed = question, scratch, limits, oracle, seed
        self.child: Child | None = None
        self.broken: str | None = None  # a failure that a fresh child would repeat (import hang, start failure)
        self.forbidden: list[str] = []
        self.import_errors: dict[str, dict] = {}
        self.landlock_abi = 0

    def _setup_message(self) -> dict:
        modules = modules_of(self.question)
        return {
            "op": "setup",
            "question": self.question,
            "seed": self.seed,
            "package_dir": str(self.scratch.package),
            "wired": QUESTION_FUNCTIONS[self.question] if self.oracle else sorted({f for fs in MODULE_FUNCTIONS.values() for f in fs}),
            "module_functions": MODULE_FUNCTIONS,
            "trusted": list(TRUSTED_MODULES),
            "numpy_only": bool(set(modules) & set(NUMPY_ONLY_MODULES)) and not set(modules) - set(NUMPY_ONLY_MODULES),
            "oracle_file": str(self.scratch.runner / "oracle.py") if self.oracle else None,
            "modules": modules,
        }

    def _ensure_child(self) -> None:
        if self.child is not None and self.child.alive:
            return
        if self.broken:
            raise ChildFailure("broken", self.broken)
        self.scratch.reset_work()
        child = Child(self.scratch, self.limits)
        try:
            child.start()
            reply = child.request(self._setup_message(), timeout=self.limits.start_seconds)
        except ChildFailure as failure:
            self.broken = f"importing your code failed: {failure.message}"
            child.close()
            raise ChildFailure(failure.kind, self.broken) from None
        self.landlock_abi = child.landlock_abi
        self.forbidden += reply.get("forbidden") or []
        self.import_errors = {m: r["error"] for m, r in (reply.get("modules") or {}).items() if not r.get("ok")}
        self.child = child

    def send(self, message: dict, timeout: float | None) -> Reply:
        try:
            self._ensure_child()
            module = message["module"]
            if module in self.import_errors:
                err = dict(self.import_errors[module])
                err["message"] = f"importing {module}.py failed: {err.get('type')}: {err.get('message', '')}"
                err["type"] = "ImportError"
                return Reply(error=err)
            raw = self.child.request(message, timeout)
        except ChildFailure as failure:
            self.child = None
            return Reply(error={"type": "ChildFailure", "message": failure.message})
        self.forbidden += raw.get("forbidden") or []
        if not raw.get("ok"):
            return Reply(error=raw.get("error") or {"type": "Error", "message": "unknown"}, forbidden=raw.get("forbidden") or [])
        try:
            value = wire.decode(raw.get("result"))
            probes = raw.get("probes") or {}
            if isinstance(probes.get("grads"), dict) and "values" in probes["grads"]:
                probes["grads"] = {"values": wire.decode(probes["grads"]["values"])}
        except (ValueError, TypeError, KeyError) as exc:
            return Reply(error={"type": "ChildFailure", "message": f"the result could not be read back ({exc})"})
        return Reply(value=value, probes=probes, seconds=float(raw.get("seconds") or 0))

    def close(self):
        if self.child is not None:
            self.child.close()
            self.child = None


def grade_submission(source: Path, *, seed: int = DEFAULT_SEED, include_hidden: bool = True, oracle: bool = True,
                     limits: Limits | None = None, questions=None, student: str | None = None) -> dict:
    """Grade the folder or zip ``source``. Never raises for anything the submission does."""
    started = time.monotonic()
    source = Path(source)
    limits = limits or Limits()
    student = student or student_name(source)
    root = Path(tempfile.mkdtemp(prefix="conv-gemm-grade-"))
    os.chmod(root, 0o755)
    user = sandbox_user()
    scratch = Scratch(root / "scratch", oracle=oracle, owner_uid=user[0] if user else None)
    problems = []
    try:
        scratch.prepare()
        if source.is_file() and source.suffix == ".zip":
            unpacked = root / "unpacked"
            unpacked.mkdir()
            problems += extract_zip(source, unpacked)
            sub = locate(unpacked, student)
        elif source.is_dir():
            sub = locate(source, student)
        else:
            sub = Submission(student, None, None, [f"{source.name} is neither a folder nor a .zip"])
        problems += sub.problems
        stage_package(sub, scratch.package, trusted_files())
        problems += [p for p in sub.problems if p not in problems]
        static_hits = static.scan_submission(sub.package_dir)
        cuda = cuda_available()
        import torch

        torch.manual_seed(seed)  # expected values use no randomness today; this keeps it so if one ever does
        all_checks = load_checks(include_hidden)
        wanted = [q for q in QUESTION_IDS if questions is None or q in questions]
        results, landlock = {}, 0
        for q in wanted:
            if q == "notebook":
                results[q] = grade_notebook_question(sub, scratch, limits)
                continue
            results[q], abi = grade_question(q, [c for c in all_checks if c.question == q], sub, scratch, limits, seed, oracle, cuda, static_hits)
            landlock = max(landlock, abi)
        total = round(sum(r["score"] for r in results.values()), 4)
        return {
            "student": student,
            "seed": seed,
            "mode": "grade" if include_hidden else "check",
            "total": total,
            "max_total": MAX_TOTAL if questions is None else sum(POINTS[q] for q in wanted if q not in EXTRA_CREDIT),
            "questions": results,
            "problems": problems,
            "environment": environment(landlock, user, cuda),
            "seconds": round(time.monotonic() - started, 3),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def environment(landlock: int, user, cuda: bool) -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cuda": cuda,
        "landlock_abi": landlock,
        "sandbox_user": user[0] if user else None,
    }


def grade_question(q, question_checks, sub, scratch, limits, seed, oracle, cuda, static_hits) -> tuple[dict, int]:
    points = POINTS[q]
    entry = {"score": 0.0, "max_score": points, "extra_credit": q in EXTRA_CREDIT, "checks": [], "forbidden": [], "problems": []}
    fns = set(functions_of(q))
    for module in modules_of(q):
        for function, message in static_hits.get(module, []):
            if function is None or function in fns:
                entry["forbidden"].append(message)
    missing = [m for m in modules_of(q) if not sub.has_module(m)]
    runner = None if entry["forbidden"] or missing else QuestionRunner(q, scratch, limits, oracle, seed)
    active_weight = sum(c.weight for c in question_checks if not _skipped(c, cuda))
    for c in question_checks:
        record = {"name": c.name, "public": c.public, "weight": c.weight, "passed": False, "skipped": False, "feedback": "", "seconds": 0.0}
        if _skipped(c, cuda):
            record.update(skipped=True, feedback="skipped: needs CUDA" if c.needs_cuda else "skipped: CUDA is present (this check is for machines without it)")
        elif missing:
            record["feedback"] = f"{', '.join(m + '.py' for m in missing)} missing from the submission"
        elif entry["forbidden"]:
            record["feedback"] = "not run: forbidden shortcut (see below)"
        else:
            t0 = time.monotonic()
            ctx = Context(c, seeded_rng(seed, c.id), runner.send)
            try:
                c.fn(ctx)
                record["passed"] = True
            except CheckFailed as failure:
                record["feedback"] = str(failure)
                if failure.detail:
                    record["detail"] = failure.detail  # structured facts for results.py (public checks only)
            except ForbiddenUse as forbidden:
                entry["forbidden"].append(str(forbidden))
                record["feedback"] = str(forbidden)
            except Exception as exc:  # noqa: BLE001 - a grader bug must not cost the whole submission
                record["feedback"] = f"the grader could not finish this check ({type(exc).__name__}); please report it"
            record["seconds"] = round(time.monotonic() - t0, 3)
            if runner.forbidden:
                entry["forbidden"] += [f"at run time: {event}" for event in runner.forbidden]
                runner.forbidden = []
        record["max_score"] = 0.0 if record["skipped"] or not active_weight else points * c.weight / active_weight
        record["score"] = record["max_score"] if record["passed"] else 0.0
        entry["checks"].append(record)
    abi = runner.landlock_abi if runner else 0
    if runner is not None:
        runner.close()
    entry["forbidden"] = list(dict.fromkeys(entry["forbidden"]))
    if entry["forbidden"]:
        for record in entry["checks"]:
            record["score"], record["passed"] = 0.0, False
    if missing:
        entry["problems"].append(f"{', '.join(m + '.py' for m in missing)} not found in the submission")
    entry["score"] = round(sum(r["score"] for r in entry["checks"]), 4)
    return entry, abi


def _skipped(c, cuda: bool) -> bool:
    return (c.needs_cuda and not cuda) or (c.skip_with_cuda and cuda)


def grade_notebook_question(sub: Submission, scratch: Scratch, limits: Limits) -> dict:
    points = POINTS["notebook"]
    entry = {"score": 0.0, "max_score": points, "extra_credit": False, "checks": [], "forbidden": [], "problems": [], "manual": []}
    if sub.notebook is None:
        entry["checks"].append({"name": "conv_gemm.ipynb", "public": True, "weight": 1, "passed": False, "skipped": False,
                                "feedback": "conv_gemm.ipynb missing from the submission", "seconds": 0.0, "score": 0.0, "max_score": points})
        return entry
    try:
        from grader.notebook import grade_notebook
    except ImportError:
        entry["problems"].append("notebook grading is not available in this grader")
        return entry
    t0 = time.monotonic()
    try:
        # the notebook's kernel runs student code: same Landlock read/write confinement as the
        # children (TCP stays open: the kernel and its client talk over localhost)
        result = grade_notebook(sub.notebook, package_dir=scratch.package, read_paths=read_paths())
    except Exception as exc:  # noqa: BLE001
        result = {"score": 0, "max_score": 0, "tests": [], "manual": [], "error": f"{type(exc).__name__}: {exc}"}
    otter_max = float(result.get("max_score") or 0)
    scale = points / otter_max if otter_max else 0.0
    for t in result.get("tests") or []:
        passed = float(t.get("score") or 0) >= float(t.get("max_score") or 0) > 0
        entry["checks"].append({"name": str(t.get("name")), "public": t.get("visibility", "visible") != "hidden", "weight": float(t.get("max_score") or 0),
                                "passed": passed, "skipped": False, "feedback": "" if passed else str(t.get("output") or "")[:2000],
                                "seconds": 0.0, "score": float(t.get("score") or 0) * scale, "max_score": float(t.get("max_score") or 0) * scale})
    if result.get("error"):
        entry["problems"].append(str(result["error"])[:500])
        if not entry["checks"]:
            entry["checks"].append({"name": "conv_gemm.ipynb", "public": True, "weight": 1, "passed": False, "skipped": False,
                                    "feedback": str(result["error"])[:500], "seconds": 0.0, "score": 0.0, "max_score": points})
    entry["manual"] = result.get("manual") or []
    entry["score"] = round(min(points, float(result.get("score") or 0) * scale), 4)
    entry["seconds"] = round(time.monotonic() - t0, 3)
    return entry
