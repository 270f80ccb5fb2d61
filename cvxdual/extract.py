"""Optimal neurons from dual solutions, and whole networks built from them.

Corollary 2.1: the optimal hidden neurons are extreme points, the maximizers of the dual
constraint ``|λ^T X w|`` over the unit ball. For linear neurons the maximizer is explicit:
``w = X^T λ / ||X^T λ||`` (scalar output), and for vector outputs the right singular vectors of
``Λ^T X`` whose singular value reaches the bound (Remarks 2.1–2.2). Output weights then come from
the convex program restricted to those neurons (the ``P_e`` of the proof of Theorem 2.2), and the
layers are balanced with the rescaling of Lemma 2.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cvxdual.data import Dataset
from cvxdual.fast import nuclear_least_squares
from cvxdual.network import Network

__all__ = [
    "ACTIVE_RTOL",
    "RANK_RTOL",
    "negligible_singular_value",
    "ExtremePoints",
    "linear_oracle",
    "extreme_points",
    "balance_two_layer",
    "two_layer_network",
    "network_from_dual",
]

#: A neuron counts as an extreme point when its oracle value is within this relative distance of
#: the dual bound. An interior-point dual whose objective is accurate to ~1e-8 has dual variables
#: accurate only to about its square root where the constraint is curved, so singular values
#: that are exactly 1 at the optimum come out within ~1e-5 of it. Extra directions that pass
#: the test cannot hurt a minimum-norm fit (the output weights are fitted over their span).
ACTIVE_RTOL = 1e-4

#: Singular values of the end-to-end matrix ``V`` below ``RANK_RTOL * σ_max(X^+ Y)`` are solver
#: noise (the solvers' relative accuracy is ~1e-8) and are dropped with their neurons: at
#: ``β >= σ_max(X^T Y)`` the optimal network is empty, not one neuron with weights of 1e-9.
RANK_RTOL = 1e-7


@dataclass(frozen=True)
class ExtremePoints:
    """Unit-norm neurons maximizing the dual constraint, with their oracle values.

    Attributes
    ----------
    neurons : ndarray, shape (d, s)
        Orthonormal columns (``s = 0`` when no neuron reaches the bound).
    values : ndarray, shape (s,)
        ``||Λ^T X w_j||_2`` for each neuron, descending.
    max_value : float
        The oracle's maximum ``σ_max(X^T Λ)`` (``||X^T λ||_2`` for scalar outputs).
    """

    neurons: np.ndarray
    values: np.ndarray
    max_value: float


def linear_oracle(X: np.ndarray, lam: np.ndarray) -> float:
    """Exact ``max_{||w||_2 <= 1} ||Λ^T X w||_2 = σ_max(X^T Λ)`` (``||X^T λ||_2`` for a vector).

    Parameters
    ----------
    X : ndarray, shape (n, d)
    lam : ndarray, shape (n,) or (n, k)
    """
    G = X.T @ lam
    return float(np.linalg.norm(G)) if G.ndim == 1 else float(np.linalg.norm(G, 2))


def extreme_points(data: Dataset, lam: np.ndarray, bound: float,
                   rtol: float = ACTIVE_RTOL) -> ExtremePoints:
    """Extreme points of Corollary 2.1 / Remark 2.1 read from a dual solution.

    Parameters
    ----------
    data : Dataset
    lam : ndarray, shape (n,) or (n, k)
        Dual variable of (5)/(6) or (12) (or of the regularized duals).
    bound : float
        The dual bound: ``1`` for minimum norm, ``β`` for the regularized problem.
    rtol : float
        Directions with oracle value ``>= (1 - rtol) * bound`` are returned.

    Returns
    -------
    ExtremePoints
    """
    G = data.X.T @ np.asarray(lam, dtype=np.float64).reshape(data.n, -1)   # (d, k)
    left, singular, _ = np.linalg.svd(G, full_matrices=False)
    max_value = float(singular[0]) if singular.size else 0.0
    keep = singular >= (1.0 - rtol) * bound
    if max_value == 0.0:
        keep[:] = False
    return ExtremePoints(neurons=left[:, keep].copy(), values=singular[keep].copy(),
                         max_value=max_value)


def balance_two_layer(W1: np.ndarray, W2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rescale each neuron as in the proof of Lemma 2.1.

    ``w1_j ← α_j w1_j`` and ``w2_j ← w2_j / α_j`` with ``α_j = (||w2_j|| / ||w1_j||)^{1/2}``
    leave ``f(X)`` unchanged and make ``||W1||_F^2 + ||W2||_F^2 = 2 Σ_j ||w1_j|| ||w2_j||``, the
    smallest value over all rescalings. Neurons with a zero part are set to zero.

    Parameters
    ----------
    W1 : ndarray, shape (d, m)
    W2 : ndarray, shape (m,) or (m, k)
    """
    in_norms = np.linalg.norm(W1, axis=0)
    out_norms = np.abs(W2) if W2.ndim == 1 else np.linalg.norm(W2, axis=1)
    alive = (in_norms > 0) & (out_norms > 0)
    alpha = np.zeros_like(in_norms)
    alpha[alive] = np.sqrt(out_norms[alive] / in_norms[alive])
    inv = np.zeros_like(alpha)
    inv[alive] = 1.0 / alpha[alive]
    W2_scaled = W2 * inv if W2.ndim == 1 else W2 * inv[:, None]
    return W1 * alpha, W2_scaled


