"""Programs (what a builder returns) and solutions (what a solver returns).

A :class:`Program` wraps a ``cvxpy.Problem`` with the names of its variables, constraints and
parameters, the paper equation it implements, and the map from its optimal value to the value of
the *training* objective (1) or (2). The map matters: the paper's rescaled forms (Lemmas 2.1–2.3)
share minimizers with the training problem, not optimal values (``min ||W1||_F^2 + ||w2||^2 =
2 min ||w2||_1``), and some dual forms drop additive constants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import cvxpy as cp
import numpy as np

from cvxdual.data import Dataset
from cvxdual.errors import ParameterError
from cvxdual.validation import check_beta

__all__ = ["Program", "Solution"]

Relation = Literal["exact", "upper", "lower"]


@dataclass(frozen=True, eq=False)
class Program:
    """A convex program of the paper, ready to solve.

    Attributes
    ----------
    problem : cvxpy.Problem
        The program itself. ``X`` enters as a constant; targets and ``beta`` are parameters.
    variables, constraints, parameters : Mapping[str, ...]
        The program's named pieces (e.g. ``variables["lam"]`` for the paper's ``λ``).
    name : str
        Short identifier of the form, e.g. ``"min_norm_dual"``.
    reference : str
        Where it comes from in the paper, e.g. ``"(5)/(6), Theorem 2.1"``.
    kind : {"primal", "dual"}
        Whether the program is a (convex) primal or a dual form.
    relation : {"exact", "upper", "lower"}
        ``"exact"`` when the mapped optimal value equals the global optimum of the training
        problem (strong duality, Theorems 2.2–2.4); ``"upper"`` when it only bounds it from above
        (programs restricted to a finite neuron dictionary, or to one layer norm ``t``);
        ``"lower"`` for relaxations (the multi-path problem (25) with vector outputs).
    to_training : Callable[[float], float]
        Maps the program's optimal value to the training objective, reading the current
        parameter values (so it stays right after ``parameters[...].value`` changes).
    data : Dataset
        The data the program was built on.
    note : str
        What a reader should know about the form (value mapping, sign conventions).
    refresh : callable, optional
        Recomputes derived parameters after :meth:`set` (e.g. ``β t^{-(L-2)}`` from ``β``
        and ``t`` in the deep-linear programs).
    """

    problem: cp.Problem
    variables: Mapping[str, cp.Variable]
    constraints: Mapping[str, cp.Constraint]
    parameters: Mapping[str, cp.Parameter]
    name: str
    reference: str
    kind: Literal["primal", "dual"]
    relation: Relation
    to_training: Callable[[float], float]
    data: Dataset
    note: str = ""
    refresh: Callable[[], None] | None = None

    def set(self, name: str, value: object) -> None:
        """Set a parameter in place and update the parameters derived from it (DPP: the next
        solve reuses the compiled program)."""
        if name not in self.parameters:
            raise ParameterError(f"{self.name} has no parameter {name!r}; it has "
                                 f"{', '.join(sorted(self.parameters))}.")
        self.parameters[name].value = value
        if self.refresh is not None:
            self.refresh()

    def set_beta(self, beta: float) -> None:
        """Change the regularization weight in place (DPP: the next solve reuses the
        compiled program)."""
        if "beta" not in self.parameters:
            raise ParameterError(f"{self.name} has no beta parameter (it is a minimum-norm "
                                 f"form); build the regularized form to vary beta.")
        value = check_beta(beta)
        if value is None:
            raise ParameterError("beta=None is the minimum-norm problem; build that program "
                                 "instead of setting beta to None.")
        self.set("beta", value)

    def __repr__(self) -> str:
        return (f"Program({self.name!r}, {self.kind}, {self.reference!r}, "
                f"n={self.data.n}, d={self.data.d}, k={self.data.k})")


@dataclass(frozen=True, eq=False)
class Solution:
    """The outcome of solving a :class:`Program`.

    Attributes
    ----------
    program : Program
    status : str
        CVXPY's status string (``"optimal"``, ``"optimal_inaccurate"``, ...).
    solver : str
        The solver that produced it.
    value : float
        The program's optimal value as reported by the solver.
    training_value : float
        ``program.to_training(value)``.
    variables : dict[str, ndarray]
        Values of the program's named variables.
    duals : dict[str, ndarray]
        CVXPY's dual values of the named constraints (note CVXPY's sign: the dual of
        ``X @ v == y`` is ``-λ`` for the paper's ``λ``).
    seconds : float
        Wall-clock time of compilation plus solve.
    """

    program: Program
    status: str
    solver: str
    value: float
    training_value: float
    variables: dict[str, np.ndarray]
    duals: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def accurate(self) -> bool:
        """True only for CVXPY's ``optimal`` status (``optimal_inaccurate`` is not trusted)."""
        return self.status == cp.OPTIMAL

    def __repr__(self) -> str:
        return (f"Solution({self.program.name!r}, status={self.status!r}, "
                f"training_value={self.training_value:.10g}, solver={self.solver!r}, "
                f"seconds={self.seconds:.3f})")
