"""Optimal neurons and networks read from dual solutions (``cvxdual.extract``), and the exact
fast paths of ``cvxdual.fast``, against references computed independently in this file.

The references (``2||X^+ Y||_*``, the ridge-path search, singular-value thresholding and a small
FISTA with a duality-gap stop) are written here with NumPy/SciPy only.
"""

from __future__ import annotations

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
    svt,
)
from scipy.linalg import subspace_angles

from cvxdual import fast
from cvxdual.data import as_dataset
from cvxdual.extract import (
    ACTIVE_RTOL,
    balance_two_layer,
    extreme_points,
    linear_oracle,
    network_from_dual,
    two_layer_network,
)
from cvxdual.families import linear
from cvxdual.solve import solve

REL = 1e-6


# --- data and independent references ---------------------------------------------------------

def orthonormal_xy(seed: int, n: int = 20, d: int = 6):
    rng = np.random.default_rng(seed)
    X, _ = np.linalg.qr(rng.standard_normal((n, d)))
    Y = X @ (rng.standard_normal((d, K)) * [3.0, 1.5, 0.5]) + 0.2 * rng.standard_normal((n, K))
    return X, Y


def column_space(V, tol=1e-7):
    U, s, _ = np.linalg.svd(V, full_matrices=False)
    return U[:, s > tol * max(1.0, s[0])]


def sign_free_distance(a, b):
    return min(np.linalg.norm(a - b), np.linalg.norm(a + b))


# --- extreme points (Corollary 2.1, Remark 2.1) -----------------------------------------------

def _dual_solution(output, shape, problem, seed):
    X, Y = make_xy(output, shape, seed, planted=(problem == "min_norm" and shape == "tall"))
    data = as_dataset(X, Y)
    if problem == "min_norm":
        return X, Y, data, solve(linear.min_norm_dual(data)).variables["lam"], 1.0
    beta = 0.3 * np.linalg.norm((X.T @ Y).reshape(X.shape[1], -1), 2)  # < σ_max(X^T Y): active
    return X, Y, data, solve(linear.regularized_dual(data, beta)).variables["lam"], beta


@pytest.mark.parametrize("problem", ("min_norm", "regularized"))
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_extreme_points_maximize_the_dual_constraint(output, shape, problem):
    X, _, data, lam, bound = _dual_solution(output, shape, problem, seed=101)
    G = (X.T @ lam).reshape(X.shape[1], -1)  # (d, k): Λ^T X w = G^T w
    sigma_max = float(np.sqrt(np.linalg.eigvalsh(G.T @ G)[-1]))
    oracle = linear_oracle(X, lam)
    assert oracle == pytest.approx(sigma_max, rel=1e-10)
    assert oracle == pytest.approx(bound, rel=1e-6)  # the dual constraint is active
    points = extreme_points(data, lam, bound)
    assert points.max_value == pytest.approx(oracle, rel=1e-12)
    # no unit vector beats the oracle value
    rng = np.random.default_rng(102)
    W = rng.standard_normal((X.shape[1], 4000))
    W /= np.linalg.norm(W, axis=0)
    assert np.linalg.norm(G.T @ W, axis=0).max() <= oracle * (1 + 1e-12)
    # the neurons are orthonormal, attain their listed values, and the best attains the max
    Q = points.neurons
    assert Q.shape[0] == X.shape[1] and Q.shape[1] >= 1
    np.testing.assert_allclose(Q.T @ Q, np.eye(Q.shape[1]), atol=1e-10)
    attained = np.linalg.norm(G.T @ Q, axis=0)
    np.testing.assert_allclose(attained, points.values, rtol=1e-10)
    assert np.all(attained >= (1 - ACTIVE_RTOL) * bound)
    assert attained.max() == pytest.approx(oracle, rel=1e-10)
    assert np.all(np.diff(points.values) <= 1e-12)  # descending


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_scalar_neuron_is_the_projection_of_the_planted_model(shape):
    """Corollary 2.1: ``w1* = X^T λ/||X^T λ|| = P_{X^T}(w*)/||P_{X^T}(w*)||`` and
    ``P_{X^T}(w*) = X^+ y`` for any planted ``w*``."""
    X, y, data, lam, _ = _dual_solution("scalar", shape, "min_norm", seed=103)
    points = extreme_points(data, lam, 1.0)
    assert points.neurons.shape == (X.shape[1], 1)
    neuron = points.neurons[:, 0]
    g = X.T @ lam
    assert sign_free_distance(neuron, g / np.linalg.norm(g)) <= 1e-10
    w = np.linalg.pinv(X) @ y
    assert abs(neuron @ w) / np.linalg.norm(w) > 1 - 1e-6


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_regularized_scalar_neuron_is_parallel_to_optimal_v(shape):
    X, y = make_xy("scalar", shape, seed=104)
    beta = 0.4 * np.linalg.norm(X.T @ y)
    _, v = ridge_path_reference(X, y, beta)
    lam = solve(linear.regularized_dual(as_dataset(X, y), beta)).variables["lam"]
    neuron = extreme_points(as_dataset(X, y), lam, beta).neurons[:, 0]
    assert abs(neuron @ v) / np.linalg.norm(v) > 1 - 1e-6


