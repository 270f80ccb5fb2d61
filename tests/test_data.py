"""Validation of X and Y (cvxdual.data) and of the scalar options (cvxdual.validation)."""

from __future__ import annotations

import numpy as np
import pytest

import cvxdual as cd
from cvxdual.data import RANGE_TOL
from cvxdual.errors import DataError, InfeasibleError, ParameterError
from cvxdual.validation import check_beta, check_depth, check_family, check_loss, check_neurons


def test_scalar_and_vector_targets_keep_their_shape():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 3))
    scalar = cd.as_dataset(X, rng.standard_normal(5))
    vector = cd.as_dataset(X, rng.standard_normal((5, 2)))
    column = cd.as_dataset(X, rng.standard_normal((5, 1)))
    assert not scalar.vector_output and scalar.targets.shape == (5,) and scalar.Y.shape == (5, 1)
    assert vector.vector_output and vector.targets.shape == (5, 2)
    assert column.vector_output and column.k == 1


def test_integer_and_boolean_arrays_become_float():
    data = cd.as_dataset([[1, 0], [0, 1], [1, 1]], np.array([True, False, True]))
    assert data.X.dtype == np.float64 and data.Y.dtype == np.float64


def test_arrays_are_copied_and_read_only():
    X = np.eye(3)
    data = cd.as_dataset(X, np.ones(3))
    X[0, 0] = 5.0
    assert data.X[0, 0] == 1.0
    with pytest.raises(ValueError):
        data.X[0, 0] = 2.0


@pytest.mark.parametrize(
    ("X", "Y", "fragment"),
    [
        (np.ones(4), np.ones(4), "X must be 2-D"),
        (np.ones((2, 2, 2)), np.ones(2), "X must be 2-D"),
        (np.ones((4, 2)), np.ones((4, 2, 1)), "3 dimensions"),
        (np.ones((4, 2)), np.float64(1.0), "got shape ()"),
        (np.ones((4, 2)), np.ones(3), "same number of rows"),
        (np.ones((0, 2)), np.ones(0), "empty"),
        (np.ones((3, 0)), np.ones(3), "empty"),
        (np.ones((3, 2)), np.ones((3, 0)), "empty"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2), "NaN or infinite"),
        (np.eye(2), np.array([1.0, np.inf]), "NaN or infinite"),
        (np.array([[1, "a"], [2, 3]], dtype=object), np.ones(2), "dtype object"),
        (np.array([["a", "b"]]), np.ones(1), "dtype <U1"),
        (np.eye(2) * 1j, np.ones(2), "complex"),
        ([[1.0, 2.0], [3.0]], np.ones(2), "could not be read"),
    ],
)
def test_bad_arrays_raise_data_error_naming_the_problem(X, Y, fragment):
    with pytest.raises(DataError, match=None) as info:
        cd.as_dataset(X, Y)
    assert fragment in str(info.value)
    assert isinstance(info.value, cd.CvxdualError)


def test_svd_rank_and_min_norm_solution_match_numpy():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 6))  # rank 3
    y = X @ rng.standard_normal(6)
    data = cd.as_dataset(X, y)
    assert data.rank == 3 == np.linalg.matrix_rank(X)
    np.testing.assert_allclose(data.min_norm_solution[:, 0], np.linalg.pinv(X) @ y, atol=1e-10)
    np.testing.assert_allclose(data.svd.U @ np.diag(data.svd.s) @ data.svd.Vt, X, atol=1e-12)
    assert data.range_residual < 1e-12
    data.require_interpolable()


def test_targets_outside_the_range_are_infeasible_for_minimum_norm():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((10, 3))
    data = cd.as_dataset(X, rng.standard_normal(10))
    assert data.range_residual > RANGE_TOL
    with pytest.raises(InfeasibleError, match="beta > 0"):
        data.require_interpolable()


def test_zero_targets_are_interpolable():
    data = cd.as_dataset(np.ones((3, 2)), np.zeros(3))
    assert data.range_residual == 0.0


@pytest.mark.parametrize("beta", [0, -1.0, float("nan"), float("inf"), True, "1", [1.0],
                                  np.array([1.0, 2.0])])
def test_bad_beta(beta):
    with pytest.raises(ParameterError):
        check_beta(beta)


@pytest.mark.parametrize("beta", [1, 0.5, np.float32(2.0), np.array(3.0)])
def test_good_beta(beta):
    assert check_beta(beta) == pytest.approx(float(beta))
    assert check_beta(None) is None


def test_family_depth_and_loss_checks():
    assert check_family("linear") == "linear"
    with pytest.raises(ParameterError, match="unknown family"):
        check_family("conv")
    assert check_family("relu") == "relu"
    assert check_depth(2, "linear") == 2
    for bad in (1, 3, 2.0, True, "2"):
        with pytest.raises(ParameterError):
            check_depth(bad, "linear")
    assert check_loss("squared") == "squared"
    with pytest.raises(ParameterError, match="unknown loss"):
        check_loss("mse")
    for name in ("absolute", "huber", "logistic", "hinge", "cross-entropy"):
        assert check_loss(name) == name


def test_neurons_are_normalized_and_checked():
    W = check_neurons(np.array([[3.0, 0.0], [4.0, 2.0]]), d=2)
    np.testing.assert_allclose(np.linalg.norm(W, axis=0), 1.0)
    assert check_neurons(np.array([1.0, 1.0]), d=2).shape == (2, 1)
    for bad in (np.zeros((2, 1)), np.ones((3, 1)), np.ones((2, 0)), np.array([[np.nan], [1.0]])):
        with pytest.raises(ParameterError):
            check_neurons(bad, d=2)
