r"""Two-layer linear networks (paper §2): convex primal and dual programs.

The network is :math:`f(X) = X W_1 W_2` with ``W1`` of shape ``(d, m)`` and ``W2`` of shape
``(m,)`` (scalar output, targets ``y`` of shape ``(n,)``) or ``(m, k)`` (vector output, targets
``Y`` of shape ``(n, k)``). Two training problems:

* minimum norm (2)/(3)/(10): ``min ||W1||_F^2 + ||W2||_F^2  s.t.  X W1 W2 = Y``;
* regularized (1): ``min ||X W1 W2 - Y||_F^2 + β (||W1||_F^2 + ||W2||_F^2)``.

By Lemmas 2.1 and 2.3 (unit-norm neurons, balanced layers) both collapse to convex programs in the
end-to-end matrix ``V = W1 W2``:

* minimum norm: ``P* = 2 min ||V||_*  s.t. XV = Y`` (for a scalar output ``||v||_2``), whose value
  is ``2 ||X^+ Y||_*``;
* regularized: value of (1) ``= 2 × value of (8) = min ||XV - Y||_F^2 + 2β||V||_*``.

The duals (5)/(6) and (12) are semi-infinite in the neuron ``w1``, but the extreme-point oracle is
exact for linear neurons: ``max_{||w||<=1} |λ^T X w| = ||X^T λ||_2`` (Corollary 2.1) and
``max_{||w||<=1} ||Λ^T X w||_2 = σ_max(X^T Λ)``, so the duals are ordinary conic programs.

Every builder handles scalar and vector outputs (dispatching on ``data.vector_output``), takes a
validated :class:`~cvxdual.data.Dataset`, keeps ``X`` a constant and makes the targets and ``β``
``cp.Parameter``\ s, so that a β path re-solves without rebuilding (all programs are DPP).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from cvxdual.data import RANGE_TOL, Dataset, range_residual
from cvxdual.errors import InfeasibleError
from cvxdual.program import Program
from cvxdual.validation import check_beta, check_neurons

__all__ = [
    "min_norm_primal",
    "min_norm_dual",
    "min_norm_dual_svd",
    "regularized_primal",
    "regularized_dual",
    "regularized_dual_lemma22",
    "regularized_dual_svd",
    "dictionary_primal",
    "dictionary_dual",
    "FORMS",
]


# --- shared pieces -----------------------------------------------------------------------------

def _targets_parameter(data: Dataset, name: str = "y") -> cp.Parameter:
    """The targets as a parameter, in the user's shape: ``(n,)`` scalar or ``(n, k)`` vector."""
    values = data.targets
    return cp.Parameter(values.shape, name=name, value=np.array(values))


def _beta_parameter(beta: object) -> cp.Parameter:
    value = check_beta(beta)
    if value is None:
        from cvxdual.errors import ParameterError

        raise ParameterError("a regularized form needs beta > 0; for beta=None build the "
                             "minimum-norm form instead.")
    return cp.Parameter(nonneg=True, name="beta", value=value)


def _variable(rows: int, data: Dataset, name: str) -> cp.Variable:
    """A variable with one column per output: ``(rows,)`` for scalar outputs."""
    return cp.Variable((rows, data.k) if data.vector_output else rows, name=name)


def _operator_norm(expr: cp.Expression, data: Dataset) -> cp.Expression:
    """``||·||_2`` of a vector (scalar outputs) or ``σ_max`` of a matrix (vector outputs)."""
    return cp.sigma_max(expr) if data.vector_output else cp.norm(expr, 2)


def _dual_norm_of_operator(v: cp.Variable, data: Dataset
                           ) -> tuple[cp.Expression, list[cp.Constraint]]:
    """``||v||_2`` for a vector, ``||V||_*`` for a ``(d, k)`` matrix (dual of
    :func:`_operator_norm`), as an expression plus the constraints that define it.

    The nuclear norm uses its variational form ``||V||_* = min ½ (tr S + Σ_i t_i)`` over
    ``[[S, v_i], [v_i^T, t_i]] ⪰ 0`` for each row ``v_i`` of ``V`` (``S`` is ``k × k``): ``d``
    small cones of size ``k + 1`` instead of ``cp.normNuc``'s single cone of size ``d + k``.
    Clarabel solves this form about ten times faster at ``d = 100, k = 5`` and, unlike
    ``cp.normNuc``, also when ``X V = Y`` pins ``V`` down (square ``X``), where the big cone makes
    it stop with a numerical error.
    """
    if not data.vector_output:
        return cp.norm(v, 2), []
    d, k = v.shape
    S = cp.Variable((k, k), symmetric=True, name="nuclear_S")
    t = cp.Variable(d, name="nuclear_t")
    cones = [
        cp.bmat([[S, v[i:i + 1, :].T], [v[i:i + 1, :], cp.reshape(t[i], (1, 1), order="C")]])
        >> 0
        for i in range(d)
    ]
    return 0.5 * (cp.trace(S) + cp.sum(t)), cones


