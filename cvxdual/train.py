"""The non-convex baseline: train the network of the regularized problem (1) by gradient methods.

This is what a user would do without convex duality: minimize

    ||f(X) - Y||_F^2 + β Σ_l ||W_l||_F^2                                            (1)

over the weights of an ``L``-layer network, full batch, from random starts, with exact gradients
(backpropagation written out below), by **scipy L-BFGS** or by **gradient descent with
(heavy-ball) momentum**. The families are those of :func:`cvxdual.certify`:

* ``"linear"``: two layers, ``f(X) = X W_1 W_2`` (§2), no biases;
* ``"deep-linear"``: ``f(X) = X W_1 ⋯ W_L`` (§3), no biases;
* ``"relu"``: ``f(X) = relu(⋯ relu(X W_1) ⋯ W_{L-1} + 1 b^T) W_L + c`` with a bias ``b`` in the
  last hidden layer and an output intercept ``c``, both unregularized (Proposition 4.1);
  ``bias=False`` removes both (Theorem 4.1).

Each restart records the objective at every iteration and, every ``record_every`` iterations, the
numerical rank (:func:`cvxdual.structure.layer_ranks` with relative threshold ``rank_rtol``),
operator and Frobenius norms (:func:`cvxdual.structure.layer_norms`) of every layer: the data
behind the paper's Figs. 2–4. The best network's objective is recomputed from its weights by
:meth:`cvxdual.Network.objective`, never taken from the optimizer.

Weak duality says no trained network beats :func:`cvxdual.certify`'s lower bound;
:func:`cvxdual.certify_network` measures how far above the certified optimum a trained network
sits.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from cvxdual.data import Dataset, as_dataset
from cvxdual.errors import ParameterError
from cvxdual.network import Network
from cvxdual.structure import RANK_RTOL, layer_norms, layer_ranks
from cvxdual.validation import check_beta, check_family

__all__ = ["TrainResult", "RestartRecord", "train", "training_objective", "METHODS"]

#: Optimizers :func:`train` knows.
METHODS = ("lbfgs", "momentum")
#: Default iteration budgets per method.
DEFAULT_MAX_ITER = {"lbfgs": 5000, "momentum": 5000}
#: Times the momentum step is halved (restarting from the same point) when the iterates diverge.
_MAX_STEP_HALVINGS = 30


@dataclass(frozen=True, eq=False)
class RestartRecord:
    """One training run from one random start.

    Attributes
    ----------
    seed : int
        Seed of the ``np.random.default_rng`` that drew the initial weights.
    objective : float
        Objective (1) of the final weights, recomputed from them.
    trajectory : ndarray, shape (T + 1,)
        Objective at the start (entry 0) and after each of the ``T`` iterations.
    record_iterations : ndarray of int, shape (R,)
        Iterations at which the layer statistics below were measured (0, every
        ``record_every`` and the last).
    ranks : ndarray of int, shape (R, L)
        Numerical rank of each layer: singular values above ``rank_rtol * σ_max``.
    operator_norms, frobenius_norms : ndarray, shape (R, L)
        ``||W_l||_2`` and ``||W_l||_F`` of each layer.
    iterations : int
    step : float or None
        Step size used (momentum only, after any halving caused by divergence).
    message : str
        The optimizer's termination message.
    network : Network
        The final network of this restart.
    """

    seed: int
    objective: float
    trajectory: np.ndarray
    record_iterations: np.ndarray
    ranks: np.ndarray
    operator_norms: np.ndarray
    frobenius_norms: np.ndarray
    iterations: int
    step: float | None
    message: str
    network: Network

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (arrays as lists)."""
        return {
            "seed": self.seed, "objective": self.objective,
            "trajectory": self.trajectory.tolist(),
            "record_iterations": self.record_iterations.tolist(),
            "ranks": self.ranks.tolist(), "operator_norms": self.operator_norms.tolist(),
            "frobenius_norms": self.frobenius_norms.tolist(), "iterations": self.iterations,
            "step": self.step, "message": self.message,
        }


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Result of :func:`train`.

    Attributes
    ----------
    network : Network
        The best network over the restarts.
    objective : float
        Its objective (1), recomputed from its weights with :meth:`Network.objective`.
    best_restart : int
        Index of that restart in ``restarts``.
    restarts : tuple of RestartRecord
    family, method : str
    beta : float
    widths : tuple of int
        Hidden widths ``(m_1, ..., m_{L-1})``.
    bias : bool
    rank_rtol : float
        Relative threshold of the recorded ranks.
    """

    network: Network
    objective: float
    best_restart: int
    restarts: tuple[RestartRecord, ...]
    family: str
    method: str
    beta: float
    widths: tuple[int, ...]
    bias: bool
    rank_rtol: float

    @property
    def depth(self) -> int:
        """Number of weight layers ``L``."""
        return len(self.widths) + 1

    @property
    def objectives(self) -> np.ndarray:
        """Final objective of every restart, shape ``(restarts,)``."""
        return np.array([r.objective for r in self.restarts])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (arrays as lists, the network as :meth:`Network.to_dict`)."""
        return {
            "family": self.family, "method": self.method, "beta": self.beta,
            "widths": list(self.widths), "depth": self.depth, "bias": self.bias,
            "rank_rtol": self.rank_rtol, "objective": self.objective,
            "best_restart": self.best_restart,
            "restarts": [r.to_dict() for r in self.restarts],
            "network": self.network.to_dict(),
        }

    def __str__(self) -> str:
        objs = self.objectives
        return "\n".join([
            f"cvxdual training: {self.family} network, depth {self.depth}, widths "
            f"{self.widths}, beta={self.beta:g}, {self.method}",
            f"  best objective  {self.objective:.10g}   (restart {self.best_restart + 1} of "
            f"{len(self.restarts)})",
            f"  all restarts    min {objs.min():.10g}, median {np.median(objs):.10g}, "
            f"max {objs.max():.10g}",
            f"  final ranks     {self.restarts[self.best_restart].ranks[-1].tolist()} "
            f"(rtol {self.rank_rtol:g})",
        ])


