"""The grader's own implementations (used for the other questions while one is graded) against torch."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from configs import CONFIGS, config_id, kernel_hw
from grader.instructor import oracle
from grader.interface import MODULE_FUNCTIONS
from grader.questions import PREREQUISITES
from grader.standins import _oracle_tree, standin_source


@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_oracle_matches_torch(cfg, rng):
    n, c, h, w, co, k, s, p, d, g = cfg
    kh, kw = kernel_hw(k)
    x = rng.standard_normal((n, c, h, w))
    wt = rng.standard_normal((co, c // g, kh, kw))
    b = rng.standard_normal(co)
    xt, wtt, bt = (torch.from_numpy(a) for a in (x, wt, b))
    y = F.conv2d(xt, wtt, bt, s, p, d, g)
    np.testing.assert_allclose(oracle.conv2d(x, wt, b, s, p, d, g), y.numpy(), atol=1e-10)
    if g == 1:
        np.testing.assert_allclose(oracle.conv2d_naive(x, wt, b, s, p, d), y.numpy(), atol=1e-10)
    cols = F.unfold(xt, (kh, kw), d, p, s).numpy()
    np.testing.assert_array_equal(oracle.im2col_strided(x, k, s, p, d), cols)
    (sh, _), (ph, _), (dh, _) = kernel_hw(s), kernel_hw(p), kernel_hw(d)
    assert oracle.conv_output_size(h, kh, sh, ph, dh) == y.shape[2]


def test_oracle_does_not_import_torch():
    source = Path(oracle.__file__).read_text()
    assert "import torch" not in source and "scipy" not in source


@pytest.mark.parametrize("function", sorted({p for names in PREREQUISITES.values() for p in names}))
def test_oracle_has_a_stand_in_for_every_declared_prerequisite(function):
    """Only the declared prerequisites need one (grader.questions.PREREQUISITES)."""
    users = sorted(f for f, names in PREREQUISITES.items() if function in names)
    assert function in _oracle_tree()[1], (
        f"{function} is a prerequisite of {', '.join(users)} but has no stand-in: write it in autograder/grader/instructor/oracle.py")


def test_oracle_defines_nothing_that_no_question_needs():
    needed = {p for names in PREREQUISITES.values() for p in names}
    public = {name for name in _oracle_tree()[1] if not name.startswith("_")}
    assert public <= needed, f"autograder/grader/instructor/oracle.py defines {sorted(public - needed)}, which no question declares as a prerequisite"


def test_oracle_windows_are_read_only_views_of_x(rng):
    """The stand-in sliding_windows is what the contract asks of the student's: code that fills a
    padded buffer after taking its windows (the reference conv2d does) depends on it."""
    x = rng.standard_normal((2, 3, 7, 6))
    win = oracle.sliding_windows(x, 3, stride=2, dilation=1)
    assert np.shares_memory(win, x) and not win.flags.writeable
    x += 1
    np.testing.assert_array_equal(win[0, 0, 0, 0], x[0, 0, :3, :3])


@pytest.mark.parametrize("function", sorted(PREREQUISITES))
def test_standins_hold_the_prerequisites_and_nothing_that_answers_the_function(function):
    names = PREREQUISITES[function]
    namespace = {}
    exec(compile(standin_source(names) if names else "", "<standins>", "exec"), namespace)
    for name in names:
        assert callable(namespace[name])
    defined = {k for k, v in namespace.items() if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) is None}
    public = {n for fns in MODULE_FUNCTIONS.values() for n in fns}
    assert function not in namespace, f"the grader's own {function} would be in the child while {function} is graded"
    assert (defined & public) <= set(names) | {"im2col_strided"}, defined & public  # im2col_loop's stand-in is built on it
