"""``cvxdual.network.Network``: forward pass, regularizer, objectives and input validation.

Expected arrays are worked out by hand in the comments next to each fixture.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cvxdual.errors import CvxdualError, DataError, ParameterError
from cvxdual.network import Network

# A two-layer scalar-output fixture.
#   X W1      = [[5, -1], [1, -3], [2, 0]]
#   + b1      = [[5.5, 0], [1.5, -2], [2.5, 1]]
#   linear:  (· W2) + 0.25 = [11, 9, 2] + 0.25
#   relu:    [[5.5, 0], [1.5, 0], [2.5, 1]] W2 + 0.25 = [11, 3, 2] + 0.25
X2 = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
W1 = np.array([[1.0, -1.0], [2.0, 0.0]])
B1 = np.array([0.5, 1.0])
W2 = np.array([2.0, -3.0])
INTERCEPT = 0.25
LINEAR_OUT = np.array([11.25, 9.25, 2.25])
RELU_OUT = np.array([11.25, 3.25, 2.25])
REGULARIZER = 6.0 + 13.0  # ||W1||_F^2 = 1 + 1 + 4 + 0, ||W2||^2 = 4 + 9

# A three-layer vector-output fixture (k = 2).
#   X V1 + c1           = [[1, -1], [-1, 2], [0, 0]]
#   relu                = [[1, 0], [0, 2], [0, 0]]
#   (· V2) + c2         = [[1.5], [-1.5], [0.5]]   -> relu [[1.5], [0], [0.5]]
#   (· V3) + [1, 0]     = [[4, -1.5], [1, 0], [2, -0.5]]
#   linear: A1 = [[1, -1], [-1, 2], [0, 0]], A1 V2 + c2 = [[2.5], [-2.5], [0.5]],
#           (· V3) + [1, 0] = [[6, -2.5], [-4, 2.5], [2, -0.5]]
X3 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
V1 = np.array([[1.0, -2.0], [-1.0, 1.0]])
C1 = np.array([0.0, 1.0])
V2 = np.array([[1.0], [-1.0]])
C2 = np.array([0.5])
V3 = np.array([[2.0, -1.0]])
INTERCEPT3 = np.array([1.0, 0.0])
RELU3_OUT = np.array([[4.0, -1.5], [1.0, 0.0], [2.0, -0.5]])
LINEAR3_OUT = np.array([[6.0, -2.5], [-4.0, 2.5], [2.0, -0.5]])
REGULARIZER3 = 7.0 + 2.0 + 5.0


def two_layer(activation: str = "linear") -> Network:
    return Network([W1, W2], biases=[B1], intercept=INTERCEPT, activation=activation)


def three_layer(activation: str = "relu") -> Network:
    return Network([V1, V2, V3], biases=[C1, C2], intercept=INTERCEPT3, activation=activation)


# --- forward pass ------------------------------------------------------------------------------

@pytest.mark.parametrize(("activation", "expected"),
                         [("linear", LINEAR_OUT), ("relu", RELU_OUT)])
def test_forward_two_layer(activation, expected):
    out = two_layer(activation).forward(X2)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize(("activation", "expected"),
                         [("linear", LINEAR3_OUT), ("relu", RELU3_OUT)])
def test_forward_three_layer_vector(activation, expected):
    out = three_layer(activation).forward(X3)
    assert out.shape == (3, 2)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-14)


def test_forward_without_biases_is_the_matrix_product():
    rng = np.random.default_rng(201)
    X = rng.standard_normal((6, 4))
    A, B, C = (rng.standard_normal(s) for s in ((4, 5), (5, 3), (3, 2)))
    np.testing.assert_allclose(Network([A, B, C]).forward(X), X @ A @ B @ C, atol=1e-12)
    relu = Network([A, B, C], biases=[None, None], activation="relu")
    expected = np.maximum(np.maximum(X @ A, 0) @ B, 0) @ C
    np.testing.assert_allclose(relu.forward(X), expected, atol=1e-12)
    # a None entry among biases is "no bias for that layer"
    mixed = Network([A, B, C], biases=[None, np.ones(3)], activation="relu")
    np.testing.assert_allclose(mixed.forward(X),
                               np.maximum(np.maximum(X @ A, 0) @ B + 1.0, 0) @ C, atol=1e-12)


def test_forward_accepts_lists():
    network = Network([W1.tolist(), W2.tolist()], biases=[B1.tolist()], intercept=INTERCEPT)
    np.testing.assert_allclose(network.forward(X2.tolist()), LINEAR_OUT, atol=1e-14)


def test_shape_properties():
    network = three_layer()
    assert network.depth == 3
    assert network.widths == (2, 1)
    assert network.input_dim == 2
    assert network.vector_output
    assert not two_layer().vector_output
    # neurons: first-layer columns scaled to unit norm: (1, -1)/√2 and (-2, 1)/√5
    expected = np.array([[1.0, -2.0], [-1.0, 1.0]]) / np.sqrt([2.0, 5.0])
    np.testing.assert_allclose(network.neurons, expected, atol=1e-15)


def test_weights_are_copied_and_read_only():
    A = W1.copy()
    network = Network([A, W2])
    A[0, 0] = 100.0
    assert network.weights[0][0, 0] == 1.0
    with pytest.raises(ValueError):
        network.weights[0][0, 0] = 5.0


# --- regularizer and objectives ----------------------------------------------------------------

def test_regularizer_excludes_biases_and_intercept():
    assert two_layer().regularizer() == pytest.approx(REGULARIZER, rel=1e-15)
    assert Network([W1, W2]).regularizer() == pytest.approx(REGULARIZER, rel=1e-15)
    assert three_layer().regularizer() == pytest.approx(REGULARIZER3, rel=1e-15)


def test_objective_min_norm_is_the_regularizer():
    y = np.array([11.0, 9.0, 2.0])
    network = two_layer()
    assert network.objective(X2, y) == pytest.approx(REGULARIZER, rel=1e-15)
    assert network.objective(X2, y, beta=None) == pytest.approx(REGULARIZER, rel=1e-15)


def test_objective_regularized():
    # linear outputs [11.25, 9.25, 2.25] vs y = [11, 9, 2]: error 3 × 0.0625 = 0.1875
    y = np.array([11.0, 9.0, 2.0])
    network = two_layer()
    assert network.fit_error(X2, y) == pytest.approx(0.1875, rel=1e-14)
    assert network.objective(X2, y, beta=0.5) == pytest.approx(0.1875 + 0.5 * REGULARIZER,
                                                               rel=1e-14)
    # vector: relu outputs vs zeros: 16 + 2.25 + 1 + 4 + 0.25 = 23.5
    Y = np.zeros((3, 2))
    assert three_layer().fit_error(X3, Y) == pytest.approx(23.5, rel=1e-14)
    assert three_layer().objective(X3, Y, beta=2.0) == pytest.approx(23.5 + 2 * REGULARIZER3,
                                                                     rel=1e-14)


@pytest.mark.parametrize("beta", (0.0, -1.0, float("nan"), "1"))
def test_objective_rejects_bad_beta(beta):
    with pytest.raises(ParameterError):
        two_layer().objective(X2, LINEAR_OUT, beta=beta)


def test_interpolation_residual():
    network = two_layer()
    # exact targets: zero residual
    assert network.interpolation_residual(X2, LINEAR_OUT) == pytest.approx(0.0, abs=1e-15)
    # ||Y|| > 1: sqrt(0.1875) / ||(11, 9, 2)|| = sqrt(0.1875) / sqrt(206)
    y = np.array([11.0, 9.0, 2.0])
    assert network.interpolation_residual(X2, y) == pytest.approx(
        np.sqrt(0.1875) / np.sqrt(206.0), rel=1e-14)
    # ||Y|| < 1: divided by 1 instead; outputs minus (0.1, 0, 0) have squared norm
    # (11.15^2 + 9.25^2 + 2.25^2)
    small = np.array([0.1, 0.0, 0.0])
    assert network.interpolation_residual(X2, small) == pytest.approx(
        np.sqrt(11.15 ** 2 + 9.25 ** 2 + 2.25 ** 2), rel=1e-14)
    vector = three_layer()
    assert vector.interpolation_residual(X3, RELU3_OUT) == pytest.approx(0.0, abs=1e-15)


# --- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"weights": [W1, np.ones(3)]}, id="non-chaining-output"),
        pytest.param({"weights": [V1, np.ones((3, 1)), V3]}, id="non-chaining-hidden"),
        pytest.param({"weights": [W1, W2], "biases": [np.ones(3)]}, id="bias-wrong-length"),
        pytest.param({"weights": [W1, W2], "biases": [np.ones((2, 1))]}, id="bias-2d"),
        pytest.param({"weights": [W1, W2], "biases": [B1, B1]}, id="too-many-biases"),
        pytest.param({"weights": [V1, V2, V3], "biases": [C1]}, id="too-few-biases"),
        pytest.param({"weights": [np.array([[np.nan, 0.0], [1.0, 1.0]]), W2]}, id="nan-weight"),
        pytest.param({"weights": [W1, np.array([1.0, np.inf])]}, id="inf-weight"),
        pytest.param({"weights": [W1, W2], "biases": [np.array([np.nan, 0.0])]}, id="nan-bias"),
        pytest.param({"weights": [W1, W2], "activation": "tanh"}, id="unknown-activation"),
        pytest.param({"weights": [W1]}, id="single-layer"),
        pytest.param({"weights": W1}, id="array-not-list"),
        pytest.param({"weights": []}, id="no-layers"),
        pytest.param({"weights": [np.ones(2), W2]}, id="hidden-1d"),
        pytest.param({"weights": [W1, np.ones((2, 2, 2))]}, id="output-3d"),
        pytest.param({"weights": [W1, [["a", "b"]]]}, id="non-numeric"),
        pytest.param({"weights": [W1, W2], "intercept": np.ones(2)}, id="vector-intercept-scalar"),
        pytest.param({"weights": [V1, V2, V3], "intercept": np.ones(3)}, id="intercept-shape"),
        pytest.param({"weights": [W1, W2], "intercept": float("nan")}, id="nan-intercept"),
    ],
)
def test_invalid_networks_raise_parameter_error(kwargs):
    with pytest.raises(ParameterError) as info:
        Network(**kwargs)
    assert isinstance(info.value, CvxdualError) and isinstance(info.value, ValueError)
    assert str(info.value)  # a message for the user


def test_wrong_input_width_raises_data_error():
    network = two_layer()
    with pytest.raises(DataError):
        network.forward(np.ones((3, 3)))
    with pytest.raises(DataError):
        network.forward(np.ones(2))  # 1-D input
    with pytest.raises(DataError):
        network.fit_error(np.ones((3, 3)), np.ones(3))
    with pytest.raises(DataError):
        network.objective(np.ones((3, 3)), np.ones(3), beta=1.0)


def test_target_shape_mismatch_raises_data_error():
    scalar, vector = two_layer(), three_layer()
    with pytest.raises(DataError):
        scalar.fit_error(X2, np.ones((3, 1)))  # 2-D targets for a scalar-output network
    with pytest.raises(DataError):
        vector.fit_error(X3, np.ones(3))  # 1-D targets for a vector-output network
    with pytest.raises(DataError):
        vector.objective(X3, np.ones((3, 3)), beta=1.0)  # k = 3 but the network has k = 2
    with pytest.raises(DataError):
        vector.interpolation_residual(X3, np.ones((3, 1)))
    with pytest.raises(DataError):
        scalar.fit_error(X2, np.ones(4))  # rows of X and Y differ


# --- serialization -----------------------------------------------------------------------------

@pytest.mark.parametrize("make", (two_layer, three_layer, lambda: Network([W1, W2])))
def test_to_dict_is_json_ready_and_round_trips(make):
    network = make()
    payload = json.loads(json.dumps(network.to_dict()))
    assert set(payload) == {"activation", "weights", "biases", "intercept"}
    assert payload["activation"] == network.activation
    assert len(payload["weights"]) == network.depth
    assert len(payload["biases"]) == network.depth - 1
    rebuilt = Network(**payload)
    X = X2 if network.input_dim == 2 and not network.vector_output else X3
    np.testing.assert_array_equal(rebuilt.forward(X), network.forward(X))
    assert rebuilt.regularizer() == network.regularizer()


def test_to_dict_values():
    payload = two_layer("relu").to_dict()
    assert payload == {
        "activation": "relu",
        "weights": [[[1.0, -1.0], [2.0, 0.0]], [2.0, -3.0]],
        "biases": [[0.5, 1.0]],
        "intercept": 0.25,
    }
    assert three_layer().to_dict()["intercept"] == [1.0, 0.0]
    assert Network([W1, W2]).to_dict()["biases"] == [None]
