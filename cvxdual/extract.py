"""Optimal neurons from dual solutions, and whole networks built from them.

Corollary 2.1: the optimal hidden neurons are extreme points, the maximizers of the dual
constraint ``|λ^T X w|`` over the unit ball. For linear neurons the maximizer is explicit:
``w = X^T λ / ||X^T λ||`` (scalar output), and for vector outputs the right singular vectors of
``Λ^T X`` whose singular value reaches the bound (Remarks 2.1–2.2). Output weights then come from
the convex program restricted to those neurons (the ``P_e`` of the proof of Theorem 2.2), and the
layers are balanced with the rescaling of Lemma 2.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cvxdual.data import Dataset
from cvxdual.errors import ParameterError
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
    "deep_linear_network",
    "first_layer_directions",
    "relu_network",
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
    return deep_linear_network(V, 2, vector_output, atol=atol)


def deep_linear_network(V: np.ndarray, depth: int, vector_output: bool,
                        widths: Sequence[int] | None = None, atol: float = 0.0,
                        rng: np.random.Generator | None = None) -> Network:
    """A depth-``L`` linear network with end-to-end matrix ``V`` and the least weight norm.

    With ``V = N diag(σ) R^T`` (rank ``r``) and ``s = σ^{1/L}``, the layers are (24)/(26)/(27)
    balanced over all ``L`` layers:
    ``W_1 = N diag(s) ρ_1^T``, ``W_l = ρ_{l-1} diag(s) ρ_l^T``, ``W_L = ρ_{L-1} diag(s) R^T``,
    where each ``ρ_l`` (``m_l × r``) has orthonormal columns. Then ``W_1 ⋯ W_L = V`` and
    ``Σ_l ||W_l||_F^2 = L Σ_i σ_i^{2/L}``, the minimum over all factorizations (equal to
    ``L ||v||^{2/L}`` for a scalar output: the rank-one layers of (21)). Every layer has the
    same Frobenius and operator norms (Proposition 3.1) and consecutive layers are aligned.

    Parameters
    ----------
    V : ndarray, shape (d, k)
    depth : int
        ``L >= 2``.
    vector_output : bool
        False returns ``W_L`` of shape ``(m_{L-1},)`` (requires ``k = 1``).
    widths : sequence of int, optional
        Hidden widths ``(m_1, ..., m_{L-1})``, each at least the rank ``r``; ``r`` by default.
    atol : float
        Singular values at or below ``atol`` are dropped.
    rng : numpy.random.Generator, optional
        Draws random orthonormal ``ρ_l``; by default ``ρ_l`` are the first ``r`` coordinate
        vectors (any orthonormal choice is optimal).

    Raises
    ------
    ParameterError
        If ``widths`` has the wrong length or a width is below the rank.
    """
    N, sigma, Rt = np.linalg.svd(V, full_matrices=False)
    tiny = max(V.shape) * np.finfo(np.float64).eps * (sigma[0] if sigma.size else 0.0)
    keep = sigma > max(tiny, atol)
    rank = int(keep.sum())
    if widths is None:
        widths = (rank,) * (depth - 1)
    widths = tuple(int(m) for m in widths)
    if len(widths) != depth - 1:
        raise ParameterError(f"widths needs one entry per hidden layer ({depth - 1} for depth "
                             f"{depth}); got {len(widths)}.")
    if any(m < rank for m in widths):
        raise ParameterError(f"hidden widths {widths} are too small: the optimal layers have "
                             f"rank {rank}, so every hidden layer needs at least {rank} units.")
    s = sigma[keep] ** (1.0 / depth)

    def basis(m: int) -> np.ndarray:
        if rng is None:
            return np.eye(m, rank)
        return np.linalg.qr(rng.standard_normal((m, rank)))[0] if rank else np.zeros((m, 0))

    rho = [basis(m) for m in widths]
    weights = [(N[:, keep] * s) @ rho[0].T]
    for left, right in zip(rho[:-1], rho[1:], strict=True):
        weights.append((left * s) @ right.T)
    last = (rho[-1] * s) @ Rt[keep]
    weights.append(last if vector_output else last[:, 0])
    return Network(weights, activation="linear")


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


def first_layer_directions(network: Network, rtol: float = RANK_RTOL) -> np.ndarray:
    """The distinct unit-norm neuron directions of a linear network's first layer.

    The balanced deep networks (21), (24), (26) have ``W_1 = Σ_i s_i u_i ρ_i^T`` with orthonormal
    ``ρ_i``, so their ``m_1`` columns are combinations of a few directions ``u_i`` (one for scalar
    outputs, Theorem 3.1): the extreme points. They are the left singular vectors of ``W_1`` whose
    singular values exceed ``rtol`` times the largest.

    Parameters
    ----------
    network : Network
        First layer ``W_1`` of shape ``(d, m_1)``.
    rtol : float
        Relative threshold on the singular values of ``W_1``.

    Returns
    -------
    ndarray, shape (d, r)
        Orthonormal columns, ``r = rank(W_1)`` (``r = 0`` for the zero network).
    """
    W1 = network.weights[0]
    if W1.shape[1] == 0 or not np.any(W1):
        return np.zeros((W1.shape[0], 0))
    U, singular, _ = np.linalg.svd(W1, full_matrices=False)
    return U[:, singular > rtol * singular[0]].copy()


def relu_network(c: np.ndarray, a0: np.ndarray, alpha: np.ndarray, intercept: float, depth: int,
                 t: float, widths: Sequence[int] | None = None,
                 breakpoints: np.ndarray | None = None) -> Network:
    """The depth-``L`` ReLU network (44)/(46) of an ℓ1 solution over the spline dictionary.

    ``alpha`` (``2m``) weighs ``(c - β_j)_+`` then ``(β_j - c)_+`` (``β`` = the data points
    ``c`` by default). With unit vectors ``u_l = 1/√m_l`` (any nonnegative ``φ_l`` of norm ``t``
    works, Theorem 4.1): ``W_1 = t (a0/||a0||) u_1^T``, ``W_l = t u_{l-1} u_l^T`` for
    ``l <= L-2``, so every row ``c_i a0`` reaches the last hidden layer as
    ``c_i g u_{L-2}`` with gain ``g = ||a0|| t^{L-2}``. Neuron ``j`` of the last hidden layer
    has weight ``o_j r_j u_{L-2}``, bias ``-o_j β_j g r_j`` (its kink sits at a data point,
    Corollary 4.1) and output weight ``sign(α_j) r_j`` with ``r_j = (|α_j|/g)^{1/2}``
    (balanced, Lemma 2.1). Cost: ``(L-2) t^2 + 2 ||α||_1 / g``; every layer is rank one
    (Remark 4.1).

    Parameters
    ----------
    c : ndarray, shape (n,)
    a0 : ndarray, shape (d,)
    alpha : ndarray, shape (2m,)
    intercept : float
        The free output intercept ``η``.
    depth : int
    t : float
        Norm of each of the first ``L-2`` layers (ignored for ``L = 2``).
    widths : sequence of int, optional
        Hidden widths; by default 1 for the first ``L-2`` layers and the number of active
        neurons for the last.
    breakpoints : ndarray, optional

    Raises
    ------
    ParameterError
        If a width is below what the solution needs.
    """
    points = c if breakpoints is None else np.asarray(breakpoints, dtype=np.float64)
    m = points.size
    alpha = np.asarray(alpha, dtype=np.float64)
    total = float(np.sum(np.abs(alpha)))
    active = np.flatnonzero(np.abs(alpha) > 1e-14 * total) if total > 0 else np.array([], int)
    needed = active.size
    if widths is None:
        widths = (1,) * (depth - 2) + (needed,)
    widths = tuple(int(w) for w in widths)
    if len(widths) != depth - 1:
        raise ParameterError(f"widths needs one entry per hidden layer ({depth - 1} for depth "
                             f"{depth}); got {len(widths)}.")
    if widths[-1] < needed or any(w < 1 for w in widths[:-1]):
        raise ParameterError(f"hidden widths {widths} are too small: the last hidden layer needs "
                             f"{needed} neurons (one per kink) and the others at least 1.")
    norm0 = float(np.linalg.norm(a0))
    direction = a0 / norm0
    gain = norm0 * t ** (depth - 2)
    orientation = np.where(active < m, 1.0, -1.0)
    kinks = points[active % m]
    radius = np.sqrt(np.abs(alpha[active]) / gain) if needed else np.zeros(0)
    weights: list[np.ndarray] = []
    biases: list[np.ndarray | None] = []
    if depth == 2:
        into_last = direction[:, None]
    else:
        units = [np.full(w, 1.0 / np.sqrt(w)) for w in widths[:-1]]
        weights.append(t * np.outer(direction, units[0]))
        for left, right in zip(units[:-1], units[1:], strict=True):
            weights.append(t * np.outer(left, right))
        biases.extend([None] * (depth - 2))
        into_last = units[-1][:, None]
    W_last = np.zeros((into_last.shape[0], widths[-1]))
    W_last[:, :needed] = into_last * (orientation * radius)[None, :]
    b_last = np.zeros(widths[-1])
    b_last[:needed] = -orientation * kinks * gain * radius
    w_out = np.zeros(widths[-1])
    w_out[:needed] = np.sign(alpha[active]) * radius
    weights.extend([W_last, w_out])
    biases.append(b_last)
    return Network(weights, biases=biases, intercept=float(intercept), activation="relu")