def _inner(a: cp.Expression, b: cp.Expression) -> cp.Expression:
    """``trace(A^T B)`` for matrices, ``a^T b`` for vectors (DPP-safe: variable × parameter)."""
    return cp.sum(cp.multiply(a, b))


def _squared_norm(parameter: cp.Parameter) -> float:
    return float(np.sum(np.asarray(parameter.value) ** 2))


def _form(data: Dataset, scalar: str, vector: str) -> str:
    return vector if data.vector_output else scalar


def _require_reachable(data: Dataset, A: np.ndarray) -> None:
    """Raise unless the neurons' outputs ``A = X W1`` can interpolate ``Y`` (else the
    minimum-norm dictionary primal is infeasible and its dual unbounded, which interior-point
    solvers do not always detect)."""
    residual = range_residual(A, data.Y)
    if residual > RANGE_TOL:
        raise InfeasibleError(
            f"Y is not in the span of X @ neurons (relative residual {residual:.2e} > "
            f"{RANGE_TOL:.0e}), so no network with these {A.shape[1]} neurons interpolates it. "
            f"Add neurons (the extreme points of the dual, e.g. the directions of X^+ Y) or pass "
            f"beta > 0.")


# --- minimum-norm problem (2) ------------------------------------------------------------------

def min_norm_primal(data: Dataset) -> Program:
    """Convex infinite-width form of the minimum-norm problem.

    Scalar output: ``min ||v||_2 s.t. X v = y`` (the convex equivalent of (4); Theorem 2.2).
    Vector output: ``min ||V||_* s.t. X V = Y`` (the convex equivalent of (11); Theorem 2.4).
    Training value (3)/(10) ``= 2 ×`` optimal value.

    Variables ``v`` of shape ``(d,)`` or ``(d, k)``; constraint ``"interpolation"``, whose CVXPY
    dual value is ``-λ`` (minus the paper's dual variable).

    Raises
    ------
    InfeasibleError
        If ``Y`` is not in the range of ``X``.
    """
    data.require_interpolable()
    y = _targets_parameter(data)
    v = _variable(data.d, data, "v")
    interpolation = data.X @ v == y
    norm, cones = _dual_norm_of_operator(v, data)
    problem = cp.Problem(cp.Minimize(norm), [interpolation, *cones])
    return Program(
        problem=problem, variables={"v": v}, constraints={"interpolation": interpolation},
        parameters={"y": y}, name="min_norm_primal",
        reference=_form(data, "convex form of (4), Theorem 2.2", "convex form of (11), "
                        "Theorem 2.4"),
        kind="primal", relation="exact", to_training=lambda value: 2.0 * value, data=data,
        note="value = ||X^+ Y||_* ; training value (2) = 2 × value (Lemmas 2.1/2.3).",
    )


def min_norm_dual(data: Dataset) -> Program:
    """Dual of the minimum-norm problem with the exact extreme-point oracle.

    Scalar output, (5)/(6): ``max λ^T y s.t. ||X^T λ||_2 <= 1`` (Theorem 2.1).
    Vector output, (12): ``max trace(Λ^T Y) s.t. σ_max(X^T Λ) <= 1``.
    Training value ``= 2 ×`` optimal value. Variable ``lam`` of shape ``(n,)`` or ``(n, k)``.
    """
    y = _targets_parameter(data)
    lam = _variable(data.n, data, "lam")
    feasible = _operator_norm(data.X.T @ lam, data) <= 1
    problem = cp.Problem(cp.Maximize(_inner(lam, y)), [feasible])
    return Program(
        problem=problem, variables={"lam": lam}, constraints={"dual_feasibility": feasible},
        parameters={"y": y}, name="min_norm_dual",
        reference=_form(data, "(5)/(6), Theorem 2.1", "(12), Theorem 2.4"),
        kind="dual", relation="exact", to_training=lambda value: 2.0 * value, data=data,
        note="unbounded when Y is outside the range of X (the primal is then infeasible).",
    )


