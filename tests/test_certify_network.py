"""certify_network: the gap of a given network to the certified optimum, for every family, from
arrays, Networks and PyTorch-like models, and clear errors for networks outside the theory."""

from __future__ import annotations

import json

import numpy as np
import pytest
from references import min_norm_reference, ridge_path_reference
from test_train import rank_one_data, regression, spline_data

import cvxdual
from cvxdual.network_certificate import network_from_layers

ZERO_GAP_RTOL = 1e-6     # the extracted optimal network: gap to the lower bound within this
BELOW_RTOL = 1e-8        # trained networks are never below the certified optimum beyond rounding


def forward(weights, X, relu=False, last_bias=None, intercept=0.0):
    """The network's output written out here, independently of cvxdual.Network."""
    A = X
    for index, W in enumerate(weights[:-1]):
        A = A @ W
        if last_bias is not None and index == len(weights) - 2:
            A = A + last_bias
        if relu:
            A = np.maximum(A, 0.0)
    return A @ weights[-1] + intercept


# --- fake PyTorch layers: the class names and attributes torch.nn uses --------------------------

class FakeTensor:
    def __init__(self, array):
        self._array = np.array(array, dtype=np.float32)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self._array


class Linear:
    def __init__(self, W, b=None):
        self.weight = FakeTensor(np.asarray(W).T)           # PyTorch stores (out, in)
        self.bias = None if b is None else FakeTensor(b)


class ReLU:
    pass


class Tanh:
    pass


class Sequential:
    def __init__(self, *layers):
        self._layers = layers

    def __iter__(self):
        return iter(self._layers)


# --- the extracted optimal network has zero gap, for every family ---------------------------------

OPTIMAL_CASES = [
    ("linear", 2, None, "scalar"),
    ("linear", 2, 1.0, "scalar"),
    ("linear", 2, None, "vector"),
    ("linear", 2, 0.5, "vector"),
    ("deep-linear", 3, 0.5, "scalar"),
    ("deep-linear", 4, None, "vector"),
    ("relu", 2, None, "spline"),
    ("relu", 3, 0.05, "spline"),
    ("relu", 3, None, "rank-one"),
    ("relu", 4, 0.05, "rank-one"),
]


def case_data(kind: str, seed: int):
    if kind == "spline":
        return spline_data(8, seed)
    if kind == "rank-one":
        return rank_one_data(8, 3, seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((8, 12))         # n < d: minimum norm is feasible
    return X, rng.standard_normal(8) if kind == "scalar" else rng.standard_normal((8, 3))


@pytest.mark.parametrize(("family", "depth", "beta", "kind"), OPTIMAL_CASES)
def test_extracted_network_has_zero_gap(family, depth, beta, kind):
    X, Y = case_data(kind, seed=depth)
    cert = cvxdual.certify(X, Y, family=family, depth=depth, beta=beta)
    assert cert.certified, cert.reasons
    result = cvxdual.certify_network(cert.network, X, Y, beta=beta, family=family)
    assert result.optimum_certified and result.feasible
    assert result.gap == pytest.approx(0.0, abs=1e-12 * abs(result.objective))
    assert 0.0 <= result.gap_lower <= ZERO_GAP_RTOL * abs(result.objective) + 1e-10
    assert result.globally_optimal and not result.reasons
    # The objective recomputed here from the weights with plain NumPy.
    net = cert.network
    fit = 0.0 if beta is None else np.sum((forward(net.weights, X, family == "relu",
                                                   net.biases[-1], net.intercept) - Y) ** 2)
    reg = sum(np.sum(W ** 2) for W in net.weights)
    assert result.objective == pytest.approx(fit + (reg if beta is None else beta * reg),
                                             rel=1e-12)
    # Its neurons are the optimal ones (Fig. 5a): every live neuron aligns with one of them.
    live = np.isfinite(result.alignment)
    np.testing.assert_allclose(result.alignment[live], 1.0, atol=1e-6)
    json.dumps(result.to_dict())


def test_min_norm_value_against_the_closed_form():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((7, 11)), rng.standard_normal((7, 3))
    cert = cvxdual.certify(X, Y)
    result = cvxdual.certify_network(list(cert.network.weights), X, Y)
    assert result.optimum == pytest.approx(min_norm_reference(X, Y), rel=1e-7)
    assert result.residual <= 1e-7


# --- perturbed and unbalanced networks have a positive gap ----------------------------------------

@pytest.mark.parametrize(("k", "beta"), [(None, 1.0), (3, 1.0), (None, 5.0)])
def test_perturbed_optimal_network_has_positive_gap(k, beta):
    X, Y = regression(12, 5, k, seed=3)
    cert = cvxdual.certify(X, Y, beta=beta)
    W1, W2 = cert.network.weights
    rng = np.random.default_rng(1)
    perturbed = [W1 + 0.05 * rng.standard_normal(W1.shape), W2]
    result = cvxdual.certify_network(perturbed, X, Y, beta=beta)
    objective = np.sum((X @ perturbed[0] @ perturbed[1] - Y) ** 2) + beta * (
        np.sum(perturbed[0] ** 2) + np.sum(perturbed[1] ** 2))
    assert result.objective == pytest.approx(objective, rel=1e-12)
    assert result.gap > 0 and result.gap_lower >= result.gap
    if k is None:      # independent optimum: ridge-path search of references.py
        assert result.gap == pytest.approx(objective - ridge_path_reference(X, Y, beta)[0],
                                           rel=1e-5)
    assert not result.globally_optimal


def test_unbalanced_interpolating_network_min_norm_gap():
    # W1 = 2v, w2 = 1/2 interpolates; its norm 4||v||^2 + 1/4 exceeds the optimum 2||v||.
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 9)), rng.standard_normal(5)
    v = np.linalg.pinv(X) @ y
    result = cvxdual.certify_network([2 * v[:, None], np.array([0.5])], X, y)
    expected = 4 * v @ v + 0.25 - 2 * np.linalg.norm(v)
    assert result.feasible and result.residual <= 1e-10
    assert result.gap == pytest.approx(expected, rel=1e-7)
    assert result.span_alignment[0] == pytest.approx(1.0, abs=1e-8)


