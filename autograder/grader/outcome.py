"""What grading produced, as types: built once by the engine (and the notebook grader), rendered
by results.py (results.json, feedback.md) and the gradebook (grades.csv). Nothing else builds them."""
from __future__ import annotations

from dataclasses import dataclass, field


OUT_OF_MEMORY_NOTE = ("The grading machine ran out of memory while this ran, and the kernel ended the process "
                      "(signal 9). If your code needs much memory (an autograder container may have as little as "
                      "768 MiB), use less; otherwise it is not your code's fault: tell the course staff.")
"""Added by the engine to a check whose process died of SIGKILL while the kernel killed processes
for memory; the gradebook flags such checks (records.mark_out_of_memory)."""


@dataclass
class CheckOutcome:
    """One check's verdict and its share of the question's points."""

    name: str
    public: bool
    weight: float = 1.0
    passed: bool = False
    skipped: bool = False  # 0 of 0 points: neither for nor against
    feedback: str = ""
    seconds: float = 0.0
    score: float = 0.0
    max_score: float = 0.0
    detail: dict | None = None  # structured facts of a value mismatch (checks.mismatch_detail), public checks only

    @property
    def status(self) -> str:
        """passed / failed / skipped."""
        return "skipped" if self.skipped else "passed" if self.passed else "failed"


@dataclass
class ManualAnswer:
    """A notebook answer graded by hand (worth its points outside the autograder's score)."""

    name: str
    max_score: float
    prompt: str = ""
    answer: str | None = None  # the student's markdown answer, where the notebook was read


@dataclass
class QuestionOutcome:
    """One question: its checks, what cost it the whole question (forbidden shortcut, tampering), notes."""

    max_score: float
    extra_credit: bool = False
    checks: list[CheckOutcome] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)  # a forbidden shortcut: the question scores 0
    flags: list[str] = field(default_factory=list)  # tampering with the grader: the question scores 0, staff see it
    problems: list[str] = field(default_factory=list)
    manual: list[ManualAnswer] = field(default_factory=list)
    grader_errors: list[str] = field(default_factory=list)  # the grader failed here: the submission is not graded
    score: float = 0.0
    seconds: float = 0.0


@dataclass
class NotebookReport:
    """The notebook grader's verdict, in the notebook's own points (questions.json): one public and
    one hidden check per autograded question. The engine scales it to the ``notebook`` question."""

    max_score: float = 0.0
    checks: list[CheckOutcome] = field(default_factory=list)
    manual: list[ManualAnswer] = field(default_factory=list)
    error: str | None = None  # why it scored 0 without running, or which cells stopped it
    confinement: dict = field(default_factory=dict)  # landlock ABI, seccomp, netns, uid of the cells' process
    cell_errors: list[str] = field(default_factory=list)  # the cells that raised, for the feedback

    @property
    def score(self) -> float:
        return float(round(sum(c.score for c in self.checks), 6))


@dataclass
class GradeReport:
    """One submission's grade. ``error``: the grader itself failed, so the submission is not graded
    (whatever scores the questions have are not the student's grade; results say to contact staff)."""

    student: str
    seed: int = 0
    mode: str = "grade"  # "grade" (public and hidden checks) or "check" (public only: `make check`)
    total: float = 0.0
    max_total: float = 0.0
    questions: dict[str, QuestionOutcome] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    environment: dict = field(default_factory=dict)
    seconds: float = 0.0
    submission: str = ""  # the folder or zip name it came from (gradebook)
    seed_record: dict | None = None  # where the seed came from (grader.identity)
    error: str | None = None

    @property
    def flags(self) -> dict[str, list[str]]:
        """Question -> its tampering flags, for the questions that have any."""
        return {q: e.flags for q, e in self.questions.items() if e.flags}
