"""Exact values without a conic solver: SVD closed forms and the secular equation.

These are independent of the CVXPY programs (they share only the validated data), which is what
makes them useful as a second opinion in certificates and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from cvxdual.bracket import Bracket, lower_bound_from_lines, minimize_convex_plus_concave
from cvxdual.data import Dataset

__all__ = [
    "two_layer_min_norm_value",
    "two_layer_regularized_scalar",
    "two_layer_regularized_orthonormal",
    "two_layer_regularized_value",
    "nuclear_least_squares",
    "deep_linear_min_norm_value",
    "deep_linear_regularized_scalar",
    "deep_linear_regularized_orthonormal",
    "deep_linear_regularized_vector_bounds",
    "schatten_shrink",
    "TrustRegion",
    "ORTHONORMAL_TOL",
    "RowBasis",
    "row_basis",
    "secular_multiplier",
    "regularized_scalar_coefficients",
    "ProxGradient",
    "nuclear_prox_gradient",
]

#: ``max |X^T X - I|`` below which ``X`` counts as having orthonormal columns.
ORTHONORMAL_TOL = 1e-10
#: :func:`row_basis` factors tall ``X`` through ``X^T X`` when ``λ_min / λ_max`` exceeds this
#: (``κ(X) < 10^4``: singular values then carry relative errors below about ``1e-8``).
GRAM_RCOND = 1e-8


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
    mu = secular_multiplier(s2, g, beta)
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
        M_next, Z, t = _accelerated_step(M, Z, t, A.T @ (A @ Z - Y), lipschitz, beta)
        step = M_next - M
        M = M_next
        if np.linalg.norm(step) <= rtol * max(1.0, float(np.linalg.norm(M))):
            break
    return M


def _accelerated_step(current: np.ndarray, extrapolated: np.ndarray, t: float,
                      gradient: np.ndarray, lipschitz: float,
                      beta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """One step of accelerated proximal gradient with singular-value thresholding and adaptive
    restart: returns the new iterate, the new extrapolated point and the new momentum ``t``
    (``gradient`` is taken at ``extrapolated``)."""
    new = _singular_value_threshold(extrapolated - gradient / lipschitz, beta / lipschitz)
    step = new - current
    if np.sum((extrapolated - new) * step) > 0:          # restart when momentum points uphill
        t = 1.0
    t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
    return new, new + ((t - 1.0) / t_next) * step, t_next


# --- deep linear networks (§3) -----------------------------------------------------------------

def deep_linear_min_norm_value(data: Dataset, depth: int) -> float:
    """Global optimum of the depth-``L`` minimum-norm problem (15)/(22):
    ``L Σ_i σ_i(X^+ Y)^{2/L}`` (``L ||X^+ y||^{2/L}`` for scalar outputs).

    ``min Σ_l ||W_l||_F^2`` over factorizations ``W_1 ⋯ W_L = V`` is ``L Σ σ_i(V)^{2/L}``
    (balanced factors, AM–GM per singular value), and ``X^+ Y`` has the smallest singular values
    among all ``V`` with ``X V = Y`` (it is their projection onto the row space of ``X``).
    """
    sigma = np.linalg.svd(data.min_norm_solution, compute_uv=False)
    return float(depth * np.sum(sigma ** (2.0 / depth)))


class TrustRegion:
    """Exact ``g(ρ) = min_{||v||_2 <= ρ} ||X v - y||^2`` for scalar outputs, by the secular
    equation in the SVD basis: ``v(μ) = (X^T X + μ I)^{-1} X^T y`` with ``||v(μ)|| = ρ``."""

    def __init__(self, data: Dataset):
        if data.vector_output:
            raise ValueError("TrustRegion needs scalar-output data")
        svd = data.svd
        self.data = data
        self.s = svd.s
        self.c = svd.U.T @ data.Y[:, 0]                                   # U_r^T y
        outside = data.Y[:, 0] - svd.U @ self.c
        self.outside = float(outside @ outside)                           # ||y - P_X y||^2
        self.radius_max = float(np.linalg.norm(self.c / self.s))          # ||X^+ y||

    def coefficients(self, radius: float) -> np.ndarray:
        """``V_r^T v`` of the minimizer, shape ``(r,)``."""
        if radius >= self.radius_max:
            return self.c / self.s
        if radius <= 0.0:
            return np.zeros_like(self.c)
        g = self.s * self.c
        s2 = self.s ** 2

        def excess(log_mu: float) -> float:
            return float(np.linalg.norm(g / (s2 + np.exp(log_mu)))) - radius

        lo, hi = np.log(s2[-1]) - 2.0, np.log(s2[0]) + 2.0
        while excess(lo) <= 0.0:
            lo -= 4.0
        while excess(hi) >= 0.0:
            hi += 4.0
        log_mu = brentq(excess, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
        return g / (s2 + np.exp(log_mu))

    def value(self, radius: float) -> float:
        return self.value_and_slope(radius)[0]

    def value_and_slope(self, radius: float) -> tuple[float, float]:
        """``g(ρ)`` and ``g'(ρ) = -2 μ ρ`` (``μ`` the multiplier of ``||v|| <= ρ``)."""
        z = self.coefficients(radius)
        fit = self.s * z - self.c
        value = float(fit @ fit) + self.outside
        if radius >= self.radius_max or radius <= 0.0 or not np.any(z):
            # g is flat beyond ||X^+ y||; at 0 the slope is -2 ||X^T y||.
            slope = 0.0 if radius >= self.radius_max else -2.0 * float(
                np.linalg.norm(self.s * self.c))
            return value, slope
        # From (s^2 + μ) z = s c on any coordinate: μ = (s c - s^2 z) / z, averaged stably.
        mu = float(np.sum(self.s * self.c * z - self.s ** 2 * z * z) / np.sum(z * z))
        return value, -2.0 * mu * radius

    def solution(self, radius: float) -> np.ndarray:
        """The minimizer ``v``, shape ``(d,)``."""
        return self.data.svd.Vt.T @ self.coefficients(radius)