def min_norm_dual_svd(data: Dataset) -> Program:
    """The minimum-norm dual in SVD coordinates.

    Scalar output, (7): ``max λ~^T Σ w~* s.t. ||Σ^T λ~||_2 <= 1``; vector output, the bound (13):
    ``max trace(Λ~^T Σ W~*) s.t. σ_max(Σ Λ~) <= 1``, with ``λ~ = U_x^T λ`` and
    ``Σ w~* = U_x^T y``. The thin SVD (rank ``r``) is used: coordinates of ``λ~`` beyond the rank
    enter neither the objective nor the constraint. Variable ``lam_svd`` of shape ``(r,)`` or
    ``(r, k)``; parameter ``projected_y`` = ``U_r^T y``. Training value ``= 2 ×`` value.
    """
    svd = data.svd
    projected = cp.Parameter(
        (svd.rank, data.k) if data.vector_output else svd.rank, name="projected_y",
        value=data.as_user_shape(data.projected_targets).copy())
    lam = _variable(svd.rank, data, "lam_svd")
    sigma = np.diag(svd.s)
    feasible = _operator_norm(sigma @ lam, data) <= 1
    problem = cp.Problem(cp.Maximize(_inner(lam, projected)), [feasible])
    return Program(
        problem=problem, variables={"lam_svd": lam}, constraints={"dual_feasibility": feasible},
        parameters={"projected_y": projected}, name="min_norm_dual_svd",
        reference=_form(data, "(7), Theorem 2.1", "(13), Theorem 2.4"),
        kind="dual", relation="exact", to_training=lambda value: 2.0 * value, data=data,
        note="λ = U_r λ~ recovers the dual variable of (5)/(12) (on the range of X).",
    )


# --- regularized problem (1) -------------------------------------------------------------------

def regularized_primal(data: Dataset, beta: float) -> Program:
    """Convex form of the regularized problem.

    Scalar output, (8): ``min β ||v||_2 + ½ ||X v - y||_2^2`` (Theorem 2.3).
    Vector output (§2.3.2): ``min β ||V||_* + ½ ||X V - Y||_F^2``.
    Training value (1) ``= 2 ×`` optimal value. Variable ``v``; parameters ``y`` and ``beta``.
    """
    y = _targets_parameter(data)
    b = _beta_parameter(beta)
    v = _variable(data.d, data, "v")
    norm, cones = _dual_norm_of_operator(v, data)
    objective = b * norm + 0.5 * cp.sum_squares(data.X @ v - y)
    problem = cp.Problem(cp.Minimize(objective), cones)
    return Program(
        problem=problem, variables={"v": v}, constraints={}, parameters={"y": y, "beta": b},
        name="regularized_primal",
        reference=_form(data, "(8), Theorem 2.3", "regularized (11), §2.3.2"),
        kind="primal", relation="exact", to_training=lambda value: 2.0 * value, data=data,
        note="value of (1) = 2 × value of (8) = min ||XV - Y||^2 + 2β||V||_*.",
    )


def regularized_dual(data: Dataset, beta: float) -> Program:
    """Dual of the regularized problem with the exact extreme-point oracle.

    Scalar output (§2.2): ``max -½||λ - y||^2 + ½||y||^2 s.t. ||X^T λ||_2 <= β``; vector output
    (§2.3.2): ``max -½||Λ - Y||_F^2 + ½||Y||_F^2 s.t. σ_max(X^T Λ) <= β``. The objective is
    written in the equal form ``λ^T y - ½||λ||^2`` so that it is DPP in the parameter ``y``.
    At the optimum ``λ* = y - X v*`` (the residual of (8)). Training value ``= 2 ×`` value.
    """
    y = _targets_parameter(data)
    b = _beta_parameter(beta)
    lam = _variable(data.n, data, "lam")
    feasible = _operator_norm(data.X.T @ lam, data) <= b
    objective = _inner(lam, y) - 0.5 * cp.sum_squares(lam)
    problem = cp.Problem(cp.Maximize(objective), [feasible])
    return Program(
        problem=problem, variables={"lam": lam}, constraints={"dual_feasibility": feasible},
        parameters={"y": y, "beta": b}, name="regularized_dual",
        reference=_form(data, "dual of (8), Theorem 2.3", "dual of regularized (11), §2.3.2"),
        kind="dual", relation="exact", to_training=lambda value: 2.0 * value, data=data,
        note="λ^T y - ½||λ||^2 = -½||λ - y||^2 + ½||y||^2.",
    )


