r"""Semi-infinite duals solved exactly: neuron oracles and the exchange (cutting-plane) method.

Every two-layer family of the paper has a dual with one constraint per neuron (a semi-infinite
program): with features ``φ(w) ∈ R^n`` of a unit-norm neuron ``w``,

* minimum norm, (5)/(12) and (39): ``max λ^T y s.t. |λ^T φ(w)| <= 1`` for all ``||w|| <= 1``
  (vector outputs: ``||Λ^T φ(w)||_2 <= 1``);
* regularized, dual of (8): ``max λ^T y - ½||λ||^2`` under the same constraints with bound ``β``;

plus ``λ^T 1 = 0`` when the network has a free output intercept. Their primals are the TV-norm
(Radon measure) problems (18)/(40): ``min ||μ||_TV s.t. ∫ φ(w) dμ(w) = y``. The proof of
Theorem 2.1 discretizes the neuron set; the **exchange method** does so adaptively:

1. solve the ℓ1 (group-ℓ1 for vector outputs) program over the current neurons and the
   :class:`Cone` blocks the oracle has returned (:func:`dictionary_program`; with ReLU cones it
   is the convex program of Pilanci & Ergen restricted to the patterns found so far, with linear
   neurons the single cone is Theorem 2.2's ``||v||_2`` / ``||V||_*``); its network is real, so
   its objective — recomputed in NumPy from the weights — is an **upper bound**;
2. ask the family's oracle for ``Ω(λ) = max_{||w||<=1} |λ^T φ(w)|`` at the restricted dual point;
   ``λ`` scaled by ``bound / Ω(λ)`` is exactly feasible for the semi-infinite dual, so its
   objective is a **lower bound** by weak duality — valid only when the oracle is exact;
3. add the most violated neurons and repeat until the bracket closes (relative gap ``<= rtol``)
   or no neuron is violated by more than ``tol``.

Values are reported as training objectives: ``min ||W1||_F^2 + ||w2||^2 = 2 min ||w2||_1``
(Lemma 2.1, unit-norm neurons) and the regularized value of (1) is ``2 ×`` the value of (8).

Families (:class:`LinearNeurons`, :class:`ReluNeurons`) implement ``features(W)`` and
``most_violated(Λ)``. ReLU on general data (beyond §4; the convex program of Pilanci & Ergen
2020 is this dual with the ReLU oracle): on each activation pattern ``D_S = diag(1[Zw >= 0])``
the objective ``λ^T D_S Z w`` is linear on the cone ``K_S = {w : (2D_S - I) Z w >= 0}``, and
``max_{w ∈ K_S, ||w||<=1} g^T w = ||Π_{K_S}(g)||`` (Moreau), a projection computed by
non-negative least squares. Every region of the arrangement ``{w : z_i^T w = 0}`` (after
reducing ``Z`` to its row space, where it is essential and its regions are pointed cones) has an
extreme ray through ``r - 1`` of the hyperplanes, so the patterns seen around those rays cover
all regions; this enumeration is exact. When the number of candidate patterns exceeds
``max_patterns``, a local search (ascent from random neurons, each step the projection on the
current pattern's cone) is used instead and only the upper bound is claimed.

Bias model for ReLU (``bias=True``, Proposition 4.1): a hidden bias that is not regularized and
a free output intercept. The intercept is a constant feature outside the penalty (hence
``λ^T 1 = 0``). For fixed ``w`` the function ``b ↦ λ^T (Xw + b 1)_+`` is piecewise linear with
kinks at ``b = -x_j^T w`` and, for ``λ ⟂ 1``, equal to its value at ``b = -min_i x_i^T w`` for
all larger ``b`` and to 0 below ``-max_i x_i^T w``: its maximum is attained with the hyperplane
through a data point. The oracle therefore enumerates the anchors ``x_j`` and runs the
bias-free oracle on ``X - 1 x_j^T`` (exact); a neuron is stored as a column ``(w, b)`` with
``||w|| = 1``, shape ``(d + 1,)``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import cvxpy as cp
import numpy as np
from scipy.optimize import nnls

from cvxdual.data import Dataset, as_dataset
from cvxdual.errors import InfeasibleError, ParameterError, UnsupportedError
from cvxdual.families import relu as relu_family
from cvxdual.network import Network
from cvxdual.program import Program
from cvxdual.solve import check_solver, solve

__all__ = [
    "OracleResult",
    "Cone",
    "NeuronFamily",
    "LinearNeurons",
    "ReluNeurons",
    "ExchangeIteration",
    "ExchangeResult",
    "dictionary_program",
    "exchange",
    "certify_two_layer_relu",
    "certify_by_exchange",
    "DEFAULT_MAX_PATTERNS",
]

#: Largest number of candidate activation patterns the exact ReLU oracle enumerates; beyond it
#: the local-search heuristic runs and the oracle is not exact.
DEFAULT_MAX_PATTERNS = 20000
#: Coordinates of ``Z u`` below this times ``||z_i|| ||u||`` count as on the hyperplane (both
#: signs are then enumerated: a generous tolerance only adds patterns, never loses one).
_ZERO_RTOL = 1e-8
#: Candidates (maximizers of the best patterns) an exact ReLU oracle call returns.
_CANDIDATES = 32
#: More hyperplanes than this through one ray (degenerate data): enumeration gives up and the
#: heuristic runs instead.
_MAX_TIES = 12


@dataclass(frozen=True, eq=False)
class OracleResult:
    """What an oracle returns for a dual point ``Λ``.

    Attributes
    ----------
    neuron : ndarray, shape (p,)
        The maximizer of ``|λ^T φ(w)|`` (``||Λ^T φ(w)||_2``) over unit-norm neurons
        (``p = d``, or ``d + 1`` with the bias as the last entry).
    value : float
        With ``exact=True`` an upper bound on the maximum that ``neuron`` attains up to rounding
        (so scaling ``Λ`` by ``bound / value`` makes it feasible); otherwise the best value
        found, which may be below the maximum.
    exact : bool
    candidates : ndarray, shape (p, q)
        Good neurons in decreasing order of their value, ``neuron`` first (the maximizers of the
        best activation patterns, or every singular direction); the exchange method adds the
        violated ones.
    values : ndarray, shape (q,)
        ``|λ^T φ|`` of each candidate.
    cones : tuple of (Cone or None)
        For each candidate, a set of neurons around it on which the features are linear (its
        activation pattern's cone; for linear neurons the whole space), or None.
    """

    neuron: np.ndarray
    value: float
    exact: bool
    candidates: np.ndarray
    values: np.ndarray
    cones: tuple[Cone | None, ...] = ()


@dataclass(frozen=True, eq=False)
class Cone:
    """Neurons ``w = basis z`` (bias ``-anchor^T w``) with ``constraints z >= 0`` on which the
    features are linear, ``φ(w) ||z|| = features z``: an activation pattern's cone
    ``{w : (2D_S - I) Z w >= 0}`` (``features = D_S Z``), or all of ``R^d`` for linear neurons.

    The exchange method gives each cone found by the oracle a block variable ``z`` with penalty
    ``||z||_2`` (nuclear norm for vector outputs) and output sign ``sign`` — the convex program
    of Pilanci & Ergen (2020) restricted to those patterns, whose neurons move inside their
    cones instead of staying where the oracle found them.

    Attributes
    ----------
    features : ndarray, shape (n, r)
    constraints : ndarray, shape (q, r)
    basis : ndarray, shape (d, r)
        Orthonormal columns.
    anchor : ndarray, shape (d,), or None
    sign : float
        ``+1`` or ``-1``; ``0`` for a symmetric cone (linear neurons: ``z`` carries the sign).
    key : tuple
        Identifies the cone (duplicates are added once).
    """

    features: np.ndarray
    constraints: np.ndarray
    basis: np.ndarray
    anchor: np.ndarray | None
    sign: float
    key: tuple


@runtime_checkable
class NeuronFamily(Protocol):
    """A neuron family as an oracle.

    Attributes
    ----------
    X : ndarray, shape (n, d)
    dim : int
        Rows of a neuron array (``d``; ``d + 1`` when neurons carry a bias).
    intercept : bool
        Whether the network has a free output intercept (then ``λ^T 1 = 0``).
    activation : {"linear", "relu"}
    """

    X: np.ndarray
    dim: int
    intercept: bool
    activation: str

    def features(self, W: Any) -> np.ndarray:
        """Columns ``φ(w_j)`` for unit-normalized neurons, shape ``(n, m)``."""
        ...

    def most_violated(self, lam: Any) -> OracleResult:
        """The neuron maximizing ``|λ^T φ(w)|`` (``||Λ^T φ(w)||``) with its value."""
        ...


def _as_matrix(X: Any) -> np.ndarray:
    return as_dataset(X, np.zeros(np.asarray(X).shape[0] if np.ndim(X) == 2 else 1)).X


def _check_neuron_array(W: Any, dim: int, what: str) -> np.ndarray:
    try:
        arr = np.array(W, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"neurons must be a real array of shape ({dim}, m); got "
                             f"{type(W).__name__}.") from None
    if arr.ndim == 1 and arr.shape[0] == dim:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != dim:
        raise ParameterError(f"neurons of the {what} family must have shape ({dim}, m), one "
                             f"neuron per column; got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ParameterError("neurons have NaN or infinite entries.")
    return arr


def _check_lam(lam: Any, n: int) -> np.ndarray:
    arr = np.asarray(lam, dtype=np.float64)
    if arr.ndim not in (1, 2) or arr.shape[0] != n or not np.all(np.isfinite(arr)):
        raise ParameterError(f"the dual point must be a finite array of shape ({n},) or "
                             f"({n}, k); got shape {arr.shape}.")
    return arr


class LinearNeurons:
    """Linear neurons ``φ(w) = X w`` (§2). Exact oracle in closed form: ``X^T λ / ||X^T λ||``
    (Theorem 2.1); vector outputs: the top right singular vector of ``Λ^T X`` (Theorem 2.4).

    Parameters
    ----------
    X : array_like, shape (n, d)
    """

    intercept = False
    activation = "linear"

    def __init__(self, X: Any):
        self.X = _as_matrix(X)
        self.dim = self.X.shape[1]

    def features(self, W: Any) -> np.ndarray:
        W = _unit_columns(_check_neuron_array(W, self.dim, "linear"), self.dim)
        return self.X @ W

    def most_violated(self, lam: Any) -> OracleResult:
        lam = _check_lam(lam, self.X.shape[0])
        G = self.X.T @ lam
        cone = Cone(self.X, np.zeros((0, self.dim)), np.eye(self.dim), None, 0.0, ("linear",))
        if G.ndim == 1:
            norm = float(np.linalg.norm(G))
            w = G / norm if norm > 0 else np.eye(self.dim)[:, 0]
            return OracleResult(w, norm, True, w[:, None], np.array([norm]), (cone,))
        U, s, _ = np.linalg.svd(G, full_matrices=False)
        keep = max(1, int(np.sum(s > 1e-12 * max(float(s[0]), 1e-300))))
        return OracleResult(U[:, 0].copy(), float(s[0]), True, U[:, :keep].copy(),
                            s[:keep].copy(), (cone,) + (None,) * (keep - 1))


def _unit_columns(W: np.ndarray, d: int) -> np.ndarray:
    """Scale each column so that its first ``d`` entries (the weight, not the bias) have unit
    norm; ReLU and linear features are positively homogeneous, so the scaled neuron is the same
    neuron."""
    norms = np.linalg.norm(W[:d], axis=0)
    if np.any(norms == 0):
        raise ParameterError(f"neuron {int(np.flatnonzero(norms == 0)[0])} has a zero weight "
                             f"vector; every neuron needs a nonzero direction.")
    return W / norms


@dataclass(frozen=True, eq=False)
class _Arrangement:
    """Candidate activation patterns of ``Z`` (reduced to its row space by ``basis``)."""

    Z: np.ndarray           # (n, r) coordinates in the row space
    basis: np.ndarray       # (d, r): w = basis @ z
    patterns: np.ndarray    # (P, n) booleans


class ReluNeurons:
    """ReLU neurons ``φ(w, b) = (X w + b)_+`` (``b = 0`` without bias).

    The exact oracle enumerates activation patterns (module docstring); on rank-one data with
    bias it is the breakpoint scan of §4 (:func:`cvxdual.families.relu.spline_oracle`, kinks at
    the data, Corollary 4.1).

    Parameters
    ----------
    X : array_like, shape (n, d)
    bias : bool
        ``True``: a bias per neuron (not regularized) and a free output intercept
        (Proposition 4.1); neuron arrays have ``d + 1`` rows, the bias last. ``False``: no bias.
    max_patterns : int
        Above this many candidate patterns the local-search heuristic replaces enumeration
        (``exact`` is then False).
    starts : int
        Random starts of the heuristic per oracle call (split over the anchors, at least 2
        each).
    seed : int
        Seed of the heuristic's starts.
    """

    activation = "relu"

    def __init__(self, X: Any, bias: bool = True, max_patterns: int = DEFAULT_MAX_PATTERNS,
                 starts: int = 512, seed: int = 0):
        if not isinstance(bias, bool):
            raise ParameterError(f"bias must be True or False; got {bias!r}.")
        for name, value in (("max_patterns", max_patterns), ("starts", starts)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ParameterError(f"{name} must be a positive integer; got {value!r}.")
        self.X = _as_matrix(X)
        n, d = self.X.shape
        self.bias = bias
        self.intercept = bias
        self.dim = d + 1 if bias else d
        self.starts = int(starts)
        self.seed = int(seed)
        self._rank_one: tuple[np.ndarray, np.ndarray] | None = None
        if bias and _numerical_rank(self.X - self.X[0]) <= 1:
            self._rank_one = _line_coordinates(self.X)
        anchors = _distinct_rows(self.X) if bias else [None]
        self.pattern_count = 0
        self._arrangements: list[tuple[np.ndarray | None, _Arrangement]] | None = None
        if self._rank_one is None:
            estimate = sum(_pattern_estimate(self._anchored(a)) for a in anchors)
            if estimate <= max_patterns:
                built = [(a, _arrangement(self._anchored(a), max_patterns)) for a in anchors]
                if all(arrangement is not None for _, arrangement in built):
                    self._arrangements = built  # type: ignore[assignment]
                    self.pattern_count = sum(arr.patterns.shape[0] for _, arr in built)
            self._anchors = anchors
        self.exact = self._rank_one is not None or self._arrangements is not None

    def _anchored(self, anchor: np.ndarray | None) -> np.ndarray:
        return self.X if anchor is None else self.X - anchor[None, :]

    def features(self, W: Any) -> np.ndarray:
        d = self.X.shape[1]
        W = _unit_columns(_check_neuron_array(W, self.dim, "ReLU"), d)
        pre = self.X @ W[:d]
        if self.bias:
            pre = pre + W[d][None, :]
        return np.maximum(pre, 0.0)

    def _neuron(self, w: np.ndarray, anchor: np.ndarray | None) -> np.ndarray:
        if not self.bias:
            return w
        return np.concatenate([w, [-float(anchor @ w)]])

    def most_violated(self, lam: Any) -> OracleResult:
        lam = _check_lam(lam, self.X.shape[0])
        if lam.ndim == 2:
            if lam.shape[1] != 1:
                raise UnsupportedError(
                    "the ReLU oracle handles scalar outputs only: max ||Λ^T (Xw)_+|| over a "
                    "pattern's cone is not a projection. Pass y of shape (n,).")
            lam = lam[:, 0]
        if self.bias:
            # The free intercept makes λ^T 1 = 0 part of the dual (otherwise b -> ∞ makes the
            # constraint unbounded): the oracle is that of the centred λ.
            lam = lam - lam.mean()
        if self._rank_one is not None:
            return self._spline(lam)
        found: list[tuple[float, np.ndarray, Cone | None]] = []
        if self._arrangements is not None:
            for value, index, z, pattern, sign in _pattern_maxima(self._arrangements, lam,
                                                                  _CANDIDATES):
                anchor, arrangement = self._arrangements[index]
                found.append((value, self._neuron(arrangement.basis @ z, anchor),
                              _pattern_cone(arrangement.Z, arrangement.basis, anchor,
                                            pattern, sign, index)))
        else:
            rng = np.random.default_rng(self.seed)
            each = max(2, self.starts // len(self._anchors))
            identity = np.eye(self.X.shape[1])
            for index, anchor in enumerate(self._anchors):
                Z = self._anchored(anchor)
                for value, w, pattern, sign in _local_search(Z, lam, each, rng):
                    cone = _pattern_cone(Z, identity, anchor, pattern, sign, index)
                    found.append((value, self._neuron(w, anchor), cone))
        return _result(found, self.exact, self.dim)

    def _spline(self, lam: np.ndarray) -> OracleResult:
        c, direction = self._rank_one
        # Points on one line x_i = x_0 + c_i u: for λ ⟂ 1 the breakpoint scan of §4 is exact
        # (kinks at the data, Corollary 4.1), and |u^T w| <= 1 is attained at w = ±u.
        D = relu_family.spline_dictionary(c)
        values = np.abs(D.T @ lam)
        m = c.size
        found = []
        for j in np.argsort(-values)[: 2 * m]:
            sign = 1.0 if j < m else -1.0
            w = sign * direction
            kink = c[j % m]
            # x_i = x_0 + c_i u, so X w + b = ±(c - c_j) needs b = ∓c_j - x_0^T w.
            found.append((float(values[j]), np.concatenate([w, [-sign * kink
                                                                - float(self.X[0] @ w)]]),
                          None))
        return _result(found, True, self.dim)


def _numerical_rank(A: np.ndarray) -> int:
    s = np.linalg.svd(A, compute_uv=False)
    return int(np.sum(s > 1e-10 * max(float(s[0]) if s.size else 0.0, 1e-300))) if s.size else 0


def _line_coordinates(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points on one affine line, ``x_i = o + c_i u`` with ``||u|| = 1`` and ``o = x_0 - c_0 u``
    (here ``c_0 = 0``): returns ``c`` and ``u``."""
    centred = X - X[0]
    _, s, Vt = np.linalg.svd(centred, full_matrices=False)
    u = Vt[0] if s.size and s[0] > 0 else np.eye(X.shape[1])[0]
    return centred @ u, u


def _distinct_rows(X: np.ndarray) -> list[np.ndarray]:
    _, index = np.unique(np.round(X / (np.abs(X).max() or 1.0), 12), axis=0, return_index=True)
    return [X[i] for i in sorted(index)]


def _reduce(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Z`` in coordinates of its row space: ``Z = (Z B) B^T`` with orthonormal ``B``; norms
    and features only depend on ``Z w``, so neurons can be taken in that space."""
    _, s, Vt = np.linalg.svd(Z, full_matrices=False)
    r = int(np.sum(s > 1e-10 * max(float(s[0]) if s.size else 0.0, 1e-300))) if s.size else 0
    basis = Vt[:r].T
    return Z @ basis, basis


def _pattern_estimate(Z: np.ndarray) -> int:
    coords, _ = _reduce(Z)
    r = coords.shape[1]
    rows = int(np.sum(np.linalg.norm(coords, axis=1) > 0))
    return 0 if r == 0 else 2 * math.comb(rows, r - 1) * 2 ** (r - 1)


def _arrangement(Z: np.ndarray, max_patterns: int) -> _Arrangement | None:
    """Candidate patterns: for every ray ``u`` where ``r - 1`` hyperplanes meet, ``sign(Z u)``
    with every sign on the hyperplanes through ``u`` (a superset of the regions' patterns; an
    unrealizable pattern only adds a smaller value, because the objective equals ``λ^T D_S Z w``
    on all of ``K_S``). None when more than ``_MAX_TIES`` hyperplanes pass through one ray or
    there are more than ``max_patterns`` patterns."""
    coords, basis = _reduce(Z)
    n, r = coords.shape
    if r == 0:
        return _Arrangement(coords, basis, np.zeros((0, n), dtype=bool))
    norms = np.linalg.norm(coords, axis=1)
    rows = np.flatnonzero(norms > 0)
    seen: set[bytes] = set()
    patterns: list[np.ndarray] = []
    for subset in itertools.combinations(rows, r - 1):
        if r == 1:
            u = np.ones(1)
        else:
            _, s, Vt = np.linalg.svd(coords[list(subset)], full_matrices=True)
            if np.sum(s > 1e-10 * s[0]) < r - 1:
                continue
            u = Vt[-1]
        for sign in (1.0, -1.0):
            projection = sign * (coords @ u)
            ties = np.flatnonzero((np.abs(projection) <= _ZERO_RTOL * norms) & (norms > 0))
            if ties.size > _MAX_TIES:
                return None
            base = projection > _ZERO_RTOL * norms
            for choice in itertools.product((False, True), repeat=ties.size):
                pattern = base.copy()
                pattern[ties] = choice
                key = np.packbits(pattern).tobytes()
                if key not in seen:
                    seen.add(key)
                    patterns.append(pattern)
            if len(patterns) > max_patterns:
                return None
    return _Arrangement(coords, basis, np.array(patterns, dtype=bool).reshape(-1, n))


def _cone_maximum(Z: np.ndarray, pattern: np.ndarray, g: np.ndarray) -> tuple[float, np.ndarray]:
    """``max g^T w`` over ``{w : (2D - I) Z w >= 0, ||w|| <= 1}``: ``||g + A^T μ||`` for the
    NNLS solution ``μ >= 0`` of ``min ||A^T μ + g||`` with ``A = (2D - I) Z``, and the maximizer
    ``(g + A^T μ) / ||·||``. For every ``μ >= 0`` and feasible ``w``,
    ``g^T w = (g + A^T μ)^T w - μ^T A w <= ||g + A^T μ||``, so the value is an upper bound
    whatever NNLS's accuracy, and equal to the maximum at its solution (Moreau)."""
    A = np.where(pattern, 1.0, -1.0)[:, None] * Z
    mu = np.maximum(nnls(A.T, -g)[0], 0.0)
    p = g + A.T @ mu
    value = float(np.linalg.norm(p))
    return value, (p / value if value > 0 else p)


def _pattern_maxima(arrangements: Sequence[tuple[np.ndarray | None, _Arrangement]],
                    lam: np.ndarray, keep: int
                    ) -> list[tuple[float, int, np.ndarray, np.ndarray, float]]:
    """The ``keep`` best ``max ±λ^T D_S Z w`` over the patterns' cones, as
    ``(value, arrangement index, maximizer, pattern, sign)``.

    ``||g_S||`` (``g_S = Z^T D_S λ``) bounds both signs' values (a projection is no longer than
    its argument), so patterns are visited by decreasing ``||g_S||`` and the scan stops once
    that bound is below the ``keep``-th value found: the maximum itself is never skipped."""
    entries = []
    for index, (_, arrangement) in enumerate(arrangements):
        if arrangement.patterns.shape[0] == 0:
            continue
        G = (arrangement.patterns * lam[None, :]) @ arrangement.Z        # (P, r)
        norms = np.linalg.norm(G, axis=1)
        entries.extend((float(norms[p]), index, p) for p in np.flatnonzero(norms > 0))
    entries.sort(key=lambda item: -item[0])
    best: list[tuple[float, int, np.ndarray, np.ndarray, float]] = []
    for norm, index, p in entries:
        if len(best) >= keep and norm <= best[-1][0]:
            break
        arrangement = arrangements[index][1]
        pattern = arrangement.patterns[p]
        g = arrangement.Z.T @ np.where(pattern, lam, 0.0)
        for sign in (1.0, -1.0):
            value, z = _cone_maximum(arrangement.Z, pattern, sign * g)
            if value > 0 and (len(best) < keep or value > best[-1][0]):
                best.append((value, index, z, pattern, sign))
                best.sort(key=lambda item: -item[0])
                del best[keep:]
    return best


def _pattern_cone(Z: np.ndarray, basis: np.ndarray, anchor: np.ndarray | None,
                  pattern: np.ndarray, sign: float, index: int) -> Cone:
    return Cone(features=np.where(pattern[:, None], Z, 0.0),
                constraints=np.where(pattern, 1.0, -1.0)[:, None] * Z, basis=basis,
                anchor=anchor, sign=sign, key=(index, np.packbits(pattern).tobytes(), sign))


def _local_search(Z: np.ndarray, lam: np.ndarray, starts: int, rng: np.random.Generator
                  ) -> list[tuple[float, np.ndarray, np.ndarray, float]]:
    """Heuristic: from random unit ``w``, move to the maximizer over the cone of the current
    pattern (the value never decreases: on ``K_S`` the objective is ``g_S^T w``) until the
    pattern repeats. Finds local maxima only: ``(value, w, last pattern, sign)``."""
    n, d = Z.shape
    out = []
    for _ in range(starts):
        w = rng.standard_normal(d)
        w /= np.linalg.norm(w)
        sign = 1.0 if lam @ np.maximum(Z @ w, 0.0) >= 0 else -1.0
        pattern = Z @ w >= 0
        for _ in range(50):
            pattern = Z @ w >= 0
            g = sign * (Z.T @ np.where(pattern, lam, 0.0))
            value, new = _cone_maximum(Z, pattern, g)
            if value == 0 or np.array_equal(Z @ new >= 0, pattern):
                w = new if value > 0 else w
                break
            w = new
        out.append((abs(float(lam @ np.maximum(Z @ w, 0.0))), w, pattern, sign))
    return out


def _result(found: list[tuple[float, np.ndarray, Cone | None]], exact: bool,
            dim: int) -> OracleResult:
    if not found:
        w = np.zeros(dim)
        w[0] = 1.0
        return OracleResult(w, 0.0, exact, w[:, None], np.zeros(1), (None,))
    found.sort(key=lambda item: -item[0])
    values = np.array([item[0] for item in found])
    candidates = np.column_stack([item[1] for item in found])
    return OracleResult(candidates[:, 0].copy(), float(values[0]), exact, candidates, values,
                        tuple(item[2] for item in found))


# --- the exchange method -------------------------------------------------------------------------

@dataclass(frozen=True)
class ExchangeIteration:
    """One exchange step: the bounds after solving over the current neurons and cones.

    ``upper`` is the training objective of the network found (recomputed from its weights),
    ``lower`` the weak-duality bound (``None`` when the oracle is not exact), ``violation`` the
    oracle's ``Ω(λ) / bound - 1`` at the restricted dual point; ``neurons`` and ``cones`` count
    the fixed neurons and the cone blocks of the restricted program.
    """

    iteration: int
    neurons: int
    cones: int
    upper: float
    lower: float | None
    violation: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "neurons": self.neurons, "cones": self.cones,
                "upper": self.upper, "lower": self.lower, "violation": self.violation,
                "seconds": self.seconds}


@dataclass(frozen=True, eq=False)
class ExchangeResult:
    """The certified bracket of a semi-infinite dual solved by :func:`exchange`.

    Values are training objectives ((2) or (1)), ``2 ×`` the values of the rescaled programs.

    Attributes
    ----------
    upper : float
        The smallest training objective of the networks found (that of ``network``).
    lower : float
        The largest weak-duality bound found; ``0.0`` (the trivial bound) when the oracle is not
        exact.
    gap, rel_gap : float
        ``upper - lower`` and that over ``max(|upper|, |lower|)``.
    closed : bool
        ``rel_gap <= rtol`` with an exact oracle.
    exact_oracle : bool
    history : tuple of ExchangeIteration
    neurons : ndarray, shape (p, m)
        The neurons of ``network`` (unit-norm weights, bias last if any).
    network : Network
        Balanced two-layer network (Lemma 2.1) attaining ``upper``.
    residual : float
        Minimum norm: ``||f(X) - Y||_F / max(||Y||_F, 1)`` of ``network``; 0 when regularized.
    status : str
        The last restricted solve's status.
    statuses : tuple of str
        Every restricted solve's status.
    stop : str
        Why the iterations ended (``"closed"``, ``"no violated neuron"``,
        ``"iteration limit"``).
    beta : float or None
    """

    upper: float
    lower: float
    gap: float
    rel_gap: float
    closed: bool
    exact_oracle: bool
    history: tuple[ExchangeIteration, ...]
    neurons: np.ndarray
    network: Network
    residual: float
    status: str
    statuses: tuple[str, ...]
    stop: str
    beta: float | None


def dictionary_program(features: np.ndarray, data: Dataset, beta: float | None = None,
                       intercept: bool = False, cones: Sequence[Cone] = ()) -> Program:
    """The ℓ1 (group-ℓ1) program over fixed neurons with features ``Φ`` (``n × m``), plus one
    block per cone: the semi-infinite primal (18)/(40) restricted to measures on those neurons
    and cones.

    With ``F(α, z) = Φ α + Σ_c s_c F_c z_c + 1 η^T`` and penalty
    ``P = Σ_j ||α_j|| + Σ_c ||z_c||`` (``||·||_2`` per row of ``α``; per cone ``||z_c||_2``, the
    nuclear norm for vector outputs), ``A_c z_c >= 0``:

    * ``beta=None``: ``min P s.t. F(α, z) = Y`` (constraint ``"fit"``, whose CVXPY dual is
      ``-λ``);
    * ``beta > 0``: ``min ½||F(α, z) - Y||_F^2 + β P``.

    ``η`` (variable ``intercept``, free) only when ``intercept``. Variables ``alpha`` and
    ``cone_<i>``. Training value ``2 ×`` value, an upper bound (``relation="upper"``).
    :func:`cvxdual.families.linear.dictionary_primal` is the same program for linear features
    without intercept or cones.
    """
    Phi = np.asarray(features, dtype=np.float64)
    n, m = Phi.shape
    vector = data.vector_output
    k = data.k
    variables: dict[str, cp.Variable] = {}
    fit: Any = 0.0
    penalty: Any = 0.0
    cone_constraints = []
    if m > 0:
        alpha = cp.Variable((m, k) if vector else m, name="alpha")
        variables["alpha"] = alpha
        fit = fit + Phi @ alpha
        penalty = penalty + (cp.sum(cp.norm(alpha, 2, axis=1)) if vector else cp.norm(alpha, 1))
    for index, cone in enumerate(cones):
        r = cone.features.shape[1]
        z = cp.Variable((r, k) if vector else r, name=f"cone_{index}")
        variables[f"cone_{index}"] = z
        fit = fit + (cone.sign or 1.0) * (cone.features @ z)
        penalty = penalty + (cp.normNuc(z) if vector else cp.norm(z, 2))
        if cone.constraints.shape[0]:
            cone_constraints.append(cone.constraints @ z >= 0)
    if intercept:
        eta = cp.Variable(k if vector else (), name="intercept")
        variables["intercept"] = eta
        fit = fit + (np.ones((n, 1)) @ cp.reshape(eta, (1, k), order="C") if vector
                     else eta * np.ones(n))
    Y = data.targets
    constraints: dict[str, cp.Constraint] = {}
    if beta is None:
        fit_constraint = fit == Y
        constraints["fit"] = fit_constraint
        problem = cp.Problem(cp.Minimize(penalty), [fit_constraint, *cone_constraints])
    else:
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(fit - Y) + beta * penalty),
                             cone_constraints)
    return Program(
        problem=problem, variables=variables, constraints=constraints, parameters={},
        name="dictionary_program",
        reference="(18)/(40) restricted to finitely many neurons and activation cones "
                  "(discretization in the proof of Theorem 2.1)",
        kind="primal", relation="upper", to_training=lambda value: 2.0 * value, data=data,
        note="upper bound; exact when the neurons and cones carry an optimal measure")


