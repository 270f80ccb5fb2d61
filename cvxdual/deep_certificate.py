"""Certificates for deep linear networks (paper §3), every depth ``L >= 2``.

What is known exactly, and how each bound is obtained:

* **minimum norm** (15)/(22): the optimum is ``L Σ_i σ_i(X^+ Y)^{2/L}`` (Theorems 3.1–3.2;
  the Schatten-``2/L`` factorization). Scalar outputs also get a duality-based lower bound: the
  two-layer dual point ``λ`` of (17) at the optimal layer norm, scaled into exact feasibility,
  gives ``P*_2 >= 2 λ^T y`` and ``P*_L = L (P*_2 / 2)^{2/L}``. For vector outputs the paper's
  single-``t`` relaxation (25) only gives ``L ||X^+ Y||_*^{2/L}`` (reported in ``checks``), so the
  lower bound is the closed form.
* **regularized, scalar output** (Corollary 3.2): ``min_v ||Xv - y||^2 + β L ||v||^{2/L}``, a
  certified 1-D branch and bound over ``||v||``
  (:func:`cvxdual.fast.deep_linear_regularized_scalar`); the convex programs at the optimal
  ``t* = ||v*||^{1/L}`` cross-check it.
* **regularized, vector output, ``X^T X = I``**: singular values of ``X^T Y`` shrunk one by one
  (exact).
* **regularized, vector output, general ``X``**: no exact method is known; the certificate
  carries proven lower and upper bounds and is certified only if they meet.

The network is always built from an end-to-end matrix ``V`` by
:func:`cvxdual.extract.deep_linear_network` (balanced rank-``r`` layers (24)/(26)) and its
objective is recomputed from its weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cvxdual.certificate import (
    Certificate,
    _certify_two_layer_linear,
    best_network,
    bound_gap,
    status_reasons,
)
from cvxdual.data import Dataset
from cvxdual.extract import (
    deep_linear_network,
    first_layer_directions,
    negligible_singular_value,
    network_from_dual,
)
from cvxdual.families import deep_linear
from cvxdual.fast import (
    deep_linear_min_norm_value,
    deep_linear_regularized_orthonormal,
    deep_linear_regularized_scalar,
    deep_linear_regularized_vector_bounds,
    has_orthonormal_columns,
)
from cvxdual.network import Network
from cvxdual.solve import solve
from cvxdual.structure import end_to_end

__all__ = ["certify_deep_linear"]


def _row_space(data: Dataset, V: np.ndarray) -> np.ndarray:
    svd = data.svd
    return svd.Vt.T @ (svd.Vt @ V.reshape(data.d, data.k))


def _best(data: Dataset, candidates: dict[str, np.ndarray], depth: int, beta: float | None,
          widths: Sequence[int] | None, feas_tol: float,
          checks: dict[str, float]) -> tuple[Network, str]:
    """Build the deep network of every candidate ``V`` and keep the one with the smallest
    recomputed objective (minimum norm: among those interpolating within ``feas_tol``)."""
    atol = negligible_singular_value(data)
    networks = {name: deep_linear_network(V, depth, data.vector_output, widths=widths, atol=atol)
                for name, V in candidates.items()}
    return best_network(data, networks, beta, feas_tol, checks)


def certify_deep_linear(data: Dataset, depth: int, beta: float | None, solver: str,
                        widths: Sequence[int] | None, rtol: float, atol: float,
                        feas_tol: float) -> Certificate:
    """Certificate for ``family="deep-linear"`` (see the module docstring)."""
    if depth == 2:
        two = _certify_two_layer_linear(data, beta, solver, rtol, atol, feas_tol)
        network = two.network
        if widths is not None:
            network = deep_linear_network(end_to_end(network).reshape(data.d, data.k), 2,
                                          data.vector_output, widths=widths,
                                          atol=negligible_singular_value(data))
        return _replace(two, family="deep-linear", network=network)
    if beta is None:
        return _min_norm(data, depth, solver, widths, rtol, atol, feas_tol)
    if not data.vector_output:
        return _regularized_scalar(data, depth, beta, solver, widths, rtol, atol)
    rank_one = _rank_one_targets(data)
    if rank_one is not None:
        return _regularized_rank_one(data, depth, beta, solver, widths, rtol, atol, *rank_one)
    return _regularized_vector(data, depth, beta, widths, rtol, atol)


#: Targets whose second singular value is below this fraction of the first count as rank one.
RANK_ONE_RTOL = 1e-12


def _rank_one_targets(data: Dataset) -> tuple[np.ndarray, np.ndarray, float] | None:
    """``Y ≈ y u^T`` with ``||u|| = 1``: returns ``(y, u, ||Y - y u^T||_F)`` or None.

    Then the vector problem is the scalar one for ``y``: with ``V u = v``,
    ``||XV - y u^T||^2 >= ||Xv - y||^2`` and ``Σ σ_i(V)^{2/L} >= σ_max(V)^{2/L} >= ||v||^{2/L}``,
    both attained by ``V = v u^T``.
    """
    U, sigma, Vt = np.linalg.svd(data.Y, full_matrices=False)
    if sigma[0] == 0.0 or (sigma.size > 1 and sigma[1] > RANK_ONE_RTOL * sigma[0]):
        return None
    return U[:, 0] * sigma[0], Vt[0], float(np.sqrt(np.sum(sigma[1:] ** 2)))


def _regularized_rank_one(data: Dataset, depth: int, beta: float, solver: str,
                          widths: Sequence[int] | None, rtol: float, atol: float,
                          y: np.ndarray, u: np.ndarray, distance: float) -> Certificate:
    """Vector outputs with rank-one targets ``Y = y u^T`` (``k = 1`` included): certify the
    scalar problem for ``y`` and rotate the last layer by ``u^T``. A target only numerically
    rank one (``distance = ||Y - y u^T||_F > 0``) lowers the bound to
    ``(sqrt(lower) - distance)^2``, since ``sqrt`` of the optimum moves by at most the distance
    between the targets."""
    import dataclasses

    from cvxdual.data import as_dataset

    scalar = _regularized_scalar(as_dataset(data.X, y), depth, beta, solver, widths, rtol, atol)
    weights = list(scalar.network.weights)
    weights[-1] = np.outer(weights[-1], u)
    network = Network(weights, activation="linear")
    upper = network.objective(data.X, data.Y, beta)
    lower = max(0.0, np.sqrt(max(scalar.dual_value, 0.0)) - distance) ** 2
    reasons = [r for r in scalar.reasons if r.startswith(("primal solver", "dual solver"))]
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons)
    checks = dict(scalar.checks, rank_one_distance=distance)
    bounds = {"lower": "rank-one targets Y = y uᵀ: the scalar problem's " + scalar.bounds["lower"],
              "upper": scalar.bounds["upper"] + ", last layer times uᵀ"}
    return dataclasses.replace(
        scalar, vector_output=True, shape=(data.n, data.d, data.k), training_value=upper,
        dual_value=lower, gap=gap, rel_gap=rel_gap, certified=not reasons,
        reasons=tuple(reasons), network=network, neurons=first_layer_directions(network),
        closed_form=None if scalar.closed_form is None or distance > 0 else scalar.closed_form,
        bounds=bounds, checks=checks)


def _replace(certificate: Certificate, **changes: object) -> Certificate:
    import dataclasses

    network = changes.get("network", certificate.network)
    return dataclasses.replace(certificate, neurons=first_layer_directions(network), **changes)


def _min_norm(data: Dataset, depth: int, solver: str, widths: Sequence[int] | None,
              rtol: float, atol: float, feas_tol: float) -> Certificate:
    data.require_interpolable()
    exact = deep_linear_min_norm_value(data, depth)
    primal_program = deep_linear.min_norm_primal(data, depth)
    dual_program = deep_linear.min_norm_dual(data, depth)
    t = float(primal_program.parameters["t"].value)
    primal = solve(primal_program, solver)
    dual = solve(dual_program, solver)

    lam = dual.variables["lam"].reshape(data.n, data.k)
    from_dual, _ = network_from_dual(data, lam, None)
    V_primal = _row_space(data, primal.variables["v"])
    checks: dict[str, float] = {"layer_norm_t": t}
    network, source = _best(data, {"dual": end_to_end(from_dual).reshape(data.d, data.k),
                                   "primal": V_primal}, depth, None, widths, feas_tol, checks)
    upper = network.objective(data.X, data.targets, None)

    # Two-layer lower bound from the dual point: λ on the range of X, scaled so ||X^T λ|| <= 1.
    lam = data.svd.U @ (data.svd.U.T @ lam)
    oracle = float(np.linalg.norm(data.X.T @ lam, 2))
    lam = lam * (min(1.0, 1.0 / oracle) if oracle > 0 else 1.0)
    two_layer_lower = max(0.0, 2.0 * float(np.sum(lam * data.Y)))
    relaxation_lower = depth * (two_layer_lower / 2.0) ** (2.0 / depth)
    checks["two_layer_dual_lower_bound"] = two_layer_lower
    checks["relaxation_lower_bound"] = relaxation_lower
    nuclear = float(np.linalg.svd(V_primal, compute_uv=False).sum())
    hidden = depth - 2
    primal_value = 2.0 * nuclear / t ** hidden + hidden * t * t
    if data.vector_output:
        # The multi-path program (25) is a relaxation here: its value is a lower bound. Report
        # it in checks, and as primal value the depth-L network built from its solution.
        checks["relaxation_value_at_t"] = primal_value
        primal_value = checks["primal_network_value"]
    checks["primal_residual"] = float(np.linalg.norm(data.X @ V_primal - data.Y)) / max(
        float(np.linalg.norm(data.Y)), 1.0)
    network_residual = network.interpolation_residual(data.X, data.targets)
    checks["network_residual"] = network_residual

    reasons = status_reasons(primal.status, dual.status)
    if network_residual > feas_tol:
        reasons.append(f"extracted network misses f(X) = Y by {network_residual:.2e} "
                       f"(relative) > feas_tol {feas_tol:.0e}")
    if data.vector_output:
        lower = exact
        bounds = {"lower": f"closed form L Σ σ_i(X^+ Y)^(2/L) (Schatten-2/L factorization); the "
                           f"single-t relaxation (25) only proves {relaxation_lower:.6g}",
                  "upper": "objective of the extracted network (balanced layers (26))"}
        agree = {"closed form": exact}
    else:
        lower = relaxation_lower
        bounds = {"lower": "L (λ^T y)^(2/L) at the dual point of (17), scaled into exact "
                           "feasibility (Theorem 3.1)",
                  "upper": "objective of the extracted network (rank-one layers (21))"}
        # With Y = 0 the optimal layer norm is t* = 0, a limit the programs cannot take.
        agree = {"convex primal value at t*": primal_value if exact > 0 else None,
                 "closed form": exact}
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons, agree=agree)
    return _certificate(data, depth, None, upper, primal_value, lower, gap, rel_gap, reasons,
                        network, source, exact, primal.status, dual.status, solver,
                        primal_program.reference, dual_program.reference, bounds, checks,
                        {"primal": primal.seconds, "dual": dual.seconds}, rtol, atol, feas_tol)


def _regularized_scalar(data: Dataset, depth: int, beta: float, solver: str,
                        widths: Sequence[int] | None, rtol: float,
                        atol: float) -> Certificate:
    search, v_search = deep_linear_regularized_scalar(data, beta, depth)
    radius = float(np.linalg.norm(v_search))
    t = radius ** (1.0 / depth) if radius > 0 else _zero_network_layer_norm(data, depth, beta)
    primal_program = deep_linear.regularized_primal(data, depth, beta, t=t)
    dual_program = deep_linear.regularized_dual(data, depth, beta, t=t)
    primal = solve(primal_program, solver)
    dual = solve(dual_program, solver)
    hidden = depth - 2
    effective_beta = beta / t ** hidden
    lam = dual.variables["lam"].reshape(data.n, 1)
    from_dual, _ = network_from_dual(data, lam, effective_beta)
    V_primal = _row_space(data, primal.variables["v"])
    checks: dict[str, float] = {"layer_norm_t": t, "search_lower": search.lower,
                                "search_upper": search.upper,
                                "search_evaluations": float(search.evaluations)}
    network, source = _best(data, {"dual": end_to_end(from_dual).reshape(data.d, 1),
                                   "primal": V_primal, "search": v_search[:, None]},
                            depth, beta, widths, 0.0, checks)
    upper = network.objective(data.X, data.targets, beta)
    v = V_primal[:, 0]
    primal_value = (float(np.sum((data.X @ v - data.Y[:, 0]) ** 2))
                    + 2.0 * effective_beta * float(np.linalg.norm(v)) + beta * hidden * t * t)
    # The dual at t* bounds the problem with layer norm t*, a cross-check only.
    oracle = float(np.linalg.norm(data.X.T @ lam, 2))
    lam_feasible = lam * (min(1.0, effective_beta / oracle) if oracle > 0 else 1.0)
    checks["dual_at_t"] = (2.0 * (float(np.sum(lam_feasible * data.Y))
                                  - 0.5 * float(np.sum(lam_feasible ** 2)))
                           + beta * hidden * t * t)
    reasons = status_reasons(primal.status, dual.status)
    lower = search.lower
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons,
                             agree={"convex primal value at t*": primal_value if radius > 0
                                    else None, "exact search": search.upper})
    bounds = {"lower": "branch and bound over ||v|| of exact trust-region values "
                       "(min_v ||Xv - y||^2 + βL||v||^(2/L), Corollary 3.2)",
              "upper": "objective of the extracted network (rank-one layers)"}
    return _certificate(data, depth, beta, upper, primal_value, lower, gap, rel_gap, reasons,
                        network, source, search.upper, primal.status, dual.status, solver,
                        primal_program.reference, dual_program.reference, bounds, checks,
                        {"primal": primal.seconds, "dual": dual.seconds}, rtol, atol, 0.0)


def _zero_network_layer_norm(data: Dataset, depth: int, beta: float) -> float:
    """The largest layer norm ``t`` at which ``v = 0`` solves the program at ``t``:
    ``β t^{-(L-2)} = ||X^T y||``. The optimum ``v* = 0`` is the limit ``t -> 0``, which no
    solver can take; at this ``t`` the programs only bound it from above."""
    correlation = float(np.linalg.norm(data.X.T @ data.Y[:, 0]))
    return (beta / correlation) ** (1.0 / (depth - 2)) if correlation > 0 else 1.0


def _polish(data: Dataset, network: Network, beta: float, iterations: int = 3000) -> Network:
    """Lower the objective (1) of a deep linear network by L-BFGS on its weights (exact
    gradients). Used only to tighten an *upper* bound: the result is a network whose objective
    is recomputed like any other."""
    from scipy.optimize import minimize

    shapes = [W.shape if W.ndim == 2 else (W.shape[0], 1) for W in network.weights]
    sizes = [int(np.prod(shape)) for shape in shapes]
    X, Y = data.X, data.Y

    def unpack(theta: np.ndarray) -> list[np.ndarray]:
        parts, start = [], 0
        for shape, size in zip(shapes, sizes, strict=True):
            parts.append(theta[start:start + size].reshape(shape))
            start += size
        return parts

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        Ws = unpack(theta)
        prefixes = [X]
        for W in Ws:
            prefixes.append(prefixes[-1] @ W)
        residual = prefixes[-1] - Y
        value = float(np.sum(residual ** 2) + beta * sum(np.sum(W * W) for W in Ws))
        grads, back = [], 2.0 * residual                      # d value / d (X W_1 ⋯ W_l)
        for index in range(len(Ws) - 1, -1, -1):
            grads.append(prefixes[index].T @ back + 2.0 * beta * Ws[index])
            back = back @ Ws[index].T
        return value, np.concatenate([g.ravel() for g in reversed(grads)])

    start = np.concatenate([(W if W.ndim == 2 else W[:, None]).ravel() for W in network.weights])
    if start.size == 0:
        return network
    result = minimize(objective, start, jac=True, method="L-BFGS-B",
                      options={"maxiter": iterations, "ftol": 1e-15, "gtol": 1e-12})
    Ws = unpack(result.x)
    if not data.vector_output:
        Ws[-1] = Ws[-1][:, 0]
    polished = Network(Ws, activation="linear")
    better = polished.objective(X, data.targets, beta) < network.objective(X, data.targets, beta)
    return polished if better else network


def _regularized_vector(data: Dataset, depth: int, beta: float,
                        widths: Sequence[int] | None, rtol: float, atol: float) -> Certificate:
    checks: dict[str, float] = {}
    reasons: list[str] = []
    if has_orthonormal_columns(data.X):
        exact, V = deep_linear_regularized_orthonormal(data, beta, depth)
        lower, closed = exact, exact
        bounds = {"lower": "closed form: singular values of X^T Y shrunk one by one (X^T X = I)",
                  "upper": "objective of the extracted network (balanced layers (27))"}
    else:
        lower, path_upper, V = deep_linear_regularized_vector_bounds(data, beta, depth)
        closed = None
        checks["path_upper_bound"] = path_upper
        bounds = {"lower": "single-t relaxation of §3.3.2 made rigorous: weak-duality lines "
                           "under min_{||V||_*<=ρ} ||XV - Y||^2, plus βLρ^(2/L)",
                  "upper": "best network on the nuclear-norm path, improved by L-BFGS on its "
                           "weights (no exact method is known for vector outputs with general "
                           "X)"}
    network, source = _best(data, {"closed form" if closed is not None else "path": V}, depth,
                            beta, widths, 0.0, checks)
    if closed is None:
        polished = _polish(data, network, beta)
        if polished is not network:
            network, source = polished, "path, then L-BFGS on the weights"
    upper = network.objective(data.X, data.targets, beta)
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons, agree={"closed form": closed})
    if closed is None and reasons:
        reasons.insert(0, "only bounds are known for the regularized vector-output problem at "
                          "depth >= 3 with general X")
    return _certificate(data, depth, beta, upper, upper, lower, gap, rel_gap, reasons, network,
                        source, closed, "not solved", "not solved", "none (NumPy)",
                        "no convex program is exact here", "no convex program is exact here",
                        bounds, checks, {}, rtol, atol, 0.0)


def _certificate(data: Dataset, depth: int, beta: float | None, upper: float,
                 primal_value: float, lower: float, gap: float, rel_gap: float,
                 reasons: list[str], network: Network, source: str, closed: float | None,
                 primal_status: str, dual_status: str, solver: str, primal_reference: str,
                 dual_reference: str, bounds: dict[str, str], checks: dict[str, float],
                 timings: dict[str, float], rtol: float, atol: float,
                 feas_tol: float) -> Certificate:
    return Certificate(
        family="deep-linear", problem="minimum-norm (2)" if beta is None else "regularized (1)",
        beta=beta, depth=depth, loss="squared", vector_output=data.vector_output,
        shape=(data.n, data.d, data.k), training_value=upper, primal_value=primal_value,
        dual_value=lower, gap=gap, rel_gap=rel_gap, certified=not reasons,
        reasons=tuple(reasons), network=network, network_source=source,
        neurons=first_layer_directions(network), closed_form=closed, primal_status=primal_status,
        dual_status=dual_status, solver=solver,
        references={"primal": primal_reference, "dual": dual_reference}, bounds=bounds,
        timings=dict(timings), checks=checks,
        tolerances={"rtol": rtol, "atol": atol, "feas_tol": feas_tol},
    )
