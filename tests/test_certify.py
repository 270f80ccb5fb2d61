"""Tests of :func:`cvxdual.certify` for two-layer linear networks (paper §2).

Every expected value is computed here, in NumPy/SciPy, independently of cvxdual:

* minimum norm (2): ``2 ||X^+ Y||_*`` (Theorems 2.2 and 2.4);
* regularized (1), ``min_V ||XV - Y||_F^2 + 2β||V||_*``:
  scalar outputs by a 1-D search along the ridge path, vector outputs by singular-value
  soft-thresholding when ``X^T X = I`` and by proximal gradient (FISTA with SVT) otherwise.

The optimal dual points used to check the extreme-point property are built from those
references too: ``Λ = (X^+)^T N R^T`` for minimum norm (``X^+ Y = N Σ R^T``) and the residual
``Λ = Y - X V*`` for the regularized problem.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

import cvxdual
from cvxdual import certificate as certificate_module

# --- tolerances --------------------------------------------------------------------------------

VALUE_RTOL = 1e-6          # certified value vs. independent reference
GAP_RTOL = 1e-6            # certificate's own relative gap
WEAK_DUALITY_RTOL = 1e-10  # a lower bound may exceed the optimum only by round-off
INTERP_ATOL = 1e-7         # max |f(X) - Y| / max(1, max |Y|) for minimum-norm networks
UNIT_ATOL = 1e-10          # | ||w|| - 1 | for extracted neurons
# Distance of a neuron from the column space of the optimal V. The network is read from an
# interior-point solution, so its directions are accurate to about sqrt(solver tolerance): up to
# ~3e-5 on these instances while the values agree to 1e-10.
SUBSPACE_ATOL = 1e-4
EXTREME_RTOL = 1e-5        # ||Λ^T X w|| >= (1 - EXTREME_RTOL) * bound for an extreme point
RANK_RTOL = 1e-9           # singular values of the reference V below this (relative) are zero


# --- independent reference solutions -----------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """Independent optimum of the training problem."""

    value: float
    V: np.ndarray          # (d, k) optimal end-to-end matrix
    lam: np.ndarray        # (n, k) an optimal dual point
    bound: float           # dual constraint bound: 1 (minimum norm) or beta
    rank: int              # rank of V


def _thin_svd(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    r = int(np.count_nonzero(s > 1e-12 * s[0]))
    return U[:, :r], s[:r], Vt[:r]


def _rank(V: np.ndarray) -> int:
    s = np.linalg.svd(V, compute_uv=False)
    if s.size == 0 or s[0] == 0.0:
        return 0
    return int(np.count_nonzero(s > RANK_RTOL * s[0]))


def _svt(A: np.ndarray, threshold: float) -> np.ndarray:
    P, sigma, Rt = np.linalg.svd(A, full_matrices=False)
    return (P * np.maximum(sigma - threshold, 0.0)) @ Rt


def _regularized_objective(X: np.ndarray, Y2: np.ndarray, V: np.ndarray, beta: float) -> float:
    nuclear = float(np.linalg.svd(V, compute_uv=False).sum())
    return float(np.sum((X @ V - Y2) ** 2)) + 2.0 * beta * nuclear


def reference_min_norm(X: np.ndarray, Y2: np.ndarray) -> tuple[float, np.ndarray]:
    V = np.linalg.pinv(X) @ Y2
    return 2.0 * float(np.linalg.svd(V, compute_uv=False).sum()), V


def reference_scalar_search(X: np.ndarray, y: np.ndarray, beta: float) -> tuple[float, np.ndarray]:
    """``min_v ||Xv - y||^2 + 2β||v||`` by a 1-D search over the ridge parameter.

    Every minimizer lies on the ridge path ``v(μ) = (X^T X + μ I)^+ X^T y`` (or is 0), and the
    objective along it is unimodal in ``log μ``: grid search, bounded Brent refinement, then a
    polish of the stationarity condition inside the bracket.
    """
    d = X.shape[1]
    if 2.0 * np.linalg.norm(X.T @ y) <= 2.0 * beta:   # 0 is in the subdifferential at v = 0
        return float(y @ y), np.zeros(d)
    U, s, Vt = _thin_svd(X)
    c = U.T @ y
    outside = float(y @ y - c @ c)

    def path(t: float) -> np.ndarray:
        return Vt.T @ (s * c / (s ** 2 + np.exp(t)))

    def objective(t: float) -> float:
        mu = np.exp(t)
        fit = float(np.sum((mu * c / (s ** 2 + mu)) ** 2)) + outside
        return fit + 2.0 * beta * float(np.linalg.norm(s * c / (s ** 2 + mu)))

    lo, hi = 2.0 * np.log(s[-1]) - 30.0, 2.0 * np.log(s[0]) + 30.0
    grid = np.linspace(lo, hi, 4001)
    values = np.array([objective(t) for t in grid])
    i = int(np.argmin(values))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    result = minimize_scalar(objective, bounds=(a, b), method="bounded",
                             options={"xatol": 1e-13, "maxiter": 2000})
    t = result.x if result.fun <= values[i] else grid[i]

    # Brent locates the flat minimum only to ~sqrt(eps); polish with the stationarity condition
    # μ ||v(μ)|| = β (increasing in log μ) inside the same bracket, keeping the better point.
    def stationarity(t: float) -> float:
        return float(np.exp(t) * np.linalg.norm(s * c / (s ** 2 + np.exp(t)))) - beta

    if stationarity(a) < 0.0 < stationarity(b):
        polished = brentq(stationarity, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps)
        if objective(polished) <= objective(t) * (1 + 1e-14):
            t = polished
    v = path(t)
    return float(np.sum((X @ v - y) ** 2) + 2.0 * beta * np.linalg.norm(v)), v


def reference_orthonormal_svt(X: np.ndarray, Y2: np.ndarray,
                              beta: float) -> tuple[float, np.ndarray]:
    """``X^T X = I``: ``||XV - Y||^2 = ||V - X^T Y||^2 + const``, so V is SVT of X^T Y at β."""
    if np.max(np.abs(X.T @ X - np.eye(X.shape[1]))) > 1e-12:
        raise ValueError("reference_orthonormal_svt needs orthonormal columns")
    V = _svt(X.T @ Y2, beta)
    return _regularized_objective(X, Y2, V, beta), V


def reference_fista(X: np.ndarray, Y2: np.ndarray, beta: float,
                    max_iter: int = 200_000) -> tuple[float, np.ndarray]:
    """Accelerated proximal gradient with SVT on ``||XV - Y||^2 + 2β||V||_*``.

    An optimal V lies in the row space of X (projecting onto it cannot increase the nuclear
    norm), so we solve for ``Z`` with ``V = Vt^T Z``: the smooth part ``||diag(s) Z - U^T Y||^2``
    is then strongly convex and FISTA (with adaptive restart) converges linearly.
    """
    U, s, Vt = _thin_svd(X)
    C = U.T @ Y2
    step = 1.0 / (2.0 * s[0] ** 2)
    Z = np.zeros_like(C)
    previous = Z
    t = 1.0
    for _ in range(max_iter):
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        point = Z + ((t - 1.0) / t_next) * (Z - previous)
        gradient = 2.0 * s[:, None] * (s[:, None] * point - C)
        Z_next = _svt(point - step * gradient, 2.0 * beta * step)
        if np.sum((point - Z_next) * (Z_next - Z)) > 0.0:   # restart the momentum
            t_next = 1.0
        previous, Z, t = Z, Z_next, t_next
        if np.linalg.norm(Z - previous) <= 1e-15 * (1.0 + np.linalg.norm(Z)):
            break
    V = Vt.T @ Z
    return _regularized_objective(X, Y2, V, beta), V


def reference(X: np.ndarray, Y: np.ndarray, beta: float | None,
              orthonormal: bool = False) -> Reference:
    """Independent optimum, optimal V and an optimal dual point of the training problem."""
    Y2 = Y.reshape(X.shape[0], -1)
    if beta is None:
        value, V = reference_min_norm(X, Y2)
        r = _rank(V)
        N, _, Rt = np.linalg.svd(V, full_matrices=False)
        lam = np.linalg.pinv(X).T @ (N[:, :r] @ Rt[:r])
        return Reference(value=value, V=V, lam=lam, bound=1.0, rank=r)
    if Y2.shape[1] == 1:
        value, v = reference_scalar_search(X, Y2[:, 0], beta)
        V = v[:, None]
    elif orthonormal:
        value, V = reference_orthonormal_svt(X, Y2, beta)
    else:
        value, V = reference_fista(X, Y2, beta)
    return Reference(value=value, V=V, lam=Y2 - X @ V, bound=beta, rank=_rank(V))


# --- instances ---------------------------------------------------------------------------------

#: name -> (n, d, k, orthonormal columns); k=None means 1-D targets.
SHAPES = {
    "tall-1d": (30, 10, None, False),
    "wide-1d": (12, 30, None, False),
    "tall-n1": (30, 10, 1, False),
    "wide-n1": (12, 30, 1, False),
    "tall-vec": (30, 10, 3, False),
    "wide-vec": (10, 30, 4, False),
    "ortho-vec": (30, 10, 3, True),
}
#: None: minimum norm; "above": 1.5 σ_max(X^T Y), where the optimum is the zero network.
BETAS = {"min-norm": None, "b0.01": 0.01, "b1": 1.0, "b10": 10.0, "above": "above"}

CASES = [pytest.param(shape, beta, id=f"{shape}-{beta}") for shape in SHAPES for beta in BETAS]


def make_instance(shape: str, beta_name: str) -> tuple[np.ndarray, np.ndarray, float | None]:
    n, d, k, orthonormal = SHAPES[shape]
    seed = 1000 + 10 * list(SHAPES).index(shape) + list(BETAS).index(beta_name)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if orthonormal:
        X = np.linalg.qr(X)[0]
    out = (n,) if k is None else (n, k)
    beta = BETAS[beta_name]
    if beta is None and n > d:
        # Minimum norm needs Y in the range of X: plant a model.
        Y = X @ rng.standard_normal((d,) if k is None else (d, k))
    else:
        Y = rng.standard_normal(out)
    if beta == "above":
        beta = 1.5 * float(np.linalg.norm(X.T @ Y.reshape(n, -1), 2))
    return X, Y, beta


@cache
def solved(shape: str, beta_name: str):
    X, Y, beta = make_instance(shape, beta_name)
    cert = cvxdual.certify(X, Y, family="linear", beta=beta)
    ref = reference(X, Y, beta, orthonormal=SHAPES[shape][3])
    return X, Y, beta, cert, ref


def own_objective(network: cvxdual.Network, X: np.ndarray, Y: np.ndarray,
                  beta: float | None) -> float:
    """Training objective of a two-layer linear network, from its weights, in plain NumPy."""
    W1, W2 = (np.asarray(W) for W in network.weights)
    penalty = float(np.sum(W1 ** 2) + np.sum(W2 ** 2))
    if beta is None:
        return penalty
    return float(np.sum((X @ W1 @ W2 - Y) ** 2)) + beta * penalty


# --- the references agree with each other -------------------------------------------------------

@pytest.mark.parametrize("beta", [0.05, 0.7, 3.0])
def test_reference_solvers_agree(beta):
    rng = np.random.default_rng(7)
    X = np.linalg.qr(rng.standard_normal((25, 8)))[0]
    Y = rng.standard_normal((25, 3))
    svt_value, svt_V = reference_orthonormal_svt(X, Y, beta)
    fista_value, fista_V = reference_fista(X, Y, beta)
    assert fista_value == pytest.approx(svt_value, rel=1e-12)
    np.testing.assert_allclose(fista_V, svt_V, atol=1e-9)

    Xg = rng.standard_normal((15, 6))
    y = rng.standard_normal(15)
    search_value, search_v = reference_scalar_search(Xg, y, beta)
    fista_value, fista_V = reference_fista(Xg, y[:, None], beta)
    assert search_value == pytest.approx(fista_value, rel=1e-12)
    np.testing.assert_allclose(search_v, fista_V[:, 0], atol=1e-7)


# --- strong duality and the value ----------------------------------------------------------------

@pytest.mark.parametrize(("shape", "beta_name"), CASES)
def test_strong_duality_and_value(shape, beta_name):
    X, Y, beta, cert, ref = solved(shape, beta_name)
    scale = abs(ref.value)
    assert cert.certified is True, cert.reasons
    assert cert.reasons == ()
    assert cert.rel_gap <= GAP_RTOL
    assert cert.gap == pytest.approx(cert.training_value - cert.dual_value, abs=1e-12 * scale)
    # Weak duality: the lower bound never exceeds the optimum nor the network's value.
    assert cert.dual_value <= ref.value + WEAK_DUALITY_RTOL * scale
    assert cert.dual_value <= cert.training_value + WEAK_DUALITY_RTOL * scale
    # The value is the network's own objective ...
    assert cert.training_value == pytest.approx(cert.network.objective(X, Y, beta), rel=1e-12)
    assert cert.training_value == pytest.approx(own_objective(cert.network, X, Y, beta),
                                                rel=1e-12)
    # ... and the independent global optimum, as are the primal and the dual bound.
    assert cert.training_value == pytest.approx(ref.value, rel=VALUE_RTOL)
    assert cert.primal_value == pytest.approx(ref.value, rel=VALUE_RTOL)
    assert cert.dual_value == pytest.approx(ref.value, rel=VALUE_RTOL)
    if cert.closed_form is not None:
        assert cert.closed_form == pytest.approx(ref.value, rel=VALUE_RTOL)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_min_norm_network_interpolates(shape):
    X, Y, _, cert, ref = solved(shape, "min-norm")
    W1, W2 = cert.network.weights
    tol = INTERP_ATOL * max(1.0, float(np.max(np.abs(Y))))
    assert np.max(np.abs(cert.network.forward(X) - Y)) <= tol
    assert np.max(np.abs(X @ W1 @ W2 - Y)) <= tol
    assert cert.network.interpolation_residual(X, Y) <= INTERP_ATOL
    # Balanced layers (Lemma 2.1): ||W1||^2 = ||W2||^2 = ||V||_* at the optimum.
    assert np.sum(W1 ** 2) == pytest.approx(ref.value / 2, rel=VALUE_RTOL)
    assert np.sum(W2 ** 2) == pytest.approx(ref.value / 2, rel=VALUE_RTOL)


@pytest.mark.parametrize("shape", ["tall-1d", "wide-1d", "tall-vec"])
def test_zero_network_when_beta_above_sigma_max(shape):
    X, Y, beta, cert, ref = solved(shape, "above")
    assert ref.rank == 0
    assert cert.training_value == pytest.approx(float(np.sum(Y ** 2)), rel=1e-12)
    assert np.all(cert.network.forward(X) == 0.0)


@pytest.mark.parametrize("seed", [0, 8, 11])
@pytest.mark.parametrize(("k", "beta"), [(None, None), (3, None), (3, 0.5)])
def test_rank_deficient_X(k, beta, seed):
    """X of rank 5 < min(n, d): Y in its range still has a well-defined optimum."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((10, 5)) @ rng.standard_normal((5, 10))
    Y = X @ rng.standard_normal((10,) if k is None else (10, k))
    if beta is not None:
        Y = Y + 0.1 * rng.standard_normal(Y.shape)
    ref = reference(X, Y, beta)
    cert = cvxdual.certify(X, Y, beta=beta)
    assert cert.certified is True, cert.reasons
    assert cert.training_value == pytest.approx(ref.value, rel=VALUE_RTOL)
    assert cert.dual_value <= ref.value + WEAK_DUALITY_RTOL * abs(ref.value)
    assert cert.neurons.shape[1] == ref.rank


