"""The baseline trainer: exact gradients, the benign landscape of linear networks, never below
the certified optimum, recorded layer statistics, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from references import min_norm_reference, ridge_path_reference

import cvxdual
from cvxdual.train import training_objective

GRAD_RTOL = 1e-6        # central differences vs exact gradient, relative to the gradient's norm
REACH_RTOL = 1e-4       # linear networks trained by L-BFGS reach the certified optimum
BELOW_RTOL = 1e-8       # a trained objective may sit below the certified value only by rounding


def regression(n: int, d: int, k: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    planted = rng.standard_normal((d,) if k is None else (d, k))
    return X, X @ planted + 0.3 * rng.standard_normal((n,) if k is None else (n, k))


def spline_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 4.0, n))
    return x[:, None], np.sin(2 * x)


def rank_one_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = rng.uniform(0.0, 2.0, n)
    return np.outer(c, rng.standard_normal(d)), np.cos(3 * c) + 0.1 * rng.standard_normal(n)


def central_differences(fun, theta: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        grad[i] = (fun(theta + e)[0] - fun(theta - e)[0]) / (2 * h)
    return grad


CASES = [
    ("linear", (4,), None, True),
    ("linear", (4,), 3, True),
    ("deep-linear", (3, 5), None, True),
    ("deep-linear", (3, 4, 2), 2, True),
    ("relu", (5,), None, True),
    ("relu", (4, 3), None, True),
    ("relu", (4, 3, 3), 2, True),
    ("relu", (4, 3), None, False),
]


@pytest.mark.parametrize(("family", "widths", "k", "bias"), CASES)
def test_gradient_matches_central_differences(family, widths, k, bias):
    X, Y = regression(9, 4, k, seed=len(widths) + (k or 0))
    fun, size, to_network = training_objective(X, Y, family, widths, beta=0.3, bias=bias)
    rng = np.random.default_rng(7)
    theta = rng.standard_normal(size)
    value, grad = fun(theta)
    # The value is the objective (1) computed by Network's own forward pass, a second code path.
    assert value == pytest.approx(to_network(theta).objective(X, Y, 0.3), rel=1e-12)
    numeric = central_differences(fun, theta)
    assert np.linalg.norm(grad - numeric) <= GRAD_RTOL * np.linalg.norm(grad)
    # ReLU kinks make finite differences unreliable only within h of a kink: none is that close.
    net = to_network(theta)
    assert net.activation == ("relu" if family == "relu" else "linear")
    has_bias = family == "relu" and bias
    assert (net.biases[-1] is not None) == has_bias
    assert all(b is None for b in net.biases[:-1])


@pytest.mark.parametrize(("k", "beta"), [(None, 0.5), (None, 5.0), (3, 0.5), (3, 5.0)])
def test_two_layer_linear_reaches_the_optimum(k, beta):
    X, Y = regression(15, 6, k, seed=11)
    result = cvxdual.train(X, Y, "linear", (6,), beta=beta, restarts=3, seed=1)
    cert = cvxdual.certify(X, Y, beta=beta)
    assert cert.certified, cert.reasons
    # Second, independent value for scalar outputs: the ridge-path search of references.py.
    if k is None:
        assert cert.training_value == pytest.approx(ridge_path_reference(X, Y, beta)[0],
                                                    rel=1e-6)
    scale = abs(cert.training_value)
    assert result.objective >= cert.dual_value - BELOW_RTOL * scale
    assert abs(result.objective - cert.training_value) <= REACH_RTOL * scale
    # The reported objective is recomputed from the returned weights.
    assert result.objective == pytest.approx(result.network.objective(X, Y, beta), rel=1e-14)


@pytest.mark.parametrize("depth", [3, 4])
def test_deep_linear_reaches_the_optimum(depth):
    X, y = regression(12, 5, None, seed=depth)
    beta = 0.5
    result = cvxdual.train(X, y, "deep-linear", (4,) * (depth - 1), beta=beta, restarts=4, seed=2)
    cert = cvxdual.certify(X, y, family="deep-linear", depth=depth, beta=beta)
    assert cert.certified, cert.reasons
    scale = abs(cert.training_value)
    assert result.objective >= cert.dual_value - BELOW_RTOL * scale
    assert abs(result.objective - cert.training_value) <= REACH_RTOL * scale


def test_deep_linear_vector_never_below_the_lower_bound():
    X, Y = regression(12, 5, 3, seed=5)
    result = cvxdual.train(X, Y, "deep-linear", (4, 4), beta=0.5, restarts=3, seed=0)
    cert = cvxdual.certify(X, Y, family="deep-linear", depth=3, beta=0.5)
    assert result.objective >= cert.dual_value - BELOW_RTOL * abs(cert.dual_value)


@pytest.mark.parametrize(("data", "depth"), [("spline", 2), ("spline", 3), ("rank-one", 2),
                                             ("rank-one", 3), ("rank-one", 4)])
def test_relu_training_never_below_the_certified_optimum(data, depth):
    X, y = spline_data(9, seed=depth) if data == "spline" else rank_one_data(9, 3, seed=depth)
    beta = 0.05
    result = cvxdual.train(X, y, "relu", (12,) * (depth - 1), beta=beta, restarts=4, seed=3,
                           max_iter=3000)
    cert = cvxdual.certify(X, y, family="relu", depth=depth, beta=beta)
    assert cert.certified, cert.reasons
    assert min(r.objective for r in result.restarts) >= (
        cert.dual_value - BELOW_RTOL * abs(cert.dual_value))
    # Every restart's network has the family's structure: ReLU, a bias only in the last hidden
    # layer (Proposition 4.1).
    for record in result.restarts:
        assert record.network.activation == "relu"
        assert record.network.biases[-1] is not None
        assert all(b is None for b in record.network.biases[:-1])


def test_relu_without_bias_never_below_theorem_4_1():
    X, y = rank_one_data(8, 2, seed=4)
    result = cvxdual.train(X, y, "relu", (6, 6), beta=0.1, bias=False, restarts=3, seed=0)
    cert = cvxdual.certify(X, y, family="relu", depth=3, beta=0.1, bias=False)
    assert cert.certified, cert.reasons
    assert all(b is None for b in result.network.biases) and result.network.intercept == 0.0
    assert result.objective >= cert.dual_value - BELOW_RTOL * abs(cert.dual_value)


def test_momentum_reaches_the_linear_optimum_and_records_the_trajectory():
    X, y = regression(15, 6, None, seed=2)
    beta = 1.0
    result = cvxdual.train(X, y, "linear", (5,), beta=beta, method="momentum", restarts=2,
                           seed=0, max_iter=3000, record_every=500)
    cert = cvxdual.certify(X, y, beta=beta)
    assert abs(result.objective - cert.training_value) <= 1e-6 * cert.training_value
    record = result.restarts[result.best_restart]
    assert record.trajectory.shape == (3001,)
    assert record.record_iterations.tolist() == [0, 500, 1000, 1500, 2000, 2500, 3000]
    assert record.step is not None and record.step > 0
    # Momentum is not monotone, but it ends far below where it started.
    assert record.trajectory[-1] < 0.5 * record.trajectory[0]


def test_records_match_the_final_network():
    X, Y = regression(12, 5, 3, seed=8)
    result = cvxdual.train(X, Y, "deep-linear", (6, 6), beta=2.0, restarts=2, seed=0,
                           record_every=10, rank_rtol=1e-4)
    for record in result.restarts:
        L = 3
        assert record.ranks.shape == record.operator_norms.shape == (
            record.record_iterations.size, L)
        assert record.record_iterations[0] == 0
        assert record.record_iterations[-1] == record.trajectory.size - 1
        assert np.all(np.diff(record.record_iterations) > 0)
        W = record.network.weights
        # Norms recomputed here with plain NumPy, not through cvxdual.structure.
        np.testing.assert_allclose(record.frobenius_norms[-1],
                                   [np.sqrt(np.sum(w ** 2)) for w in W], rtol=1e-12)
        np.testing.assert_allclose(record.operator_norms[-1],
                                   [np.linalg.svd(w, compute_uv=False)[0] for w in W], rtol=1e-12)
        sigma = [np.linalg.svd(w, compute_uv=False) for w in W]
        assert record.ranks[-1].tolist() == [int(np.sum(s > 1e-4 * s[0])) for s in sigma]
        # L-BFGS's last reported value is the objective of the returned weights.
        assert record.trajectory[-1] == pytest.approx(record.objective, rel=1e-10)
    assert result.objective == min(r.objective for r in result.restarts)


def test_scalar_output_layers_become_rank_one():
    # Remark 2.1 / §3.1: with a scalar output every optimal layer has rank one.
    X, y = regression(12, 5, None, seed=9)
    result = cvxdual.train(X, y, "deep-linear", (5, 5), beta=1.0, restarts=2, seed=0,
                           rank_rtol=1e-4)
    assert result.restarts[result.best_restart].ranks[-1].tolist() == [1, 1, 1]


def test_minimum_norm_limit_is_approached_with_small_beta():
    # As β → 0 the regularized optimum tends to the minimum-norm value 2||X⁺y|| (closed form).
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 10)), rng.standard_normal(6)
    result = cvxdual.train(X, y, "linear", (3,), beta=1e-4, restarts=2, seed=0)
    assert result.network.regularizer() == pytest.approx(min_norm_reference(X, y), rel=1e-3)


def test_seeds_are_reproducible():
    X, y = regression(10, 4, None, seed=1)
    a = cvxdual.train(X, y, "relu", (5,), beta=0.1, restarts=2, seed=4, max_iter=50)
    b = cvxdual.train(X, y, "relu", (5,), beta=0.1, restarts=2, seed=4, max_iter=50)
    c = cvxdual.train(X, y, "relu", (5,), beta=0.1, restarts=2, seed=5, max_iter=50)
    np.testing.assert_array_equal(a.objectives, b.objectives)
    assert not np.array_equal(a.objectives, c.objectives)


def test_result_is_json_ready():
    import json

    X, y = regression(8, 3, None, seed=0)
    result = cvxdual.train(X, y, "linear", (2,), beta=1.0, restarts=2, max_iter=30)
    out = json.loads(json.dumps(result.to_dict()))
    assert out["objective"] == result.objective and len(out["restarts"]) == 2
    assert "best objective" in str(result)


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"widths": (3, 3)}, cvxdual.ParameterError, "exactly one entry"),
    ({"widths": (0,)}, cvxdual.ParameterError, "positive integer"),
    ({"widths": ()}, cvxdual.ParameterError, "positive integer"),
    ({"widths": (2.5,)}, cvxdual.ParameterError, "positive integer"),
    ({"beta": 0.0}, cvxdual.ParameterError, "beta must be > 0"),
    ({"beta": -1.0}, cvxdual.ParameterError, "beta must be > 0"),
    ({"beta": None}, cvxdual.ParameterError, "beta > 0"),
    ({"method": "adam"}, cvxdual.ParameterError, "unknown method"),
    ({"family": "tanh"}, cvxdual.ParameterError, "unknown family"),
    ({"bias": False}, cvxdual.ParameterError, "applies to family='relu'"),
    ({"restarts": 0}, cvxdual.ParameterError, "restarts"),
    ({"momentum": 1.0}, cvxdual.ParameterError, "momentum"),
    ({"step": -0.1, "method": "momentum"}, cvxdual.ParameterError, "step"),
    ({"rank_rtol": 2.0}, cvxdual.ParameterError, "rank_rtol"),
    ({"record_every": 0}, cvxdual.ParameterError, "record_every"),
])
def test_bad_options(kwargs, error, fragment):
    X, y = regression(6, 3, None, seed=0)
    options = {"family": "linear", "widths": (2,), "beta": 1.0, **kwargs}
    with pytest.raises(error, match=fragment):
        cvxdual.train(X, y, **options)


def test_bad_data():
    X, y = regression(6, 3, None, seed=0)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(cvxdual.DataError):
        cvxdual.train(bad, y, "linear", (2,), beta=1.0)
    with pytest.raises(cvxdual.DataError):
        cvxdual.train(X, y[:-1], "linear", (2,), beta=1.0)


def test_diverging_momentum_step_is_halved():
    X, y = regression(10, 4, None, seed=0)
    result = cvxdual.train(X, y, "linear", (3,), beta=1.0, method="momentum", step=10.0,
                           restarts=1, max_iter=500)
    assert result.restarts[0].step < 10.0
    assert np.all(np.isfinite(result.restarts[0].trajectory))
