"""Tests of deep ReLU networks on rank-one data (paper §4): certificates, programs, networks.

Setting: ``X = c a0^T`` (``c >= 0`` for depth ``L >= 3``), ReLU hidden layers without bias, a
bias in the last hidden layer, a free output intercept (Proposition 4.1), regularizer
``Σ_l ||W_l||_F^2``. Every expected value is derived here, in NumPy/SciPy, independently of
cvxdual:

* the spline dictionary ``D = [(c - c_j)_+, (c_j - c)_+]`` and ``R = min ||α||_1 s.t.
  Dα + η1 = y`` by ``scipy.optimize.linprog`` (HiGHS), checked on the line against the closed
  form ``R = max(V, (V + |S|)/2)`` (``V`` the total variation of the interpolant's slopes,
  ``S`` the sum of its outer slopes); the minimum-norm value is ``L (R / ||a0||)^{2/L}``
  (two-layer cost ``2|α_j|/g`` per neuron at input gain ``g = ||a0|| t^{L-2}``, plus
  ``(L-2) t^2``, minimized over ``t`` by AM–GM); a basic LP solution has at most ``n`` kinks;
* the regularized two-layer value ``min ||Dα + η1 - y||^2 + 2β||α||_1/||a0||`` by L-BFGS-B on
  ``α = p - q`` (``p, q >= 0``, ``η`` eliminated by centering);
* the regularized deep value ``min ||Dα + η1 - y||^2 + βL(||α||_1/||a0||)^{2/L}``: every
  minimizer solves a constrained (hence penalized) lasso, so a search along our own lasso path
  finds it; every ``α`` on the path is attained by a network we build here, so it is also an
  upper bound that a certified optimum may not exceed;
* no bias at all (Theorem 4.1): the network outputs ``κ c``; the 1-D problem in ``κ`` is
  solved by a dense grid plus refinement;
* small ReLU networks of the family trained here by L-BFGS (exact gradients by hand, seeded
  restarts), which can never beat a certified optimum.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy.optimize import check_grad, linprog, minimize, minimize_scalar

import cvxdual
from cvxdual import structure
from cvxdual.families import relu

# --- tolerances --------------------------------------------------------------------------------

VALUE_RTOL = 1e-6        # certified value vs. independent reference
WEAK_RTOL = 1e-8         # a proven lower bound may exceed a reference only by round-off
INTERP_RTOL = 1e-7       # max |f(X) - y| / max(1, max|y|) for minimum-norm networks
SPLINE_RTOL = 1e-6       # max |f(g) - interp(g)| / max|y| on a dense grid (Corollary 4.1)
KINK_RTOL = 1e-8         # |kink - nearest data point| / span of the data
AFFINE_RTOL = 1e-8       # deviation from affine between consecutive data points
DUAL_FEAS_ATOL = 1e-7    # |λ^T (±(c - b))_+| <= 1 + this on a dense grid of biases b
TRAIN_SLACK = 1e-8       # trained objective >= certified value - this * value
SOFT_TRAIN_RTOL = 0.15   # best trained restart within 15 % of the optimum (soft check)

DEPTHS = (2, 3, 4, 5)
KINDS = ("1d", "3d")
N = 8


# --- data ----------------------------------------------------------------------------------------

def make_inputs(kind: str, seed: int, n: int = N) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, c, a0)`` with ``X = outer(c, a0)``, ``c >= 0`` well separated and unsorted.

    ``"1d"``: ``X = x.reshape(-1, 1)`` with ``x = c`` (including ``x = 0``); ``"3d"``: a random
    direction ``a0`` of norm 1.7."""
    rng = np.random.default_rng(seed)
    start = 0.0 if kind == "1d" else 0.4
    c = rng.permutation(start + np.concatenate([[0.0], np.cumsum(rng.uniform(0.3, 1.0,
                                                                           n - 1))]))
    if kind == "1d":
        a0 = np.array([1.0])
    else:
        a0 = rng.standard_normal(3)
        a0 *= 1.7 / np.linalg.norm(a0)
    return np.outer(c, a0), c, a0


def min_norm_data(kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                     np.ndarray]:
    X, c, a0 = make_inputs(kind, 10 + seed + 5 * KINDS.index(kind))
    y = np.random.default_rng(20 + seed).standard_normal(c.size)
    return X, y, c, a0


