"""The fast NumPy paths (``method="fast"``, the default ``"auto"`` for linear families) against
the CVXPY path and against independent NumPy references; bounds that must hold for any network;
early stops that must not certify; option errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from references import fista_reference, min_norm_reference, svt_reference

import cvxdual as cd
from cvxdual.cli import main
from cvxdual.fast_certificate import certify_fast

AGREE_RTOL = 1e-6          # fast vs CVXPY, relative (the brief's tolerance)
BOUND_SLACK = 1e-9         # a lower bound may exceed a network's value by rounding only

SHAPES = {"wide": (10, 16), "tall": (30, 8)}


def instance(shape: str, output: str, planted: bool, seed: int = 0):
    rng = np.random.default_rng(seed)
    n, d = SHAPES[shape]
    X = rng.standard_normal((n, d))
    tail = () if output == "scalar" else (3,)
    Y = X @ rng.standard_normal((d, *tail)) if planted else rng.standard_normal((n, *tail))
    return X, Y


def agree(a: float, b: float) -> bool:
    return abs(a - b) <= AGREE_RTOL * max(abs(a), abs(b))


@pytest.mark.parametrize("shape", ["wide", "tall"])
@pytest.mark.parametrize("output", ["scalar", "vector"])
@pytest.mark.parametrize("beta", [None, 0.3, 3.0])
def test_two_layer_fast_agrees_with_cvxpy(shape, output, beta):
    X, Y = instance(shape, output, planted=beta is None, seed=1)
    fast = cd.certify(X, Y, beta=beta, method="fast")
    slow = cd.certify(X, Y, beta=beta, method="cvxpy")
    assert fast.certified, fast.reasons
    assert slow.certified, slow.reasons
    assert fast.solver == "numpy" and slow.solver == "CLARABEL"
    assert agree(fast.training_value, slow.training_value)
    assert agree(fast.dual_value, slow.dual_value)
    assert fast.rel_gap <= AGREE_RTOL
    # A third, independent value: pinv closed form, or FISTA with its own duality-gap stop.
    if beta is None:
        reference = min_norm_reference(X, Y)
    else:
        reference = fista_reference(X, Y if Y.ndim == 2 else Y[:, None], beta)[0]
    assert agree(fast.training_value, reference)


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
@pytest.mark.parametrize(("shape", "output", "beta"), [
    ("wide", "scalar", None), ("tall", "vector", None), ("wide", "vector", None),
    ("tall", "scalar", 0.5), ("wide", "scalar", 2.0),
])
def test_deep_linear_fast_agrees_with_cvxpy(depth, shape, output, beta):
    X, Y = instance(shape, output, planted=beta is None, seed=depth)
    fast = cd.certify(X, Y, family="deep-linear", depth=depth, beta=beta, method="fast")
    slow = cd.certify(X, Y, family="deep-linear", depth=depth, beta=beta, method="cvxpy")
    assert fast.certified, fast.reasons
    assert slow.certified, slow.reasons
    assert fast.solver == "numpy"
    assert fast.network.depth == depth
    assert agree(fast.training_value, slow.training_value)
    if beta is None:
        # Independent closed form L Σ σ_i(X^+ Y)^(2/L) from NumPy's pinv.
        sigma = np.linalg.svd(np.atleast_2d((np.linalg.pinv(X) @ Y).T).T, compute_uv=False)
        assert agree(fast.training_value, depth * float(np.sum(sigma ** (2.0 / depth))))


def test_auto_is_fast_for_linear_families_and_cvxpy_for_relu():
    X, y = instance("wide", "scalar", planted=True)
    assert cd.certify(X, y).solver == "numpy"
    assert cd.certify(X, y, family="deep-linear", depth=3).solver == "numpy"
    c = np.linspace(0.0, 1.0, 6)
    relu = cd.certify(c[:, None], np.sin(3 * c), family="relu")
    assert relu.solver != "numpy"


def test_fast_statuses_say_what_was_checked_and_closed_form_is_not_repeated():
    X, Y = instance("tall", "vector", planted=False)
    cert = cd.certify(X, Y, beta=1.0)
    assert "proximal gradient" in cert.primal_status and "optimal" in cert.primal_status
    assert "σ_max" in cert.dual_status
    # General X: no independent closed form exists, and the path's own value is not repeated.
    assert cert.closed_form is None
    scalar = cd.certify(X, Y[:, 0], beta=1.0)
    assert scalar.closed_form is None and "secular" in scalar.primal_status


def test_orthonormal_closed_form_is_an_independent_cross_check():
    rng = np.random.default_rng(5)
    X = np.linalg.qr(rng.standard_normal((20, 6)))[0]
    Y = rng.standard_normal((20, 3))
    beta = 0.7
    cert = cd.certify(X, Y, beta=beta)
    assert cert.certified, cert.reasons
    reference = svt_reference(X, Y, beta)[0]
    assert cert.closed_form == pytest.approx(reference, rel=1e-10)
    assert cert.training_value == pytest.approx(reference, rel=AGREE_RTOL)


def test_ill_conditioned_tall_data_still_certifies():
    """κ(X) = 1e6 takes the QR route of row_basis, not the Gram matrix."""
    rng = np.random.default_rng(6)
    U = np.linalg.qr(rng.standard_normal((40, 8)))[0]
    V = np.linalg.qr(rng.standard_normal((8, 8)))[0]
    X = (U * np.geomspace(1.0, 1e-6, 8)) @ V.T
    y = rng.standard_normal(40)
    fast = cd.certify(X, y, beta=1e-3)
    slow = cd.certify(X, y, beta=1e-3, method="cvxpy")
    assert fast.certified, fast.reasons
    assert agree(fast.training_value, slow.training_value)


@pytest.mark.parametrize("output", ["scalar", "vector"])
@pytest.mark.parametrize("beta", [None, 0.5])
def test_lower_bound_never_above_feasible_or_trained_networks(output, beta):
    X, Y = instance("wide", output, planted=beta is None, seed=8)
    cert = cd.certify(X, Y, beta=beta)
    rng = np.random.default_rng(9)
    values = []
    W = np.linalg.pinv(X) @ Y
    W2 = W if W.ndim == 2 else W[:, None]
    null = np.eye(X.shape[1]) - np.linalg.pinv(X) @ X
    for _ in range(20):
        # Feasible for (2): an end-to-end matrix X^+ Y plus any null-space part, in 4 neurons.
        V = W2 + null @ rng.standard_normal(W2.shape) if beta is None else rng.standard_normal(
            W2.shape) * 0.3
        M = rng.standard_normal((4, W2.shape[1]))
        W1 = V @ np.linalg.pinv(M)
        if beta is None:
            assert np.allclose(X @ W1 @ M, X @ W2, atol=1e-8)
        last = M if Y.ndim == 2 else M[:, 0]
        values.append(cd.Network([W1, last]).objective(X, Y, beta))
    if beta is not None:
        trained = cd.train(X, Y, family="linear", widths=(4,), beta=beta, restarts=2,
                           max_iter=300, seed=1)
        values.append(trained.objective)
    scale = abs(cert.training_value)
    assert cert.dual_value <= min(values) + BOUND_SLACK * scale
    assert cert.dual_value <= cert.training_value + BOUND_SLACK * scale


def test_early_stop_does_not_certify_and_says_why():
    X, Y = instance("tall", "vector", planted=False)
    data = cd.as_dataset(X, Y)
    cert, _ = certify_fast(data, "linear", 2, 0.5, max_iter=2)
    assert not cert.certified
    assert "max_iter=2" in cert.reasons[0]
    assert cert.primal_status.startswith("iteration limit")
    # Stopped early, the lower bound is still valid.
    full = cd.certify(X, Y, beta=0.5)
    assert cert.dual_value <= full.training_value * (1 + BOUND_SLACK)
    assert cert.training_value >= full.dual_value * (1 - BOUND_SLACK)


def test_bad_method_and_unsupported_fast():
    X, y = instance("wide", "scalar", planted=True)
    for bad in ("FAST", "numpy", None, 3):
        with pytest.raises(cd.ParameterError, match="method"):
            cd.certify(X, y, method=bad)
    c = np.linspace(0.0, 1.0, 6)
    with pytest.raises(cd.UnsupportedError, match="'linear'"):
        cd.certify(c[:, None], np.sin(3 * c), family="relu", method="fast")


def test_cli_method(tmp_path, capsys):
    X, y = instance("wide", "scalar", planted=True)
    path = tmp_path / "d.npz"
    np.savez(path, X=X, Y=y)
    assert main(["certify", "--family", "linear", "--data", str(path), "--method", "cvxpy",
                 "--json"]) == 0
    slow = json.loads(capsys.readouterr().out)
    assert main(["certify", "--family", "linear", "--data", str(path), "--json"]) == 0
    fast = json.loads(capsys.readouterr().out)
    assert slow["solver"] == "CLARABEL" and fast["solver"] == "numpy"
    assert agree(slow["training_value"], fast["training_value"])
    assert main(["certify", "--family", "relu", "--data", str(path), "--method", "fast"]) == 2
    assert "method='fast'" in capsys.readouterr().err
