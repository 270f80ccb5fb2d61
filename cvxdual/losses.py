r"""Convex losses and their Fenchel conjugates (Theorem A.1 of the supplement).

Theorem A.1 replaces the squared error of (1) by any convex loss ``ℓ(F, Y)`` of the network
output ``F = f(X)`` (shape ``(n,)`` or ``(n, k)``); the dual then has the objective
``-ℓ*(·)`` over the same extreme-point constraint, with the Fenchel conjugate

.. math:: ℓ^*(μ) = \sup_Z \langle μ, Z\rangle - ℓ(Z, Y).

Every loss here is a sum over samples (not a mean), so that ``"squared"`` is exactly the
``||F - Y||_F^2`` of (1):

* ``squared``: ``ℓ = Σ (F - Y)^2``; ``ℓ*(μ) = <μ, Y> + ||μ||^2 / 4``;
* ``absolute``: ``ℓ = Σ |F - Y|``; ``ℓ*(μ) = <μ, Y>`` on ``|μ| <= 1``;
* ``huber``: ``ℓ = Σ h_δ(F - Y)``, ``h_δ(r) = r^2 / 2`` for ``|r| <= δ`` and
  ``δ|r| - δ^2 / 2`` beyond; ``ℓ*(μ) = <μ, Y> + ||μ||^2 / 2`` on ``|μ| <= δ``;
* ``logistic`` (labels ``Y ∈ {-1, +1}``): ``ℓ = Σ log(1 + exp(-Y F))``;
  ``ℓ*(μ) = Σ t log t + (1 - t) log(1 - t)`` with ``t = -Y μ ∈ [0, 1]``;
* ``hinge`` (labels ``Y ∈ {-1, +1}``): ``ℓ = Σ max(0, 1 - Y F)``; ``ℓ*(μ) = Σ Y μ`` on
  ``Y μ ∈ [-1, 0]``;
* ``cross-entropy`` (vector outputs, one-hot rows ``Y_i``): ``ℓ = Σ_i logsumexp(F_i) -
  <Y_i, F_i>``; ``ℓ*(μ) = Σ P log P`` with ``P = μ + Y`` whose rows lie in the simplex;

inequalities entrywise, ``ℓ* = +inf`` outside the domain. Every loss is bounded below, so
``0`` lies in the domain of ``ℓ*``, and the domain is convex: scaling a dual point towards
``0`` keeps it in the domain, which is how certificates make a solver's dual point exactly
feasible.

Sign convention
---------------
Theorem A.1 as printed writes the dual objective as ``-ℓ*(λ)``, with ``λ = ∇ℓ(F*)`` at the
optimum (its proof adds ``-λ^T z``). cvxdual uses the opposite sign, ``λ = -∇ℓ(F*)``, and the
dual objective ``-ℓ*(-λ)``: then ``λ`` is the paper's §2 dual variable (for the squared loss
the residual direction, ``λ* = 2(y - X v*)`` in the units of (1)), and the optimal neurons are
``+X^T λ / ||X^T λ||`` with positive output weights. The constraint ``||X^T λ||_2 <= 2β`` is
symmetric in ``λ``, so both conventions have the same optimal value; the tests check the sign
(``λ* = -∇ℓ(X V*)``) numerically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import cvxpy as cp
import numpy as np
from scipy.special import expit, logsumexp, xlogy

from cvxdual.errors import DataError, ParameterError

__all__ = [
    "Loss",
    "Squared",
    "Absolute",
    "Huber",
    "Logistic",
    "Hinge",
    "CrossEntropy",
    "LOSS_CLASSES",
    "get_loss",
]

Constraints = list[cp.Constraint]


def _inner(a: cp.Expression, b: cp.Expression | np.ndarray) -> cp.Expression:
    return cp.sum(cp.multiply(a, b))


@dataclass(frozen=True)
class Loss:
    """A convex loss ``ℓ(F, Y)`` with its Fenchel conjugate (base class).

    Subclasses set :attr:`name` and implement the methods below. ``F``, ``Y`` and ``mu`` have
    the same shape, ``(n,)`` or ``(n, k)``.

    Attributes
    ----------
    name : str
        Registry name (:func:`get_loss`).
    degree : int or None
        ``p`` with ``ℓ(sF, sY) = s^p ℓ_s(F, Y)`` for ``s > 0``, where ``ℓ_s`` is
        :meth:`rescaled` ``(s)``; ``None`` when the targets are labels that must not be scaled.
    """

    name: ClassVar[str] = "loss"
    degree: ClassVar[int | None] = None

    # --- data ---------------------------------------------------------------------------------
    def check_labels(self, Y: np.ndarray) -> None:
        """Raise :class:`~cvxdual.errors.DataError` (naming the fix) if ``Y`` does not fit the
        loss. Regression losses accept any finite targets."""

    def rescaled(self, scale: float) -> Loss:
        """The loss ``ℓ_s`` of targets divided by ``scale`` (see :attr:`degree`)."""
        return self

    # --- NumPy --------------------------------------------------------------------------------
    def value(self, F: np.ndarray, Y: np.ndarray) -> float:
        """``ℓ(F, Y)``."""
        raise NotImplementedError

    def gradient(self, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """``∇_F ℓ(F, Y)`` (a subgradient where ``ℓ`` has a kink), shape of ``F``."""
        raise NotImplementedError

    def conjugate(self, mu: np.ndarray, Y: np.ndarray) -> float:
        """``ℓ*(μ) = sup_Z <μ, Z> - ℓ(Z, Y)``; ``+inf`` outside its domain."""
        raise NotImplementedError

    def to_domain(self, mu: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """A point of the domain of ``ℓ*`` close to ``mu`` (the identity inside it): removes
        a solver's round-off outside the domain before a lower bound is evaluated."""
        return np.asarray(mu, dtype=np.float64)

    # --- CVXPY --------------------------------------------------------------------------------
    def cvx_value(self, F: cp.Expression, Y: cp.Parameter | np.ndarray) -> cp.Expression:
        """Convex CVXPY expression of ``ℓ(F, Y)`` (DPP in a parameter ``Y``)."""
        raise NotImplementedError

    def cvx_neg_conjugate(self, mu: cp.Expression, Y: cp.Parameter | np.ndarray
                          ) -> tuple[cp.Expression, Constraints]:
        """Concave CVXPY expression of ``-ℓ*(μ)`` and the constraints of its domain."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.name


def _as_arrays(*arrays: object) -> list[np.ndarray]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _check_signs(name: str, Y: np.ndarray) -> None:
    values = np.unique(np.asarray(Y, dtype=np.float64))
    if np.all(np.isin(values, (-1.0, 1.0))):
        return
    shown = ", ".join(f"{v:g}" for v in values[:6]) + (", ..." if values.size > 6 else "")
    fix = ("map 0 to -1 (Y = 2 * Y - 1)" if np.all(np.isin(values, (0.0, 1.0)))
           else "use labels -1 and +1 (e.g. Y = np.where(Y > 0, 1.0, -1.0))")
    raise DataError(f"{name} loss needs labels in {{-1, +1}}; got values {{{shown}}}: {fix}.")


@dataclass(frozen=True)
class Squared(Loss):
    """``ℓ(F, Y) = ||F - Y||_F^2``, the loss of (1); ``ℓ*(μ) = <μ, Y> + ||μ||^2 / 4``."""

    name: ClassVar[str] = "squared"
    degree: ClassVar[int | None] = 2

    def value(self, F: np.ndarray, Y: np.ndarray) -> float:
        F, Y = _as_arrays(F, Y)
        return float(np.sum((F - Y) ** 2))

    def gradient(self, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
        F, Y = _as_arrays(F, Y)
        return 2.0 * (F - Y)

    def conjugate(self, mu: np.ndarray, Y: np.ndarray) -> float:
        mu, Y = _as_arrays(mu, Y)
        return float(np.sum(mu * Y) + 0.25 * np.sum(mu ** 2))

    def cvx_value(self, F: cp.Expression, Y: cp.Parameter | np.ndarray) -> cp.Expression:
        return cp.sum_squares(F - Y)

    def cvx_neg_conjugate(self, mu: cp.Expression, Y: cp.Parameter | np.ndarray
                          ) -> tuple[cp.Expression, Constraints]:
        return -_inner(mu, Y) - 0.25 * cp.sum_squares(mu), []


@dataclass(frozen=True)
class Absolute(Loss):
    """``ℓ(F, Y) = Σ |F - Y|``; ``ℓ*(μ) = <μ, Y>`` on ``|μ| <= 1`` (entrywise)."""

    name: ClassVar[str] = "absolute"
    degree: ClassVar[int | None] = 1

    def value(self, F: np.ndarray, Y: np.ndarray) -> float:
        F, Y = _as_arrays(F, Y)
        return float(np.sum(np.abs(F - Y)))

    def gradient(self, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
        F, Y = _as_arrays(F, Y)
        return np.sign(F - Y)

    def conjugate(self, mu: np.ndarray, Y: np.ndarray) -> float:
        mu, Y = _as_arrays(mu, Y)
        if np.any(np.abs(mu) > 1.0):
            return float("inf")
        return float(np.sum(mu * Y))

    def to_domain(self, mu: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(mu, dtype=np.float64), -1.0, 1.0)

    def cvx_value(self, F: cp.Expression, Y: cp.Parameter | np.ndarray) -> cp.Expression:
        return cp.sum(cp.abs(F - Y))

    def cvx_neg_conjugate(self, mu: cp.Expression, Y: cp.Parameter | np.ndarray
                          ) -> tuple[cp.Expression, Constraints]:
        return -_inner(mu, Y), [cp.abs(mu) <= 1.0]


@dataclass(frozen=True)
class Huber(Loss):
    """``ℓ(F, Y) = Σ h_δ(F - Y)`` with ``h_δ(r) = r^2 / 2`` for ``|r| <= δ`` and
    ``δ |r| - δ^2 / 2`` beyond (``cp.huber(r, δ) / 2``); ``ℓ*(μ) = <μ, Y> + ||μ||^2 / 2`` on
    ``|μ| <= δ``.

    Parameters
    ----------
    delta : float
        Threshold ``δ > 0`` between the quadratic and the linear part (default 1).
    """

    name: ClassVar[str] = "huber"
    degree: ClassVar[int | None] = 2
    delta: float = 1.0

    def __post_init__(self) -> None:
        delta = self.delta
        if isinstance(delta, bool) or not isinstance(delta, int | float | np.floating) or not (
                np.isfinite(delta) and delta > 0):
            raise ParameterError(f"huber loss needs a finite delta > 0; got {delta!r}.")
        object.__setattr__(self, "delta", float(delta))

    def rescaled(self, scale: float) -> Loss:
        # h_δ(s r) = s^2 h_{δ/s}(r)
        return Huber(delta=self.delta / scale)

    def value(self, F: np.ndarray, Y: np.ndarray) -> float:
        F, Y = _as_arrays(F, Y)
        r = np.abs(F - Y)
        d = self.delta
        return float(np.sum(np.where(r <= d, 0.5 * r ** 2, d * r - 0.5 * d ** 2)))

    def gradient(self, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
        F, Y = _as_arrays(F, Y)
        return np.clip(F - Y, -self.delta, self.delta)

    def conjugate(self, mu: np.ndarray, Y: np.ndarray) -> float:
        mu, Y = _as_arrays(mu, Y)
        if np.any(np.abs(mu) > self.delta):
            return float("inf")
        return float(np.sum(mu * Y) + 0.5 * np.sum(mu ** 2))

    def to_domain(self, mu: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(mu, dtype=np.float64), -self.delta, self.delta)

    def cvx_value(self, F: cp.Expression, Y: cp.Parameter | np.ndarray) -> cp.Expression:
        return 0.5 * cp.sum(cp.huber(F - Y, self.delta))

    def cvx_neg_conjugate(self, mu: cp.Expression, Y: cp.Parameter | np.ndarray
                          ) -> tuple[cp.Expression, Constraints]:
        return -_inner(mu, Y) - 0.5 * cp.sum_squares(mu), [cp.abs(mu) <= self.delta]

    def __str__(self) -> str:
        return f"huber(delta={self.delta:g})"


@dataclass(frozen=True)
class Logistic(Loss):
    """``ℓ(F, Y) = Σ log(1 + exp(-Y F))`` with labels ``Y ∈ {-1, +1}``;
    ``ℓ*(μ) = Σ t log t + (1 - t) log(1 - t)`` with ``t = -Y μ ∈ [0, 1]`` (``0 log 0 = 0``)."""

    name: ClassVar[str] = "logistic"

    def check_labels(self, Y: np.ndarray) -> None:
        _check_signs(self.name, Y)

    def value(self, F: np.ndarray, Y: np.ndarray) -> float:
        F, Y = _as_arrays(F, Y)
        return float(np.sum(np.logaddexp(0.0, -Y * F)))

    def gradient(self, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
        F, Y = _as_arrays(F, Y)
        return -Y * expit(-Y * F)

    def conjugate(self, mu: np.ndarray, Y: np.ndarray) -> float:
        mu, Y = _as_arrays(mu, Y)
        t = -Y * mu
        if np.any(t < 0.0) or np.any(t > 1.0):
            return float("inf")
        return float(np.sum(xlogy(t, t) + xlogy(1.0 - t, 1.0 - t)))

    def to_domain(self, mu: np.ndarray, Y: np.ndarray) -> np.ndarray:
        mu, Y = _as_arrays(mu, Y)
        return -Y * np.clip(-Y * mu, 0.0, 1.0)

    def cvx_value(self, F: cp.Expression, Y: cp.Parameter | np.ndarray) -> cp.Expression:
        return cp.sum(cp.logistic(-cp.multiply(Y, F)))

    def cvx_neg_conjugate(self, mu: cp.Expression, Y: cp.Parameter | np.ndarray
                          ) -> tuple[cp.Expression, Constraints]:
        # t = -Y μ; entr's domain (t >= 0, 1 - t >= 0) is the conjugate's domain.
        t = -cp.multiply(Y, mu)
        return cp.sum(cp.entr(t) + cp.entr(1.0 - t)), []


@dataclass(frozen=True)
class Hinge(Loss):
    """``ℓ(F, Y) = Σ max(0, 1 - Y F)`` with labels ``Y ∈ {-1, +1}``; ``ℓ*(μ) = Σ Y μ`` on
    ``Y μ ∈ [-1, 0]`` (entrywise)."""

    name: ClassVar[str] = "hinge"

    def check_labels(self, Y: np.ndarray) -> None:
        _check_signs(self.name, Y)

    def value(self, F: np.ndarray, Y: np.ndarray) -> float:
        F, Y = _as_arrays(F, Y)
        return float(np.sum(np.maximum(0.0, 1.0 - Y * F)))

    def gradient(self, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
        F, Y = _as_arrays(F, Y)
        return np.where(Y * F < 1.0, -Y, 0.0)

    def conjugate(self, mu: np.ndarray, Y: np.ndarray) -> float:
        mu, Y = _as_arrays(mu, Y)
        t = Y * mu
        if np.any(t < -1.0) or np.any(t > 0.0):
            return float("inf")
        return float(np.sum(t))

    def to_domain(self, mu: np.ndarray, Y: np.ndarray) -> np.ndarray:
        mu, Y = _as_arrays(mu, Y)
        return Y * np.clip(Y * mu, -1.0, 0.0)

    def cvx_value(self, F: cp.Expression, Y: cp.Parameter | np.ndarray) -> cp.Expression:
        return cp.sum(cp.pos(1.0 - cp.multiply(Y, F)))

    def cvx_neg_conjugate(self, mu: cp.Expression, Y: cp.Parameter | np.ndarray
                          ) -> tuple[cp.Expression, Constraints]:
        t = cp.multiply(Y, mu)
        return -cp.sum(t), [t >= -1.0, t <= 0.0]


@dataclass(frozen=True)
class CrossEntropy(Loss):
    """Softmax cross-entropy ``ℓ(F, Y) = Σ_i logsumexp(F_i) - <Y_i, F_i>`` for vector outputs
    ``F`` of shape ``(n, k)``, ``k >= 2``, and one-hot label rows ``Y_i``;
    ``ℓ*(μ) = Σ_ij P_ij log P_ij`` with ``P = μ + Y`` whose rows lie in the probability simplex
    (``P >= 0``, rows summing to 1)."""

    name: ClassVar[str] = "cross-entropy"

    def check_labels(self, Y: np.ndarray) -> None:
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim != 2:
            raise DataError(f"cross-entropy loss needs one-hot labels of shape (n, k) (a vector "
                            f"output); got shape {Y.shape}: for integer classes c use "
                            f"Y = np.eye(k)[c]; for two classes the logistic loss takes "
                            f"labels in {{-1, +1}}.")
        if Y.shape[1] < 2:
            raise DataError(f"cross-entropy loss needs k >= 2 classes; got Y of shape {Y.shape}: "
                            f"use one column per class.")
        if not np.all((Y == 0.0) | (Y == 1.0)):
            problem = "entries other than 0 and 1"
        else:
            rows = np.flatnonzero(Y.sum(axis=1) != 1.0)
            if not rows.size:
                return
            problem = f"rows {rows[:5].tolist()} without exactly one 1"
        raise DataError(f"cross-entropy loss needs one-hot label rows (one 1, zeros elsewhere); "
                        f"Y has {problem}: for integer classes c use Y = np.eye(k)[c].")

    def value(self, F: np.ndarray, Y: np.ndarray) -> float:
        F, Y = _as_arrays(F, Y)
        return float(np.sum(logsumexp(F, axis=-1)) - np.sum(Y * F))

    def gradient(self, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
        F, Y = _as_arrays(F, Y)
        shifted = np.exp(F - F.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True) - Y

    def conjugate(self, mu: np.ndarray, Y: np.ndarray) -> float:
        mu, Y = _as_arrays(mu, Y)
        P = mu + Y
        scale = max(1.0, float(np.abs(mu).max(initial=0.0)))
        if np.any(P < 0.0) or np.any(np.abs(P.sum(axis=-1) - 1.0) > 1e-12 * scale):
            return float("inf")
        return float(np.sum(xlogy(P, P)))

    def to_domain(self, mu: np.ndarray, Y: np.ndarray) -> np.ndarray:
        mu, Y = _as_arrays(mu, Y)
        P = np.maximum(mu + Y, 0.0)
        total = P.sum(axis=-1, keepdims=True)
        # A row with no mass left cannot be renormalized: its label row is in the simplex.
        P = np.where(total > 0, P / np.where(total > 0, total, 1.0), Y)
        return P - Y

    def cvx_value(self, F: cp.Expression, Y: cp.Parameter | np.ndarray) -> cp.Expression:
        return cp.sum(cp.log_sum_exp(F, axis=1)) - _inner(Y, F)

    def cvx_neg_conjugate(self, mu: cp.Expression, Y: cp.Parameter | np.ndarray
                          ) -> tuple[cp.Expression, Constraints]:
        P = mu + Y
        return cp.sum(cp.entr(P)), [cp.sum(mu, axis=1) == 0]


#: Loss classes by registry name.
LOSS_CLASSES: dict[str, Callable[..., Loss]] = {
    "squared": Squared,
    "absolute": Absolute,
    "huber": Huber,
    "logistic": Logistic,
    "hinge": Hinge,
    "cross-entropy": CrossEntropy,
}


def get_loss(loss: str | Loss, **params: object) -> Loss:
    """The loss named ``loss`` with parameters ``params`` (a :class:`Loss` passes through).

    Parameters
    ----------
    loss : str or Loss
        One of ``"squared"``, ``"absolute"``, ``"huber"``, ``"logistic"``, ``"hinge"``,
        ``"cross-entropy"``.
    **params
        ``delta`` for ``"huber"``; the other losses take none.

    Raises
    ------
    ParameterError
        Unknown name or parameter.
    """
    if isinstance(loss, Loss):
        if params:
            raise ParameterError(f"get_loss got a {loss.name} loss object and parameters "
                                 f"{sorted(params)}; pass the name with the parameters instead.")
        return loss
    if not isinstance(loss, str) or loss not in LOSS_CLASSES:
        raise ParameterError(f"unknown loss {loss!r}; choose one of "
                             f"{', '.join(repr(name) for name in LOSS_CLASSES)}.")
    try:
        return LOSS_CLASSES[loss](**params)
    except TypeError:
        allowed = "delta" if loss == "huber" else "no parameters"
        raise ParameterError(f"loss {loss!r} takes {allowed}; got {sorted(params)}.") from None
