"""Exceptions raised by cvxdual.

Every error a user can trigger is a :class:`CvxdualError`. Messages say what was wrong and what to
do about it, so that callers (and the command-line tool) can show them verbatim. The subclasses
also derive from the closest built-in exception, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "CvxdualError",
    "DataError",
    "ParameterError",
    "InfeasibleError",
    "SolverError",
    "UnsupportedError",
    "DataFileError",
]


class CvxdualError(Exception):
    """Base class of every error raised on purpose by cvxdual."""


class DataError(CvxdualError, ValueError):
    """The arrays ``X`` or ``Y`` are malformed (shape, dtype, non-finite values, empty)."""


class ParameterError(CvxdualError, ValueError):
    """A parameter (``beta``, ``depth``, ``family``, ``loss``, neurons, tolerances) is invalid."""


class InfeasibleError(CvxdualError, ValueError):
    """The requested training problem has no feasible point (e.g. ``Y`` outside the range of ``X``
    for a minimum-norm problem)."""


class SolverError(CvxdualError, RuntimeError):
    """A numerical solver failed or returned no usable solution."""


class UnsupportedError(CvxdualError, ValueError):
    """The request is well formed but this version of cvxdual does not handle it."""


class DataFileError(CvxdualError, OSError):
    """A data file is missing, unreadable, or lacks the arrays ``X`` and ``Y``."""
