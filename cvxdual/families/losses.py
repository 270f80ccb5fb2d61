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

Builders only build: they take a validated :class:`~cvxdual.data.Dataset` and a loss, check the
labels, keep ``X`` a constant and make the targets and ``β`` parameters (DPP).
"""

from __future__ import annotations

import cvxpy as cp

from cvxdual.data import Dataset
from cvxdual.errors import ParameterError
from cvxdual.families.linear import (
    _beta_parameter,
    _dual_norm_of_operator,
    _form,
    _operator_norm,
    _targets_parameter,
    _variable,
)
from cvxdual.losses import Loss, get_loss
from cvxdual.program import Program
from cvxdual.validation import check_beta

__all__ = ["regularized_primal", "regularized_dual", "check_loss_problem"]


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
