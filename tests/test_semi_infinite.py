"""Tests of the exchange method for semi-infinite duals (cvxdual.semi_infinite).

References are independent of the module: closed forms and the ridge-path / FISTA references
for linear neurons (tests/references.py), the §4 spline certificate for 1-D ReLU data, and the
convex program of Pilanci & Ergen (2020) written here over every activation pattern, found by
dense sampling whose completeness is checked against Cover's count of the regions.
"""

from __future__ import annotations

import json
from math import comb

import cvxpy as cp
import numpy as np
import pytest
from references import fista_reference, min_norm_reference, ridge_path_reference

import cvxdual
from cvxdual import semi_infinite as si

GAP = 1e-6          # the bracket must close to this relative gap
VALUE_RTOL = 2e-6   # agreement with an independent reference (its solver accuracy included)
WEAK_RTOL = 1e-8    # a lower bound may exceed the optimum by rounding only


def general_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal(n)


# --- independent reference: Pilanci & Ergen's convex program over all patterns ----------------

def sampled_patterns(X: np.ndarray, bias: bool, samples: int, seed: int) -> np.ndarray:
    """Activation patterns 1[Xw + b >= 0] of many random neurons (b through thresholds between
    the sorted projections when ``bias``)."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    W = rng.standard_normal((d, samples))
    P = X @ W                                            # (n, samples)
    if bias:
        ordered = np.sort(P, axis=0)
        cuts = np.vstack([ordered[:1] - 1.0, 0.5 * (ordered[1:] + ordered[:-1]),
                          ordered[-1:] + 1.0])
        patterns = (P[None, :, :] >= cuts[:, None, :]).transpose(0, 2, 1).reshape(-1, n)
    else:
        patterns = (P >= 0).T
    return np.unique(patterns, axis=0)


def region_count(n: int, d: int, bias: bool) -> int:
    """Cover (1965): regions of n hyperplanes in general position through the origin of R^d,
    2 Σ_{k<d} C(n-1, k); with a bias (affine dichotomies of n points in R^d) d -> d + 1."""
    dim = d + 1 if bias else d
    return 2 * sum(comb(n - 1, k) for k in range(dim))


def pilanci_ergen(X: np.ndarray, y: np.ndarray, beta: float | None, bias: bool,
                  patterns: np.ndarray) -> float:
    """min Σ ||u_i|| + ||v_i|| s.t. Σ D_i (X u_i + c_i 1) - D_i (X v_i + e_i 1) + η = y with
    (2D_i - I)(X u_i + c_i 1) >= 0 (same for v): the two-layer ReLU training value (2)
    (regularized: ||fit - y||^2 + 2β Σ ...) is twice the value; biases c, e and η are free
    and unpenalized (absent without bias)."""
    n, d = X.shape
    m = patterns.shape[0]
    U, V = cp.Variable((d, m)), cp.Variable((d, m))
    D = patterns.astype(float).T                         # (n, m)
    pre_u, pre_v = X @ U, X @ V
    if bias:
        c, e, eta = cp.Variable(m), cp.Variable(m), cp.Variable()
        pre_u = pre_u + np.ones((n, 1)) @ cp.reshape(c, (1, m), order="C")
        pre_v = pre_v + np.ones((n, 1)) @ cp.reshape(e, (1, m), order="C")
    sign = 2 * D - 1
    fit = cp.sum(cp.multiply(D, pre_u) - cp.multiply(D, pre_v), axis=1)
    if bias:
        fit = fit + eta
    penalty = cp.sum(cp.norm(U, 2, axis=0)) + cp.sum(cp.norm(V, 2, axis=0))
    cones = [cp.multiply(sign, pre_u) >= 0, cp.multiply(sign, pre_v) >= 0]
    if beta is None:
        problem = cp.Problem(cp.Minimize(penalty), [fit == y, *cones])
        problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-11)
        return 2.0 * problem.value
    problem = cp.Problem(cp.Minimize(cp.sum_squares(fit - y) + 2 * beta * penalty), cones)
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-11)
    return problem.value


GENERAL_CASES = [  # (n, d, bias, beta, seed)
    (7, 2, True, None, 1),
    (7, 2, True, 0.1, 2),
    (7, 2, False, None, 3),
    (7, 2, False, 0.05, 4),
    (6, 3, False, None, 5),
    (6, 3, True, 0.1, 6),
]


@pytest.fixture(scope="module")
def general_references():
    refs = {}
    for n, d, bias, beta, seed in GENERAL_CASES:
        X, y = general_data(n, d, seed)
        patterns = sampled_patterns(X, bias, 20000, seed)
        assert patterns.shape[0] == region_count(n, d, bias)    # every region was sampled
        patterns = patterns[patterns.any(axis=1)]
        refs[(n, d, bias, beta, seed)] = (X, y, pilanci_ergen(X, y, beta, bias, patterns))
    return refs


@pytest.mark.parametrize("case", GENERAL_CASES)
def test_exchange_closes_on_general_relu_data(general_references, case):
    X, y, ref = general_references[case]
    _, _, bias, beta, seed = case
    family = si.ReluNeurons(X, bias=bias)
    result = si.exchange(family, y, beta, seed=seed + 100, rtol=GAP)
    assert result.exact_oracle and result.closed and result.stop == "closed"
    assert result.rel_gap <= GAP
    assert result.lower <= ref * (1 + WEAK_RTOL)
    assert result.upper >= ref * (1 - WEAK_RTOL)
    assert result.upper == pytest.approx(ref, rel=VALUE_RTOL)
    # Weak duality at every iteration, and the upper bound is the network's own objective.
    for step in result.history:
        assert step.lower is None or step.lower <= ref * (1 + WEAK_RTOL)
        assert step.upper >= ref * (1 - WEAK_RTOL)
    network = result.network
    assert network.activation == "relu"
    assert network.objective(X, y, beta) == pytest.approx(result.upper, rel=1e-12)
    if beta is None:
        assert network.interpolation_residual(X, y) <= 1e-9
    assert (network.biases[0] is not None) == bias
    assert network.intercept == 0.0 or bias


@pytest.mark.parametrize("case", [GENERAL_CASES[0], GENERAL_CASES[3]])
def test_certify_relu_on_general_data(general_references, case):
    X, y, ref = general_references[case]
    _, _, bias, beta, _ = case
    if beta is None:
        # X -> 3X, y -> 2y: W1 -> W1 t/3, b -> b t, w2 -> 2 w2/t maps networks onto networks,
        # so the minimum-norm value (2) scales by 2/3.
        cert = cvxdual.certify(3.0 * X, 2.0 * y, family="relu", bias=bias)
        assert cert.certified, cert.reasons
        assert cert.training_value == pytest.approx(ref * 2.0 / 3.0, rel=VALUE_RTOL)
        # The recorded steps are training values in the user's units too.
        assert max(step["lower"] for step in cert.iterations) == pytest.approx(
            cert.dual_value, rel=1e-12)
        assert min(step["upper"] for step in cert.iterations) >= ref * 2.0 / 3.0 * (1 - 1e-8)
        assert cert.dual_value <= cert.training_value * (1 + WEAK_RTOL)
    cert = cvxdual.certify(X, y, family="relu", beta=beta, bias=bias)
    assert cert.certified, cert.reasons
    assert cert.dual_value <= ref * (1 + WEAK_RTOL) and cert.training_value >= ref * (1 - WEAK_RTOL)
    assert cert.rel_gap <= GAP
    assert cert.network.objective(X, y, beta) == pytest.approx(cert.training_value, rel=1e-12)
    assert len(cert.iterations) == cert.checks["iterations"] >= 1
    assert "exchange" in str(cert) and "bracket" in str(cert)
    out = json.loads(json.dumps(cert.to_dict()))
    assert out["iterations"][-1]["iteration"] == len(cert.iterations)
    assert "oracle" in cert.bounds["lower"]


# --- linear neurons: one exchange step is exact -------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 10), (12, 4)])
@pytest.mark.parametrize("beta", [None, 0.3])
def test_linear_closes_in_one_exchange(shape, beta):
    rng = np.random.default_rng(sum(shape))
    n, d = shape
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) if n > d else rng.standard_normal(n)
    result = si.exchange(si.LinearNeurons(X), y, beta, seed=7)
    # The initial random neurons, then the oracle's cone (all of R^d: Theorem 2.2's ||v||_2).
    assert result.closed and len(result.history) == 2
    ref = min_norm_reference(X, y) if beta is None else ridge_path_reference(X, y, beta)[0]
    assert result.upper == pytest.approx(ref, rel=VALUE_RTOL)
    assert result.lower <= ref * (1 + WEAK_RTOL) <= result.upper * (1 + 2 * WEAK_RTOL)
    assert result.network.activation == "linear"
    end_to_end = result.network.weights[0] @ result.network.weights[1]
    if beta is None:
        assert end_to_end == pytest.approx(np.linalg.pinv(X) @ y, abs=1e-7)


@pytest.mark.parametrize("beta", [None, 0.3])
def test_linear_vector_outputs_group_version(beta):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((6, 9))
    Y = rng.standard_normal((6, 3))
    result = si.exchange(si.LinearNeurons(X), Y, beta, seed=3)
    ref = min_norm_reference(X, Y) if beta is None else fista_reference(X, Y, beta)[0]
    assert result.closed and len(result.history) == 2
    assert result.upper == pytest.approx(ref, rel=VALUE_RTOL)
    assert result.lower <= ref * (1 + WEAK_RTOL)
    assert result.network.weights[1].shape[1] == 3
    assert result.network.objective(X, Y, beta) == pytest.approx(result.upper, rel=1e-12)


def test_linear_fixed_neurons_only_bound_from_above():
    """Without the oracle's cone (one iteration) the dictionary value is an upper bound and
    the scaled dual point a lower bound."""
    X, y = general_data(6, 10, 21)
    ref = min_norm_reference(X, y)
    result = si.exchange(si.LinearNeurons(X), y, max_iter=1, seed=2)
    assert result.stop == "iteration limit" and not result.closed
    assert result.lower < ref * (1 + WEAK_RTOL) and result.upper > ref


# --- 1-D ReLU with bias: the §4 spline ------------------------------------------------------------

@pytest.mark.parametrize("beta", [None, 0.1])
def test_spline_value_from_a_random_start(beta):
    rng = np.random.default_rng(4)
    x = np.sort(rng.uniform(0, 4, 10))
    t = np.sin(2 * x)
    X = x[:, None]
    spline = cvxdual.certify(X, t, family="relu", beta=beta)
    assert spline.certified and spline.iterations == ()
    result = si.exchange(si.ReluNeurons(X), t, beta, seed=9, initial=3)
    assert result.closed
    assert result.upper == pytest.approx(spline.training_value, rel=VALUE_RTOL)
    assert result.lower <= spline.training_value * (1 + WEAK_RTOL)
    if beta is None:
        grid = np.linspace(x.min(), x.max(), 400)
        assert result.network.forward(grid[:, None]) == pytest.approx(np.interp(grid, x, t),
                                                                      abs=1e-7)


def test_points_on_an_affine_line_use_the_breakpoint_scan():
    rng = np.random.default_rng(6)
    c = rng.uniform(-1, 2, 8)
    X = np.array([1.0, -2.0, 0.5]) + np.outer(c, [0.6, 0.0, 0.8])
    y = rng.standard_normal(8)
    family = si.ReluNeurons(X)
    assert family.exact and family.pattern_count == 0
    result = si.exchange(family, y, seed=1)
    spline = cvxdual.certify(np.outer(c, [0.6, 0.0, 0.8]), y, family="relu")
    assert result.closed
    assert result.upper == pytest.approx(spline.training_value, rel=VALUE_RTOL)


# --- the oracles are exact ----------------------------------------------------------------------

def dense_neurons(d: int, bias: bool, X: np.ndarray, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d, count))
    W /= np.linalg.norm(W, axis=0)
    if not bias:
        return W
    spread = np.abs(X).max() * 2.0
    return np.vstack([W, rng.uniform(-spread, spread, count)])


@pytest.mark.parametrize(("d", "bias"), [(1, True), (2, True), (2, False), (3, False),
                                         (3, True)])
def test_relu_oracle_is_never_exceeded(d, bias):
    X, _ = general_data(7, d, 30 + d)
    lam = np.random.default_rng(40 + d).standard_normal(7)
    if bias:
        lam -= lam.mean()
    family = si.ReluNeurons(X, bias=bias)
    result = family.most_violated(lam)
    assert result.exact
    sample = dense_neurons(d, bias, X, 40000, 50 + d)
    sampled = np.abs(family.features(sample).T @ lam)
    assert sampled.max() <= result.value * (1 + 1e-9)
    assert sampled.max() >= 0.9 * result.value              # the value is not loose
    attained = abs(float(family.features(result.neuron)[:, 0] @ lam))
    assert attained == pytest.approx(result.value, rel=1e-9)


def test_linear_oracle_closed_form():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 4))
    lam = rng.standard_normal(5)
    family = si.LinearNeurons(X)
    result = family.most_violated(lam)
    assert result.value == pytest.approx(np.linalg.norm(X.T @ lam), rel=1e-12)
    sample = dense_neurons(4, False, X, 20000, 1)
    assert np.abs(family.features(sample).T @ lam).max() <= result.value * (1 + 1e-12)
    Lam = rng.standard_normal((5, 3))
    vector = family.most_violated(Lam)
    assert vector.value == pytest.approx(np.linalg.norm(X.T @ Lam, 2), rel=1e-12)
    assert np.linalg.norm(Lam.T @ family.features(vector.neuron)) == pytest.approx(
        vector.value, rel=1e-10)


def test_heuristic_oracle_claims_only_the_upper_bound():
    X, y = general_data(7, 3, 8)
    family = si.ReluNeurons(X, bias=False, max_patterns=1)
    assert not family.exact
    result = si.exchange(family, y, 0.1, seed=1, max_iter=8)
    assert not result.exact_oracle and not result.closed
    assert result.lower == 0.0 and all(step.lower is None for step in result.history)
    exact = si.exchange(si.ReluNeurons(X, bias=False), y, 0.1, seed=1)
    assert exact.closed and result.upper >= exact.lower * (1 - WEAK_RTOL)


# --- bad input ------------------------------------------------------------------------------------

def test_bad_input_raises_clear_errors():
    X, y = general_data(6, 2, 3)
    relu = si.ReluNeurons(X)
    linear = si.LinearNeurons(X)
    with pytest.raises(cvxdual.ParameterError, match=r"shape \(3, m\)"):
        relu.features(np.ones((2, 4)))
    with pytest.raises(cvxdual.ParameterError, match=r"shape \(2, m\)"):
        linear.features(np.ones((3, 4)))
    with pytest.raises(cvxdual.ParameterError, match="zero weight"):
        linear.features(np.zeros((2, 1)))
    with pytest.raises(cvxdual.ParameterError, match="dual point"):
        relu.most_violated(np.ones(5))
    with pytest.raises(cvxdual.ParameterError, match="shape"):
        si.exchange(relu, y, neurons=np.ones((2, 3)))
    for name in ("rtol", "tol"):
        for value in (0.0, -1e-6, float("nan")):
            with pytest.raises(cvxdual.ParameterError, match=name):
                si.exchange(linear, y, **{name: value})
    with pytest.raises(cvxdual.ParameterError, match="max_iter"):
        si.exchange(linear, y, max_iter=0)
    with pytest.raises(cvxdual.ParameterError, match="neuron family"):
        si.exchange(X, y)
    with pytest.raises(cvxdual.UnsupportedError, match="scalar outputs"):
        si.exchange(relu, np.column_stack([y, y]))
    with pytest.raises(cvxdual.ParameterError, match="bias"):
        si.ReluNeurons(X, bias=1)
    with pytest.raises(cvxdual.InfeasibleError, match="beta > 0"):
        si.exchange(si.LinearNeurons(np.random.default_rng(0).standard_normal((6, 2))), y)


def test_certify_general_relu_errors():
    X, y = general_data(6, 2, 3)
    with pytest.raises(cvxdual.DataError, match="rank-one"):
        cvxdual.certify(X, y, family="relu", depth=3)
    with pytest.raises(cvxdual.UnsupportedError, match="scalar outputs"):
        cvxdual.certify(X, np.column_stack([y, y]), family="relu")
    with pytest.raises(cvxdual.UnsupportedError, match="widths"):
        cvxdual.certify(X, y, family="relu", widths=(5,))
    clash = np.vstack([X, X[:1]])
    with pytest.raises(cvxdual.InfeasibleError, match="same input"):
        cvxdual.certify(clash, np.append(y, y[0] + 1.0), family="relu")


def test_degenerate_grid_data():
    """Points on a grid (many collinear triples, hyperplanes through several points): the
    oracle is still exact and the bracket closes below the sampled Pilanci–Ergen value."""
    g = np.array([0.0, 1.0, 2.0])
    X = np.array([[a, b] for a in g for b in g])
    y = np.random.default_rng(13).standard_normal(9)
    family = si.ReluNeurons(X)
    assert family.exact
    lam = np.random.default_rng(14).standard_normal(9)
    lam -= lam.mean()
    oracle = family.most_violated(lam)
    sampled = np.abs(family.features(dense_neurons(2, True, X, 40000, 15)).T @ lam)
    assert sampled.max() <= oracle.value * (1 + 1e-9)
    result = si.exchange(family, y, 0.1, seed=2)
    assert result.closed
    ref = pilanci_ergen(X, y, 0.1, True, sampled_patterns(X, True, 20000, 16))
    assert result.lower <= ref * (1 + WEAK_RTOL)
    assert result.upper == pytest.approx(ref, rel=VALUE_RTOL)
    assert result.neurons.shape == (3, result.network.widths[0])


@pytest.mark.parametrize(("family", "output", "beta"), [
    ("linear", "scalar", None), ("linear", "vector", 0.5), ("relu", "spline", None)])
def test_certify_by_exchange(family, output, beta):
    rng = np.random.default_rng(17)
    if output == "spline":
        x = np.sort(rng.uniform(0, 3, 9))
        X, Y = x[:, None], np.cos(3 * x)
        ref = cvxdual.certify(X, Y, family="relu").training_value
    else:
        X = rng.standard_normal((7, 11))
        Y = rng.standard_normal(7) if output == "scalar" else rng.standard_normal((7, 2))
        ref = min_norm_reference(X, Y) if beta is None else fista_reference(X, Y, beta)[0]
    cert = si.certify_by_exchange(X, Y, family, beta, seed=5)
    assert cert.certified, cert.reasons
    assert cert.training_value == pytest.approx(ref, rel=VALUE_RTOL)
    assert cert.dual_value <= ref * (1 + WEAK_RTOL)
    assert cert.network.objective(X, Y, beta) == pytest.approx(cert.training_value, rel=1e-12)
    assert cert.iterations and cert.family == family
    with pytest.raises(cvxdual.ParameterError, match="linear' or 'relu"):
        si.certify_by_exchange(X, Y, "deep-linear")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_battery_general_relu_brackets_contain_the_optimum(seed):
    """Random starts on random data: every bracket closes and contains the Pilanci–Ergen value
    (instances whose sampled patterns miss a region are drawn again)."""
    rng = np.random.default_rng(2000 + seed)
    checked = 0
    for d, n in ((2, 7), (3, 6)):
        for bias in (True, False):
            while True:
                X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
                patterns = sampled_patterns(X, bias, 50000, seed)
                if patterns.shape[0] == region_count(n, d, bias):
                    break
            patterns = patterns[patterns.any(axis=1)]
            for beta in (None, 0.1):
                ref = pilanci_ergen(X, y, beta, bias, patterns)
                result = si.exchange(si.ReluNeurons(X, bias=bias), y, beta, seed=seed)
                assert result.closed and result.rel_gap <= GAP
                assert result.lower <= ref * (1 + WEAK_RTOL) <= result.upper * (1 + 2 * WEAK_RTOL)
                checked += 1
    assert checked == 8