def _check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or not (
            np.isfinite(value) and value > 0):
        raise ParameterError(f"{name} must be a finite number > 0; got {value!r}.")
    return float(value)


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def _random_neurons(family: NeuronFamily, count: int, rng: np.random.Generator) -> np.ndarray:
    d = family.X.shape[1]
    W = rng.standard_normal((d, count))
    W /= np.linalg.norm(W, axis=0)
    if family.dim == d:
        return W
    # A hyperplane through a random data point: a bias a neuron can actually use.
    anchors = family.X[rng.integers(0, family.X.shape[0], count)]
    return np.vstack([W, -np.sum(anchors * W.T, axis=1)[None, :]])


def _reachable(Phi: np.ndarray, Y: np.ndarray, intercept: bool) -> bool:
    M = np.hstack([Phi, np.ones((Phi.shape[0], 1))]) if intercept else Phi
    if M.shape[1] == 0:
        return not np.any(Y)
    coef = np.linalg.lstsq(M, Y, rcond=None)[0]
    return float(np.linalg.norm(M @ coef - Y)) <= 1e-9 * max(float(np.linalg.norm(Y)), 1e-300)


def exchange(family: NeuronFamily, Y: Any, beta: float | None = None, *,
             neurons: Any = None, initial: int | None = None, seed: int = 0,
             rtol: float = 1e-6, tol: float = 1e-9, max_iter: int = 60,
             per_iteration: int = 4, solver: str | None = None) -> ExchangeResult:
    """Solve a semi-infinite dual (5)/(12)/(39) by exchange, with a certified bracket.

    Each step solves :func:`dictionary_program` over the fixed neurons and the cones found so
    far, builds the balanced network of its solution (for minimum norm, with the output layer
    corrected by least squares so that it interpolates to rounding), and evaluates the exact
    oracle at the restricted dual point (``-`` the dual of ``"fit"``, or the residual when
    regularized, centred when the family has an intercept). The programs change size at every
    step, so each is compiled anew (no DPP reuse).

    Parameters
    ----------
    family : NeuronFamily
        :class:`LinearNeurons` or :class:`ReluNeurons` on the training inputs ``X`` (n, d).
    Y : array_like, shape (n,) or (n, k)
    beta : float, optional
        ``None``: minimum-norm problem (2); ``beta > 0``: regularized problem (1).
    neurons : array_like, shape (p, m), optional
        Starting neurons; ``initial`` random ones (seeded by ``seed``) when omitted.
    initial : int, optional
        Number of random starting neurons (default ``max(n, 4)``).
    seed : int
    rtol : float
        Stop when the relative gap of the bracket is at most this (exact oracle only).
    tol : float
        Stop when no neuron violates the dual constraint by more than ``tol`` (relative).
    max_iter : int
        Largest number of restricted solves.
    per_iteration : int
        Most violated candidates (with their cones) added per step.
    solver : str, optional
        CVXPY solver of the restricted programs (Clarabel by default).

    Returns
    -------
    ExchangeResult

    Raises
    ------
    ParameterError
        Bad tolerances, counts, or neuron arrays of the wrong shape.
    InfeasibleError
        Minimum norm and the targets are not reachable by the family's neurons.
    UnsupportedError
        Vector targets with the ReLU oracle.
    """
    if not isinstance(family, NeuronFamily):
        raise ParameterError("family must be a neuron family (LinearNeurons, ReluNeurons or an "
                             "object with X, dim, intercept, features and most_violated).")
    data = as_dataset(family.X, Y)
    if beta is not None:
        beta = _check_positive("beta", beta)
    rtol = _check_positive("rtol", rtol)
    tol = _check_positive("tol", tol)
    max_iter = _check_count("max_iter", max_iter)
    per_iteration = _check_count("per_iteration", per_iteration)
    if data.vector_output and isinstance(family, ReluNeurons):
        raise UnsupportedError("the ReLU oracle handles scalar outputs only (the maximum of "
                               "||Λ^T (Xw)_+|| over a pattern's cone is not a projection); pass "
                               "y of shape (n,).")
    solver = check_solver(solver)
    rng = np.random.default_rng(seed)
    d = family.X.shape[1]
    if neurons is None:
        count = max(data.n, 4) if initial is None else _check_count("initial", initial)
        W = _random_neurons(family, count, rng)
    else:
        W = _unit_columns(_check_neuron_array(neurons, family.dim, type(family).__name__), d)
    Yt = data.Y                    # (n, k) for both output kinds
    if beta is None:
        for _ in range(4):
            if _reachable(family.features(W), Yt, family.intercept):
                break
            W = np.hstack([W, _random_neurons(family, max(W.shape[1], data.n), rng)])
        else:
            raise InfeasibleError(
                "the targets are not reachable by the family's neurons (no network of this "
                "family interpolates them, e.g. Y outside the range of X for linear neurons): "
                "the minimum-norm problem (2) is infeasible. Pass beta > 0.")
    bound = 1.0 if beta is None else beta
    cones: list[Cone] = []
    keys: set[tuple] = set()
    history: list[ExchangeIteration] = []
    statuses: list[str] = []
    best: tuple[float, Network, np.ndarray, float] | None = None
    best_lower = 0.0
    exact = True
    stop = "iteration limit"
    for iteration in range(1, max_iter + 1):
        started = time.perf_counter()
        Phi = family.features(W)
        program = dictionary_program(Phi, data, beta, family.intercept, cones)
        solution = solve(program, solver)
        statuses.append(solution.status)
        used, alpha = _measure(family, W, cones, solution.variables, data.k)
        eta = (solution.variables["intercept"].reshape(data.k) if family.intercept
               else np.zeros(data.k))
        if beta is None:
            lam = -solution.duals["fit"].reshape(data.n, data.k)
            raw = _network(family, used, _prune(alpha), eta, data.vector_output)
            alpha, eta = _polish_interpolation(family.features(used), Yt, _prune(alpha), eta,
                                               family.intercept)
            network = _network(family, used, alpha, eta, data.vector_output)
            # The least-squares correction can be large when the active features are nearly
            # dependent; a simplex vertex over the same neurons interpolates on a basis.
            if not data.vector_output:
                limit = (network.objective(data.X, data.targets) if
                         network.interpolation_residual(data.X, data.targets) <= 1e-9
                         else math.inf)
                sparse = _vertex_network(family, raw, data, None, limit)
                if sparse is not None:
                    network = sparse[1]
        else:
            # The dual optimum of the regularized program is its residual (any λ is valid),
            # taken before pruning, which shifts it by the pruned weights.
            network = _network(family, used, alpha, eta, data.vector_output)
            lam = Yt - network.forward(data.X).reshape(data.n, data.k)
            pruned = _network(family, used, _prune(alpha), eta, data.vector_output)
            if pruned.objective(data.X, data.targets, beta) <= network.objective(
                    data.X, data.targets, beta):
                network = pruned
        upper = network.objective(data.X, data.targets, beta)
        residual = 0.0 if beta is not None else network.interpolation_residual(
            data.X, data.targets)
        if family.intercept:
            lam = lam - lam.mean(axis=0)
        oracle = family.most_violated(lam if data.vector_output else lam[:, 0])
        exact = exact and oracle.exact
        lower = _lower_bound(lam, Yt, oracle.value, beta, bound) if oracle.exact else None
        if lower is not None:
            best_lower = max(best_lower, lower)
        if (best is None or upper < best[0]) and (beta is not None or residual <= 1e-7):
            best = (upper, network, used, residual)
        violation = oracle.value / bound - 1.0 if oracle.value > 0 else -1.0
        history.append(ExchangeIteration(iteration, W.shape[1], len(cones), upper, lower,
                                         violation, time.perf_counter() - started))
        if best is not None and exact and _rel_gap(best[0], best_lower) <= rtol:
            stop = "closed"
            break
        if violation <= tol:
            stop = "no violated neuron"
            break
        added = 0
        for index in np.flatnonzero(oracle.values > bound * (1.0 + tol)):
            if added == per_iteration:
                break
            cone = oracle.cones[index] if index < len(oracle.cones) else None
            if cone is not None:
                if cone.key in keys:
                    continue
                keys.add(cone.key)
                cones.append(cone)
            else:
                W = np.hstack([W, oracle.candidates[:, index:index + 1]])
            added += 1
        if added == 0:
            stop = "no new neuron or cone"
            break
    if best is None:
        best = (upper, network, used, residual)
    upper, network, _, residual = best
    if not data.vector_output:
        sparse = _vertex_network(family, network, data, beta)
        if sparse is not None:
            upper, network, residual = sparse
    rel_gap = _rel_gap(upper, best_lower)
    return ExchangeResult(
        upper=upper, lower=best_lower, gap=upper - best_lower, rel_gap=rel_gap,
        closed=exact and rel_gap <= rtol, exact_oracle=exact, history=tuple(history),
        neurons=_neuron_columns(network), network=network, residual=residual,
        status=statuses[-1],
        statuses=tuple(statuses), stop=stop, beta=beta)


