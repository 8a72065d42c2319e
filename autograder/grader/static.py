"""A static read (AST) of the student's files for forbidden shortcuts, before anything runs.

Run-time detection in the child (imports seen, numpy.convolve called, convolution ops
dispatched) catches what a static read cannot (``getattr(F, 'con' + 'v2d')``); this read
catches what never runs in a check. Both report by question.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from grader.interface import MODULE_FUNCTIONS, NUMPY_ONLY_MODULES
from grader.runtime.rules import FORBIDDEN_NUMPY_CALLS as FORBIDDEN_NUMPY
from grader.runtime.rules import FORBIDDEN_PACKAGES
CONV_NAME = re.compile(r"^(conv[123]d|conv_transpose[123]d|convolution|_convolution|conv_tbc|cudnn_convolution\w*|mkldnn_convolution\w*|_conv_depthwise2d|slow_conv\w*|thnn_conv\w*|Conv[123]d|LazyConv[123]d)$")


def _functions_by_line(tree):
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            spans.append((node.lineno, node.end_lineno or node.lineno, node.name))
    return spans


def _enclosing(spans, line, public):
    inside = [(s, e, n) for s, e, n in spans if s <= line <= e and n in public]
    return inside[-1][2] if inside else None


def scan_file(path: Path, module: str) -> list[tuple[str | None, str]]:
    """``[(function or None for the whole module, message)]`` for one student file."""
    try:
        tree = ast.parse(path.read_bytes(), filename=path.name)  # bytes: BOM and coding as Python reads them
    except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
        return []  # reported when the child imports it (a 150,000-term expression does not compile there either)
    public = set(MODULE_FUNCTIONS.get(module, []))
    spans = _functions_by_line(tree)
    found = []

    def report(node, message):
        found.append((_enclosing(spans, node.lineno, public), f"{path.name}, line {node.lineno}: {message}"))

    numpy_only = module in NUMPY_ONLY_MODULES
    for node in ast.walk(tree):
        if numpy_only:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in FORBIDDEN_PACKAGES:
                        report(node, f"imports {alias.name} (the NumPy tasks must use NumPy only)")
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FORBIDDEN_PACKAGES:
                report(node, f"imports from {node.module} (the NumPy tasks must use NumPy only)")
            elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NUMPY:
                report(node, f"uses .{node.attr} (a library convolution is not allowed here)")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.split(".")[0] in FORBIDDEN_PACKAGES:
                report(node, f"names the package {node.value!r} in a string (dynamic import?)")
        elif module == "conv2d_torch":
            if isinstance(node, ast.Attribute) and CONV_NAME.match(node.attr):
                report(node, f"uses {node.attr} (F.conv2d and friends are not allowed in conv2d_unfold)")
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if CONV_NAME.match(alias.name):
                        report(node, f"imports {alias.name} (F.conv2d and friends are not allowed in conv2d_unfold)")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and CONV_NAME.match(node.value):
                report(node, f"names {node.value!r} in a string (getattr to a convolution op?)")
    return found


def scan_submission(package_dir: Path | None) -> dict[str, list[tuple[str | None, str]]]:
    """Per module: the forbidden uses found in that module's file."""
    if package_dir is None:
        return {}
    result = {}
    for module in MODULE_FUNCTIONS:
        path = package_dir / f"{module}.py"
        try:
            hits = scan_file(path, module) if path.is_file() else []
        except (RecursionError, MemoryError) as exc:  # a tree too deep to walk: the child's import will say so
            hits = [] if isinstance(exc, RecursionError) else [(None, f"{path.name} could not be read by the grader (MemoryError)")]
        if hits:
            result[module] = hits
    return result
