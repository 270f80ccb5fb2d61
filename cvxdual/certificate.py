"""Certificates of global optimality for the non-convex training problems.

:func:`certify` solves a convex primal and its dual, reads the optimal network from the dual
(Corollary 2.1), and decides ``certified`` only from values recomputed in NumPy:

* the **upper bound** is the training objective of the extracted network, recomputed from its
  weights (for minimum-norm problems the network must also interpolate: relative residual
  ``||f(X) - Y||_F / max(||Y||_F, 1) <= feas_tol``);
* the **lower bound** is the dual objective at the solver's dual point after scaling it into
  exact feasibility with the exact extreme-point oracle (``max_{||w||<=1} ||Λ^T X w|| =
  σ_max(X^T Λ)``), so weak duality makes it a valid bound whatever the solver's accuracy;
* ``certified`` requires both solver statuses ``optimal``, ``gap = upper - lower`` within
  ``rtol * max(|upper|, |lower|) + atol``, the convex primal's own recomputed value and the closed
  form (where one exists) within the same tolerance of the upper bound.

A failed check leaves ``certified=False`` and says why in ``reasons``; it never raises.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cvxdual.data import Dataset, as_dataset
from cvxdual.errors import ParameterError
from cvxdual.extract import (
    ExtremePoints,
    linear_oracle,
    negligible_singular_value,
    network_from_dual,
    two_layer_network,
)
from cvxdual.families import linear
from cvxdual.fast import two_layer_min_norm_value, two_layer_regularized_value
from cvxdual.losses import Loss
from cvxdual.network import Network
from cvxdual.solve import check_solver, solve
from cvxdual.validation import check_beta, check_depth, check_family, check_loss

__all__ = ["Certificate", "certify", "DEFAULT_RTOL", "DEFAULT_ATOL", "DEFAULT_FEAS_TOL"]

#: Relative tolerance on the duality gap (and on agreement with the convex primal and closed form).
DEFAULT_RTOL = 1e-6
#: Absolute slack added to every value comparison (matters only for values near zero).
DEFAULT_ATOL = 1e-10
#: Largest relative interpolation residual accepted for minimum-norm problems.
DEFAULT_FEAS_TOL = 1e-7


@dataclass(frozen=True, eq=False)
class Certificate:
    """Result of :func:`certify`: bounds on the global optimum and the network that attains it.

    Attributes
    ----------
    training_value : float
        The certified global optimum of the training problem: the objective (2) or (1) of
        ``network``, recomputed from its weights (an upper bound, equal to the optimum within
        the tolerance when ``certified``).
    primal_value : float
        The convex primal's solution, recomputed in NumPy and mapped to the training objective.
    dual_value : float
        A valid lower bound: the dual objective at an exactly feasible dual point, mapped to the
        training objective.
    gap, rel_gap : float
        ``training_value - dual_value`` and that gap over ``max(|training_value|, |dual_value|)``.
    certified : bool
        True only when every check in ``reasons`` passed.
    reasons : tuple of str
        Why the result is not certified (empty when it is).
    network : Network
        The optimal network (balanced layers).
    network_source : {"dual", "primal"}
        Where ``network`` was read from: the extreme points of the dual solution
        (Corollary 2.1), or the SVD of the convex primal's end-to-end matrix when that network
        is better (the dual's neurons are accurate only to about the square root of the
        solver's tolerance where the dual constraint is curved, e.g. vector outputs).
    neurons : ndarray, shape (d, m)
        Unit-norm extreme points, one per column (the network's first-layer directions).
    closed_form : float or None
        Independent closed-form value where one exists.
    primal_status, dual_status, solver : str
    references : dict
        The programs solved (``"primal"``, ``"dual"``) with their paper equations.
    bounds : dict
        What the lower bound (``dual_value``) and the upper bound (``training_value``) are.
    timings : dict
        Seconds for the primal, the dual, the extraction and the whole call.
    checks : dict
        The recomputed quantities behind the decision (residuals, dual infeasibility before
        scaling, extreme-point ratios), in the units where the problem was solved:
        ``X / scale_x`` and ``Y / scale_y`` (both recorded here).
    tolerances : dict
        ``rtol``, ``atol``, ``feas_tol`` used.
    iterations : tuple of dict
        The exchange method's steps (``cvxdual.semi_infinite``) with their bounds ``upper`` and
        ``lower`` as training values; empty for certificates that solve one program.
    """

    family: str
    problem: str
    beta: float | None
    depth: int
    loss: str
    vector_output: bool
    shape: tuple[int, int, int]
    training_value: float
    primal_value: float
    dual_value: float
    gap: float
    rel_gap: float
    certified: bool
    reasons: tuple[str, ...]
    network: Network
    network_source: str
    neurons: np.ndarray
    closed_form: float | None
    primal_status: str
    dual_status: str
    solver: str
    references: dict[str, str]
    bounds: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    checks: dict[str, float] = field(default_factory=dict)
    tolerances: dict[str, float] = field(default_factory=dict)
    iterations: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (keys as the attributes; arrays as nested lists)."""
        n, d, k = self.shape
        return {
            "family": self.family,
            "problem": self.problem,
            "beta": self.beta,
            "depth": self.depth,
            "loss": self.loss,
            "output": "vector" if self.vector_output else "scalar",
            "n": n, "d": d, "k": k,
            "training_value": self.training_value,
            "primal_value": self.primal_value,
            "dual_value": self.dual_value,
            "gap": self.gap,
            "rel_gap": self.rel_gap,
            "certified": self.certified,
            "reasons": list(self.reasons),
            "closed_form": self.closed_form,
            "primal_status": self.primal_status,
            "dual_status": self.dual_status,
            "solver": self.solver,
            "references": dict(self.references),
            "bounds": dict(self.bounds),
            "timings": dict(self.timings),
            "checks": dict(self.checks),
            "tolerances": dict(self.tolerances),
            "network_source": self.network_source,
            "neurons": self.neurons.tolist(),
            "network": self.network.to_dict(),
            "iterations": [dict(step) for step in self.iterations],
        }

    def __str__(self) -> str:
        n, d, k = self.shape
        output = f"vector output (k={k})" if self.vector_output else "scalar output"
        closed = "n/a" if self.closed_form is None else f"{self.closed_form:.10g}"
        lines = [
            f"cvxdual certificate: {self.family} network, depth {self.depth}, {output}, "
            f"{self.problem}" + ("" if self.beta is None else f", beta={self.beta:g}"),
            f"  data            n={n}, d={d}, k={k}",
            f"  training value  {self.training_value:.10g}   (upper bound: "
            f"{self.bounds.get('upper', 'objective of the extracted network')})",
            f"  lower bound     {self.dual_value:.10g}   ({self.bounds.get('lower', 'dual')})",
            f"  primal program  {self.primal_value:.10g}   [{self.references['primal']}; "
            f"{self.primal_status}]",
            f"  dual program    [{self.references['dual']}; {self.dual_status}]",
            f"  gap             {self.gap:.3g}   (relative {self.rel_gap:.3g}; tolerance "
            f"{self.tolerances.get('rtol', float('nan')):.0e})",
            f"  closed form     {closed}",
            f"  neurons         {self.neurons.shape[1]} extreme point(s); widths "
            f"{self.network.widths}, read from the {self.network_source}",
            f"  certified       {'yes' if self.certified else 'NO'}",
        ]
        lines.extend(f"    - {reason}" for reason in self.reasons)
        if self.iterations:
            last = self.iterations[-1]
            lines.append(f"  exchange        {len(self.iterations)} iteration(s), "
                         f"{last.get('neurons', 0)} neurons + {last.get('cones', 0)} cones; "
                         f"bracket [{self.dual_value:.10g}, {self.training_value:.10g}]")
        lines.append(f"  solver          {self.solver}, {self.timings.get('total', 0.0):.3f} s")
        return "\n".join(lines)


def certify(X: Any, Y: Any, family: str = "linear", beta: float | None = None, depth: int = 2,
            loss: str | Loss = "squared", solver: str | None = None, *, method: str = "auto",
            widths: Sequence[int] | None = None, bias: bool = True, rtol: float = DEFAULT_RTOL,
            atol: float = DEFAULT_ATOL, feas_tol: float = DEFAULT_FEAS_TOL) -> Certificate:
    """Certify the global optimum of a (non-convex) network training problem.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n,) or (n, k)
        1-D targets give a scalar-output network, 2-D a vector-output one.
    family : {"linear", "deep-linear", "relu"}
        Network family (§2, §3, §4 of the paper).
    beta : float, optional
        ``None``: minimum-norm interpolation (2). ``beta > 0``: the regularized problem (1),
        ``||f(X) - Y||_F^2 + β Σ_l ||W_l||_F^2``.
    depth : int
        Number of weight layers ``L`` (2 for ``family="linear"``; any ``L >= 2`` for
        ``"deep-linear"``).
    loss : str or Loss
        Training loss: ``"squared"`` or another name of :data:`cvxdual.validation.LOSSES`
        (Theorem A.1, :mod:`cvxdual.loss_certificate`), or a loss object from
        :func:`cvxdual.losses.get_loss` to set its parameters (``get_loss("huber", delta=0.5)``).
    solver : str, optional
        CVXPY solver, Clarabel by default (used by ``method="cvxpy"`` only).
    method : {"auto", "cvxpy", "fast"}
        ``"fast"``: exact NumPy paths (:mod:`cvxdual.fast_certificate`: SVD closed forms, the
        secular equation, accelerated proximal gradient stopped by a duality gap), for the
        ``"linear"`` and ``"deep-linear"`` families with the squared loss. ``"cvxpy"``: the
        convex programs, solved by ``solver``. ``"auto"`` (default) picks ``"fast"`` wherever it
        exists. Both decide ``certified`` from bounds recomputed in NumPy; ``solver`` and the
        statuses record which method ran.
    widths : sequence of int, optional
        Hidden widths ``(m_1, ..., m_{L-1})`` of the returned network (``"deep-linear"`` and
        ``"relu"``); the fewest the optimum needs by default.
    bias : bool
        ``"relu"`` only: ``True`` (default) is Proposition 4.1 (bias in the last hidden layer,
        free output intercept); ``False`` is Theorem 4.1 without any bias.
    rtol, atol, feas_tol : float
        Tolerances of the decision (module docstring).

    Returns
    -------
    Certificate

    Raises
    ------
    DataError, ParameterError, UnsupportedError
        For bad arrays or options (``UnsupportedError`` for ``method="fast"`` where no fast path
        exists).
    InfeasibleError
        ``beta=None`` and ``Y`` is outside the range of ``X``.
    SolverError
        A solver returned no solution at all.
    """
    start = time.perf_counter()
    data = as_dataset(X, Y)
    family = check_family(family)
    depth = check_depth(depth, family)
    # A loss object (e.g. get_loss("huber", delta=0.5)) carries its parameters; a name takes
    # the defaults.
    loss_object = loss if isinstance(loss, Loss) else None
    loss = check_loss(loss.name if loss_object is not None else loss)
    beta = check_beta(beta)
    solver_name = check_solver(solver)
    for name, tol in (("rtol", rtol), ("atol", atol), ("feas_tol", feas_tol)):
        if isinstance(tol, bool) or not (isinstance(tol, int | float) and np.isfinite(tol)
                                         and tol >= 0):
            raise ParameterError(f"{name} must be a finite number >= 0; got {tol!r}.")
    if widths is not None and family == "linear":
        raise ParameterError("widths applies to family='deep-linear' and 'relu'; the two-layer "
                             "family returns the network of the rank of the optimum.")
    if widths is not None:
        widths = _check_widths(widths, depth)
    if not isinstance(bias, bool) or (not bias and family != "relu"):
        raise ParameterError("bias=False (Theorem 4.1 without biases) applies to family='relu' "
                             "only; bias must be True or False.")
    from cvxdual.fast_certificate import certify_fast, resolve_method

    if resolve_method(method, family, loss) == "fast":
        certificate = certify_fast(data, family, depth, beta, widths, rtol=rtol, atol=atol,
                                   feas_tol=feas_tol)[0]
        certificate.timings["total"] = time.perf_counter() - start
        return certificate
    if loss != "squared":
        from cvxdual.loss_certificate import certify_loss

        return certify_loss(data, data.targets, loss_object or loss, beta, family, depth,
                            solver_name, widths=widths, bias=bias, rtol=rtol, atol=atol,
                            feas_tol=feas_tol)
    # Solve in units where ||X||_2 = ||Y||_F = 1: solver tolerances are absolute as well as
    # relative, so data scaled by 1e6 or 1e-6 would otherwise stop early (or never).
    scale_x = float(np.linalg.norm(data.X, 2)) or 1.0
    scale_y = float(np.linalg.norm(data.Y)) or 1.0
    scaled = as_dataset(data.X / scale_x, data.targets / scale_y)
    growth = (scale_y / scale_x) ** (1.0 / depth)          # each layer's weights scale by this
    scaled_beta = None if beta is None else beta * growth ** 2 / scale_y ** 2
    if family == "deep-linear":
        from cvxdual.deep_certificate import certify_deep_linear

        certificate = certify_deep_linear(scaled, depth, scaled_beta, solver_name, widths, rtol,
                                          atol, feas_tol)
    elif family == "relu":
        from cvxdual.relu_certificate import certify_relu

        certificate = certify_relu(scaled, depth, scaled_beta, solver_name, bias, widths, rtol,
                                   atol, feas_tol)
    else:
        certificate = _certify_two_layer_linear(scaled, scaled_beta, solver_name, rtol, atol,
                                                feas_tol)
    certificate = _unscale(certificate, data, beta, scale_x, scale_y, growth)
    certificate.timings["total"] = time.perf_counter() - start
    return certificate


def _unscale(certificate: Certificate, data: Dataset, beta: float | None, scale_x: float,
             scale_y: float, growth: float) -> Certificate:
    """Map a certificate computed on ``(X / scale_x, Y / scale_y)`` back to the user's units.

    Each layer's weights are multiplied by ``growth = (scale_y / scale_x)^{1/L}`` (the network
    then maps ``X`` to ``scale_y`` times the scaled outputs); objectives (2) scale by
    ``growth^2`` and objectives (1) by ``scale_y^2`` (with ``β`` mapped accordingly). The
    training value is recomputed from the rescaled weights on the original data; the decision
    (``certified``, ``reasons``, ``checks``) is the one made in the scaled units, where the
    tolerances are meaningful.
    """
    import dataclasses

    factor = growth ** 2 if beta is None else scale_y ** 2
    # On X = scale_x X' the pre-activations of layer l scale by scale_x growth^l, so its bias
    # does too; the output (and intercept) scales by scale_x growth^L = scale_y.
    biases = [None if b is None else b * scale_x * growth ** (index + 1)
              for index, b in enumerate(certificate.network.biases)]
    network = Network([W * growth for W in certificate.network.weights], biases=biases,
                      intercept=np.asarray(certificate.network.intercept) * scale_y,
                      activation=certificate.network.activation)
    training_value = network.objective(data.X, data.targets, beta)
    dual_value = certificate.dual_value * factor
    scale = max(abs(training_value), abs(dual_value))
    gap = training_value - dual_value
    checks = dict(certificate.checks)
    checks["scale_x"] = scale_x
    checks["scale_y"] = scale_y
    return dataclasses.replace(
        certificate, beta=beta, training_value=training_value,
        primal_value=certificate.primal_value * factor, dual_value=dual_value, gap=gap,
        rel_gap=gap / scale if scale > 0 else 0.0, network=network,
        closed_form=None if certificate.closed_form is None else certificate.closed_form * factor,
        checks=checks, timings=dict(certificate.timings),
        iterations=tuple({**step, "upper": step["upper"] * factor,
                          "lower": None if step["lower"] is None else step["lower"] * factor}
                         for step in certificate.iterations))


def _certify_two_layer_linear(data: Dataset, beta: float | None, solver: str, rtol: float,
                              atol: float, feas_tol: float) -> Certificate:
    if beta is None:
        data.require_interpolable()
        primal_program = linear.min_norm_primal(data)
        dual_program = linear.min_norm_dual(data)
    else:
        primal_program = linear.regularized_primal(data, beta)
        dual_program = linear.regularized_dual(data, beta)
    primal = solve(primal_program, solver)
    dual = solve(dual_program, solver)

    started = time.perf_counter()
    lam = dual.variables["lam"].reshape(data.n, data.k)
    V = primal.variables["v"].reshape(data.d, data.k)
    network, source, points, candidates = _best_network(data, lam, V, beta, feas_tol)
    extract_seconds = time.perf_counter() - started

    if beta is None:
        closed_form = two_layer_min_norm_value(data)
    else:
        closed_form = two_layer_regularized_value(data, beta)

    # Lower bound: scale the dual point into exact feasibility (weak duality then holds exactly).
    bound = 1.0 if beta is None else beta
    if beta is None:
        # Directions orthogonal to range(X) are unconstrained by X^T λ and only meet the part of
        # Y outside the range (zero up to RANGE_TOL): drop them so they cannot inflate the bound.
        lam = data.svd.U @ (data.svd.U.T @ lam)
    oracle = linear_oracle(data.X, lam)
    scale = min(1.0, bound / oracle) if oracle > 0 else 1.0
    lam_feasible = scale * lam
    dual_objective = float(np.sum(lam_feasible * data.Y))
    if beta is not None:
        dual_objective -= 0.5 * float(np.sum(lam_feasible ** 2))
    dual_value = 2.0 * dual_objective

    nuclear = float(np.linalg.svd(V, compute_uv=False).sum())
    primal_residual = data.X @ V - data.Y
    if beta is None:
        primal_value = 2.0 * nuclear
    else:
        primal_value = float(np.sum(primal_residual ** 2)) + 2.0 * beta * nuclear

    training_value = network.objective(data.X, data.targets, beta)
    y_scale = max(float(np.linalg.norm(data.Y)), 1.0)
    checks: dict[str, float] = {
        "dual_infeasibility": max(0.0, oracle / bound - 1.0),
        "dual_scale": scale,
        "extreme_points": float(points.neurons.shape[1]),
        "oracle_max": points.max_value,
        "solver_primal_value": primal.training_value,
        "solver_dual_value": dual.training_value,
        **candidates,
    }
    if network.widths[0] > 0:
        ratios = np.linalg.norm(lam.T @ (data.X @ network.neurons), axis=0) / bound
        checks["min_extreme_point_ratio"] = float(ratios.min())
    reasons = status_reasons(primal.status, dual.status)
    if beta is None:
        network_residual = network.interpolation_residual(data.X, data.targets)
        primal_feasibility = float(np.linalg.norm(primal_residual)) / y_scale
        checks["network_residual"] = network_residual
        checks["primal_residual"] = primal_feasibility
        if network_residual > feas_tol:
            reasons.append(f"extracted network misses f(X) = Y by {network_residual:.2e} "
                           f"(relative) > feas_tol {feas_tol:.0e}")
        if primal_feasibility > feas_tol:
            reasons.append(f"convex primal solution misses X V = Y by {primal_feasibility:.2e} "
                           f"(relative) > feas_tol {feas_tol:.0e}")
    gap, rel_gap = bound_gap(training_value, dual_value, rtol, atol, reasons,
                             agree={"convex primal value": primal_value,
                                    "closed form": closed_form})

    return Certificate(
        family="linear",
        problem="minimum-norm (2)" if beta is None else "regularized (1)",
        beta=beta, depth=2, loss="squared", vector_output=data.vector_output,
        shape=(data.n, data.d, data.k),
        training_value=training_value, primal_value=primal_value, dual_value=dual_value,
        gap=gap, rel_gap=rel_gap, certified=not reasons, reasons=tuple(reasons),
        network=network, network_source=source, neurons=network.neurons,
        closed_form=closed_form,
        primal_status=primal.status, dual_status=dual.status, solver=solver,
        references={"primal": f"{primal_program.name}, {primal_program.reference}",
                    "dual": f"{dual_program.name}, {dual_program.reference}"},
        bounds={"lower": "dual objective at the solver's dual point scaled into exact "
                         "feasibility (exact extreme-point oracle)",
                "upper": "objective of the extracted network, recomputed from its weights"},
        timings={"primal": primal.seconds, "dual": dual.seconds, "extract": extract_seconds},
        checks=checks,
        tolerances={"rtol": rtol, "atol": atol, "feas_tol": feas_tol},
    )


def _check_widths(widths: object, depth: int) -> tuple[int, ...]:
    try:
        values = tuple(widths)  # type: ignore[arg-type]
    except TypeError:
        raise ParameterError(f"widths must be a sequence of {depth - 1} positive integers; got "
                             f"{widths!r}.") from None
    if len(values) != depth - 1 or not all(
            isinstance(m, int | np.integer) and not isinstance(m, bool) and m > 0
            for m in values):
        raise ParameterError(f"widths needs one positive integer per hidden layer ({depth - 1} "
                             f"for depth {depth}); got {widths!r}.")
    return tuple(int(m) for m in values)


def status_reasons(primal_status: str, dual_status: str) -> list[str]:
    """A reason for each solver status other than ``optimal``."""
    return [f"{side} solver status is {status!r}, not 'optimal'"
            for side, status in (("primal", primal_status), ("dual", dual_status))
            if status != "optimal"]


def bound_gap(upper: float, lower: float, rtol: float, atol: float, reasons: list[str],
              agree: dict[str, float | None] | None = None) -> tuple[float, float]:
    """Compare the bounds and append to ``reasons`` every failed check.

    The gap must be at most ``rtol * max(|upper|, |lower|) + atol``; a lower bound above the
    upper bound by more than that means numerical trouble; each value in ``agree`` (ignored when
    None) must match ``upper`` to the same tolerance.

    Returns
    -------
    gap, rel_gap : float
    """
    scale = max(abs(upper), abs(lower))
    allowed = rtol * scale + atol
    gap = upper - lower
    rel_gap = gap / scale if scale > 0 else 0.0
    if gap > allowed:
        reasons.append(f"gap {gap:.3e} between the bounds (relative {rel_gap:.2e}) exceeds "
                       f"rtol {rtol:.0e}")
    if gap < -allowed:
        reasons.append(f"lower bound {lower:.10g} exceeds the network's objective {upper:.10g}: "
                       f"numerical trouble")
    for name, value in (agree or {}).items():
        if value is not None and abs(value - upper) > allowed:
            reasons.append(f"{name} {value:.10g} and extracted network {upper:.10g} disagree")
    return gap, rel_gap


def _best_network(data: Dataset, lam: np.ndarray, V: np.ndarray, beta: float | None,
                  feas_tol: float) -> tuple[Network, str, ExtremePoints, dict[str, float]]:
    """Pick the better of the network read from the dual and the one read from the primal.

    Both are balanced two-layer networks; each is scored by its own recomputed objective, and a
    minimum-norm candidate that misses ``f(X) = Y`` by more than ``feas_tol`` is discarded
    unless both do.
    """
    from_dual, points = network_from_dual(data, lam, beta)
    svd = data.svd
    # Components of V in the null space of X add norm and change nothing: drop them.
    from_primal = two_layer_network(svd.Vt.T @ (svd.Vt @ V), data.vector_output,
                                    negligible_singular_value(data))
    details: dict[str, float] = {}
    net, name = best_network(data, {"dual": from_dual, "primal": from_primal}, beta, feas_tol,
                             details)
    return net, name, points, details


def best_network(data: Dataset, candidates: dict[str, Network], beta: float | None,
                 feas_tol: float, checks: dict[str, float]) -> tuple[Network, str]:
    """The candidate with the smallest objective recomputed from its weights; for minimum-norm
    problems, among those interpolating within ``feas_tol`` (unless none does). Records each
    candidate's value (and residual) in ``checks``."""
    scored = []
    for name, network in candidates.items():
        value = network.objective(data.X, data.targets, beta)
        residual = 0.0 if beta is not None else network.interpolation_residual(data.X,
                                                                                data.targets)
        checks[f"{name}_network_value"] = value
        if beta is None:
            checks[f"{name}_network_residual"] = residual
        scored.append((residual > feas_tol, value, name, network))
    _, _, name, network = min(scored, key=lambda item: (item[0], item[1]))
    return network, name