def deep_linear_regularized_scalar(data: Dataset, beta: float, depth: int,
                                   rtol: float = 1e-12) -> tuple[Bracket, np.ndarray]:
    """Global optimum of the depth-``L`` regularized problem (1), scalar output.

    (1) equals ``min_v ||X v - y||^2 + β L ||v||^{2/L}`` (balanced rank-one layers, (21)),
    non-convex in ``v`` for ``L > 2`` but a 1-D problem in ``ρ = ||v||`` of convex trust-region
    subproblems: ``min_ρ g(ρ) + β L ρ^{2/L}`` with ``g`` nonincreasing, solved by
    :func:`~cvxdual.bracket.minimize_convex_plus_concave` on ``[0, ||X^+ y||]`` (``g`` is
    convex, ``ρ^{2/L}`` concave).

    Returns
    -------
    bracket : Bracket
        Proven lower and attained upper bound on the optimum of (1), and the optimal ``ρ``.
    v : ndarray, shape (d,)
        The end-to-end weights ``W_1 ⋯ w_L`` attaining ``bracket.upper``.
    """
    region = TrustRegion(data)
    power = 2.0 / depth
    bracket = minimize_convex_plus_concave(region.value_and_slope,
                                           lambda rho: beta * depth * rho ** power,
                                           0.0, region.radius_max, rtol=rtol)
    v = region.solution(bracket.argmin)
    residual = data.X @ v - data.Y[:, 0]
    # Report the value recomputed at the returned v (the bracket's upper bound is the same up to
    # rounding); keep the proven lower bound.
    upper = float(residual @ residual) + beta * depth * float(np.linalg.norm(v)) ** power
    return Bracket(lower=min(bracket.lower, upper), upper=upper, argmin=bracket.argmin,
                   evaluations=bracket.evaluations), v


