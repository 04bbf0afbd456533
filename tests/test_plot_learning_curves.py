"""scripts/plot_learning_curves.py's reading of where two families' curves cross."""

import importlib.util

import numpy as np
import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def plot():
    spec = importlib.util.spec_from_file_location(
        "plot_learning_curves", ROOT / "scripts" / "plot_learning_curves.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_two_power_laws_cross_where_they_are_equal(plot):
    x = np.geomspace(1, 100, 12)
    slow_start, fast_learner = (x, 10 * x**-0.5), (x, 20 * x**-0.8)

    xs, leader = plot.crossings(slow_start, fast_learner)

    # 10 x^-0.5 = 20 x^-0.8 at x = 2^(1/0.3); the second is lower after it.
    assert xs == [pytest.approx(2 ** (1 / 0.3), rel=1e-3)] and leader == 1
    assert plot.crossings(fast_learner, slow_start) == (xs, 0)


def test_curves_that_never_cross_or_never_overlap(plot):
    x = np.geomspace(1, 100, 12)

    assert plot.crossings((x, 5 / x), (x, 9 / x)) == ([], 0)
    assert plot.crossings((x, 5 / x), (x * 1000, 9 / x)) == ([], None)


def test_the_description_names_the_leader_on_both_axes(plot):
    x = np.geomspace(1, 100, 12)
    found = [("a", x * 64, x, 10 * x**-0.5), ("b", x * 64, x, 20 * x**-0.8)]

    (line,) = plot.describe_crossings(found)

    assert line.startswith("a vs b: by images: cross at 645; b lower at the end")
    assert "by CPU-minutes: cross at 10; b lower at the end" in line
