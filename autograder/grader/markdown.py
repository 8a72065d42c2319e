"""Text for people: Markdown escaping, length caps, and points rounded for reading.

Numbers: what people read is rounded to two decimals with trailing zeros dropped
(:func:`figure`: ``1.142857 -> "1.14"``, ``8.0 -> "8"``); what programs read (results.json's
numbers) is :func:`exact`: the value to six decimals, which removes float noise
(``0.8999999999999999 -> 0.9``) and nothing a person or a sum could notice.
"""
from __future__ import annotations

import re

TRUNCATED = "[truncated]"

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~$])")
"""Characters that start inline Markdown anywhere: emphasis, code, links/images, raw HTML, tables, math."""
_MD_LINE_START = re.compile(r"^(\s*)([#=+\-]|\d+(?=[.)]))", re.M)
"""What starts a block at the beginning of a line: headings, rules, lists."""


def md_escape(text: str) -> str:
    """Untrusted text as literal Markdown: no emphasis, links, images, raw HTML or headings; lines kept."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch if ch in "\n\t" or ch >= " " else "\ufffd" for ch in text)
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)), text)
    return text.replace("\n", "  \n")  # a line break stays a line break


def md_cell(text: str) -> str:
    """Escaped text for one table cell (no line breaks)."""
    return md_escape(" ".join(str(text).split()))


def md_code(text: str) -> str:
    """Grader text (a call such as ``conv2d(x (1, 1, 5, 5), w)``) as an inline code span."""
    return "`" + " ".join(str(text).replace("`", "'").split()) + "`"


_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks for the code spans while the prose is escaped
_SPAN = re.compile(_OPEN + r"(\d+)" + _CLOSE)


def md_text(text: str) -> str:
    """A diagnosis whose `backtick` spans are code (a call, an expression, a value) and the rest
    literal text. Inside a code span Markdown is not interpreted, so nothing in it can inject;
    with an odd number of backticks the whole text is escaped."""
    text = str(text).replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd")
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return md_escape(text)
    spans = parts[1::2]
    # the prose is escaped as one text, so that a line start is only where a line really starts
    prose = "".join(part if i % 2 == 0 else f"{_OPEN}{i // 2}{_CLOSE}" for i, part in enumerate(parts))

    def span(m: re.Match) -> str:
        code = spans[int(m.group(1))]
        return md_code(code) if code.strip() else md_escape("``")

    return _SPAN.sub(span, md_escape(prose))


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters; a cut is marked and says how much was cut."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... {TRUNCATED} ({len(text) - limit} more characters)"


def clip_bytes(text: str, limit: int) -> str:
    """At most ``limit`` UTF-8 bytes (marker included); a cut is marked."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = f"\n\n*(feedback {TRUNCATED}: longer than {limit} bytes)*"
    keep = max(0, limit - len(marker.encode("utf-8")))
    return data[:keep].decode("utf-8", "ignore") + marker if keep else marker.strip()[:limit]


def num(x: float) -> str:
    """A measured value (an error, an entry of an array): four significant digits."""
    return f"{float(x):.4g}"


def exact(x: float) -> float:
    """A score for results.json: to six decimals, no float noise."""
    value = round(float(x), 6)
    return 0.0 if value == 0 else value


def figure(x: float) -> str:
    """Points for people: two decimals at most, no trailing zeros (``1.14``, ``8``, ``0.5``)."""
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def points(score: float, max_score: float) -> str:
    """``score / max`` for people."""
    return f"{figure(score)} / {figure(max_score)}"


def with_extra(score: float, max_score: float, extra: float, extra_max: float) -> str:
    """``score / max (+ e of E extra credit)``: extra credit beside the maximum, never inside it."""
    text = points(score, max_score)
    return f"{text} (+ {figure(extra)} of {figure(extra_max)} extra credit)" if extra_max else text
