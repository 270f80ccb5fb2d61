"""Two-layer linear programs of §2 (``cvxdual.families.linear``) against independent references.

Every expected value here is derived in the test itself — closed forms computed with NumPy
(``2||X^+ Y||_*``), a 1-D search along the ridge path for the scalar regularized problem,
singular-value soft-thresholding for orthonormal ``X`` and a small FISTA for general ``X`` — or
by hand for the tiny fixtures. None of them goes through ``cvxdual.fast``.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from references import (
    OUTPUTS,
    SHAPES,
    K,
    fista_reference,
    make_xy,
    min_norm_reference,
    nuclear,
    rel_err,
    ridge_path_reference,
    svt_reference,
)

from cvxdual.data import as_dataset
from cvxdual.errors import InfeasibleError
from cvxdual.families import linear
from cvxdual.solve import solve

REL = 1e-6  # relative agreement of optimal values
BETAS = (0.3, 2.5)
TIGHT = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11}

MIN_NORM_BUILDERS = {
    "min_norm_primal": linear.min_norm_primal,
    "min_norm_dual": linear.min_norm_dual,
    "min_norm_dual_svd": linear.min_norm_dual_svd,
}
REGULARIZED_BUILDERS = {
    "regularized_primal": linear.regularized_primal,
    "regularized_dual": linear.regularized_dual,
    "regularized_dual_lemma22": linear.regularized_dual_lemma22,
    "regularized_dual_svd": linear.regularized_dual_svd,
}
REGULARIZED_DUALS = ("regularized_dual", "regularized_dual_lemma22", "regularized_dual_svd")
MIN_NORM_DUALS = ("min_norm_dual", "min_norm_dual_svd")


# --- data and independent references ---------------------------------------------------------

def range_projector(X: np.ndarray) -> np.ndarray:
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    U = U[:, s > max(X.shape) * np.finfo(float).eps * s[0]]
    return U @ U.T


# --- minimum-norm problem (2) ------------------------------------------------------------------

@pytest.mark.parametrize("builder", sorted(MIN_NORM_BUILDERS))
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_min_norm_value_matches_pinv_closed_form(output, shape, builder):
    X, Y = make_xy(output, shape, seed=11, planted=shape == "tall")
    solution = solve(MIN_NORM_BUILDERS[builder](as_dataset(X, Y)))
    assert solution.accurate
    assert rel_err(solution.training_value, min_norm_reference(X, Y)) <= REL


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_min_norm_primal_variable_is_pinv_solution(output, shape):
    """The minimizer of ``||V||_*`` s.t. ``XV = Y`` is ``X^+ Y`` (unique: strictly convex
    restricted to the affine set for these generic instances)."""
    X, Y = make_xy(output, shape, seed=12, planted=shape == "tall")
    solution = solve(linear.min_norm_primal(as_dataset(X, Y)))
    v = solution.variables["v"]
    assert v.shape == ((X.shape[1],) if Y.ndim == 1 else (X.shape[1], K))
    np.testing.assert_allclose(X @ v, Y, atol=1e-7)
    # The objective is accurate to the solver tolerance (~1e-8); the minimizer only to about its
    # square root, as the nuclear norm is flat to first order along the optimal face.
    np.testing.assert_allclose(v, np.linalg.pinv(X) @ Y, atol=1e-4)


def test_min_norm_hand_fixture_scalar():
    """``X = diag(2, 1)``, ``y = (6, 4)``: ``w* = X^{-1} y = (3, 4)``, ``||w*|| = 5``.

    Training value ``2 * 5 = 10``. Dual (5): ``λ* = X^{-T} w*/||w*|| = (0.3, 0.8)``
    (``X^T λ* = (0.6, 0.8)`` has norm 1, ``λ*^T y = 1.8 + 3.2 = 5``). Optimal neuron
    ``X^T λ* = (0.6, 0.8)``, output weight 5; balanced ``W1 = √5 (0.6, 0.8)``, ``w2 = √5``.
    """
    X, y = np.diag([2.0, 1.0]), np.array([6.0, 4.0])
    data = as_dataset(X, y)
    primal = solve(linear.min_norm_primal(data))
    dual = solve(linear.min_norm_dual(data))
    svd = solve(linear.min_norm_dual_svd(data))
    for s in (primal, dual, svd):
        assert s.value == pytest.approx(5.0, rel=1e-8)
        assert s.training_value == pytest.approx(10.0, rel=1e-8)
    np.testing.assert_allclose(primal.variables["v"], [3.0, 4.0], atol=1e-7)
    np.testing.assert_allclose(dual.variables["lam"], [0.3, 0.8], atol=1e-6)
    np.testing.assert_allclose(-primal.duals["interpolation"], [0.3, 0.8], atol=1e-6)
    neuron = X.T @ dual.variables["lam"]
    np.testing.assert_allclose(neuron / np.linalg.norm(neuron), [0.6, 0.8], atol=1e-7)
    # λ~ = U^T λ with X = I·diag(2,1)·I, so the SVD dual's variable is λ in the order s = (2, 1)
    np.testing.assert_allclose(np.abs(svd.variables["lam_svd"]), [0.3, 0.8], atol=1e-6)


def test_min_norm_hand_fixture_vector():
    """``X = diag(2, 1)``, ``Y = diag(2, 3)``: ``W* = diag(1, 3)``, ``||W*||_* = 4``, value 8.

    ``W* = I diag(1, 3) I`` so (13) is attained at ``X^T Λ = I``, i.e. ``Λ* = diag(1/2, 1)``
    (``trace(Λ*^T Y) = 1 + 3 = 4``); both coordinate axes are optimal neurons.
    """
    X, Y = np.diag([2.0, 1.0]), np.diag([2.0, 3.0])
    data = as_dataset(X, Y)
    primal = solve(linear.min_norm_primal(data))
    dual = solve(linear.min_norm_dual(data), **TIGHT)
    for s in (primal, dual, solve(linear.min_norm_dual_svd(data))):
        assert s.training_value == pytest.approx(8.0, rel=1e-7)
    np.testing.assert_allclose(primal.variables["v"], np.diag([1.0, 3.0]), atol=1e-6)
    np.testing.assert_allclose(dual.variables["lam"], np.diag([0.5, 1.0]), atol=1e-5)
    np.testing.assert_allclose(-primal.duals["interpolation"], np.diag([0.5, 1.0]), atol=1e-5)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_min_norm_dual_variable_matches_closed_form(output, shape):
    """On the range of ``X``, the optimal ``Λ`` is ``X^{+T} N R^T`` where ``X^+ Y = N S R^T``
    (scalar: ``X^{+T} w*/||w*||``); it is unique there for these full-rank instances."""
    X, Y = make_xy(output, shape, seed=13, planted=shape == "tall")
    pinv = np.linalg.pinv(X)
    W = pinv @ Y
    if W.ndim == 1:
        lam_star = pinv.T @ (W / np.linalg.norm(W))
    else:
        N, _, Rt = np.linalg.svd(W, full_matrices=False)
        lam_star = pinv.T @ N @ Rt
    lam = solve(linear.min_norm_dual(as_dataset(X, Y)), **TIGHT).variables["lam"]
    np.testing.assert_allclose(range_projector(X) @ lam, lam_star, atol=1e-5)


# --- regularized problem (1) -------------------------------------------------------------------

@pytest.mark.parametrize("builder", sorted(REGULARIZED_BUILDERS))
@pytest.mark.parametrize("beta", (0.3, 2.5, 100.0))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_regularized_scalar_matches_ridge_path(shape, beta, builder):
    X, y = make_xy("scalar", shape, seed=21)
    expected, _ = ridge_path_reference(X, y, beta)
    solution = solve(REGULARIZED_BUILDERS[builder](as_dataset(X, y), beta))
    assert solution.accurate
    assert rel_err(solution.training_value, expected) <= REL


def test_regularized_scalar_large_beta_is_zero_network():
    """``β >= ||X^T y||``: ``v = 0``, training value ``||y||^2``, ``λ* = y``."""
    X, y = make_xy("scalar", "tall", seed=22)
    beta = 1.5 * np.linalg.norm(X.T @ y)
    data = as_dataset(X, y)
    primal = solve(linear.regularized_primal(data, beta))
    dual = solve(linear.regularized_dual(data, beta))
    assert primal.training_value == pytest.approx(float(y @ y), rel=REL)
    assert dual.training_value == pytest.approx(float(y @ y), rel=REL)
    np.testing.assert_allclose(primal.variables["v"], 0.0, atol=1e-7)
    np.testing.assert_allclose(dual.variables["lam"], y, atol=1e-6)


def test_regularized_hand_fixture_scalar():
    """``X = I``, ``y = (3, 4)``, ``β = 1``: ``v* = y (1 - β/||y||) = (2.4, 3.2)``,
    value ``||v* - y||^2 + 2β||v*|| = 1 + 8 = 9``; ``λ* = y - v* = (0.6, 0.8)`` with
    ``||λ*|| = β``, dual value of (8) ``λ*^T y - ½||λ*||^2 = 5 - ½ = 4.5``."""
    X, y, beta = np.eye(2), np.array([3.0, 4.0]), 1.0
    data = as_dataset(X, y)
    primal = solve(linear.regularized_primal(data, beta))
    dual = solve(linear.regularized_dual(data, beta))
    assert primal.value == pytest.approx(4.5, rel=1e-8)
    assert dual.value == pytest.approx(4.5, rel=1e-8)
    for name in REGULARIZED_BUILDERS:
        value = solve(REGULARIZED_BUILDERS[name](data, beta)).training_value
        assert value == pytest.approx(9.0, rel=1e-7), name
    np.testing.assert_allclose(primal.variables["v"], [2.4, 3.2], atol=1e-7)
    np.testing.assert_allclose(dual.variables["lam"], [0.6, 0.8], atol=1e-7)
    # (9): ŝ* = P_{Σ,β}(ŵ*) is the projection of U^T y onto the ball of radius β (Σ = I)
    # and U ŝ* = X s* = λ* (here λ⊥ = 0 since X is invertible)
    s_hat = solve(linear.regularized_dual_svd(data, beta)).variables["s_hat"]
    U = np.linalg.svd(X)[0]
    np.testing.assert_allclose(np.linalg.norm(s_hat), 1.0, atol=1e-7)
    np.testing.assert_allclose(U @ s_hat, [0.6, 0.8], atol=1e-6)


def test_regularized_hand_fixture_vector():
    """``X = I``, ``Y = diag(3, 1)``, ``β = 2``: SVT gives ``V* = diag(1, 0)``, value
    ``||V* - Y||^2 + 2β||V*||_* = 5 + 4 = 9``; ``Λ* = Y - V* = diag(2, 1)``."""
    X, Y, beta = np.eye(2), np.diag([3.0, 1.0]), 2.0
    data = as_dataset(X, Y)
    for name in REGULARIZED_BUILDERS:
        value = solve(REGULARIZED_BUILDERS[name](data, beta)).training_value
        assert value == pytest.approx(9.0, rel=1e-7), name
    np.testing.assert_allclose(solve(linear.regularized_primal(data, beta)).variables["v"],
                               np.diag([1.0, 0.0]), atol=1e-6)
    np.testing.assert_allclose(solve(linear.regularized_dual(data, beta)).variables["lam"],
                               np.diag([2.0, 1.0]), atol=1e-6)


@pytest.mark.parametrize("builder", sorted(REGULARIZED_BUILDERS))
@pytest.mark.parametrize("beta", (0.2, 1.0, 3.0, 50.0))
def test_regularized_vector_orthonormal_matches_svt(beta, builder):
    rng = np.random.default_rng(31)
    X, _ = np.linalg.qr(rng.standard_normal((20, 6)))
    Y = rng.standard_normal((20, K)) + X @ rng.standard_normal((6, K))
    expected, _ = svt_reference(X, Y, beta)
    solution = solve(REGULARIZED_BUILDERS[builder](as_dataset(X, Y), beta))
    assert solution.accurate
    assert rel_err(solution.training_value, expected) <= REL


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_regularized_vector_general_forms_agree_with_fista(shape, beta):
    X, Y = make_xy("vector", shape, seed=32)
    data = as_dataset(X, Y)
    values = {name: solve(build(data, beta)).training_value
              for name, build in REGULARIZED_BUILDERS.items()}
    reference = values["regularized_primal"]
    for name, value in values.items():
        assert rel_err(value, reference) <= REL, (name, value, reference)
    upper, lower, _ = fista_reference(X, Y, beta)
    assert rel_err(upper, lower) <= 1e-9
    assert rel_err(reference, upper) <= REL


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_regularized_dual_variables_are_the_residual(output, shape, beta):
    """``λ* = Y - X V*`` (optimality of (8)); the Lemma 2.2 and SVD variables map back to it:
    ``λ = X s + (Y - P_X Y)`` and ``X s = U_r ŝ``. (At Clarabel's default tolerances the dual
    variables are only good to ~1e-5, so the solves here are tightened.)"""
    X, Y = make_xy(output, shape, seed=33)
    data = as_dataset(X, Y)
    v = solve(linear.regularized_primal(data, beta), **TIGHT).variables["v"]
    residual = Y - X @ v
    lam = solve(linear.regularized_dual(data, beta), **TIGHT).variables["lam"]
    np.testing.assert_allclose(lam, residual, atol=1e-5)
    projector = range_projector(X)
    s = solve(linear.regularized_dual_lemma22(data, beta), **TIGHT).variables["s"]
    np.testing.assert_allclose(X @ s + (Y - projector @ Y), residual, atol=1e-5)
    U, sv, _ = np.linalg.svd(X, full_matrices=False)
    s_hat = solve(linear.regularized_dual_svd(data, beta), **TIGHT).variables["s_hat"]
    np.testing.assert_allclose(U[:, : len(s_hat)] @ s_hat + (Y - projector @ Y), residual,
                               atol=1e-5)


# --- weak and strong duality -------------------------------------------------------------------

def _primal_objective(X, Y, v, beta):
    """Training objective of the end-to-end weights (regularized, value of (1))."""
    return float(np.sum((X @ v - Y) ** 2) + 2.0 * beta * nuclear(v))


def _oracle(X, lam):
    G = X.T @ lam
    return float(np.linalg.norm(G)) if G.ndim == 1 else float(np.linalg.norm(G, 2))


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_min_norm_weak_and_strong_duality(output, shape):
    X, Y = make_xy(output, shape, seed=41, planted=shape == "tall")
    data = as_dataset(X, Y)
    primal = solve(linear.min_norm_primal(data))
    for name in MIN_NORM_DUALS:
        dual = solve(MIN_NORM_BUILDERS[name](data))
        # Raw solver values: each is within Clarabel's tolerance (~1e-8 relative) of the optimum.
        assert dual.training_value <= primal.training_value * (1 + 1e-7) + 1e-10, name
        gap = primal.training_value - dual.training_value
        assert abs(gap) / primal.training_value <= REL, name
    # weak duality recomputed in NumPy: any exactly feasible λ bounds the training value
    lam = solve(linear.min_norm_dual(data)).variables["lam"]
    lam = lam / max(1.0, _oracle(X, lam))
    assert 2.0 * float(np.sum(lam * Y)) <= min_norm_reference(X, Y) * (1 + 1e-12)
    assert 2.0 * float(np.sum(lam * Y)) >= min_norm_reference(X, Y) * (1 - REL)


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_regularized_weak_and_strong_duality(output, shape, beta):
    X, Y = make_xy(output, shape, seed=42)
    data = as_dataset(X, Y)
    primal = solve(linear.regularized_primal(data, beta))
    for name in REGULARIZED_DUALS:
        dual = solve(REGULARIZED_BUILDERS[name](data, beta))
        # Raw solver values: each is within Clarabel's tolerance (~1e-8 relative) of the optimum.
        assert dual.training_value <= primal.training_value * (1 + 1e-7), name
        assert rel_err(dual.training_value, primal.training_value) <= REL, name
    # recomputed: dual objective at the scaled-feasible λ <= primal objective at the primal v
    v = primal.variables["v"]
    lam = solve(linear.regularized_dual(data, beta)).variables["lam"]
    lam = lam * min(1.0, beta / _oracle(X, lam))
    lower = 2.0 * (float(np.sum(lam * Y)) - 0.5 * float(np.sum(lam ** 2)))
    upper = _primal_objective(X, Y, v, beta)
    assert lower <= upper * (1 + 1e-12)
    assert (upper - lower) / upper <= REL


# --- CVXPY's sign convention -------------------------------------------------------------------

@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_interpolation_dual_value_is_minus_lambda(output, shape):
    """``min ||v|| s.t. Xv = y`` has Lagrangian ``||v|| - λ^T (Xv - y)`` whose dual is exactly
    ``max λ^T y s.t. ||X^T λ|| <= 1`` (5) (same scale: both values are ``||X^+ y||``, no factor).
    CVXPY writes ``||v|| + ν^T (Xv - y)``, so ``ν = -λ``. On the range of ``X`` the multiplier
    is unique; for ``n > d`` components in ``null(X^T)`` are arbitrary, so compare projections."""
    X, Y = make_xy(output, shape, seed=51, planted=shape == "tall")
    data = as_dataset(X, Y)
    primal = linear.min_norm_primal(data)
    nu = solve(primal, **TIGHT).duals["interpolation"]
    lam = solve(linear.min_norm_dual(data), **TIGHT).variables["lam"]
    assert nu.shape == lam.shape == Y.shape
    projector = range_projector(X)
    np.testing.assert_allclose(projector @ nu, -(projector @ lam), atol=1e-5)
    if shape == "wide":  # full row rank: the whole multiplier is determined
        np.testing.assert_allclose(nu, -lam, atol=1e-5)
    # and the multiplier is itself dual optimal: -ν^T y = primal value
    assert -float(np.sum(nu * Y)) == pytest.approx(min_norm_reference(X, Y) / 2, rel=REL)


# --- DPP and β paths ---------------------------------------------------------------------------

def _all_programs(data):
    rng = np.random.default_rng(61)
    neurons = rng.standard_normal((data.d, data.n + data.d))
    programs = {name: build(data) for name, build in MIN_NORM_BUILDERS.items()}
    programs.update({name: build(data, 0.7) for name, build in REGULARIZED_BUILDERS.items()})
    programs["dictionary_primal"] = linear.dictionary_primal(data, neurons)
    programs["dictionary_dual"] = linear.dictionary_dual(data, neurons)
    programs["dictionary_primal_beta"] = linear.dictionary_primal(data, neurons, 0.7)
    programs["dictionary_dual_beta"] = linear.dictionary_dual(data, neurons, 0.7)
    return programs


@pytest.mark.parametrize("output", OUTPUTS)
def test_every_builder_is_dpp(output):
    X, Y = make_xy(output, "wide", seed=62)
    programs = _all_programs(as_dataset(X, Y))
    assert len(programs) == 11
    for name, program in programs.items():
        assert program.problem.is_dpp(), name
        assert isinstance(program.problem, cp.Problem)


BETA_PATH = (0.05, 0.4, 1.3, 4.0, 25.0)
PATH_BUILDERS = {
    **REGULARIZED_BUILDERS,
    "dictionary_primal": linear.dictionary_primal,
    "dictionary_dual": linear.dictionary_dual,
}


@pytest.mark.parametrize("how", ("set_beta", "parameter"))
@pytest.mark.parametrize("builder", sorted(PATH_BUILDERS))
@pytest.mark.parametrize("output", OUTPUTS)
def test_beta_path_resolve_equals_rebuild(output, builder, how):
    X, Y = make_xy(output, "tall", seed=63)
    data = as_dataset(X, Y)
    build = PATH_BUILDERS[builder]
    if builder.startswith("dictionary"):
        neurons = np.random.default_rng(64).standard_normal((data.d, 10))

        def make(beta):
            return build(data, neurons, beta)
    else:
        def make(beta):
            return build(data, beta)
    program = make(BETA_PATH[0] * 3.0)
    values = []
    for beta in BETA_PATH:
        if how == "set_beta":
            program.set_beta(beta)
        else:
            program.parameters["beta"].value = beta
        resolved = solve(program).training_value
        rebuilt = solve(make(beta)).training_value
        assert rel_err(resolved, rebuilt) <= REL, beta
        if output == "scalar" and not builder.startswith("dictionary"):
            assert rel_err(resolved, ridge_path_reference(X, Y, beta)[0]) <= REL, beta
        values.append(resolved)
    # the optimal value of (1) increases with β (it is a minimum of functions increasing in β)
    assert all(a <= b * (1 + 1e-9) for a, b in zip(values, values[1:], strict=False))


# --- finite neuron dictionaries ----------------------------------------------------------------

@pytest.mark.parametrize("beta", (None, 0.5, 3.0))
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_dictionary_primal_equals_dual_and_bounds_exact(output, shape, beta):
    X, Y = make_xy(output, shape, seed=71, planted=shape == "tall")
    data = as_dataset(X, Y)
    n, d = X.shape
    neurons = np.random.default_rng(72).standard_normal((d, n + d))
    primal = solve(linear.dictionary_primal(data, neurons, beta))
    dual = solve(linear.dictionary_dual(data, neurons, beta))
    assert rel_err(primal.training_value, dual.training_value) <= REL
    if beta is None:
        exact = min_norm_reference(X, Y)
    elif output == "scalar":
        exact = ridge_path_reference(X, Y, beta)[0]
    else:
        exact = fista_reference(X, Y, beta)[0]
    assert primal.training_value >= exact * (1 - REL)
    assert dual.training_value >= exact * (1 - REL)
    # the output weights reproduce the value: ℓ1 / group-ℓ1 of w2 (plus the fit term)
    w2 = primal.variables["w2"]
    A = X @ (neurons / np.linalg.norm(neurons, axis=0))
    penalty = np.abs(w2).sum() if w2.ndim == 1 else np.linalg.norm(w2, axis=1).sum()
    if beta is None:
        np.testing.assert_allclose(A @ w2, Y, atol=1e-6)
        assert 2 * penalty == pytest.approx(primal.training_value, rel=REL)
    else:
        recomputed = np.sum((A @ w2 - Y) ** 2) + 2 * beta * penalty
        assert recomputed == pytest.approx(primal.training_value, rel=REL)


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_dictionary_with_optimal_neurons_is_exact_min_norm(output, shape):
    """Containing ``X^+ y/||X^+ y||`` (scalar) or the left singular vectors of ``X^+ Y``
    (vector) — Corollary 2.1, (13) — makes the dictionary value exact; a random dictionary
    without them is strictly worse."""
    X, Y = make_xy(output, shape, seed=73, planted=shape == "tall")
    data = as_dataset(X, Y)
    W = np.linalg.pinv(X) @ Y
    if W.ndim == 1:
        optimal = (W / np.linalg.norm(W))[:, None]
    else:
        optimal = np.linalg.svd(W, full_matrices=False)[0]
    rng = np.random.default_rng(74)
    extra = rng.standard_normal((X.shape[1], 5))
    exact = min_norm_reference(X, Y)
    for neurons in (optimal, np.hstack([extra, optimal]), np.hstack([optimal, -optimal])):
        for build in (linear.dictionary_primal, linear.dictionary_dual):
            value = solve(build(data, neurons)).training_value
            assert rel_err(value, exact) <= REL
    random_dictionary = rng.standard_normal((X.shape[1], X.shape[0] + X.shape[1]))
    assert solve(linear.dictionary_primal(data, random_dictionary)).training_value > exact * 1.01


@pytest.mark.parametrize("beta", (0.3, 2.0))
@pytest.mark.parametrize("output", OUTPUTS)
def test_dictionary_with_optimal_neurons_is_exact_regularized(output, beta):
    """Regularized: the optimal neurons are the left singular vectors of ``V*`` (scalar: the
    direction of ``v*``) — from the ridge path (scalar) and SVT on orthonormal ``X`` (vector)."""
    rng = np.random.default_rng(75)
    if output == "scalar":
        X, Y = make_xy("scalar", "wide", seed=76)
        exact, v = ridge_path_reference(X, Y, beta)
        optimal = (v / np.linalg.norm(v))[:, None]
    else:
        X, _ = np.linalg.qr(rng.standard_normal((20, 6)))
        Y = X @ rng.standard_normal((6, K)) + 0.3 * rng.standard_normal((20, K))
        exact, V = svt_reference(X, Y, beta)
        N, s, _ = np.linalg.svd(V, full_matrices=False)
        assert np.count_nonzero(s > 1e-9) >= 1
        optimal = N[:, s > 1e-9]
    data = as_dataset(X, Y)
    neurons = np.hstack([rng.standard_normal((X.shape[1], 4)), optimal])
    for build in (linear.dictionary_primal, linear.dictionary_dual):
        assert rel_err(solve(build(data, neurons, beta)).training_value, exact) <= REL
    without = solve(linear.dictionary_primal(data, neurons[:, :4], beta)).training_value
    assert without > exact * (1 + 1e-4)


@pytest.mark.parametrize("beta", (None, 0.8))
@pytest.mark.parametrize("output", OUTPUTS)
def test_dictionary_columns_are_normalized(output, beta):
    X, Y = make_xy(output, "wide", seed=77)
    data = as_dataset(X, Y)
    rng = np.random.default_rng(78)
    unit = rng.standard_normal((X.shape[1], 12))
    unit /= np.linalg.norm(unit, axis=0)
    scaled = unit * rng.uniform(0.05, 20.0, size=12) * rng.choice([-1.0, 1.0], size=12)
    for build in (linear.dictionary_primal, linear.dictionary_dual):
        a = solve(build(data, unit, beta)).training_value
        b = solve(build(data, scaled, beta)).training_value
        assert rel_err(a, b) <= REL
    # a single neuron given as a 1-D array is one column
    one = solve(linear.dictionary_dual(data, 7.0 * unit[:, 0], 0.8)).training_value
    assert rel_err(one, solve(linear.dictionary_dual(data, unit[:, :1], 0.8)).training_value) \
        <= REL


def test_dictionary_neuron_duals_are_output_weight_magnitudes():
    """Docstring of dictionary_dual: the dual values of its neuron constraints are ``|w2_j|``."""
    X, y = make_xy("scalar", "wide", seed=79)
    data = as_dataset(X, y)
    neurons = np.random.default_rng(80).standard_normal((X.shape[1], 12))
    w2 = solve(linear.dictionary_primal(data, neurons), **TIGHT).variables["w2"]
    duals = solve(linear.dictionary_dual(data, neurons), **TIGHT).duals["neuron_constraints"]
    np.testing.assert_allclose(np.abs(duals), np.abs(w2), atol=1e-5)


# --- infeasible minimum-norm problems ----------------------------------------------------------

@pytest.mark.parametrize("output", OUTPUTS)
def test_min_norm_outside_range_raises(output):
    X, Y = make_xy(output, "tall", seed=81)  # n > d, random Y: not in the range of X
    data = as_dataset(X, Y)
    with pytest.raises(InfeasibleError):
        linear.min_norm_primal(data)
    with pytest.raises(InfeasibleError):  # the dual (5)/(12) is then unbounded
        solve(linear.min_norm_dual(data))


@pytest.mark.parametrize("output", OUTPUTS)
def test_dictionary_min_norm_unreachable_raises(output):
    """Two neurons cannot reach a generic ``y`` in ``R^6`` (``X`` invertible): the min-norm
    dictionary program is infeasible and its dual unbounded, on every one of 20 instances."""
    outcomes = {}
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((6, 6))
        Y = rng.standard_normal((6,) if output == "scalar" else (6, K))
        data = as_dataset(X, Y)
        neurons = rng.standard_normal((6, 2))  # span of X @ neurons has dimension 2 < 6
        for build in (linear.dictionary_primal, linear.dictionary_dual):
            try:
                solution = solve(build(data, neurons))
            except InfeasibleError:
                continue
            except Exception as exc:  # report what was raised instead
                outcomes[(seed, build.__name__)] = type(exc).__name__
            else:
                outcomes[(seed, build.__name__)] = f"returned status {solution.status!r}"
    assert outcomes == {}, f"expected InfeasibleError, got: {outcomes}"


@pytest.mark.parametrize("output", OUTPUTS)
def test_unreachable_dictionary_is_fine_when_regularized(output):
    rng = np.random.default_rng(82)
    X = rng.standard_normal((6, 6))
    Y = rng.standard_normal((6,) if output == "scalar" else (6, K))
    data = as_dataset(X, Y)
    neurons = rng.standard_normal((6, 2))
    # the exact problem is feasible (X is invertible) and so is the regularized dictionary
    assert solve(linear.min_norm_primal(data)).accurate
    assert solve(linear.dictionary_primal(data, neurons, 1.0)).accurate
