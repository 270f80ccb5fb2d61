"""The restricted nuclear-norm least-squares solver in cvxdual.fast."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from cvxdual.fast import nuclear_least_squares


def _objective(A, Y, beta, M):
    return 0.5 * np.sum((A @ M - Y) ** 2) + beta * np.linalg.svd(M, compute_uv=False).sum()


@pytest.mark.parametrize("beta", [0.05, 0.5, 3.0])
def test_orthonormal_columns_give_singular_value_thresholding(beta):
    rng = np.random.default_rng(0)
    A = np.linalg.qr(rng.standard_normal((12, 4)))[0]
    Y = rng.standard_normal((12, 3))
    P, s, Rt = np.linalg.svd(A.T @ Y, full_matrices=False)
    expected = (P * np.maximum(s - beta, 0.0)) @ Rt
    np.testing.assert_allclose(nuclear_least_squares(A, Y, beta), expected, atol=1e-10)


@pytest.mark.parametrize("s", [1, 3])
@pytest.mark.parametrize("beta", [0.1, 2.0])
def test_matches_a_conic_solver_on_general_matrices(s, beta):
    rng = np.random.default_rng(10 + s)
    A = rng.standard_normal((15, s)) @ np.diag(np.linspace(1.0, 4.0, s))
    Y = rng.standard_normal((15, 3))
    M = cp.Variable((s, 3))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ M - Y) + beta * cp.normNuc(M)))
    problem.solve(solver="CLARABEL")
    ours = nuclear_least_squares(A, Y, beta)
    assert _objective(A, Y, beta, ours) <= problem.value + 1e-7 * abs(problem.value)
    np.testing.assert_allclose(ours, M.value, atol=1e-4)


def test_warm_start_and_zero_solution():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((10, 2))
    Y = rng.standard_normal((10, 2))
    big = 10 * np.linalg.norm(A.T @ Y, 2)
    assert np.all(nuclear_least_squares(A, Y, big) == 0.0)
    cold = nuclear_least_squares(A, Y, 0.3)
    warm = nuclear_least_squares(A, Y, 0.3, start=cold + 1e-3)
    np.testing.assert_allclose(warm, cold, atol=1e-9)
    assert nuclear_least_squares(np.zeros((10, 0)), Y, 0.3).shape == (0, 2)
