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
from grader import guard, static, wire
from grader.checks import CheckFailed, Context, Reply, seeded_rng
from grader.common import ForbiddenUse
from grader.interface import (EXTRA_CREDIT, MAX_TOTAL, MODULE_FUNCTIONS, NUMPY_ONLY_MODULES, POINTS, PREREQUISITES,
                              QUESTION_IDS, TRUSTED_MODULES, functions_of, modules_of)
from grader.rules import FORBIDDEN_NUMPY_CALLS, FORBIDDEN_PACKAGES
from grader.access import read_paths, sandbox_user
from grader.reaper import become_subreaper
from grader.sandbox import Child, ChildFailure, Limits, Scratch, Template
from grader.standins import TIMED_BY, benchmark_delays, standin_source
from grader.submission import Submission, extract_zip, locate, stage_package, student_name
from grader.trusted import trusted_files

DEFAULT_SEED = 20261124
DEFAULT_BUDGET_SECONDS = 480.0
"""The whole submission is graded within this (Gradescope's default limit is 600 s)."""
QUESTION_COST = {"notebook": 3.0, "benchmark": 1.5}
"""Relative share of the remaining budget a question may use (others 1)."""


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


FORBIDDEN_EVENTS = {
    "import": (FORBIDDEN_PACKAGES, "{} was imported while a NumPy task ran (the NumPy tasks must use NumPy only)"),
    "call": (FORBIDDEN_PACKAGES, "{} code ran inside a NumPy task (the NumPy tasks must use NumPy only)"),
    "numpy": (FORBIDDEN_NUMPY_CALLS, "numpy.{} was called (a library convolution is not allowed here)"),
}
TAMPER_EVENTS = set(guard.EVENTS) | guard.FRAME_ATTRIBUTES


def tamper_reason(event: str) -> str:
    if event.startswith(("socket", "subprocess", "os.", "pty", "signal")):
        return "graded code may not start processes, send signals or open sockets"
    if event in ("sys.settrace", "sys.setprofile", "module_state"):
        return "it switches off or rewires the grader's measurements"
    return "it reaches the grader's own state"


class CallEvents:
    """A child's typed events for one call, read from its event pipe and checked against the vocabulary."""

    def __init__(self, events: list[tuple[str, str]], pipe_closed: bool = False):
        self.forbidden: list[str] = []
        self.tamper: list[str] = []
        self.conv_ops: list[str] = []
        self.multiplications = 0
        if pipe_closed:
            self.tamper.append("the grader's event pipe was closed by the code being graded")
        for kind, detail in events:
            if kind in FORBIDDEN_EVENTS and detail in FORBIDDEN_EVENTS[kind][0]:
                self.forbidden.append(FORBIDDEN_EVENTS[kind][1].format(detail))
            elif kind == "torchop":
                self.forbidden.append("torch ran inside a NumPy task (the NumPy tasks must use NumPy only)")
            elif kind == "op":
                self.conv_ops.append(detail[:80])
            elif kind == "mult" and detail.isdigit():
                self.multiplications += int(detail)
            elif kind == "tamper" and detail in TAMPER_EVENTS:
                self.tamper.append(f"your code tried {detail}, which the grader refuses while it grades ({tamper_reason(detail)})")
            else:
                self.tamper.append("the grader's event pipe received text it did not write (tampering with the grader?)")
        self.forbidden = list(dict.fromkeys(self.forbidden))
        self.tamper = list(dict.fromkeys(self.tamper))[:5]


