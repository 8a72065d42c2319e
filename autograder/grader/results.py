"""A grading result as Gradescope's results.json, and the plain-text feedback table."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from grader.interface import QUESTION_IDS


def gradescope_json(result: dict) -> dict:
    """Gradescope's schema: one test per check; hidden checks after_published, with a visible summary."""
    tests = []
    for q in QUESTION_IDS:
        entry = result["questions"].get(q)
        if entry is None:
            continue
        label = f"{q} (extra credit)" if entry.get("extra_credit") else q
        hidden = [c for c in entry["checks"] if not c["public"]]
        for i, c in enumerate(entry["checks"], 1):
            status = "passed" if c["passed"] or c.get("skipped") else "failed"  # a skip is 0/0, not a failure
            output = "passed" if c["passed"] else c["feedback"]
            if c.get("skipped"):
                output = c["feedback"]
            tests.append({
                "name": f"{label}: {c['name']}",
                "number": f"{q}.{i}",
                "score": c["score"],
                "max_score": c["max_score"],
                "status": status,
                "output": output,
                "visibility": "visible" if c["public"] else "after_published",
                "execution_time": c.get("seconds", 0.0),
            })
        if hidden:
            passed = sum(c["passed"] for c in hidden)
            tests.append({
                "name": f"{label}: hidden checks (summary)",
                "number": f"{q}.hidden",
                "score": 0.0,
                "max_score": 0.0,
                "status": "passed" if passed == len(hidden) else "failed",
                "output": f"{passed} of {len(hidden)} hidden checks passed; their details appear when grades are published.",
                "visibility": "visible",
            })
        for message in entry.get("forbidden", []):
            tests.append({"name": f"{label}: forbidden shortcut", "number": f"{q}.forbidden", "score": 0.0, "max_score": 0.0,
                          "status": "failed", "output": f"{message}. This question scores 0.", "visibility": "visible"})
        for m in entry.get("manual", []):
            tests.append({"name": f"{label}: {m.get('name')} (graded by hand)", "number": f"{q}.manual", "score": 0.0, "max_score": 0.0,
                          "status": "passed", "output": f"Manually graded question, {m.get('max_score')} point(s): {m.get('prompt', '')}"[:1000],
                          "visibility": "visible"})
    summary = [f"Score {result['total']:g} / {result['max_total']:g} (winograd is extra credit)."]
    summary += [f"Note: {p}" for p in result.get("problems", [])]
    return {
        "score": result["total"],
        "execution_time": result.get("seconds", 0.0),
        "output": "\n".join(summary),
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"seed": result["seed"], "mode": result.get("mode"), "environment": result.get("environment", {}),
                       "question_scores": {q: e["score"] for q, e in result["questions"].items()}},
    }


def failure_json(message: str) -> dict:
    """What is written when the grader itself failed: valid, zero, and saying so."""
    return {"score": 0.0, "output": f"The autograder failed before grading finished: {message}. "
            "Your submission was not at fault; please tell the course staff.", "tests": [], "stdout_visibility": "hidden",
            "extra_data": {"grader_error": message}}


def write_json_atomic(path: Path, data: dict) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def feedback_table(result: dict, show_hidden: bool = False) -> str:
    """The per-question table and each failure's feedback, for a terminal."""
    lines = [f"{result['student']}: {result['total']:g} / {result['max_total']:g}", ""]
    lines.append(f"{'question':<12}{'score':>8}{'max':>6}  checks")
    for q in QUESTION_IDS:
        e = result["questions"].get(q)
        if e is None:
            continue
        active = [c for c in e["checks"] if not c.get("skipped") and (show_hidden or c["public"])]
        passed = sum(c["passed"] for c in active)
        extra = " (extra credit)" if e.get("extra_credit") else ""
        lines.append(f"{q:<12}{e['score']:>8.2f}{e['max_score']:>6g}  {passed}/{len(active)} passed{extra}")
    lines.append("")
    for q in QUESTION_IDS:
        e = result["questions"].get(q)
        if e is None:
            continue
        for message in e.get("forbidden", []):
            lines.append(f"[{q}] FORBIDDEN: {message}")
        for message in e.get("problems", []):
            lines.append(f"[{q}] {message}")
        for c in e["checks"]:
            if c.get("skipped"):
                lines.append(f"[{q}] skipped: {c['name']} ({c['feedback']})")
            elif not c["passed"] and (show_hidden or c["public"]):
                lines.append(f"[{q}] {c['name']}\n      {c['feedback']}")
    for p in result.get("problems", []):
        lines.append(f"note: {p}")
    return "\n".join(lines)
