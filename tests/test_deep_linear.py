"""Tests of deep linear networks (paper §3): certificates, programs, extractor and structure.

Every expected value is derived here, in NumPy/SciPy, independently of cvxdual:

* minimum norm (15)/(22): ``min Σ_l ||W_l||_F^2 s.t. X W_1 ⋯ W_L = Y`` equals
  ``L Σ_i σ_i(X^+ Y)^{2/L}`` (``L ||X^+ y||^{2/L}`` for a scalar output);
* regularized (1), scalar output: ``min_v ||Xv - y||^2 + βL||v||^{2/L}`` by our own 1-D search
  along the ridge path ``v(μ) = (X^T X + μI)^{-1} X^T y`` (every nonzero stationary point lies on
  it, with ``μ = β ||v||^{2/L - 2}``), compared with ``v = 0``;
* regularized (1), vector output with ``X^T X = I``: one 1-D problem
  ``min_{s >= 0} (s - c_i)^2 + βL s^{2/L}`` per singular value ``c_i`` of ``X^T Y``, solved by a
  dense grid and refinement;
* small deep linear networks trained here by L-BFGS (exact gradients, seeded restarts), which
  can never beat a proven lower bound.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy.optimize import check_grad, minimize, minimize_scalar

import cvxdual
from cvxdual import structure
from cvxdual.extract import deep_linear_network
from cvxdual.families import deep_linear
from cvxdual.fast import deep_linear_regularized_scalar, schatten_shrink

# --- tolerances --------------------------------------------------------------------------------

VALUE_RTOL = 1e-6        # certified value vs. independent reference
BRACKET_RTOL = 1e-9      # the 1-D branch and bound's bracket vs. our reference, and its width
WEAK_RTOL = 1e-10        # a lower bound may exceed a value only by round-off
INTERP_ATOL = 1e-7       # max |f(X) - Y| / max(1, max |Y|) for minimum-norm networks
STRUCTURE_RTOL = 1e-8    # equal layer norms (Proposition 3.1), end-to-end matrix
ALIGN_ATOL = 1e-8        # alignment cosines are 1 up to this
TRAIN_RTOL = 1e-4        # best trained restart vs. certified scalar optimum
RANK_RTOL = 1e-9         # singular values below this (relative) count as zero in references

DEPTHS = (2, 3, 4, 5, 6)
K = 3
#: name -> (n, d): n < d and n > d.
SHAPES = {"wide": (8, 14), "tall": (20, 6)}
OUTPUTS = ("scalar", "vector")


# --- independent references --------------------------------------------------------------------

def _singular_values(A: np.ndarray) -> np.ndarray:
    return np.linalg.svd(A.reshape(A.shape[0], -1), compute_uv=False)


def _rank(V: np.ndarray) -> int:
    s = _singular_values(V)
    return 0 if s.size == 0 or s[0] == 0 else int(np.count_nonzero(s > RANK_RTOL * s[0]))


def schatten_value(V: np.ndarray, depth: int) -> float:
    """``min Σ_l ||W_l||_F^2`` over depth-``L`` factorizations of ``V``: ``L Σ σ_i^{2/L}``.

    Singular values at round-off level are zeros of a rank-deficient ``V``: raised to the power
    ``2/L`` they would otherwise count (``(1e-16)^{1/3} ≈ 5e-6``)."""
    sigma = _singular_values(V)
    sigma = sigma[sigma > 1e-12 * sigma[0]] if sigma.size and sigma[0] > 0 else sigma[:0]
    return float(depth * np.sum(sigma ** (2.0 / depth)))


def min_norm_reference(X: np.ndarray, Y: np.ndarray, depth: int) -> float:
    return schatten_value(np.linalg.pinv(X) @ Y, depth)


def _refine_minimum(f, grid: np.ndarray, values: np.ndarray, keep: int = 6) -> tuple[float, float]:
    """Best point of ``f`` over a grid, each of the ``keep`` lowest grid local minima refined by
    bounded Brent between its neighbours."""
    best = int(np.argmin(values))
    best_x, best_f = float(grid[best]), float(values[best])
    interior = np.arange(1, grid.size - 1)
    local = interior[(values[1:-1] <= values[:-2]) & (values[1:-1] <= values[2:])]
    local = local[np.argsort(values[local])][:keep]
    for i in local:
        result = minimize_scalar(f, bounds=(grid[i - 1], grid[i + 1]), method="bounded",
                                 options={"xatol": 1e-14, "maxiter": 1000})
        if result.fun < best_f:
            best_x, best_f = float(result.x), float(result.fun)
    return best_x, best_f


def scalar_regularized_reference(X: np.ndarray, y: np.ndarray, beta: float,
                                 depth: int) -> tuple[float, np.ndarray]:
    """``min_v ||Xv - y||^2 + βL||v||^{2/L}`` by a search along the ridge path, and ``v = 0``.

    A nonzero minimizer satisfies ``(X^T X + μI) v = X^T y`` with ``μ = β ||v||^{2/L - 2} > 0``,
    so it is on the ridge path; the objective along the path is searched on a fine grid in
    ``log μ`` and every promising local minimum refined.
    """
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    r = int(np.count_nonzero(s > 1e-12 * s[0]))
    U, s, Vt = U[:, :r], s[:r], Vt[:r]
    c = U.T @ y
    outside = float(y @ y - c @ c)
    power = 2.0 / depth

    def objective_many(log_mu: np.ndarray) -> np.ndarray:
        mu = np.exp(log_mu)[:, None]
        fit = np.sum((mu * c / (s ** 2 + mu)) ** 2, axis=1) + outside
        norm = np.linalg.norm(s * c / (s ** 2 + mu), axis=1)
        return fit + beta * depth * norm ** power

    def objective(log_mu: float) -> float:
        return float(objective_many(np.array([log_mu]))[0])

    grid = np.linspace(2.0 * np.log(s[-1]) - 30.0, 2.0 * np.log(s[0]) + 30.0, 8001)
    log_mu, value = _refine_minimum(objective, grid, objective_many(grid))
    zero = float(y @ y)
    if zero <= value:
        return zero, np.zeros(X.shape[1])
    mu = np.exp(log_mu)
    v = Vt.T @ (s * c / (s ** 2 + mu))
    # Self-check: the path point is stationary, μ = β ||v||^{2/L - 2}.
    assert mu == pytest.approx(beta * np.linalg.norm(v) ** (power - 2.0), rel=1e-5)
    return float(np.sum((X @ v - y) ** 2) + beta * depth * np.linalg.norm(v) ** power), v


def shrink_reference(c: float, beta: float, depth: int) -> tuple[float, float]:
    """``min_{s >= 0} (s - c)^2 + βL s^{2/L}`` (minimizer in ``[0, c]``): grid plus refinement."""
    power = 2.0 / depth

    def h(s: np.ndarray | float) -> np.ndarray | float:
        return (s - c) ** 2 + beta * depth * np.abs(s) ** power

    grid = np.linspace(0.0, c, 20001)
    s_best, value = _refine_minimum(h, grid, h(grid))
    if h(0.0) <= value:
        return 0.0, float(h(0.0))
    return s_best, value


def orthonormal_regularized_reference(X: np.ndarray, Y: np.ndarray, beta: float,
                                      depth: int) -> tuple[float, np.ndarray]:
    """``X^T X = I``: ``||XV - Y||^2 = ||V - X^T Y||^2 + ||Y||^2 - ||X^T Y||^2`` and the problem
    decouples over the singular values ``c_i`` of ``X^T Y``."""
    assert np.max(np.abs(X.T @ X - np.eye(X.shape[1]))) < 1e-12
    P, c, Rt = np.linalg.svd(X.T @ Y, full_matrices=False)
    parts = [shrink_reference(float(ci), beta, depth) for ci in c]
    shrunk = np.array([p[0] for p in parts])
    value = float(np.sum(Y ** 2) - np.sum(c ** 2) + sum(p[1] for p in parts))
    return value, (P * shrunk) @ Rt


def regularized_objective(X: np.ndarray, Y: np.ndarray, V: np.ndarray, beta: float,
                          depth: int) -> float:
    return float(np.sum((X @ V - Y) ** 2)) + beta * schatten_value(V, depth)


# --- instances ---------------------------------------------------------------------------------

def make_min_norm(shape: str, output: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Interpolable data: a planted linear model (Y in the range of X for every shape)."""
    rng = np.random.default_rng(100 + seed + 10 * list(SHAPES).index(shape))
    n, d = SHAPES[shape]
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d,) if output == "scalar" else (d, K))
    return X, X @ W