class QuestionRunner:
    """Runs one question's calls, each in a child that holds the stand-ins for exactly that
    function's declared prerequisites (children with the same stand-ins are shared across the
    question's checks, and replaced after a failure).

    ``deadline``: the monotonic time by which this question's share of the budget is spent.
    ``known_broken``: modules whose import timed out in an earlier child (shared by the
    submission's questions, so a hang at import is paid once).
    """

    def __init__(self, question: str, scratch: Scratch, limits: Limits, oracle: bool, seed: int,
                 deadline: float, known_broken: dict, template: Template):
        self.question, self.scratch, self.limits, self.oracle, self.seed = question, scratch, limits, oracle, seed
        self.template = template
        self.deadline, self.known_broken = deadline, known_broken
        self.delays = benchmark_delays(seed)
        self.children: dict[tuple, Child] = {}
        self.broken: dict[tuple, str] = {}  # a failure that a fresh child would repeat (import hang, start failure)
        self.import_errors: dict[tuple, dict] = {}
        self.timed_out: dict[str, str] = {}  # function -> the message of its first timeout
        self.run_init = True  # False once __init__.py has stopped a child
        self.seccomp = False
        self.forbidden: list[str] = []
        self.tamper: list[str] = []
        self.problems: list[str] = []
        self.landlock_abi = 0

    def _key(self, message: dict) -> tuple:
        names = PREREQUISITES[message["func"]] if self.oracle else ()
        timed = TIMED_BY.get(message["func"], ())
        return names, tuple((f, self.delays[f]) for f in timed)

    def _setup_message(self, key: tuple) -> dict:
        names, delays = key
        modules = modules_of(self.question)
        numpy_only = bool(set(modules) & set(NUMPY_ONLY_MODULES)) and not set(modules) - set(NUMPY_ONLY_MODULES)
        standins = {"source": standin_source(names) if names else "", "names": list(names), "delays": dict(delays)}
        return {
            "op": "setup",
            "seed": self.seed,
            "package_dir": str(self.scratch.package),
            "module_functions": MODULE_FUNCTIONS,
            "trusted": list(TRUSTED_MODULES),
            "numpy_only": numpy_only,
            "standins": standins,
            "modules": modules,
            "import_seconds": min(10.0, self.limits.start_seconds / 3),
            "known_broken": self.known_broken,
        }

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _child(self, key: tuple) -> Child:
        child = self.children.get(key)
        if child is not None and child.alive:
            return child
        for other in [k for k in self.children if k != key]:  # one child at a time (memory): forks are cheap
            done = self.children.pop(other)
            done.close()
            self._note(CallEvents(done.leftover_events))
        if key in self.broken:
            raise ChildFailure("broken", self.broken[key])
        try:
            child, reply = self._start(key, run_init=self.run_init)
        except ChildFailure as failure:
            if not self.run_init or failure.message == OUT_OF_TIME:
                self.broken[key] = f"importing your code failed: {failure.message}"
                raise ChildFailure(failure.kind, self.broken[key]) from None
            # __init__.py imports every module: one that kills or hangs the process at import must
            # cost only its own questions, so load this question's modules without __init__.py
            self.run_init = False
            self.problems.append(f"running __init__.py stopped the process ({failure.message}); this question was graded "
                                 "without it")
            return self._child(key)
        self.landlock_abi = child.landlock_abi
        self.seccomp = child.seccomp
        self._note(self._events(child))
        modules = reply.get("modules") if type(reply.get("modules")) is dict else {}
        self.import_errors[key] = {m: r.get("error") or {} for m, r in modules.items() if type(r) is dict and not r.get("ok")}
        everywhere = reply.get("import_errors") if type(reply.get("import_errors")) is dict else {}
        for m, err in {**everywhere, **self.import_errors[key]}.items():
            if m in MODULE_FUNCTIONS and type(err) is dict and err.get("type") == "ImportTimeout":
                self.known_broken[m] = {"type": "ImportTimeout", "message": str(err.get("message"))[:200]}
        if type(reply.get("init_error")) is dict:
            err = reply["init_error"]
            self.problems.append(f"__init__.py raised {str(err.get('type'))[:80]}: {str(err.get('message'))[:300]} "
                                 "(the package was still loaded; only what depends on the failing lines is affected)")
        self.children[key] = child
        return child

    def _start(self, key: tuple, run_init: bool) -> tuple[Child, dict]:
        if self._remaining() <= 0:
            raise ChildFailure("timeout", OUT_OF_TIME)
        self.scratch.reset_work()
        child = Child(self.scratch, self.limits, self.template)
        try:
            child.start(min(self.limits.start_seconds, self._remaining()))
            message = dict(self._setup_message(key), run_init=run_init)
            return child, child.request(message, timeout=min(self.limits.start_seconds, max(self._remaining(), 0.1)))
        except BaseException as exc:  # a failure of any kind ends the child and everything it started
            child.close()
            self._note(CallEvents(child.leftover_events))
            if isinstance(exc, ChildFailure):
                raise
            raise ChildFailure("protocol", f"the child's answer could not be used ({type(exc).__name__})") from None

    @staticmethod
    def _events(child: Child) -> CallEvents:
        events, closed = child.read_events()
        return CallEvents(child.leftover_events + events, closed)

    def _note(self, events: CallEvents) -> CallEvents:
        self.forbidden += [f"at run time: {text}" for text in events.forbidden]
        self.tamper += events.tamper
        return events

    def send(self, message: dict, timeout: float | None) -> Reply:
        func = message["func"]
        if func in self.timed_out:  # the rest of a function's checks fail at once, with the same message
            return Reply(error={"type": "ChildFailure", "message": self.timed_out[func]})
        key = self._key(message)
        try:
            child = self._child(key)
            module = message["module"]
            if module in self.import_errors.get(key, {}):
                err = self.import_errors[key][module]
                return Reply(error={"type": "ImportError", "frames": err.get("frames") or [],
                                    "message": f"importing {module}.py failed: {err.get('type')}: {err.get('message', '')}"})
            budget = self.limits.call_seconds if timeout is None else timeout
            if self._remaining() < budget:
                budget = max(self._remaining(), 0.0)
                if budget <= 0:
                    raise ChildFailure("timeout", OUT_OF_TIME)
            raw = child.request(message, budget)
        except ChildFailure as failure:
            dead = self.children.pop(key, None)
            if dead is not None:
                self._note(CallEvents(dead.leftover_events))
            if failure.kind == "timeout":
                self.timed_out[func] = failure.message
            return Reply(error={"type": "ChildFailure", "message": failure.message})
        events = self._note(self._events(child))
        if not raw.get("ok"):
            error = raw.get("error") if type(raw.get("error")) is dict else {"type": "Error", "message": "unknown"}
            return Reply(error=error)
        try:
            value = wire.decode(raw.get("result"))
            probes = raw.get("probes") if type(raw.get("probes")) is dict else {}
            if isinstance(probes.get("grads"), dict) and "values" in probes["grads"]:
                probes["grads"] = {"values": wire.decode(probes["grads"]["values"])}
            if "after_shift" in probes:
                probes["after_shift"] = wire.decode(probes["after_shift"])
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            return Reply(error={"type": "ChildFailure", "message": f"the result could not be read back ({type(exc).__name__})"})
        probes["conv_ops"], probes["multiplications"] = events.conv_ops, events.multiplications  # from the pipe only
        return Reply(value=value, probes=probes)

    def close(self):
        for child in self.children.values():
            child.close()
        self.children = {}


