"""certify_path: equal to point-wise certify at every β, ranks as Remark 2.1 predicts, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cvxdual as cd

AGREE_RTOL = 1e-6


def data(output: str, seed: int = 0, n: int = 25, d: int = 7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Y = rng.standard_normal((n,) if output == "scalar" else (n, 3))
    return X, Y


def betas_for(X, Y, count: int = 6):
    top = float(np.linalg.norm(X.T @ Y.reshape(X.shape[0], -1), 2))
    # Unsorted on purpose: results must come back in the given order.
    return np.random.default_rng(1).permutation(np.geomspace(1e-3 * top, 1.2 * top, count))


@pytest.mark.parametrize("output", ["scalar", "vector"])
@pytest.mark.parametrize("method", ["fast", "cvxpy"])
def test_path_equals_pointwise_certify(output, method):
    X, Y = data(output)
    betas = betas_for(X, Y)
    path = cd.certify_path(X, Y, betas, method=method)
    assert isinstance(path, cd.PathResult)
    assert path.method == method and len(path) == betas.size
    assert path.all_certified, [c.reasons for c in path.certificates]
    np.testing.assert_array_equal(path.betas, betas)
    for beta, value, lower, cert in zip(betas, path.training_values, path.dual_values,
                                        path.certificates, strict=True):
        point = cd.certify(X, Y, beta=float(beta), method=method)
        assert cert.beta == pytest.approx(beta, rel=1e-15)
        assert value == pytest.approx(point.training_value, rel=AGREE_RTOL)
        assert lower == pytest.approx(point.dual_value, rel=AGREE_RTOL)
        assert lower <= value * (1 + 1e-9)


def test_fast_and_cvxpy_paths_agree():
    X, Y = data("vector", seed=3)
    betas = betas_for(X, Y, 5)
    fast = cd.certify_path(X, Y, betas)
    slow = cd.certify_path(X, Y, betas, method="cvxpy")
    np.testing.assert_allclose(fast.training_values, slow.training_values, rtol=AGREE_RTOL)
    np.testing.assert_array_equal(fast.ranks, slow.ranks)
    assert {c.solver for c in fast.certificates} == {"numpy"}
    assert {c.solver for c in slow.certificates} == {"CLARABEL"}


def test_orthonormal_ranks_drop_at_singular_values():
    """X^T X = I: rank of the optimum = #{σ_i(X^T Y) > β} (Remark 2.1), counted here from an
    SVD of X^T Y, not from the library."""
    rng = np.random.default_rng(4)
    X = np.linalg.qr(rng.standard_normal((30, 6)))[0]
    Y = rng.standard_normal((30, 4))
    sigma = np.linalg.svd(X.T @ Y, compute_uv=False)
    mids = np.append(0.5 * (sigma[:-1] + sigma[1:]), [0.5 * sigma[-1], 1.5 * sigma[0]])
    path = cd.certify_path(X, Y, mids)
    expected = [int(np.sum(sigma > b)) for b in mids]
    assert path.ranks.tolist() == expected
    assert path.neurons.tolist() == expected


@pytest.mark.parametrize("depth", [3, 4])
def test_deep_linear_path(depth):
    X, Y = data("scalar", seed=5)
    betas = betas_for(X, Y, 4)
    path = cd.certify_path(X, Y, betas, family="deep-linear", depth=depth)
    assert path.all_certified
    for beta, value in zip(betas, path.training_values, strict=True):
        point = cd.certify(X, Y, beta=float(beta), family="deep-linear", depth=depth,
                           method="cvxpy")
        assert value == pytest.approx(point.training_value, rel=AGREE_RTOL)


def test_to_dict_is_json():
    X, Y = data("scalar")
    path = cd.certify_path(X, Y, [0.1, 1.0])
    restored = json.loads(json.dumps(path.to_dict(certificates=True)))
    assert restored["betas"] == [0.1, 1.0]
    assert len(restored["certificates"]) == 2


@pytest.mark.parametrize("betas", [[], [1.0, 0.0], [1.0, -2.0], [float("nan")], [np.inf],
                                   [[1.0, 2.0]], "abc", None])
def test_bad_betas(betas):
    X, Y = data("scalar")
    with pytest.raises(cd.ParameterError, match="beta"):
        cd.certify_path(X, Y, betas)


def test_bad_method_on_path():
    X, Y = data("scalar")
    with pytest.raises(cd.ParameterError, match="method"):
        cd.certify_path(X, Y, [1.0], method="fastest")
    c = np.linspace(0.0, 1.0, 6)
    with pytest.raises(cd.UnsupportedError):
        cd.certify_path(c[:, None], np.sin(3 * c), [0.1], family="relu", method="fast")
