"""Checks of the scalar options shared by every entry point: ``beta``, ``family``, ``depth``,
``loss`` and neuron dictionaries.

Array data (``X``, ``Y``) is validated in :mod:`cvxdual.data`; this module covers everything else,
so that the builders, :func:`cvxdual.certify` and the command-line tool reject bad options with
the same messages.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from cvxdual.errors import ParameterError, UnsupportedError

__all__ = [
    "FAMILIES",
    "AVAILABLE_FAMILIES",
    "LOSSES",
    "AVAILABLE_LOSSES",
    "check_beta",
    "check_family",
    "check_depth",
    "check_loss",
    "check_neurons",
]

#: Every network family the paper treats (§2, §3, §4).
FAMILIES = ("linear", "deep-linear", "relu")
#: Families this version certifies.
AVAILABLE_FAMILIES = ("linear", "deep-linear", "relu")
#: Convex losses of Theorem A.1 that cvxdual knows by name.
LOSSES = ("squared", "absolute", "huber", "logistic", "hinge", "cross-entropy")
#: Losses this version certifies.
AVAILABLE_LOSSES = ("squared", "absolute", "huber", "logistic", "hinge", "cross-entropy")


def check_beta(beta: object) -> float | None:
    """Return ``beta`` as a float, or ``None`` for the minimum-norm problem (2).

    Raises
    ------
    ParameterError
        If ``beta`` is not a finite positive real number (booleans are rejected too).
    """
    if beta is None:
        return None
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real | np.ndarray):
        raise ParameterError(f"beta must be a positive number or None (minimum-norm problem); "
                             f"got {beta!r} of type {type(beta).__name__}.")
    if isinstance(beta, np.ndarray):
        if beta.shape != () or beta.dtype.kind not in "iuf":
            raise ParameterError(f"beta must be a positive scalar; got an array of shape "
                                 f"{beta.shape} and dtype {beta.dtype}.")
    value = float(beta)
    if math.isnan(value) or math.isinf(value):
        raise ParameterError(f"beta must be finite; got {value}.")
    if value <= 0.0:
        raise ParameterError(f"beta must be > 0 for the regularized problem (1); got {value}. "
                             f"Use beta=None for the minimum-norm problem (2).")
    return value


def _check_choice(value: object, what: str, known: tuple[str, ...],
                  available: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in known:
        raise ParameterError(f"unknown {what} {value!r}; choose one of "
                             f"{', '.join(repr(x) for x in known)}.")
    if value not in available:
        raise UnsupportedError(f"{what} {value!r} is not available in this version of cvxdual; "
                               f"available: {', '.join(repr(x) for x in available)}.")
    return value


def check_family(family: object) -> str:
    """Return the family name, raising a clear error for unknown or unavailable families."""
    return _check_choice(family, "family", FAMILIES, AVAILABLE_FAMILIES)


def check_depth(depth: object, family: str) -> int:
    """Return the network depth ``L`` (number of weight layers) for ``family``."""
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral):
        raise ParameterError(f"depth must be an integer >= 2 (number of weight layers); got "
                             f"{depth!r}.")
    value = int(depth)
    if value < 2:
        raise ParameterError(f"depth must be >= 2 (number of weight layers); got {value}.")
    if family == "linear" and value != 2:
        raise ParameterError(f"family 'linear' is the two-layer network of §2, so depth must be "
                             f"2; got {value}. Use family='deep-linear' for deeper networks.")
    return value


def check_loss(loss: object) -> str:
    """Return the loss name, raising a clear error for unknown or unavailable losses."""
    return _check_choice(loss, "loss", LOSSES, AVAILABLE_LOSSES)


def check_neurons(neurons: object, d: int) -> np.ndarray:
    """Validate a finite neuron dictionary and scale its columns to unit norm.

    Lemma 2.1 lets every hidden neuron be taken on the unit sphere; the ℓ1 forms (4) and (11)
    assume it, so a column's length is not a free choice.

    Parameters
    ----------
    neurons : array_like, shape (d, m) or (d,)
        One candidate neuron per column (a 1-D array is one neuron).
    d : int
        Input dimension of the data.

    Returns
    -------
    ndarray, shape (d, m)
        Unit-norm columns.
    """
    try:
        W = np.array(neurons, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError("neurons must be a real array of shape (d, m), one neuron per "
                             "column.") from None
    if W.ndim == 1:
        W = W[:, None]
    if W.ndim != 2 or W.shape[0] != d:
        raise ParameterError(f"neurons must have shape (d, m) = ({d}, m), one neuron per column; "
                             f"got shape {W.shape}.")
    if W.shape[1] == 0:
        raise ParameterError("neurons is empty; pass at least one neuron (one column).")
    if not np.all(np.isfinite(W)):
        raise ParameterError("neurons has NaN or infinite entries.")
    norms = np.linalg.norm(W, axis=0)
    if np.any(norms == 0.0):
        raise ParameterError(f"neuron columns {np.flatnonzero(norms == 0.0).tolist()} are zero; "
                             f"every neuron needs a direction.")
    return W / norms
