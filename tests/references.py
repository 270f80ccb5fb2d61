"""Independent reference values for the two-layer linear tests.

Nothing here calls cvxdual: closed forms in NumPy, a 1-D search along the ridge path, singular-
value thresholding and a small FISTA with a duality-gap stop. Tests compare the library against
these, never against values taken from the library itself.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

K = 3  # number of outputs for vector-output cases
SHAPES = {"wide": (8, 14), "tall": (24, 6)}  # n < d and n > d
OUTPUTS = ("scalar", "vector")


def make_xy(output: str, shape: str, seed: int, planted: bool = False):
    """Random ``X`` and targets; ``planted`` makes ``Y = X W`` (interpolable for any shape)."""
    rng = np.random.default_rng(seed)
    n, d = SHAPES[shape]
    X = rng.standard_normal((n, d))
    tail = () if output == "scalar" else (K,)
    Y = X @ rng.standard_normal((d, *tail)) if planted else rng.standard_normal((n, *tail))
    return X, Y


def nuclear(W: np.ndarray) -> float:
    """``||W||_*`` (the 2-norm for a vector)."""
    return float(np.linalg.norm(W)) if W.ndim == 1 else float(np.linalg.norm(W, "nuc"))


def min_norm_reference(X: np.ndarray, Y: np.ndarray) -> float:
    """Training value of (3)/(10): ``2 ||X^+ Y||_*``."""
    return 2.0 * nuclear(np.linalg.pinv(X) @ Y)


def ridge_path_reference(X: np.ndarray, y: np.ndarray, beta: float):
    """``min_v ||Xv - y||^2 + 2β||v||_2`` by a 1-D search along the ridge path.

    A nonzero minimizer satisfies ``(X^T X + μ I) v = X^T y`` with ``μ = β / ||v||``, so it lies on
    the ridge path ``v(μ)``; the objective along the path is unimodal in ``log μ`` (a convex
    function of the decreasing ``||v(μ)||``). ``v = 0`` is the other candidate. The KKT
    condition is checked so that the reference itself is trustworthy.
    """
    d = X.shape[1]
    gram, xty = X.T @ X, X.T @ y

    def v_of(log_mu: float) -> np.ndarray:
        return np.linalg.solve(gram + np.exp(log_mu) * np.eye(d), xty)

    def objective(v: np.ndarray) -> float:
        r = X @ v - y
        return float(r @ r + 2.0 * beta * np.linalg.norm(v))

    result = minimize_scalar(lambda t: objective(v_of(t)), bounds=(-20.0, 20.0),
                             method="bounded", options={"xatol": 1e-12, "maxiter": 2000})
    v = v_of(result.x)
    if objective(v) >= float(y @ y):
        assert np.linalg.norm(xty) <= beta * (1 + 1e-9)  # v = 0 optimal iff ||X^T y|| <= β
        return float(y @ y), np.zeros(d)
    # KKT: X^T (y - X v) = β v / ||v||
    kkt = xty - gram @ v - beta * v / np.linalg.norm(v)
    assert np.linalg.norm(kkt) <= 1e-6 * max(1.0, np.linalg.norm(xty))
    return objective(v), v


def svt(A: np.ndarray, tau: float) -> np.ndarray:
    """Singular-value soft-thresholding."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (U * np.maximum(s - tau, 0.0)) @ Vt


def svt_reference(X: np.ndarray, Y: np.ndarray, beta: float):
    """Orthonormal ``X``: minimizer ``SVT_β(X^T Y)``, value ``||XV - Y||_F^2 + 2β||V||_*``."""
    V = svt(X.T @ Y, beta)
    return float(np.sum((X @ V - Y) ** 2) + 2.0 * beta * nuclear(V)), V


def fista_reference(X: np.ndarray, Y: np.ndarray, beta: float, rel_gap: float = 1e-10,
                    max_iter: int = 200_000):
    """FISTA (with adaptive restart) on ``½||XV - Y||_F^2 + β||V||_*``, stopped on a duality gap.

    The dual point is the residual ``Y - XV`` scaled into ``σ_max(X^T Λ) <= β``. Returns the
    training values ``2 P`` (upper bound), ``2 D`` (lower bound) and ``V``.
    """
    L = np.linalg.norm(X, 2) ** 2
    V = np.zeros((X.shape[1], Y.shape[1]))
    Z, t = V.copy(), 1.0

    def bounds(V: np.ndarray) -> tuple[float, float]:
        residual = Y - X @ V
        primal = 0.5 * np.sum(residual ** 2) + beta * nuclear(V)
        scale = min(1.0, beta / max(np.linalg.norm(X.T @ residual, 2), 1e-300))
        lam = scale * residual
        dual = np.sum(lam * Y) - 0.5 * np.sum(lam ** 2)
        return float(primal), float(dual)

    for it in range(max_iter):
        V_next = svt(Z - X.T @ (X @ Z - Y) / L, beta / L)
        if np.sum((Z - V_next) * (V_next - V)) > 0:  # restart momentum
            t = 1.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Z = V_next + ((t - 1.0) / t_next) * (V_next - V)
        V, t = V_next, t_next
        if it % 25 == 0:
            primal, dual = bounds(V)
            if primal - dual <= rel_gap * max(1.0, primal):
                return 2.0 * primal, 2.0 * dual, V
    raise AssertionError("reference FISTA did not reach the requested duality gap")


def rel_err(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))
