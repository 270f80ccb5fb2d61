"""Certificates do not depend on the units of X and Y.

certify solves in units where ||X||_2 = ||Y||_F = 1 and maps the result back; the theory says
how every value moves: with X -> a X and Y -> b Y, minimum-norm values scale by (b/a)^{2/L} and
regularized values by b^2 when beta -> beta b^2 (a/b)^{2/L}.
"""

from __future__ import annotations

import numpy as np
import pytest

import cvxdual as cd

SCALES = [(1e6, 1.0), (1e-6, 1.0), (1.0, 1e6), (1.0, 1e-6), (1e3, 1e-3)]


@pytest.mark.parametrize(("a", "b"), SCALES)
@pytest.mark.parametrize(("family", "depth"), [("linear", 2), ("deep-linear", 3),
                                               ("deep-linear", 5)])
@pytest.mark.parametrize("beta", [None, 0.3])
@pytest.mark.parametrize("k", [None, 3])
def test_values_move_as_the_theory_says(a, b, family, depth, beta, k):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((8, 12))
    Y = rng.standard_normal(8 if k is None else (8, k))
    base = cd.certify(X, Y, family=family, depth=depth, beta=beta)
    moved_beta = None if beta is None else beta * b**2 * (a / b) ** (2.0 / depth)
    moved = cd.certify(a * X, b * Y, family=family, depth=depth, beta=moved_beta)
    factor = (b / a) ** (2.0 / depth) if beta is None else b**2
    assert moved.certified == base.certified
    assert moved.training_value == pytest.approx(factor * base.training_value, rel=1e-6)
    assert moved.dual_value == pytest.approx(factor * base.dual_value, rel=1e-5)
    assert moved.dual_value <= moved.training_value * (1 + 1e-9)
    assert moved.network.objective(a * X, b * Y, moved_beta) == pytest.approx(
        moved.training_value, rel=1e-12)
    if beta is None:
        fit = moved.network.forward(a * X)
        assert np.max(np.abs(fit - b * Y)) <= 1e-6 * b * np.max(np.abs(Y))


def test_all_zero_x_is_handled():
    X = np.zeros((4, 3))
    cert = cd.certify(X, np.ones(4), beta=1.0)
    assert cert.certified and cert.training_value == pytest.approx(4.0)