# --- neurons -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "beta_name"), CASES)
def test_neurons_are_unit_extreme_points(shape, beta_name):
    X, Y, beta, cert, ref = solved(shape, beta_name)
    d = X.shape[1]
    neurons = np.asarray(cert.neurons)
    m = cert.network.weights[0].shape[1]
    assert neurons.shape == (d, m)
    assert m == ref.rank, f"{m} neurons but the optimal V has rank {ref.rank}"
    if m == 0:
        return
    np.testing.assert_allclose(np.linalg.norm(neurons, axis=0), 1.0, atol=UNIT_ATOL)
    # The neurons are the (normalized) first-layer weights of the network.
    W1 = np.asarray(cert.network.weights[0])
    np.testing.assert_allclose(neurons, W1 / np.linalg.norm(W1, axis=0), atol=1e-12)
    # They span the column space of the (independent) optimal V ...
    basis = np.linalg.svd(ref.V, full_matrices=False)[0][:, :ref.rank]
    outside = neurons - basis @ (basis.T @ neurons)
    assert np.linalg.norm(outside, axis=0).max() <= SUBSPACE_ATOL
    assert np.linalg.matrix_rank(neurons, tol=1e-6) == ref.rank
    # ... and attain the maximum of the dual constraint over the unit ball (Corollary 2.1).
    lam_X = ref.lam.T @ X                                     # (k, d)
    assert np.linalg.norm(lam_X, 2) <= ref.bound * (1 + 1e-9)  # our dual point is feasible
    attained = np.linalg.norm(lam_X @ neurons, axis=0)
    assert attained.min() >= (1.0 - EXTREME_RTOL) * ref.bound


