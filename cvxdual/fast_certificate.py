"""Certificates by exact NumPy paths, without a conic solver (``certify(..., method="fast")``).

The same :class:`~cvxdual.certificate.Certificate` as the CVXPY path, with the same rule:
``certified`` is decided only from values recomputed in NumPy, an upper bound (the objective of
the returned network, recomputed from its weights) and a lower bound (the dual objective at an
exactly feasible dual point, or a proven bound). What replaces the solver:

* **two-layer, minimum norm** (3)/(10): ``V = X^+ Y`` (Proposition 2.1), the dual point
  ``Λ = (X^+)^T N R^T`` (``V = N Σ R^T``) of (5)/(12), then scaled into ``σ_max(X^T Λ) <= 1``;
* **two-layer, regularized, scalar output** (8): the secular equation
  ``v = (X^T X + μ I)^{-1} X^T y`` with ``μ ||v|| = β`` (a trust-region problem, Theorem 2.3),
  dual point ``λ = y - X v`` scaled into ``||X^T λ|| <= β``;
* **two-layer, regularized, vector output** (8) with ``||V||_*`` (Theorem 2.4): accelerated
  proximal gradient with singular-value thresholding on the row space of ``X``, stopped by the
  duality gap at ``Λ = Y - X V`` scaled into ``σ_max(X^T Λ) <= β``;
* **deep linear** (§3): ``X^+ Y`` factored into balanced layers (Theorems 3.1–3.2); scalar
  regularized problems by the exact 1-D search of Corollary 3.2; vector regularized problems
  by singular-value shrinkage (``X^T X = I``), the scalar search (rank-one targets), or proven
  bounds (general ``X``: no exact method is known).

Every lower bound is recomputed from the full arrays (``X``, ``Y``, the dual point); the iterates'
own bookkeeping only decides when to stop. ``closed_form`` is reported only when it comes from a
computation independent of the path (singular-value thresholding of ``X^T Y`` when
``X^T X = I``), else None: the fast path *is* the closed form.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np

from cvxdual.certificate import Certificate, _unscale, bound_gap
from cvxdual.data import RANGE_TOL, Dataset, as_dataset
from cvxdual.errors import ParameterError, UnsupportedError
from cvxdual.extract import deep_linear_network, first_layer_directions, linear_oracle
from cvxdual.fast import (
    RowBasis,
    deep_linear_regularized_scalar,
    has_orthonormal_columns,
    nuclear_prox_gradient,
    regularized_scalar_coefficients,
    row_basis,
    two_layer_regularized_orthonormal,
)
from cvxdual.network import Network
from cvxdual.structure import end_to_end

__all__ = ["METHODS", "FAST_FAMILIES", "DEFAULT_MAX_ITER", "GAP_SAFETY", "check_method",
           "resolve_method", "certify_fast", "two_layer_certificate", "FastState"]

#: Values of ``certify(..., method=...)``.
METHODS = ("auto", "cvxpy", "fast")
#: Families with an exact fast path (squared loss).
FAST_FAMILIES = ("linear", "deep-linear")
#: Iteration cap of the accelerated proximal-gradient method (vector regularized problems).
DEFAULT_MAX_ITER = 20_000
#: The iterative path stops at a relative gap ``GAP_SAFETY * rtol``, so the bounds recomputed
#: from the full arrays (which differ from the iterates' bookkeeping by rounding) still certify.
GAP_SAFETY = 1e-2


def check_method(method: object) -> str:
    """Return ``method`` if it is one of :data:`METHODS`, else raise :class:`ParameterError`."""
    if not isinstance(method, str) or method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; choose one of "
                             f"{', '.join(repr(m) for m in METHODS)} ('auto' uses the fast NumPy "
                             f"path wherever one exists).")
    return method


def resolve_method(method: object, family: str, loss: str) -> str:
    """``"fast"`` or ``"cvxpy"``: what ``method`` means for this family and loss.

    ``"auto"`` is ``"fast"`` for the linear and deep-linear families with the squared loss and
    ``"cvxpy"`` otherwise; ``"fast"`` where no fast path exists raises
    :class:`UnsupportedError`.
    """
    method = check_method(method)
    available = family in FAST_FAMILIES and loss == "squared"
    if method == "auto":
        return "fast" if available else "cvxpy"
    if method == "fast" and not available:
        raise UnsupportedError(
            f"method='fast' exists for families {', '.join(repr(f) for f in FAST_FAMILIES)} with "
            f"loss 'squared' only; got family={family!r}, loss={loss!r}. Use method='cvxpy' (or "
            f"'auto', which picks it here).")
    return method


@dataclasses.dataclass(frozen=True)
class FastState:
    """What a path can reuse between neighbouring ``β``: the factorization of ``X`` and the last
    row-space iterate (a warm start for the proximal-gradient method)."""

    basis: RowBasis
    Z: np.ndarray | None = None


def certify_fast(data: Dataset, family: str = "linear", depth: int = 2,
                 beta: float | None = None, widths: Sequence[int] | None = None, *,
                 rtol: float = 1e-6, atol: float = 1e-10, feas_tol: float = 1e-7,
                 max_iter: int = DEFAULT_MAX_ITER,
                 state: FastState | None = None) -> tuple[Certificate, FastState | None]:
    """Certificate of the linear or deep-linear training problem by the fast NumPy paths.

    Called by :func:`cvxdual.certify` (``method="auto"`` or ``"fast"``) and by
    :func:`cvxdual.certify_path` after validation.

    Parameters
    ----------
    data : Dataset
        Validated data in the user's units (:func:`cvxdual.as_dataset`).
    family : {"linear", "deep-linear"}
    depth : int
    beta : float or None
    widths : sequence of int, optional
        Hidden widths of the returned network (``"deep-linear"``).
    rtol, atol, feas_tol : float
        As in :func:`cvxdual.certify`; ``atol`` is in the units where ``||X||_2 = ||Y||_F = 1``.
    max_iter : int
        Iteration cap of the proximal-gradient method (vector regularized problems). A run
        stopped by it is not certified unless its recomputed gap is within ``rtol`` anyway.
    state : FastState, optional
        Reused factorization and warm start (two-layer problems).

    Returns
    -------
    certificate : Certificate
    state : FastState or None
        For the next call on the same data (two-layer problems), else None.
    """
    if family not in FAST_FAMILIES:
        raise UnsupportedError(f"no fast path for family {family!r}; it exists for "
                               f"{', '.join(repr(f) for f in FAST_FAMILIES)}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 0:
        raise ParameterError(f"max_iter must be an integer >= 0; got {max_iter!r}.")
    if depth == 2:
        certificate, state = _two_layer(data, beta, rtol, atol, feas_tol, int(max_iter), state)
        if family == "deep-linear":
            network = certificate.network
            if widths is not None:
                V = np.atleast_1d(end_to_end(network)).reshape(data.d, data.k)
                network = deep_linear_network(V, 2, data.vector_output, widths=widths)
            certificate = dataclasses.replace(certificate, family="deep-linear",
                                              network=network,
                                              neurons=first_layer_directions(network))
        return certificate, state
    return _deep(data, depth, beta, widths, rtol, atol, feas_tol), None


# --- two-layer linear networks (§2), in the user's units ----------------------------------------

def _two_layer(data: Dataset, beta: float | None, rtol: float, atol: float, feas_tol: float,
               max_iter: int, state: FastState | None) -> tuple[Certificate, FastState]:
    """Two-layer certificate. Everything is computed on the user's arrays (no scaled copy of
    ``X``, which matters at ``n = 10^5``); only the decision divides the values by the factor
    that :func:`cvxdual.certify` would have applied, so the tolerances mean the same."""
    started = time.perf_counter()
    X, Y = data.X, data.Y
    basis = state.basis if state is not None else row_basis(data)
    factored = time.perf_counter()
    scale_x = float(basis.s[0]) if basis.rank else 1.0
    scale_y = float(np.linalg.norm(Y)) or 1.0
    checks: dict[str, float] = {"scale_x": scale_x, "scale_y": scale_y,
                                "rank": float(basis.rank)}
    closed_form: float | None = None
    Z_next: np.ndarray | None = None
    result = None
    s = basis.s[:, None]

    if beta is None:
        if basis.outside > (RANGE_TOL * scale_y) ** 2:
            data.require_interpolable()          # raises InfeasibleError with the standard text
        Z = basis.C / s                                           # Vt X^+ Y
        V = basis.to_input_space(Z)
        # Dual point of (5)/(12): Λ = (X^+)^T N R^T = X Vt^T diag(1/s^2) Vt N R^T.
        N, sigma, Rt = np.linalg.svd(V, full_matrices=False)
        keep = sigma > max(V.shape) * np.finfo(np.float64).eps * (sigma[0] if sigma.size else 0)
        polar = N[:, keep] @ Rt[keep]
        lam = X @ (basis.Vt.T @ ((basis.Vt @ polar) / s ** 2))
        primal_status = "exact: V = X^+ Y from the SVD of X (Proposition 2.1)"
        dual_status = "exact: Λ = (X^+)^T N R^T, scaled into σ_max(X^T Λ) <= 1"
        references = {"primal": "minimum-norm primal (3)/(10), closed form V = X^+ Y",
                      "dual": "minimum-norm dual (5)/(12), closed-form dual point"}
    else:
        if data.vector_output:
            start = state.Z if state is not None and state.Z is not None else None
            result = nuclear_prox_gradient(basis, beta, start=start, gap_rtol=GAP_SAFETY * rtol,
                                           max_iter=max_iter)
            Z = result.Z
            Z_next = Z
            checks["iterations"] = float(result.iterations)
            checks["iterate_rel_gap"] = result.rel_gap
            status = "optimal" if result.converged else "iteration limit"
            primal_status = (f"{status}: accelerated proximal gradient with singular-value "
                             f"thresholding, {result.iterations} iterations, relative gap "
                             f"{result.rel_gap:.1e} at the scaled residual")
            # X^T X = I needs every singular value at 1: test that first, for free.
            if basis.rank == data.d and np.all(np.abs(basis.s - 1.0) <= 1e-6) and \
                    has_orthonormal_columns(X):
                closed_form = two_layer_regularized_orthonormal(data, beta)[0]
        else:
            Z = regularized_scalar_coefficients(basis, beta)[:, None]
            primal_status = "exact: secular equation μ||v|| = β of the trust-region problem"
        V = basis.to_input_space(Z)
        lam = Y - X @ V                                  # optimality condition Λ* = Y - X V*
        dual_status = "exact: Λ = Y - X V, scaled into σ_max(X^T Λ) <= β"
        references = {"primal": "regularized primal (8) with 2β||V||_* (Theorems 2.3-2.4)",
                      "dual": "regularized dual of (8): max <Λ, Y> - ½||Λ||^2 s.t. "
                              "σ_max(X^T Λ) <= β"}
    solved = time.perf_counter()
    certificate = two_layer_certificate(
        data, beta, V, lam, scale_x=scale_x, scale_y=scale_y, rtol=rtol, atol=atol,
        feas_tol=feas_tol, closed_form=closed_form, primal_status=primal_status,
        dual_status=dual_status, references=references, solver="numpy", checks=checks,
        timings={"factor": factored - started, "solve": solved - factored})
    if result is not None and not result.converged and certificate.reasons:
        reason = (f"the proximal-gradient method stopped at max_iter={max_iter} iterations "
                  f"before its duality gap reached {GAP_SAFETY * rtol:.0e}; raise max_iter or "
                  f"use method='cvxpy'")
        certificate = dataclasses.replace(certificate, reasons=(reason, *certificate.reasons))
    return certificate, FastState(basis=basis, Z=Z_next)


def two_layer_certificate(data: Dataset, beta: float | None, V: np.ndarray, lam: np.ndarray, *,
                          scale_x: float, scale_y: float, rtol: float, atol: float,
                          feas_tol: float, closed_form: float | None, primal_status: str,
                          dual_status: str, references: dict[str, str], solver: str,
                          checks: dict[str, float], timings: dict[str, float]) -> Certificate:
    """Certificate of the two-layer problem from a primal point ``V`` and a dual point ``Λ``,
    whatever produced them (a fast path, or a CVXPY solve on a path).

    Upper bound: the objective of the balanced network of ``V``, recomputed from its weights
    (minimum norm: it must interpolate within ``feas_tol``). Lower bound: ``Λ`` scaled into
    ``σ_max(X^T Λ) <= 1`` (minimum norm, (5)/(12)) or ``<= β`` (regularized), then twice the
    dual objective. The decision divides both by the factor ``scale_y / scale_x`` or
    ``scale_y^2``, so ``atol`` is in the units ``||X||_2 = ||Y||_F = 1``.

    Parameters
    ----------
    V : ndarray, shape (d, k)
    lam : ndarray, shape (n, k)
    """
    started = time.perf_counter()
    X, Y = data.X, data.Y
    reasons: list[str] = []
    bound = 1.0 if beta is None else beta
    network = deep_linear_network(V, 2, data.vector_output)
    oracle = linear_oracle(X, lam)
    dual_scale = min(1.0, bound / oracle) if oracle > 0 else 1.0
    lam_feasible = dual_scale * lam
    dual_value = 2.0 * float(np.sum(lam_feasible * Y))
    nuclear = float(np.linalg.svd(V, compute_uv=False).sum())
    if beta is not None:
        dual_value -= float(np.sum(lam_feasible ** 2))
        primal_value = float(np.sum((X @ V - Y) ** 2)) + 2.0 * beta * nuclear
    else:
        primal_value = 2.0 * nuclear
    # Passing the Dataset (not data.X) avoids a validated copy of X inside Network.objective.
    training_value = network.objective(data, data.targets, beta)
    checks = dict(checks, dual_infeasibility=max(0.0, oracle / bound - 1.0),
                  dual_scale=dual_scale, oracle_max=oracle / bound)
    if beta is None:
        residual = network.interpolation_residual(data, data.targets)
        checks["network_residual"] = residual
        if residual > feas_tol:
            reasons.append(f"network misses f(X) = Y by {residual:.2e} (relative) > feas_tol "
                           f"{feas_tol:.0e}")
    # The minimum-norm value 2||X^+ Y||_* scales like scale_y / scale_x (not its square), the
    # regularized one like scale_y^2: atol must be in the same units for data of any scale.
    factor = scale_y / scale_x if beta is None else scale_y ** 2
    bound_gap(training_value / factor, dual_value / factor, rtol, atol, reasons,
              agree={"convex primal value": primal_value / factor,
                     "closed form": None if closed_form is None else closed_form / factor})
    gap = training_value - dual_value
    scale = max(abs(training_value), abs(dual_value))
    return Certificate(
        family="linear", problem="minimum-norm (2)" if beta is None else "regularized (1)",
        beta=beta, depth=2, loss="squared", vector_output=data.vector_output,
        shape=(data.n, data.d, data.k), training_value=training_value,
        primal_value=primal_value, dual_value=dual_value, gap=gap,
        rel_gap=gap / scale if scale > 0 else 0.0, certified=not reasons,
        reasons=tuple(reasons), network=network, network_source="primal",
        neurons=network.neurons, closed_form=closed_form, primal_status=primal_status,
        dual_status=dual_status, solver=solver, references=references,
        bounds={"lower": "dual objective at an exactly feasible dual point (scaled with the "
                         "exact extreme-point oracle σ_max(X^T Λ))",
                "upper": "objective of the returned network, recomputed from its weights"},
        timings=dict(timings, extract=time.perf_counter() - started),
        checks=checks, tolerances={"rtol": rtol, "atol": atol, "feas_tol": feas_tol})


# --- deep linear networks (§3), in the units ||X||_2 = ||Y||_F = 1 -------------------------------

def _deep(data: Dataset, depth: int, beta: float | None, widths: Sequence[int] | None,
          rtol: float, atol: float, feas_tol: float) -> Certificate:
    """Depth ``L >= 3``: solved on ``(X / ||X||_2, Y / ||Y||_F)`` like :func:`cvxdual.certify`
    (the 1-D search has absolute tolerances) and mapped back by the same rescaling."""
    started = time.perf_counter()
    scale_x = float(np.linalg.norm(data.X, 2)) or 1.0
    scale_y = float(np.linalg.norm(data.Y)) or 1.0
    scaled = as_dataset(data.X / scale_x, data.targets / scale_y)
    growth = (scale_y / scale_x) ** (1.0 / depth)
    scaled_beta = None if beta is None else beta * growth ** 2 / scale_y ** 2
    if scaled_beta is None:
        certificate = _deep_min_norm(scaled, depth, widths, rtol, atol, feas_tol)
    elif not scaled.vector_output:
        certificate = _deep_regularized_scalar(scaled, depth, scaled_beta, widths, rtol, atol)
    else:
        certificate = _deep_regularized_vector(scaled, depth, scaled_beta, widths, rtol, atol)
    certificate = _unscale(certificate, data, beta, scale_x, scale_y, growth)
    certificate.timings["solve"] = time.perf_counter() - started
    return certificate


def _deep_certificate(data: Dataset, depth: int, beta: float | None, network: Network,
                      lower: float, primal_value: float, reasons: list[str], rtol: float,
                      atol: float, feas_tol: float, primal_status: str, dual_status: str,
                      references: dict[str, str], bounds: dict[str, str],
                      checks: dict[str, float], agree: dict[str, float | None] | None = None
                      ) -> Certificate:
    upper = network.objective(data.X, data.targets, beta)
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons, agree=agree)
    return Certificate(
        family="deep-linear", problem="minimum-norm (2)" if beta is None else "regularized (1)",
        beta=beta, depth=depth, loss="squared", vector_output=data.vector_output,
        shape=(data.n, data.d, data.k), training_value=upper, primal_value=primal_value,
        dual_value=lower, gap=gap, rel_gap=rel_gap, certified=not reasons,
        reasons=tuple(reasons), network=network, network_source="primal",
        neurons=first_layer_directions(network), closed_form=None, primal_status=primal_status,
        dual_status=dual_status, solver="numpy", references=references, bounds=bounds,
        timings={}, checks=checks, tolerances={"rtol": rtol, "atol": atol, "feas_tol": feas_tol})


def _deep_min_norm(data: Dataset, depth: int, widths: Sequence[int] | None, rtol: float,
                   atol: float, feas_tol: float) -> Certificate:
    data.require_interpolable()
    V = data.min_norm_solution
    network = deep_linear_network(V, depth, data.vector_output, widths=widths)
    reasons: list[str] = []
    residual = network.interpolation_residual(data.X, data.targets)
    checks: dict[str, float] = {"network_residual": residual}
    if residual > feas_tol:
        reasons.append(f"network misses f(X) = Y by {residual:.2e} (relative) > feas_tol "
                       f"{feas_tol:.0e}")
    sigma = np.linalg.svd(V, compute_uv=False)
    primal_value = float(depth * np.sum(sigma ** (2.0 / depth)))
    if data.vector_output:
        lower = primal_value
        bounds = {"lower": "L Σ σ_i(X^+ Y)^(2/L): the minimum of Σ_l ||W_l||_F^2 over "
                           "factorizations of X^+ Y, which has the smallest singular values of "
                           "all interpolants (Theorem 3.2)",
                  "upper": "objective of the returned network (balanced layers (26))"}
        dual_status = "exact: closed form (no dual point is needed)"
    else:
        # The two-layer dual point λ = (X^+)^T v/||v|| bounds P*_2 >= 2 λ^T y, and
        # P*_L = L (P*_2 / 2)^{2/L} (Theorem 3.1).
        svd = data.svd
        v = V[:, 0]
        norm = float(np.linalg.norm(v))
        lam = svd.U @ ((svd.Vt @ (v / norm)) / svd.s) if norm > 0 else np.zeros(data.n)
        oracle = linear_oracle(data.X, lam)
        lam = lam * (min(1.0, 1.0 / oracle) if oracle > 0 else 1.0)
        two_layer_lower = max(0.0, 2.0 * float(lam @ data.Y[:, 0]))
        lower = depth * (two_layer_lower / 2.0) ** (2.0 / depth)
        checks["two_layer_dual_lower_bound"] = two_layer_lower
        bounds = {"lower": "L (λ^T y)^(2/L) at the two-layer dual point λ = (X^+)^T v/||v|| "
                           "scaled into ||X^T λ|| <= 1 (Theorem 3.1)",
                  "upper": "objective of the returned network (rank-one layers (21))"}
        dual_status = "exact: λ = (X^+)^T v/||v||, scaled into ||X^T λ|| <= 1"
    return _deep_certificate(
        data, depth, None, network, lower, primal_value, reasons, rtol, atol, feas_tol,
        "exact: X^+ Y factored into balanced layers", dual_status,
        {"primal": "minimum-norm problem (15)/(22), closed form L Σ σ_i(X^+ Y)^(2/L)",
         "dual": "two-layer dual (17)" if not data.vector_output else "none needed"},
        bounds, checks, agree={"convex primal value": primal_value})


def _deep_regularized_scalar(data: Dataset, depth: int, beta: float,
                             widths: Sequence[int] | None, rtol: float,
                             atol: float) -> Certificate:
    search, v = deep_linear_regularized_scalar(data, beta, depth)
    network = deep_linear_network(v[:, None], depth, False, widths=widths)
    checks = {"search_lower": search.lower, "search_upper": search.upper,
              "search_evaluations": float(search.evaluations)}
    return _deep_certificate(
        data, depth, beta, network, search.lower, search.upper, [], rtol, atol, 0.0,
        f"exact: branch and bound over ||v|| ({search.evaluations} trust-region evaluations)",
        "proven lower bound of the branch and bound (convex + concave pieces)",
        {"primal": "min_v ||Xv - y||^2 + βL||v||^(2/L) (Corollary 3.2)",
         "dual": "trust-region values bounding each interval of ||v||"},
        {"lower": "branch and bound over ||v|| of exact trust-region values "
                  "(min_v ||Xv - y||^2 + βL||v||^(2/L), Corollary 3.2)",
         "upper": "objective of the returned network (rank-one layers)"}, checks)


def _deep_regularized_vector(data: Dataset, depth: int, beta: float,
                             widths: Sequence[int] | None, rtol: float,
                             atol: float) -> Certificate:
    from cvxdual.deep_certificate import _rank_one_targets, _regularized_vector

    rank_one = _rank_one_targets(data)
    if rank_one is None:
        # Already NumPy only: singular-value shrinkage (X^T X = I) or proven bounds. Its
        # closed form is the path itself here, so it is not reported as a cross-check.
        certificate = _regularized_vector(data, depth, beta, widths, rtol, atol)
        return dataclasses.replace(certificate, closed_form=None, solver="numpy",
                                   primal_status="exact" if certificate.certified
                                   else "bounds only", dual_status="not solved")
    y, u, distance = rank_one
    scalar = _deep_regularized_scalar(as_dataset(data.X, y), depth, beta, widths, rtol, atol)
    weights = list(scalar.network.weights)
    weights[-1] = np.outer(weights[-1], u)
    network = Network(weights, activation="linear")
    # sqrt of the optimum moves by at most the distance between the targets.
    lower = max(0.0, np.sqrt(max(scalar.dual_value, 0.0)) - distance) ** 2
    checks = dict(scalar.checks, rank_one_distance=distance)
    bounds = {"lower": "rank-one targets Y = y uᵀ: the scalar problem's " + scalar.bounds["lower"],
              "upper": scalar.bounds["upper"] + ", last layer times uᵀ"}
    return _deep_certificate(data, depth, beta, network, lower, scalar.primal_value, [], rtol,
                             atol, 0.0, scalar.primal_status, scalar.dual_status,
                             scalar.references, bounds, checks)

