"""Scaffold a new graded question: ``make question ID=<id> MODULE=<module> [POINTS=n] [FUNCTIONS=f,g]``.

Writes, each with ``TODO(make question)`` where the maintainer has work to do:

- ``autograder/grader/questions/<id>.py``: points, order, time-budget weight, the functions it
  grades and their module, prerequisites, an example call per function, one public check;
- ``autograder/grader/instructor/hidden/<id>.py``: its hidden twin, one hidden check;
- ``solutions/conv_gemm/<module>.py``: each function, appended, with its ``# BEGIN SOLUTION <id>`` block;
- ``tests/mutants/mNN_<id>.py``: a mutant the question must catch;
- ``docs/instructor.md``: the question's row in the points table (and ``max_total``).

Everything else (the module/function map, exports, question id lists, time-budget weights,
the starter) is derived from these. The fast tests (``pytest -m "not slow"``) fail, naming the
file, until every TODO is written. docs/adding-a-question.md walks through it. Nothing is written
unless every argument is valid; a bad one is one sentence on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import keyword
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "autograder" / "grader" / "questions"
HIDDEN = ROOT / "autograder" / "grader" / "instructor" / "hidden"
SOLUTIONS = ROOT / "solutions" / "conv_gemm"
MUTANTS = ROOT / "tests" / "mutants"
POINTS_TABLE = ROOT / "docs" / "instructor.md"  # the points table ("## Points")
TODO = "TODO(make question)"


class ScaffoldError(ValueError):
    """An argument or a repository state the scaffold cannot work with (one sentence)."""


def identifier(text: str, what: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", text or "") or keyword.iskeyword(text):
        raise ScaffoldError(f"{what} must be a lowercase Python name such as conv_transpose2d_output_size, got {text!r}")
    return text


def existing_orders() -> dict[str, tuple[int, bool]]:
    """``{question id: (ORDER, is extra credit or the notebook)}``, read from the modules' text."""
    out = {}
    for path in sorted(QUESTIONS.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        text = path.read_text()
        m = re.search(r"^ORDER = (\d+)", text, re.M)
        if not m:
            raise ScaffoldError(f"{path.relative_to(ROOT)} has no ORDER line: finish that question first")
        last_kind = bool(re.search(r"^EXTRA_CREDIT = True", text, re.M)) or re.search(r"^FUNCTIONS[^=]*= \{\}", text, re.M) is not None
        out[path.stem] = (int(m[1]), last_kind)
    return out


def place(orders: dict[str, tuple[int, bool]]) -> tuple[int, str | None]:
    """An ORDER after the last regular question (before the notebook and the extra credit), and that question."""
    regular = sorted((o, q) for q, (o, last) in orders.items() if not last)
    after_order, after = regular[-1] if regular else (0, None)
    following = min((o for o, _ in orders.values() if o > after_order), default=after_order + 20)
    if following - after_order < 2:
        raise ScaffoldError(f"no free ORDER between {after_order} and {following}: space the ORDER values of the question modules out")
    return (after_order + following) // 2, after


def validate(args) -> dict:
    qid = identifier(args.id, "ID (the question id)")
    module = identifier(args.module, "MODULE (the conv_gemm module that will define its functions)")
    functions = [identifier(f.strip(), "each of FUNCTIONS") for f in (args.functions or qid).split(",") if f.strip()]
    if (QUESTIONS / f"{qid}.py").exists():
        raise ScaffoldError(f"question {qid} exists already: autograder/grader/questions/{qid}.py")
    if (HIDDEN / f"{qid}.py").exists():
        raise ScaffoldError(f"autograder/grader/instructor/hidden/{qid}.py exists already, without its question module: remove it or finish it by hand")
    reference = SOLUTIONS / f"{module}.py"
    modules = sorted(p.stem for p in SOLUTIONS.glob("*.py") if not p.stem.startswith("_") and p.stem != "canonical")
    if module not in modules:
        raise ScaffoldError(f"solutions/conv_gemm/{module}.py does not exist (the modules are {', '.join(modules)}); "
                            "a new module is more than a question: see docs/adding-a-question.md")
    for f in functions:
        for path in sorted(SOLUTIONS.glob("*.py")):
            if re.search(rf"^def {f}\(", path.read_text(), re.M):
                raise ScaffoldError(f"{f} is already defined in solutions/conv_gemm/{path.name}: pick another name, or add it to its question by hand")
        for path in sorted(QUESTIONS.glob("*.py")):
            if f'"{f}"' in path.read_text():
                raise ScaffoldError(f"{f} is already named in {path.relative_to(ROOT)}: a function belongs to one question")
    try:
        points = float(args.points) if args.points else 0.0
    except ValueError:
        raise ScaffoldError(f"POINTS must be a number, got {args.points!r}") from None
    if points < 0:
        raise ScaffoldError(f"POINTS must be positive, got {args.points}")
    text = POINTS_TABLE.read_text()
    if "## Points" not in text or not re.search(r"^\| `\w+` \| \+?\d+ \|", text.split("## Points", 1)[1], re.M):
        raise ScaffoldError("docs/instructor.md has no points table under '## Points' to add the row to")
    order, after = place(existing_orders())
    numbers = [int(m[1]) for p in MUTANTS.glob("m*.py") if (m := re.match(r"m(\d+)_", p.name))]
    mutant = MUTANTS / f"m{max(numbers, default=0) + 1:02d}_{qid}.py"
    return dict(qid=qid, module=module, functions=functions, points=points, order=order, after=after, reference=reference, mutant=mutant)


def question_source(s: dict) -> str:
    points = f"{s['points']:g}" if s["points"] else "0"
    todo_points = f"  # {TODO}: its points (docs/instructor.md's row and max_total follow them)" if not s["points"] else ""
    fn = s["functions"]
    return f'''"""Question ``{s['qid']}`` ({points} points): {TODO}: what it grades, in one line."""
from __future__ import annotations

from grader.checks import check

POINTS = {points}{todo_points}
ORDER = {s['order']}
BUDGET_WEIGHT = 1
HIDDEN_WEIGHT = 1  # the total weight of the hidden twin's checks (tests/test_feedback.py checks it)
FUNCTIONS = {{
{''.join(f'    "{f}": "{s["module"]}",{chr(10)}' for f in fn)}}}
PREREQUISITES = {{
{''.join(f'    "{f}": (),  # {TODO}: the functions of other questions it may use (ASSIGNMENT.md, "Prerequisites"), or (){chr(10)}' for f in fn)}}}
EXAMPLE_CALLS = {{
{''.join(f'    "{f}": lambda: (),  # {TODO}: the positional arguments of one call the reference accepts{chr(10)}' for f in fn)}}}


@check("{s['qid']}", "{TODO}: what this check shows, as the student reads it", public=True)
def _(ctx):
    # {TODO}: call the student's function and compare with a value computed here (torch, or the
    # canonical example), never by student code; the feedback shows the call, e.g.
    #     ctx.expect_equal(ctx.call("{fn[0]}", ...), expected, "{fn[0]}(...)")
    ctx.fail("{TODO}: this public check is not written yet")
'''


def twin_source(s: dict) -> str:
    return f'''"""Hidden checks of question ``{s['qid']}``: {TODO}: what they sweep. Never shipped.

Feedback names the property that failed, never the inputs. Each check draws from ``ctx.rng``,
seeded from the recorded seed and the check's id. The public half is grader/questions/{s['qid']}.py.
"""
from __future__ import annotations

from grader.checks import check


@check("{s['qid']}", "{TODO}: what this hidden check sweeps", public=False)
def _(ctx):
    # {TODO}: inputs drawn from ctx.rng; expected values computed here; feedback without the inputs
    ctx.fail("{TODO}: this hidden check is not written yet")
'''


def reference_source(s: dict) -> str:
    blocks = []
    for f in s["functions"]:
        blocks.append(f'''

def {f}():  # {TODO}: the signature ASSIGNMENT.md gives
    """{TODO}: what it computes, its arguments with their shapes, what it raises (the starter keeps this)."""
    # {TODO}: argument checks that raise ValueError go here, outside the block (the starter keeps them)
    # BEGIN SOLUTION {s['qid']}
    # HINT: {TODO}: a hint the starter shows the student, or delete this line
    raise NotImplementedError("{TODO}: the reference solution")
    # END SOLUTION
''')
    return "".join(blocks)


def mutant_source(s: dict) -> str:
    f = s["functions"][0]
    return f'''# module: {s['module']}
# question: {s['qid']}
# {TODO}: one sentence: the classic mistake this copy of {f} makes; question {s['qid']} must lose points for it.
def {f}():  # {TODO}: the reference's signature
    raise NotImplementedError("{TODO}: the reference with that one mistake")
'''


def readme_text(s: dict, text: str) -> str:
    """docs/instructor.md with the question's row in the points table, after its predecessor's, and max_total raised."""
    start = text.index("## Points")
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end
    lines = text[start:end].split("\n")
    rows = [i for i, line in enumerate(lines) if re.match(r"\| `\w+` \| \+?\d+ \|", line)]
    at = next((i for i in rows if s["after"] and lines[i].startswith(f"| `{s['after']}` |")), rows[-1])
    lines.insert(at + 1, f"| `{s['qid']}` | {s['points']:g} | {TODO}: what it grades |")
    section = "\n".join(lines)
    if s["points"]:  # "`max_total` is 100; Winograd can bring a total to 110."
        def add(m):
            return f"{m[1]}{float(m[2]) + s['points']:g}"
        section = re.sub(r"(`max_total` is )(\d+(?:\.\d+)?)", add, section, count=1)
        section = re.sub(r"(can bring a total to )(\d+(?:\.\d+)?)", add, section, count=1)
    return text[:start] + section + text[end:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--id", required=True, help="the question id (the gradebook column)")
    parser.add_argument("--module", required=True, help="the conv_gemm module of its functions, e.g. cost")
    parser.add_argument("--points", default="", help="its points (else 0 and a TODO)")
    parser.add_argument("--functions", default="", help="comma-separated student functions it grades (default: the id)")
    args = parser.parse_args(argv)
    try:
        if not args.id or not args.module:
            raise ScaffoldError("give the question's id and its module: make question ID=<id> MODULE=<module> [POINTS=n]")
        s = validate(args)
    except ScaffoldError as exc:
        print(f"make question: {exc}", file=sys.stderr)
        return 2
    readme = readme_text(s, POINTS_TABLE.read_text())
    (QUESTIONS / f"{s['qid']}.py").write_text(question_source(s))
    (HIDDEN / f"{s['qid']}.py").write_text(twin_source(s))
    s["reference"].write_text(s["reference"].read_text().rstrip("\n") + "\n" + reference_source(s))
    s["mutant"].write_text(mutant_source(s))
    POINTS_TABLE.write_text(readme)
    written = [QUESTIONS / f"{s['qid']}.py", HIDDEN / f"{s['qid']}.py", s["reference"], s["mutant"], POINTS_TABLE]
    print("written (search them for TODO(make question)):")
    for path in written:
        print(f"  {path.relative_to(ROOT)}")
    print("then: make assignments, and the fast tests: .venv/bin/python -m pytest -m 'not slow' "
          "tests/test_layout.py tests/test_starter.py tests/test_oracle.py (docs/adding-a-question.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
