"""Solving :class:`~cvxdual.program.Program` objects with a conic solver.

CVXPY's default choice is not good enough here: version 1.9 sends ℓ1-plus-squared-loss programs
(a QP) to OSQP, far less accurate than an interior-point method. cvxdual therefore always names
the solver, Clarabel by default. Statuses CVXPY calls "inaccurate" still come with values; they
are kept but marked (``Solution.accurate`` is False) and never certify.

When Clarabel raises, returns no solution or returns non-finite values, :func:`solve` falls back
to SCS (installed with CVXPY). SCS is a first-order method, far less accurate than the
tolerances of a certificate, so a fallback solution carries the status
``"<SCS status> (SCS fallback: <why Clarabel failed>)"`` and ``solver="SCS"``: its values are
valid material for the bounds recomputed in NumPy, but the status is not ``"optimal"``, so it
never certifies, and the certificate's ``reasons`` quote the status.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import warnings

import cvxpy as cp
import numpy as np

from cvxdual.errors import InfeasibleError, ParameterError, SolverError
from cvxdual.program import Program, Solution

__all__ = ["DEFAULT_SOLVER", "CLARABEL_DEFAULTS", "FALLBACK_SOLVER", "FALLBACK_OPTIONS", "solve",
           "check_solver"]

DEFAULT_SOLVER = "CLARABEL"

#: Clarabel settings cvxdual uses unless the caller passes its own. Clarabel's default duality
#: gap tolerance (1e-8, relative to max(1, |objective|)) acts as an absolute one on problems
#: whose optimal value is well below 1 (a good fit with a small β), leaving primal and dual
#: values 2e-5 apart on such instances; with these settings they agree to ~3e-7. When Clarabel
#: cannot reach them (it reports "optimal_inaccurate", seen at large β), :func:`solve` solves
#: again with Clarabel's own defaults.
CLARABEL_DEFAULTS: dict[str, float] = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-10}

_SOLUTION_PRESENT = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT)
_INFEASIBLE = (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE)
_UNBOUNDED = (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE)

#: The solver tried when Clarabel fails, and its settings (SCS's defaults, 1e-4, are far too
#: loose to give useful bounds; tighter ones cost little on the sizes where Clarabel fails).
FALLBACK_SOLVER = "SCS"
FALLBACK_OPTIONS: dict[str, float | int] = {"eps_abs": 1e-9, "eps_rel": 1e-9,
                                            "max_iters": 100_000}


@functools.lru_cache(maxsize=1)
def _installed_solvers() -> tuple[str, ...]:
    # CVXPY retries every solver import on each call (~8 ms), more than a whole fast-path
    # certificate takes; what is installed does not change while the process runs.
    return tuple(cp.installed_solvers())


def check_solver(solver: str | None) -> str:
    """Return an installed CVXPY solver name (``DEFAULT_SOLVER`` when ``solver`` is None)."""
    name = DEFAULT_SOLVER if solver is None else solver
    if not isinstance(name, str):
        raise ParameterError(f"solver must be a CVXPY solver name such as 'CLARABEL'; got "
                             f"{solver!r}.")
    installed = _installed_solvers()
    if name.upper() not in installed:
        raise ParameterError(f"solver {name!r} is not installed; installed solvers: "
                             f"{', '.join(installed)}.")
    return name.upper()


def solve(program: Program, solver: str | None = None, *, fallback: bool = True,
          **options: object) -> Solution:
    """Solve a program and collect its named variables and dual values.

    Parameters
    ----------
    program : Program
    solver : str, optional
        CVXPY solver name; Clarabel when omitted.
    fallback : bool
        Try SCS when Clarabel fails (default). Pass False where a failure is handled by the
        caller and an SCS solution, which never certifies, would only cost time.
    **options
        Passed to ``cvxpy.Problem.solve`` (solver tolerances, ``verbose``, ...); for Clarabel
        they override :data:`CLARABEL_DEFAULTS`.

    Returns
    -------
    Solution
        Also for inaccurate statuses (then ``Solution.accurate`` is False).

    Raises
    ------
    InfeasibleError
        The solver proves the program infeasible (a primal) or unbounded (a dual, whose primal
        is then infeasible).
    SolverError
        The solver fails or returns no solution (for Clarabel: and the SCS fallback too).
    """
    name = check_solver(solver)
    try:
        return _solve_with(program, name, options)
    except SolverError as exc:
        if not fallback or name != "CLARABEL" or FALLBACK_SOLVER not in _installed_solvers():
            raise
        failure, brief = str(exc), getattr(exc, "brief", f"{name} failed")
    try:
        solution = _solve_with(program, FALLBACK_SOLVER, {**FALLBACK_OPTIONS, "verbose": False})
    except SolverError as exc:
        raise SolverError(f"{failure} The fallback solver {FALLBACK_SOLVER} failed too: "
                          f"{exc}") from None
    return dataclasses.replace(
        solution, status=f"{solution.status} ({FALLBACK_SOLVER} fallback: {brief})")


def _failure(message: str, brief: str) -> SolverError:
    """A :class:`SolverError` with a short ``brief`` for the fallback's status note."""
    error = SolverError(message)
    error.brief = brief  # type: ignore[attr-defined]
    return error