def regularized_data(kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """A smooth trend plus noise, so that moderate β keeps several kinks."""
    X, c, a0 = make_inputs(kind, 30 + seed + 5 * KINDS.index(kind))
    rng = np.random.default_rng(40 + seed)
    y = 2.0 * np.sin(1.3 * c) + 0.4 * c + 0.3 * rng.standard_normal(c.size)
    return X, y, c, a0


REG_BETA = 0.05


# --- independent references --------------------------------------------------------------------

def dictionary(c: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
    """``[(c - b_j)_+, (b_j - c)_+]`` over the breakpoints ``b`` (the data by default)."""
    b = c if points is None else points
    return np.hstack([np.maximum(c[:, None] - b[None, :], 0.0),
                      np.maximum(b[None, :] - c[:, None], 0.0)])


def l1_solution(c: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float]:
    """``R = min ||α||_1 s.t. Dα + η1 = y`` by linprog (HiGHS dual simplex) on ``α = p - q``.

    A basic solution: at most ``n`` of ``p, q, η`` are nonzero (Carathéodory). Returns
    ``(R, α, η)``."""
    D = dictionary(c)
    m = D.shape[1]
    A_eq = np.hstack([D, -D, np.ones((c.size, 1))])
    cost = np.concatenate([np.ones(2 * m), [0.0]])
    result = linprog(cost, A_eq=A_eq, b_eq=y, bounds=[(0, None)] * (2 * m) + [(None, None)],
                     method="highs-ds", options={"primal_feasibility_tolerance": 1e-10,
                                                 "dual_feasibility_tolerance": 1e-10})
    assert result.status == 0, result.message
    z = result.x
    return float(result.fun), z[:m] - z[m:2 * m], float(z[-1])


def l1_radius(c: np.ndarray, y: np.ndarray) -> float:
    return l1_solution(c, y)[0]


def spline_radius_1d(x: np.ndarray, y: np.ndarray) -> float:
    """Closed form of ``R`` on the line: with slopes ``m_i`` of the linear interpolant,
    ``V = Σ|m_{i+1} - m_i|`` and ``S = m_1 + m_{n-1}``, ``R = max(V, (V + |S|)/2)``.

    Any representation has ``||α||_1 >= TV(f')`` and ``>= |f'(-∞) + f'(+∞)|`` (each ReLU adds
    ``|α_j|`` to both); the outer slopes are free, and moving them by ``a`` in total trades
    ``a`` of the first bound for ``a`` of the second."""
    order = np.argsort(x)
    slopes = np.diff(y[order]) / np.diff(x[order])
    V = float(np.sum(np.abs(np.diff(slopes))))
    S = float(slopes[0] + slopes[-1])
    return max(V, 0.5 * (V + abs(S)))


def min_norm_reference(c: np.ndarray, a0: np.ndarray, y: np.ndarray, depth: int) -> float:
    return depth * (l1_radius(c, y) / np.linalg.norm(a0)) ** (2.0 / depth)


def lasso(c: np.ndarray, y: np.ndarray, mu: float,
          start: np.ndarray | None = None) -> tuple[float, float, np.ndarray]:
    """``min_{α, η} ||Dα + η1 - y||^2 + μ||α||_1`` by L-BFGS-B on ``α = p - q``, ``p, q >= 0``
    (``η`` eliminated by centering). Returns ``(fit, ||α||_1, z)`` with ``z = [p, q]``."""
    D = dictionary(c)
    Dc = D - D.mean(axis=0)
    yc = y - y.mean()
    m = D.shape[1]

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        r = Dc @ (z[:m] - z[m:]) - yc
        g = 2.0 * Dc.T @ r
        return float(r @ r + mu * z.sum()), np.concatenate([g + mu, -g + mu])

    z = np.zeros(2 * m) if start is None else start
    for _ in range(3):   # restart L-BFGS-B from its own answer: it stops on its memory's word
        z = minimize(fun, z, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * (2 * m),
                     options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-16,
                              "gtol": 1e-14}).x
    alpha = z[:m] - z[m:]
    r = Dc @ alpha - yc
    return float(r @ r), float(np.sum(np.abs(alpha))), z


def two_layer_reference(c: np.ndarray, a0: np.ndarray, y: np.ndarray, beta: float) -> float:
    mu = 2.0 * beta / np.linalg.norm(a0)
    fit, rho, _ = lasso(c, y, mu)
    return fit + mu * rho


def lasso_path_search(c: np.ndarray, y: np.ndarray, objective) -> float:
    """``min objective(fit(μ), ρ(μ))`` along our lasso path ``α(μ)``, ``ρ = ||α||_1``: a grid in
    ``log μ`` below ``μ_max`` (where ``α = 0``), warm starts, bounded Brent around the best."""
    D = dictionary(c)
    mu_max = 2.0 * float(np.max(np.abs((D - D.mean(axis=0)).T @ (y - y.mean()))))
    warm: dict[float, np.ndarray] = {}

    def phi(log_mu: float) -> float:
        start = warm[min(warm, key=lambda key: abs(key - log_mu))] if warm else None
        fit, rho, z = lasso(c, y, float(np.exp(log_mu)), start)
        warm[log_mu] = z
        return objective(fit, rho)

    grid = np.linspace(np.log(mu_max), np.log(mu_max) - 14.0, 57)
    values = np.array([phi(g) for g in grid])
    best = float(values.min())
    for i in np.argsort(values)[:3]:
        lo, hi = grid[min(i + 1, grid.size - 1)], grid[max(i - 1, 0)]
        result = minimize_scalar(phi, bounds=(lo, hi), method="bounded",
                                 options={"xatol": 1e-10})
        best = min(best, float(result.fun))
    return best


def deep_regularized_reference(c: np.ndarray, a0: np.ndarray, y: np.ndarray, beta: float,
                               depth: int) -> float:
    """``min_ρ G(ρ) + βL(ρ/||a0||)^{2/L}``, the path values and ``α = 0``."""
    gain = float(np.linalg.norm(a0))
    constant = float(np.sum((y - y.mean()) ** 2))
    path = lasso_path_search(
        c, y, lambda fit, rho: fit + beta * depth * (rho / gain) ** (2.0 / depth))
    return min(constant, path)


def critical_beta(c: np.ndarray, a0: np.ndarray, y: np.ndarray, depth: int) -> float:
    """The smallest β at which the constant fit is optimal (``L >= 3``):
    ``max_ρ (||y - ȳ||^2 - G(ρ)) / (L (ρ/||a0||)^{2/L})`` over the path."""
    gain = float(np.linalg.norm(a0))
    constant = float(np.sum((y - y.mean()) ** 2))
    return -lasso_path_search(
        c, y, lambda fit, rho: -(constant - fit) / (depth * (rho / gain) ** (2.0 / depth))
        if rho > 0 else 0.0)


def minimize_1d(h, lo: float, hi: float, extra: tuple[float, ...] = ()) -> float:
    """Minimum of a scalar function on ``[lo, hi]``: dense grid, the ``extra`` points (cusps),
    and bounded Brent around the best grid points."""
    grid = np.linspace(lo, hi, 40001)
    values = np.array([h(k) for k in grid])
    best = min([float(values.min()), *(float(h(k)) for k in extra)])
    for i in np.argsort(values)[:4]:
        if 0 < i < grid.size - 1:
            result = minimize_scalar(h, bounds=(grid[i - 1], grid[i + 1]), method="bounded",
                                     options={"xatol": 1e-14})
            best = min(best, float(result.fun))
    return best


def no_bias_reference(c: np.ndarray, a0: np.ndarray, y: np.ndarray, beta: float,
                      depth: int) -> float:
    """``min_κ ||κc - y||^2 + βL(|κ|/||a0||)^{2/L}`` (the cusp ``κ = 0`` included)."""
    gain = float(np.linalg.norm(a0))

    def h(kappa: float) -> float:
        return float(np.sum((kappa * c - y) ** 2)
                     + beta * depth * (abs(kappa) / gain) ** (2.0 / depth))

    span = 2.0 * abs(float(c @ y) / float(c @ c)) + 1e-3
    return minimize_1d(h, -span, span, extra=(0.0,))


# --- networks of the family, evaluated and trained here ----------------------------------------

def forward(weights, biases, intercept, X: np.ndarray) -> np.ndarray:
    """Our own forward pass: ``A_l = (A_{l-1} W_l + b_l)_+``, output ``A_{L-1} w_L + η``."""
    A = np.asarray(X, dtype=float)
    for W, b in zip(weights[:-1], biases, strict=True):
        A = A @ W
        if b is not None:
            A = A + b
        A = np.maximum(A, 0.0)
    return A @ weights[-1] + intercept


def net_forward(network, X: np.ndarray) -> np.ndarray:
    return forward(network.weights, network.biases, network.intercept, X)


def regularizer(weights) -> float:
    return float(sum(np.sum(np.asarray(W) ** 2) for W in weights))


def _shapes(d: int, widths: tuple[int, ...]) -> list[tuple[int, ...]]:
    dims = [d, *widths]
    return [*zip(dims[:-1], dims[1:], strict=True), (widths[-1],), (widths[-1],), ()]


def _unpack(theta: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(theta[start:start + size].reshape(shape))
        start += size
    return parts


def training_objective(theta: np.ndarray, X: np.ndarray, y: np.ndarray, beta: float,
                       shapes: list[tuple[int, ...]]) -> tuple[float, np.ndarray]:
    """Objective (1) of the Proposition 4.1 network and its exact gradient.

    Parameters ``W_1 .. W_{L-1}``, the last hidden bias ``b``, the output weights ``w`` and the
    intercept ``η`` (``b`` and ``η`` not regularized)."""
    *Ws, b, w, eta = _unpack(theta, shapes)
    activations, pre = [X], []
    for index, W in enumerate(Ws):
        Z = activations[-1] @ W + (b if index == len(Ws) - 1 else 0.0)
        pre.append(Z)
        activations.append(np.maximum(Z, 0.0))
    r = activations[-1] @ w + eta - y
    value = float(r @ r + beta * (sum(np.sum(W * W) for W in Ws) + w @ w))
    back = 2.0 * r
    grad_w = activations[-1].T @ back + 2.0 * beta * w
    grad_eta = np.array(back.sum())
    G = np.outer(back, w)
    grads_W: list[np.ndarray] = [np.empty(0)] * len(Ws)
    grad_b = np.empty(0)
    for index in range(len(Ws) - 1, -1, -1):
        G = G * (pre[index] > 0)
        if index == len(Ws) - 1:
            grad_b = G.sum(axis=0)
        grads_W[index] = activations[index].T @ G + 2.0 * beta * Ws[index]
        G = G @ Ws[index].T
    return value, np.concatenate([g.ravel() for g in [*grads_W, grad_b, grad_w, grad_eta]])


def train(X: np.ndarray, y: np.ndarray, beta: float, widths: tuple[int, ...],
          seeds: range) -> list[float]:
    """Seeded L-BFGS restarts; objectives recomputed from the final weights."""
    shapes = _shapes(X.shape[1], widths)
    values = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        Ws = [rng.standard_normal(s) / np.sqrt(s[0]) for s in shapes[:-3]]
        A = X
        for W in Ws[:-1]:
            A = np.maximum(A @ W, 0.0)
        Z = A @ Ws[-1]
        # Kinks of the last hidden layer start at random data points.
        b = -Z[rng.integers(0, X.shape[0], widths[-1]), np.arange(widths[-1])]
        w = rng.standard_normal(widths[-1]) / np.sqrt(widths[-1])
        theta = np.concatenate([*(W.ravel() for W in Ws), b, w, [float(y.mean())]])
        result = minimize(training_objective, theta, args=(X, y, beta, shapes), jac=True,
                          method="L-BFGS-B",
                          options={"maxiter": 3000, "maxfun": 6000, "ftol": 1e-14,
                                   "gtol": 1e-10})
        *Ws, b, w, eta = _unpack(result.x, shapes)
        # Recompute with our plain forward pass: never trust the optimizer's reported value.
        f = forward([*Ws, w], [None] * (len(Ws) - 1) + [b], float(eta), X)
        values.append(float(np.sum((f - y) ** 2) + beta * regularizer([*Ws, w])))
    return values


def spline_network(c: np.ndarray, a0: np.ndarray, alpha: np.ndarray, eta: float, depth: int,
                   t: float):
    """Our own depth-``L`` network computing ``Dα + η`` on ``X = outer(c, a0)``: width-one
    first ``L-2`` layers of norm ``t`` (gain ``g = ||a0|| t^{L-2}``) and balanced ReLUs
    ``(o(c - c_j))_+`` in the last hidden layer, one per nonzero ``α_j``. Cost
    ``(L-2)t^2 + 2||α||_1/g``."""
    m = c.size
    gain = float(np.linalg.norm(a0)) * t ** (depth - 2)
    keep = np.flatnonzero(alpha)
    orientation = np.where(keep < m, 1.0, -1.0)
    kinks = np.concatenate([c, c])[keep]
    alpha = alpha[keep]
    radius = np.sqrt(np.abs(alpha) / gain)
    weights = []
    if depth == 2:
        weights.append(np.outer(a0 / np.linalg.norm(a0), orientation * radius))
    else:
        weights.append(t * (a0 / np.linalg.norm(a0))[:, None])
        weights += [t * np.ones((1, 1)) for _ in range(depth - 3)]
        weights.append((orientation * radius)[None, :])
    weights.append(np.sign(alpha) * radius)
    biases = [None] * (depth - 2) + [-orientation * kinks * gain * radius]
    return weights, biases, eta


# --- cached instances --------------------------------------------------------------------------

@cache
def min_norm_case(kind: str, depth: int):
    X, y, c, a0 = min_norm_data(kind)
    cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=None)
    return X, y, c, a0, cert, min_norm_reference(c, a0, y, depth)


@cache
def regularized_case(kind: str, depth: int, beta: float = REG_BETA):
    X, y, c, a0 = regularized_data(kind)
    cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=beta)
    return X, y, c, a0, cert