OUT_OF_TIME = "ran out of time: this question's share of the grading budget is spent"


def grade_submission(source: Path, *, seed: int = DEFAULT_SEED, include_hidden: bool = True, oracle: bool = True,
                     limits: Limits | None = None, questions=None, student: str | None = None,
                     budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> dict:
    """Grade the folder or zip ``source`` within ``budget_seconds``. Never raises for anything the submission does."""
    started = time.monotonic()
    end = started + budget_seconds
    source = Path(source)
    limits = limits or Limits()
    student = student or student_name(source)
    root = Path(tempfile.mkdtemp(prefix="conv-gemm-grade-"))
    os.chmod(root, 0o755)
    user = sandbox_user()
    scratch = Scratch(root / "scratch", owner_uid=user[0] if user else None)
    template = Template(scratch, limits)  # started at the first child; forks every child of this submission
    become_subreaper()  # what a child starts and leaves behind is adopted here, and killed
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
        stage_package(sub, scratch.package, trusted_files())
        problems += [p for p in sub.problems if p not in problems]
        static_hits = static.scan_submission(sub.package_dir)
        cuda = cuda_available()
        import torch

        torch.manual_seed(seed)  # expected values use no randomness today; this keeps it so if one ever does
        all_checks = load_checks(include_hidden)
        wanted = [q for q in QUESTION_IDS if questions is None or q in questions]
        results, landlock, seccomp, known_broken = {}, 0, False, {}
        # the notebook last, after the template is gone: the two never hold memory at once
        order = [q for q in wanted if q != "notebook"] + [q for q in wanted if q == "notebook"]
        for n, q in enumerate(order):
            weights = [QUESTION_COST.get(r, 1.0) for r in order[n:]]
            deadline = time.monotonic() + max(end - time.monotonic(), 0.0) * weights[0] / sum(weights)
            if q == "notebook":
                template.close()
                results[q] = grade_notebook_question(sub, scratch, limits, deadline)
                continue
            results[q], abi = grade_question(q, [c for c in all_checks if c.question == q], sub, scratch, limits, seed, oracle,
                                             cuda, static_hits, deadline, known_broken, template)
            landlock, seccomp = max(landlock, abi[0]), seccomp or abi[1]
        results = {q: results[q] for q in wanted}
        total = round(sum(r["score"] for r in results.values()), 4)
        return {
            "student": student,
            "seed": seed,
            "mode": "grade" if include_hidden else "check",
            "total": total,
            "max_total": MAX_TOTAL if questions is None else sum(POINTS[q] for q in wanted if q not in EXTRA_CREDIT),
            "questions": results,
            "problems": problems,
            "environment": environment(landlock, seccomp, user, cuda),
            "seconds": round(time.monotonic() - started, 3),
        }
    finally:
        template.close()
        shutil.rmtree(root, ignore_errors=True)


def environment(landlock: int, seccomp: bool, user, cuda: bool) -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "cuda": cuda,
        "landlock_abi": landlock,
        "seccomp": seccomp,
        "sandbox_user": user[0] if user else None,
    }