def test_non_interpolating_network_is_not_certified_for_minimum_norm():
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((5, 9)), rng.standard_normal(5)
    result = cvxdual.certify_network([np.ones((9, 2)), np.ones(2)], X, y)
    assert not result.feasible and not result.globally_optimal
    assert result.residual > 1e-3
    assert any("does not interpolate" in reason for reason in result.reasons)
    assert "does not interpolate" in str(result)


# --- trained networks: never below the optimum; linear ones reach it ------------------------------

TRAINED_CASES = [
    ("linear", (6,), None, "regression"),
    ("linear", (6,), 3, "regression"),
    ("deep-linear", (4, 4), None, "regression"),
    ("deep-linear", (4, 4, 4), None, "regression"),
    ("relu", (10,), None, "spline"),
    ("relu", (8, 8), None, "rank-one"),
    ("relu", (8, 8, 8), None, "rank-one"),
]


@pytest.mark.parametrize(("family", "widths", "k", "kind"), TRAINED_CASES)
def test_trained_network_gap(family, widths, k, kind):
    if kind == "regression":
        X, Y = regression(12, 5, k, seed=len(widths))
    elif kind == "spline":
        X, Y = spline_data(8, seed=1)
    else:
        X, Y = rank_one_data(8, 3, seed=len(widths))
    beta = 0.5 if family != "relu" else 0.05
    trained = cvxdual.train(X, Y, family, widths, beta=beta, restarts=3, seed=0, max_iter=3000)
    result = cvxdual.certify_network(trained.network, X, Y, beta=beta)
    assert result.family == family and result.depth == len(widths) + 1
    assert result.optimum_certified, result.reasons
    assert result.objective == pytest.approx(trained.objective, rel=1e-14)
    scale = abs(result.lower_bound)
    assert result.gap_lower >= -BELOW_RTOL * scale
    assert result.gap >= -BELOW_RTOL * scale
    if family != "relu":     # benign landscape: L-BFGS reaches the optimum
        assert result.rel_gap <= 1e-4
        assert np.nanmin(result.span_alignment) >= 1 - 1e-3


# --- PyTorch-like models ------------------------------------------------------------------------

def test_pytorch_sequential_relu_matches_the_arrays():
    X, y = spline_data(8, seed=2)
    cert = cvxdual.certify(X, y, family="relu", depth=3, beta=0.05)
    W1, W2, w3 = cert.network.weights
    b2, c = cert.network.biases[1], cert.network.intercept
    model = Sequential(Linear(W1), ReLU(), Linear(W2, b2), ReLU(), Linear(w3[:, None], [c]))
    net = network_from_layers(model)
    assert net.activation == "relu" and net.weights[-1].shape == (w3.size,)
    result = cvxdual.certify_network(model, X, y, beta=0.05)
    # float32 storage perturbs the weights: the gap is small, nonnegative and bounded below.
    assert result.family == "relu" and result.optimum_certified
    assert -1e-8 <= result.gap_lower <= 1e-5 * result.objective
    fit = np.sum((forward([W1, W2, w3], X, True, b2, c) - y) ** 2)
    assert result.objective == pytest.approx(
        fit + 0.05 * sum(np.sum(W ** 2) for W in (W1, W2, w3)), rel=1e-5)


def test_pytorch_sequential_linear_vector_output():
    X, Y = regression(10, 4, 2, seed=0)
    cert = cvxdual.certify(X, Y, beta=1.0)
    W1, W2 = cert.network.weights
    result = cvxdual.certify_network(Sequential(Linear(W1), Linear(W2)), X, Y, beta=1.0)
    assert result.family == "linear" and result.network.weights[0].shape == W1.shape
    assert abs(result.rel_gap) <= 1e-5