def make_regularized(shape: str, output: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(200 + seed + 10 * list(SHAPES).index(shape))
    n, d = SHAPES[shape]
    return rng.standard_normal((n, d)), rng.standard_normal((n,) if output == "scalar" else (n, K))


def make_orthonormal(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(300 + seed)
    X = np.linalg.qr(rng.standard_normal((20, 6)))[0]
    return X, rng.standard_normal((20, K))


def zero_beta(X: np.ndarray, y: np.ndarray) -> float:
    """A β at which ``v = 0`` is optimal for every depth: with ``g(ρ) >= ||y||^2 - 2||X^T y||ρ``
    (convexity) and ``ρ^{2/L} >= ρ`` on ``[0, 1]`` the excess is ``>= ρ(βL - 2||X^T y||)``, and
    for ``ρ > 1`` the penalty alone exceeds ``||y||^2``."""
    return 1.5 * max(float(np.linalg.norm(X.T @ y)), float(y @ y))


@cache
def min_norm_case(shape: str, output: str, depth: int):
    X, Y = make_min_norm(shape, output)
    cert = cvxdual.certify(X, Y, family="deep-linear", depth=depth, beta=None)
    return X, Y, cert, min_norm_reference(X, Y, depth)


SCALAR_BETAS = ("b0.05", "b0.5", "zero")


@cache
def scalar_regularized_case(shape: str, depth: int, beta_name: str):
    X, y = make_regularized(shape, "scalar")
    beta = zero_beta(X, y) if beta_name == "zero" else float(beta_name[1:])
    cert = cvxdual.certify(X, y, family="deep-linear", depth=depth, beta=beta)
    value, v = scalar_regularized_reference(X, y, beta, depth)
    return X, y, beta, cert, value, v


ORTHO_BETAS = (0.05, 0.5, 2.0, 8.0)


@cache
def orthonormal_case(depth: int, beta: float):
    X, Y = make_orthonormal()
    cert = cvxdual.certify(X, Y, family="deep-linear", depth=depth, beta=beta)
    value, V = orthonormal_regularized_reference(X, Y, beta, depth)
    return X, Y, cert, value, V


@cache
def general_vector_case(shape: str, depth: int, beta: float):
    X, Y = make_regularized(shape, "vector", seed=1)
    return X, Y, cvxdual.certify(X, Y, family="deep-linear", depth=depth, beta=beta)


# --- the references are trustworthy ------------------------------------------------------------

@pytest.mark.parametrize("depth", [2, 3, 5])
@pytest.mark.parametrize("beta", [0.1, 1.0, 4.0])
def test_references_agree_on_orthonormal_scalar_data(depth, beta):
    """With ``X^T X = I`` the scalar problem is the 1-D problem at ``c = ||X^T y||``; for
    ``L = 2`` the minimizer is also soft-thresholding."""
    rng = np.random.default_rng(11)
    X = np.linalg.qr(rng.standard_normal((15, 5)))[0]
    y = rng.standard_normal(15)
    c = float(np.linalg.norm(X.T @ y))
    path_value, v = scalar_regularized_reference(X, y, beta, depth)
    s, shrink_value = shrink_reference(c, beta, depth)
    assert path_value == pytest.approx(float(y @ y) - c * c + shrink_value, rel=1e-11)
    assert float(np.linalg.norm(v)) == pytest.approx(s, rel=1e-6, abs=1e-9)
    if depth == 2:
        assert s == pytest.approx(max(c - beta, 0.0), rel=1e-6, abs=1e-9)


def test_schatten_value_is_the_least_norm_factorization():
    """AM–GM: any factorization of V has Σ||W_l||^2 >= L Σ σ_i^{2/L}; balanced layers attain it."""
    rng = np.random.default_rng(12)
    V = rng.standard_normal((6, 3))
    for depth in (2, 3, 4):
        bound = schatten_value(V, depth)
        for _ in range(20):
            mats = [rng.standard_normal((3, 3)) for _ in range(depth - 1)]
            weights = [V @ np.linalg.inv(mats[0])]
            for a, b in zip(mats[:-1], mats[1:], strict=True):
                weights.append(a @ np.linalg.inv(b))
            weights.append(mats[-1])
            np.testing.assert_allclose(np.linalg.multi_dot(weights), V, atol=1e-8)
            assert sum(np.sum(W ** 2) for W in weights) >= bound * (1 - 1e-12)


# --- 1. minimum norm ---------------------------------------------------------------------------

MIN_NORM_CASES = [pytest.param(shape, output, depth, id=f"{shape}-{output}-L{depth}")
                  for shape in SHAPES for output in OUTPUTS for depth in DEPTHS]


@pytest.mark.parametrize(("shape", "output", "depth"), MIN_NORM_CASES)
def test_min_norm_certified_closed_form(shape, output, depth):
    X, Y, cert, ref = min_norm_case(shape, output, depth)
    assert cert.certified is True, cert.reasons
    assert cert.reasons == ()
    assert cert.family == "deep-linear"
    assert cert.depth == depth
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert cert.dual_value <= cert.training_value * (1 + WEAK_RTOL)
    if output == "scalar":
        # The convex primal at t* is exact for scalar outputs (Theorem 3.1).
        assert cert.primal_value == pytest.approx(ref, rel=VALUE_RTOL)
        assert cert.dual_value == pytest.approx(ref, rel=VALUE_RTOL)
    # The value is the network's own objective, recomputed from its weights.
    network = cert.network
    assert network.depth == depth
    assert network.objective(X, Y, None) == pytest.approx(ref, rel=VALUE_RTOL)
    assert sum(float(np.sum(W ** 2)) for W in network.weights) == pytest.approx(ref,
                                                                                rel=VALUE_RTOL)
    # It interpolates.
    tol = INTERP_ATOL * max(1.0, float(np.max(np.abs(Y))))
    assert np.max(np.abs(network.forward(X) - Y)) <= tol
    product = np.linalg.multi_dot([X, *[W if W.ndim == 2 else W[:, None] for W in
                                        network.weights]])
    assert np.max(np.abs(product.reshape(Y.shape) - Y)) <= tol
    assert network.forward(X).shape == Y.shape


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_depth_two_matches_linear_family(shape, output):
    X, Y, deep, ref = min_norm_case(shape, output, 2)
    two = cvxdual.certify(X, Y, family="linear", beta=None)
    assert deep.training_value == pytest.approx(two.training_value, rel=VALUE_RTOL)
    assert deep.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    # ... and the scalar closed form L ||X^+ y||^{2/L} at L = 2 is 2 ||X^+ y||.
    if output == "scalar":
        assert ref == pytest.approx(2 * np.linalg.norm(np.linalg.pinv(X) @ Y), rel=1e-12)


@pytest.mark.parametrize("depth", [3, 5])
def test_min_norm_scalar_formula(depth):
    """The Schatten form reduces to ``L ||w||^{2/L}`` with ``w`` the least-squares solution."""
    X, y, cert, ref = min_norm_case("tall", "scalar", depth)
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    assert ref == pytest.approx(depth * np.linalg.norm(w) ** (2.0 / depth), rel=1e-12)
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)


# --- 2. regularized, scalar output -------------------------------------------------------------

SCALAR_REG_CASES = [pytest.param(shape, depth, b, id=f"{shape}-L{depth}-{b}")
                    for shape in SHAPES for depth in DEPTHS for b in SCALAR_BETAS]


@pytest.mark.parametrize(("shape", "depth", "beta_name"), SCALAR_REG_CASES)
def test_regularized_scalar_certified(shape, depth, beta_name):
    X, y, beta, cert, ref, v = scalar_regularized_case(shape, depth, beta_name)
    scale = abs(ref)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.network.objective(X, y, beta) == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= cert.training_value + WEAK_RTOL * scale
    assert cert.dual_value <= ref + WEAK_RTOL * scale
    if beta_name == "zero":
        assert not np.any(v), "the reference should give the zero network here"
    if not np.any(v):
        assert cert.training_value == pytest.approx(float(y @ y), rel=1e-12)
        assert np.all(cert.network.forward(X) == 0.0)
    else:
        np.testing.assert_allclose(structure.end_to_end(cert.network), v,
                                   atol=1e-5 * np.linalg.norm(v))
        # The convex program at t* = ||v*||^{1/L} is exact (Corollary 3.2).
        assert cert.primal_value == pytest.approx(ref, rel=VALUE_RTOL)


@pytest.mark.parametrize(("shape", "depth", "beta_name"), SCALAR_REG_CASES)
def test_regularized_scalar_bracket_contains_reference(shape, depth, beta_name):
    X, y, beta, _, ref, _ = scalar_regularized_case(shape, depth, beta_name)
    bracket, v = deep_linear_regularized_scalar(cvxdual.as_dataset(X, y), beta, depth)
    scale = abs(ref)
    assert bracket.lower <= ref + BRACKET_RTOL * scale
    assert ref <= bracket.upper + BRACKET_RTOL * scale
    assert bracket.upper - bracket.lower <= BRACKET_RTOL * scale
    assert bracket.lower <= bracket.upper
    # upper is attained by the returned v.
    assert regularized_objective(X, y[:, None], v[:, None], beta, depth) == pytest.approx(
        bracket.upper, rel=1e-12)


def _critical_beta(X: np.ndarray, y: np.ndarray, depth: int) -> float:
    """The β at which the best nonzero network and the zero network tie (our reference), by
    bisection on whether the reference optimum is zero."""
    lo, hi = 1e-3, zero_beta(X, y)
    for _ in range(40):
        mid = np.sqrt(lo * hi)
        if np.any(scalar_regularized_reference(X, y, mid, depth)[1]):
            lo = mid
        else:
            hi = mid
    return float(np.sqrt(lo * hi))


@pytest.mark.parametrize("factor", [0.98, 1.02])
def test_regularized_scalar_near_the_jump_to_zero(factor):
    """For L >= 3 the optimum jumps from a nonzero network to 0 as β grows (two competing local
    minima); just either side of the jump the global search must pick the right one."""
    depth = 4
    X, y = make_regularized("tall", "scalar", seed=5)
    beta = factor * _critical_beta(X, y, depth)
    ref, v = scalar_regularized_reference(X, y, beta, depth)
    assert bool(np.any(v)) == (factor < 1)
    cert = cvxdual.certify(X, y, family="deep-linear", depth=depth, beta=beta)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert bool(np.any(structure.end_to_end(cert.network))) == (factor < 1)


# --- 3. regularized, vector output -------------------------------------------------------------

@pytest.mark.parametrize("beta", ORTHO_BETAS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_regularized_vector_orthonormal_certified(depth, beta):
    X, Y, cert, ref, V = orthonormal_case(depth, beta)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.network.objective(X, Y, beta) == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert structure.layer_ranks(cert.network)[0] == _rank(V)
    # Depth 2 goes through an interior-point solver: its V is accurate to ~1e-6 only.
    np.testing.assert_allclose(structure.end_to_end(cert.network), V,
                               atol=1e-5 * max(1.0, float(np.linalg.norm(V))))


@pytest.mark.parametrize("beta", [0.3, 1.0])
@pytest.mark.parametrize("depth", DEPTHS)
def test_schatten_shrink_matches_one_dimensional_search(depth, beta):
    """``argmin_{s >= 0} (s - c)^2 + βL s^{2/L}`` over a dense range of ``c``, including the
    window where a positive stationary point exists but ``s = 0`` is better."""
    power = 2.0 / depth
    for c in np.linspace(0.0, 4.0 * beta + 1.0, 161):
        s = schatten_shrink(float(c), beta, depth)
        s_ref, value_ref = shrink_reference(float(c), beta, depth)
        value = (s - c) ** 2 + beta * depth * s ** power
        assert s >= 0.0
        assert value == pytest.approx(value_ref, rel=1e-10, abs=1e-14), (c, s, s_ref)
        if depth == 2:
            assert s == pytest.approx(max(c - beta, 0.0), abs=1e-12)


def _window_singular_value(beta: float, depth: int) -> float:
    """A ``c`` at which ``(s - c)^2 + βL s^{2/L}`` has a positive local minimizer that is worse
    than ``s = 0``: just above the ``c`` where a positive stationary point first appears
    (``c = min_s s + β s^{2/L - 1}``, from ``h'(s) = 0``)."""
    power = 2.0 / depth
    s_m = (beta * (1.0 - power)) ** (1.0 / (2.0 - power))
    c = 1.02 * (s_m + beta * s_m ** (power - 1.0))
    grid = np.linspace(1e-9, c, 20001)
    h = (grid - c) ** 2 + beta * depth * grid ** power
    interior = (h[1:-1] < h[:-2]) & (h[1:-1] < h[2:])
    assert interior.any() and h[1:-1][interior].min() > c * c   # a local minimum, worse than 0
    return c


@pytest.mark.parametrize("depth", [3, 4, 6])
def test_orthonormal_singular_value_in_the_jump_window(depth):
    """``X^T Y`` with one singular value in the window: that direction must be dropped."""
    beta = 1.0
    rng = np.random.default_rng(50 + depth)
    basis = np.linalg.qr(rng.standard_normal((20, 20)))[0]
    X, X_perp = basis[:, :6], basis[:, 6:]
    P = np.linalg.qr(rng.standard_normal((6, K)))[0]
    R = np.linalg.qr(rng.standard_normal((K, K)))[0]
    c = np.array([4.0, _window_singular_value(beta, depth), 0.2])
    Y = X @ (P * c) @ R.T + X_perp @ rng.standard_normal((14, K))
    np.testing.assert_allclose(np.linalg.svd(X.T @ Y, compute_uv=False), c, rtol=1e-12)
    ref, V = orthonormal_regularized_reference(X, Y, beta, depth)
    assert _rank(V) == 1
    cert = cvxdual.certify(X, Y, family="deep-linear", depth=depth, beta=beta)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert structure.layer_ranks(cert.network) == [1] * depth


def test_orthonormal_betas_cover_several_ranks():
    """The β grid above exercises full rank, partial rank and the zero network."""
    ranks = {_rank(orthonormal_regularized_reference(*make_orthonormal(), beta, depth)[1])
             for beta in ORTHO_BETAS for depth in (3, 5)}
    assert {0, K} <= ranks and len(ranks) >= 3


GENERAL_CASES = [pytest.param(shape, depth, beta, id=f"{shape}-L{depth}-b{beta}")
                 for shape in SHAPES for depth in (3, 4, 5) for beta in (0.05, 0.5)]


@pytest.mark.parametrize(("shape", "depth", "beta"), GENERAL_CASES)
def test_regularized_vector_general_gives_bounds(shape, depth, beta):
    X, Y, cert = general_vector_case(shape, depth, beta)
    scale = abs(cert.training_value)
    assert cert.dual_value <= cert.training_value + WEAK_RTOL * scale
    assert cert.training_value == pytest.approx(cert.network.objective(X, Y, beta), rel=1e-12)
    # The lower bound is a real bound: below the objective of the zero network and of any V.
    assert cert.dual_value <= float(np.sum(Y ** 2)) * (1 + WEAK_RTOL)
    V_ls = np.linalg.pinv(X) @ Y
    assert cert.dual_value <= regularized_objective(X, Y, V_ls, beta, depth) * (1 + WEAK_RTOL)
    if cert.certified:
        assert cert.rel_gap <= 1e-6
    else:
        assert cert.reasons and "only bounds" in cert.reasons[0], cert.reasons
        assert cert.rel_gap > 1e-6


@pytest.mark.parametrize("beta", [0.05, 0.5])
@pytest.mark.parametrize("depth", [3, 4])
def test_regularized_vector_rank_one_targets_match_scalar(depth, beta):
    """Y = y u^T: the optimal V is rank one (projecting V onto u lowers both terms), so the
    optimum is the scalar one for targets ||u|| y. Certified or not, the upper bound must reach
    it and the lower bound must not exceed it."""
    X, y = make_regularized("tall", "scalar", seed=7)
    u = np.array([1.0, -2.0, 0.5])
    Y = np.outer(y, u)
    ref, _ = scalar_regularized_reference(X, np.linalg.norm(u) * y, beta, depth)
    cert = cvxdual.certify(X, Y, family="deep-linear", depth=depth, beta=beta)
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    if not cert.certified:
        assert "only bounds" in cert.reasons[0], cert.reasons


# --- 4. networks trained here ------------------------------------------------------------------

def _shapes(d: int, widths: tuple[int, ...], k: int) -> list[tuple[int, int]]:
    dims = [d, *widths, k]
    return list(zip(dims[:-1], dims[1:], strict=True))


def _unpack(theta: np.ndarray, shapes: list[tuple[int, int]]) -> list[np.ndarray]:
    parts, start = [], 0
    for rows, cols in shapes:
        parts.append(theta[start:start + rows * cols].reshape(rows, cols))
        start += rows * cols
    return parts


def training_objective(theta: np.ndarray, X: np.ndarray, Y2: np.ndarray, beta: float,
                       shapes: list[tuple[int, int]]) -> tuple[float, np.ndarray]:
    """Objective (1) of ``X W_1 ⋯ W_L`` and its exact gradient (backpropagation)."""
    weights = _unpack(theta, shapes)
    prefixes = [X]
    for W in weights:
        prefixes.append(prefixes[-1] @ W)
    residual = prefixes[-1] - Y2
    value = float(np.sum(residual ** 2) + beta * sum(np.sum(W ** 2) for W in weights))
    grads: list[np.ndarray] = [np.empty(0)] * len(weights)
    back = 2.0 * residual            # d value / d (X W_1 ⋯ W_l), starting at l = L
    for index in range(len(weights) - 1, -1, -1):
        grads[index] = prefixes[index].T @ back + 2.0 * beta * weights[index]
        back = back @ weights[index].T
    return value, np.concatenate([g.ravel() for g in grads])


def train(X: np.ndarray, Y: np.ndarray, beta: float, widths: tuple[int, ...],
          seeds: range) -> list[float]:
    Y2 = Y.reshape(X.shape[0], -1)
    shapes = _shapes(X.shape[1], widths, Y2.shape[1])
    values = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        theta = np.concatenate([rng.standard_normal(s).ravel() / np.sqrt(s[0]) for s in shapes])
        result = minimize(training_objective, theta, args=(X, Y2, beta, shapes), jac=True,
                          method="L-BFGS-B",
                          options={"maxiter": 3000, "maxfun": 6000, "ftol": 1e-13,
                                   "gtol": 1e-10})
        # Recompute from the weights: never trust the optimizer's reported value.
        weights = _unpack(result.x, shapes)
        product = np.linalg.multi_dot([X, *weights])
        values.append(float(np.sum((product - Y2) ** 2)
                            + beta * sum(np.sum(W ** 2) for W in weights)))
    return values


WIDTHS = {3: (5, 4), 4: (6, 5, 4)}
SEEDS = range(3)


def test_training_gradient_is_exact():
    rng = np.random.default_rng(20)
    X = rng.standard_normal((7, 4))
    Y = rng.standard_normal((7, 2))
    shapes = _shapes(4, (3, 5, 2), 2)
    theta = rng.standard_normal(sum(a * b for a, b in shapes))
    error = check_grad(lambda t: training_objective(t, X, Y, 0.3, shapes)[0],
                       lambda t: training_objective(t, X, Y, 0.3, shapes)[1], theta)
    scale = np.linalg.norm(training_objective(theta, X, Y, 0.3, shapes)[1])
    assert error <= 1e-5 * scale


@pytest.mark.parametrize("beta_name", ["b0.05", "b0.5"])
@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_trained_scalar_networks_reach_but_never_beat_the_certificate(shape, depth, beta_name):
    X, y, beta, cert, ref, _ = scalar_regularized_case(shape, depth, beta_name)
    assert cert.certified is True, cert.reasons
    values = train(X, y, beta, WIDTHS[depth], SEEDS)
    scale = abs(cert.training_value)
    assert min(values) >= cert.training_value - 1e-8 * scale
    assert min(values) >= cert.dual_value - 1e-8 * scale
    assert min(values) <= cert.training_value * (1 + TRAIN_RTOL)


@pytest.mark.parametrize("depth", [3, 4])
def test_trained_orthonormal_vector_networks_never_beat_the_certificate(depth):
    X, Y, cert, ref, _ = orthonormal_case(depth, 0.5)
    assert cert.certified is True, cert.reasons
    values = train(X, Y, 0.5, WIDTHS[depth], SEEDS)
    assert min(values) >= cert.training_value - 1e-8 * abs(cert.training_value)


@pytest.mark.parametrize("beta", [0.05, 0.5])
@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_trained_general_vector_networks_respect_the_lower_bound(shape, depth, beta):
    X, Y, cert = general_vector_case(shape, depth, beta)
    values = train(X, Y, beta, WIDTHS[depth], SEEDS)
    assert min(values) >= cert.dual_value - 1e-8 * abs(cert.dual_value)


# --- 5. extractor ------------------------------------------------------------------------------

def _random_V(rank: int, seed: int, d: int = 6, k: int = K) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((d, rank)) @ rng.standard_normal((rank, k))


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("depth", DEPTHS)
def test_extractor_factorizes_with_least_norm(depth, rank):
    V = _random_V(rank, 30 + rank)
    network = deep_linear_network(V, depth, True)
    assert network.depth == depth
    product = structure.end_to_end(network)
    np.testing.assert_allclose(product, V, atol=1e-12 * np.linalg.norm(V))
    assert network.regularizer() == pytest.approx(schatten_value(V, depth), rel=1e-12)
    assert network.widths == (rank,) * (depth - 1)


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_extractor_scalar_output(depth):
    v = np.random.default_rng(31).standard_normal(6)
    network = deep_linear_network(v[:, None], depth, False)
    assert network.weights[-1].ndim == 1
    np.testing.assert_allclose(structure.end_to_end(network), v, atol=1e-12 * np.linalg.norm(v))
    assert network.regularizer() == pytest.approx(depth * np.linalg.norm(v) ** (2 / depth),
                                                  rel=1e-12)


def test_extractor_paper_widths():
    """Fig. 2b: a four-layer network with hidden widths (50, 30, 40)."""
    V = _random_V(3, 32)
    default = deep_linear_network(V, 4, True)
    wide = deep_linear_network(V, 4, True, widths=(50, 30, 40))
    assert [W.shape for W in wide.weights] == [(6, 50), (50, 30), (30, 40), (40, K)]
    assert wide.widths == (50, 30, 40)
    np.testing.assert_allclose(structure.end_to_end(wide), V, atol=1e-12 * np.linalg.norm(V))
    assert wide.regularizer() == pytest.approx(default.regularizer(), rel=1e-12)
    assert wide.regularizer() == pytest.approx(schatten_value(V, 4), rel=1e-12)


@pytest.mark.parametrize(("depth", "widths"), [
    (4, (2, 30, 40)), (4, (50, 2, 40)), (4, (50, 30, 2)), (3, (0, 5)), (2, (2,)),
])
def test_extractor_widths_below_rank_raise(depth, widths):
    with pytest.raises(cvxdual.ParameterError, match="width"):
        deep_linear_network(_random_V(3, 33), depth, True, widths=widths)


@pytest.mark.parametrize(("depth", "widths"), [(4, (50, 30)), (4, (5, 5, 5, 5)), (2, ()),
                                               (3, (5,))])
def test_extractor_wrong_number_of_widths_raises(depth, widths):
    with pytest.raises(cvxdual.ParameterError, match="widths"):
        deep_linear_network(_random_V(3, 34), depth, True, widths=widths)


def test_extractor_widths_at_rank_are_fine():
    V = _random_V(2, 35)
    network = deep_linear_network(V, 3, True, widths=(2, 2))
    np.testing.assert_allclose(structure.end_to_end(network), V, atol=1e-12 * np.linalg.norm(V))


def test_extractor_random_basis_is_another_optimum():
    V = _random_V(3, 36)
    default = deep_linear_network(V, 4, True, widths=(7, 5, 6))
    rotated = deep_linear_network(V, 4, True, widths=(7, 5, 6), rng=np.random.default_rng(0))
    assert [W.shape for W in rotated.weights] == [W.shape for W in default.weights]
    assert max(float(np.max(np.abs(a - b)))
               for a, b in zip(default.weights, rotated.weights, strict=True)) > 1e-3
    np.testing.assert_allclose(structure.end_to_end(rotated), V, atol=1e-12 * np.linalg.norm(V))
    assert rotated.regularizer() == pytest.approx(schatten_value(V, 4), rel=1e-12)
    again = deep_linear_network(V, 4, True, widths=(7, 5, 6), rng=np.random.default_rng(0))
    for a, b in zip(rotated.weights, again.weights, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("output", OUTPUTS)
def test_certify_with_paper_widths(output):
    X, Y, cert, ref = min_norm_case("tall", output, 4)
    wide = cvxdual.certify(X, Y, family="deep-linear", depth=4, widths=(50, 30, 40))
    assert wide.certified is True, wide.reasons
    assert wide.network.widths == (50, 30, 40)
    k = K if output == "vector" else None
    assert wide.network.weights[-1].shape == ((40, k) if k else (40,))
    assert wide.training_value == pytest.approx(cert.training_value, rel=VALUE_RTOL)
    assert wide.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert wide.network.objective(X, Y, None) == pytest.approx(ref, rel=VALUE_RTOL)
    assert np.max(np.abs(wide.network.forward(X) - Y)) <= INTERP_ATOL * max(
        1.0, float(np.max(np.abs(Y))))


def test_certify_with_widths_regularized_scalar():
    X, y, beta, cert, ref, _ = scalar_regularized_case("wide", 4, "b0.5")
    wide = cvxdual.certify(X, y, family="deep-linear", depth=4, beta=beta, widths=(50, 30, 40))
    assert wide.certified is True, wide.reasons
    assert wide.network.widths == (50, 30, 40)
    assert wide.training_value == pytest.approx(ref, rel=VALUE_RTOL)


def test_certify_widths_below_rank_raise():
    X, Y, _, _ = min_norm_case("tall", "vector", 4)
    with pytest.raises(cvxdual.ParameterError):
        cvxdual.certify(X, Y, family="deep-linear", depth=4, widths=(2, 30, 40))
    with pytest.raises(cvxdual.ParameterError):
        cvxdual.certify(X, Y, family="deep-linear", depth=4, widths=(30, 40))


# --- 6. structure ------------------------------------------------------------------------------

def _certified_networks():
    """Certified optimal networks: (network, X, Y, optimal V or None, is minimum norm)."""
    for shape in SHAPES:
        for output in OUTPUTS:
            for depth in (3, 4, 6):
                yield pytest.param(("min-norm", shape, output, depth),
                                   id=f"min-norm-{shape}-{output}-L{depth}")
    for depth in (3, 5):
        yield pytest.param(("scalar-reg", "tall", "scalar", depth), id=f"scalar-reg-L{depth}")
        yield pytest.param(("ortho", None, "vector", depth), id=f"ortho-L{depth}")


def _load(case):
    kind, shape, output, depth = case
    if kind == "min-norm":
        X, Y, cert, _ = min_norm_case(shape, output, depth)
        V = np.linalg.pinv(X) @ Y
    elif kind == "scalar-reg":
        X, Y, _, cert, _, V = scalar_regularized_case(shape, depth, "b0.05")
    else:
        X, Y, cert, _, V = orthonormal_case(depth, 0.5)
    assert cert.certified is True, cert.reasons
    return kind, X, Y, cert.network, V


STRUCTURE_CASES = list(_certified_networks())


@pytest.mark.parametrize("case", STRUCTURE_CASES)
def test_layers_share_norms(case):
    """Proposition 3.1: equal Frobenius and equal operator norms in every layer."""
    _, _, _, network, V = _load(case)
    norms = np.array(structure.layer_norms(network))
    assert norms.shape == (network.depth, 2)
    np.testing.assert_allclose(norms[:, 0], norms[0, 0], rtol=STRUCTURE_RTOL)
    np.testing.assert_allclose(norms[:, 1], norms[0, 1], rtol=STRUCTURE_RTOL)
    # And the values are the balanced ones: σ_max(V)^{1/L} and (Σ σ_i^{2/L})^{1/2}.
    sigma = _singular_values(V)
    L = network.depth
    assert norms[0, 0] == pytest.approx(sigma[0] ** (1 / L), rel=1e-6)
    assert norms[0, 1] == pytest.approx(np.sqrt(np.sum(sigma ** (2 / L))), rel=1e-6)
    # Our own computation of the same norms.
    for W, (op, fro) in zip(network.weights, norms, strict=True):
        M = W if W.ndim == 2 else W[:, None]
        assert op == pytest.approx(np.linalg.svd(M, compute_uv=False)[0], rel=1e-12)
        assert fro == pytest.approx(np.sqrt(np.sum(M ** 2)), rel=1e-12)


@pytest.mark.parametrize("case", STRUCTURE_CASES)
def test_layer_ranks(case):
    _, _, Y, network, V = _load(case)
    ranks = structure.layer_ranks(network)
    expected = 1 if Y.ndim == 1 else _rank(V)
    assert ranks == [expected] * network.depth


@pytest.mark.parametrize("case", STRUCTURE_CASES)
def test_layers_align(case):
    _, _, _, network, _ = _load(case)
    cosines = structure.layer_alignment(network)
    assert len(cosines) == network.depth - 1
    assert min(cosines) > 1 - ALIGN_ATOL


@pytest.mark.parametrize("case", STRUCTURE_CASES)
def test_end_to_end_and_collapse(case):
    """Corollary 3.1: the end-to-end matrix of the minimum-norm network is X^+ Y, and the
    network collapses to a two-layer network computing the same function."""
    kind, X, Y, network, V = _load(case)
    e2e = structure.end_to_end(network)
    assert e2e.shape == V.shape
    if kind == "min-norm":
        np.testing.assert_allclose(e2e, np.linalg.pinv(X) @ Y,
                                   atol=STRUCTURE_RTOL * np.linalg.norm(V))
    two = structure.collapse_to_two_layer(network)
    assert two.depth == 2
    np.testing.assert_allclose(two.weights[0], network.weights[0], rtol=0, atol=0)
    np.testing.assert_allclose(two.forward(X), network.forward(X),
                               atol=1e-12 * max(1.0, float(np.max(np.abs(Y)))))
    np.testing.assert_allclose(structure.end_to_end(two), e2e, atol=1e-12 * np.linalg.norm(V))


def test_rotation_between_layers_keeps_function_and_alignment():
    X, Y, cert, _ = min_norm_case("tall", "vector", 4)
    weights = [np.array(W) for W in cert.network.weights]
    m = weights[1].shape[1]
    Q = np.linalg.qr(np.random.default_rng(40).standard_normal((m, m)))[0]
    weights[1] = weights[1] @ Q
    weights[2] = Q.T @ weights[2]
    rotated = cvxdual.Network(weights, activation="linear")
    np.testing.assert_allclose(structure.end_to_end(rotated), structure.end_to_end(cert.network),
                               atol=1e-12 * np.linalg.norm(Y))
    assert min(structure.layer_alignment(rotated)) > 1 - ALIGN_ATOL
    assert rotated.regularizer() == pytest.approx(cert.network.regularizer(), rel=1e-12)


def test_misaligned_layers_are_detected():
    """W_1 = a b^T and W_2 = c e^T with b ⟂ c: the product is zero and the cosine is 0."""
    rng = np.random.default_rng(41)
    a, e, f = rng.standard_normal(5), rng.standard_normal(3), rng.standard_normal(3)
    assert abs(e @ f) < 0.9 * np.linalg.norm(e) * np.linalg.norm(f)
    b = np.array([1.0, 0.0, 0.0, 0.0])
    c = np.array([0.0, 1.0, 0.0, 0.0])
    W1, W2 = np.outer(a, b), np.outer(c, e)
    network = cvxdual.Network([W1, W2, f], activation="linear")
    cosines = structure.layer_alignment(network)
    assert cosines[0] == pytest.approx(0.0, abs=1e-12)
    # Row space of W_2 is span(e), column space of the output layer span(f).
    assert cosines[1] == pytest.approx(abs(e @ f) / np.linalg.norm(e) / np.linalg.norm(f),
                                       abs=1e-12)
    aligned = cvxdual.Network([W1, W2, -2.0 * e], activation="linear")
    assert structure.layer_alignment(aligned)[1] == pytest.approx(1.0, abs=1e-12)
    # Partially aligned: b at 60 degrees from c gives cos = 1/2.
    c2 = np.array([0.5, np.sqrt(3) / 2, 0.0, 0.0])
    half = cvxdual.Network([W1, np.outer(c2, e), f], activation="linear")
    assert structure.layer_alignment(half)[0] == pytest.approx(0.5, abs=1e-12)
    assert structure.layer_ranks(network) == [1, 1, 1]
    np.testing.assert_allclose(structure.end_to_end(network), np.zeros(5), atol=1e-15)


def test_structure_helpers_reject_nonlinear_networks():
    rng = np.random.default_rng(42)
    relu = cvxdual.Network([rng.standard_normal((3, 4)), rng.standard_normal(4)],
                           activation="relu")
    with pytest.raises(cvxdual.ParameterError):
        structure.end_to_end(relu)
    with pytest.raises(cvxdual.ParameterError):
        structure.collapse_to_two_layer(relu)


# --- 7. programs at a layer norm t -------------------------------------------------------------

MIN_NORM_FORMS = ("min_norm_primal", "min_norm_dual", "min_norm_dual_svd")


def _solve(program) -> float:
    solution = cvxdual.solve(program, "CLARABEL")
    assert solution.status == "optimal"
    return solution.training_value


@pytest.mark.parametrize("form", MIN_NORM_FORMS)
@pytest.mark.parametrize("depth", [2, 3, 4, 6])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_scalar_min_norm_programs_exact_at_optimal_t(shape, depth, form):
    X, y = make_min_norm(shape, "scalar", seed=1)
    data = cvxdual.as_dataset(X, y)
    w_norm = float(np.linalg.norm(np.linalg.pinv(X) @ y))
    t_star = w_norm ** (1.0 / depth)
    assert deep_linear.optimal_layer_norm(data, depth) == pytest.approx(t_star, rel=1e-12)
    program = deep_linear.FORMS[form][0](data, depth)
    assert program.parameters["t"].value == pytest.approx(t_star, rel=1e-12)
    assert program.problem.is_dpp()
    assert _solve(program) == pytest.approx(depth * w_norm ** (2.0 / depth), rel=VALUE_RTOL)


@pytest.mark.parametrize("form", MIN_NORM_FORMS)
@pytest.mark.parametrize("depth", [3, 5])
def test_scalar_min_norm_programs_away_from_optimal_t(depth, form):
    """At t ≠ t*, the value at t is 2||w||/t^{L-2} + (L-2)t^2 > L||w||^{2/L} (AM–GM)."""
    X, y = make_min_norm("wide", "scalar", seed=2)
    data = cvxdual.as_dataset(X, y)
    w_norm = float(np.linalg.norm(np.linalg.pinv(X) @ y))
    exact = depth * w_norm ** (2.0 / depth)
    for factor in (1.3, 0.7):
        t = factor * w_norm ** (1.0 / depth)
        expected = 2.0 * w_norm / t ** (depth - 2) + (depth - 2) * t * t
        value = _solve(deep_linear.FORMS[form][0](data, depth, t=t))
        assert value == pytest.approx(expected, rel=VALUE_RTOL)
        assert value > exact * (1 + 1e-3)


@pytest.mark.parametrize("depth", [3, 4, 6])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_vector_min_norm_relaxation_is_a_strict_lower_bound(shape, depth):
    X, Y = make_min_norm(shape, "vector", seed=3)
    data = cvxdual.as_dataset(X, Y)
    W = np.linalg.pinv(X) @ Y
    nuclear = float(np.sum(_singular_values(W)))
    exact = schatten_value(W, depth)
    relaxed = depth * nuclear ** (2.0 / depth)
    assert _rank(W) == K
    assert relaxed < exact * (1 - 1e-2)
    t_star = nuclear ** (1.0 / depth)
    for form in MIN_NORM_FORMS:
        program = deep_linear.FORMS[form][0](data, depth)
        assert program.relation == "lower"
        assert program.parameters["t"].value == pytest.approx(t_star, rel=1e-12)
        value = _solve(program)
        assert value == pytest.approx(relaxed, rel=VALUE_RTOL)
        assert value < exact * (1 - 1e-2)
    # t* minimizes the relaxed value over t.
    primal = deep_linear.min_norm_primal(data, depth)
    for factor in (0.8, 1.25):
        primal.set("t", factor * t_star)
        assert _solve(primal) > relaxed * (1 + 1e-4)


@pytest.mark.parametrize("form", list(deep_linear.FORMS))
def test_set_t_equals_rebuilding(form):
    depth = 4
    builder, takes_beta = deep_linear.FORMS[form]
    X, y = (make_regularized if takes_beta else make_min_norm)("tall", "scalar", seed=4)
    data = cvxdual.as_dataset(X, y)
    args = (data, depth, 0.3) if takes_beta else (data, depth)
    program = builder(*args, t=1.1)
    assert program.problem.is_dpp()
    first = _solve(program)
    for t in (0.6, 1.7):
        program.set("t", t)
        fresh = builder(*args, t=t)
        assert _solve(program) == pytest.approx(_solve(fresh), rel=1e-7)
    program.set("t", 1.1)
    assert _solve(program) == pytest.approx(first, rel=1e-7)


@pytest.mark.parametrize("form", ["regularized_primal", "regularized_dual"])
@pytest.mark.parametrize("depth", [2, 3, 4, 6])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_regularized_programs_exact_at_optimal_t(shape, depth, form):
    """Corollary 3.2: at t* = ||v*||^{1/L} (v* from our own search) the program at t* has the
    global optimum as its value."""
    X, y = make_regularized(shape, "scalar", seed=6)
    beta = 0.3
    ref, v = scalar_regularized_reference(X, y, beta, depth)
    assert np.any(v)
    t_star = float(np.linalg.norm(v)) ** (1.0 / depth)
    program = deep_linear.FORMS[form][0](cvxdual.as_dataset(X, y), depth, beta, t=t_star)
    assert program.problem.is_dpp()
    assert _solve(program) == pytest.approx(ref, rel=VALUE_RTOL)
    if depth > 2 and form == "regularized_primal":
        # Any other t gives an upper bound on the optimum, strictly larger here.
        program.set("t", 1.5 * t_star)
        assert _solve(program) > ref * (1 + 1e-4)


@pytest.mark.parametrize("form", list(deep_linear.FORMS))
@pytest.mark.parametrize("depth", [1, 0, -3, 2.5, 3.0, True, "3", None])
def test_programs_reject_bad_depth(form, depth):
    X, y = make_min_norm("tall", "scalar")
    builder, takes_beta = deep_linear.FORMS[form]
    args = (0.5,) if takes_beta else ()
    with pytest.raises(cvxdual.ParameterError, match="depth"):
        builder(cvxdual.as_dataset(X, y), depth, *args)


@pytest.mark.parametrize("form", list(deep_linear.FORMS))
@pytest.mark.parametrize("t", [0, 0.0, -1, float("nan"), float("inf"), True, "1"])
def test_programs_reject_bad_t(form, t):
    X, y = make_min_norm("tall", "scalar")
    builder, takes_beta = deep_linear.FORMS[form]
    args = (0.5,) if takes_beta else ()
    with pytest.raises(cvxdual.ParameterError, match="layer norm"):
        builder(cvxdual.as_dataset(X, y), 3, *args, t=t)


def test_programs_accept_numpy_integer_depth():
    X, y = make_min_norm("tall", "scalar")
    program = deep_linear.min_norm_primal(cvxdual.as_dataset(X, y), np.int64(3))
    w_norm = float(np.linalg.norm(np.linalg.pinv(X) @ y))
    assert _solve(program) == pytest.approx(3 * w_norm ** (2 / 3), rel=VALUE_RTOL)


@pytest.mark.parametrize("form", ["regularized_primal", "regularized_dual"])
@pytest.mark.parametrize("beta", [None, 0, -1.0])
def test_regularized_programs_need_positive_beta(form, beta):
    X, y = make_regularized("tall", "scalar")
    with pytest.raises(cvxdual.ParameterError):
        deep_linear.FORMS[form][0](cvxdual.as_dataset(X, y), 3, beta)


# --- 8. bad inputs through certify -------------------------------------------------------------

@pytest.mark.parametrize("beta", [None, 0.5])
@pytest.mark.parametrize("depth", [1, 0, 2.5, 3.0, True, "3"])
def test_certify_rejects_bad_depth(depth, beta):
    X, y = make_min_norm("tall", "scalar")
    with pytest.raises(cvxdual.ParameterError, match="depth"):
        cvxdual.certify(X, y, family="deep-linear", depth=depth, beta=beta)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("depth", [2, 3, 5])
def test_certify_min_norm_outside_range_is_infeasible(depth, output):
    X, Y = make_regularized("tall", output)    # n > d, random targets: not in the range of X
    with pytest.raises(cvxdual.InfeasibleError):
        cvxdual.certify(X, Y, family="deep-linear", depth=depth, beta=None)


def test_certify_widths_need_the_deep_family():
    X, y = make_min_norm("tall", "scalar")
    with pytest.raises(cvxdual.ParameterError, match="widths"):
        cvxdual.certify(X, y, family="linear", widths=(4,))


@pytest.mark.parametrize("depth", [3, 5])
@pytest.mark.parametrize("shape", ["column", "rank-one", "nearly-rank-one"])
def test_rank_one_vector_targets_reduce_to_the_scalar_problem(depth, shape):
    """``Y = y uᵀ``: ``||XV - Y||^2 >= ||X V u - y||^2`` and ``Σσ_i(V)^{2/L} >= ||V u||^{2/L}``,
    so the optimum is the scalar one for ``y``, attained by ``v uᵀ``."""
    rng = np.random.default_rng(31)
    X = rng.standard_normal((20, 6))
    y = rng.standard_normal(20)
    u = np.array([[1.0]]) if shape == "column" else np.array([[0.6, 0.8]])
    Y = y[:, None] @ u
    if shape == "nearly-rank-one":
        Y = Y + 1e-14 * rng.standard_normal(Y.shape)
    beta = 0.5
    reference = scalar_regularized_reference(X, y, beta, depth)[0]
    cert = cvxdual.certify(X, Y, family="deep-linear", depth=depth, beta=beta)
    assert cert.certified, cert.reasons
    assert cert.training_value == pytest.approx(reference, rel=1e-6)
    assert cert.dual_value <= cert.training_value
    assert cert.network.weights[-1].shape[1] == u.shape[1]
    assert np.linalg.matrix_rank(structure.end_to_end(cert.network), tol=1e-9) == 1


@pytest.mark.parametrize("depth", [2, 3, 5])
def test_lemma_3_1_objective_has_the_factor_two(depth):
    """At the optimum the exact Lemma 3.1 objective (with ``2||w_L||_1``) equals the training
    value; the printed form without the 2 would be smaller. Unbalancing the last two layers keeps
    it fixed while ``Σ||W_l||^2`` grows (AM-GM)."""
    rng = np.random.default_rng(41)
    X = rng.standard_normal((6, 10))
    y = rng.standard_normal(6)
    cert = cvxdual.certify(X, y, family="deep-linear", depth=depth)
    weights = list(cert.network.weights)
    assert structure.lemma_3_1_objective(cert.network) == pytest.approx(cert.training_value,
                                                                        rel=1e-12)
    weights[-2] = weights[-2] * 3.0
    weights[-1] = weights[-1] / 3.0
    unbalanced = cvxdual.Network(weights)
    assert structure.lemma_3_1_objective(unbalanced) == pytest.approx(cert.training_value,
                                                                      rel=1e-12)
    assert unbalanced.regularizer() > cert.training_value * (1 + 1e-3)


@pytest.mark.parametrize("method", ["auto", "cvxpy"])
@pytest.mark.parametrize(("k", "widths"), [(None, (50, 30, 40)), (3, (50, 30, 40)),
                                           (None, (7,))])
def test_neurons_are_the_distinct_extreme_points(method, k, widths):
    """Wide balanced layers repeat a few directions; ``neurons`` lists each once: for scalar
    outputs the single direction of ``X⁺y`` (Theorem 3.1), for vector outputs an orthonormal
    basis of the row space of ``(X⁺Y)ᵀ``, i.e. the left singular vectors of ``X⁺Y``."""
    rng = np.random.default_rng(90)
    X = rng.standard_normal((12, 20))
    Y = rng.standard_normal(12 if k is None else (12, k))
    cert = cvxdual.certify(X, Y, family="deep-linear", depth=len(widths) + 1, widths=widths,
                           method=method)
    assert cert.certified
    V = (np.linalg.pinv(X) @ Y).reshape(20, -1)
    U = np.linalg.svd(V, full_matrices=False)[0][:, : min(V.shape)]
    assert cert.neurons.shape == U.shape
    np.testing.assert_allclose(cert.neurons.T @ cert.neurons, np.eye(U.shape[1]), atol=1e-10)
    # Same subspace: the projection of each optimal direction onto the neurons' span is whole.
    np.testing.assert_allclose(np.linalg.norm(cert.neurons.T @ U, axis=0), 1.0, atol=1e-6)