@cache
def regularized_reference(kind: str, depth: int, beta: float = REG_BETA) -> float:
    _, y, c, a0 = regularized_data(kind)
    if depth == 2:
        return two_layer_reference(c, a0, y, beta)
    return deep_regularized_reference(c, a0, y, beta, depth)


CASES = [pytest.param(kind, depth, id=f"{kind}-L{depth}") for kind in KINDS for depth in DEPTHS]


# --- the references are trustworthy ------------------------------------------------------------

@pytest.mark.parametrize("widths", [(4,), (3, 4, 5)])
def test_training_gradient_is_exact(widths):
    rng = np.random.default_rng(1)
    X, c, a0 = make_inputs("3d", 2)
    y = rng.standard_normal(c.size)
    shapes = _shapes(3, widths)
    theta = rng.standard_normal(sum(int(np.prod(s)) for s in shapes))
    value, grad = training_objective(theta, X, y, 0.3, shapes)
    error = check_grad(lambda t: training_objective(t, X, y, 0.3, shapes)[0],
                       lambda t: training_objective(t, X, y, 0.3, shapes)[1], theta)
    assert error <= 1e-5 * np.linalg.norm(grad)


@pytest.mark.parametrize("depth", DEPTHS)
def test_spline_network_attains_the_reduced_objective(depth):
    """Any ``(α, η)`` is attained by a network of the family at cost
    ``L (||α||_1/||a0||)^{2/L}`` (``t`` from AM–GM), so path values are achievable."""
    X, c, a0 = make_inputs("3d", 3)
    rng = np.random.default_rng(4)
    alpha = rng.standard_normal(2 * c.size) * (rng.uniform(size=2 * c.size) < 0.5)
    rho = float(np.sum(np.abs(alpha)))
    t = (rho / np.linalg.norm(a0)) ** (1.0 / depth)
    weights, biases, eta = spline_network(c, a0, alpha, 0.7, depth, t)
    np.testing.assert_allclose(forward(weights, biases, eta, X), dictionary(c) @ alpha + 0.7,
                               rtol=1e-12, atol=1e-12)
    assert regularizer(weights) == pytest.approx(
        depth * (rho / np.linalg.norm(a0)) ** (2.0 / depth), rel=1e-12)
    shapes = _shapes(3, tuple(W.shape[1] for W in weights[:-1]))
    theta = np.concatenate([*(W.ravel() for W in weights[:-1]), biases[-1], weights[-1], [0.7]])
    y = rng.standard_normal(c.size)
    value, _ = training_objective(theta, X, y, 0.2, shapes)
    r = dictionary(c) @ alpha + 0.7 - y
    assert value == pytest.approx(r @ r + 0.2 * depth * (rho / np.linalg.norm(a0)) ** (
        2.0 / depth), rel=1e-12)


def test_l1_radius_is_invariant_to_the_scale_split():
    _, y, c, a0 = min_norm_data("3d")
    for factor in (0.01, 3.0, 250.0):
        assert l1_radius(factor * c, y) / np.linalg.norm(a0 / factor) == pytest.approx(
            l1_radius(c, y) / np.linalg.norm(a0), rel=1e-8)


