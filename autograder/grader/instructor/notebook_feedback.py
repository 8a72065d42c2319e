"""What a student reads about a notebook question: in their words, never Otter's doctest report.

The judge (notebook_judge.py) returns, per public test case, Otter's message: a doctest
transcript with ``Trying:``, ``****`` rules and, where the answer was missing, a traceback from
``doctest.py``. None of that is shown. Instead, per autograded question:

- an unanswered question says so: ``q_stem: not answered yet: `stem_out` is still `...```
  (the starter's placeholder) or ``... is not defined (run its cell)``;
- a failing public test shows its expression, what it should give and what it gave, then the
  values given: ``the test `int(x) == 3` should give `True`, it gave `False`; your values: `x` = 4``;
- a value that cannot be graded (an object that is not a number, string, bool, None or a small
  list) says what it is, instead of the test's failure (the test saw no such variable).

Backticks in this text are code spans (results.md_text renders them); a student's value never
carries one (:func:`value_text` replaces them).
"""
from __future__ import annotations

import re

PLACEHOLDER = "an object of type builtins.ellipsis"
"""How the notebook runner reports ``...`` (the starter's placeholder answer)."""
VALUE_CHARS = 80
_FAILED = re.compile(r"Failed example:\n(?P<expr>(?:    .*\n?)+?)(?:Expected:\n(?P<expected>(?:    .*\n?)+?)Got:\n(?P<got>(?:    .*\n?)+)"
                     r"|Exception raised:\n(?P<exc>(?:    .*\n?)+))")


def value_text(value) -> str:
    """A plain answer value as Python would print it, short, without backticks."""
    text = repr(value).replace("`", "'")
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "..."


def _block(text: str | None) -> str:
    """A doctest block (4-space indented lines) as one line."""
    return " ".join(line.strip() for line in (text or "").splitlines() if line.strip())


def unanswered(variables: list[str], values: dict, unsupported: dict) -> list[str]:
    """The question's variables that hold no answer yet: the ``...`` placeholder, or never defined."""
    missing = []
    for v in variables:
        if unsupported.get(v) == PLACEHOLDER:
            missing.append(f"`{v}` is still `...`")
        elif v not in values and v not in unsupported:
            missing.append(f"`{v}` is not defined (run its cell)")
    return missing


def failed_test(message: str) -> str:
    """One failed public case from Otter's doctest message: its expression, expected and actual result."""
    m = _FAILED.search(message or "")
    if not m:
        return "a public test failed"
    expr = _block(m.group("expr")).replace("`", "'")
    if m.group("exc") is not None:
        last = _block(m.group("exc").strip().splitlines()[-1]).replace("`", "'")
        return f"the test `{expr}` raised {last}"
    return (f"the test `{expr}` should give `{_block(m.group('expected')).replace('`', chr(39))}`, "
            f"it gave `{_block(m.group('got')).replace('`', chr(39))}`")


def public_feedback(question: str, variables: list[str], values: dict, unsupported: dict, messages: list[str]) -> str:
    """The text of a failed public entry: unanswered, a value that cannot be graded, or each
    failed test and the values given."""
    missing = unanswered(variables, values, unsupported)
    if missing:
        return f"{question}: not answered yet: {'; '.join(missing)}"
    odd = [v for v in variables if v in unsupported]
    if odd:  # the test could not see it (it read as undefined): say what it holds instead
        return "\n".join(f"{question}: `{v}` holds {unsupported[v]}: only numbers, strings, booleans, None and small lists "
                         "or arrays of them can be graded" for v in odd)
    lines = [f"{question}: {failed_test(m)}" for m in messages] or [f"{question}: a public test failed"]
    given = [f"`{v}` = {value_text(values[v])}" for v in variables if v in values]
    if given:
        lines.append("your values: " + ", ".join(given))
    return "\n".join(lines)
