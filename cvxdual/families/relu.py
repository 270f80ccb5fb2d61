r"""Deep ReLU networks on rank-one data (paper §4): the exact convex programs.

Data ``X = c a0^T`` with ``c >= 0`` (any sign for ``L = 2``). The network of Proposition 4.1 has
ReLU layers without bias, a bias in the last hidden layer and (in the limit that unregularized
biases reach) a free output intercept:
``f(X) = (A_{L-2} W_{L-1} + 1 b^T)_+ w_L + η``, ``A_l = (A_{l-1} W_l)_+``.

Because ``c >= 0`` and ReLU is positively homogeneous, ``A_{L-2} = c a_{L-2}^T`` and every
last-hidden neuron computes ``(s_j c + b_j 1)_+`` with ``|s_j| <= ||a_{L-2}|| ||w_j||``: the deep
network is a two-layer ReLU network on the scalars ``c_i`` whose input gain is at most
``g = ||a0|| t^{L-2}`` when the first ``L-2`` layers have norm ``t`` (Theorem 4.1). The dual
constraint ``|λ^T (±(c - β))_+| <= 1`` (with ``λ^T 1 = 0`` from the free intercept) is piecewise
linear in the bias ``β`` with kinks at the data, so its maximum over ``β`` is attained at a data
point (Corollary 4.1): the dictionary ``D = [(c - c_j)_+, (c_j - c)_+]_j`` (``n × 2n``) makes the
semi-infinite problem (39)/(40) an exact finite one:

* minimum norm: ``R = min ||α||_1 s.t. D α + η 1 = y``; training value (28)
  ``= min_t 2R / (||a0|| t^{L-2}) + (L-2) t^2 = L (R / ||a0||)^{2/L}``;
* regularized at layer norm ``t``: ``||Dα + η - y||^2 + 2β ||α||_1 / (||a0|| t^{L-2}) + β(L-2)t^2``.

Builders take the validated :class:`RankOneInputs` (from :func:`rank_one_inputs`) and, like the
deep-linear ones, the layer norm ``t`` as a ``cp.Parameter``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from cvxdual.data import Dataset, rank_one_factorization
from cvxdual.errors import DataError, InfeasibleError, ParameterError
from cvxdual.program import Program
from cvxdual.validation import check_beta

__all__ = [
    "RankOneInputs",
    "SIGN_RTOL",
    "DUPLICATE_RTOL",
    "rank_one_inputs",
    "spline_dictionary",
    "spline_oracle",
    "divided_differences",
    "require_distinct_targets",
    "spline_primal",
    "spline_dual",
    "discretized_dual",
    "no_bias_value",
    "no_bias_primal",
]

#: Entries of ``c`` above ``-SIGN_RTOL * max|c|`` count as nonnegative.
SIGN_RTOL = 1e-12
#: Inputs ``c_i, c_j`` closer than ``DUPLICATE_RTOL * (max c - min c)`` are the same point.
DUPLICATE_RTOL = 1e-12


@dataclass(frozen=True, eq=False)
class RankOneInputs:
    """Rank-one data ``X = c a0^T`` reduced to scalar inputs.

    Attributes
    ----------
    data : Dataset
    c : ndarray, shape (n,)
        The scalar inputs (``>= 0`` when ``depth >= 3``).
    a0 : ndarray, shape (d,)
        The input direction, scaled so that ``X = outer(c, a0)``.
    depth : int
    """

    data: Dataset
    c: np.ndarray
    a0: np.ndarray
    depth: int

    @property
    def gain(self) -> float:
        """``||a0||``."""
        return float(np.linalg.norm(self.a0))


def rank_one_inputs(data: Dataset, depth: int) -> RankOneInputs:
    """Validate rank-one data for the ReLU family and orient it.

    Raises
    ------
    DataError
        If ``X`` is not rank one, if ``c`` has both signs and ``depth >= 3`` (Theorem 4.1 needs
        ``c >= 0``), or for vector targets (§4 treats scalar outputs).
    """
    if data.vector_output:
        raise DataError("the ReLU family of §4 has scalar outputs: pass y of shape (n,).")
    c, a0 = rank_one_factorization(data)
    scale = float(np.max(np.abs(c)))
    if np.all(c <= SIGN_RTOL * scale):
        c, a0 = -c, -a0
    c = np.where(np.abs(c) <= SIGN_RTOL * scale, 0.0, c)
    if depth >= 3 and np.any(c < 0):
        raise DataError(
            f"Theorem 4.1 needs X = c a0^T with all c_i of one sign for depth >= 3; here "
            f"{int(np.sum(c < 0))} of {c.size} inputs lie on the other side of the origin "
            f"along a0. Shift the data (e.g. X - X.min(axis=0)) or use depth=2.")
    # The dictionary depends on c only through differences c_i - c_j: measure c in units of
    # its spread (X = c a0^T is unchanged), so shifted data such as x + 1000 stays well scaled.
    spread = float(c.max() - c.min())
    if spread > 0.0:
        c, a0 = c / spread, a0 * spread
    return RankOneInputs(data=data, c=c, a0=a0, depth=depth)


def spline_dictionary(c: np.ndarray, breakpoints: np.ndarray | None = None) -> np.ndarray:
    """``[(c - β_j)_+, (β_j - c)_+]`` for every breakpoint ``β_j`` (the data points by default):
    one ReLU per breakpoint and orientation, shape ``(n, 2 m)``."""
    points = c if breakpoints is None else np.asarray(breakpoints, dtype=np.float64)
    return np.hstack([np.maximum(c[:, None] - points[None, :], 0.0),
                      np.maximum(points[None, :] - c[:, None], 0.0)])


def spline_oracle(c: np.ndarray, lam: np.ndarray) -> float:
    """Exact ``max_{β, ±} |λ^T (±(c - β))_+|`` for ``λ`` with ``λ^T 1 = 0``: the function is
    piecewise linear in ``β`` with kinks at the ``c_j`` and constant beyond them, so the data
    points attain it."""
    return float(np.max(np.abs(spline_dictionary(c).T @ lam)))


def _check(depth: object, t: object | None) -> tuple[int, float | None]:
    if isinstance(depth, bool) or not isinstance(depth, int | np.integer) or depth < 2:
        raise ParameterError(f"depth must be an integer >= 2; got {depth!r}.")
    if t is not None:
        value = float(t) if isinstance(t, int | float | np.floating) and not isinstance(
            t, bool) else float("nan")
        if not np.isfinite(value) or value <= 0:
            raise ParameterError(f"the layer norm t must be a finite number > 0; got {t!r}.")
        return int(depth), value
    return int(depth), None


def require_distinct_targets(inputs: RankOneInputs) -> None:
    """Minimum norm needs ``f(X) = y``: equal inputs with different targets are infeasible."""
    c, y = inputs.c, inputs.data.Y[:, 0]
    order = np.argsort(c, kind="stable")
    span = float(c.max() - c.min()) or 1.0
    same = np.diff(c[order]) <= DUPLICATE_RTOL * span
    clash = same & (np.abs(np.diff(y[order])) > 1e-12 * max(1.0, float(np.max(np.abs(y)))))
    if np.any(clash):
        i = int(order[np.flatnonzero(clash)[0]])
        j = int(order[np.flatnonzero(clash)[0] + 1])
        raise InfeasibleError(
            f"samples {i} and {j} have the same input (c = {c[i]:.6g} along a0) but different "
            f"targets ({y[i]:.6g} and {y[j]:.6g}), so no network interpolates them and the "
            f"minimum-norm problem (28) is infeasible. Pass beta > 0 for the regularized problem.")


def divided_differences(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the distinct inputs in increasing order and the divided-difference operator
    ``T`` (``(m-1) × n``): ``(T z)_k = (z_{k+1} - z_k) / (c_{k+1} - c_k)`` over those points.
    ``T 1 = 0``, so ``T`` removes the intercept."""
    order = np.argsort(c, kind="stable")
    span = float(c.max() - c.min()) or 1.0
    distinct = np.concatenate([[True], np.diff(c[order]) > DUPLICATE_RTOL * span])
    keep = order[distinct]
    gaps = np.diff(c[keep])
    T = np.zeros((keep.size - 1, c.size))
    rows = np.arange(keep.size - 1)
    T[rows, keep[:-1]] = -1.0 / gaps
    T[rows, keep[1:]] = 1.0 / gaps
    return keep, T