def _solve_with(program: Program, name: str, options: dict[str, object]) -> Solution:
    """One solver's attempts (Clarabel: tight tolerances, then its defaults); see :func:`solve`.
    """
    # CVXPY warm-starts Clarabel from the previous solve of the same problem, which turned
    # accurate solves into "optimal_inaccurate" ones in our tests: start cold unless asked.
    options = {"warm_start": False, **options}
    attempts = [dict(options)]
    if name == "CLARABEL":
        # Tight gap tolerances first; if Clarabel cannot reach them, its own defaults.
        attempts.insert(0, {**CLARABEL_DEFAULTS, **options})
    start = time.perf_counter()
    for index, settings in enumerate(attempts):
        last = index == len(attempts) - 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore" if not last else "default")
                program.problem.solve(solver=name, **settings)
        except cp.error.SolverError as exc:
            if last:
                raise _failure(f"solver {name} failed on {program.name} "
                               f"{program.reference}: {exc}. Try another solver "
                               f"(solver='SCS') or rescale the data.",
                               f"{name} raised an error") from None
            continue
        if program.problem.status == cp.OPTIMAL:
            break
    seconds = time.perf_counter() - start
    status = program.problem.status
    if status in _INFEASIBLE or status in _UNBOUNDED:
        side = "infeasible" if status in _INFEASIBLE else "unbounded"
        if "beta" in program.parameters:
            # A regularized problem (1) is always feasible: the verdict is the solver's trouble.
            hint = ("the regularized problem (1) is always feasible, so this is numerical "
                    "trouble: try another solver (solver='SCS') or rescale the data")
        else:
            hint = ("Y may not be reachable by the network (minimum-norm problems need exact "
                    "interpolation): pass beta > 0 for the regularized problem (1)")
        raise InfeasibleError(f"solver {name} reports {program.name} {program.reference} "
                              f"{side} ({status}). {hint}.")
    if status not in _SOLUTION_PRESENT:
        raise _failure(f"solver {name} returned status {status!r} for {program.name}; no "
                       f"solution is available.", f"{name} returned status {status!r}")
    value = float(program.problem.value)
    variables = {key: _value_of(var) for key, var in program.variables.items()}
    duals = {key: _value_of(con, dual=True) for key, con in program.constraints.items()}
    # A NaN dual would turn the recomputed lower bound into NaN: treat it as no solution.
    arrays = [*variables.values(), *duals.values()]
    if not np.isfinite(value) or any(not np.all(np.isfinite(v)) for v in arrays):
        raise _failure(f"solver {name} returned non-finite values for {program.name} "
                       f"(status {status!r}); rescale the data or try solver='SCS'.",
                       f"{name} returned non-finite values")
    return Solution(program=program, status=status, solver=name, value=value,
                    training_value=float(program.to_training(value)), variables=variables,
                    duals=duals, seconds=seconds)


def _value_of(obj: object, dual: bool = False) -> np.ndarray:
    raw = obj.dual_value if dual else obj.value
    if raw is None:
        return np.full(obj.shape if not dual else (), np.nan)
    return np.array(raw, dtype=np.float64)
