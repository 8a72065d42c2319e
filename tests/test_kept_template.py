"""A package template kept from one submission to the next (grader/kept_template.py) gives the
next submission exactly what a new template would: attacks graded first on it cost an honest
package graded after them nothing, and it is kept only where children cannot reach each other."""
from __future__ import annotations

import subprocess

import pytest

from corpus import TESTS, build
from grader import kept_template
from grader.engine import grade_submission
from grader.questions import QUESTION_IDS
from grader.sandbox import Limits

CODE_QUESTIONS = [q for q in QUESTION_IDS if q != "notebook"]
# processes that outlive grading, markers for other children, a kill of the template
ATTACKS = ("h24_process_that_survives", "h30_state_between_children", "h27_kill_the_template")


def grade(path, limits=None):
    return grade_submission(path, questions=CODE_QUESTIONS, limits=limits)


def test_honest_package_after_attacks_on_the_same_kept_template_keeps_every_point(tmp_path):
    reference = grade(build(tmp_path / "reference"))
    template = kept_template.kept()
    assert template is not None and template.alive, "the reference's template was not kept on this machine"
    pid = template.proc.pid
    for name in ATTACKS:
        attacked = grade(build(tmp_path / name, TESTS / "hostile" / f"{name}.py"))
        assert attacked.error is None, attacked.error
        assert kept_template.kept() is not None and kept_template.kept().proc.pid == pid, f"{name} ended the kept template"
        scratch = kept_template._kept[0]
        assert sorted(p.name for p in scratch.root.iterdir()) == ["pkg", "runner", "work"]
        assert not any(scratch.package.iterdir()) and not any(scratch.work.iterdir()), f"{name} left files for the next one"
    again = grade(build(tmp_path / "again"))
    assert kept_template.kept().proc.pid == pid
    assert {q: e.score for q, e in again.questions.items()} == {q: e.score for q, e in reference.questions.items()}
    assert again.total == reference.total and not any(e.flags for e in again.questions.values())
    left = subprocess.run(["pgrep", "-f", "sleep 313"], capture_output=True, text=True).stdout.split()
    assert not left, "a process of h24 outlived its grading"


def test_other_limits_get_a_new_template_and_the_old_one_ends(tmp_path):
    grade(build(tmp_path / "one"), Limits())
    first = kept_template.kept()
    assert first is not None
    grade(build(tmp_path / "two"), Limits(call_seconds=7.0))
    second = kept_template.kept()
    assert second is not None and second is not first and not first.alive


def test_given_back_unkept_the_template_ends_and_its_folder_goes(tmp_path):
    scratch, template = kept_template.take(Limits(), None)
    template.start()
    assert template.alive and scratch.runner.is_dir()
    kept_template.give_back(scratch, template, keep=False)
    assert not template.alive and not scratch.root.exists() and kept_template.kept() is None


@pytest.mark.parametrize("user, confinement, keep", [
    ((65534, 65534), {"landlock_abi": 0, "seccomp": False}, True),  # children run as another user
    (None, {"landlock_abi": 0, "seccomp": True}, False),  # same user, nothing confines their files
    (None, {"landlock_abi": 0, "seccomp": False}, False),
    (None, {"landlock_abi": 5, "seccomp": False}, False),  # files confined, but signals reach the template
    (None, {"landlock_abi": 1, "seccomp": True}, True),
    (None, {"landlock_abi": 6, "seccomp": False}, True),  # Landlock's signal scoping
])
def test_a_template_is_kept_only_where_children_cannot_reach_the_next_submission(user, confinement, keep):
    assert kept_template.confined_from_each_other(confinement, user) is keep
