"""Tests of general convex losses (Theorem A.1): conjugates, certificates, neurons, bad labels.

Independent references are written here, not taken from cvxdual:

* conjugates against a numeric supremum ``sup_z μz - ℓ(z)`` (SciPy);
* values and gradients against finite differences and against the losses written again below;
* certified values against (a) the convex problem ``min_V ℓ(XV, Y) + 2β||V||_*`` written here
  in epigraph form and solved with CVXPY, and (b) a two-layer network trained with L-BFGS on the
  non-convex objective ``ℓ(X W1 W2, Y) + β(||W1||_F^2 + ||W2||_F^2)``, whose best restart must
  reach the certified value (smooth losses) and never beat it (any loss).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar
from scipy.special import logsumexp

import cvxdual
from cvxdual import cli
from cvxdual.errors import DataError, ParameterError, UnsupportedError
from cvxdual.families import losses as loss_programs
from cvxdual.loss_certificate import certify_loss
from cvxdual.losses import LOSS_CLASSES, get_loss

GAP_RTOL = 1e-6           # certificate's relative gap (strong duality)
VALUE_RTOL = 1e-6         # certified value vs the independent convex program
BEAT_RTOL = 1e-8          # trained objective >= certified value - BEAT_RTOL * value
REACH_RTOL = 1e-5         # best L-BFGS restart within this of the certified value (smooth losses)
CONJ_ATOL = 1e-7          # conjugate vs numeric supremum
FD_RTOL = 1e-6            # gradient vs central differences
# Neuron vs X^T λ* / ||X^T λ*||: both come from interior-point solutions, whose directions are
# accurate to about the square root of the solver tolerance (up to 1e-5 seen here).
DIRECTION_ATOL = 1e-4
RANGE_ATOL = 1e-8         # component of a neuron outside range(X^T)
SCALE_RTOL = 1e-7         # certified value of rescaled data vs unscaled

SHAPES = {"wide": (8, 14), "tall": (24, 6)}   # n < d and n > d
K = 3
SMOOTH = ("squared", "huber", "logistic", "cross-entropy")
ELEMENTWISE = ("squared", "absolute", "huber", "logistic", "hinge")


# --- independent losses (value, gradient) ----------------------------------------------------

def ref_value(name: str, F: np.ndarray, Y: np.ndarray, delta: float = 1.0) -> float:
    if name == "squared":
        return float(np.sum((F - Y) ** 2))
    if name == "absolute":
        return float(np.sum(np.abs(F - Y)))
    if name == "huber":
        r = np.abs(F - Y)
        return float(np.sum(np.where(r <= delta, r ** 2 / 2, delta * (r - delta / 2))))
    if name == "logistic":
        return float(np.sum(np.log1p(np.exp(-Y * F))))
    if name == "hinge":
        return float(np.sum(np.maximum(0.0, 1.0 - Y * F)))
    return float(np.sum(logsumexp(F, axis=1) - np.sum(Y * F, axis=1)))


def ref_gradient(name: str, F: np.ndarray, Y: np.ndarray, delta: float = 1.0) -> np.ndarray:
    if name == "squared":
        return 2 * (F - Y)
    if name == "absolute":
        return np.sign(F - Y)
    if name == "huber":
        return np.clip(F - Y, -delta, delta)
    if name == "logistic":
        return -Y / (1.0 + np.exp(Y * F))
    if name == "hinge":
        return -Y * (Y * F < 1)
    P = np.exp(F - F.max(axis=1, keepdims=True))
    return P / P.sum(axis=1, keepdims=True) - Y


def make_data(name: str, output: str, shape: str, seed: int):
    rng = np.random.default_rng(seed)
    n, d = SHAPES[shape]
    X = rng.standard_normal((n, d))
    tail = () if output == "scalar" else (K,)
    if name == "cross-entropy":
        return X, np.eye(K)[rng.integers(0, K, n)]
    if name in ("logistic", "hinge"):
        planted = X @ rng.standard_normal((d, *tail)) + rng.standard_normal((n, *tail))
        return X, np.where(planted > 0, 1.0, -1.0)
    return X, rng.standard_normal((n, *tail))


CASES = [(name, output, shape) for name in LOSS_CLASSES for output in ("scalar", "vector")
         for shape in SHAPES if not (name == "cross-entropy" and output == "scalar")]
BETAS = {"wide": 0.3, "tall": 1.0}


# --- conjugates --------------------------------------------------------------------------------

# (loss, label y, points μ inside or on the edge of the domain, points outside)
SCALAR_CONJUGATES = [
    ("squared", 0.7, (-3.0, -0.4, 0.0, 1.3), ()),
    ("absolute", 0.7, (-1.0, -0.25, 0.0, 0.6, 1.0), (-1.2, 1.05)),
    ("huber", -0.4, (-1.0, -0.3, 0.0, 0.8, 1.0), (-1.5, 1.1)),
    ("logistic", 1.0, (-1.0, -0.7, -0.5, -0.1, 0.0), (0.1, -1.1)),
    ("logistic", -1.0, (0.0, 0.2, 0.5, 1.0), (-0.05, 1.2)),
    ("hinge", 1.0, (-1.0, -0.6, 0.0), (0.2, -1.3)),
    ("hinge", -1.0, (0.0, 0.4, 1.0), (-0.2, 1.5)),
]


def numeric_sup(fun, bound: float) -> float:
    """``sup_{|z| <= bound} fun(z)`` by a bounded scalar search started from a grid."""
    grid = np.linspace(-bound, bound, 4001)
    values = np.array([fun(z) for z in grid])
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = minimize_scalar(lambda z: -fun(z), bounds=(lo, hi), method="bounded",
                          options={"xatol": 1e-12})
    return max(float(values[i]), -float(res.fun))


@pytest.mark.parametrize(("name", "y", "inside", "outside"), SCALAR_CONJUGATES)
def test_conjugate_matches_numeric_supremum(name, y, inside, outside):
    loss = get_loss(name)
    Y = np.array([y])
    for mu in inside:
        expected = numeric_sup(lambda z, mu=mu: mu * z - ref_value(name, np.array([z]), Y), 60.0)
        assert loss.conjugate(np.array([mu]), Y) == pytest.approx(expected, abs=CONJ_ATOL)
    for mu in outside:
        # Outside the domain the supremum grows without bound with the search interval.
        small = numeric_sup(lambda z, mu=mu: mu * z - ref_value(name, np.array([z]), Y), 20.0)
        large = numeric_sup(lambda z, mu=mu: mu * z - ref_value(name, np.array([z]), Y), 200.0)
        assert large > small + 1.0
        assert loss.conjugate(np.array([mu]), Y) == np.inf


def test_huber_conjugate_with_delta():
    loss = get_loss("huber", delta=0.5)
    Y = np.array([1.5])
    for mu in (-0.5, -0.2, 0.0, 0.5):
        expected = numeric_sup(
            lambda z, mu=mu: mu * z - ref_value("huber", np.array([z]), Y, delta=0.5), 60.0)
        assert loss.conjugate(np.array([mu]), Y) == pytest.approx(expected, abs=CONJ_ATOL)
    assert loss.conjugate(np.array([0.6]), Y) == np.inf


@pytest.mark.parametrize("P", [
    (0.2, 0.5, 0.3),        # interior of the simplex
    (0.0, 0.4, 0.6),        # an edge
    (0.0, 0.0, 1.0),        # a vertex (μ = 0 when the label is class 2)
])
@pytest.mark.parametrize("label", [0, 2])
def test_cross_entropy_conjugate_matches_numeric_supremum(P, label):
    loss = get_loss("cross-entropy")
    y = np.eye(3)[label]
    mu = np.array(P) - y                     # P = μ + y in the simplex

    def negative(z: np.ndarray) -> float:
        return -(mu @ z - ref_value("cross-entropy", z[None, :], y[None, :]))

    best = min(minimize(negative, z0, method="L-BFGS-B", bounds=[(-40, 40)] * 3,
                        options={"ftol": 1e-15, "gtol": 1e-12}).fun
               for z0 in (np.zeros(3), np.log(np.maximum(P, 1e-12))))
    assert loss.conjugate(mu[None, :], y[None, :]) == pytest.approx(-best, abs=1e-6)
    # Off the simplex (row sum != 1, or a negative entry): +inf.
    assert loss.conjugate((mu + 0.1)[None, :], y[None, :]) == np.inf
    shift = np.array([P[0] + 1e-3, -(P[0] + 1e-3), 0.0])   # P[0] -> -1e-3, same row sum
    assert loss.conjugate((mu - shift)[None, :], y[None, :]) == np.inf


# --- values, gradients, CVXPY expressions ------------------------------------------------------

@pytest.mark.parametrize("name", list(LOSS_CLASSES))
def test_value_and_gradient_against_finite_differences(name):
    rng = np.random.default_rng(3)
    X, Y = make_data(name, "vector", "tall", 3)
    F = 2.0 * rng.standard_normal(Y.shape)
    if name in ("absolute", "hinge"):
        # Keep clear of the kinks, where only subgradients exist.
        F = np.where(np.abs(F - Y) < 0.1, F + 0.3, F)     # both kinks sit at F = Y
    loss = get_loss(name)
    assert loss.value(F, Y) == pytest.approx(ref_value(name, F, Y), rel=1e-12)
    G = loss.gradient(F, Y)
    np.testing.assert_allclose(G, ref_gradient(name, F, Y), rtol=1e-10, atol=1e-12)
    h = 1e-6
    numeric = np.zeros_like(F)
    for idx in np.ndindex(F.shape):
        E = np.zeros_like(F)
        E[idx] = h
        numeric[idx] = (loss.value(F + E, Y) - loss.value(F - E, Y)) / (2 * h)
    np.testing.assert_allclose(G, numeric, rtol=FD_RTOL, atol=1e-6)


@pytest.mark.parametrize("name", list(LOSS_CLASSES))
def test_cvxpy_expressions_evaluate_to_numpy_values(name):
    rng = np.random.default_rng(4)
    _, Y = make_data(name, "vector", "tall", 4)
    F = rng.standard_normal(Y.shape)
    loss = get_loss(name)
    assert loss.cvx_value(cp.Constant(F), Y).value == pytest.approx(loss.value(F, Y), rel=1e-10)
    # A point of the conjugate's domain: a convex combination of 0 and the gradient's negative
    # image (μ = ∇ℓ(F) attains the supremum at Z = F, so ℓ*(μ) = <μ, F> - ℓ(F)).
    mu = loss.gradient(F, Y)
    expected = float(np.sum(mu * F)) - loss.value(F, Y)
    assert loss.conjugate(mu, Y) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    expr, domain = loss.cvx_neg_conjugate(cp.Constant(mu), Y)
    assert expr.value == pytest.approx(-expected, rel=1e-9, abs=1e-9)
    assert all(c.value() for c in domain)


# --- a small trainer and an independent convex reference ---------------------------------------

def train(X: np.ndarray, Y: np.ndarray, name: str, beta: float, m: int, restarts: int,
          seed: int) -> float:
    """Best objective of ``ℓ(X W1 W2, Y) + β(||W1||^2 + ||W2||^2)`` over L-BFGS restarts."""
    n, d = X.shape
    k = Y.shape[1] if Y.ndim == 2 else 1
    rng = np.random.default_rng(seed)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W1 = theta[:d * m].reshape(d, m)
        W2 = theta[d * m:].reshape(m, k)
        F = (X @ W1 @ W2).reshape(Y.shape)
        G = ref_gradient(name, F, Y).reshape(n, k)
        value = ref_value(name, F, Y) + beta * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
        g1 = X.T @ G @ W2.T + 2 * beta * W1
        g2 = (X @ W1).T @ G + 2 * beta * W2
        return value, np.concatenate([g1.ravel(), g2.ravel()])

    best = np.inf
    for _ in range(restarts):
        theta0 = 0.5 * rng.standard_normal(d * m + m * k)
        res = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                       options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11})
        best = min(best, float(res.fun))
    return best


def epigraph_fit(name: str, F: cp.Expression, Y: np.ndarray
                 ) -> tuple[cp.Expression, list[cp.Constraint]]:
    """``ℓ(F, Y)`` in epigraph form (Huber with δ = 1)."""
    t = cp.Variable(Y.shape)
    if name == "squared":
        return cp.sum_squares(F - Y), []
    if name == "absolute":
        return cp.sum(t), [t >= F - Y, t >= Y - F]
    if name == "huber":
        # h(r) = min_s s^2 / 2 + |r - s|
        s = cp.Variable(Y.shape)
        return cp.sum_squares(s) / 2 + cp.sum(t), [t >= F - Y - s, t >= s - F + Y]
    if name == "logistic":
        return cp.sum(t), [cp.logistic(-cp.multiply(Y, F)) <= t]
    if name == "hinge":
        return cp.sum(t), [t >= 0, t >= 1 - cp.multiply(Y, F)]
    return cp.sum(cp.log_sum_exp(F, axis=1)) - cp.sum(cp.multiply(Y, F)), []


def convex_reference(X: np.ndarray, Y: np.ndarray, name: str, beta: float) -> float:
    """``min_V ℓ(XV, Y) + 2β||V||_*`` written here in epigraph form (CVXPY + Clarabel)."""
    n, d = X.shape
    vector = Y.ndim == 2
    V = cp.Variable((d, Y.shape[1]) if vector else d)
    fit, cons = epigraph_fit(name, X @ V, Y)
    norm = cp.normNuc(V) if vector else cp.norm(V, 2)
    problem = cp.Problem(cp.Minimize(fit + 2 * beta * norm), cons)
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal"
    return float(problem.value)


# --- certificates ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "output", "shape"), CASES)
def test_certify_strong_duality_and_references(name, output, shape):
    X, Y = make_data(name, output, shape, seed=11)
    beta = BETAS[shape]
    cert = cvxdual.certify(X, Y, family="linear", beta=beta, loss=name)
    assert cert.certified, cert.reasons
    assert cert.loss == name
    assert cert.rel_gap <= GAP_RTOL
    assert cert.dual_value <= cert.training_value * (1 + 1e-12) + 1e-12
    # The network's own objective, recomputed from its weights with the loss (two ways).
    W1, W2 = cert.network.weights
    F = X @ W1 @ W2
    direct = ref_value(name, F, Y) + beta * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    assert direct == pytest.approx(cert.training_value, rel=1e-12)
    assert cert.network.objective(X, Y, beta, loss=name) == pytest.approx(direct, rel=1e-12)
    # Independent convex program.
    reference = convex_reference(X, Y, name, beta)
    assert cert.training_value == pytest.approx(reference, rel=VALUE_RTOL)
    assert cert.dual_value <= reference * (1 + 1e-7)


@pytest.mark.parametrize(("name", "output"), [
    ("squared", "scalar"), ("huber", "scalar"), ("logistic", "scalar"), ("logistic", "vector"),
    ("cross-entropy", "vector"), ("absolute", "scalar"), ("hinge", "scalar"),
])
def test_trained_network_never_beats_certificate(name, output):
    """Weak duality on every instance; smooth losses: L-BFGS reaches the certified value,
    which checks the factor 2 of ``2β||V||_*`` (Lemma 2.1) against a trained network."""
    X, Y = make_data(name, output, "wide", seed=5)
    beta = 0.3
    cert = cvxdual.certify(X, Y, beta=beta, loss=name)
    assert cert.certified, cert.reasons
    trained = train(X, Y, name, beta, m=6, restarts=3, seed=6)
    assert trained >= cert.training_value * (1 - BEAT_RTOL)
    assert cert.dual_value <= trained
    if name in SMOOTH:
        assert trained == pytest.approx(cert.training_value, rel=REACH_RTOL)


def test_squared_loss_through_the_loss_certificate_matches_certify():
    X, Y = make_data("squared", "vector", "wide", seed=8)
    generic = certify_loss(X, Y, "squared", beta=0.4)
    assert generic.certified, generic.reasons
    assert generic.training_value == pytest.approx(
        cvxdual.certify(X, Y, beta=0.4).training_value, rel=1e-7)


@pytest.mark.parametrize("name", ["logistic", "hinge", "cross-entropy", "absolute", "huber"])
def test_scaled_inputs_give_the_same_certified_value(name):
    """``(s X, s β)`` is the same problem as ``(X, β)`` (``V -> V / s``) for every loss."""
    X, Y = make_data(name, "vector" if name == "cross-entropy" else "scalar", "tall", seed=9)
    base = cvxdual.certify(X, Y, beta=0.5, loss=name)
    for s in (1e3, 1e-3):
        scaled = cvxdual.certify(X * s, Y, beta=0.5 * s, loss=name)
        assert scaled.certified, scaled.reasons
        assert scaled.training_value == pytest.approx(base.training_value, rel=SCALE_RTOL)


def test_scaled_targets_for_homogeneous_losses():
    X, Y = make_data("absolute", "scalar", "tall", seed=10)
    base = cvxdual.certify(X, Y, beta=0.5, loss="absolute")
    big = cvxdual.certify(X * 1e3, Y * 1e3, beta=0.5 * 1e3, loss="absolute")
    assert big.certified, big.reasons
    assert big.training_value == pytest.approx(1e3 * base.training_value, rel=SCALE_RTOL)
    # Huber: h_{sδ}(s r) = s^2 h_δ(r), so (Y s, δ s, β s) scales the value by s^2.
    X, Y = make_data("huber", "vector", "wide", seed=10)
    base = certify_loss(X, Y, get_loss("huber", delta=0.7), beta=0.4)
    big = certify_loss(X, Y * 1e3, get_loss("huber", delta=0.7e3), beta=0.4e3)
    assert base.certified and big.certified
    assert big.training_value == pytest.approx(1e6 * base.training_value, rel=SCALE_RTOL)


# --- the extreme-point claim of Theorem A.1 ----------------------------------------------------

def _dual_optimum(X: np.ndarray, Y: np.ndarray, name: str, beta: float) -> np.ndarray:
    data = cvxdual.as_dataset(X, Y)
    solution = cvxdual.solve(loss_programs.regularized_dual(data, name, beta))
    assert solution.status == "optimal"
    return solution.variables["lam"]


@pytest.mark.parametrize("name", list(LOSS_CLASSES)[:5])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_scalar_output_has_one_neuron_from_the_dual(name, shape):
    X, y = make_data(name, "scalar", shape, seed=12)
    beta = BETAS[shape] / 2
    cert = cvxdual.certify(X, y, beta=beta, loss=name)
    assert cert.certified, cert.reasons
    assert cert.network.widths == (1,)
    w = cert.neurons[:, 0]
    # In range(X^T).
    _, s, Vt = np.linalg.svd(X, full_matrices=False)
    rowspace = Vt[s > 1e-12 * s[0]]
    assert np.linalg.norm(w - rowspace.T @ (rowspace @ w)) <= RANGE_ATOL
    # Equal to X^T λ* / ||X^T λ*|| of this loss's dual optimum, which reaches the bound 2β.
    lam = _dual_optimum(X, y, name, beta)
    g = X.T @ lam
    assert np.linalg.norm(g) == pytest.approx(2 * beta, rel=1e-6)
    direction = g / np.linalg.norm(g)
    # The end-to-end v = W1 w2 points along +X^T λ* (sign convention λ* = -∇ℓ(X v*)).
    v = cert.network.weights[0] @ cert.network.weights[1]
    assert np.linalg.norm(v / np.linalg.norm(v) - direction) <= DIRECTION_ATOL
    assert abs(abs(w @ direction) - 1.0) <= DIRECTION_ATOL ** 2


@pytest.mark.parametrize("name", ["squared", "huber", "logistic", "cross-entropy"])
def test_dual_sign_convention(name):
    """λ* = -∇ℓ(X V*): the dual objective is -ℓ*(-λ), Theorem A.1 printed with λ -> -λ."""
    output = "vector" if name == "cross-entropy" else "scalar"
    X, Y = make_data(name, output, "tall", seed=13)
    beta = 0.5
    cert = cvxdual.certify(X, Y, beta=beta, loss=name)
    lam = _dual_optimum(X, Y, name, beta)
    W1, W2 = cert.network.weights
    gradient = ref_gradient(name, X @ W1 @ W2, Y)
    np.testing.assert_allclose(lam, -gradient, atol=1e-4 * max(1.0, np.abs(gradient).max()))
    loss = get_loss(name)
    assert -loss.conjugate(-lam, Y) == pytest.approx(cert.training_value, rel=1e-6)
    if name in ("logistic", "cross-entropy"):
        # The other sign is outside the conjugate's domain at the optimum.
        assert loss.conjugate(lam, Y) == np.inf


def test_vector_neurons_are_top_singular_vectors_of_the_dual():
    X, Y = make_data("cross-entropy", "vector", "wide", seed=14)
    beta = 0.2
    cert = cvxdual.certify(X, Y, beta=beta, loss="cross-entropy")
    assert cert.certified, cert.reasons
    lam = _dual_optimum(X, Y, "cross-entropy", beta)
    _, sv, Rt = np.linalg.svd(lam.T @ X, full_matrices=False)
    active = Rt[sv >= (1 - 1e-5) * 2 * beta]         # right singular vectors reaching 2β
    assert active.shape[0] == cert.neurons.shape[1] >= 1
    # Same subspace: projecting the network's neurons onto the active ones loses nothing.
    Q = cert.neurons
    assert np.linalg.norm(Q - active.T @ (active @ Q)) <= 1e-4


# --- two-layer ReLU networks on rank-one data (§4 with Theorem A.1) ----------------------------

def relu_data(name: str, rank_one: bool, seed: int):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-2.0, 2.0, 14))
    target = np.sin(2.0 * x) + 0.1 * rng.standard_normal(x.size)
    y = np.where(target > 0, 1.0, -1.0) if name in ("logistic", "hinge") else target
    X = np.outer(x, [1.0, -2.0, 0.5]) if rank_one else x[:, None]
    return x, X, y


def relu_reference(x: np.ndarray, y: np.ndarray, name: str, beta: float, gain: float,
                   breakpoints: np.ndarray) -> float:
    """``min ℓ(Dα + η, y) + 2β||α||_1 / gain`` over ReLUs with kinks at ``breakpoints``,
    written here (:func:`epigraph_fit`)."""
    D = np.hstack([np.maximum(x[:, None] - breakpoints, 0), np.maximum(breakpoints - x[:, None],
                                                                        0)])
    alpha, eta = cp.Variable(D.shape[1]), cp.Variable()
    fit, cons = epigraph_fit(name, D @ alpha + eta, y)
    problem = cp.Problem(cp.Minimize(fit + 2 * beta / gain * cp.norm1(alpha)), cons)
    problem.solve(solver="CLARABEL")
    assert problem.status == "optimal"
    return float(problem.value)


def train_relu(X: np.ndarray, y: np.ndarray, name: str, beta: float, m: int, restarts: int,
               seed: int) -> float:
    """Best L-BFGS objective of ``ℓ((X W1 + b)_+ w2 + η, y) + β(||W1||^2 + ||w2||^2)``."""
    n, d = X.shape
    rng = np.random.default_rng(seed)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W1 = theta[:d * m].reshape(d, m)
        b, w2, eta = theta[d * m:d * m + m], theta[d * m + m:d * m + 2 * m], theta[-1]
        Z = X @ W1 + b
        H = np.maximum(Z, 0)
        F = H @ w2 + eta
        G = ref_gradient(name, F, y)
        value = ref_value(name, F, y) + beta * (np.sum(W1 ** 2) + np.sum(w2 ** 2))
        dZ = np.outer(G, w2) * (Z > 0)
        grad = np.concatenate([(X.T @ dZ + 2 * beta * W1).ravel(), dZ.sum(axis=0),
                               H.T @ G + 2 * beta * w2, [G.sum()]])
        return value, grad

    best = np.inf
    for _ in range(restarts):
        theta0 = rng.standard_normal(d * m + 2 * m + 1)
        res = minimize(objective, theta0, jac=True, method="L-BFGS-B",
                       options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-10})
        best = min(best, float(res.fun))
    return best


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("rank_one", [False, True])
def test_relu_spline_certificate(name, rank_one):
    x, X, y = relu_data(name, rank_one, seed=21)
    beta = 0.05
    cert = cvxdual.certify(X, y, family="relu", beta=beta, loss=name)
    assert cert.certified, cert.reasons
    assert cert.family == "relu" and cert.loss == name
    assert cert.rel_gap <= GAP_RTOL
    net = cert.network
    F = np.maximum(X @ net.weights[0] + net.biases[0], 0) @ net.weights[1] + net.intercept
    direct = ref_value(name, F, y) + beta * (np.sum(net.weights[0] ** 2)
                                             + np.sum(net.weights[1] ** 2))
    assert direct == pytest.approx(cert.training_value, rel=1e-12)
    # Independent: the data-point dictionary written here; along a0 = X's direction the
    # inputs are c = X a0 / ||a0||^2 and the gain is ||a0||.
    a0 = X[np.argmax(np.abs(x))] / x[np.argmax(np.abs(x))]
    reference = relu_reference(x, y, name, beta, float(np.linalg.norm(a0)), x)
    assert cert.training_value == pytest.approx(reference, rel=VALUE_RTOL)
    # A finer grid of kinks can only match it (the data points are the extreme points).
    grid = np.union1d(x, np.linspace(x.min() - 1, x.max() + 1, 60))
    finer = relu_reference(x, y, name, beta, float(np.linalg.norm(a0)), grid)
    assert finer >= cert.dual_value * (1 - 1e-7)
    assert finer == pytest.approx(reference, rel=1e-6)
    # Every kink sits at a data point (Corollary 4.1 holds for every loss).
    slopes = a0 @ net.weights[0]
    kinks = -net.biases[0] / slopes
    assert np.all(np.min(np.abs(kinks[:, None] - x[None, :]), axis=1) <= 1e-8 * np.ptp(x))


def test_relu_scaled_and_shifted_inputs():
    """ReLU networks with a hidden bias: shifting x changes nothing; scaling x by s with β by s
    is the same problem; the absolute loss scales with y (β fixed)."""
    x, X, y = relu_data("logistic", False, seed=24)
    base = cvxdual.certify(X, y, family="relu", beta=0.05, loss="logistic")
    shifted = cvxdual.certify(X + 1e3, y, family="relu", beta=0.05, loss="logistic")
    scaled = cvxdual.certify(X * 1e3, y, family="relu", beta=0.05 * 1e3, loss="logistic")
    for cert in (shifted, scaled):
        assert cert.certified, cert.reasons
        assert cert.training_value == pytest.approx(base.training_value, rel=SCALE_RTOL)
    x, X, y = relu_data("absolute", False, seed=24)
    base = cvxdual.certify(X, y, family="relu", beta=0.05, loss="absolute")
    big = cvxdual.certify(X, y * 1e3, family="relu", beta=0.05, loss="absolute")
    assert big.certified, big.reasons
    assert big.training_value == pytest.approx(1e3 * base.training_value, rel=SCALE_RTOL)


@pytest.mark.parametrize("name", ["logistic", "hinge", "huber"])
def test_relu_trained_network_never_beats_certificate(name):
    x, X, y = relu_data(name, False, seed=22)
    beta = 0.05
    cert = cvxdual.certify(X, y, family="relu", beta=beta, loss=name)
    assert cert.certified, cert.reasons
    trained = train_relu(X, y, name, beta, m=12, restarts=4, seed=23)
    assert trained >= cert.training_value * (1 - BEAT_RTOL)
    assert cert.dual_value <= trained


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "Y", "message"), [
    ("logistic", np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0]), "map 0 to -1"),
    ("hinge", np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0]), "map 0 to -1"),
    ("hinge", np.array([2.0, -1.0, 1.0, 0.5, 1.0, 0.0]), "labels -1 and +1"),
    ("logistic", np.array([[1.0, -1.0], [0.3, 1.0], [1, 1], [1, 1], [1, 1], [1, 1]]), "-1, +1"),
    ("cross-entropy", np.array([0, 1, 2, 1, 0, 2]), "np.eye(k)[c]"),
    ("cross-entropy", np.eye(3)[[0, 1, 2, 1, 0, 2]] * 0.5 + 1 / 6, "one-hot"),
    ("cross-entropy", np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]] * 2, dtype=float), "rows [0"),
    ("cross-entropy", np.ones((6, 1)), "k >= 2"),
])
def test_bad_labels_raise_data_error_naming_the_fix(name, Y, message):
    X = np.random.default_rng(0).standard_normal((6, 4))
    with pytest.raises(DataError) as excinfo:
        cvxdual.certify(X, Y, beta=1.0, loss=name)
    assert message in str(excinfo.value)
    assert name in str(excinfo.value)


def test_bad_options():
    X, y = make_data("logistic", "scalar", "tall", seed=1)
    with pytest.raises(ParameterError, match="beta > 0"):
        cvxdual.certify(X, y, loss="logistic")
    with pytest.raises(ParameterError, match="beta > 0"):
        cvxdual.Network([np.ones((6, 1)), np.ones(1)]).objective(X, y, None, loss="hinge")
    for family, depth in (("deep-linear", 3), ("deep-linear", 2), ("relu", 3)):
        with pytest.raises(UnsupportedError, match="family='linear' and family='relu'"):
            cvxdual.certify(X, y, family=family, depth=depth, beta=1.0, loss="logistic")
    x = np.linspace(0, 1, 6)[:, None]
    with pytest.raises(UnsupportedError, match="bias=False"):
        cvxdual.certify(x, np.sign(x[:, 0] - 0.5), family="relu", beta=1.0, loss="hinge",
                        bias=False)
    with pytest.raises(DataError, match="scalar outputs"):
        cvxdual.certify(x, np.eye(2)[[0, 1, 0, 1, 0, 1]], family="relu", beta=1.0,
                        loss="cross-entropy")
    with pytest.raises(ParameterError, match="unknown loss"):
        get_loss("mse")
    with pytest.raises(ParameterError, match="delta"):
        get_loss("huber", delta=0.0)
    with pytest.raises(ParameterError, match="takes no parameters"):
        get_loss("logistic", delta=1.0)


def test_cli_logistic_end_to_end_and_bad_labels(tmp_path, capsys):
    X, y = make_data("logistic", "scalar", "tall", seed=2)
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    np.savez(good, X=X, Y=y)
    np.savez(bad, X=X, Y=(y + 1) / 2)
    args = ["certify", "--family", "linear", "--beta", "0.5", "--loss", "logistic", "--data"]
    assert cli.main([*args, str(good)]) == 0
    assert "logistic loss" in capsys.readouterr().out
    assert cli.main([*args, str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "map 0 to -1" in err


@pytest.mark.parametrize("output", ["scalar", "vector"])
def test_certify_takes_loss_objects_with_their_parameters(output):
    """``certify(loss=get_loss("huber", delta=δ))`` uses that δ: with every residual inside
    ``|r| <= δ`` Huber is ``½ r²``, so the optimum at ``β`` is half the squared-loss optimum at
    ``2β`` (an independent value, from the squared-loss path)."""
    rng = np.random.default_rng(41)
    X = rng.standard_normal((30, 8))
    Y = X @ rng.standard_normal((8,) if output == "scalar" else (8, 3))
    Y = Y + rng.standard_normal(Y.shape)
    wide = cvxdual.certify(X, Y, beta=1.0, loss=get_loss("huber", delta=1e3))
    squared = cvxdual.certify(X, Y, beta=2.0)
    assert wide.certified and squared.certified
    assert wide.loss == "huber"
    np.testing.assert_allclose(wide.training_value, 0.5 * squared.training_value, rtol=1e-6)
    narrow = cvxdual.certify(X, Y, beta=1.0, loss=get_loss("huber", delta=0.5))
    default = cvxdual.certify(X, Y, beta=1.0, loss="huber")          # δ = 1
    assert narrow.certified and default.certified
    assert narrow.training_value < default.training_value < wide.training_value