def negligible_singular_value(data: Dataset) -> float:
    """Threshold below which a singular value of an end-to-end matrix is treated as zero:
    ``RANK_RTOL * σ_max(X^+ Y)``."""
    return RANK_RTOL * float(np.linalg.norm(data.min_norm_solution, 2))


def two_layer_network(V: np.ndarray, vector_output: bool, atol: float = 0.0) -> Network:
    """The balanced two-layer linear network whose end-to-end matrix is ``V``.

    With the SVD ``V = N diag(σ) R^T``, the neurons are the columns of ``N`` (unit norm), the
    output weights of the ℓ1 form are ``diag(σ) R^T``, and balancing (Lemma 2.1) gives
    ``W1 = N diag(√σ)``, ``W2 = diag(√σ) R^T`` with ``Σ ||W_l||_F^2 = 2 ||V||_*``.

    Parameters
    ----------
    V : ndarray, shape (d, k)
    vector_output : bool
        False returns ``W2`` of shape ``(m,)`` (requires ``k = 1``).
    atol : float
        Singular values at or below ``atol`` (or numerically zero) are dropped with their
        neurons.
    """
    N, sigma, Rt = np.linalg.svd(V, full_matrices=False)
    tiny = max(V.shape) * np.finfo(np.float64).eps * (sigma[0] if sigma.size else 0.0)
    keep = sigma > max(tiny, atol)
    W1, W2 = balance_two_layer(N[:, keep], sigma[keep, None] * Rt[keep])
    return Network([W1, W2 if vector_output else W2[:, 0]], activation="linear")


def network_from_dual(data: Dataset, lam: np.ndarray, beta: float | None,
                      rtol: float = ACTIVE_RTOL) -> tuple[Network, ExtremePoints]:
    """The optimal two-layer linear network read from a dual solution.

    The neurons are the extreme points of ``lam`` (:func:`extreme_points`); with ``Q`` their
    orthonormal basis the end-to-end matrix is ``V = Q M`` where

    * minimum norm (Theorems 2.2, 2.4): ``M = (X Q)^+ Y``, the minimum-norm (hence minimum
      nuclear-norm) interpolant over the span of the extreme points;
    * regularized (Theorem 2.3, §2.3.2): ``M = argmin ½||X Q M - Y||^2 + β||M||_*``, the
      problem restricted to the extreme points (warm-started from the optimality condition
      ``Λ* = Y - X V*`` of (8)).

    Parameters
    ----------
    data : Dataset
    lam : ndarray, shape (n,) or (n, k)
        Dual solution of (5)/(12) (``beta=None``) or of the regularized dual.
    beta : float or None
    rtol : float
        Passed to :func:`extreme_points`.

    Returns
    -------
    network : Network
        Balanced, so its objective recomputed from the weights is the certified value.
    points : ExtremePoints
    """
    lam2 = np.asarray(lam, dtype=np.float64).reshape(data.n, -1)
    points = extreme_points(data, lam2, 1.0 if beta is None else beta, rtol)
    Q = points.neurons
    if Q.shape[1] == 0:
        V = np.zeros((data.d, data.k))
    elif beta is None:
        M = np.linalg.lstsq(data.X @ Q, data.Y, rcond=None)[0]
        V = Q @ M
    else:
        # Warm start from the optimality condition Λ* = Y - X V*, then solve the problem
        # restricted to the extreme points: its output weights are then accurate to first
        # order in the neurons, not to the square root of the dual's accuracy.
        svd = data.svd
        pinv_residual = svd.Vt.T @ ((svd.U.T @ (data.Y - lam2)) / svd.s[:, None])
        M = nuclear_least_squares(data.X @ Q, data.Y, beta, start=Q.T @ pinv_residual)
        V = Q @ M
    return two_layer_network(V, data.vector_output, negligible_singular_value(data)), points
