"""Builders of the paper's convex programs, one module per theorem family.

Builders only build: each returns a :class:`~cvxdual.program.Program` and never solves it.
"""

from cvxdual.families import deep_linear, linear, relu

__all__ = ["deep_linear", "linear", "relu"]