@pytest.mark.parametrize("shape", ["tall-1d", "wide-1d", "tall-n1", "wide-n1"])
def test_scalar_min_norm_single_neuron(shape):
    """Corollary 2.1: the optimal neuron is ±X^+ y / ||X^+ y||."""
    X, Y, _, cert, _ = solved(shape, "min-norm")
    w = np.linalg.pinv(X) @ Y.reshape(X.shape[0])
    direction = w / np.linalg.norm(w)
    assert cert.neurons.shape == (X.shape[1], 1)
    neuron = cert.neurons[:, 0]
    sign = np.sign(neuron @ direction)
    np.testing.assert_allclose(sign * neuron, direction, atol=1e-7)


@pytest.mark.parametrize("active", [1, 2, 3])
def test_orthonormal_rank_drops_at_singular_values(active):
    """X^T X = I: the number of neurons is #{σ_i(X^T Y) > β} (Remark 2.1, Fig. 2a)."""
    rng = np.random.default_rng(40 + active)
    X = np.linalg.qr(rng.standard_normal((24, 8)))[0]
    Y = rng.standard_normal((24, 3))
    sigma = np.append(np.linalg.svd(X.T @ Y, compute_uv=False), 0.0)
    beta = 0.5 * (sigma[active - 1] + sigma[active])
    cert = cvxdual.certify(X, Y, beta=beta)
    assert cert.certified, cert.reasons
    assert cert.neurons.shape == (8, active)
    value, _ = reference_orthonormal_svt(X, Y, beta)
    assert cert.training_value == pytest.approx(value, rel=VALUE_RTOL)