def schatten_shrink(c: float, beta: float, depth: int) -> float:
    """``argmin_{s >= 0} (s - c)^2 + β L s^{2/L}`` for ``c >= 0``, exactly.

    ``L = 2`` is soft-thresholding. For ``L > 2`` a positive minimizer solves
    ``φ(s) = s + β s^{2/L - 1} = c``; ``φ`` is convex with its minimum at
    ``s_m = (β (1 - 2/L))^{L / (2L - 2)}``, so the larger root (in ``[s_m, c]``) is the only local
    minimizer besides ``s = 0``; the better of the two is returned.
    """
    if depth == 2:
        return max(c - beta, 0.0)
    p = 2.0 / depth
    s_m = (beta * (1.0 - p)) ** (1.0 / (2.0 - p))

    def phi(s: float) -> float:
        return s + beta * s ** (p - 1.0) - c

    if c <= 0.0 or s_m >= c or phi(s_m) >= 0.0:
        return 0.0
    root = brentq(phi, s_m, c, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return root if (root - c) ** 2 + beta * depth * root ** p < c * c else 0.0


def deep_linear_regularized_orthonormal(data: Dataset, beta: float,
                                        depth: int) -> tuple[float, np.ndarray]:
    """Exact optimum of the depth-``L`` regularized problem when ``X^T X = I``.

    Then ``||XV - Y||^2 = ||V - X^T Y||^2 + const``; by von Neumann's trace inequality the
    optimal ``V`` shares the singular vectors of ``X^T Y`` and each singular value is shrunk
    independently by :func:`schatten_shrink`.

    Returns
    -------
    value : float
        ``||XV - Y||_F^2 + β L Σ σ_i(V)^{2/L}`` at the minimizer.
    V : ndarray, shape (d, k)
    """
    P, sigma, Rt = np.linalg.svd(data.X.T @ data.Y, full_matrices=False)
    shrunk = np.array([schatten_shrink(float(c), beta, depth) for c in sigma])
    V = (P * shrunk) @ Rt
    residual = data.X @ V - data.Y
    return float(np.sum(residual ** 2) + beta * depth * np.sum(shrunk ** (2.0 / depth))), V


def deep_linear_regularized_vector_bounds(data: Dataset, beta: float, depth: int,
                                          path_points: int = 40
                                          ) -> tuple[float, float, np.ndarray]:
    """Proven bounds on the depth-``L`` regularized optimum for vector outputs and general ``X``.

    No exact method is known here. Upper bound: the best objective
    ``||XV - Y||^2 + β L Σ σ_i(V)^{2/L}`` over the nuclear-norm path ``V(μ)`` (attained by the
    balanced network of ``V``). Lower bound: since ``Σ σ_i^{2/L} >= (Σ σ_i)^{2/L}``, the optimum
    is at least ``min_ρ G(ρ) + β L ρ^{2/L}`` with ``G(ρ) = min_{||V||_* <= ρ} ||XV - Y||^2``, and
    every residual ``Λ = Y - X V(μ)`` gives by weak duality the line
    ``G(ρ) >= 2⟨Λ, Y⟩ - ||Λ||^2 - 2 ρ σ_max(X^T Λ)``. The minimum of the pointwise maximum of
    these lines plus the concave ``β L ρ^{2/L}`` is attained at a breakpoint of the lines.
    This is the single-``t`` relaxation of §3.3.2, made rigorous.

    Returns
    -------
    lower, upper : float
    V : ndarray, shape (d, k)
        Attains ``upper``.
    """
    X, Y = data.X, data.Y
    power = 2.0 / depth
    mu_max = float(np.linalg.norm(X.T @ Y, 2))

    def objective(V: np.ndarray) -> float:
        sigma = np.linalg.svd(V, compute_uv=False)
        return float(np.sum((X @ V - Y) ** 2) + beta * depth * np.sum(sigma ** power))

    candidates = [np.zeros((data.d, data.k)), data.min_norm_solution]
    start = None
    for mu in mu_max * np.geomspace(1.0, 1e-7, path_points):
        start = nuclear_least_squares(X, Y, float(mu), start=start, rtol=1e-12)
        candidates.append(start)
    values = [objective(V) for V in candidates]
    best = int(np.argmin(values))
    upper = values[best]
    offsets, slopes = [], []
    for V in candidates:
        residual = Y - X @ V
        offsets.append(2.0 * float(np.sum(residual * Y)) - float(np.sum(residual ** 2)))
        slopes.append(2.0 * float(np.linalg.norm(X.T @ residual, 2)))
    # Beyond rho_cap the regularizer alone exceeds the upper bound.
    rho_cap = (upper / (beta * depth)) ** (1.0 / power)
    lower = lower_bound_from_lines(np.array(offsets), np.array(slopes),
                                   lambda rho: beta * depth * rho ** power, rho_cap)
    return min(lower, upper), upper, candidates[best]


# --- fast exact paths on the row space of X (used by cvxdual.fast_certificate) -----------------

def secular_multiplier(s2: np.ndarray, g: np.ndarray, beta: float) -> float:
    """The multiplier ``μ > 0`` with ``||μ g / (s^2 + μ)||_2 = β``, for ``0 < β < ||g||``.

    This is the secular equation of ``min_z ½||diag(s) z - c||^2 + β||z||_2`` with ``g = s ⊙ c``
    (the regularized scalar problem (8) in the SVD basis of ``X``); the left side increases
    from 0 to ``||g||`` in ``μ``, so a bracketed search on ``log μ`` finds the root to
    machine precision at any scale of the data.

    Parameters
    ----------
    s2 : ndarray, shape (r,)
        Squared singular values, descending and positive.
    g : ndarray, shape (r,)
    beta : float
    """
    def excess(log_mu: float) -> float:
        mu = np.exp(log_mu)
        return float(np.linalg.norm(mu * g / (s2 + mu))) - beta

    lo, hi = np.log(s2[-1]) - 2.0, np.log(s2[0]) + 2.0
    while excess(lo) >= 0.0:
        lo -= 4.0
    while excess(hi) <= 0.0:
        hi += 4.0
    return float(np.exp(brentq(excess, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps,
                               maxiter=500)))


@dataclass(frozen=True)
class RowBasis:
    """``X = U diag(s) Vt`` at its numerical rank ``r``, with the targets in that basis.

    ``U`` itself is not kept: for tall ``X`` it is as large as ``X`` and every fast path needs
    only ``C = U^T Y`` (and ``X`` for matrix products).

    Attributes
    ----------
    s : ndarray, shape (r,)
        Positive singular values, descending.
    Vt : ndarray, shape (r, d)
    C : ndarray, shape (r, k)
        ``U^T Y``.
    outside : float
        ``||Y - U U^T Y||_F^2``, the part of the targets no linear network can fit.
    """

    s: np.ndarray
    Vt: np.ndarray
    C: np.ndarray
    outside: float

    @property
    def rank(self) -> int:
        return int(self.s.size)

    def to_input_space(self, Z: np.ndarray) -> np.ndarray:
        """``V = Vt^T Z``, shape ``(d, k)``, from row-space coefficients ``Z``, shape ``(r, k)``."""
        return self.Vt.T @ Z


def row_basis(data: Dataset) -> RowBasis:
    """Factor ``X`` once for the fast paths.

    Wide ``X`` (``n < d``) uses the dataset's cached thin SVD (``U`` is only ``n × n``). Tall ``X``
    never forms ``U`` (``n × d``): ``U^T Y = diag(1/s) Vt X^T Y``. When ``X^T X`` has
    ``λ_min > GRAM_RCOND λ_max``, ``s`` and ``Vt`` come from its eigendecomposition (no copy of
    ``X``); otherwise from the SVD of the triangular factor of ``X = Q R`` (rank by the rule of
    :attr:`Dataset.svd`). Either way the certificate recomputes its bounds from ``X`` itself,
    so the choice affects accuracy, never validity.
    """
    X, Y = data.X, data.Y
    n, d = X.shape
    if n < d:
        svd = data.svd
        C = data.projected_targets
        outside = float(np.sum((Y - svd.U @ C) ** 2))
        return RowBasis(s=svd.s, Vt=svd.Vt, C=C, outside=outside)
    # Well-conditioned X: the eigendecomposition of the d x d Gram matrix (one BLAS-3 product,
    # no copy of X) gives s to relative accuracy ~ eps κ^2 <= GRAM_RCOND^-1 eps; otherwise the
    # backward-stable QR route.
    eigenvalues, Q = np.linalg.eigh(X.T @ X)
    if eigenvalues[-1] > 0 and eigenvalues[0] > GRAM_RCOND * eigenvalues[-1]:
        s, Vt = np.sqrt(eigenvalues[::-1]), Q[:, ::-1].T.copy()
        r = d
        C = (Vt @ (X.T @ Y)) / s[:, None]
    else:
        Q, R = np.linalg.qr(X, mode="reduced")
        U_R, s, Vt = np.linalg.svd(R, full_matrices=False)
        tol = max(n, d) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
        r = int(np.count_nonzero(s > tol))
        s, Vt = s[:r].copy(), Vt[:r].copy()
        # U^T Y through Q, not diag(1/s) Vt X^T Y: that normal-equations route loses accuracy
        # ~ eps κ^2 in the small singular directions, which dominate ||X^+ Y|| (an objective
        # 1.75e-5 low at κ = 1e6, with an interpolation residual of only 4e-11).
        C = U_R[:, :r].T @ (Q.T @ Y)
    if not r:
        C = np.zeros((0, data.k))
    # Measured directly, not as ||Y||^2 - ||C||^2, which cancels when Y is nearly in range.
    outside = float(np.sum((Y - X @ (Vt.T @ (C / s[:, None]))) ** 2)) if r else float(
        np.sum(Y ** 2))
    return RowBasis(s=s, Vt=Vt, C=C, outside=outside)


def regularized_scalar_coefficients(basis: RowBasis, beta: float) -> np.ndarray:
    """Row-space coefficients ``z = Vt v`` of the minimizer of (8) for a scalar output,
    ``½||X v - y||^2 + β||v||_2`` (twice it is (1) for the two-layer network; Theorem 2.3).

    ``z = s c / (s^2 + μ)`` with ``μ`` from :func:`secular_multiplier`, and ``z = 0`` when
    ``β >= ||X^T y||`` (the dual constraint holds at ``λ = y``).

    Returns
    -------
    ndarray, shape (r,)
    """
    c = basis.C[:, 0]
    g = basis.s * c
    if basis.rank == 0 or beta >= float(np.linalg.norm(g)):
        return np.zeros(basis.rank)
    s2 = basis.s ** 2
    return g / (s2 + secular_multiplier(s2, g, beta))


@dataclass(frozen=True)
class ProxGradient:
    """Result of :func:`nuclear_prox_gradient`.

    Attributes
    ----------
    Z : ndarray, shape (r, k)
        Row-space coefficients of the last iterate (``V = Vt^T Z``).
    iterations : int
    primal, dual : float
        Value of (8) at ``Z`` and of its dual at the scaled residual (a valid lower bound).
    rel_gap : float
        ``(primal - dual) / max(|primal|, |dual|)``.
    converged : bool
        ``rel_gap <= gap_rtol`` was reached before ``max_iter``.
    """

    Z: np.ndarray
    iterations: int
    primal: float
    dual: float
    rel_gap: float
    converged: bool


def _reduced_bounds(basis: RowBasis, Z: np.ndarray, beta: float) -> tuple[float, float]:
    """Primal value of (8) at ``V = Vt^T Z`` and the dual value at ``Λ = Y - X V`` scaled into
    ``σ_max(X^T Λ) <= β``, both computed in the row-space coordinates."""
    residual = basis.C - basis.s[:, None] * Z                  # U^T (Y - X V)
    nuclear = float(np.linalg.svd(Z, compute_uv=False).sum()) if Z.size else 0.0
    fit = float(np.sum(residual ** 2)) + basis.outside
    primal = 0.5 * fit + beta * nuclear
    oracle = float(np.linalg.norm(basis.s[:, None] * residual, 2)) if Z.size else 0.0
    a = min(1.0, beta / oracle) if oracle > 0 else 1.0
    dual = a * (float(np.sum(residual * basis.C)) + basis.outside) - 0.5 * a * a * fit
    return primal, dual


def nuclear_prox_gradient(basis: RowBasis, beta: float, start: np.ndarray | None = None,
                          gap_rtol: float = 1e-9, max_iter: int = 20_000,
                          check_every: int = 5) -> ProxGradient:
    """Minimize (8) for vector outputs, ``½||X V - Y||_F^2 + β||V||_*`` (Theorem 2.4, §2.3.2).

    On the row space of ``X`` the problem is ``½||diag(s) Z - C||^2 + β||Z||_*`` (plus the
    constant ``½ outside``): accelerated proximal gradient with singular-value thresholding,
    step ``1 / s_max^2`` and adaptive restart, each step ``O(r k min(r, k))``. Every
    ``check_every`` steps the dual point ``Λ = Y - X V`` is scaled into ``σ_max(X^T Λ) <= β``
    and the method stops once the duality gap is at most ``gap_rtol`` relative.

    Parameters
    ----------
    basis : RowBasis
    beta : float
    start : ndarray, shape (r, k), optional
        Warm start (e.g. the solution at a nearby ``β`` on a path).
    gap_rtol : float
    max_iter : int

    Returns
    -------
    ProxGradient
    """
    r, k = basis.C.shape
    if r == 0:
        primal, dual = _reduced_bounds(basis, np.zeros((0, k)), beta)
        return ProxGradient(np.zeros((0, k)), 0, primal, dual, 0.0, True)
    s = basis.s[:, None]
    lipschitz = float(basis.s[0]) ** 2
    Z = np.zeros((r, k)) if start is None else np.array(start, dtype=np.float64)
    M, t = Z.copy(), 1.0
    iterations, rel_gap, primal, dual = 0, np.inf, np.inf, -np.inf
    while True:
        if iterations % check_every == 0 or iterations >= max_iter:
            primal, dual = _reduced_bounds(basis, Z, beta)
            scale = max(abs(primal), abs(dual))
            rel_gap = (primal - dual) / scale if scale > 0 else 0.0
            if rel_gap <= gap_rtol or iterations >= max_iter:
                break
        Z, M, t = _accelerated_step(Z, M, t, s * (s * M - basis.C), lipschitz, beta)
        iterations += 1
    return ProxGradient(Z, iterations, primal, dual, float(rel_gap), bool(rel_gap <= gap_rtol))