def _measure(family: NeuronFamily, W: np.ndarray, cones: Sequence[Cone],
             variables: dict[str, np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The discrete measure of a restricted solution: unit neurons (``p × m``) and their
    weights (``m × k``). A cone block ``z`` gives the neuron ``basis z / ||z||`` with weight
    ``s ||z||`` (vector outputs, linear cone: one neuron per singular pair of ``z``)."""
    d = family.X.shape[1]
    columns = [W] if W.shape[1] else []
    weights = [variables["alpha"].reshape(W.shape[1], k)] if W.shape[1] else []
    for index, cone in enumerate(cones):
        z = variables[f"cone_{index}"].reshape(cone.features.shape[1], k)
        if k == 1:
            norm = float(np.linalg.norm(z))
            if norm == 0.0:
                continue
            directions, amounts = z / norm, np.array([[norm]])
        else:
            U, s, Vt = np.linalg.svd(z, full_matrices=False)
            keep = s > 1e-12 * max(float(s[0]), 1e-300)
            directions, amounts = U[:, keep], s[keep, None] * Vt[keep]
        w = cone.basis @ directions
        if family.dim > d:
            anchor = cone.anchor if cone.anchor is not None else np.zeros(d)
            w = np.vstack([w, -(anchor @ w)[None, :]])
        columns.append(w)
        weights.append((cone.sign or 1.0) * amounts)
    if not columns:
        return np.zeros((family.dim, 0)), np.zeros((0, k))
    return np.hstack(columns), np.vstack(weights)


def _vertex_network(family: NeuronFamily, network: Network, data: Dataset,
                    beta: float | None, limit: float | None = None
                    ) -> tuple[float, Network, float] | None:
    """A network on at most ``n`` of the same neurons with the same outputs and no larger
    ``||α||_1``: a simplex vertex (HiGHS) of ``min ||α||_1 s.t. Φ α + η = f`` with ``f`` the
    network's outputs. Interior-point solutions spread small weights over every neuron;
    objectives depend on ``α`` only through ``f`` and ``||α||_1``, so the vertex is as good and
    sparse. None when the LP fails or its network's objective exceeds ``limit`` (by default
    that of ``network``)."""
    from scipy.optimize import linprog

    columns = _neuron_columns(network)
    m = columns.shape[1]
    if m <= 1:
        return None
    Phi = family.features(columns)
    fitted = data.Y[:, 0] if beta is None else network.forward(data.X).reshape(-1)
    free = 1 if family.intercept else 0
    rows = np.hstack([Phi, -Phi, np.ones((data.n, free))])
    result = linprog(np.concatenate([np.ones(2 * m), np.zeros(free)]), A_eq=rows, b_eq=fitted,
                     bounds=[(0, None)] * (2 * m) + [(None, None)] * free, method="highs")
    if result.status != 0:
        return None
    alpha = (result.x[:m] - result.x[m:2 * m])[:, None]
    alpha = np.where(np.abs(alpha) > 1e-12 * max(float(np.abs(alpha).sum()), 1e-300), alpha,
                     0.0)
    eta = np.array([result.x[2 * m]]) if free else np.zeros(1)
    if beta is None:
        alpha, eta = _polish_interpolation(Phi, data.Y, alpha, eta, family.intercept)
    candidate = _network(family, columns, alpha, eta, False)
    value = candidate.objective(data.X, data.targets, beta)
    residual = 0.0 if beta is not None else candidate.interpolation_residual(data.X,
                                                                             data.targets)
    old = network.objective(data.X, data.targets, beta) if limit is None else limit
    if value > old * (1 + 1e-12) or (beta is None and residual > 1e-9):
        return None
    return value, candidate, residual


def _neuron_columns(network: Network) -> np.ndarray:
    """The network's hidden neurons as unit-weight columns ``(w, b)`` (``w`` alone without
    bias)."""
    W1 = network.weights[0]
    norms = np.linalg.norm(W1, axis=0)
    norms = np.where(norms > 0, norms, 1.0)
    columns = W1 / norms
    if network.biases and network.biases[0] is not None:
        columns = np.vstack([columns, (network.biases[0] / norms)[None, :]])
    return columns


def _rel_gap(upper: float, lower: float) -> float:
    scale = max(abs(upper), abs(lower))
    return (upper - lower) / scale if scale > 0 and math.isfinite(upper) else math.inf


def _lower_bound(lam: np.ndarray, Y: np.ndarray, omega: float, beta: float | None,
                 bound: float) -> float:
    """Weak duality at ``s λ`` with ``s Ω(λ) <= bound`` (exactly feasible), as a training
    value: ``2 s λ^T y`` (minimum norm) or ``2 (s λ^T y - ½ s^2 ||λ||^2)`` at the best such
    ``s``."""
    inner = float(np.sum(lam * Y))
    norm2 = float(np.sum(lam * lam))
    if beta is None:
        if omega <= 0:
            return 0.0
        return max(0.0, 2.0 * (bound / omega) * inner)
    s = inner / norm2 if norm2 > 0 else 0.0
    if omega > 0:
        s = min(s, bound / omega)
    s = max(s, 0.0)
    return 2.0 * (s * inner - 0.5 * s * s * norm2)


def _prune(alpha: np.ndarray) -> np.ndarray:
    """Zero the weights below ``1e-9`` of the total: an interior-point solution spreads solver
    noise over every neuron (the objective is recomputed afterwards, so this is safe)."""
    weights = np.linalg.norm(alpha, axis=1)
    total = float(weights.sum())
    return np.where((weights > 1e-9 * total)[:, None], alpha, 0.0) if total > 0 else alpha


def _polish_interpolation(Phi: np.ndarray, Y: np.ndarray, alpha: np.ndarray, eta: np.ndarray,
                          intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """Restore ``Φ α + η = Y`` to rounding on the support of ``α`` by the least-squares
    correction (the interior-point solution misses it by about the solver's tolerance, which
    would make the network infeasible for (2))."""
    support = np.flatnonzero(np.linalg.norm(alpha, axis=1) > 0)
    M = Phi[:, support]
    if intercept:
        M = np.hstack([M, np.ones((Phi.shape[0], 1))])
    if M.shape[1] == 0:
        return alpha, eta
    residual = Y - Phi @ alpha - eta[None, :]
    delta = np.linalg.lstsq(M, residual, rcond=None)[0]
    alpha = alpha.copy()
    alpha[support] += delta[: support.size]
    if intercept:
        eta = eta + delta[-1]
    return alpha, eta


def _network(family: NeuronFamily, W: np.ndarray, alpha: np.ndarray, eta: np.ndarray,
             vector: bool) -> Network:
    """Balanced two-layer network (Lemma 2.1) of the measure ``Σ_j α_j δ_{w_j}``: neuron ``j``
    scaled by ``r_j = ||α_j||^{1/2}`` (weight and bias; features are positively homogeneous)
    and output weight ``α_j / r_j``, so ``||W1||_F^2 + ||W2||_F^2 = 2 Σ_j ||α_j||``."""
    d = family.X.shape[1]
    weights = np.linalg.norm(alpha, axis=1)
    active = np.flatnonzero(weights > 0)
    radius = np.sqrt(weights[active])
    W1 = W[:d, active] * radius[None, :]
    W2 = alpha[active] / radius[:, None]
    biases = [W[d, active] * radius] if family.dim > d else None
    return Network([W1, W2 if vector else W2[:, 0]], biases=biases,
                   intercept=eta if vector else float(eta[0]),
                   activation="relu" if family.activation == "relu" else "linear")


# --- certificates ---------------------------------------------------------------------------------

def certify_two_layer_relu(data: Dataset, beta: float | None, solver: str, bias: bool,
                           widths: Sequence[int] | None, rtol: float, atol: float,
                           feas_tol: float, seed: int = 0) -> Any:
    """Certificate for ``family="relu", depth=2`` on data that is not rank one.

    The bracket is :func:`exchange` with the exact ReLU oracle (pattern enumeration, or the
    local-search heuristic beyond :data:`DEFAULT_MAX_PATTERNS`, when only the upper bound is
    claimed and ``certified`` is False).
    """
    if data.vector_output:
        raise UnsupportedError("family='relu' on data that is not rank one handles scalar "
                               "outputs only; pass y of shape (n,).")
    if widths is not None:
        raise UnsupportedError("widths is not supported for two-layer ReLU networks on general "
                               "data; the network has one neuron per active atom.")
    if beta is None:
        _require_distinct_inputs(data)
    return _exchange_certificate(data, ReluNeurons(data.X, bias=bias, seed=seed), "relu",
                                 beta, solver, rtol, atol, feas_tol, seed)


def certify_by_exchange(X: Any, Y: Any, family: str = "relu", beta: float | None = None, *,
                        bias: bool = True, seed: int = 0, solver: str | None = None,
                        rtol: float = 1e-6, atol: float = 1e-10,
                        feas_tol: float = 1e-7) -> Any:
    """Certify a two-layer network by the exchange method, for any neuron family.

    ``cvxdual.certify`` uses exact finite programs where they exist (§2, §4) and the exchange
    method only for ReLU networks on general data; this runs the exchange method on any data,
    e.g. to compare it with those exact values. No rescaling of the data is done.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n,) or (n, k)
        Vector outputs for ``family="linear"`` only.
    family : {"linear", "relu"}
    beta : float, optional
        ``None``: minimum norm (2); ``beta > 0``: regularized (1).
    bias : bool
        ReLU only: unregularized hidden bias and free output intercept (Proposition 4.1).
    seed : int
        Seed of the random starting neurons.
    solver : str, optional
    rtol, atol, feas_tol : float
        As in :func:`cvxdual.certify`.

    Returns
    -------
    Certificate
        ``training_value`` / ``dual_value`` are the bracket; ``iterations`` the steps.

    Raises
    ------
    ParameterError
        Unknown family, bad ``beta`` or tolerances.
    """
    from cvxdual.validation import check_beta

    data = as_dataset(X, Y)
    beta = check_beta(beta)
    solver = check_solver(solver)
    for name, value in (("atol", atol), ("feas_tol", feas_tol)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (
                np.isfinite(value) and value >= 0):
            raise ParameterError(f"{name} must be a finite number >= 0; got {value!r}.")
    rtol = _check_positive("rtol", rtol)
    if family == "linear":
        neurons: NeuronFamily = LinearNeurons(data.X)
    elif family == "relu":
        if beta is None:
            _require_distinct_inputs(data)
        neurons = ReluNeurons(data.X, bias=bias, seed=seed)
    else:
        raise ParameterError(f"the exchange method supports family 'linear' or 'relu'; got "
                             f"{family!r}.")
    return _exchange_certificate(data, neurons, family, beta, solver, rtol, atol, feas_tol,
                                 seed)


def _exchange_certificate(data: Dataset, family: NeuronFamily, name: str, beta: float | None,
                          solver: str, rtol: float, atol: float, feas_tol: float,
                          seed: int) -> Any:
    from cvxdual.certificate import Certificate, bound_gap

    started = time.perf_counter()
    result = exchange(family, data.targets, beta, seed=seed, rtol=rtol * 0.5, solver=solver)
    seconds = time.perf_counter() - started
    relu = isinstance(family, ReluNeurons)
    reasons = [] if all(s == "optimal" for s in result.statuses[-1:]) else [
        f"last restricted solve ended with status {result.status!r}"]
    if not result.exact_oracle:
        reasons.append(f"the ReLU oracle is a local-search heuristic here (more than "
                       f"{DEFAULT_MAX_PATTERNS} activation patterns): only the upper bound is "
                       f"claimed; the lower bound is the trivial 0")
    if beta is None and result.residual > feas_tol:
        reasons.append(f"extracted network misses f(X) = y by {result.residual:.2e} (relative) "
                       f"> feas_tol {feas_tol:.0e}")
    gap, rel_gap = bound_gap(result.upper, result.lower, rtol, atol, reasons)
    last = result.history[-1]
    checks = {"iterations": float(len(result.history)), "dictionary_neurons": float(last.neurons),
              "cones": float(last.cones), "violation": last.violation,
              "oracle_exact": float(result.exact_oracle), "network_residual": result.residual}
    if relu:
        checks["activation_patterns"] = float(family.pattern_count)
        oracle = ("exact oracle over every activation pattern" + (
            " (hyperplanes through data points for the bias)" if family.bias else "")
            if result.exact_oracle else "trivial bound 0 (heuristic oracle)")
    else:
        oracle = "exact oracle σ_max(X^T Λ) (Theorems 2.1, 2.4)"
    bounds = {"lower": f"dual objective of the restricted dual point scaled into exact "
                       f"feasibility by the {oracle}",
              "upper": "objective of the network over the exchange method's neurons"}
    network = result.network
    dual = ("(39) two-layer ReLU dual, exact pattern oracle (Pilanci & Ergen 2020 convex "
            "program)" if relu else "(5)/(12) semi-infinite dual, exact linear oracle")
    return Certificate(
        family=name, problem="minimum-norm (2)" if beta is None else "regularized (1)",
        beta=beta, depth=2, loss="squared", vector_output=data.vector_output,
        shape=(data.n, data.d, data.k), training_value=result.upper,
        primal_value=result.upper, dual_value=result.lower, gap=gap, rel_gap=rel_gap,
        certified=not reasons, reasons=tuple(reasons), network=network,
        network_source="exchange method", neurons=network.neurons, closed_form=None,
        primal_status=result.status, dual_status="not solved" if not result.exact_oracle
        else "exact oracle", solver=solver,
        references={"primal": "dictionary_program, (18)/(40) over the exchange method's "
                              "neurons and cones",
                    "dual": dual},
        bounds=bounds, timings={"primal": seconds, "dual": 0.0}, checks=checks,
        tolerances={"rtol": rtol, "atol": atol, "feas_tol": feas_tol},
        iterations=tuple(step.to_dict() for step in result.history))


def _require_distinct_inputs(data: Dataset) -> None:
    y = data.Y[:, 0]
    keys = np.round(data.X / (np.abs(data.X).max() or 1.0), 12)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    for group in np.unique(inverse):
        members = np.flatnonzero(inverse == group)
        if np.ptp(y[members]) > 1e-12 * max(1.0, float(np.abs(y).max())):
            i, j = int(members[0]), int(members[1])
            raise InfeasibleError(
                f"samples {i} and {j} have the same input but different targets, so no network "
                f"interpolates them and the minimum-norm problem (2) is infeasible. Pass "
                f"beta > 0 for the regularized problem (1).")

