"""Every tolerance of the certificate, tested just inside and just outside (docs/reliability.md).

``rtol``/``atol`` (the gap), ``feas_tol`` (interpolation), ``RANGE_TOL`` (tests/test_bad_input),
``RANK_ONE_RTOL`` (rank-one data for §4), ``RANK_RTOL`` of :mod:`cvxdual.extract` (extreme-point
directions) and of :mod:`cvxdual.structure` (layer ranks). The expected outcome of each edge is
known from how the data is built, not from the library.
"""

from __future__ import annotations

import numpy as np
import pytest

import cvxdual as cd
from cvxdual import extract, structure
from cvxdual.data import RANK_ONE_RTOL
from cvxdual.errors import DataError


def _orthogonal(n: int, seed: int) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


def _with_singular_values(shape: tuple[int, int], sigma: list[float], seed: int) -> np.ndarray:
    n, d = shape
    U, V = _orthogonal(n, seed)[:, :len(sigma)], _orthogonal(d, seed + 1)[:, :len(sigma)]
    return (U * np.asarray(sigma)) @ V.T


@pytest.mark.parametrize("factor, accepted", [(0.5, True), (2.0, False)])
def test_rank_one_tolerance(factor, accepted):
    """σ_2/σ_1 just below RANK_ONE_RTOL is rank one (depth-3 ReLU runs), just above it is not."""
    c = np.linspace(0.5, 2.0, 7)
    a0 = np.array([1.0, -2.0, 0.5])
    X = np.outer(c, a0)
    sigma1 = np.linalg.svd(X, compute_uv=False)[0]
    # A second direction orthogonal to both c and a0 sets σ_2 exactly.
    u = np.random.default_rng(3).standard_normal(7)
    u -= (u @ c) / (c @ c) * c
    v = np.array([2.0, 1.0, 0.0])
    X = X + factor * RANK_ONE_RTOL * sigma1 * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    sigma = np.linalg.svd(X, compute_uv=False)
    assert np.isclose(sigma[1] / sigma[0], factor * RANK_ONE_RTOL, rtol=1e-3)
    y = np.sin(c)
    if accepted:
        cert = cd.certify(X, y, family="relu", depth=3)
        assert cert.certified and np.isfinite(cert.training_value)
    else:
        with pytest.raises(DataError, match="rank-one data"):
            cd.certify(X, y, family="relu", depth=3)


@pytest.mark.parametrize("module", [extract, structure])
@pytest.mark.parametrize("factor, rank", [(0.5, 1), (2.0, 2)])
def test_rank_tolerances(module, factor, rank):
    """A singular value just below RANK_RTOL·σ_max is dropped, just above it is kept."""
    W1 = _with_singular_values((4, 3), [1.0, factor * module.RANK_RTOL], seed=5)
    network = cd.Network([W1, np.ones(3)])
    if module is extract:
        assert extract.first_layer_directions(network).shape == (4, rank)
    else:
        assert structure.layer_ranks(network)[0] == rank


def _cvxpy_certificate(**tolerances):
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((12, 5)), rng.standard_normal(12)
    return cd.certify(X, y, beta=0.4, method="cvxpy", **tolerances)


def test_gap_tolerance_edges():
    """rtol below the measured relative gap refuses (atol = 0); the default accepts it."""
    cert = _cvxpy_certificate()
    assert cert.certified and 0 < cert.rel_gap < 1e-6
    outside = _cvxpy_certificate(rtol=0.5 * cert.rel_gap, atol=0.0)
    assert not outside.certified
    assert any("gap" in reason for reason in outside.reasons)
    inside = _cvxpy_certificate(rtol=2.0 * cert.rel_gap, atol=0.0)
    assert inside.rel_gap == pytest.approx(cert.rel_gap, rel=1e-3)
    assert not any("gap" in reason and "exceeds" in reason for reason in inside.reasons)


def test_atol_is_in_normalized_units():
    """The absolute tolerance scales with ||Y||^2: the same data at 1e-6 decides the same way."""
    rng = np.random.default_rng(12)
    X, y = rng.standard_normal((12, 5)), rng.standard_normal(12)
    plain = cd.certify(X, y, beta=0.4, method="cvxpy", rtol=0.0, atol=1e-9)
    small = cd.certify(X, 1e-6 * y, beta=0.4e-6, method="cvxpy", rtol=0.0, atol=1e-9)
    assert plain.certified == small.certified
    assert small.training_value == pytest.approx(1e-12 * plain.training_value, rel=1e-6)


def test_interpolation_tolerance_edges():
    """feas_tol below the network's recomputed residual refuses; above it accepts."""
    rng = np.random.default_rng(13)
    X = rng.standard_normal((5, 8))
    y = rng.standard_normal(5)
    cert = cd.certify(X, y, method="cvxpy")
    assert cert.certified
    F = cert.network.forward(X)
    residual = float(np.linalg.norm(F - y) / np.linalg.norm(y))
    assert 0 < residual < cert.tolerances["feas_tol"]
    # The certificate's own residual is computed in normalized units: equal to ours up to
    # rounding (5.4e-16 against 5.6e-16 here), so the edges are a factor 4 either side.
    outside = cd.certify(X, y, method="cvxpy", feas_tol=0.25 * residual)
    assert not outside.certified
    assert any("feas_tol" in reason for reason in outside.reasons)
    inside = cd.certify(X, y, method="cvxpy", feas_tol=4.0 * residual)
    assert inside.certified


def _ill_conditioned(n: int, d: int, exponent: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    U, _, Vt = np.linalg.svd(rng.standard_normal((n, d)), full_matrices=False)
    return (U * np.logspace(0, -exponent, min(n, d))) @ Vt


@pytest.mark.parametrize("seed", range(6))
def test_min_norm_atol_units_on_badly_scaled_data(seed):
    """Minimum norm with X ~ 1e-6 and Y ~ 1e6: the objective's unit is ||Y|| / ||X||_2 = 1e12,
    not its square (which once let gaps of 1e-4 relative certify)."""
    rng = np.random.default_rng(100 + seed)
    X = 1e-6 * _ill_conditioned(8, 7, 6, seed)
    Y = 1e6 * (X / 1e-6) @ rng.standard_normal(7)
    cert = cd.certify(X, Y)
    unit = np.linalg.norm(Y) / np.linalg.norm(X, 2)
    allowed = 1e-6 * cert.training_value + 1e-10 * unit
    assert not cert.certified or cert.gap <= allowed, (cert.gap, allowed)
    reference = 2 * np.linalg.norm(np.linalg.lstsq(X, Y, rcond=None)[0])
    assert not cert.certified or abs(cert.training_value - reference) <= 2e-6 * reference


@pytest.mark.parametrize("exponent", [5, 6, 7])
@pytest.mark.parametrize("seed", range(4))
def test_fast_min_norm_is_accurate_on_ill_conditioned_tall_x(seed, exponent):
    """Square X with κ = 1e5..1e7: the fast path's value is 2||X^+ y|| to 1e-8 (it once came
    out 1e-5 low through the normal equations, with a residual small enough to certify)."""
    rng = np.random.default_rng(200 + seed)
    X = _ill_conditioned(3 + seed, 3 + seed, exponent, seed)
    y = rng.standard_normal(3 + seed)
    reference = 2 * np.linalg.norm(np.linalg.solve(X, y))
    cert = cd.certify(X, y)
    assert abs(cert.training_value - reference) <= 1e-8 * reference
    assert not cert.certified or cert.rel_gap <= 1e-6
