"""One question's calls into the children, and what the children report.

A QuestionRunner keeps one child alive at a time, keyed by the stand-ins it holds (a
function's declared prerequisites), replaces it after a failure, applies the question's share
of the time budget, and reads each child's typed events (CallEvents): forbidden uses,
tampering, multiplication counts, convolution ops.
"""
from __future__ import annotations

import time

from grader.runtime import guard, wire
from grader.checks import Reply
from grader.interface import MODULE_FUNCTIONS, NUMPY_ONLY_MODULES, TRUSTED_MODULES
from grader.questions import PREREQUISITES, modules_of
from grader.runtime.rules import FORBIDDEN_NUMPY_CALLS, FORBIDDEN_PACKAGES
from grader.child_process import Child
from grader.sandbox import ChildFailure, GraderFailure, Limits, Scratch
from grader.template_process import Template
from grader.standins import TIMED_BY, benchmark_delays, standin_source

FORBIDDEN_EVENTS = {
    "import": (FORBIDDEN_PACKAGES, "{} was imported while a NumPy task ran (the NumPy tasks must use NumPy only)"),
    "call": (FORBIDDEN_PACKAGES, "{} code ran inside a NumPy task (the NumPy tasks must use NumPy only)"),
    "numpy": (FORBIDDEN_NUMPY_CALLS, "numpy.{} was called (a library convolution is not allowed here)"),
}
TAMPER_EVENTS = set(guard.EVENTS) | guard.FRAME_ATTRIBUTES


def tamper_reason(event: str) -> str:
    if event.startswith(("socket", "subprocess", "os.", "pty", "signal")):
        return "graded code may not start processes, send signals or open sockets"
    if event in ("sys.settrace", "sys.setprofile", "module_state", "line_counter"):
        return "it switches off or rewires the grader's measurements"
    return "it reaches the grader's own state"


def prepare_torch() -> None:
    """The grader's own torch: one thread.

    The expected values are small convolutions: a second OpenMP thread only spins against the
    child (or another grading process) for a core, which on a busy or half-CPU machine makes
    each call ten times slower or worse.
    """
    import torch

    torch.set_num_threads(1)


def _seconds(detail: str) -> float | None:
    """A ``calltime`` event's seconds (as the child writes them: a plain decimal), or None."""
    whole, dot, fraction = detail.partition(".")
    return float(detail) if whole.isdigit() and dot and fraction.isdigit() and len(detail) <= 20 else None


class CallEvents:
    """A child's typed events for one call, read from its event pipe and checked against the vocabulary."""

    def __init__(self, events: list[tuple[str, str]], pipe_closed: bool = False):
        self.forbidden: list[str] = []
        self.tamper: list[str] = []
        self.conv_ops: list[str] = []
        self.multiplications = 0
        self.call_seconds: list[float] = []  # how long each call of a grader's timed callable took
        if pipe_closed:
            self.tamper.append("the grader's event pipe was closed by the code being graded")
        for kind, detail in events:
            if kind in FORBIDDEN_EVENTS and detail in FORBIDDEN_EVENTS[kind][0]:
                self.forbidden.append(FORBIDDEN_EVENTS[kind][1].format(detail))
            elif kind == "torchop":
                self.forbidden.append("torch ran inside a NumPy task (the NumPy tasks must use NumPy only)")
            elif kind == "op":  # a convolution op, seen by a dispatch mode or refused by the dispatcher's kernel
                self.conv_ops.append(detail[:80])
                self.forbidden.append(f"a convolution op ran ({detail[:80]}): use F.unfold and a matmul, not F.conv2d")
            elif kind == "mult" and detail.isdigit():
                self.multiplications += int(detail)
            elif kind == "calltime" and _seconds(detail) is not None:
                self.call_seconds.append(_seconds(detail))
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
            "known_broken": dict(self.known_broken),  # a copy: the other lane may add to it meanwhile
            "compiled": self.scratch.compiled_package(),
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
            child, reply = self._start_once_more_if_the_grader_failed(key)
        except GraderFailure:
            raise  # not the student's: the engine reports the submission as not graded
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

    def _start_once_more_if_the_grader_failed(self, key: tuple) -> tuple[Child, dict]:
        """A sandbox that did not start is tried once more (a fork can fail for a moment) before
        its GraderFailure ends grading."""
        try:
            return self._start(key, run_init=self.run_init)
        except GraderFailure:
            return self._start(key, run_init=self.run_init)

    def _start(self, key: tuple, run_init: bool) -> tuple[Child, dict]:
        if self._remaining() <= 0:
            raise ChildFailure("timeout", OUT_OF_TIME)
        child = Child(self.scratch, self.limits, self.template)
        try:
            # built first: the first one (the package compiled, the stand-ins cut out of the oracle)
            # is built while the template may still be importing torch
            message = dict(self._setup_message(key), run_init=run_init)
            child.start(min(self.limits.start_seconds, self._remaining()))
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
        except GraderFailure:
            raise
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
        # from the pipe only
        probes["conv_ops"], probes["multiplications"], probes["call_seconds"] = events.conv_ops, events.multiplications, events.call_seconds
        return Reply(value=value, probes=probes)

    def close(self):
        for child in self.children.values():
            child.close()
        self.children = {}


OUT_OF_TIME = "ran out of time: this question's share of the grading budget is spent"