@pytest.mark.parametrize("seed", range(4))
def test_linprog_radius_matches_the_closed_form_on_the_line(seed):
    rng = np.random.default_rng(60 + seed)
    n = int(rng.integers(3, 12))
    x = rng.permutation(np.cumsum(rng.uniform(0.2, 1.0, n)))
    y = rng.standard_normal(n) + (2.5 * x if seed % 2 else 0.0)
    assert l1_radius(x, y) == pytest.approx(spline_radius_1d(x, y), rel=1e-9)
    R, alpha, _ = l1_solution(x, y)
    assert np.count_nonzero(alpha) <= n


# --- 1. minimum norm -----------------------------------------------------------------------------

def kinks_of(network, a0: np.ndarray) -> np.ndarray:
    """Kinks (in ``c`` units along our ``a0``) of the last-hidden neurons that reach the output.

    The first ``L-2`` layers have no bias, so for ``c >= 0`` they map ``c a0`` to ``c h``
    with ``h`` the activations of ``a0``; neuron ``j`` then sees ``c s_j + b_j``."""
    h = a0[None, :]
    for W in network.weights[:-2]:
        h = np.maximum(h @ W, 0.0)
    s = (h @ network.weights[-2])[0]
    b = network.biases[-1]
    effect = np.abs(s * network.weights[-1])
    active = effect > 1e-12 * max(float(effect.max(initial=0.0)), 1e-300)
    return -b[active] / s[active]


def assert_affine_between(network, c: np.ndarray, a0: np.ndarray, knots: np.ndarray) -> None:
    """The output restricted to ``outer(g, a0)`` is affine on every interval between knots."""
    knots = np.unique(knots)
    theta = np.linspace(0.0, 1.0, 11)[1:-1]
    ends = net_forward(network, np.outer(knots, a0))
    scale = max(1.0, float(np.max(np.abs(ends))))
    for i in range(knots.size - 1):
        points = knots[i] + theta * (knots[i + 1] - knots[i])
        inside = net_forward(network, np.outer(points, a0))
        line = (1.0 - theta) * ends[i] + theta * ends[i + 1]
        assert np.max(np.abs(inside - line)) <= AFFINE_RTOL * scale, (knots[i], knots[i + 1])


@pytest.mark.parametrize(("kind", "depth"), CASES)
def test_min_norm_certified_value(kind, depth):
    X, y, c, a0, cert, ref = min_norm_case(kind, depth)
    assert cert.certified is True, cert.reasons
    assert cert.reasons == ()
    assert cert.family == "relu" and cert.depth == depth
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.primal_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert cert.dual_value == pytest.approx(ref, rel=VALUE_RTOL)
    if kind == "1d":
        closed = depth * spline_radius_1d(c, y) ** (2.0 / depth)
        assert cert.training_value == pytest.approx(closed, rel=VALUE_RTOL)
    network = cert.network
    assert network.depth == depth
    assert network.activation == "relu"
    assert network.objective(X, y, None) == pytest.approx(cert.training_value, rel=1e-12)
    assert regularizer(network.weights) == pytest.approx(ref, rel=VALUE_RTOL)
    tol = INTERP_RTOL * max(1.0, float(np.max(np.abs(y))))
    assert np.max(np.abs(net_forward(network, X) - y)) <= tol
    np.testing.assert_allclose(network.forward(X), net_forward(network, X), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("kind", "depth"), CASES)
def test_min_norm_network_is_the_linear_spline(kind, depth):
    """Corollary 4.1: the output is the linear interpolant on ``[min c, max c]``, its kinks are
    data points (also outside the data range), and every layer is rank one (Remark 4.1)."""
    X, y, c, a0, cert, _ = min_norm_case(kind, depth)
    network = cert.network
    order = np.argsort(c)
    grid = np.union1d(np.linspace(c.min(), c.max(), 2001), c)
    spline = np.interp(grid, c[order], y[order])
    assert np.max(np.abs(net_forward(network, np.outer(grid, a0)) - spline)) <= (
        SPLINE_RTOL * np.max(np.abs(y)))
    span = float(c.max() - c.min())
    kinks = kinks_of(network, a0)
    assert kinks.size >= 1
    distance = np.min(np.abs(kinks[:, None] - c[None, :]), axis=1)
    assert np.max(distance) <= KINK_RTOL * span, kinks
    # Affine between consecutive data points and beyond them (on c >= 0).
    assert_affine_between(network, c, a0, np.concatenate([[0.0], c, [c.max() + span]]))
    assert structure.layer_ranks(network) == [1] * depth
    assert len(network.biases) == depth - 1
    assert all(b is None for b in network.biases[:-1])
    assert network.biases[-1] is not None
    assert isinstance(network.intercept, float)


@pytest.mark.parametrize("kind", KINDS)
def test_min_norm_widths_are_honored(kind):
    X, y, c, a0, default, ref = min_norm_case(kind, 4)
    cert = cvxdual.certify(X, y, family="relu", depth=4, widths=(3, 2, 20))
    assert cert.certified is True, cert.reasons
    d = X.shape[1]
    assert [W.shape for W in cert.network.weights] == [(d, 3), (3, 2), (2, 20), (20,)]
    assert cert.network.widths == (3, 2, 20)
    assert cert.network.biases[-1].shape == (20,)
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.training_value == pytest.approx(default.training_value, rel=VALUE_RTOL)
    tol = INTERP_RTOL * max(1.0, float(np.max(np.abs(y))))
    assert np.max(np.abs(net_forward(cert.network, X) - y)) <= tol
    assert structure.layer_ranks(cert.network) == [1] * 4


def test_regularized_widths_are_honored():
    X, y, c, a0, default = regularized_case("3d", 3)
    cert = cvxdual.certify(X, y, family="relu", depth=3, beta=REG_BETA, widths=(2, 30))
    assert cert.certified is True, cert.reasons
    assert [W.shape for W in cert.network.weights] == [(3, 2), (2, 30), (30,)]
    assert cert.training_value == pytest.approx(default.training_value, rel=VALUE_RTOL)


@pytest.mark.parametrize(("depth", "widths"), [(4, (3, 2, 1)), (2, (1,)), (3, (5, 2))])
def test_min_norm_widths_too_small_raise(depth, widths):
    """Random targets on 8 points need several kinks; one or two neurons cannot carry them."""
    X, y, c, a0 = min_norm_data("1d")
    with pytest.raises(cvxdual.ParameterError, match="too small"):
        cvxdual.certify(X, y, family="relu", depth=depth, widths=widths)


def test_min_norm_wrong_number_of_widths_raises():
    X, y, _, _ = min_norm_data("1d")
    with pytest.raises(cvxdual.ParameterError):
        cvxdual.certify(X, y, family="relu", depth=4, widths=(3, 20))


@pytest.mark.parametrize("level", [0.0, -1.25])
@pytest.mark.parametrize("depth", [2, 3, 5])
def test_min_norm_constant_targets_cost_nothing(depth, level):
    """The free intercept fits constant targets (zero weights): the optimum is exactly 0."""
    X, c, a0 = make_inputs("3d", 5)
    y = np.full(c.size, level)
    cert = cvxdual.certify(X, y, family="relu", depth=depth)
    assert cert.certified is True, cert.reasons
    assert abs(cert.training_value) <= 1e-8
    np.testing.assert_allclose(net_forward(cert.network, X), y, rtol=0, atol=1e-9)