class _Scaling:
    """The parameters the §4 programs share at layer norm ``t``: ``t``, ``1/g`` with
    ``g = ||a0|| t^{L-2}`` and, when regularized, ``β`` and ``β_eff = β/g``; :meth:`refresh`
    keeps the derived ones consistent and :meth:`to_training` maps a program value to the
    training objective (28) or its regularized form."""

    def __init__(self, inputs: RankOneInputs, t: float | None, beta: float | None):
        self.inputs = inputs
        self.hidden = inputs.depth - 2
        self.t = cp.Parameter(nonneg=True, name="t", value=1.0 if t is None else t)
        self.inverse_gain = cp.Parameter(nonneg=True, name="inverse_gain")
        self.beta = None if beta is None else cp.Parameter(nonneg=True, name="beta",
                                                           value=_beta(beta))
        self.effective = None if beta is None else cp.Parameter(nonneg=True,
                                                                name="effective_beta")
        self.refresh()

    @property
    def parameters(self) -> dict[str, cp.Parameter]:
        named = {"t": self.t, "inverse_gain": self.inverse_gain}
        if self.beta is not None:
            named.update({"beta": self.beta, "effective_beta": self.effective})
        return named

    def refresh(self) -> None:
        self.inverse_gain.value = 1.0 / (self.inputs.gain * float(self.t.value) ** self.hidden)
        if self.beta is not None:
            self.effective.value = float(self.beta.value) * float(self.inverse_gain.value)

    def to_training(self, value: float) -> float:
        tt = float(self.t.value)
        if self.beta is None:
            return 2.0 * value * float(self.inverse_gain.value) + self.hidden * tt * tt
        return 2.0 * value + float(self.beta.value) * self.hidden * tt * tt