def regularized_dual_lemma22(data: Dataset, beta: float) -> Program:
    """The dual of (8) in the variables of Lemma 2.2.

    ``max -½ ||X s - X w*||^2 s.t. ||X^T X s||_2 <= β`` (σ_max for vector outputs) with
    ``X w* = P_X y`` (parameter ``fitted``). The lemma's two problems share maximizers, not
    values: the lemma drops the constant ``½||y||^2``, which :attr:`Program.to_training` adds
    back (training value ``= 2 × value + ||y||^2``). Variable ``s`` of shape ``(d,)`` or
    ``(d, k)``; ``λ = X s + (y - X w*)`` recovers the dual variable of (8).
    """
    fitted = cp.Parameter(data.targets.shape, name="fitted",
                          value=data.as_user_shape(data.svd.U @ data.projected_targets).copy())
    y = _targets_parameter(data)
    b = _beta_parameter(beta)
    s = _variable(data.d, data, "s")
    gram = data.X.T @ data.X
    feasible = _operator_norm(gram @ s, data) <= b
    problem = cp.Problem(cp.Maximize(-0.5 * cp.sum_squares(data.X @ s - fitted)), [feasible])
    return Program(
        problem=problem, variables={"s": s}, constraints={"dual_feasibility": feasible},
        parameters={"fitted": fitted, "y": y, "beta": b}, name="regularized_dual_lemma22",
        reference="Lemma 2.2",
        kind="dual", relation="exact",
        to_training=lambda value: 2.0 * value + _squared_norm(y), data=data,
        note="shares maximizers with the dual of (8); value differs by ½||y||^2 (parameter y).",
    )


def regularized_dual_svd(data: Dataset, beta: float) -> Program:
    """The regularized dual in SVD coordinates: (9) for scalar outputs, (14) for vector outputs.

    (9): ``min ||ŝ - ŵ*||_2^2 s.t. ||Σ ŝ||_2 <= β``; (14): ``max -||Ŝ - Ŵ*||_F^2 s.t.
    σ_max(Σ Ŝ) <= β``, written with the sense the paper prints. ``ŝ = Σ V^T s`` and
    ``ŵ* = Σ V^T w* = U_r^T y`` (parameter ``projected_y``), on the thin SVD of rank ``r``.
    The optimum ``ŝ*`` is the projection ``P_{Σ,β}(ŵ*)`` and the optimal neuron is
    ``V Σ ŝ* / ||V Σ ŝ*||``. Training value: ``||y||^2 - value`` for (9),
    ``||Y||_F^2 + value`` for (14).
    """
    svd = data.svd
    projected = cp.Parameter(
        (svd.rank, data.k) if data.vector_output else svd.rank, name="projected_y",
        value=data.as_user_shape(data.projected_targets).copy())
    y = _targets_parameter(data)
    b = _beta_parameter(beta)
    s_hat = _variable(svd.rank, data, "s_hat")
    feasible = _operator_norm(np.diag(svd.s) @ s_hat, data) <= b
    distance = cp.sum_squares(s_hat - projected)
    if data.vector_output:
        problem = cp.Problem(cp.Maximize(-distance), [feasible])

        def to_training(value: float) -> float:
            return _squared_norm(y) + value
    else:
        problem = cp.Problem(cp.Minimize(distance), [feasible])

        def to_training(value: float) -> float:
            return _squared_norm(y) - value
    return Program(
        problem=problem, variables={"s_hat": s_hat}, constraints={"dual_feasibility": feasible},
        parameters={"projected_y": projected, "y": y, "beta": b}, name="regularized_dual_svd",
        reference=_form(data, "(9), Lemma 2.2", "(14), §2.3.2"),
        kind="dual", relation="exact", to_training=to_training, data=data,
        note="the paper's (9)/(14) drop constants; to_training restores ||y||^2.",
    )


# --- programs over a finite neuron dictionary --------------------------------------------------