@pytest.mark.parametrize("depth", DEPTHS)
def test_two_points(depth):
    """Two points on the line: one ReLU of slope ``Δy/Δx``, so ``R = |Δy/Δx|``; regularized,
    only the difference ``δ = f(x_2) - f(x_1)`` matters: ``min_δ (δ - Δy)^2/2 +
    βL(|δ|/Δx)^{2/L}``."""
    X = np.array([[1.0], [3.5]])
    y = np.array([2.0, -1.0])
    slope = 3.0 / 2.5
    cert = cvxdual.certify(X, y, family="relu", depth=depth)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(depth * slope ** (2.0 / depth), rel=VALUE_RTOL)
    beta = 0.3

    def h(delta: float) -> float:
        return (delta + 3.0) ** 2 / 2.0 + beta * depth * (abs(delta) / 2.5) ** (2.0 / depth)

    ref = minimize_1d(h, -3.0, 0.0, extra=(0.0,))
    reg = cvxdual.certify(X, y, family="relu", depth=depth, beta=beta)
    assert reg.certified is True, reg.reasons
    assert reg.training_value == pytest.approx(ref, rel=VALUE_RTOL)


@pytest.mark.parametrize(("kind", "depth"), [("1d", 2), ("3d", 4)])
def test_min_norm_needs_at_most_n_neurons(kind, depth):
    """Carathéodory (proof of Theorem 4.1: at most n + 1 Diracs): a basic solution of the ℓ1
    program has at most n kinks; our own network with those neurons attains the optimum, so
    widths ending in n are enough and certify must accept them."""
    X, y, c, a0, cert, ref = min_norm_case(kind, depth)
    R, alpha, eta = l1_solution(c, y)
    assert np.count_nonzero(alpha) <= c.size
    t = (R / np.linalg.norm(a0)) ** (1.0 / depth)
    weights, biases, eta = spline_network(c, a0, alpha, eta, depth, t)
    assert weights[-1].size <= c.size
    assert regularizer(weights) == pytest.approx(ref, rel=1e-9)
    np.testing.assert_allclose(forward(weights, biases, eta, X), y, rtol=0, atol=1e-8)
    widths = (1,) * (depth - 2) + (c.size,)
    narrow = cvxdual.certify(X, y, family="relu", depth=depth, widths=widths)
    assert narrow.certified is True, narrow.reasons
    assert narrow.network.widths == widths
    assert narrow.training_value == pytest.approx(ref, rel=VALUE_RTOL)


@pytest.mark.parametrize(("kind", "depth", "beta"), [("1d", 2, None), ("3d", 4, None),
                                                     ("1d", 3, REG_BETA)])
def test_default_width_is_within_the_caratheodory_bound(kind, depth, beta):
    """``widths=None`` promises the fewest neurons the optimum needs; n + 1 always suffice."""
    if beta is None:
        X, y, c, a0, cert, _ = min_norm_case(kind, depth)
    else:
        X, y, c, a0, cert = regularized_case(kind, depth, beta)
    assert cert.network.widths[-1] <= c.size + 1, cert.network.widths


# --- 2. regularized ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_regularized_two_layer_matches_reference(kind):
    X, y, c, a0, cert = regularized_case(kind, 2)
    ref = regularized_reference(kind, 2)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert cert.network.objective(X, y, REG_BETA) == pytest.approx(cert.training_value,
                                                                   rel=1e-12)
    fit = float(np.sum((net_forward(cert.network, X) - y) ** 2))
    assert fit + REG_BETA * regularizer(cert.network.weights) == pytest.approx(ref,
                                                                             rel=VALUE_RTOL)
    # The instance is not trivial: the optimum keeps kinks and beats the constant fit.
    assert ref < 0.5 * float(np.sum((y - y.mean()) ** 2))


@pytest.mark.parametrize(("kind", "depth"), [pytest.param(k, L, id=f"{k}-L{L}")
                                             for k in KINDS for L in (3, 4, 5)])
def test_regularized_deep_certified(kind, depth):
    X, y, c, a0, cert = regularized_case(kind, depth)
    assert cert.certified is True, cert.reasons
    assert cert.dual_value <= cert.training_value * (1 + WEAK_RTOL)
    assert cert.network.objective(X, y, REG_BETA) == pytest.approx(cert.training_value,
                                                                   rel=1e-12)
    fit = float(np.sum((net_forward(cert.network, X) - y) ** 2))
    assert fit + REG_BETA * regularizer(cert.network.weights) == pytest.approx(
        cert.training_value, rel=1e-10)
    assert all(b is None for b in cert.network.biases[:-1])
    assert structure.layer_ranks(cert.network) == [1] * depth
    kinks = kinks_of(cert.network, a0)
    distance = np.min(np.abs(kinks[:, None] - c[None, :]), axis=1)
    assert np.max(distance, initial=0.0) <= KINK_RTOL * float(np.ptp(c))


@pytest.mark.parametrize(("kind", "depth"), [("1d", 3), ("3d", 3), ("1d", 5), ("3d", 4)])
def test_regularized_deep_matches_lasso_path_search(kind, depth):
    """Our path search is attainable (an upper bound on the optimum) and the certificate's
    lower bound may not exceed it; both agree with the certified value."""
    X, y, c, a0, cert = regularized_case(kind, depth)
    ref = regularized_reference(kind, depth)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert cert.training_value <= ref * (1 + VALUE_RTOL)
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert ref < 0.5 * float(np.sum((y - y.mean()) ** 2))


@pytest.mark.parametrize("depth", [3, 5])
def test_regularized_deep_small_beta_random_targets(depth):
    """Small β on random targets (close to interpolation, ρ near the minimum-norm radius)."""
    X, y, c, a0 = min_norm_data("1d")
    beta = 1e-3
    cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=beta)
    ref = deep_regularized_reference(c, a0, y, beta, depth)
    assert cert.training_value <= ref * (1 + VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)


@pytest.mark.parametrize("depth", [3, 4])
def test_regularized_deep_across_the_jump_to_zero(depth):
    """For ``L >= 3`` the penalty ``βL(ρ/||a0||)^{2/L}`` is concave: the optimum jumps from a
    network with kinks to the constant fit at a critical β (our path search). Just below it
    the certificate must keep the kinks, just above it return the constant."""
    X, y, c, a0 = regularized_data("3d", seed=4)
    constant = float(np.sum((y - y.mean()) ** 2))
    critical = critical_beta(c, a0, y, depth)
    below = cvxdual.certify(X, y, family="relu", depth=depth, beta=0.97 * critical)
    ref = deep_regularized_reference(c, a0, y, 0.97 * critical, depth)
    assert ref < constant * (1 - 1e-4)
    assert below.certified is True, below.reasons
    assert below.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert regularizer(below.network.weights) > 0.0
    above = cvxdual.certify(X, y, family="relu", depth=depth, beta=1.03 * critical)
    assert above.certified is True, above.reasons
    assert above.training_value == pytest.approx(constant, rel=VALUE_RTOL)
    np.testing.assert_allclose(net_forward(above.network, X), y.mean(), rtol=0, atol=1e-6)