# --- the contract --------------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "beta_name"), CASES)
def test_network_contract_shapes(shape, beta_name):
    X, Y, _, cert, _ = solved(shape, beta_name)
    network = cert.network
    assert isinstance(network, cvxdual.Network)
    assert len(network.weights) == 2
    W1, W2 = network.weights
    d = X.shape[1]
    assert W1.ndim == 2 and W1.shape[0] == d
    m = W1.shape[1]
    expected = (m,) if Y.ndim == 1 else (m, Y.shape[1])
    assert W2.shape == expected
    assert network.biases == (None,)
    assert network.intercept == 0
    assert network.activation == "linear"
    assert network.forward(X).shape == Y.shape
    assert cert.network_source in ("dual", "primal")
    pinned = cvxdual.certify(X, Y, family="linear", beta=solved(shape, beta_name)[2],
                             method="cvxpy")
    assert pinned.primal_status == "optimal" and pinned.dual_status == "optimal"


CONTRACT_KEYS = ("training_value", "primal_value", "dual_value", "gap", "rel_gap", "certified",
                 "network", "neurons", "closed_form", "primal_status", "dual_status", "solver",
                 "timings")


@pytest.mark.parametrize(("shape", "beta_name"),
                         [("wide-1d", "min-norm"), ("tall-vec", "b1"), ("tall-n1", "above")])