def test_extreme_points_hand_fixture():
    """``X = diag(2, 1)``, ``λ* = (0.3, 0.8)``: ``X^T λ* = (0.6, 0.8)``, one neuron
    ``±(0.6, 0.8)`` with value 1. A zero ``λ`` has no extreme point."""
    X = np.diag([2.0, 1.0])
    data = as_dataset(X, np.array([6.0, 4.0]))
    points = extreme_points(data, np.array([0.3, 0.8]), 1.0)
    assert points.neurons.shape == (2, 1)
    assert sign_free_distance(points.neurons[:, 0], np.array([0.6, 0.8])) <= 1e-12
    assert points.max_value == pytest.approx(1.0, rel=1e-14)
    assert linear_oracle(X, np.array([0.3, 0.8])) == pytest.approx(1.0, rel=1e-14)
    # a strictly feasible λ reaches no bound: no neuron
    assert extreme_points(data, np.array([0.15, 0.4]), 1.0).neurons.shape == (2, 0)
    zero = extreme_points(data, np.zeros(2), 1.0)
    assert zero.neurons.shape == (2, 0) and zero.max_value == 0.0
    # vector: Λ = diag(1/2, 1) gives X^T Λ = I, both axes are extreme points with value 1
    vdata = as_dataset(X, np.diag([2.0, 3.0]))
    both = extreme_points(vdata, np.diag([0.5, 1.0]), 1.0)
    assert both.neurons.shape == (2, 2)
    np.testing.assert_allclose(both.values, [1.0, 1.0], rtol=1e-14)
    assert linear_oracle(X, np.diag([0.5, 1.0])) == pytest.approx(1.0, rel=1e-14)
    # Λ = diag(1/2, 0.5): only the first axis reaches 1
    one = extreme_points(vdata, np.diag([0.5, 0.5]), 1.0)
    assert one.neurons.shape == (2, 1)
    assert sign_free_distance(one.neurons[:, 0], np.array([1.0, 0.0])) <= 1e-12


# --- balancing (Lemma 2.1) ---------------------------------------------------------------------

