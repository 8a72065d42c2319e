"""The grader's corpus, graded once per session in the background (tests/conftest.py starts it).

The corpus is the reference ("complete"), the starter and every case of the folders in
CORPUS_KINDS, graded in one call the way `make grade` does (gradebook, results.json per
student), one process grading two questions at a time. It is the suite's longest piece of work,
so it is the first of the background gradings, and the tests that read it run last.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from corpus import ROOT, STARTER, build, corpus

CORPUS_KINDS = ("mutants", "alternatives", "hostile")  # folders of tests/, every case in them
CORPUS_SEED = 7
CORPUS_LIMITS = {"call_seconds": 5, "start_seconds": 20}  # grader.sandbox.Limits: hanging cases cost seconds
WATCHED = (ROOT / "autograder", ROOT / "solutions", ROOT / "assignments")  # no submission may change these


def tree_digest(*folders: Path) -> str:
    h = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def grade_corpus(subs: Path, out: Path) -> dict:
    """Build the corpus into ``subs`` and grade it into the gradebook ``out``.

    Returns ``{"results": {student: GradeReport}, "out": out, "unchanged": bool (the watched
    folders of the repository hold what they held before), "tmp_results_created": bool}``.
    """
    from grader.instructor.gradebook import grade_folder
    from grader.sandbox import Limits

    build(subs / "complete")
    build(subs / "starter", base=STARTER)
    for kind in CORPUS_KINDS:
        for snippet in corpus(kind):
            build(subs / snippet.stem, snippet)
    before = tree_digest(*WATCHED)
    tmp_before = Path("/tmp/results.json").exists()
    # test_verdicts_do_not_depend_on_the_lanes grades some of them again with one lane
    results = grade_folder(subs, out, seed=CORPUS_SEED, workers=1, lanes=2, progress=False, limits=Limits(**CORPUS_LIMITS))
    return {
        "results": {r.student: r for r in results},
        "out": out,
        "unchanged": tree_digest(*WATCHED) == before,
        "tmp_results_created": not tmp_before and Path("/tmp/results.json").exists(),
    }