def grade_question(q, question_checks, sub, scratch, limits, seed, oracle, cuda, static_hits, deadline, known_broken, template) -> tuple[dict, tuple[int, bool]]:
    points = POINTS[q]
    entry = {"score": 0.0, "max_score": points, "extra_credit": q in EXTRA_CREDIT, "checks": [], "forbidden": [], "problems": [],
             "flags": []}
    fns = set(functions_of(q))
    for module in modules_of(q):
        for function, message in static_hits.get(module, []):
            if function is None or function in fns:
                entry["forbidden"].append(message)
    missing = [m for m in modules_of(q) if not sub.has_module(m)]
    runner = None if entry["forbidden"] or missing else QuestionRunner(q, scratch, limits, oracle, seed, deadline, known_broken, template)
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
            ctx = Context(c, seeded_rng(seed, c.id), runner.send, delays=runner.delays)
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
            entry["forbidden"] += runner.forbidden
            runner.forbidden = []
            if runner.tamper:
                entry["flags"] += runner.tamper
                runner.tamper = []
                record["passed"] = False
                record["feedback"] = "not credited: the code being graded tampered with the grader (reported to the instructor)"
        record["max_score"] = 0.0 if record["skipped"] or not active_weight else points * c.weight / active_weight
        record["score"] = record["max_score"] if record["passed"] else 0.0
        entry["checks"].append(record)
    abi = (runner.landlock_abi, runner.seccomp) if runner else (0, False)
    if runner is not None:
        runner.close()
        entry["problems"] += list(dict.fromkeys(runner.problems))
    entry["forbidden"] = list(dict.fromkeys(entry["forbidden"]))
    entry["flags"] = list(dict.fromkeys(entry["flags"] + (runner.tamper if runner else [])))
    if entry["forbidden"] or entry["flags"]:  # a forbidden shortcut or tampering: the question earns nothing
        for record in entry["checks"]:
            record["score"], record["passed"] = 0.0, False
    if missing:
        entry["problems"].append(f"{', '.join(m + '.py' for m in missing)} not found in the submission")
    entry["score"] = round(sum(r["score"] for r in entry["checks"]), 4)
    return entry, abi


def _skipped(c, cuda: bool) -> bool:
    return (c.needs_cuda and not cuda) or (c.skip_with_cuda and cuda)


def grade_notebook_question(sub: Submission, scratch: Scratch, limits: Limits, deadline: float) -> dict:
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
        # the cells run confined like the package children (no sockets, Landlock, unprivileged);
        # the Otter tests are judged in another process on the plain values they produced
        result = grade_notebook(sub.notebook, package_dir=scratch.package, read_paths=read_paths(),
                                deadline_seconds=max(min(deadline - time.monotonic(), 240.0), 5.0))
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