def spline_primal(inputs: RankOneInputs, beta: float | None = None,
                  t: float | None = None) -> Program:
    """The ℓ1 program over the exact dictionary, at layer norm ``t`` (default 1).

    ``beta=None``: ``min ||α||_1 s.t. D α + η 1 = y`` (the reduction of (37)/(41) by
    Theorem 4.1 and Proposition 4.1), with the equality written as divided differences
    ``T D α = T y`` over the sorted distinct inputs plus one level equation (constraints
    ``"slopes"`` and ``"level"``; the paper's ``λ`` is ``-T^T`` times the dual of ``"slopes"``,
    automatically ``⟂ 1``); training value ``2 R / g + (L-2) t^2`` with
    ``g = ||a0|| t^{L-2}``. ``beta > 0``: ``min ½ ||D α + η 1 - y||^2 + (β/g) ||α||_1``; training
    value ``2 × value + β (L-2) t^2``. Variables ``alpha`` (``2n``) and ``intercept``.
    """
    depth, t = _check(inputs.depth, t)
    D = spline_dictionary(inputs.c)
    y = cp.Parameter(inputs.data.n, name="y", value=inputs.data.Y[:, 0].copy())
    alpha = cp.Variable(D.shape[1], name="alpha")
    eta = cp.Variable(name="intercept")
    scaling = _Scaling(inputs, t, beta)
    if beta is None:
        require_distinct_targets(inputs)
        # D α + η 1 = y written as divided differences over the distinct sorted inputs plus one
        # level equation: the same affine set (an invertible change of rows), but Clarabel
        # stops with a numerical error on the hinge rows for n around 50 and solves these.
        keep, T = divided_differences(inputs.c)
        slopes = (T @ D) @ alpha == T @ y
        level = D[keep[0]] @ alpha + eta == y[keep[0]]
        problem = cp.Problem(cp.Minimize(cp.norm(alpha, 1)), [slopes, level])
        constraints = {"slopes": slopes, "level": level}
    else:
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(D @ alpha + eta - y)
                                         + scaling.effective * cp.norm(alpha, 1)))
        constraints = {}
    return Program(
        problem=problem, variables={"alpha": alpha, "intercept": eta}, constraints=constraints,
        parameters={"y": y, **scaling.parameters}, name="spline_primal",
        reference="(37)/(41) reduced by Theorem 4.1 and Proposition 4.1; kinks at the data "
                  "(Corollary 4.1)",
        kind="primal", relation="exact" if depth == 2 else "upper",
        to_training=scaling.to_training, data=inputs.data, refresh=scaling.refresh,
        note="exact at the optimal t (for L = 2 at every t); upper bound otherwise")


def spline_dual(inputs: RankOneInputs, beta: float | None = None,
                t: float | None = None) -> Program:
    """The dual over the exact dictionary: ``max λ^T y`` (``- ½||λ||^2`` when regularized)
    ``s.t. 1^T λ = 0, |D^T λ| <= bound`` with ``bound = 1`` (minimum norm) or ``β/g``; the
    finite form of (39). Training value as :func:`spline_primal` (weak duality at this ``t``)."""
    return discretized_dual(inputs, None, beta, t, name="spline_dual",
                            reference="(39) with the exact data-point dictionary "
                                      "(Corollary 4.1)")


def discretized_dual(inputs: RankOneInputs, biases: np.ndarray | None, beta: float | None = None,
                     t: float | None = None, name: str = "discretized_dual",
                     reference: str = "(39) discretized over given biases") -> Program:
    """The semi-infinite dual (39) with its constraint imposed only at the given breakpoints
    ``biases`` (the data points when None), for comparison with the exact dictionary: a grid
    that misses data points drops constraints and can only raise the value."""
    depth, t = _check(inputs.depth, t)
    D = spline_dictionary(inputs.c, biases)
    y = cp.Parameter(inputs.data.n, name="y", value=inputs.data.Y[:, 0].copy())
    lam = cp.Variable(inputs.data.n, name="lam")
    scaling = _Scaling(inputs, t, beta)
    if beta is None:
        objective = lam @ y
        bound: float | cp.Parameter = 1.0
    else:
        objective = lam @ y - 0.5 * cp.sum_squares(lam)
        bound = scaling.effective
    feasible = cp.abs(D.T @ lam) <= bound
    centered = cp.sum(lam) == 0
    problem = cp.Problem(cp.Maximize(objective), [feasible, centered])
    return Program(
        problem=problem, variables={"lam": lam},
        constraints={"neuron_constraints": feasible, "intercept": centered},
        parameters={"y": y, **scaling.parameters}, name=name, reference=reference,
        kind="dual", relation="exact" if biases is None and depth == 2 else "upper",
        to_training=scaling.to_training, data=inputs.data, refresh=scaling.refresh,
        note="λ^T 1 = 0 comes from the free output intercept")


