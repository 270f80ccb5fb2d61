r"""Deep linear networks (paper §3): the convex programs at a fixed hidden-layer norm ``t``.

The network is :math:`f(X) = X W_1 \cdots W_L`. Lemma 3.1 (stated exactly: the paper drops a
factor 2) writes the minimum-norm problem (15) as

``min 2||w_L||_1 + Σ_{l<=L-2} t_l^2  s.t.  f(X) = y,  ||w_{L-1,j}||_2 <= 1,  ||W_l||_F <= t_l``

and Proposition 3.1 makes all ``t_l`` equal to one ``t``. At a fixed ``t`` every path through
the first ``L-2`` layers has gain at most ``γ = t^{L-2}`` (the extreme points (21)), so the
multi-path relaxation (19)/(25) is the two-layer program of §2 with the dual bound scaled by
``γ^{-1}``:

* minimum norm, at ``t``: ``2 ||V||_* / γ + (L-2) t^2`` with ``XV = Y``; dual (16)/(17)/(23):
  ``max ⟨Λ, Y⟩ s.t. σ_max(X^T Λ) <= γ^{-1}``; SVD form (20);
* regularized, at ``t`` (Corollary 3.2, §3.3.2): ``||XV - Y||^2 + 2 (β/γ) ||V||_* + β(L-2)t^2``,
  i.e. the two-layer program (8) with ``β_eff = β γ^{-1}`` (the set ``||Σ^T u|| <= β γ^{-1}`` of
  §3.2).

Each builder therefore wraps the two-layer builder with ``β_eff`` and maps its value to the
depth-``L`` training objective. ``t`` is a ``cp.Parameter`` (``Program.set("t", ...)`` updates
the derived ``effective_beta``). For scalar outputs the minimum over ``t`` is the global optimum
(Theorem 3.1, Corollary 3.2): at ``t* = ||v*||^{1/L}`` the programs are exact. For vector outputs
one ``t`` shared by all directions is only a relaxation: ``min_t`` of the multi-path value is
``L ||X^+ Y||_*^{2/L} <= L Σ σ_i(X^+ Y)^{2/L}``, a lower bound, strict when the rank exceeds one.
"""

from __future__ import annotations

import dataclasses

import cvxpy as cp
import numpy as np

from cvxdual.data import Dataset
from cvxdual.errors import ParameterError
from cvxdual.families import linear
from cvxdual.program import Program
from cvxdual.validation import check_beta

__all__ = [
    "optimal_layer_norm",
    "min_norm_primal",
    "min_norm_dual",
    "min_norm_dual_svd",
    "regularized_primal",
    "regularized_dual",
    "FORMS",
]


def optimal_layer_norm(data: Dataset, depth: int) -> float:
    """The common hidden-layer norm ``t*`` minimizing the minimum-norm objective over ``t``:
    ``t*^L = ||X^+ Y||_*`` (``||X^+ y||_2`` for scalar outputs), from
    ``d/dt [2a t^{-(L-2)} + (L-2) t^2] = 0`` with ``a = ||X^+ Y||_*``."""
    a = float(np.linalg.svd(data.min_norm_solution, compute_uv=False).sum())
    return a ** (1.0 / depth)


def _check_depth(depth: object) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 2:
        raise ParameterError(f"depth must be an integer >= 2 (number of weight layers); got "
                             f"{depth!r}.")
    return int(depth)


def _check_t(t: object) -> float:
    value = float(t) if isinstance(t, int | float | np.floating) and not isinstance(t, bool) \
        else float("nan")
    if not np.isfinite(value) or value <= 0:
        raise ParameterError(f"the layer norm t must be a finite number > 0; got {t!r}.")
    return value


def _deepen(base: Program, data: Dataset, depth: int, t: float, beta: float | None,
            name: str, reference: str, scalar_note: str) -> Program:
    """Wrap a two-layer program solved with ``β_eff = β t^{-(L-2)}`` (or with the minimum-norm
    bound scaled by ``γ``) as the depth-``L`` program at layer norm ``t``."""
    t_param = cp.Parameter(nonneg=True, name="t", value=t)
    parameters = {key: value for key, value in base.parameters.items() if key != "beta"}
    parameters["t"] = t_param
    hidden = depth - 2
    relation = "lower" if data.vector_output else "upper"
    if beta is None:
        def to_training(value: float) -> float:
            tt = float(t_param.value)
            return 2.0 * value / tt ** hidden + hidden * tt * tt

        refresh = None
    else:
        effective = base.parameters["beta"]
        beta_param = cp.Parameter(nonneg=True, name="beta", value=beta)
        parameters["beta"] = beta_param
        parameters["effective_beta"] = effective

        def refresh() -> None:
            effective.value = float(beta_param.value) / float(t_param.value) ** hidden

        def to_training(value: float) -> float:
            tt = float(t_param.value)
            return 2.0 * value + float(beta_param.value) * hidden * tt * tt

        refresh()
    note = (scalar_note if not data.vector_output else
            "one layer norm t for all directions: a relaxation (lower bound) for vector outputs")
    return dataclasses.replace(base, parameters=parameters, name=name, reference=reference,
                               relation=relation, to_training=to_training, refresh=refresh,
                               note=note)