@pytest.mark.parametrize("output", OUTPUTS)
def test_balance_two_layer(output):
    rng = np.random.default_rng(111)
    d, m = 7, 5
    X = rng.standard_normal((10, d))
    W1 = rng.standard_normal((d, m)) * rng.uniform(0.1, 5.0, size=m)
    W2 = rng.standard_normal(m) if output == "scalar" else rng.standard_normal((m, K))
    B1, B2 = balance_two_layer(W1, W2)
    assert B1.shape == W1.shape and B2.shape == W2.shape
    np.testing.assert_allclose(X @ B1 @ B2, X @ W1 @ W2, rtol=1e-12, atol=1e-12)
    in_norms = np.linalg.norm(W1, axis=0)
    out_norms = np.abs(W2) if W2.ndim == 1 else np.linalg.norm(W2, axis=1)
    balanced = np.sum(B1 ** 2) + np.sum(B2 ** 2)
    assert balanced == pytest.approx(2.0 * np.sum(in_norms * out_norms), rel=1e-12)
    # each neuron balanced: ||b1_j|| = ||b2_j||
    b_out = np.abs(B2) if B2.ndim == 1 else np.linalg.norm(B2, axis=1)
    np.testing.assert_allclose(np.linalg.norm(B1, axis=0), b_out, rtol=1e-12)
    # the minimum over per-neuron rescalings (AM-GM): no random rescaling does better
    for _ in range(200):
        alpha = np.exp(rng.uniform(-2.0, 2.0, size=m))
        R2 = W2 / alpha if W2.ndim == 1 else W2 / alpha[:, None]
        assert np.sum((W1 * alpha) ** 2) + np.sum(R2 ** 2) >= balanced * (1 - 1e-12)


def test_balance_two_layer_zero_parts():
    """Neurons with a zero input or output part contribute nothing and are set to zero."""
    W1 = np.array([[1.0, 0.0, 2.0], [1.0, 0.0, 0.0]])
    W2 = np.array([[4.0, 0.0], [3.0, 1.0], [0.0, 0.0]])
    B1, B2 = balance_two_layer(W1, W2)
    np.testing.assert_allclose(W1 @ W2, B1 @ B2, atol=1e-14)
    np.testing.assert_allclose(B1[:, 1:], 0.0)
    np.testing.assert_allclose(B2[1:], 0.0)
    # neuron 1: ||w1|| = √2, ||w2|| = 4; both parts get norm (√2 · 4)^{1/2} = 2^{5/4}
    np.testing.assert_allclose(np.linalg.norm(B1[:, 0]), 2 ** 1.25, rtol=1e-14)
    np.testing.assert_allclose(np.linalg.norm(B2[0]), 2 ** 1.25, rtol=1e-14)
    assert np.sum(B1 ** 2) + np.sum(B2 ** 2) == pytest.approx(2 * np.sqrt(2) * 4, rel=1e-14)


# --- networks from end-to-end matrices ---------------------------------------------------------

@pytest.mark.parametrize("rank", (1, 2, 3))
def test_two_layer_network_reproduces_v(rank):
    rng = np.random.default_rng(121)
    V = rng.standard_normal((7, rank)) @ rng.standard_normal((rank, 4))
    network = two_layer_network(V, vector_output=True)
    W1, W2 = network.weights
    np.testing.assert_allclose(W1 @ W2, V, atol=1e-12)
    assert network.widths == (rank,)
    assert network.activation == "linear" and network.vector_output
    assert network.regularizer() == pytest.approx(2.0 * np.linalg.norm(V, "nuc"), rel=1e-12)
    np.testing.assert_allclose(np.linalg.norm(network.neurons, axis=0), 1.0, rtol=1e-12)
    X = rng.standard_normal((5, 7))
    np.testing.assert_allclose(network.forward(X), X @ V, atol=1e-12)


def test_two_layer_network_scalar_and_zero():
    v = np.array([[3.0], [0.0], [-4.0]])
    network = two_layer_network(v, vector_output=False)
    assert network.weights[1].shape == (1,)
    assert not network.vector_output
    np.testing.assert_allclose(network.weights[0] @ network.weights[1], v[:, 0], atol=1e-14)
    # one neuron ±(0.6, 0, -0.8) with ||w1|| = |w2| = √5: regularizer 2||v|| = 10
    assert network.regularizer() == pytest.approx(10.0, rel=1e-14)
    assert sign_free_distance(network.neurons[:, 0], np.array([0.6, 0.0, -0.8])) <= 1e-14
    zero = two_layer_network(np.zeros((3, 2)), vector_output=True)
    assert zero.widths == (0,)
    assert zero.regularizer() == 0.0
    np.testing.assert_allclose(zero.forward(np.ones((4, 3))), np.zeros((4, 2)))


# --- networks from dual solutions --------------------------------------------------------------