def test_to_dict_and_str(shape, beta_name):
    _, _, _, cert, _ = solved(shape, beta_name)
    as_dict = cert.to_dict()
    text = json.dumps(as_dict)
    restored = json.loads(text)
    for key in CONTRACT_KEYS:
        assert key in restored, key
    assert restored["certified"] is True
    assert restored["training_value"] == cert.training_value
    assert restored["dual_value"] == cert.dual_value
    assert np.asarray(restored["neurons"]).reshape(cert.neurons.shape).shape == \
        cert.neurons.shape
    weights = restored["network"]["weights"]
    assert len(weights) == 2
    np.testing.assert_array_equal(np.asarray(weights[1]).reshape(cert.network.weights[1].shape),
                                  cert.network.weights[1])
    assert isinstance(restored["timings"], dict)
    assert "certified" in str(cert)


# --- never certified on a solver's word ----------------------------------------------------------

def _wrap_solve(monkeypatch, change):
    original = certificate_module.solve

    def wrapped(program, solver=None, **options):
        return change(program, original(program, solver, **options))

    monkeypatch.setattr(certificate_module, "solve", wrapped)


@pytest.mark.parametrize("kind", ["primal", "dual"])
@pytest.mark.parametrize(("shape", "beta_name"),
                         [("wide-1d", "min-norm"), ("tall-vec", "b1"), ("tall-1d", "b0.01")])