def _layer_norm(data: Dataset, depth: int, t: float | None) -> float:
    if t is None:
        t = optimal_layer_norm(data, depth)
        if t == 0.0:
            t = 1.0   # Y = 0: every t gives the same (zero) network
    return _check_t(t)


def min_norm_primal(data: Dataset, depth: int, t: float | None = None) -> Program:
    """The multi-path minimum-norm problem (19) (scalar) / (25) (vector) at layer norm ``t``.

    Convex form ``min ||V||_* s.t. XV = Y`` (``||v||_2`` for scalar outputs); training value
    (Lemma 3.1) ``2 ||V||_* / t^{L-2} + (L-2) t^2``. ``t`` defaults to :func:`optimal_layer_norm`.
    Exact for scalar outputs at that ``t`` (Theorem 3.1); a lower bound for vector outputs.
    """
    depth = _check_depth(depth)
    t = _layer_norm(data, depth, t)
    return _deepen(linear.min_norm_primal(data), data, depth, t, None, "deep_min_norm_primal",
                   "(19), Lemma 3.1, Theorem 3.1" if not data.vector_output else
                   "(25), Lemma 3.2, Theorem 3.2",
                   "upper bound at any t; the global optimum at t = t*")


def min_norm_dual(data: Dataset, depth: int, t: float | None = None) -> Program:
    """The dual (16)/(17) (scalar) / (23) (vector) at layer norm ``t``, with the exact oracle
    ``max_θ |λ^T X W_1 ⋯ w_{L-1}| = t^{L-2} ||X^T λ||``.

    Built as the two-layer dual (5)/(12) in ``λ_2 = γ λ``; the variable ``lam`` is ``λ_2``.
    Training value ``2 ⟨λ_2, Y⟩ / γ + (L-2) t^2``.
    """
    depth = _check_depth(depth)
    t = _layer_norm(data, depth, t)
    return _deepen(linear.min_norm_dual(data), data, depth, t, None, "deep_min_norm_dual",
                   "(16)/(17), Theorem 3.1" if not data.vector_output else "(23), Theorem 3.2",
                   "lam is γ λ for the paper's λ (γ = t^{L-2})")


def min_norm_dual_svd(data: Dataset, depth: int, t: float | None = None) -> Program:
    """The dual in SVD coordinates, (20), at layer norm ``t`` (variable ``lam_svd`` is
    ``γ U_r^T λ``)."""
    depth = _check_depth(depth)
    t = _layer_norm(data, depth, t)
    return _deepen(linear.min_norm_dual_svd(data), data, depth, t, None,
                   "deep_min_norm_dual_svd", "(20), Theorem 3.1",
                   "lam_svd is γ U_r^T λ for the paper's λ (γ = t^{L-2})")


def regularized_primal(data: Dataset, depth: int, beta: float,
                       t: float | None = None) -> Program:
    """The regularized deep problem at layer norm ``t`` (Corollary 3.2, §3.3.2).

    Two-layer form (8) with ``β_eff = β t^{-(L-2)}``; training value
    ``2 × value + β (L-2) t^2``. ``t`` defaults to :func:`optimal_layer_norm` of the
    minimum-norm problem; the global optimum uses ``t* = ||v*||^{1/L}`` of the regularized
    solution (``cvxdual.fast.deep_linear_regularized_scalar``).
    """
    depth = _check_depth(depth)
    value = check_beta(beta)
    if value is None:
        raise ParameterError("a regularized form needs beta > 0.")
    t = _layer_norm(data, depth, t)
    return _deepen(linear.regularized_primal(data, value), data, depth, t, value,
                   "deep_regularized_primal", "Corollary 3.2" if not data.vector_output else
                   "§3.3.2", "upper bound at any t; the global optimum at t = ||v*||^{1/L}")


def regularized_dual(data: Dataset, depth: int, beta: float, t: float | None = None) -> Program:
    """The dual of the regularized deep problem at layer norm ``t``: ``max ⟨Λ, Y⟩ - ½||Λ||^2
    s.t. σ_max(X^T Λ) <= β t^{-(L-2)}`` (§3.2, §3.3.2). Training value
    ``2 × value + β (L-2) t^2``: a lower bound on the problem at this ``t`` (weak duality)."""
    depth = _check_depth(depth)
    value = check_beta(beta)
    if value is None:
        raise ParameterError("a regularized form needs beta > 0.")
    t = _layer_norm(data, depth, t)
    return _deepen(linear.regularized_dual(data, value), data, depth, t, value,
                   "deep_regularized_dual", "dual of Corollary 3.2" if not data.vector_output
                   else "dual of §3.3.2", "bounds the problem at this t, not over all t")


#: Builders by name, with whether they take ``beta``.
FORMS = {
    "min_norm_primal": (min_norm_primal, False),
    "min_norm_dual": (min_norm_dual, False),
    "min_norm_dual_svd": (min_norm_dual_svd, False),
    "regularized_primal": (regularized_primal, True),
    "regularized_dual": (regularized_dual, True),
}