def test_network_from_dual_hand_fixtures():
    """Min norm: ``X = diag(2, 1)``, ``y = (6, 4)``, ``λ* = (0.3, 0.8)`` → one neuron
    ``(0.6, 0.8)``, ``W1 = √5 (0.6, 0.8)``, ``w2 = √5``, objective 10. Regularized:
    ``X = I``, ``Y = diag(3, 1)``, ``β = 2``, ``Λ* = diag(2, 1)`` → ``V* = diag(1, 0)``,
    width 1, objective ``5 + 2·2 = 9``."""
    X, y = np.diag([2.0, 1.0]), np.array([6.0, 4.0])
    network, points = network_from_dual(as_dataset(X, y), np.array([0.3, 0.8]), None)
    assert network.widths == (1,)
    W1, w2 = network.weights
    np.testing.assert_allclose(W1[:, 0] * np.sign(w2[0]), np.sqrt(5) * np.array([0.6, 0.8]),
                               atol=1e-12)
    np.testing.assert_allclose(np.abs(w2), [np.sqrt(5)], atol=1e-12)
    np.testing.assert_allclose(network.forward(X), y, atol=1e-12)
    assert network.objective(X, y) == pytest.approx(10.0, rel=1e-12)

    X, Y = np.eye(2), np.diag([3.0, 1.0])
    network, points = network_from_dual(as_dataset(X, Y), np.diag([2.0, 1.0]), 2.0)
    assert network.widths == (1,)
    np.testing.assert_allclose(network.forward(X), np.diag([1.0, 0.0]), atol=1e-12)
    assert network.objective(X, Y, beta=2.0) == pytest.approx(9.0, rel=1e-12)
    assert points.neurons.shape == (2, 1)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_network_from_min_norm_dual_scalar(shape):
    X, y = make_xy("scalar", shape, seed=131, planted=shape == "tall")
    data = as_dataset(X, y)
    lam = solve(linear.min_norm_dual(data)).variables["lam"]
    network, points = network_from_dual(data, lam, None)
    assert network.widths == (1,) and not network.vector_output
    assert network.interpolation_residual(X, y) <= 1e-7
    assert rel_err(network.objective(X, y), min_norm_reference(X, y)) <= REL
    np.testing.assert_allclose(network.weights[0] @ network.weights[1], np.linalg.pinv(X) @ y,
                               atol=1e-6)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_network_from_min_norm_dual_vector(shape):
    """Vector outputs need the span of all ``k`` extreme points exactly, so ``Λ`` must be
    accurate: Clarabel's default tolerances leave ~1e-5 errors in ``Λ`` of (12) (and hence an
    interpolation residual ~1e-5), so the dual is solved with tightened tolerances here."""
    X, Y = make_xy("vector", shape, seed=131, planted=shape == "tall")
    data = as_dataset(X, Y)
    tight = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11}
    lam = solve(linear.min_norm_dual(data), **tight).variables["lam"]
    network, points = network_from_dual(data, lam, None)
    assert network.widths == (K,) and network.vector_output
    assert network.interpolation_residual(X, Y) <= 1e-6
    assert rel_err(network.objective(X, Y), min_norm_reference(X, Y)) <= REL


@pytest.mark.parametrize("beta_fraction", (0.1, 0.5, 0.9))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_network_from_regularized_dual_scalar(shape, beta_fraction):
    X, y = make_xy("scalar", shape, seed=132)
    beta = beta_fraction * np.linalg.norm(X.T @ y)
    expected, v = ridge_path_reference(X, y, beta)
    lam = solve(linear.regularized_dual(as_dataset(X, y), beta)).variables["lam"]
    network, _ = network_from_dual(as_dataset(X, y), lam, beta)
    assert network.widths == (1,)
    assert rel_err(network.objective(X, y, beta), expected) <= REL
    # the weights inherit the solver's error in λ (~1e-5 at default tolerances, amplified by
    # X^+), while the objective is flat at the optimum: a looser check on the weights
    v_network = network.weights[0] @ network.weights[1]
    assert np.linalg.norm(v_network - v) <= 1e-3 * np.linalg.norm(v)