TRAIN_WIDTHS = {2: (10,), 3: (4, 10), 4: (3, 3, 6), 5: (3, 3, 3, 5)}
TRAIN_SEEDS = {2: range(8), 3: range(8), 4: range(3), 5: range(3)}


@pytest.mark.parametrize(("kind", "depth"), CASES)
def test_trained_networks_never_beat_the_certificate(kind, depth):
    X, y, c, a0, cert = regularized_case(kind, depth)
    assert cert.certified is True, cert.reasons
    values = train(X, y, REG_BETA, TRAIN_WIDTHS[depth], TRAIN_SEEDS[depth])
    scale = abs(cert.training_value)
    assert min(values) >= cert.training_value - TRAIN_SLACK * scale
    assert min(values) >= cert.dual_value - TRAIN_SLACK * scale
    if depth <= 3:   # soft: gradient training gets near, not to, the optimum (DESIGN.md)
        assert min(values) <= cert.training_value * (1 + SOFT_TRAIN_RTOL)


@pytest.mark.parametrize("depth", DEPTHS)
def test_regularized_value_is_monotone_in_beta(depth):
    X, y, _, _ = regularized_data("1d", seed=1)
    constant = float(np.sum((y - y.mean()) ** 2))
    values = []
    for beta in (0.003, 0.03, 0.3, 3.0):
        cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=beta)
        assert cert.certified is True, (beta, cert.reasons)
        values.append(cert.training_value)
    assert all(b >= a * (1 - VALUE_RTOL) for a, b in zip(values[:-1], values[1:], strict=True))
    assert values[0] < values[-1]
    assert values[-1] <= constant * (1 + 1e-12)


@pytest.mark.parametrize("depth", DEPTHS)
def test_huge_beta_gives_the_constant_fit(depth):
    X, y, c, a0 = regularized_data("3d", seed=2)
    cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=1e6)
    assert cert.certified is True, cert.reasons
    constant = float(np.sum((y - y.mean()) ** 2))
    assert cert.training_value == pytest.approx(constant, rel=1e-9)
    np.testing.assert_allclose(net_forward(cert.network, X), y.mean(), rtol=0, atol=1e-6)


# --- 3. scaling ----------------------------------------------------------------------------------

SCALES = [(1e3, 1e-2), (1e-2, 50.0)]


@pytest.mark.parametrize(("a", "b"), SCALES)
@pytest.mark.parametrize("depth", [2, 3, 5])
def test_min_norm_scaling(depth, a, b):
    """``f(aX) = b f(X)`` with each layer scaled by ``(b/a)^{1/L}``: values scale by
    ``(b/a)^{2/L}``."""
    X, y, c, a0, cert, ref = min_norm_case("3d", depth)
    scaled = cvxdual.certify(a * X, b * y, family="relu", depth=depth)
    assert scaled.certified is True, scaled.reasons
    assert scaled.training_value == pytest.approx((b / a) ** (2.0 / depth) * ref,
                                                  rel=VALUE_RTOL)
    tol = INTERP_RTOL * max(1.0, float(np.max(np.abs(b * y))))
    assert np.max(np.abs(net_forward(scaled.network, a * X) - b * y)) <= tol


@pytest.mark.parametrize(("a", "b"), SCALES)
@pytest.mark.parametrize("depth", [2, 3, 5])
def test_regularized_scaling(depth, a, b):
    """With ``β' = β b^{2-2/L} a^{2/L}`` the objective on ``(aX, by)`` is ``b^2`` times the one
    on ``(X, y)``."""
    X, y, c, a0, cert = regularized_case("3d", depth)
    beta = REG_BETA * b ** (2.0 - 2.0 / depth) * a ** (2.0 / depth)
    scaled = cvxdual.certify(a * X, b * y, family="relu", depth=depth, beta=beta)
    assert scaled.certified is True, scaled.reasons
    assert scaled.training_value == pytest.approx(b * b * cert.training_value, rel=VALUE_RTOL)
    fit = float(np.sum((net_forward(scaled.network, a * X) - b * y) ** 2))
    assert fit + beta * regularizer(scaled.network.weights) == pytest.approx(
        scaled.training_value, rel=1e-10)
    if depth == 2:   # convex: the fitted values are unique
        np.testing.assert_allclose(net_forward(scaled.network, a * X),
                                   b * net_forward(cert.network, X),
                                   rtol=0, atol=1e-5 * b * np.max(np.abs(y)))


@pytest.mark.parametrize("depth", [3, 4])
def test_translation_along_the_line_changes_nothing(depth):
    """For ``x >= 0`` the deep network reduces to a two-layer one on ``x``, whose dictionary
    and free intercept are translation invariant."""
    X, y, c, a0, cert, ref = min_norm_case("1d", depth)
    shifted = cvxdual.certify(X + 20.0, y, family="relu", depth=depth)
    assert shifted.certified is True, shifted.reasons
    assert shifted.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    X, y, c, a0, cert = regularized_case("1d", depth)
    shifted = cvxdual.certify(X + 20.0, y, family="relu", depth=depth, beta=REG_BETA)
    assert shifted.certified is True, shifted.reasons
    assert shifted.training_value == pytest.approx(cert.training_value, rel=VALUE_RTOL)


# --- 4. no bias (Theorem 4.1) --------------------------------------------------------------------

@pytest.mark.parametrize("kappa", [2.3, -0.6])
@pytest.mark.parametrize(("kind", "depth"), CASES)
def test_no_bias_min_norm(kind, depth, kappa):
    """Without biases ``f(c a0) = κ c``; the least-norm such network costs
    ``L (|κ|/||a0||)^{2/L}`` (a two-layer path of gain ``||a0|| Π t_l``, AM–GM)."""
    X, c, a0 = make_inputs(kind, 6)
    y = kappa * c
    cert = cvxdual.certify(X, y, family="relu", depth=depth, bias=False)
    ref = depth * (abs(kappa) / np.linalg.norm(a0)) ** (2.0 / depth)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert regularizer(cert.network.weights) == pytest.approx(ref, rel=VALUE_RTOL)
    assert all(b is None for b in cert.network.biases)
    assert cert.network.intercept == 0.0
    tol = INTERP_RTOL * max(1.0, float(np.max(np.abs(y))))
    assert np.max(np.abs(net_forward(cert.network, X) - y)) <= tol


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_no_bias_min_norm_infeasible(depth):
    X, y, c, a0 = min_norm_data("3d")
    with pytest.raises(cvxdual.InfeasibleError):
        cvxdual.certify(X, y, family="relu", depth=depth, bias=False)
    # A constant shift of κc is out of reach without biases, too.
    with pytest.raises(cvxdual.InfeasibleError):
        cvxdual.certify(X, 1.5 * c + 0.2, family="relu", depth=depth, bias=False)


@pytest.mark.parametrize("beta", [0.05, 2.0])
@pytest.mark.parametrize(("kind", "depth"), CASES)
def test_no_bias_regularized(kind, depth, beta):
    X, y, c, a0 = regularized_data(kind, seed=3)
    cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=beta, bias=False)
    ref = no_bias_reference(c, a0, y, beta, depth)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    fit = float(np.sum((net_forward(cert.network, X) - y) ** 2))
    assert fit + beta * regularizer(cert.network.weights) == pytest.approx(ref, rel=VALUE_RTOL)
    assert all(b is None for b in cert.network.biases)