@pytest.mark.parametrize(("model", "fragment"), [
    (Sequential(Linear(np.ones((1, 3))), Tanh(), Linear(np.ones(3)[:, None])), "Tanh"),
    (Sequential(Linear(np.ones((1, 3))), ReLU(), Linear(np.ones((3, 1))), ReLU()),
     "ends with a ReLU"),
    (Sequential(Linear(np.ones((1, 3))), ReLU(), Linear(np.ones((3, 3))),
                Linear(np.ones((3, 1)))), "same activation"),
    (Sequential(Linear(np.ones((1, 3)))), "at least two"),
])
def test_pytorch_wrong_layers(model, fragment):
    X, y = spline_data(6, seed=0)
    with pytest.raises(cvxdual.ParameterError, match=fragment):
        cvxdual.certify_network(model, X, y, beta=0.1)


# --- networks outside the theory, and bad input ---------------------------------------------------

def test_bad_networks():
    X, y = spline_data(6, seed=0)
    W = [np.ones((1, 3)), np.ones((3, 2)), np.ones(2)]
    with pytest.raises(cvxdual.DataError, match="input features"):
        cvxdual.certify_network([np.ones((2, 3)), np.ones(3)], X, y, beta=0.1)
    with pytest.raises(cvxdual.DataError, match="output layer"):
        cvxdual.certify_network([np.ones((1, 3)), np.ones((3, 2))], X, y, beta=0.1)
    nan = [np.ones((1, 3)), np.full(3, np.nan)]
    with pytest.raises(cvxdual.ParameterError, match="NaN"):
        cvxdual.certify_network(nan, X, y, beta=0.1)
    with pytest.raises(cvxdual.ParameterError, match="chain"):
        cvxdual.certify_network([np.ones((1, 3)), np.ones((4, 2)), np.ones(2)], X, y, beta=0.1)
    relu_net = cvxdual.Network(W, biases=[None, np.ones(2)], activation="relu")
    with pytest.raises(cvxdual.ParameterError, match="ReLU activations"):
        cvxdual.certify_network(relu_net, X, y, beta=0.1, family="deep-linear")
    with pytest.raises(cvxdual.ParameterError, match="needs ReLU"):
        cvxdual.certify_network(cvxdual.Network(W), X, y, beta=0.1, family="relu")
    with pytest.raises(cvxdual.UnsupportedError, match="last hidden layer"):
        cvxdual.certify_network(W, X, y, beta=0.1, family="relu", biases=[np.ones(3), None])
    with pytest.raises(cvxdual.UnsupportedError, match="without biases"):
        cvxdual.certify_network(W, X, y, beta=0.1, biases=[None, np.ones(2)])
    with pytest.raises(cvxdual.UnsupportedError, match="without biases"):
        cvxdual.certify_network(W[1:], np.ones((6, 3)), y, beta=0.1, intercept=1.0)
    with pytest.raises(cvxdual.ParameterError, match="deep-linear"):
        cvxdual.certify_network(W, X, y, beta=0.1, family="linear")
    with pytest.raises(cvxdual.ParameterError, match="beta must be > 0"):
        cvxdual.certify_network(W, X, y, beta=-1.0)
    with pytest.raises(cvxdual.ParameterError, match="unknown family"):
        cvxdual.certify_network(W, X, y, beta=0.1, family="tanh")
    with pytest.raises(cvxdual.ParameterError, match="list of arrays"):
        cvxdual.certify_network(np.ones((1, 3)), X, y, beta=0.1)
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(cvxdual.DataError):
        cvxdual.certify_network(W, bad, y, beta=0.1)


def test_zero_biases_count_as_absent():
    # A linear network saved with all-zero biases (e.g. frozen at 0) is still a linear network.
    X, y = regression(8, 3, None, seed=0)
    cert = cvxdual.certify(X, y, beta=1.0)
    W1, w2 = cert.network.weights
    result = cvxdual.certify_network([W1, w2], X, y, beta=1.0, biases=[np.zeros(W1.shape[1])])
    assert result.globally_optimal


def test_relu_without_biases_compares_with_theorem_4_1():
    X, y = rank_one_data(8, 2, seed=4)
    cert = cvxdual.certify(X, y, family="relu", depth=3, beta=0.1, bias=False)
    result = cvxdual.certify_network(cert.network, X, y, beta=0.1)
    assert not result.bias and result.globally_optimal
    assert any("Theorem 4.1" in note for note in result.notes)
    # Against the larger family with biases the same network can only look worse or equal.
    wider = cvxdual.certify_network(cert.network, X, y, beta=0.1, bias=True)
    assert wider.bias and wider.lower_bound <= result.lower_bound * (1 + 1e-8)


def test_narrow_network_is_flagged():
    X, Y = regression(12, 5, 3, seed=1)
    trained = cvxdual.train(X, Y, "linear", (1,), beta=0.1, restarts=2, seed=0)
    result = cvxdual.certify_network(trained.network, X, Y, beta=0.1)
    assert not result.width_sufficient and result.gap > 0
    assert any("narrower" in note for note in result.notes)