@pytest.mark.parametrize("beta_fraction", (0.05, 0.3, 0.7))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_network_from_regularized_dual_vector_general(shape, beta_fraction):
    """General ``X``: objective equals FISTA's certified value; the neurons span the column
    space of the optimal ``V`` and their number is its rank."""
    X, Y = make_xy("vector", shape, seed=133)
    beta = beta_fraction * np.linalg.norm(X.T @ Y, 2)
    upper, lower, V = fista_reference(X, Y, beta)
    s = np.linalg.svd(V, compute_uv=False)
    rank = int(np.count_nonzero(s > 1e-6 * s[0]))
    assert rank == K or s[rank - 1] > 1e-3 * s[0]  # the instance has a clear numerical rank
    data = as_dataset(X, Y)
    lam = solve(linear.regularized_dual(data, beta)).variables["lam"]
    network, points = network_from_dual(data, lam, beta)
    assert rel_err(network.objective(X, Y, beta), upper) <= REL
    assert network.widths == (rank,)
    assert points.neurons.shape[1] == rank
    assert np.max(subspace_angles(points.neurons, column_space(V, 1e-6))) < 1e-3
    assert np.max(subspace_angles(network.neurons, column_space(V, 1e-6))) < 1e-3


def test_network_from_regularized_dual_rank_drops_with_beta():
    """Remark 2.1 with ``X^T X = I``: ``V* = SVT_β(X^T Y)`` has rank
    ``#{σ_i(X^T Y) > β}``, so the width drops by one at each singular value and is 0 for
    ``β >= σ_1(X^T Y)`` (the network is then zero and its objective is ``||Y||_F^2``)."""
    X, Y = orthonormal_xy(seed=141)
    sigma = np.linalg.svd(X.T @ Y, compute_uv=False)  # descending, σ_1 > σ_2 > σ_3
    assert np.all(np.diff(sigma) < -0.1)
    betas = [0.5 * sigma[2], 0.5 * (sigma[2] + sigma[1]), 0.5 * (sigma[1] + sigma[0]),
             1.01 * sigma[0], 2.0 * sigma[0]]
    expected_ranks = [3, 2, 1, 0, 0]
    data = as_dataset(X, Y)
    program = linear.regularized_dual(data, betas[0])
    widths = []
    for beta, rank in zip(betas, expected_ranks, strict=True):
        program.set_beta(beta)
        lam = solve(program).variables["lam"]
        network, points = network_from_dual(data, lam, beta)
        V = svt(X.T @ Y, beta)
        value = float(np.sum((X @ V - Y) ** 2) + 2.0 * beta * nuclear(V))
        assert rel_err(network.objective(X, Y, beta), value) <= REL
        assert network.widths == (rank,)
        assert points.neurons.shape[1] == rank
        if rank:
            assert np.max(subspace_angles(network.neurons, column_space(V))) < 1e-3
        else:
            assert network.regularizer() == 0.0
            np.testing.assert_allclose(network.forward(X), 0.0)
            assert network.objective(X, Y, beta) == pytest.approx(np.sum(Y ** 2), rel=1e-12)
        widths.append(network.widths[0])
    assert widths == sorted(widths, reverse=True)


@pytest.mark.parametrize("source", ("exact", "solver"))
@pytest.mark.parametrize("factor", (1.0, 1.5))
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_network_from_dual_is_zero_above_the_last_breakpoint(output, shape, factor, source):
    """``β >= σ_max(X^T Y)``: ``V* = 0`` and ``Λ* = Y``; the network has width 0 and objective
    ``||Y||_F^2``, from the exact ``Λ* = Y`` and from the solver's dual, also at the boundary
    ``β = σ_max``."""
    X, Y = make_xy(output, shape, seed=151)
    G = (X.T @ Y).reshape(X.shape[1], -1)
    beta = factor * np.linalg.norm(G, 2)
    data = as_dataset(X, Y)
    lam = Y if source == "exact" else solve(linear.regularized_dual(data, beta)).variables["lam"]
    network, _ = network_from_dual(data, lam, beta)
    assert network.widths == (0,)
    assert network.regularizer() == 0.0
    assert network.objective(X, Y, beta) == pytest.approx(np.sum(Y ** 2), rel=1e-12)