# --- parameters as one flat vector ---------------------------------------------------------------

@dataclass(frozen=True)
class _Layout:
    """Where each weight, the hidden bias and the intercept live in the flat parameter vector."""

    shapes: tuple[tuple[int, int], ...]     # every W_l as a matrix (the last is (m, k))
    scalar_output: bool
    relu: bool
    bias: bool                              # relu only: last-hidden bias and output intercept

    @property
    def sizes(self) -> list[int]:
        sizes = [a * b for a, b in self.shapes]
        if self.bias:
            sizes += [self.shapes[-1][0], self.shapes[-1][1]]
        return sizes

    @property
    def size(self) -> int:
        return int(sum(self.sizes))

    def split(self, theta: np.ndarray) -> tuple[list[np.ndarray], np.ndarray | None,
                                               np.ndarray | None]:
        parts = np.split(theta, np.cumsum(self.sizes)[:-1])
        weights = [p.reshape(s) for p, s in zip(parts, self.shapes, strict=False)]
        if not self.bias:
            return weights, None, None
        return weights, parts[len(self.shapes)], parts[len(self.shapes) + 1]

    def network(self, theta: np.ndarray) -> Network:
        weights, b, c = self.split(theta)
        if self.scalar_output:
            weights = [*weights[:-1], weights[-1][:, 0]]
        biases = [None] * (len(weights) - 1)
        intercept: float | np.ndarray = 0.0
        if self.bias:
            biases[-1] = b.copy()
            intercept = float(c[0]) if self.scalar_output else c.copy()
        return Network([w.copy() for w in weights], biases=biases, intercept=intercept,
                       activation="relu" if self.relu else "linear")


