r"""Two-layer linear networks trained with a general convex loss (Theorem A.1, supplement).

The training problem is the regularized problem (1) with the squared error replaced by a convex
loss ``ℓ`` (:mod:`cvxdual.losses`):

.. math:: \min_{W_1, W_2} ℓ(X W_1 W_2, Y) + β (||W_1||_F^2 + ||W_2||_F^2).

Balancing each neuron (Lemmas 2.1 and 2.3) turns the regularizer into ``2 Σ_j ||w_{1j}||
||w_{2j}||``, so with unit-norm neurons this is (29) with weight ``2β``; over the end-to-end
matrix ``V = W_1 W_2`` it is the convex program

.. math:: P^* = \min_V ℓ(X V, Y) + 2β ||V||_*

(``||v||_2`` for a scalar output). Its value *is* the training value (1): the factor 2 of the
regularizer is the ``min ||W1||_F^2 + ||W2||_F^2 = 2 ||V||_*`` of Lemma 2.1, not a factor on
the value (for the squared loss this is ``2 ×`` the value of (8)). Its Fenchel dual
(Theorem A.1 with weight ``2β``, the extreme-point oracle made exact as in Corollary 2.1) is

.. math:: D^* = \max_λ -ℓ^*(-λ) \ \text{s.t.}\ ||X^T λ||_2 \le 2β

(``σ_max(X^T Λ) <= 2β`` for vector outputs), with ``λ* = -∇ℓ(X V*)`` at the optimum: the
sign convention of :mod:`cvxdual.losses` (Theorem A.1 as printed writes ``-ℓ*(λ)`` with
``λ = +∇ℓ``; the constraint is symmetric, so the value is the same). For the squared loss
``λ = 2 (Y - X V)``, twice the dual variable of (8). Strong duality holds (Slater: ``λ = 0`` is
strictly feasible), so ``P* = D*``, and the optimal neurons are the extreme points
``X^T λ* / ||X^T λ*||`` (the top right singular vectors of ``Λ*^T X`` reaching ``2β``) whatever
the loss.

For the two-layer ReLU network on rank-one data (§4, Proposition 4.1) the same holds over the
exact spline dictionary: :func:`spline_primal` and :func:`spline_dual`.

Builders only build: they take a validated :class:`~cvxdual.data.Dataset` and a loss, check the
labels, keep ``X`` a constant and make the targets and ``β`` parameters (DPP).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from cvxdual.data import Dataset
from cvxdual.errors import ParameterError, UnsupportedError
from cvxdual.families.linear import (
    _beta_parameter,
    _dual_norm_of_operator,
    _form,
    _operator_norm,
    _targets_parameter,
    _variable,
)
from cvxdual.families.relu import RankOneInputs, spline_dictionary
from cvxdual.losses import Loss, get_loss
from cvxdual.program import Program
from cvxdual.validation import check_beta

__all__ = ["regularized_primal", "regularized_dual", "spline_primal", "spline_dual",
           "check_loss_problem"]


def check_loss_problem(data: Dataset, loss: str | Loss, beta: object) -> tuple[Loss, float]:
    """Resolve ``loss``, check the labels against it and that ``beta > 0``.

    Returns
    -------
    loss : Loss
    beta : float

    Raises
    ------
    ParameterError
        Unknown loss, or ``beta=None`` (a loss enters only the regularized problem (1)).
    DataError
        Labels that do not fit the loss (the message names the fix).
    """
    chosen = get_loss(loss)
    value = check_beta(beta)
    if value is None:
        raise ParameterError(f"the {chosen.name} loss enters the regularized problem (1) only "
                             f"(minimum-norm interpolation (2) has no loss): pass beta > 0.")
    chosen.check_labels(data.targets)
    return chosen, value


def regularized_primal(data: Dataset, loss: str | Loss, beta: float) -> Program:
    """Convex form of (1) with loss ``ℓ``: ``min_V ℓ(X V, Y) + 2β ||V||_*`` (Theorem A.1).

    Scalar output: ``V = v`` of shape ``(d,)`` and ``||v||_2``; vector output: ``(d, k)`` and
    the nuclear norm. The optimal value equals the training value (1) (``to_training`` is the
    identity). Variable ``v``; parameters ``y`` and ``beta``.
    """
    chosen, beta = check_loss_problem(data, loss, beta)
    y = _targets_parameter(data)
    b = _beta_parameter(beta)
    v = _variable(data.d, data, "v")
    norm, cones = _dual_norm_of_operator(v, data)
    objective = chosen.cvx_value(data.X @ v, y) + 2.0 * b * norm
    problem = cp.Problem(cp.Minimize(objective), cones)
    return Program(
        problem=problem, variables={"v": v}, constraints={}, parameters={"y": y, "beta": b},
        name="loss_regularized_primal",
        reference=_form(data, f"(29) with the {chosen} loss, Theorem A.1 (convex form of (1))",
                        f"(29) with the {chosen} loss, vector output (Remark A.1)"),
        kind="primal", relation="exact", to_training=lambda value: value, data=data,
        note="value = training value (1) = min ℓ(XV, Y) + 2β||V||_* (Lemma 2.1 balancing).",
    )


def regularized_dual(data: Dataset, loss: str | Loss, beta: float) -> Program:
    """Dual of :func:`regularized_primal`: ``max -ℓ*(-λ) s.t. ||X^T λ||_2 <= 2β``
    (``σ_max(X^T Λ) <= 2β`` for vector outputs), Theorem A.1.

    ``λ = -∇ℓ(X V*)`` at the optimum (sign convention of :mod:`cvxdual.losses`). The value
    equals the training value (1). Variable ``lam`` of shape ``(n,)`` or ``(n, k)``; the
    conjugate's domain constraints are named ``"domain"`` when the loss has any.
    """
    chosen, beta = check_loss_problem(data, loss, beta)
    y = _targets_parameter(data)
    b = _beta_parameter(beta)
    lam = _variable(data.n, data, "lam")
    feasible = _operator_norm(data.X.T @ lam, data) <= 2.0 * b
    objective, domain = chosen.cvx_neg_conjugate(-lam, y)
    problem = cp.Problem(cp.Maximize(objective), [feasible, *domain])
    constraints: dict[str, cp.Constraint] = {"dual_feasibility": feasible}
    constraints.update({f"domain_{i}": c for i, c in enumerate(domain)})
    return Program(
        problem=problem, variables={"lam": lam}, constraints=constraints,
        parameters={"y": y, "beta": b}, name="loss_regularized_dual",
        reference=_form(data, f"dual of (29) with the {chosen} loss, Theorem A.1",
                        f"dual of (29) with the {chosen} loss, vector output (Remark A.1)"),
        kind="dual", relation="exact", to_training=lambda value: value, data=data,
        note="objective -ℓ*(-λ) (λ = -∇ℓ at the optimum); bound 2β from Lemma 2.1 balancing.",
    )


# --- two-layer ReLU networks on rank-one data (§4 with Theorem A.1) -----------------------------

def spline_primal(inputs: RankOneInputs, loss: str | Loss, beta: float,
                  columns: np.ndarray | None = None) -> Program:
    """Convex form of (1) with loss ``ℓ`` for the two-layer ReLU network of Proposition 4.1 on
    rank-one data ``X = c a0^T`` (bias in the hidden layer, free output intercept):
    ``min_{α, η} ℓ(D α + η 1, y) + (2β / ||a0||) ||α||_1`` over the exact dictionary
    ``D = [(c - c_j)_+, (c_j - c)_+]`` (:func:`cvxdual.families.relu.spline_dictionary`).

    The dual constraint (below) does not involve the loss, so its maximizers over the biases
    are the data points for every loss (Corollary 4.1 with Theorem A.1, Remark A.1) and the
    dictionary is exact. The value equals the training value (1) (balanced neurons,
    Lemma 2.1). Variables ``alpha`` and ``intercept``.

    Parameters
    ----------
    inputs : RankOneInputs
        From :func:`cvxdual.families.relu.rank_one_inputs` with ``depth=2``.
    loss : str or Loss
    beta : float
    columns : ndarray of int, optional
        Restrict the dictionary to these columns (an upper bound unless they hold the support
        of an optimum, e.g. the extreme points of a dual solution).
    """
    chosen, beta = check_loss_problem(inputs.data, loss, beta)
    _require_two_layer(inputs)
    D = spline_dictionary(inputs.c)
    if columns is not None:
        D = D[:, np.asarray(columns, dtype=int)]
    y = _targets_parameter(inputs.data)
    b = _beta_parameter(beta)
    alpha = cp.Variable(D.shape[1], name="alpha")
    eta = cp.Variable(name="intercept")
    weight = 2.0 / inputs.gain
    objective = chosen.cvx_value(D @ alpha + eta, y) + weight * b * cp.norm(alpha, 1)
    return Program(
        problem=cp.Problem(cp.Minimize(objective)), variables={"alpha": alpha, "intercept": eta},
        constraints={}, parameters={"y": y, "beta": b}, name="loss_spline_primal",
        reference=f"(37) at L = 2 with the {chosen} loss: Proposition 4.1, Corollary 4.1, "
                  f"Theorem A.1",
        kind="primal", relation="exact" if columns is None else "upper",
        to_training=lambda value: value, data=inputs.data,
        note="value = training value (1) = min ℓ(Dα + η, y) + 2β||α||_1 / ||a0||.")


def spline_dual(inputs: RankOneInputs, loss: str | Loss, beta: float) -> Program:
    """Dual of :func:`spline_primal`: ``max -ℓ*(-λ) s.t. 1^T λ = 0,
    |D^T λ| <= 2β / ||a0||`` (the finite form of (39) at ``L = 2`` with Theorem A.1; ``λ^T 1 = 0``
    from the free intercept, ``λ = -∇ℓ`` at the optimum). Variable ``lam`` of shape ``(n,)``.
    """
    chosen, beta = check_loss_problem(inputs.data, loss, beta)
    _require_two_layer(inputs)
    D = spline_dictionary(inputs.c)
    y = _targets_parameter(inputs.data)
    b = _beta_parameter(beta)
    lam = cp.Variable(inputs.data.n, name="lam")
    feasible = cp.abs(D.T @ lam) <= (2.0 / inputs.gain) * b
    centered = cp.sum(lam) == 0
    objective, domain = chosen.cvx_neg_conjugate(-lam, y)
    constraints: dict[str, cp.Constraint] = {"neuron_constraints": feasible,
                                             "intercept": centered}
    constraints.update({f"domain_{i}": c for i, c in enumerate(domain)})
    return Program(
        problem=cp.Problem(cp.Maximize(objective), [feasible, centered, *domain]),
        variables={"lam": lam}, constraints=constraints, parameters={"y": y, "beta": b},
        name="loss_spline_dual",
        reference=f"(39) at L = 2 with the {chosen} loss and the exact data-point dictionary "
                  f"(Corollary 4.1, Theorem A.1)",
        kind="dual", relation="exact", to_training=lambda value: value, data=inputs.data,
        note="λ^T 1 = 0 comes from the free output intercept.")


def _require_two_layer(inputs: RankOneInputs) -> None:
    if inputs.depth != 2:
        raise UnsupportedError(f"losses other than 'squared' are available for the ReLU family "
                               f"at depth 2 only; got depth {inputs.depth}.")
