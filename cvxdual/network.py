"""Feed-forward networks as plain arrays, with the paper's training objectives.

A :class:`Network` is what the extractors return and what certificates are about. Its objective
is always recomputed from its own weights, never taken from a solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cvxdual.data import as_dataset
from cvxdual.errors import DataError, ParameterError
from cvxdual.validation import check_beta

__all__ = ["Network"]

Activation = Literal["linear", "relu"]


@dataclass(frozen=True, eq=False)
class Network:
    """An ``L``-layer network ``f(X) = A_{L-1} W_L + intercept`` with
    ``A_l = g(A_{l-1} W_l + 1 b_l^T)`` and ``A_0 = X`` (paper §1.3).

    Attributes
    ----------
    weights : tuple of ndarray
        ``W_l`` of shape ``(m_{l-1}, m_l)`` for the hidden layers (``m_0 = d``); the last of
        shape ``(m_{L-1},)`` (scalar output) or ``(m_{L-1}, k)`` (vector output).
    biases : tuple of (ndarray or None)
        One entry per hidden layer, shape ``(m_l,)`` or ``None``. Not regularized.
    intercept : float or ndarray
        Unregularized output bias: a float, or shape ``(k,)`` for vector outputs; ``0`` if absent.
    activation : {"linear", "relu"}
        The hidden-layer activation ``g``.
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray | None, ...] = ()
    intercept: float | np.ndarray = 0.0
    activation: Activation = "linear"

    def __init__(self, weights: Sequence[Any], biases: Sequence[Any] | None = None,
                 intercept: float | np.ndarray = 0.0, activation: Activation = "linear"):
        if activation not in ("linear", "relu"):
            raise ParameterError(f"activation must be 'linear' or 'relu'; got {activation!r}.")
        if isinstance(weights, np.ndarray) or len(weights) < 2:
            raise ParameterError("weights must be a list of at least two arrays (a hidden layer "
                                 "and the output layer).")
        layers = [self._as_weight(w, i) for i, w in enumerate(weights)]
        for i, w in enumerate(layers[:-1]):
            if w.ndim != 2:
                raise ParameterError(f"hidden weight W_{i + 1} must be 2-D (m_{i}, m_{i + 1}); "
                                     f"got shape {w.shape}.")
        if layers[-1].ndim not in (1, 2):
            raise ParameterError(f"output weight W_{len(layers)} must have shape (m,) or (m, k); "
                                 f"got shape {layers[-1].shape}.")
        for i in range(1, len(layers)):
            if layers[i].shape[0] != layers[i - 1].shape[1]:
                raise ParameterError(
                    f"W_{i} has {layers[i - 1].shape[1]} columns but W_{i + 1} has "
                    f"{layers[i].shape[0]} rows (shapes {layers[i - 1].shape} and "
                    f"{layers[i].shape}); consecutive layers must chain.")
        hidden = len(layers) - 1
        if biases is None:
            bias_list: list[np.ndarray | None] = [None] * hidden
        else:
            if len(biases) != hidden:
                raise ParameterError(f"biases needs one entry per hidden layer ({hidden}); got "
                                     f"{len(biases)}.")
            bias_list = []
            for i, b in enumerate(biases):
                if b is None:
                    bias_list.append(None)
                    continue
                arr = self._as_weight(b, i, what="bias")
                if arr.shape != (layers[i].shape[1],):
                    raise ParameterError(f"bias of hidden layer {i + 1} must have shape "
                                         f"({layers[i].shape[1]},); got {arr.shape}.")
                bias_list.append(arr)
        out = np.asarray(intercept, dtype=np.float64)
        k = layers[-1].shape[1] if layers[-1].ndim == 2 else None
        if not np.all(np.isfinite(out)) or (out.ndim == 1 and out.shape != (k,)) or out.ndim > 1:
            raise ParameterError(f"intercept must be a finite number or an array of shape (k,); "
                                 f"got {intercept!r}.")
        object.__setattr__(self, "weights", tuple(layers))
        object.__setattr__(self, "biases", tuple(bias_list))
        object.__setattr__(self, "intercept", float(out) if out.ndim == 0 else out)
        object.__setattr__(self, "activation", activation)

    @staticmethod
    def _as_weight(value: Any, index: int, what: str = "weight") -> np.ndarray:
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ParameterError(f"{what} {index + 1} is not a real numeric array.") from None
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"{what} {index + 1} has NaN or infinite entries.")
        arr.setflags(write=False)
        return arr

    # --- shape ---------------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """Number of weight layers ``L``."""
        return len(self.weights)

    @property
    def widths(self) -> tuple[int, ...]:
        """Hidden widths ``(m_1, ..., m_{L-1})``."""
        return tuple(int(w.shape[1]) for w in self.weights[:-1])

    @property
    def input_dim(self) -> int:
        return int(self.weights[0].shape[0])

    @property
    def vector_output(self) -> bool:
        return self.weights[-1].ndim == 2

    @property
    def neurons(self) -> np.ndarray:
        """First-layer neurons scaled to unit norm, shape ``(d, m_1)`` (zero columns stay 0)."""
        W1 = self.weights[0]
        norms = np.linalg.norm(W1, axis=0)
        return W1 / np.where(norms > 0, norms, 1.0)

    # --- evaluation ----------------------------------------------------------------------------
    def forward(self, X: Any) -> np.ndarray:
        """Network output ``f(X)``, shape ``(n,)`` or ``(n, k)``."""
        A = np.asarray(X, dtype=np.float64)
        if A.ndim != 2 or A.shape[1] != self.input_dim:
            raise DataError(f"X must have shape (n, {self.input_dim}) for this network; got "
                            f"{A.shape}.")
        for W, b in zip(self.weights[:-1], self.biases, strict=True):
            A = A @ W
            if b is not None:
                A = A + b
            if self.activation == "relu":
                A = np.maximum(A, 0.0)
        return A @ self.weights[-1] + self.intercept

    def regularizer(self) -> float:
        """``Σ_l ||W_l||_F^2`` (biases and intercept are not regularized)."""
        return float(sum(np.sum(W * W) for W in self.weights))

    def fit_error(self, X: Any, Y: Any) -> float:
        """Squared error ``||f(X) - Y||_F^2``."""
        data = as_dataset(X, Y)
        self._check_output(data.vector_output, data.k)
        return float(np.sum((self.forward(data.X) - data.targets) ** 2))

    def interpolation_residual(self, X: Any, Y: Any) -> float:
        """Relative residual ``||f(X) - Y||_F / max(||Y||_F, 1)`` of the constraint of (2)."""
        data = as_dataset(X, Y)
        return float(np.sqrt(self.fit_error(data.X, data.targets))) / max(
            float(np.linalg.norm(data.Y)), 1.0)

    def objective(self, X: Any, Y: Any, beta: float | None = None, loss: Any = None) -> float:
        """The training objective recomputed from the weights.

        ``beta=None``: the minimum-norm objective (2), ``Σ_l ||W_l||_F^2`` (check feasibility
        separately with :meth:`interpolation_residual`). ``beta > 0``: the regularized
        objective (1), ``||f(X) - Y||_F^2 + β Σ_l ||W_l||_F^2``; with ``loss`` (a name or a
        :class:`cvxdual.losses.Loss`, Theorem A.1) ``ℓ(f(X), Y)`` replaces the squared error.
        """
        value = check_beta(beta)
        if loss is not None:
            from cvxdual.losses import get_loss

            chosen = get_loss(loss)
            if chosen.name != "squared":
                if value is None:
                    raise ParameterError(f"the {chosen.name} loss enters the regularized "
                                         f"problem (1) only: pass beta > 0.")
                data = as_dataset(X, Y)
                self._check_output(data.vector_output, data.k)
                chosen.check_labels(data.targets)
                return (chosen.value(self.forward(data.X), data.targets)
                        + value * self.regularizer())
        if value is None:
            return self.regularizer()
        return self.fit_error(X, Y) + value * self.regularizer()

    def _check_output(self, vector_output: bool, k: int) -> None:
        mine = self.weights[-1].shape[1] if self.vector_output else None
        theirs = k if vector_output else None
        if mine != theirs:
            def shape(k: int | None) -> str:
                return "(n,)" if k is None else f"(n, {k})"

            raise DataError(f"the network's output has shape {shape(mine)} but Y has shape "
                            f"{shape(theirs)}; pass 1-D targets for a scalar-output network.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (arrays as nested lists)."""
        return {
            "activation": self.activation,
            "weights": [W.tolist() for W in self.weights],
            "biases": [None if b is None else b.tolist() for b in self.biases],
            "intercept": (self.intercept if isinstance(self.intercept, float)
                          else self.intercept.tolist()),
        }

    def __repr__(self) -> str:
        shapes = ", ".join(str(W.shape) for W in self.weights)
        return f"Network({self.activation}, weights: {shapes})"