def _objective_and_gradient(theta: np.ndarray, X: np.ndarray, Y: np.ndarray, beta: float,
                           layout: _Layout) -> tuple[float, np.ndarray]:
    """The objective (1) and its exact gradient by backpropagation.

    With ``Z_l = A_{l-1} W_l (+ 1 b^T)``, ``A_l = g(Z_l)``, ``A_0 = X`` and residual
    ``R = A_{L-1} W_L + 1 c^T - Y``: ``∂/∂W_L = 2 A_{L-1}^T R + 2β W_L``, ``∂/∂c = 2 R^T 1``,
    and backwards ``G_{L-1} = 2 R W_L^T``, ``∂/∂Z_l = G_l ⊙ g'(Z_l)``,
    ``∂/∂W_l = A_{l-1}^T ∂/∂Z_l + 2β W_l``, ``∂/∂b = (∂/∂Z_{L-1})^T 1``,
    ``G_{l-1} = ∂/∂Z_l W_l^T``. ReLU's derivative is taken as ``1[Z > 0]``.

    Parameters
    ----------
    theta : ndarray, shape (p,)
        Flat parameters (layout of ``layout``).
    X : ndarray, shape (n, d)
    Y : ndarray, shape (n, k)
        Targets as a matrix (``k = 1`` for scalar outputs).
    beta : float
    layout : _Layout

    Returns
    -------
    value : float
    gradient : ndarray, shape (p,)
    """
    weights, b, c = layout.split(theta)
    activations = [X]
    pre: list[np.ndarray] = []
    A = X
    for index, W in enumerate(weights[:-1]):
        Z = A @ W
        if b is not None and index == len(weights) - 2:
            Z = Z + b
        pre.append(Z)
        A = np.maximum(Z, 0.0) if layout.relu else Z
        activations.append(A)
    out = A @ weights[-1]
    if c is not None:
        out = out + c
    R = out - Y
    value = float(np.sum(R * R) + beta * sum(np.sum(W * W) for W in weights))
    G = 2.0 * R
    grads = [np.empty(0)] * len(weights)
    grads[-1] = activations[-1].T @ G + 2.0 * beta * weights[-1]
    grad_c = G.sum(axis=0) if c is not None else None
    grad_b = None
    G = G @ weights[-1].T
    for index in range(len(weights) - 2, -1, -1):
        if layout.relu:
            G = G * (pre[index] > 0)
        if b is not None and index == len(weights) - 2:
            grad_b = G.sum(axis=0)
        grads[index] = activations[index].T @ G + 2.0 * beta * weights[index]
        if index > 0:
            G = G @ weights[index].T
    flat = [g.ravel() for g in grads]
    if layout.bias:
        flat += [grad_b, grad_c]
    return value, np.concatenate(flat)


def _objective(data: Dataset, family: str, widths: tuple[int, ...], beta: float, bias: bool
               ) -> tuple[Callable[[np.ndarray], tuple[float, np.ndarray]], _Layout]:
    Ymat = data.Y if data.vector_output else data.Y.reshape(-1, 1)
    dims = (data.d, *widths, Ymat.shape[1])
    layout = _Layout(shapes=tuple(zip(dims[:-1], dims[1:], strict=True)),
                     scalar_output=not data.vector_output, relu=family == "relu",
                     bias=family == "relu" and bias)

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return _objective_and_gradient(theta, data.X, Ymat, beta, layout)

    return fun, layout