def _beta(beta: object) -> float:
    value = check_beta(beta)
    if value is None:
        raise ParameterError("a regularized form needs beta > 0.")
    return value


def no_bias_value(inputs: RankOneInputs, beta: float | None) -> tuple[float, float]:
    """Theorem 4.1 without any bias: every neuron outputs ``c (s_j)_+``, so ``f(X) = κ c``.

    Minimum norm is feasible only when ``y = κ c``; then the optimum is
    ``L (|κ| / ||a0||)^{2/L}``. Regularized: ``min_κ ||κ c - y||^2 + β L (|κ|/||a0||)^{2/L}``,
    a 1-D problem solved exactly.

    Returns
    -------
    value, kappa : float
    """
    from cvxdual.fast import schatten_shrink

    c, y, depth = inputs.c, inputs.data.Y[:, 0], inputs.depth
    cc = float(c @ c)
    if cc == 0.0:
        raise DataError("X is zero: there is no input direction.")
    kappa_ls = float(c @ y) / cc
    if beta is None:
        residual = float(np.linalg.norm(y - kappa_ls * c))
        if residual > 1e-8 * max(float(np.linalg.norm(y)), 1e-300):
            raise InfeasibleError(
                f"without biases a ReLU network on rank-one data outputs a multiple of c, and y "
                f"is not one (relative residual {residual / np.linalg.norm(y):.2e}); the "
                f"minimum-norm problem (28) is infeasible. Use bias=True (Proposition 4.1) or "
                f"beta > 0.")
        return depth * (abs(kappa_ls) / inputs.gain) ** (2.0 / depth), kappa_ls
    # ||κc - y||^2 = cc (κ - κ_ls)^2 + const; with s = |κ| sqrt(cc): (s - |κ_ls| sqrt(cc))^2 +
    # β L (s / (sqrt(cc) ||a0||))^{2/L}, a Schatten shrink with β' = β (sqrt(cc) ||a0||)^{-2/L}.
    root = np.sqrt(cc)
    scaled_beta = beta * (root * inputs.gain) ** (-2.0 / depth)
    s = schatten_shrink(abs(kappa_ls) * root, scaled_beta, depth)
    kappa = np.sign(kappa_ls) * s / root
    value = float(np.sum((kappa * c - y) ** 2)) + beta * depth * (abs(kappa) / inputs.gain) ** (
        2.0 / depth)
    return value, float(kappa)


def no_bias_primal(inputs: RankOneInputs, beta: float | None = None,
                   t: float | None = None) -> Program:
    """Theorem 4.1 without biases, at layer norm ``t``: every neuron outputs ``c (s_j)_+``, so
    the network is ``κ c`` and the ℓ1 program has the single column ``c``:
    ``min |κ| s.t. κ c = y`` (minimum norm) or ``min ½||κ c - y||^2 + (β/g)|κ|``, with the
    training value mapped as in :func:`spline_primal`.

    Raises
    ------
    InfeasibleError
        ``beta=None`` and ``y`` is not a multiple of ``c``.
    """
    depth, t = _check(inputs.depth, t)
    if beta is None:
        no_bias_value(inputs, None)          # raises when y is not a multiple of c
    y = cp.Parameter(inputs.data.n, name="y", value=inputs.data.Y[:, 0].copy())
    kappa = cp.Variable(name="kappa")
    scaling = _Scaling(inputs, t, beta)
    if beta is None:
        fit = kappa * inputs.c == y
        problem = cp.Problem(cp.Minimize(cp.abs(kappa)), [fit])
        constraints = {"interpolation": fit}
    else:
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(kappa * inputs.c - y)
                                         + scaling.effective * cp.abs(kappa)))
        constraints = {}
    return Program(
        problem=problem, variables={"kappa": kappa}, constraints=constraints,
        parameters={"y": y, **scaling.parameters}, name="no_bias_primal",
        reference="Theorem 4.1 (no bias)", kind="primal",
        relation="exact" if depth == 2 else "upper", to_training=scaling.to_training,
        data=inputs.data, refresh=scaling.refresh, note="the network outputs a multiple of c")
