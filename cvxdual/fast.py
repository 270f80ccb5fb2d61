"""Exact values without a conic solver: SVD closed forms and the secular equation.

These are independent of the CVXPY programs (they share only the validated data), which is what
makes them useful as a second opinion in certificates and tests.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from cvxdual.data import Dataset

__all__ = [
    "two_layer_min_norm_value",
    "two_layer_regularized_scalar",
    "two_layer_regularized_orthonormal",
    "two_layer_regularized_value",
    "nuclear_least_squares",
    "ORTHONORMAL_TOL",
]

#: ``max |X^T X - I|`` below which ``X`` counts as having orthonormal columns.
ORTHONORMAL_TOL = 1e-10


def two_layer_min_norm_value(data: Dataset) -> float:
    """Global optimum of the minimum-norm problem (3)/(10): ``2 ||X^+ Y||_*``.

    For scalar outputs this is ``2 ||X^+ y||_2`` (the nuclear norm of a column).
    The caller must ensure ``Y`` is in the range of ``X`` (:meth:`Dataset.require_interpolable`).
    """
    return 2.0 * float(np.linalg.svd(data.min_norm_solution, compute_uv=False).sum())


def two_layer_regularized_scalar(data: Dataset, beta: float) -> tuple[float, np.ndarray]:
    """Exact optimum of (1) for a two-layer scalar-output linear network.

    Solves ``min_v ||X v - y||^2 + 2β ||v||_2`` (= 2 × (8)) through its secular equation: the
    minimizer is ``v(μ) = (X^T X + μ I)^{-1} X^T y`` with ``μ ||v(μ)|| = β``. In the SVD basis,
    ``φ(μ) = ||μ g / (s^2 + μ)||_2`` (``g = s ⊙ U_r^T y``) increases from 0 to ``||X^T y||``, so
    ``v = 0`` when ``β >= ||X^T y||`` and otherwise a bracketed root search finds ``μ``.

    Returns
    -------
    value : float
        The optimal value of (1).
    v : ndarray, shape (d,)
        The end-to-end weights ``W1 w2``.
    """
    if data.vector_output:
        raise ValueError("two_layer_regularized_scalar needs scalar-output data")
    svd = data.svd
    y = data.Y[:, 0]
    s2 = svd.s ** 2
    g = svd.s * (svd.U.T @ y)
    g_norm = float(np.linalg.norm(g))
    if beta >= g_norm:
        return float(y @ y), np.zeros(data.d)

    def excess(log_mu: float) -> float:
        mu = np.exp(log_mu)
        return float(np.linalg.norm(mu * g / (s2 + mu))) - beta

    lo, hi = np.log(s2[-1]) - 2.0, np.log(s2[0]) + 2.0
    while excess(lo) >= 0.0:
        lo -= 4.0
    while excess(hi) <= 0.0:
        hi += 4.0
    log_mu = brentq(excess, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    mu = np.exp(log_mu)
    v = svd.Vt.T @ (g / (s2 + mu))
    residual = data.X @ v - y
    return float(residual @ residual + 2.0 * beta * np.linalg.norm(v)), v


def two_layer_regularized_orthonormal(data: Dataset, beta: float) -> tuple[float, np.ndarray]:
    """Exact optimum of (1) for vector outputs when ``X^T X = I``.

    Then ``½||XV - Y||_F^2 = ½||V - X^T Y||_F^2 + const`` and the minimizer of
    ``½||XV - Y||^2 + β||V||_*`` is singular-value soft-thresholding of ``X^T Y`` at ``β``.

    Returns
    -------
    value : float
        ``||XV - Y||_F^2 + 2β||V||_*`` at the minimizer.
    V : ndarray, shape (d, k)
    """
    P, sigma, Rt = np.linalg.svd(data.X.T @ data.Y, full_matrices=False)
    shrunk = np.maximum(sigma - beta, 0.0)
    V = (P * shrunk) @ Rt
    residual = data.X @ V - data.Y
    return float(np.sum(residual ** 2) + 2.0 * beta * shrunk.sum()), V


def has_orthonormal_columns(X: np.ndarray, tol: float = ORTHONORMAL_TOL) -> bool:
    """True when ``max |X^T X - I| <= tol``."""
    n, d = X.shape
    return n >= d and float(np.max(np.abs(X.T @ X - np.eye(d)))) <= tol


def two_layer_regularized_value(data: Dataset, beta: float) -> float | None:
    """Closed-form optimum of (1) where one is known, else ``None``.

    Scalar outputs: always (secular equation). Vector outputs: when ``X^T X = I``
    (singular-value thresholding); for general ``X`` the vector regularized problem has no closed
    form and only the convex programs certify it.
    """
    if not data.vector_output:
        return two_layer_regularized_scalar(data, beta)[0]
    if has_orthonormal_columns(data.X):
        return two_layer_regularized_orthonormal(data, beta)[0]
    return None


def _singular_value_threshold(M: np.ndarray, tau: float) -> np.ndarray:
    P, sigma, Rt = np.linalg.svd(M, full_matrices=False)
    return (P * np.maximum(sigma - tau, 0.0)) @ Rt


def nuclear_least_squares(A: np.ndarray, Y: np.ndarray, beta: float,
                          start: np.ndarray | None = None, rtol: float = 1e-13,
                          max_iter: int = 20_000) -> np.ndarray:
    """Minimizer of ``½ ||A M - Y||_F^2 + β ||M||_*`` over ``M``.

    This is the regularized problem (8)/(§2.3.2) restricted to the neurons ``Q`` with
    ``A = X Q`` (the ``P_e`` construction of the proof of Theorems 2.2–2.4). With a single
    neuron it is group soft-thresholding in closed form; otherwise accelerated proximal
    gradient with singular-value thresholding and adaptive restart, stopped when an iterate
    moves by less than ``rtol`` relative.

    Parameters
    ----------
    A : ndarray, shape (n, s)
    Y : ndarray, shape (n, k)
    beta : float
    start : ndarray, shape (s, k), optional
        Warm start.

    Returns
    -------
    ndarray, shape (s, k)
    """
    n, s = A.shape
    if s == 0:
        return np.zeros((0, Y.shape[1]))
    if s == 1:
        a = A[:, 0]
        correlation = Y.T @ a                                        # (k,)
        norm = float(np.linalg.norm(correlation))
        shrink = max(0.0, 1.0 - beta / norm) if norm > 0 else 0.0
        return (shrink * correlation / float(a @ a))[None, :]
    lipschitz = float(np.linalg.norm(A, 2)) ** 2
    M = np.zeros((s, Y.shape[1])) if start is None else np.array(start, dtype=np.float64)
    Z, t = M.copy(), 1.0
    for _ in range(max_iter):
        gradient = A.T @ (A @ Z - Y)
        M_next = _singular_value_threshold(Z - gradient / lipschitz, beta / lipschitz)
        step = M_next - M
        if np.sum((Z - M_next) * step) > 0:          # restart when momentum points uphill
            t = 1.0
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Z = M_next + ((t - 1.0) / t_next) * step
        M, t = M_next, t_next
        if np.linalg.norm(step) <= rtol * max(1.0, float(np.linalg.norm(M))):
            break
    return M