# --- cvxdual.fast against the independent references -------------------------------------------

@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("output", OUTPUTS)
def test_fast_min_norm_value(output, shape):
    X, Y = make_xy(output, shape, seed=161, planted=shape == "tall")
    assert rel_err(fast.two_layer_min_norm_value(as_dataset(X, Y)),
                   min_norm_reference(X, Y)) <= 1e-10
    assert fast.two_layer_min_norm_value(as_dataset(np.diag([2.0, 1.0]), [6.0, 4.0])) \
        == pytest.approx(10.0, rel=1e-14)


@pytest.mark.parametrize("beta_fraction", (0.01, 0.2, 0.6, 0.99, 1.0, 3.0))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_fast_regularized_scalar(shape, beta_fraction):
    X, y = make_xy("scalar", shape, seed=162)
    beta = beta_fraction * np.linalg.norm(X.T @ y)
    expected, v_ref = ridge_path_reference(X, y, beta)
    value, v = fast.two_layer_regularized_scalar(as_dataset(X, y), beta)
    assert rel_err(value, expected) <= 1e-9
    np.testing.assert_allclose(v, v_ref, atol=1e-6)
    assert fast.two_layer_regularized_value(as_dataset(X, y), beta) == pytest.approx(value)
    if beta_fraction >= 1.0:
        assert value == pytest.approx(float(y @ y), rel=1e-14)
        np.testing.assert_array_equal(v, 0.0)


def test_fast_regularized_scalar_hand_fixture():
    value, v = fast.two_layer_regularized_scalar(as_dataset(np.eye(2), [3.0, 4.0]), 1.0)
    assert value == pytest.approx(9.0, rel=1e-12)
    np.testing.assert_allclose(v, [2.4, 3.2], atol=1e-12)
    with pytest.raises(ValueError):
        fast.two_layer_regularized_scalar(as_dataset(np.eye(2), np.eye(2)), 1.0)


@pytest.mark.parametrize("beta", (0.05, 0.5, 2.0, 10.0))
def test_fast_regularized_orthonormal(beta):
    """Against an SVT-free expression: with ``X^T X = I`` and ``X^T Y = P diag(σ) R^T``,
    ``||XV - Y||^2 = ||Y||^2 - ||X^T Y||^2 + Σ (σ_i - s_i)^2`` with ``s_i = (σ_i - β)_+``, and
    against FISTA."""
    X, Y = orthonormal_xy(seed=171)
    data = as_dataset(X, Y)
    sigma = np.linalg.svd(X.T @ Y, compute_uv=False)
    shrunk = np.maximum(sigma - beta, 0.0)
    expected = (np.sum(Y ** 2) - np.sum(sigma ** 2) + np.sum((sigma - shrunk) ** 2)
                + 2.0 * beta * shrunk.sum())
    value, V = fast.two_layer_regularized_orthonormal(data, beta)
    assert rel_err(value, expected) <= 1e-12
    np.testing.assert_allclose(np.linalg.svd(V, compute_uv=False), shrunk, atol=1e-12)
    upper, lower, V_ref = fista_reference(X, Y, beta)
    assert lower * (1 - 1e-9) <= value <= upper * (1 + 1e-9)
    np.testing.assert_allclose(V, V_ref, atol=1e-5)
    assert fast.two_layer_regularized_value(data, beta) == pytest.approx(value, rel=1e-14)


def test_fast_orthonormal_detection_and_general_vector():
    X, Y = orthonormal_xy(seed=172)
    assert fast.has_orthonormal_columns(X)
    assert not fast.has_orthonormal_columns(2.0 * X)
    rng = np.random.default_rng(173)
    assert not fast.has_orthonormal_columns(rng.standard_normal((20, 6)))
    assert not fast.has_orthonormal_columns(X.T)  # n < d cannot have orthonormal columns
    general = as_dataset(rng.standard_normal((20, 6)), Y)
    assert fast.two_layer_regularized_value(general, 0.5) is None

