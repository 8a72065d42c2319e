"""tools/new_question.py (`make question`), run on a copy of the files it writes to."""
from __future__ import annotations

import ast
import re
import shutil

import pytest

import new_question
from conftest import ROOT
from grader.questions import CODE_QUESTIONS, EXTRA_CREDIT, MODULES


@pytest.fixture
def copy(tmp_path, monkeypatch):
    """The scaffold's targets, copied under tmp_path, with the tool pointed at them."""
    paths = {"QUESTIONS": "autograder/grader/questions", "HIDDEN": "autograder/grader/instructor/hidden",
             "SOLUTIONS": "solutions/conv_gemm", "MUTANTS": "tests/mutants"}
    for name, rel in paths.items():
        shutil.copytree(ROOT / rel, tmp_path / rel, ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.setattr(new_question, name, tmp_path / rel)
    shutil.copyfile(ROOT / "docs" / "instructor.md", tmp_path / "instructor.md")
    monkeypatch.setattr(new_question, "POINTS_TABLE", tmp_path / "instructor.md")
    monkeypatch.setattr(new_question, "ROOT", tmp_path)
    return tmp_path


def test_scaffold_writes_every_file_of_a_question_with_todos(copy, capsys):
    before = (copy / "instructor.md").read_text()
    assert new_question.main(["--id", "newq", "--module", "cost", "--points", "4"]) == 0
    module = (copy / "autograder/grader/questions/newq.py").read_text()
    tree = ast.parse(module)
    assigned = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    assert {"POINTS", "ORDER", "BUDGET_WEIGHT", "FUNCTIONS", "PREREQUISITES", "EXAMPLE_CALLS"} <= assigned
    assert module.startswith('"""Question ``newq`` (4 points)')
    order = int(re.search(r"^ORDER = (\d+)", module, re.M)[1])  # after the last regular question, before the notebook
    regular = {m.ORDER: q for q, m in MODULES.items() if q in CODE_QUESTIONS and q not in EXTRA_CREDIT}
    assert max(regular) < order < min(m.ORDER for m in MODULES.values() if m.ORDER > max(regular))
    last = regular[max(regular)]
    ast.parse((copy / "autograder/grader/instructor/hidden/newq.py").read_text())
    reference = (copy / "solutions/conv_gemm/cost.py").read_text()
    assert re.search(r"^def newq\(.*\n(.*\n)*    # BEGIN SOLUTION newq\n(.*\n)*    # END SOLUTION\n\Z", reference, re.M)
    mutant = next((copy / "tests/mutants").glob("m*_newq.py")).read_text()
    assert mutant.startswith("# module: cost\n# question: newq\n")
    readme = (copy / "instructor.md").read_text()
    assert re.search(rf"^\| `{last}` \|.*\n\| `newq` \| 4 \| TODO\(make question\)", readme, re.M)  # in ORDER
    total = int(re.search(r"`max_total` is (\d+)", before)[1])
    assert f"`max_total` is {total + 4}" in readme
    for text in (module, reference, mutant, readme):
        assert new_question.TODO in text
    assert new_question.main(["--id", "newq", "--module", "cost"]) == 2
    assert "question newq exists already" in capsys.readouterr().err


@pytest.mark.parametrize("args, says", [
    (["--id", "", "--module", "cost"], "give the question's id and its module"),
    (["--id", "Bad-id", "--module", "cost"], "must be a lowercase Python name"),
    (["--id", "newq", "--module", "nowhere"], "solutions/conv_gemm/nowhere.py does not exist"),
    (["--id", "conv2d", "--module", "conv2d"], "question conv2d exists already"),
    (["--id", "newq", "--module", "cost", "--functions", "conv2d_naive"], "conv2d_naive is already defined in solutions/conv_gemm/cost.py"),
    (["--id", "newq", "--module", "cost", "--points", "four"], "POINTS must be a number"),
])
def test_scaffold_refuses_in_one_sentence_and_writes_nothing(copy, capsys, args, says):
    readme = (copy / "instructor.md").read_text()
    assert new_question.main(args) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and err.count("\n") == 1
    assert (copy / "instructor.md").read_text() == readme and not (copy / "autograder/grader/questions/newq.py").exists()
