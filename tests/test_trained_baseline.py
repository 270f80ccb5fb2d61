"""The certified optimum against what gradient training of the non-convex network finds.

The trainers are written here (not taken from cvxdual): L-BFGS on the regularized objective (1)
of a two-layer linear network ``f(X) = X W1 W2`` with exact gradients, and SLSQP on the
minimum-norm problem (2) with its bilinear equality constraint. Weak duality says no trained
network can beat the certified lower bound; the benign landscape of linear networks says the
best restart should reach the certified value.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad, minimize

import cvxdual

BEAT_RTOL = 1e-8        # trained >= certified - BEAT_RTOL * scale
REACH_RTOL = 1e-4       # best restart within this relative distance of the certified value
FEASIBLE_ATOL = 1e-6    # SLSQP solutions with ||X W1 w2 - y|| below this count as feasible
MIN_NORM_REACH = 1e-3   # best feasible SLSQP restart within this relative distance


# --- regularized problem (1): L-BFGS -------------------------------------------------------------

def split(theta: np.ndarray, d: int, m: int, k: int | None) -> tuple[np.ndarray, np.ndarray]:
    W1 = theta[: d * m].reshape(d, m)
    W2 = theta[d * m:].reshape((m,) if k is None else (m, k))
    return W1, W2


def regularized_objective(theta: np.ndarray, X: np.ndarray, Y: np.ndarray, beta: float,
                          m: int) -> tuple[float, np.ndarray]:
    """``||X W1 W2 - Y||_F^2 + β(||W1||_F^2 + ||W2||_F^2)`` and its exact gradient."""
    d = X.shape[1]
    k = None if Y.ndim == 1 else Y.shape[1]
    W1, W2 = split(theta, d, m, k)
    H = X @ W1                         # (n, m)
    R = H @ W2 - Y                     # (n,) or (n, k)
    value = float(np.sum(R ** 2) + beta * (np.sum(W1 ** 2) + np.sum(W2 ** 2)))
    if k is None:
        grad_W1 = 2.0 * np.outer(X.T @ R, W2) + 2.0 * beta * W1
    else:
        grad_W1 = 2.0 * X.T @ R @ W2.T + 2.0 * beta * W1
    grad_W2 = 2.0 * H.T @ R + 2.0 * beta * W2
    return value, np.concatenate([grad_W1.ravel(), grad_W2.ravel()])


def train_lbfgs(X: np.ndarray, Y: np.ndarray, beta: float, m: int, seed: int) -> float:
    d = X.shape[1]
    k = None if Y.ndim == 1 else Y.shape[1]
    rng = np.random.default_rng(seed)
    size = d * m + (m if k is None else m * k)
    theta0 = rng.standard_normal(size) / np.sqrt(d)
    result = minimize(regularized_objective, theta0, args=(X, Y, beta, m), jac=True,
                      method="L-BFGS-B",
                      options={"maxiter": 20_000, "maxfun": 40_000, "maxcor": 30,
                               "ftol": 1e-15, "gtol": 1e-11})
    # Report the objective recomputed at the returned weights, not the optimizer's word.
    return regularized_objective(result.x, X, Y, beta, m)[0]


def regularized_instance(n: int, d: int, k: int | None, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    planted = rng.standard_normal((d,) if k is None else (d, k))
    Y = X @ planted + 0.3 * rng.standard_normal((n,) if k is None else (n, k))
    return X, Y


@pytest.mark.parametrize(("n", "d", "k"), [(20, 8, None), (8, 15, None), (20, 8, 3),
                                           (10, 12, 4)])
@pytest.mark.parametrize("beta", [0.1, 2.0, 20.0])
def test_lbfgs_never_beats_the_certificate(n, d, k, beta):
    X, Y = regularized_instance(n, d, k, seed=100 * n + d + (k or 0))
    cert = cvxdual.certify(X, Y, beta=beta)
    assert cert.certified, cert.reasons
    scale = max(abs(cert.training_value), 1.0)
    trained = [train_lbfgs(X, Y, beta, m, seed) for seed, m in enumerate((5, 6, 8, 10))]
    # Weak duality: no network beats the lower bound, hence none beats the certified value.
    assert min(trained) >= cert.dual_value - BEAT_RTOL * scale
    assert min(trained) >= cert.training_value - BEAT_RTOL * scale, (trained, cert.training_value)
    # Linear networks have a benign landscape: some restart reaches the global optimum.
    assert min(trained) <= cert.training_value * (1 + REACH_RTOL)


@pytest.mark.parametrize("k", [None, 3])
def test_regularized_gradient_matches_finite_differences(k):
    rng = np.random.default_rng(11)
    n, d, m, beta = 9, 6, 5, 0.7
    X = rng.standard_normal((n, d))
    Y = rng.standard_normal((n,) if k is None else (n, k))
    theta = rng.standard_normal(d * m + (m if k is None else m * k))

    def value(t):
        return regularized_objective(t, X, Y, beta, m)[0]

    def gradient(t):
        return regularized_objective(t, X, Y, beta, m)[1]

    error = check_grad(value, gradient, theta, epsilon=1e-6)
    assert error <= 1e-4 * (1.0 + np.linalg.norm(gradient(theta)))
    # And the check is sensitive: a gradient off by a small amount is caught.
    wrong = check_grad(value, lambda t: gradient(t) * 1.01, theta, epsilon=1e-6)
    assert wrong > 10 * error


# --- minimum-norm problem (2): SLSQP --------------------------------------------------------------

def min_norm_constraint(theta: np.ndarray, X: np.ndarray, y: np.ndarray, m: int) -> np.ndarray:
    W1, w2 = split(theta, X.shape[1], m, None)
    return X @ W1 @ w2 - y


def min_norm_constraint_jacobian(theta: np.ndarray, X: np.ndarray, y: np.ndarray,
                                 m: int) -> np.ndarray:
    """Jacobian of ``X W1 w2 - y`` with respect to ``(vec W1, w2)``, shape (n, d m + m)."""
    n, d = X.shape
    W1, w2 = split(theta, d, m, None)
    # d(X W1 w2)_i / d(W1)_{ab} = X_{ia} w2_b (row-major vec of W1).
    jac_W1 = (X[:, :, None] * w2[None, None, :]).reshape(n, d * m)
    return np.hstack([jac_W1, X @ W1])


def train_slsqp(X: np.ndarray, y: np.ndarray, m: int, seed: int) -> tuple[float, float]:
    """Returns (objective, constraint residual) of an SLSQP run from a random start."""
    d = X.shape[1]
    rng = np.random.default_rng(seed)
    theta0 = rng.standard_normal(d * m + m)
    result = minimize(lambda t: float(t @ t), theta0, jac=lambda t: 2.0 * t, method="SLSQP",
                      constraints=[{"type": "eq", "fun": min_norm_constraint,
                                    "jac": min_norm_constraint_jacobian, "args": (X, y, m)}],
                      options={"maxiter": 2000, "ftol": 1e-14})
    theta = result.x
    return float(theta @ theta), float(np.linalg.norm(min_norm_constraint(theta, X, y, m)))


def test_constraint_jacobian_matches_finite_differences():
    rng = np.random.default_rng(12)
    n, d, m = 3, 5, 3
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    theta = rng.standard_normal(d * m + m)
    jacobian = min_norm_constraint_jacobian(theta, X, y, m)
    for i in range(n):
        error = check_grad(lambda t, i=i: min_norm_constraint(t, X, y, m)[i],
                           lambda t, i=i: min_norm_constraint_jacobian(t, X, y, m)[i], theta,
                           epsilon=1e-6)
        assert error <= 1e-5 * (1.0 + np.linalg.norm(jacobian[i]))


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_slsqp_min_norm_never_beats_the_certificate(seed):
    rng = np.random.default_rng(seed)
    n, d, m = 3, 5, 3
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    cert = cvxdual.certify(X, y, beta=None)
    assert cert.certified, cert.reasons
    # Independent check of the certified value: 2 ||X^+ y|| (Theorem 2.2).
    expected = 2.0 * np.linalg.norm(np.linalg.pinv(X) @ y)
    assert cert.training_value == pytest.approx(expected, rel=1e-6)

    # A network missing f(X) = y by r can undercut the optimum by at most 2 ||X^+||_2 ||r||
    # (its objective is >= 2 ||X^+ f(X)||): allow exactly that on top of the tolerance.
    pinv_norm = float(np.linalg.norm(np.linalg.pinv(X), 2))
    feasible = []
    for restart in range(8):
        value, residual = train_slsqp(X, y, m, seed=1000 * seed + restart)
        if residual < FEASIBLE_ATOL:
            slack = 1e-6 * max(cert.training_value, 1.0) + 2.0 * pinv_norm * residual
            assert value >= cert.training_value - slack, (value, residual, cert.training_value)
            assert value >= cert.dual_value - slack
            feasible.append(value)
    assert len(feasible) >= 3, "SLSQP should reach feasibility from most starts"
    assert min(feasible) <= cert.training_value * (1 + MIN_NORM_REACH)