def test_inaccurate_status_never_certifies(monkeypatch, kind, shape, beta_name):
    X, Y, beta, _, _ = solved(shape, beta_name)

    def mark_inaccurate(program, solution):
        if program.kind == kind:
            return dataclasses.replace(solution, status="optimal_inaccurate")
        return solution

    _wrap_solve(monkeypatch, mark_inaccurate)
    cert = cvxdual.certify(X, Y, beta=beta, method="cvxpy")
    assert cert.certified is False
    assert any("optimal_inaccurate" in reason for reason in cert.reasons), cert.reasons
    assert getattr(cert, f"{kind}_status") == "optimal_inaccurate"
    assert cert.to_dict()["certified"] is False


def _perturb_dual(relative: float, seed: int):
    rng = np.random.default_rng(seed)

    def perturb(program, solution):
        if program.kind != "dual":
            return solution
        lam = solution.variables["lam"]
        noise = rng.standard_normal(lam.shape)
        noise *= relative * np.linalg.norm(lam) / np.linalg.norm(noise)
        return dataclasses.replace(solution, variables={**solution.variables, "lam": lam + noise})

    return perturb


PERTURB_CASES = [("wide-1d", "min-norm"), ("tall-vec", "min-norm"), ("tall-1d", "b1"),
                 ("wide-vec", "b1"), ("tall-vec", "b10")]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("shape", "beta_name"), PERTURB_CASES)
def test_small_dual_perturbation_keeps_a_valid_bound(monkeypatch, shape, beta_name, seed):
    X, Y, beta, _, ref = solved(shape, beta_name)
    _wrap_solve(monkeypatch, _perturb_dual(1e-3, seed))
    cert = cvxdual.certify(X, Y, beta=beta, method="cvxpy")
    scale = abs(ref.value)
    # The dual point is scaled into feasibility: weak duality holds whatever the perturbation.
    assert cert.dual_value <= ref.value + WEAK_DUALITY_RTOL * scale
    assert cert.dual_value <= cert.training_value + WEAK_DUALITY_RTOL * scale
    assert cert.dual_value >= ref.value * (1 - 1e-2)   # still a useful bound
    assert cert.training_value == pytest.approx(ref.value, rel=VALUE_RTOL)
    if cert.certified:
        assert cert.rel_gap <= GAP_RTOL
    else:
        assert any("gap" in reason for reason in cert.reasons), cert.reasons


@pytest.mark.parametrize(("shape", "beta_name"), PERTURB_CASES)
def test_large_dual_perturbation_is_not_certified(monkeypatch, shape, beta_name):
    X, Y, beta, _, ref = solved(shape, beta_name)
    _wrap_solve(monkeypatch, _perturb_dual(1e-1, 3))
    cert = cvxdual.certify(X, Y, beta=beta, method="cvxpy")
    scale = abs(ref.value)
    assert cert.certified is False
    assert any("gap" in reason for reason in cert.reasons), cert.reasons
    assert cert.dual_value <= ref.value + WEAK_DUALITY_RTOL * scale
    assert cert.rel_gap > GAP_RTOL


