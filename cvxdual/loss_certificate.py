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
from typing import Any

import numpy as np

from cvxdual.certificate import Certificate, bound_gap, status_reasons
from cvxdual.data import Dataset, as_dataset
from cvxdual.errors import UnsupportedError
from cvxdual.extract import RANK_RTOL, extreme_points, linear_oracle, two_layer_network
from cvxdual.families import losses as loss_programs
from cvxdual.losses import Huber, Loss
from cvxdual.network import Network
from cvxdual.program import Program, Solution
from cvxdual.solve import check_solver, solve

__all__ = ["certify_loss"]


def certify_loss(X: Any, Y: Any, loss: str | Loss, beta: float | None, family: str = "linear",
                 depth: int = 2, solver: str | None = None, *, rtol: float = 1e-6,
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
    family : {"linear"}
        Two-layer linear networks (scalar or vector output); other families raise
        :class:`~cvxdual.errors.UnsupportedError`.
    depth : int
        Must be 2.
    solver : str, optional
        CVXPY solver, Clarabel by default.
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
    if family != "linear" or depth != 2:
        raise UnsupportedError(f"losses other than 'squared' are certified for family='linear' "
                               f"(two-layer, depth 2) only; got family={family!r}, "
                               f"depth={depth}. Use loss='squared' for the other families.")
    chosen, beta = loss_programs.check_loss_problem(data, loss, beta)
    solver_name = check_solver(solver)

    # Scaled units (module docstring): labels are never rescaled.
    scale_x = float(np.linalg.norm(data.X, 2)) or 1.0
    degree = chosen.degree
    scale_y = 1.0 if degree is None else (float(np.linalg.norm(data.Y)) or 1.0)
    scaled_loss = chosen if degree is None else chosen.rescaled(scale_y)
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
    value_scale = scale_y ** (degree or 0)     # scaled-units values -> the user's units
    checks["solver_primal_value"] = primal.training_value * value_scale
    checks["solver_dual_value"] = dual.training_value * value_scale
    candidates = {"primal": _primal_candidate(scaled, V_scaled),
                  "dual": _dual_candidate(scaled, scaled_loss, scaled_beta, lam_scaled,
                                          solver_name, checks)}
    growth = np.sqrt(scale_y / scale_x)       # each of the two layers scales by this
    scored = []
    for name, candidate in candidates.items():
        network = Network([W * growth for W in candidate.weights], activation="linear")
        value = network.objective(data.X, data.targets, beta, loss=chosen)
        checks[f"{name}_network_value"] = value
        scored.append((value, name, network))
    training_value, source, network = min(scored, key=lambda item: item[0])
    extract_seconds = time.perf_counter() - started

    # Lower bound in the user's units: λ = -∇ℓ scales by s_y^{p-1} (∇ℓ(F) = s_y^{p-1}
    # ∇ℓ_s(F / s_y)); move into the conjugate's domain, then scale into the oracle's ball.
    lam = lam_scaled * scale_y ** ((degree or 1) - 1)
    targets = data.Y
    lam_domain = -chosen.to_domain(-lam, targets)
    oracle = linear_oracle(data.X, lam_domain)
    bound = 2.0 * beta
    dual_scale = min(1.0, bound / oracle) if oracle > 0 else 1.0
    lam_feasible = dual_scale * lam_domain
    dual_value = -chosen.conjugate(-lam_feasible, targets)
    lam_norm = max(float(np.linalg.norm(lam)), np.finfo(np.float64).tiny)
    checks.update({
        "dual_domain_shift": float(np.linalg.norm(lam_domain - lam)) / lam_norm,
        "dual_infeasibility": max(0.0, oracle / bound - 1.0),
        "dual_scale": dual_scale,
        "oracle_max": oracle,
    })

    V = V_scaled * (scale_y / scale_x)
    nuclear = float(np.linalg.svd(V, compute_uv=False).sum())
    primal_value = chosen.value(data.as_user_shape(data.X @ V), data.targets) + bound * nuclear
    if network.widths[0] > 0:
        ratios = np.linalg.norm(lam_feasible.T @ (data.X @ network.neurons), axis=0) / bound
        checks["min_extreme_point_ratio"] = float(ratios.min())

    reasons = status_reasons(primal.status, dual.status)
    if not np.isfinite(dual_value):
        reasons.append("the dual point is outside the conjugate's domain after projection")
        dual_value = -float("inf")
    gap, rel_gap = bound_gap(training_value, dual_value, rtol, atol, reasons,
                             agree={"convex primal value": primal_value})
    if not np.isfinite(gap):
        gap, rel_gap = float("inf"), float("inf")
    if isinstance(chosen, Huber):
        checks["loss_delta"] = chosen.delta
    return Certificate(
        family="linear", problem=f"regularized (1) with the {chosen} loss", beta=beta, depth=2,
        loss=chosen.name, vector_output=data.vector_output, shape=(data.n, data.d, data.k),
        training_value=training_value, primal_value=primal_value, dual_value=dual_value,
        gap=gap, rel_gap=rel_gap, certified=not reasons, reasons=tuple(reasons),
        network=network, network_source=source, neurons=network.neurons, closed_form=None,
        primal_status=primal.status, dual_status=dual.status, solver=solver_name,
        references={"primal": f"{primal_program.name}, {primal_program.reference}",
                    "dual": f"{dual_program.name}, {dual_program.reference}"},
        bounds={"lower": "-ℓ*(-λ) at the solver's dual point moved into the conjugate's domain "
                         "and scaled into σ_max(X^T Λ) <= 2β (exact oracle)",
                "upper": f"ℓ(f(X), Y) + β Σ ||W_l||_F^2 of the extracted network ({chosen} "
                         f"loss), recomputed from its weights"},
        timings={"primal": primal.seconds, "dual": dual.seconds, "extract": extract_seconds,
                 "total": time.perf_counter() - start},
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
    solution = solve(loss_programs.regularized_primal(restricted, loss, beta), solver)
    M = solution.variables["v"].reshape(Q.shape[1], data.k)
    V = Q @ M
    return two_layer_network(V, data.vector_output, RANK_RTOL * float(np.linalg.norm(V, 2)))
