"""Certificates for deep ReLU networks on rank-one data (paper §4), depth ``L >= 2``.

Every bound holds for *any* network of the family, by the argument of Theorem 4.1 made
quantitative: for ``λ`` with ``λ^T 1 = 0`` and ``Ω(λ) = max_{β,±} |λ^T (±(c - β))_+|`` (exact
over the data points, :func:`cvxdual.families.relu.spline_oracle`), any network with
``f(X) = y`` has ``λ^T y <= Ω(λ) ||a0|| Π_{l<=L-2} ||W_l||_F · ½(||W_{L-1}||_F^2 + ||w_L||^2)``,
and AM–GM over the layers gives ``Σ_l ||W_l||_F^2 >= L (λ^T y / (Ω ||a0||))^{2/L}``.

* minimum norm (28) with bias in the last hidden layer (Proposition 4.1): the ℓ1 program over the
  exact dictionary gives ``R`` and the network (44)/(46); its dual point gives the lower bound
  above; the optimum is ``L (R / ||a0||)^{2/L}``.
* regularized: ``L = 2`` is the convex program itself. For ``L >= 3`` the optimum is
  ``min_ρ G(ρ) + β L (ρ/||a0||)^{2/L}`` with ``G(ρ) = min_{||α||_1 <= ρ, η} ||Dα + η1 - y||^2``
  (convex, nonincreasing): a branch and bound over ``ρ`` locates it and the residuals of the
  solves give weak-duality lines ``G(ρ) >= 2λ^T y - ||λ||^2 - 2ρ Ω(λ)`` that bound it below.
* no bias at all (Theorem 4.1): the network outputs ``κ c``; the 1-D problem is solved exactly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from cvxdual.bracket import lower_bound_from_lines, minimize_convex_plus_concave
from cvxdual.certificate import Certificate, bound_gap, status_reasons
from cvxdual.data import RANK_ONE_RTOL, Dataset
from cvxdual.errors import SolverError
from cvxdual.extract import relu_network
from cvxdual.families import relu
from cvxdual.network import Network
from cvxdual.program import Program
from cvxdual.solve import solve

__all__ = ["certify_relu"]


def certify_relu(data: Dataset, depth: int, beta: float | None, solver: str, bias: bool,
                 widths: Sequence[int] | None, rtol: float, atol: float,
                 feas_tol: float) -> Certificate:
    """Certificate for ``family="relu"`` (see the module docstring); two-layer networks on data
    that is not rank one go to the exchange method (:mod:`cvxdual.semi_infinite`)."""
    sigma = np.linalg.svd(data.X, compute_uv=False)
    if depth == 2 and sigma.size > 1 and sigma[1] > RANK_ONE_RTOL * sigma[0]:
        from cvxdual.semi_infinite import certify_two_layer_relu

        return certify_two_layer_relu(data, beta, solver, bias, widths, rtol, atol, feas_tol)
    inputs = relu.rank_one_inputs(data, depth)
    if not bias:
        if np.any(inputs.c < 0):
            from cvxdual.errors import DataError

            raise DataError("without biases (Theorem 4.1) the inputs X = c a0^T need all c_i of "
                            "one sign; shift the data or use bias=True.")
        return _no_bias(inputs, beta, widths, rtol, atol, feas_tol)
    if beta is None:
        return _min_norm(inputs, solver, widths, rtol, atol, feas_tol)
    if depth == 2:
        return _regularized_two_layer(inputs, beta, solver, widths, rtol, atol)
    return _regularized_deep(inputs, beta, solver, widths, rtol, atol)


def _min_l1_fit(inputs: relu.RankOneInputs, target: np.ndarray
                ) -> tuple[np.ndarray, float] | None:
    """A simplex vertex of ``min ||α||_1 s.t. D α + η 1 = target`` (HiGHS through SciPy, in
    the divided-difference rows of :func:`cvxdual.families.relu.spline_primal`), or None."""
    from scipy.optimize import linprog

    D = relu.spline_dictionary(inputs.c)
    keep, T = relu.divided_differences(inputs.c)
    m = D.shape[1]
    rows = np.vstack([np.hstack([T @ D, -(T @ D), np.zeros((T.shape[0], 1))]),
                      np.concatenate([D[keep[0]], -D[keep[0]], [1.0]])[None, :]])
    rhs = np.concatenate([T @ target, [target[keep[0]]]])
    result = linprog(np.concatenate([np.ones(2 * m), [0.0]]), A_eq=rows, b_eq=rhs,
                     bounds=[(0, None)] * (2 * m) + [(None, None)], method="highs")
    if result.status != 0:
        return None
    vertex = result.x[:m] - result.x[m:2 * m]
    vertex = np.where(np.abs(vertex) > 1e-12 * max(float(np.sum(np.abs(vertex))), 1.0),
                      vertex, 0.0)
    return vertex, float(np.mean(target - D @ vertex))


def _purify(inputs: relu.RankOneInputs, alpha: np.ndarray, eta: float,
            fitted: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """A vertex (at most one kink per distinct input) with the same fit and no larger
    ``||α||_1``.

    Interior-point solutions sit at the centre of the optimal face: every kink gets a tiny
    weight and solver noise (1e-26) survives, which the ``2/L`` power of the depth-``L``
    objective magnifies. The fit ``f = D α + η`` of the regularized problems is unique, and
    the objectives depend on ``α`` only through the fit and ``||α||_1``, so the simplex
    solution of ``min ||α'||_1 s.t. D α' + η' = f`` is as good and sparse. Falls back to ``α``
    if the LP does not solve or is not better.
    """
    D = relu.spline_dictionary(inputs.c)
    target = D @ alpha + eta if fitted is None else fitted
    vertex = _min_l1_fit(inputs, target)
    if vertex is None:
        return alpha, eta
    if float(np.sum(np.abs(vertex[0]))) > float(np.sum(np.abs(alpha))) * (1 + 1e-9) + 1e-15:
        return alpha, eta
    return vertex


def _centered_feasible(inputs: relu.RankOneInputs, lam: np.ndarray,
                       bound: float) -> tuple[np.ndarray, float]:
    """Project ``λ`` onto ``1^⊥`` (the intercept's constraint) and scale it so that the exact
    oracle is at most ``bound``; returns it and the oracle value before scaling."""
    lam = lam - lam.mean()
    oracle = relu.spline_oracle(inputs.c, lam)
    return lam * (min(1.0, bound / oracle) if oracle > 0 else 1.0), oracle


def _min_norm(inputs: relu.RankOneInputs, solver: str, widths: Sequence[int] | None,
              rtol: float, atol: float, feas_tol: float) -> Certificate:
    data, depth, gain = inputs.data, inputs.depth, inputs.gain
    primal_program = relu.spline_primal(inputs)
    dual_program = relu.spline_dual(inputs)
    primal = solve(primal_program, solver)
    dual = solve(dual_program, solver)
    alpha, eta = _purify(inputs, primal.variables["alpha"],
                         float(primal.variables["intercept"]), fitted=data.Y[:, 0])
    R = float(np.sum(np.abs(alpha)))
    t = (R / gain) ** (1.0 / depth)
    network = relu_network(inputs.c, inputs.a0, alpha, eta, depth, t, widths)
    upper = network.objective(data.X, data.targets, None)
    lam, oracle = _centered_feasible(inputs, dual.variables["lam"], 1.0)
    # λ ⟂ 1, so λ^T y = λ^T (y - mean y); the centred form is exact for constant targets, and
    # the rounding allowance keeps the bound valid once the 2/L power magnifies it.
    centred = data.Y[:, 0] - data.Y[:, 0].mean()
    rounding = 4.0 * data.n * np.finfo(float).eps * float(np.linalg.norm(lam)) * float(
        np.linalg.norm(centred))
    R_lower = max(0.0, float(lam @ centred) - rounding)
    lower = depth * (R_lower / gain) ** (2.0 / depth)
    residual = network.interpolation_residual(data.X, data.targets)
    checks = {"R": R, "R_lower": R_lower, "layer_norm_t": t, "oracle_before_scaling": oracle,
              "network_residual": residual, "kinks": float(network.widths[-1])}
    reasons = status_reasons(primal.status, dual.status)
    if residual > feas_tol:
        reasons.append(f"extracted network misses f(X) = y by {residual:.2e} (relative) > "
                       f"feas_tol {feas_tol:.0e}")
    primal_value = depth * (R / gain) ** (2.0 / depth)
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons,
                             agree={"L (R/||a0||)^(2/L) from the ℓ1 program": primal_value})
    bounds = {"lower": "L (λ^T y / ||a0||)^(2/L) at the dual point of (39) over the exact "
                       "dictionary, centered and scaled into exact feasibility",
              "upper": "objective of the extracted network (44)/(46), kinks at data points"}
    return _certificate(inputs, None, upper, primal_value, lower, gap, rel_gap, reasons, network,
                        None, primal.status, dual.status, solver, primal_program, dual_program,
                        bounds, checks, {"primal": primal.seconds, "dual": dual.seconds},
                        rtol, atol, feas_tol)


def _regularized_two_layer(inputs: relu.RankOneInputs, beta: float, solver: str,
                           widths: Sequence[int] | None, rtol: float,
                           atol: float) -> Certificate:
    data, gain = inputs.data, inputs.gain
    primal_program = relu.spline_primal(inputs, beta)
    dual_program = relu.spline_dual(inputs, beta)
    primal = solve(primal_program, solver)
    dual = solve(dual_program, solver)
    alpha, eta = _purify(inputs, primal.variables["alpha"], float(primal.variables["intercept"]))
    network = relu_network(inputs.c, inputs.a0, alpha, eta, 2, 1.0, widths)
    upper = network.objective(data.X, data.targets, beta)
    lam, oracle = _centered_feasible(inputs, dual.variables["lam"], beta / gain)
    y = data.Y[:, 0]
    lower = 2.0 * (float(lam @ y) - 0.5 * float(lam @ lam))
    primal_value = float(np.sum((relu.spline_dictionary(inputs.c) @ alpha + eta - y) ** 2)
                         + 2.0 * beta * np.sum(np.abs(alpha)) / gain)
    reasons = status_reasons(primal.status, dual.status)
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons,
                             agree={"convex primal value": primal_value})
    bounds = {"lower": "dual objective at the solver's dual point, centered and scaled into "
                       "exact feasibility (exact oracle over the data points)",
              "upper": "objective of the extracted network, kinks at data points"}
    checks = {"oracle_before_scaling": oracle, "kinks": float(network.widths[-1])}
    return _certificate(inputs, beta, upper, primal_value, lower, gap, rel_gap, reasons, network,
                        None, primal.status, dual.status, solver, primal_program, dual_program,
                        bounds, checks, {"primal": primal.seconds, "dual": dual.seconds},
                        rtol, atol, 0.0)


def _regularized_deep(inputs: relu.RankOneInputs, beta: float, solver: str,
                      widths: Sequence[int] | None, rtol: float, atol: float) -> Certificate:
    data, depth, gain = inputs.data, inputs.depth, inputs.gain
    y = data.Y[:, 0]
    D = relu.spline_dictionary(inputs.c)
    alpha = cp.Variable(D.shape[1], name="alpha")
    eta = cp.Variable(name="intercept")
    radius = cp.Parameter(nonneg=True, name="rho")
    # Clarabel's gap tolerance is absolute below objective 1, and G(ρ) gets tiny near the
    # interpolating radius; the weight rescales the objective to about 1 (solved twice there).
    weight = cp.Parameter(nonneg=True, name="weight", value=1.0)
    problem = cp.Problem(cp.Minimize(weight * cp.sum_squares(D @ alpha + eta - y)),
                         [cp.norm(alpha, 1) <= radius])
    power = 2.0 / depth
    solved: dict[float, tuple[np.ndarray, float, np.ndarray, str]] = {}
    started = time.perf_counter()
    lasso = Program(problem=problem, variables={"alpha": alpha, "intercept": eta},
                    constraints={}, parameters={"rho": radius, "weight": weight},
                    name="lasso_at_rho",
                    reference="G(ρ), the constrained form of the regularized spline problem",
                    kind="primal", relation="exact", to_training=lambda value: value, data=data)

    def evaluate(rho: float) -> tuple[float, float]:
        """``G(ρ)`` from the solver and the slope ``-2 Ω(λ)`` of its weak-duality line."""
        if rho == 0.0:
            a, e, status = np.zeros(D.shape[1]), float(y.mean()), "optimal"
        else:
            lasso.set("rho", rho)
            lasso.set("weight", 1.0)
            solution = solve(lasso, solver)
            fit = float(np.sum((D @ solution.variables["alpha"]
                                + float(solution.variables["intercept"]) - y) ** 2))
            if 0.0 < fit < 1e-2:
                lasso.set("weight", 1.0 / fit)
                try:
                    # Only an optimal rescaled solve is used, so a fallback would be wasted.
                    rescaled = solve(lasso, solver, fallback=False)
                except SolverError:
                    rescaled = None        # keep the unweighted solution
                if rescaled is not None and rescaled.status == "optimal":
                    solution = rescaled
            a, e, status = (solution.variables["alpha"],
                            float(solution.variables["intercept"]), solution.status)
            # Solver noise in α costs β L (ρ/||a0||)^{2/L}, steep near 0: drop it and refit η.
            a = np.where(np.abs(a) > 1e-9 * rho, a, 0.0)
            e = float(np.mean(y - D @ a))
            a, e = _polish_support(D, y, a, e, rho)
        residual = y - D @ a - e
        lam = residual - residual.mean()
        solved[rho] = (a, e, lam, status)
        return float(residual @ residual), -2.0 * relu.spline_oracle(inputs.c, lam)

    # Beyond the minimum-norm radius of the best fit (targets averaged over equal inputs), G
    # is flat.
    best_fit = _min_l1_fit(inputs, _group_means(inputs))
    if best_fit is None:
        raise SolverError("HiGHS could not solve the ℓ1 interpolation of the best fit; try "
                          "rescaling the data.")
    R_max = float(np.sum(np.abs(best_fit[0])))
    search = minimize_convex_plus_concave(
        evaluate, lambda rho: beta * depth * (rho / gain) ** power, 0.0, max(R_max, 1e-300),
        rtol=max(rtol * 1e-3, 1e-10), initial=8, max_evaluations=200)

    def objective(a: np.ndarray, e: float) -> float:
        r = D @ a + e - y
        return float(r @ r) + beta * depth * (float(np.sum(np.abs(a))) / gain) ** power

    best_rho = min(solved, key=lambda rho: objective(*solved[rho][:2]))
    a_best, e_best, _, status = solved[best_rho]
    a_best, e_best = _purify(inputs, a_best, e_best)
    t = (float(np.sum(np.abs(a_best))) / gain) ** (1.0 / depth)
    network = relu_network(inputs.c, inputs.a0, a_best, e_best, depth, t, widths)
    upper = network.objective(data.X, data.targets, beta)
    # Every λ ⟂ 1 gives a line; scaling λ by s keeps it valid, and the best s at the radius
    # where λ was found, (λ^T y - ρ Ω(λ)) / ||λ||^2, makes the line touch G there even when the
    # residual itself is only as accurate as the solver (small β, ρ near interpolation).
    offsets, slopes = [0.0], [0.0]
    for rho, (_, _, lam, _) in solved.items():
        omega = relu.spline_oracle(inputs.c, lam)
        norm2 = float(lam @ lam)
        if norm2 == 0.0:
            continue
        for scale in (1.0, max(0.0, (float(lam @ y) - rho * omega) / norm2)):
            offsets.append(2.0 * scale * float(lam @ y) - scale * scale * norm2)
            slopes.append(2.0 * scale * omega)
    cap = gain * (upper / (beta * depth)) ** (1.0 / power)
    lower = min(upper, lower_bound_from_lines(
        np.array(offsets), np.array(slopes),
        lambda rho: beta * depth * (rho / gain) ** power, cap))
    statuses = {entry[3] for entry in solved.values()}
    reasons = [] if statuses == {"optimal"} else [
        f"some ρ subproblems ended with status {sorted(statuses - {'optimal'})}"]
    gap, rel_gap = bound_gap(upper, lower, rtol, atol, reasons,
                             agree={"search": objective(a_best, e_best)})
    checks = {"search_evaluations": float(len(solved)), "search_lower": search.lower,
              "rho": best_rho, "layer_norm_t": t,
              "R_max": R_max, "kinks": float(network.widths[-1])}
    bounds = {"lower": "weak-duality lines G(ρ) >= 2λ^T y - ||λ||^2 - 2ρΩ(λ) from every solved ρ, "
                       "plus βL(ρ/||a0||)^(2/L), minimized over ρ",
              "upper": "objective of the extracted network at the best ρ found by branch and "
                       "bound"}
    return _certificate(inputs, beta, upper, objective(a_best, e_best), lower, gap, rel_gap,
                        reasons, network, None, status, "not solved", solver,
                        None, None, bounds, checks,
                        {"primal": time.perf_counter() - started, "dual": 0.0}, rtol, atol,
                        0.0, primal_reference="G(ρ): constrained spline problems at each ρ "
                                              "(Corollary 3.2's search, §4)",
                        dual_reference="weak-duality lines of the G(ρ) solves")


def _polish_support(D: np.ndarray, y: np.ndarray, alpha: np.ndarray, eta: float,
                    rho: float) -> tuple[np.ndarray, float]:
    """Solve ``min ||D α + η 1 - y||^2 s.t. ||α||_1 <= ρ`` exactly on the solver's support.

    With support ``S`` and signs ``σ`` of an approximate solution on the boundary
    ``||α||_1 = ρ``, the optimum solves the equality-constrained least squares
    ``min ||D_S α_S + η - y||^2 s.t. σ^T α_S = ρ`` (a linear KKT system). Active-set steps drop
    entries whose sign flips and add the atom most correlated with the residual beyond the
    common level; every sign-consistent iterate is feasible (``||α||_1 = ρ``) and the best fit
    among them is kept (the dictionary's dependent columns can make the steps cycle).
    Interior-point solutions over the hinge dictionary are accurate only to ~1e-6 at
    n ~ 100. Any residual gives a valid weak-duality line, so a poor polish costs tightness,
    never validity.
    """
    support = np.flatnonzero(alpha)
    if support.size == 0 or abs(float(np.sum(np.abs(alpha))) - rho) > 1e-4 * rho:
        return alpha, eta
    signs = np.sign(alpha)
    best = (float(np.sum((D @ alpha + eta - y) ** 2)), alpha, eta)
    for _ in range(4 * alpha.size):
        A = np.hstack([D[:, support], np.ones((D.shape[0], 1))])
        k = A.shape[1]
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = A.T @ A
        kkt[:k - 1, k] = kkt[k, :k - 1] = signs[support]
        solution = np.linalg.lstsq(kkt, np.concatenate([A.T @ y, [rho]]), rcond=None)[0]
        flipped = np.sign(solution[:k - 1]) != signs[support]
        if flipped.any():
            support = support[~flipped]
            if support.size == 0:
                break
            continue
        trial = np.zeros_like(alpha)
        trial[support] = solution[:k - 1]
        residual = y - D @ trial - solution[k - 1]
        fit = float(residual @ residual)
        if fit < best[0]:
            best = (fit, trial, float(solution[k - 1]))
        correlation = D.T @ residual
        level = float(np.max(np.abs(correlation[support])))
        outside = np.setdiff1d(np.arange(alpha.size), support)
        if outside.size == 0:
            break
        worst = outside[np.argmax(np.abs(correlation[outside]))]
        if abs(correlation[worst]) <= level * (1 + 1e-10):
            break
        support = np.append(support, worst)
        signs[worst] = np.sign(correlation[worst])
    return best[1], best[2]


def _group_means(inputs: relu.RankOneInputs) -> np.ndarray:
    """The targets averaged over equal inputs: the best any network can fit."""
    c, y = inputs.c, inputs.data.Y[:, 0]
    span = float(c.max() - c.min()) or 1.0
    keys = np.round(c / (span * 1e-12)).astype(np.int64) if span > 0 else np.zeros(c.size, int)
    means = y.copy()
    for key in np.unique(keys):
        members = keys == key
        means[members] = y[members].mean()
    return means


def _no_bias(inputs: relu.RankOneInputs, beta: float | None, widths: Sequence[int] | None,
             rtol: float, atol: float, feas_tol: float) -> Certificate:
    data, depth, gain = inputs.data, inputs.depth, inputs.gain
    value, kappa = relu.no_bias_value(inputs, beta)
    scale = (abs(kappa) / gain) ** (1.0 / depth)
    if widths is not None and (len(widths) != depth - 1 or any(w < 1 for w in widths)):
        from cvxdual.errors import ParameterError

        raise ParameterError(f"widths needs {depth - 1} positive entries; got {widths!r}.")
    direction = inputs.a0 / gain
    layers: list[np.ndarray] = [scale * direction[:, None]]
    layers += [scale * np.ones((1, 1)) for _ in range(depth - 2)]
    layers.append(np.array([np.sign(kappa) * scale]))
    network = Network(layers, activation="relu")
    if widths is not None:
        network = _pad(network, widths)
    upper = network.objective(data.X, data.targets, beta)
    reasons: list[str] = []
    if beta is None:
        residual = network.interpolation_residual(data.X, data.targets)
        if residual > feas_tol:
            reasons.append(f"extracted network misses f(X) = y by {residual:.2e}")
    gap, rel_gap = bound_gap(upper, value, rtol, atol, reasons)
    bounds = {"lower": "exact 1-D value: without biases the network outputs κ c (Theorem 4.1)",
              "upper": "objective of the extracted single-path network"}
    return _certificate(inputs, beta, upper, value, value, gap, rel_gap, reasons, network, value,
                        "not solved", "not solved", "none (NumPy)", None, None, bounds,
                        {"kappa": kappa}, {}, rtol, atol, feas_tol,
                        primal_reference="closed form (no bias)",
                        dual_reference="closed form (no bias)")


def _pad(network: Network, widths: Sequence[int]) -> Network:
    """Zero-pad a width-one-path network to the requested hidden widths."""
    padded = []
    rows = network.weights[0].shape[0]
    for W, m in zip(network.weights[:-1], widths, strict=True):
        block = np.zeros((rows, m))
        block[: W.shape[0], : W.shape[1]] = W
        padded.append(block)
        rows = m
    last = np.zeros(rows)
    last[: network.weights[-1].shape[0]] = network.weights[-1]
    padded.append(last)
    return Network(padded, activation="relu")


def _certificate(inputs: relu.RankOneInputs, beta: float | None, upper: float,
                 primal_value: float, lower: float, gap: float, rel_gap: float,
                 reasons: list[str], network: Network, closed: float | None,
                 primal_status: str, dual_status: str, solver: str, primal_program, dual_program,
                 bounds: dict[str, str], checks: dict[str, float], timings: dict[str, float],
                 rtol: float, atol: float, feas_tol: float, primal_reference: str | None = None,
                 dual_reference: str | None = None) -> Certificate:
    data = inputs.data
    return Certificate(
        family="relu", problem="minimum-norm (2)" if beta is None else "regularized (1)",
        beta=beta, depth=inputs.depth, loss="squared", vector_output=False,
        shape=(data.n, data.d, data.k), training_value=upper, primal_value=primal_value,
        dual_value=lower, gap=gap, rel_gap=rel_gap, certified=not reasons,
        reasons=tuple(reasons), network=network, network_source="spline dictionary",
        neurons=network.neurons, closed_form=closed, primal_status=primal_status,
        dual_status=dual_status, solver=solver,
        references={
            "primal": primal_reference or f"{primal_program.name}, {primal_program.reference}",
            "dual": dual_reference or f"{dual_program.name}, {dual_program.reference}"},
        bounds=bounds, timings=dict(timings), checks=checks,
        tolerances={"rtol": rtol, "atol": atol, "feas_tol": feas_tol})