# --- errors --------------------------------------------------------------------------------------

def _good_data():
    rng = np.random.default_rng(5)
    return rng.standard_normal((8, 12)), rng.standard_normal(8)


@pytest.mark.parametrize(("options", "error", "mentions"), [
    ({"beta": 0}, cvxdual.ParameterError, "beta"),
    ({"beta": 0.0}, cvxdual.ParameterError, "beta"),
    ({"beta": -1}, cvxdual.ParameterError, "beta"),
    ({"beta": float("nan")}, cvxdual.ParameterError, "beta"),
    ({"beta": float("inf")}, cvxdual.ParameterError, "beta"),
    ({"beta": True}, cvxdual.ParameterError, "beta"),
    ({"beta": "1"}, cvxdual.ParameterError, "beta"),
    ({"family": "foo"}, cvxdual.ParameterError, "family"),
    ({"family": "relu", "depth": 3}, cvxdual.DataError, "rank-one"),
    ({"loss": "foo"}, cvxdual.ParameterError, "loss"),
    ({"loss": "logistic"}, cvxdual.ParameterError, "beta"),
    ({"loss": "logistic", "beta": 1.0}, cvxdual.DataError, "labels"),
    ({"loss": "huber", "beta": 1.0, "family": "deep-linear", "depth": 3},
     cvxdual.UnsupportedError, "deep-linear"),
    ({"depth": 3}, cvxdual.ParameterError, "depth"),
    ({"depth": 1}, cvxdual.ParameterError, "depth"),
    ({"solver": "NOPE"}, cvxdual.ParameterError, "NOPE"),
])
def test_bad_options_raise_cvxdual_errors(options, error, mentions):
    X, y = _good_data()
    with pytest.raises(error) as excinfo:
        cvxdual.certify(X, y, **options)
    assert isinstance(excinfo.value, cvxdual.CvxdualError)
    assert type(excinfo.value).__module__.startswith("cvxdual")
    assert mentions in str(excinfo.value)


def test_target_outside_range_is_infeasible_for_min_norm():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    with pytest.raises(cvxdual.InfeasibleError) as excinfo:
        cvxdual.certify(X, y, beta=None)
    assert isinstance(excinfo.value, cvxdual.CvxdualError)
    assert "beta" in str(excinfo.value)
    # The same data is fine for the regularized problem.
    assert cvxdual.certify(X, y, beta=1.0).certified


def _nan_X():
    X, y = _good_data()
    X = X.copy()
    X[2, 3] = np.nan
    return X, y


def _inf_Y():
    X, y = _good_data()
    y = y.copy()
    y[0] = np.inf
    return X, y


@pytest.mark.parametrize("make", [
    pytest.param(_nan_X, id="nan-in-X"),
    pytest.param(_inf_Y, id="inf-in-Y"),
    pytest.param(lambda: (_good_data()[0], np.zeros((8, 2, 2))), id="Y-3d"),
    pytest.param(lambda: (_good_data()[0], np.zeros(7)), id="mismatched-rows"),
    pytest.param(lambda: (np.zeros((0, 3)), np.zeros(0)), id="empty-X"),
    pytest.param(lambda: (np.zeros((4, 0)), np.zeros(4)), id="no-features"),
    pytest.param(lambda: (np.ones(5), np.ones(5)), id="X-1d"),
    pytest.param(lambda: (np.ones((3, 2), dtype=complex), np.ones(3)), id="complex-X"),
])
@pytest.mark.parametrize("beta", [None, 1.0])
def test_bad_data_raises_data_error(make, beta):
    X, Y = make()
    with pytest.raises(cvxdual.DataError) as excinfo:
        cvxdual.certify(X, Y, beta=beta)
    assert isinstance(excinfo.value, cvxdual.CvxdualError)
    assert str(excinfo.value)


def test_error_hierarchy():
    for error in (cvxdual.DataError, cvxdual.ParameterError, cvxdual.InfeasibleError,
                  cvxdual.UnsupportedError, cvxdual.SolverError):
        assert issubclass(error, cvxdual.CvxdualError)