def training_objective(X: Any, Y: Any, family: str = "linear",
                       widths: Sequence[int] | int = (10,), beta: float = 1.0, *,
                       bias: bool = True
                       ) -> tuple[Callable[[np.ndarray], tuple[float, np.ndarray]], int,
                                  Callable[[np.ndarray], Network]]:
    """The objective (1) that :func:`train` minimizes, as a function of a flat parameter vector.

    Parameters
    ----------
    X, Y, family, widths, beta, bias
        As in :func:`train`.

    Returns
    -------
    fun : callable
        ``theta -> (value, gradient)``, ``theta`` of shape ``(p,)``: the weights ``W_1, …, W_L``
        flattened in C order (the last as ``(m_{L-1}, k)``, ``k = 1`` for scalar outputs), then
        for ``"relu"`` with ``bias=True`` the last hidden bias ``(m_{L-1},)`` and the intercept
        ``(k,)``.
    size : int
        ``p``.
    to_network : callable
        ``theta -> Network`` with the same parameters.
    """
    data = as_dataset(X, Y)
    family = check_family(family)
    widths = _check_widths(widths, family)
    beta_value = check_beta(beta)
    if beta_value is None:
        raise ParameterError("the training objective needs beta > 0 (problem (1)).")
    fun, layout = _objective(data, family, widths, beta_value, bias is not False)
    return fun, layout.size, layout.network


# --- validation ----------------------------------------------------------------------------------

def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ParameterError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _check_widths(widths: object, family: str) -> tuple[int, ...]:
    if isinstance(widths, numbers.Integral) and not isinstance(widths, bool):
        widths = (widths,)
    try:
        values = tuple(widths)  # type: ignore[arg-type]
    except TypeError:
        raise ParameterError(f"widths must be a sequence of positive integers, one per hidden "
                             f"layer, e.g. (10,) or (20, 20); got {widths!r}.") from None
    if not values or not all(isinstance(m, numbers.Integral) and not isinstance(m, bool)
                             and m > 0 for m in values):
        raise ParameterError(f"widths needs one positive integer per hidden layer, e.g. (10,) "
                             f"or (20, 20); got {widths!r}.")
    if family == "linear" and len(values) != 1:
        raise ParameterError(f"family 'linear' is the two-layer network of §2: widths needs "
                             f"exactly one entry; got {len(values)}. Use family='deep-linear' "
                             f"for deeper networks.")
    return tuple(int(m) for m in values)


def _check_positive_float(value: object, name: str, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} must be a number; got {value!r}.")
    number = float(value)
    if not np.isfinite(number) or number <= 0 or (upper is not None and number >= upper):
        bound = "" if upper is None else f" and < {upper:g}"
        raise ParameterError(f"{name} must be finite, > 0{bound}; got {value!r}.")
    return number


# --- optimizers ----------------------------------------------------------------------------------

def _record(layout: _Layout, theta: np.ndarray, rank_rtol: float) -> tuple[list[int],
                                                                           list[float],
                                                                           list[float]]:
    net = layout.network(theta)
    norms = layer_norms(net)
    return layer_ranks(net, rank_rtol), [a for a, _ in norms], [b for _, b in norms]


def _run_lbfgs(fun: Any, theta0: np.ndarray, max_iter: int, record_every: int,
               record: Any) -> tuple[np.ndarray, list[float], list[tuple[int, Any]], int, str]:
    trajectory = [fun(theta0)[0]]
    records = [(0, record(theta0))]

    def callback(intermediate_result: Any) -> None:
        trajectory.append(float(intermediate_result.fun))
        if (len(trajectory) - 1) % record_every == 0:
            records.append((len(trajectory) - 1, record(intermediate_result.x)))

    result = minimize(fun, theta0, jac=True, method="L-BFGS-B", callback=callback,
                      options={"maxiter": max_iter, "maxfun": 2 * max_iter, "maxcor": 30,
                               "ftol": 1e-15, "gtol": 1e-12})
    return result.x, trajectory, records, int(result.nit), str(result.message)