def test_no_bias_widths_are_honored():
    X, c, a0 = make_inputs("3d", 7)
    y = 0.8 * c
    cert = cvxdual.certify(X, y, family="relu", depth=4, bias=False, widths=(2, 3, 4))
    assert cert.certified is True, cert.reasons
    assert [W.shape for W in cert.network.weights] == [(3, 2), (2, 3), (3, 4), (4,)]
    assert cert.training_value == pytest.approx(4 * (0.8 / np.linalg.norm(a0)) ** 0.5,
                                                rel=VALUE_RTOL)


# --- 5. bad data ---------------------------------------------------------------------------------

def test_rank_two_data_is_rejected():
    X, y, c, a0 = min_norm_data("3d")
    other = np.random.default_rng(8).standard_normal(X.shape)
    with pytest.raises(cvxdual.DataError, match="rank-one"):
        cvxdual.certify(X + 0.1 * other, y, family="relu", depth=3)
    # Depth 2 on general data goes to the exchange method (cvxdual.semi_infinite).
    assert cvxdual.certify(X + 0.1 * other, y, family="relu", depth=2, beta=0.1).certified


def mixed_sign_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    _, c, a0 = make_inputs("3d", 9)
    c = c - np.median(c)
    y = np.random.default_rng(9).standard_normal(c.size)
    return np.outer(c, a0), y, c, a0


@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("beta", [None, 0.1])
def test_mixed_sign_inputs_need_depth_two(depth, beta):
    X, y, c, a0 = mixed_sign_data()
    with pytest.raises(cvxdual.DataError):
        cvxdual.certify(X, y, family="relu", depth=depth, beta=beta)


def test_mixed_sign_inputs_at_depth_two():
    X, y, c, a0 = mixed_sign_data()
    cert = cvxdual.certify(X, y, family="relu", depth=2)
    ref = min_norm_reference(c, a0, y, 2)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    order = np.argsort(c)
    grid = np.linspace(c.min(), c.max(), 1001)
    assert np.max(np.abs(net_forward(cert.network, np.outer(grid, a0))
                         - np.interp(grid, c[order], y[order]))) <= SPLINE_RTOL * np.max(
        np.abs(y))
    reg = cvxdual.certify(X, y, family="relu", depth=2, beta=0.2)
    assert reg.certified is True, reg.reasons
    assert reg.training_value == pytest.approx(two_layer_reference(c, a0, y, 0.2),
                                               rel=VALUE_RTOL)


@pytest.mark.parametrize("depth", [3, 4])
def test_one_sided_negative_inputs_are_mirrored(depth):
    """All ``c <= 0`` is one sign: ``x -> -x`` mirrors the spline and keeps ``R``."""
    X, y, c, a0, cert, ref = min_norm_case("1d", depth)
    mirrored = cvxdual.certify(-X, y, family="relu", depth=depth)
    assert mirrored.certified is True, mirrored.reasons
    assert mirrored.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    tol = INTERP_RTOL * max(1.0, float(np.max(np.abs(y))))
    assert np.max(np.abs(net_forward(mirrored.network, -X) - y)) <= tol


def duplicated_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, c, a0 = make_inputs("3d", 11)
    rng = np.random.default_rng(11)
    c = np.concatenate([c, c[[1, 4, 4]]])
    y = np.sin(c) + 0.5 * rng.standard_normal(c.size)
    return np.outer(c, a0), y, c, a0


@pytest.mark.parametrize("depth", [2, 3])
def test_duplicated_inputs_with_different_targets_are_infeasible(depth):
    X, y, c, a0 = duplicated_data()
    with pytest.raises(cvxdual.InfeasibleError):
        cvxdual.certify(X, y, family="relu", depth=depth)


@pytest.mark.parametrize("depth", [2, 3])
def test_duplicated_inputs_regularized(depth):
    """Duplicates contribute their within-group variance; the rest is the problem on the group
    means (each counted once per duplicate)."""
    X, y, c, a0 = duplicated_data()
    beta = 0.05
    cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=beta)
    assert cert.certified is True, cert.reasons
    means = np.array([y[c == ci].mean() for ci in c])
    within = float(np.sum((y - means) ** 2))
    assert within > 0.01
    if depth == 2:
        ref = within + two_layer_reference(c, a0, means, beta)
        assert two_layer_reference(c, a0, y, beta) == pytest.approx(ref, rel=1e-8)
    else:
        ref = within + deep_regularized_reference(c, a0, means, beta, depth)
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.training_value <= ref * (1 + VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)


def test_vector_targets_are_rejected():
    X, y, _, _ = min_norm_data("3d")
    with pytest.raises(cvxdual.DataError):
        cvxdual.certify(X, np.column_stack([y, -y]), family="relu", depth=3)
    with pytest.raises(cvxdual.DataError):
        cvxdual.certify(X, np.column_stack([y, -y]), family="relu", depth=2, beta=0.1)


def test_zero_data_is_rejected():
    y = np.random.default_rng(12).standard_normal(6)
    for depth, beta, bias in [(2, None, True), (3, 0.1, True), (3, None, False)]:
        with pytest.raises(cvxdual.DataError):
            cvxdual.certify(np.zeros((6, 3)), y, family="relu", depth=depth, beta=beta,
                            bias=bias)


@pytest.mark.parametrize("family", ["linear", "deep-linear"])
def test_bias_false_needs_the_relu_family(family):
    X, y, c, _ = min_norm_data("3d")
    with pytest.raises(cvxdual.ParameterError):
        cvxdual.certify(X, 0.5 * c, family=family, bias=False)


# --- 6. builders ---------------------------------------------------------------------------------

def inputs_for(kind: str, depth: int, regularized: bool = False):
    X, y, c, a0 = regularized_data(kind) if regularized else min_norm_data(kind)
    return relu.rank_one_inputs(cvxdual.as_dataset(X, y), depth), y, c, a0


@pytest.mark.parametrize(("kind", "depth"), [("1d", 2), ("3d", 3), ("1d", 4)])
def test_min_norm_builders_strong_duality(kind, depth):
    inputs, y, c, a0 = inputs_for(kind, depth)
    primal_program = relu.spline_primal(inputs)
    dual_program = relu.spline_dual(inputs)
    assert primal_program.problem.is_dpp() and dual_program.problem.is_dpp()
    primal = cvxdual.solve(primal_program)
    dual = cvxdual.solve(dual_program)
    # At the default layer norm t = 1: 2R/||a0|| + (L - 2).
    expected = 2.0 * l1_radius(c, y) / np.linalg.norm(a0) + (depth - 2)
    assert primal.training_value == pytest.approx(expected, rel=VALUE_RTOL)
    assert dual.training_value == pytest.approx(primal.training_value, rel=VALUE_RTOL)


