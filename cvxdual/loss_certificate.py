"""Certificates for two-layer linear networks trained with a general convex loss (Theorem A.1).

The training problem is (1) with ``ℓ(f(X), Y)`` in place of the squared error,
``min ℓ(X W1 W2, Y) + β (||W1||_F^2 + ||W2||_F^2)``, whose convex form and dual are built by
:mod:`cvxdual.families.losses`: ``min_V ℓ(XV, Y) + 2β||V||_*`` and
``max -ℓ*(-λ) s.t. σ_max(X^T Λ) <= 2β``. The decision uses only values recomputed in NumPy,
in the user's units:

* **upper bound**: the objective of the extracted network, ``ℓ(f(X), Y) + β Σ_l ||W_l||_F^2``,
  from its weights;
* **lower bound**: ``-ℓ*(-λ)`` at the solver's dual point, first moved into the conjugate's
  domain (:meth:`cvxdual.losses.Loss.to_domain`, which removes round-off) and then scaled
  towards ``0`` until the exact oracle gives ``σ_max(X^T Λ) <= 2β`` (the domain is convex and
  contains ``0``, so both hold at once), hence a valid bound by weak duality;
* ``certified`` when both solver statuses are ``optimal``, the gap is within
  ``rtol * max(|upper|, |lower|) + atol`` and the convex primal's recomputed value agrees with the
  upper bound to the same tolerance.

The network is read two ways and the better kept (as in :mod:`cvxdual.certificate`): from the
dual, with neurons the extreme points ``X^T λ / ||X^T λ||`` (vector outputs: the right singular
vectors of ``Λ^T X`` reaching ``2β``) and output weights from the convex program restricted to
them; and from the SVD of the convex primal's ``V``.

Units: programs are solved on ``X / ||X||_2``; targets are divided by ``s_y = ||Y||_F`` only for
losses with a degree of homogeneity ``p`` (squared, absolute, Huber with ``δ / s_y``), never for
labels. With ``V = (s_y / ||X||_2) V'`` the problem on the scaled data has weight
``β' = β s_y^{1 - p} / ||X||_2`` and value ``s_y^{-p}`` times the original.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cvxdual.certificate import Certificate, bound_gap, status_reasons
from cvxdual.data import Dataset, as_dataset
from cvxdual.errors import ParameterError, UnsupportedError
from cvxdual.extract import (
    ACTIVE_RTOL,
    RANK_RTOL,
    extreme_points,
    linear_oracle,
    relu_network,
    two_layer_network,
)
from cvxdual.families import losses as loss_programs
from cvxdual.families import relu
from cvxdual.losses import Huber, Loss
from cvxdual.network import Network
from cvxdual.program import Program, Solution
from cvxdual.solve import check_solver, solve

__all__ = ["certify_loss"]


def certify_loss(X: Any, Y: Any, loss: str | Loss, beta: float | None, family: str = "linear",
                 depth: int = 2, solver: str | None = None, *,
                 widths: Sequence[int] | None = None, bias: bool = True, rtol: float = 1e-6,
                 atol: float = 1e-10, feas_tol: float = 1e-7) -> Certificate:
    """Certify the global optimum of (1) with a convex loss ``ℓ`` (Theorem A.1).

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n,) or (n, k)
        Targets (regression losses) or labels: ``{-1, +1}`` for ``"logistic"`` and
        ``"hinge"``, one-hot rows of shape ``(n, k)``, ``k >= 2``, for ``"cross-entropy"``.
    loss : str or Loss
        A name of :func:`cvxdual.losses.get_loss` or a loss object (e.g.
        ``get_loss("huber", delta=0.5)``).
    beta : float
        Regularization weight ``β > 0`` (``None`` is rejected: the loss enters only (1)).
    family : {"linear", "relu"}
        ``"linear"``: two-layer linear networks, scalar or vector output. ``"relu"``: the
        two-layer ReLU network of Proposition 4.1 (hidden bias, free intercept) on rank-one data
        (``d = 1`` included), scalar output, over the exact spline dictionary. Other families
        raise :class:`~cvxdual.errors.UnsupportedError`.
    depth : int
        Must be 2.
    solver : str, optional
        CVXPY solver, Clarabel by default.
    widths : sequence of int, optional
        ``"relu"`` only: ``(m,)``, the hidden width of the returned network.
    bias : bool
        ``"relu"`` only; must be True (Proposition 4.1).
    rtol, atol : float
        Tolerances of the gap (module docstring).
    feas_tol : float
        Recorded only (the regularized problem has no interpolation constraint).

    Returns
    -------
    Certificate
        With ``loss`` set to the loss's name.

    Raises
    ------
    ParameterError, DataError, UnsupportedError
    SolverError
    """
    start = time.perf_counter()
    data = as_dataset(X, Y)
    supported = ("losses other than 'squared' are certified for family='linear' and "
                 "family='relu', both at depth 2 (relu with bias=True)")
    if family not in ("linear", "relu") or depth != 2:
        raise UnsupportedError(f"{supported}; got family={family!r}, depth={depth}. Use "
                               f"loss='squared' for the other cases.")
    if family == "relu" and bias is not True:
        raise UnsupportedError(f"{supported}; bias=False (Theorem 4.1) needs loss='squared'.")
    if family == "linear" and widths is not None:
        raise ParameterError("widths applies to family='relu'; the two-layer linear family "
                             "returns the network of the rank of the optimum.")
    chosen, beta = loss_programs.check_loss_problem(data, loss, beta)
    solver_name = check_solver(solver)
    if family == "relu":
        inputs = relu.rank_one_inputs(data, 2)
        certificate = _certify_relu(inputs, chosen, beta, solver_name, widths, rtol, atol,
                                    feas_tol)
    else:
        certificate = _certify_linear(data, chosen, beta, solver_name, rtol, atol, feas_tol)
    certificate.timings["total"] = time.perf_counter() - start
    return certificate


def _certify_linear(data: Dataset, chosen: Loss, beta: float, solver_name: str, rtol: float,
                    atol: float, feas_tol: float) -> Certificate:
    # Scaled units (module docstring): labels are never rescaled.
    scale_x = float(np.linalg.norm(data.X, 2)) or 1.0
    degree, scale_y, scaled_loss = _target_scaling(data, chosen)
    scaled_beta = beta * scale_y ** (1 - (degree or 1)) / scale_x
    scaled = as_dataset(data.X / scale_x, data.targets / scale_y)

    primal_program = loss_programs.regularized_primal(scaled, scaled_loss, scaled_beta)
    dual_program = loss_programs.regularized_dual(scaled, scaled_loss, scaled_beta)
    checks: dict[str, float] = {"scale_x": scale_x, "scale_y": scale_y}
    primal = _solve(primal_program, solver_name, "primal", checks)
    dual = _solve(dual_program, solver_name, "dual", checks)

    started = time.perf_counter()
    V_scaled = primal.variables["v"].reshape(scaled.d, scaled.k)
    lam_scaled = dual.variables["lam"].reshape(scaled.n, scaled.k)
    candidates = {"primal": _primal_candidate(scaled, V_scaled),
                  "dual": _dual_candidate(scaled, scaled_loss, scaled_beta, lam_scaled,
                                          solver_name, checks)}
    growth = np.sqrt(scale_y / scale_x)       # each of the two layers scales by this
    network, source = _best(data, chosen, beta, {
        name: Network([W * growth for W in candidate.weights], activation="linear")
        for name, candidate in candidates.items()}, checks)
    extract_seconds = time.perf_counter() - started

    bound = 2.0 * beta
    lam = lam_scaled * scale_y ** ((degree or 1) - 1)
    dual_value, lam_feasible = _lower_bound(chosen, lam, data.Y, bound,
                                            lambda L: linear_oracle(data.X, L), False, checks)
    V = V_scaled * (scale_y / scale_x)
    nuclear = float(np.linalg.svd(V, compute_uv=False).sum())
    primal_value = chosen.value(data.as_user_shape(data.X @ V), data.targets) + bound * nuclear
    if network.widths[0] > 0:
        ratios = np.linalg.norm(lam_feasible.T @ (data.X @ network.neurons), axis=0) / bound
        checks["min_extreme_point_ratio"] = float(ratios.min())
    return _assemble(data, "linear", chosen, beta, network, source, primal_value, dual_value,
                     primal, dual, primal_program, dual_program, checks, extract_seconds,
                     rtol, atol, feas_tol,
                     lower="-ℓ*(-λ) at the solver's dual point moved into the conjugate's "
                           "domain and scaled into σ_max(X^T Λ) <= 2β (exact oracle)")


def _certify_relu(inputs: relu.RankOneInputs, chosen: Loss, beta: float, solver_name: str,
                  widths: Sequence[int] | None, rtol: float, atol: float,
                  feas_tol: float) -> Certificate:
    data = inputs.data
    degree, scale_y, scaled_loss = _target_scaling(data, chosen)
    # X needs no scaling: rank_one_inputs measures c in units of its spread (a0 carries it).
    scaled_beta = beta * scale_y ** (1 - (degree or 1))
    scaled = relu.rank_one_inputs(as_dataset(data.X, data.targets / scale_y), 2)
    primal_program = loss_programs.spline_primal(scaled, scaled_loss, scaled_beta)
    dual_program = loss_programs.spline_dual(scaled, scaled_loss, scaled_beta)
    checks: dict[str, float] = {"scale_y": scale_y}
    primal = _solve(primal_program, solver_name, "primal", checks)
    dual = _solve(dual_program, solver_name, "dual", checks)

    started = time.perf_counter()
    bound = 2.0 * beta / inputs.gain
    D = relu.spline_dictionary(inputs.c)
    lam_scaled = dual.variables["lam"]
    # Extreme points: the dictionary columns (kinks at data points) where |D^T λ| reaches
    # the bound; output weights from the program restricted to them.
    active = np.flatnonzero(np.abs(D.T @ lam_scaled)
                            >= (1.0 - ACTIVE_RTOL) * 2.0 * scaled_beta / inputs.gain)
    checks["extreme_points"] = float(active.size)
    alpha_primal = primal.variables["alpha"]
    eta_primal = float(primal.variables["intercept"])
    alpha_dual, eta_dual = np.zeros(D.shape[1]), eta_primal
    if active.size:
        restricted = _solve(loss_programs.spline_primal(scaled, scaled_loss, scaled_beta,
                                                        columns=active), solver_name,
                            "restricted", checks)
        alpha_dual[active] = restricted.variables["alpha"]
        eta_dual = float(restricted.variables["intercept"])
    # Interior-point solutions spread ~1e-9 weights over every column: drop them (the
    # candidate is scored by its own objective, so this cannot overstate anything).
    top = float(np.max(np.abs(alpha_primal), initial=0.0))
    alpha_primal = np.where(np.abs(alpha_primal) > RANK_RTOL * top, alpha_primal, 0.0)
    built: dict[str, Network] = {}
    failure: ParameterError | None = None
    for name, (a, e) in {"primal": (alpha_primal, eta_primal),
                         "dual": (alpha_dual, eta_dual)}.items():
        try:
            built[name] = relu_network(inputs.c, inputs.a0, scale_y * a, scale_y * e, 2, 1.0,
                                       widths)
        except ParameterError as error:       # widths below what this candidate needs
            failure = failure or error
    if not built and failure is not None:
        raise failure
    network, source = _best(data, chosen, beta, built, checks)
    extract_seconds = time.perf_counter() - started

    lam = lam_scaled * scale_y ** ((degree or 1) - 1)
    dual_value, _ = _lower_bound(chosen, lam, data.targets, bound,
                                 lambda L: relu.spline_oracle(inputs.c, L), True, checks)
    alpha = scale_y * primal.variables["alpha"]
    primal_value = (chosen.value(D @ alpha + scale_y * eta_primal, data.targets)
                    + bound * float(np.sum(np.abs(alpha))))
    checks["kinks"] = float(network.widths[-1])
    return _assemble(data, "relu", chosen, beta, network, source, primal_value, dual_value,
                     primal, dual, primal_program, dual_program, checks, extract_seconds,
                     rtol, atol, feas_tol,
                     lower="-ℓ*(-λ) at the solver's dual point moved into the conjugate's "
                           "domain, centered (λ^T 1 = 0) by shrinking one sign, and scaled into "
                           "|D^T λ| <= 2β/||a0|| (exact oracle over the data points)")


def _target_scaling(data: Dataset, loss: Loss) -> tuple[int | None, float, Loss]:
    """Degree ``p``, target scale ``s_y`` (1 for labels) and the loss in scaled units."""
    degree = loss.degree
    if degree is None:
        return None, 1.0, loss
    scale_y = float(np.linalg.norm(data.Y)) or 1.0
    return degree, scale_y, loss.rescaled(scale_y)


def _best(data: Dataset, loss: Loss, beta: float, candidates: dict[str, Network],
          checks: dict[str, float]) -> tuple[Network, str]:
    """The candidate with the smallest objective recomputed from its weights with the loss
    (:func:`cvxdual.certificate.best_network` scores with the squared error)."""
    scored = []
    for name, network in candidates.items():
        value = network.objective(data.X, data.targets, beta, loss=loss)
        checks[f"{name}_network_value"] = value
        scored.append((value, name, network))
    _, name, network = min(scored, key=lambda item: item[0])
    return network, name


def _lower_bound(loss: Loss, lam: np.ndarray, targets: np.ndarray, bound: float,
                 oracle: Callable[[np.ndarray], float], center: bool,
                 checks: dict[str, float]) -> tuple[float, np.ndarray]:
    """``-ℓ*(-λ)`` at an exactly feasible point near ``lam`` (weak duality: a lower bound).

    ``λ`` is moved into the conjugate's domain, then (``center``: the intercept's
    ``λ^T 1 = 0``) the entries of the sign with the larger total are shrunk until both totals
    match (each entry moves towards 0, so it stays in a box domain), then the whole point is
    scaled towards 0 until ``oracle(λ) <= bound``.
    """
    lam = np.asarray(lam, dtype=np.float64)
    shaped = lam.reshape(targets.shape)
    moved = -loss.to_domain(-shaped, targets)
    if center:
        positive = float(moved[moved > 0].sum())
        negative = -float(moved[moved < 0].sum())
        if positive > negative:
            moved = np.where(moved > 0, moved * (negative / positive), moved)
        elif negative > positive:
            moved = np.where(moved < 0, moved * (positive / negative), moved)
        checks["dual_centering_sum"] = float(moved.sum())
    value = oracle(moved)
    scale = min(1.0, bound / value) if value > 0 else 1.0
    feasible = scale * moved
    norm = max(float(np.linalg.norm(shaped)), np.finfo(np.float64).tiny)
    checks.update({
        "dual_domain_shift": float(np.linalg.norm(moved - shaped)) / norm,
        "dual_infeasibility": max(0.0, value / bound - 1.0),
        "dual_scale": scale,
        "oracle_max": value,
    })
    return -loss.conjugate(-feasible, targets), feasible.reshape(lam.shape)


def _assemble(data: Dataset, family: str, chosen: Loss, beta: float, network: Network,
              source: str, primal_value: float, dual_value: float, primal: Solution,
              dual: Solution, primal_program: Program, dual_program: Program,
              checks: dict[str, float], extract_seconds: float, rtol: float, atol: float,
              feas_tol: float, lower: str) -> Certificate:
    training_value = network.objective(data.X, data.targets, beta, loss=chosen)
    # The solvers' own values, mapped to the user's units (s_y^p; labels are not scaled).
    value_scale = checks.get("scale_y", 1.0) ** (chosen.degree or 0)
    checks["solver_primal_value"] = primal.training_value * value_scale
    checks["solver_dual_value"] = dual.training_value * value_scale
    if isinstance(chosen, Huber):
        checks["loss_delta"] = chosen.delta
    reasons = status_reasons(primal.status, dual.status)
    if not np.isfinite(dual_value):
        reasons.append("the dual point is outside the conjugate's domain after projection")
    gap, rel_gap = bound_gap(training_value, dual_value, rtol, atol, reasons,
                             agree={"convex primal value": primal_value})
    return Certificate(
        family=family, problem=f"regularized (1) with the {chosen} loss", beta=beta, depth=2,
        loss=chosen.name, vector_output=data.vector_output, shape=(data.n, data.d, data.k),
        training_value=training_value, primal_value=primal_value, dual_value=dual_value,
        gap=gap, rel_gap=rel_gap, certified=not reasons, reasons=tuple(reasons),
        network=network, network_source=source, neurons=network.neurons, closed_form=None,
        primal_status=primal.status, dual_status=dual.status, solver=primal.solver,
        references={"primal": f"{primal_program.name}, {primal_program.reference}",
                    "dual": f"{dual_program.name}, {dual_program.reference}"},
        bounds={"lower": lower,
                "upper": f"ℓ(f(X), Y) + β Σ ||W_l||_F^2 of the extracted network ({chosen} "
                         f"loss), recomputed from its weights"},
        timings={"primal": primal.seconds, "dual": dual.seconds, "extract": extract_seconds},
        checks=checks,
        tolerances={"rtol": rtol, "atol": atol, "feas_tol": feas_tol},
    )


#: Clarabel tolerances of a second attempt when the first (cvxdual's defaults) stops short of
#: "optimal": on exponential-cone duals (logistic, cross-entropy) Clarabel can stall at a
#: relative gap of ~2e-8, just above its own default of 1e-8. The certificate's decision does
#: not rest on these: it recomputes both bounds in NumPy and compares them with ``rtol``.
RELAXED_CLARABEL: dict[str, float] = {"tol_gap_rel": 1e-7, "tol_gap_abs": 1e-9,
                                      "tol_feas": 1e-8}


def _solve(program: Program, solver: str, side: str, checks: dict[str, float]) -> Solution:
    with warnings.catch_warnings():
        # A second attempt follows when this one is inaccurate, so its warning would mislead;
        # solve() resets the filters for its last attempt, hence the display hook.
        if solver == "CLARABEL":
            warnings.showwarning = lambda *args, **kwargs: None
        solution = solve(program, solver)
    if solution.status != "optimal" and solver == "CLARABEL":
        solution = solve(program, solver, **RELAXED_CLARABEL)
        checks[f"{side}_relaxed_tolerances"] = 1.0
    return solution


def _primal_candidate(data: Dataset, V: np.ndarray) -> Network:
    """Balanced network from the SVD of the convex primal's ``V`` (null-space part dropped:
    it adds norm and changes no output)."""
    svd = data.svd
    V = svd.Vt.T @ (svd.Vt @ V)
    top = float(np.linalg.norm(V, 2))
    return two_layer_network(V, data.vector_output, RANK_RTOL * top)


def _dual_candidate(data: Dataset, loss: Loss, beta: float, lam: np.ndarray, solver: str,
                    checks: dict[str, float]) -> Network:
    """Network whose neurons are the extreme points of ``lam`` (Corollary 2.1, Theorem A.1),
    with output weights from the convex program restricted to their span."""
    points = extreme_points(data, lam, 2.0 * beta)
    Q = points.neurons
    checks["extreme_points"] = float(Q.shape[1])
    if Q.shape[1] == 0:
        return two_layer_network(np.zeros((data.d, data.k)), data.vector_output)
    restricted = as_dataset(data.X @ Q, data.targets)
    solution = _solve(loss_programs.regularized_primal(restricted, loss, beta), solver,
                      "restricted", checks)
    M = solution.variables["v"].reshape(Q.shape[1], data.k)
    V = Q @ M
    return two_layer_network(V, data.vector_output, RANK_RTOL * float(np.linalg.norm(V, 2)))