def _default_step(fun: Any, theta0: np.ndarray, rng: np.random.Generator) -> float:
    """``1 / ℓ`` with ``ℓ`` a power-iteration estimate of the largest Hessian eigenvalue at the
    start, from central differences of the exact gradient."""
    v = rng.standard_normal(theta0.size)
    v /= np.linalg.norm(v)
    scale = 1e-6 * max(1.0, float(np.linalg.norm(theta0)))
    curvature = 1.0
    for _ in range(20):
        hv = (fun(theta0 + scale * v)[1] - fun(theta0 - scale * v)[1]) / (2 * scale)
        curvature = float(np.linalg.norm(hv))
        if curvature == 0 or not np.isfinite(curvature):
            break
        v = hv / curvature
    return 1.0 / max(curvature, 1e-12)


def _run_momentum(fun: Any, theta0: np.ndarray, max_iter: int, record_every: int, record: Any,
                  step: float, momentum: float) -> tuple[np.ndarray, list[float],
                                                         list[tuple[int, Any]], int, str, float]:
    start_value = fun(theta0)[0]
    for _ in range(_MAX_STEP_HALVINGS):
        theta = theta0.copy()
        velocity = np.zeros_like(theta)
        trajectory = [start_value]
        records = [(0, record(theta0))]
        value, grad = fun(theta)
        diverged = False
        for iteration in range(1, max_iter + 1):
            velocity = momentum * velocity - step * grad
            theta = theta + velocity
            value, grad = fun(theta)
            trajectory.append(value)
            if not np.isfinite(value) or value > 1e3 * max(start_value, 1e-300):
                diverged = True
                break
            if iteration % record_every == 0:
                records.append((iteration, record(theta)))
        if not diverged:
            return theta, trajectory, records, max_iter, "iteration budget used", step
        step /= 2.0
    raise ParameterError(f"gradient descent with momentum diverged even after halving the step "
                         f"{_MAX_STEP_HALVINGS} times; pass a smaller step or use "
                         f"method='lbfgs'.")


# --- public entry point --------------------------------------------------------------------------