@pytest.mark.parametrize(("kind", "depth"), [("1d", 2), ("3d", 2), ("3d", 3), ("1d", 4)])
def test_regularized_builders_strong_duality(kind, depth):
    inputs, y, c, a0 = inputs_for(kind, depth, regularized=True)
    beta = 0.05
    primal_program = relu.spline_primal(inputs, beta)
    dual_program = relu.spline_dual(inputs, beta)
    assert primal_program.problem.is_dpp() and dual_program.problem.is_dpp()
    primal = cvxdual.solve(primal_program)
    dual = cvxdual.solve(dual_program)
    # At t = 1 the gain is ||a0||.
    expected = two_layer_reference(c, a0, y, beta) + beta * (depth - 2)
    assert primal.training_value == pytest.approx(expected, rel=VALUE_RTOL)
    assert dual.training_value == pytest.approx(primal.training_value, rel=VALUE_RTOL)


@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("regularized", [False, True])
def test_setting_t_equals_rebuilding(depth, regularized):
    inputs, y, c, a0 = inputs_for("3d", depth, regularized)
    beta = 0.05 if regularized else None
    t = 0.6
    gain = np.linalg.norm(a0) * t ** (depth - 2)
    if regularized:
        expected = two_layer_reference(c, a0 * t ** (depth - 2), y, beta) + beta * (
            depth - 2) * t * t
    else:
        expected = 2.0 * l1_radius(c, y) / gain + (depth - 2) * t * t
    for builder in (relu.spline_primal, relu.spline_dual):
        program = builder(inputs, beta)
        cvxdual.solve(program)
        program.set("t", t)
        assert program.problem.is_dpp()
        reused = cvxdual.solve(program)
        rebuilt = cvxdual.solve(builder(inputs, beta, t))
        assert reused.training_value == pytest.approx(rebuilt.training_value, rel=VALUE_RTOL)
        assert reused.training_value == pytest.approx(expected, rel=VALUE_RTOL)


def test_setting_beta_equals_rebuilding():
    inputs, y, c, a0 = inputs_for("1d", 2, regularized=True)
    for builder in (relu.spline_primal, relu.spline_dual):
        program = builder(inputs, 0.05)
        cvxdual.solve(program)
        program.set_beta(0.4)
        reused = cvxdual.solve(program)
        rebuilt = cvxdual.solve(builder(inputs, 0.4))
        assert reused.training_value == pytest.approx(rebuilt.training_value, rel=VALUE_RTOL)
        assert reused.training_value == pytest.approx(two_layer_reference(c, a0, y, 0.4),
                                                      rel=VALUE_RTOL)


def brute_force_oracle(c: np.ndarray, lam: np.ndarray, grid: np.ndarray) -> float:
    return float(np.max(np.abs(dictionary(c, grid).T @ lam)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spline_oracle_is_the_grid_maximum(seed):
    rng = np.random.default_rng(50 + seed)
    c = rng.uniform(0.0, 4.0, 9)
    lam = rng.standard_normal(9)
    lam -= lam.mean()
    outside = np.linspace(c.min() - 3.0, c.max() + 3.0, 20001)
    exact = relu.spline_oracle(c, lam)
    assert exact == pytest.approx(brute_force_oracle(c, lam, np.union1d(outside, c)), rel=1e-12)
    # A grid that misses the data points can only see less.
    assert brute_force_oracle(c, lam, outside) <= exact * (1 + 1e-12)
    assert brute_force_oracle(c, lam, outside) >= exact * (1 - 1e-3)


@pytest.mark.parametrize(("kind", "depth"), [("1d", 2), ("3d", 3)])
def test_data_point_dictionary_is_exact(kind, depth):
    """The dual point of the data-point dictionary satisfies the constraint at every bias, and a
    finer bias grid containing the data points changes nothing."""
    inputs, y, c, a0 = inputs_for(kind, depth)
    dual = cvxdual.solve(relu.spline_dual(inputs))
    lam = dual.variables["lam"]
    lam = lam - lam.mean()
    ci = inputs.c
    biases = np.union1d(np.linspace(ci.min() - 2.0 * np.ptp(ci), ci.max() + 2.0 * np.ptp(ci),
                                    40001), ci)
    assert brute_force_oracle(ci, lam, biases) <= 1.0 + DUAL_FEAS_ATOL
    # Strong duality with our linprog R (training value at t = 1).
    expected = 2.0 * l1_radius(c, y) / np.linalg.norm(a0) + (depth - 2)
    assert dual.training_value == pytest.approx(expected, rel=VALUE_RTOL)
    grid = np.union1d(np.linspace(ci.min() - 1.0, ci.max() + 1.0, 37), ci)
    finer = cvxdual.solve(relu.discretized_dual(inputs, grid))
    assert finer.training_value == pytest.approx(dual.training_value, rel=VALUE_RTOL)
    # Kinks only between the data points (one per gap) still interpolate, at a higher cost.
    ordered = np.sort(ci)
    between = np.concatenate([[ordered[0] - 1.0], 0.5 * (ordered[1:] + ordered[:-1]),
                              [ordered[-1] + 1.0]])
    coarse = cvxdual.solve(relu.discretized_dual(inputs, between))
    assert coarse.training_value >= dual.training_value * (1 - VALUE_RTOL)


def test_regularized_discretized_dual_with_data_points_is_exact():
    inputs, y, c, a0 = inputs_for("3d", 2, regularized=True)
    ci = inputs.c
    dual = cvxdual.solve(relu.spline_dual(inputs, 0.05))
    lam = dual.variables["lam"] - dual.variables["lam"].mean()
    biases = np.union1d(np.linspace(ci.min() - 2.0 * np.ptp(ci), ci.max() + 2.0 * np.ptp(ci),
                                    40001), ci)
    bound = 0.05 / inputs.gain   # β/g at t = 1
    assert brute_force_oracle(ci, lam, biases) <= bound * (1.0 + DUAL_FEAS_ATOL)
    grid = np.union1d(np.linspace(ci.min() - 1.0, ci.max() + 1.0, 23), ci)
    finer = cvxdual.solve(relu.discretized_dual(inputs, grid, 0.05))
    assert finer.training_value == pytest.approx(two_layer_reference(c, a0, y, 0.05),
                                                 rel=VALUE_RTOL)


@pytest.mark.parametrize("shift", [1e3, 1e6])
@pytest.mark.parametrize(("depth", "beta"), [(2, None), (3, None), (3, 0.05)])
def test_far_shifted_inputs_certify_like_the_original(shift, depth, beta):
    """The dictionary depends on c only through differences, so moving 1-D data far from the
    origin must not change the optimum (for L >= 3 it stays on one side of the origin)."""
    rng = np.random.default_rng(77)
    x = np.sort(rng.uniform(0.0, 4.0, 9))
    y = np.sin(2.0 * x)
    base = cvxdual.certify(x[:, None], y, family="relu", depth=depth, beta=beta)
    moved = cvxdual.certify((x + shift)[:, None], y, family="relu", depth=depth, beta=beta)
    assert base.certified and moved.certified, moved.reasons
    assert moved.training_value == pytest.approx(base.training_value, rel=1e-6)
    grid = np.linspace(x.min(), x.max(), 101)
    np.testing.assert_allclose(moved.network.forward((grid + shift)[:, None]),
                               base.network.forward(grid[:, None]),
                               atol=1e-5 * max(1.0, float(np.max(np.abs(y)))))