def dictionary_primal(data: Dataset, neurons: object, beta: float | None = None) -> Program:
    """ℓ1 (group-ℓ1) program over a finite set of unit-norm neurons.

    This is (4) (scalar) or (11) (vector) with ``W1`` fixed to the given neurons — the ``P_e``
    of the proof of Theorem 2.2 — and the primal of the discretized semi-infinite dual
    (:func:`dictionary_dual`). With ``A = X W1``:

    * ``beta=None``: ``min Σ_j |w2_j|`` (``Σ_j ||W2[j, :]||_2``) ``s.t. A w2 = y``;
    * ``beta > 0``: ``min β Σ_j |w2_j| + ½ ||A w2 - y||^2`` (group norm for vector outputs).

    The training value of the network with these neurons (balanced, Lemma 2.1) is
    ``2 ×`` the optimal value, an upper bound on the global optimum (``relation="upper"``); it is
    exact when the dictionary contains the extreme points of Corollary 2.1.

    Parameters
    ----------
    data : Dataset
    neurons : array_like, shape (d, m)
        Columns are scaled to unit norm.
    beta : float, optional

    Raises
    ------
    InfeasibleError
        ``beta=None`` and ``Y`` is not in the span of ``X @ neurons``.
    """
    W = check_neurons(neurons, data.d)
    A = data.X @ W
    if beta is None:
        _require_reachable(data, A)
    m = W.shape[1]
    y = _targets_parameter(data)
    w2 = _variable(m, data, "w2")
    penalty = cp.sum(cp.norm(w2, 2, axis=1)) if data.vector_output else cp.norm(w2, 1)
    parameters: dict[str, cp.Parameter] = {"y": y}
    constraints: dict[str, cp.Constraint] = {}
    if beta is None:
        interpolation = A @ w2 == y
        constraints["interpolation"] = interpolation
        problem = cp.Problem(cp.Minimize(penalty), [interpolation])
        reference = _form(data, "(4) over given neurons (P_e, proof of Theorem 2.2)",
                          "(11) over given neurons (proof of Theorem 2.4)")
    else:
        b = _beta_parameter(beta)
        parameters["beta"] = b
        problem = cp.Problem(cp.Minimize(b * penalty + 0.5 * cp.sum_squares(A @ w2 - y)))
        reference = _form(data, "(8) over given neurons", "regularized (11) over given neurons")
    return Program(
        problem=problem, variables={"w2": w2}, constraints=constraints, parameters=parameters,
        name="dictionary_primal", reference=reference, kind="primal", relation="upper",
        to_training=lambda value: 2.0 * value, data=data,
        note=f"{m} unit-norm neurons fixed; an upper bound unless they include the extreme "
             f"points.",
    )


def dictionary_dual(data: Dataset, neurons: object, beta: float | None = None) -> Program:
    """The semi-infinite dual (5)/(12) discretized over a finite set of unit-norm neurons.

    ``beta=None``: ``max λ^T y s.t. |λ^T X w_j| <= 1`` for every given neuron ``w_j``
    (vector: ``||Λ^T X w_j||_2 <= 1``); ``beta > 0``: ``max λ^T y - ½||λ||^2`` under the same
    constraints with bound ``β``. Dropping constraints can only raise the maximum, so the value
    is an upper bound on the true dual (``relation="upper"``) and equals
    :func:`dictionary_primal` by LP/SOCP duality; the constraint ``"neuron_constraints"`` has one
    row per neuron and its dual values are the magnitudes of the output weights.
    """
    W = check_neurons(neurons, data.d)
    A = data.X @ W
    if beta is None:
        _require_reachable(data, A)
    y = _targets_parameter(data)
    lam = _variable(data.n, data, "lam")
    correlations = A.T @ lam
    parameters: dict[str, cp.Parameter] = {"y": y}
    if beta is None:
        bound: float | cp.Parameter = 1.0
        objective = _inner(lam, y)
        reference = _form(data, "(5) discretized over given neurons",
                          "(12) discretized over given neurons")
    else:
        bound = _beta_parameter(beta)
        parameters["beta"] = bound
        objective = _inner(lam, y) - 0.5 * cp.sum_squares(lam)
        reference = _form(data, "dual of (8) discretized over given neurons",
                          "dual of regularized (11) discretized over given neurons")
    if data.vector_output:
        feasible = cp.norm(correlations, 2, axis=1) <= bound
    else:
        feasible = cp.abs(correlations) <= bound
    problem = cp.Problem(cp.Maximize(objective), [feasible])
    return Program(
        problem=problem, variables={"lam": lam}, constraints={"neuron_constraints": feasible},
        parameters=parameters, name="dictionary_dual", reference=reference, kind="dual",
        relation="upper", to_training=lambda value: 2.0 * value, data=data,
        note="only the listed neurons are constrained: a lower bound on the training problem "
             "needs the exact oracle (scale λ until ||X^T λ|| <= bound).",
    )


#: Builders by name, with whether they take ``beta`` (regularized) or not (minimum norm).
FORMS = {
    "min_norm_primal": (min_norm_primal, False),
    "min_norm_dual": (min_norm_dual, False),
    "min_norm_dual_svd": (min_norm_dual_svd, False),
    "regularized_primal": (regularized_primal, True),
    "regularized_dual": (regularized_dual, True),
    "regularized_dual_lemma22": (regularized_dual_lemma22, True),
    "regularized_dual_svd": (regularized_dual_svd, True),
}