def train(X: Any, Y: Any, family: str = "linear", widths: Sequence[int] | int = (10,),
          beta: float = 1.0, *, method: str = "lbfgs", restarts: int = 5, seed: int = 0,
          max_iter: int | None = None, step: float | None = None, momentum: float = 0.9,
          bias: bool = True, init_scale: float = 1.0, record_every: int = 50,
          rank_rtol: float = RANK_RTOL) -> TrainResult:
    """Train a network of ``family`` on the regularized objective (1) from several random starts.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n,) or (n, k)
        1-D targets train a scalar-output network, 2-D a vector-output one.
    family : {"linear", "deep-linear", "relu"}
    widths : sequence of int or int
        Hidden widths ``(m_1, ..., m_{L-1})``; the depth is ``L = len(widths) + 1``
        (``"linear"``: exactly one width).
    beta : float
        ``β > 0`` of (1). The minimum-norm problem (2) has an equality constraint that these
        unconstrained methods cannot impose; approach it with small ``β``.
    method : {"lbfgs", "momentum"}
        scipy's L-BFGS-B with exact gradients, or gradient descent with heavy-ball momentum
        ``v ← μ v − η ∇, θ ← θ + v``.
    restarts : int
        Number of random starts; restart ``r`` draws its weights from
        ``np.random.default_rng([seed, r])``.
    seed : int
    max_iter : int, optional
        Iterations per restart (default 5000).
    step : float, optional
        Momentum step ``η``; by default ``1 / ℓ`` with ``ℓ`` the largest Hessian eigenvalue at
        the start (power iteration). Halved and rerun from the same start if the objective
        blows up.
    momentum : float
        ``μ`` in ``[0, 1)``.
    bias : bool
        ``"relu"`` only: ``True`` gives a bias in the last hidden layer and an output intercept
        (Proposition 4.1); ``False`` no biases (Theorem 4.1).
    init_scale : float
        Initial weights are ``init_scale · N(0, 1 / m_{l-1})`` (biases start at 0).
    record_every : int
        Layer ranks and norms are recorded at iteration 0, every ``record_every`` iterations
        and at the end.
    rank_rtol : float
        Relative threshold of the recorded ranks (:func:`cvxdual.structure.layer_ranks`).

    Returns
    -------
    TrainResult

    Raises
    ------
    DataError
        Malformed or non-finite ``X``, ``Y``.
    ParameterError
        Bad ``family``, ``widths``, ``beta``, ``method`` or other option.
    """
    data = as_dataset(X, Y)
    family = check_family(family)
    widths = _check_widths(widths, family)
    if beta is None:
        raise ParameterError("train needs beta > 0 (problem (1)); the minimum-norm problem (2) "
                             "is constrained, approach it with a small beta or use "
                             "cvxdual.certify(beta=None).")
    beta_value = float(check_beta(beta))  # type: ignore[arg-type]  # None rejected above
    if not isinstance(method, str) or method not in METHODS:
        raise ParameterError(f"unknown method {method!r}; choose one of "
                             f"{', '.join(repr(m) for m in METHODS)}.")
    if not isinstance(bias, bool) or (not bias and family != "relu"):
        raise ParameterError("bias=False (Theorem 4.1 without biases) applies to family='relu' "
                             "only; linear families have no biases. bias must be True or False.")
    restarts = _positive_int(restarts, "restarts")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer; got {seed!r}.")
    max_iter = DEFAULT_MAX_ITER[method] if max_iter is None else _positive_int(max_iter,
                                                                               "max_iter")
    record_every = _positive_int(record_every, "record_every")
    rank_rtol = _check_positive_float(rank_rtol, "rank_rtol", upper=1.0)
    init_scale = _check_positive_float(init_scale, "init_scale")
    step_value = None if step is None else _check_positive_float(step, "step")
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not (
            0.0 <= float(momentum) < 1.0):
        raise ParameterError(f"momentum must be a number in [0, 1); got {momentum!r}.")

    fun, layout = _objective(data, family, widths, beta_value, bias)

    def record(theta: np.ndarray) -> tuple[list[int], list[float], list[float]]:
        return _record(layout, theta, rank_rtol)

    runs = []
    for index in range(restarts):
        rng = np.random.default_rng([int(seed), index])
        parts = [init_scale * rng.standard_normal(a * b) / np.sqrt(a) for a, b in layout.shapes]
        if layout.bias:
            parts += [np.zeros(layout.shapes[-1][0]), np.zeros(layout.shapes[-1][1])]
        theta0 = np.concatenate(parts)
        used_step: float | None = None
        if method == "lbfgs":
            theta, trajectory, records, iterations, message = _run_lbfgs(
                fun, theta0, max_iter, record_every, record)
        else:
            first = step_value if step_value is not None else _default_step(fun, theta0, rng)
            theta, trajectory, records, iterations, message, used_step = _run_momentum(
                fun, theta0, max_iter, record_every, record, first, float(momentum))
        last = len(trajectory) - 1
        if records[-1][0] != last:
            records.append((last, record(theta)))
        network = layout.network(theta)
        runs.append(RestartRecord(
            seed=index, objective=network.objective(data.X, data.targets, beta_value),
            trajectory=np.asarray(trajectory, dtype=np.float64),
            record_iterations=np.array([it for it, _ in records], dtype=np.int64),
            ranks=np.array([r[0] for _, r in records], dtype=np.int64),
            operator_norms=np.array([r[1] for _, r in records], dtype=np.float64),
            frobenius_norms=np.array([r[2] for _, r in records], dtype=np.float64),
            iterations=iterations, step=used_step, message=message, network=network))
    best = int(np.argmin([r.objective for r in runs]))
    return TrainResult(network=runs[best].network, objective=runs[best].objective,
                       best_restart=best, restarts=tuple(runs), family=family, method=method,
                       beta=beta_value, widths=widths, bias=layout.bias if family == "relu"
                       else False, rank_rtol=rank_rtol)
