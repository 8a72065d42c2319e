"""The notebook's Otter tests, evaluated on plain answer values in a process without student code.

Two uses:

- imported by the grading parent: :func:`read_test` (an OK-format test file as data, by
  ``ast.literal_eval``, nothing executed) and :func:`answer_names` (the variables a test reads,
  found statically), so the runner can be told which values to report without seeing a test;
- run as ``python -E -s -B -m grader.instructor.notebook_judge TEST.py ...`` (from the autograder folder): loads the tests with Otter's
  own machinery (``otter.test_files.OKTestFile``), then reads one JSON object from stdin,
  ``{"values": {name: plain JSON value}}``, runs every test file on a fresh namespace made of
  those values, and writes ``{"tests": {name: {"cases": [{"hidden", "passed", "message"}]}}}`` to
  stdout (messages only for public cases). It is started while the student's cells are still
  running, so importing Otter costs no wall time.

No student code reaches this process: its input is JSON decoded into None, bools, numbers,
strings and lists, validated by the parent first. It runs with rlimits and without sockets.
"""
from __future__ import annotations

import ast
import builtins
import copy
import doctest
import json
import sys

MAX_MESSAGE = 1500


def read_test(path) -> dict:
    """The ``test = {...}`` dict of an OK-format file (``name``, ``points``, ``suites``)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["test"]:
            test = ast.literal_eval(node.value)
            if not isinstance(test, dict) or not isinstance(test.get("suites"), list):
                break
            return test
    raise ValueError(f"{path}: not an OK-format test file (no `test = {{...}}` dict with suites)")


def _bound_and_read(code: str) -> tuple[set[str], set[str]]:
    bound, read = set(), set()
    for example in doctest.DocTestParser().get_examples(code):
        for node in ast.walk(ast.parse(example.source)):
            if isinstance(node, ast.Name):
                (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
    return bound, read


def answer_names(test: dict) -> list[str]:
    """The free variables of a test's cases: names read, never bound there, not builtins.

    >>> answer_names({"suites": [{"cases": [{"code": ">>> import numbers\\n>>> all(v > 0 for v in (a, b))\\nTrue"}]}]})
    ['a', 'b']
    """
    bound, read = set(), set()
    for suite in test["suites"]:
        for case in suite["cases"]:
            b, r = _bound_and_read(case["code"])
            bound |= b
            read |= r
    return sorted(read - bound - set(dir(builtins)))


def evaluate(test_files: list, values: dict) -> dict:
    """Each OKTestFile run on its own copy of ``values``; pass/fail per case, public messages."""
    results = {}
    for test_file in test_files:
        namespace = copy.deepcopy(values)
        test_file.run(namespace)
        cases = []
        for r in test_file.test_case_results:
            hidden = bool(r.test_case.hidden)
            message = "" if hidden or r.passed else str(r.message or "")[:MAX_MESSAGE]
            cases.append({"hidden": hidden, "passed": r.passed is True, "message": message})
        results[test_file.name] = {"cases": cases}
    return results


def _confine() -> None:
    import resource

    from grader.runtime import limits, seccomp_filter

    limits.limit_memory(2 << 30, gpu=False)  # beyond what it has imported, whatever torch build is installed
    resource.setrlimit(resource.RLIMIT_CPU, (60, 65))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    seccomp_filter.deny_sockets()


def _otter_test_files():
    """``otter.test_files`` without running Otter's package ``__init__``, which imports its whole
    API (export, run, pandas: over a second of a half-CPU container) where the judge needs only
    the test files: the package is registered as found, empty, and its submodules load as
    ``otter.test_files`` imports them."""
    import importlib
    import importlib.util
    import types

    if "otter" not in sys.modules:
        spec = importlib.util.find_spec("otter")
        package = types.ModuleType("otter")
        package.__spec__, package.__path__ = spec, list(spec.submodule_search_locations)
        sys.modules["otter"] = package
    return importlib.import_module("otter.test_files")


def main(paths: list[str]) -> int:
    _confine()
    OKTestFile = _otter_test_files().OKTestFile

    test_files = [OKTestFile.from_file(p) for p in paths]
    request = json.loads(sys.stdin.buffer.read())
    values = request["values"]
    if type(values) is not dict:
        raise ValueError("values must be a JSON object")
    sys.stdout.write(json.dumps({"tests": evaluate(test_files, values)}))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
