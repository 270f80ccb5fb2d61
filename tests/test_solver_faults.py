"""Solver faults never give ``certified=True``.

Faults are injected into ``cvxpy.Problem.solve`` (what every cvxdual program goes through): the
solver raises, reports ``optimal_inaccurate``, ``infeasible``, ``unbounded`` or no solution, or
returns NaN. Each must end in a :class:`cvxdual.CvxdualError` or in an uncertified result whose
``reasons`` say why; when only Clarabel fails, :func:`cvxdual.solve.solve` falls back to SCS and
the status records it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import cvxpy as cp
import numpy as np
import pytest

import cvxdual as cd
from cvxdual.errors import CvxdualError, InfeasibleError, SolverError
from cvxdual.families.linear import min_norm_primal

REAL_SOLVE = cp.Problem.solve
# ``cvxdual.solve`` is also the name of the function re-exported by the package.
solve_module = importlib.import_module("cvxdual.solve")


def _data(vector: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((7, 4))
    Y = rng.standard_normal((7, 2) if vector else 7)
    return X, Y


def _labels(seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((8, 3)), np.where(rng.standard_normal(8) >= 0, 1.0, -1.0)


def _spline():
    x = np.linspace(0.2, 2.0, 6)
    return x[:, None], np.sin(2 * x)


#: Every entry point that goes through a CVXPY solve.
CALLS: dict[str, Callable[[], object]] = {
    "linear-scalar-beta": lambda: cd.certify(*_data(), beta=0.3, method="cvxpy"),
    "linear-vector-beta": lambda: cd.certify(*_data(True), beta=0.3, method="cvxpy"),
    "linear-min-norm": lambda: cd.certify(_data()[0][:3], _data()[1][:3], method="cvxpy"),
    "deep-linear-beta": lambda: cd.certify(*_data(), family="deep-linear", depth=3, beta=0.3,
                                           method="cvxpy"),
    "relu-spline": lambda: cd.certify(*_spline(), family="relu", beta=0.1),
    "relu-deep-spline": lambda: cd.certify(*_spline(), family="relu", depth=3),
    "relu-general": lambda: cd.certify(*_data(), family="relu", beta=0.3),
    "logistic": lambda: cd.certify(*_labels(), beta=0.5, loss="logistic"),
    "huber": lambda: cd.certify(*_data(), beta=0.5, loss="huber"),
    "path": lambda: cd.certify_path(*_data(), betas=[0.1, 1.0], method="cvxpy"),
}


def _outcomes(result: object) -> list[cd.Certificate]:
    return list(getattr(result, "certificates", [result]))


def _inject(monkeypatch, fault: Callable[[cp.Problem, str, dict], None],
            only: str | None = None) -> list[str]:
    """Patch ``Problem.solve``: solve for real, then apply ``fault`` (to solver ``only``)."""
    seen: list[str] = []

    def patched(self, *args, **kwargs):
        solver = str(kwargs.get("solver", "")).upper()
        seen.append(solver)
        if only is not None and solver != only:
            return REAL_SOLVE(self, *args, **kwargs)
        return fault(self, solver, kwargs)

    monkeypatch.setattr(cp.Problem, "solve", patched)
    return seen


def _raise(problem, solver, kwargs):
    raise cp.error.SolverError(f"injected failure of {solver}")


def _status(status: str):
    def fault(problem, solver, kwargs):
        result = REAL_SOLVE(problem, **kwargs)
        problem._status = status
        return result
    return fault


def _nan_value(problem, solver, kwargs):
    REAL_SOLVE(problem, **kwargs)
    problem._value = float("nan")
    return problem._value


def _assert_never_certified(call: Callable[[], object]) -> list[cd.Certificate]:
    try:
        result = call()
    except CvxdualError as exc:
        assert str(exc)
        return []
    certs = _outcomes(result)
    for cert in certs:
        assert not cert.certified
        assert cert.reasons, "an uncertified result must say why"
    return certs


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_solver_failing_raises_solver_error(monkeypatch, name):
    _inject(monkeypatch, _raise)
    with pytest.raises(SolverError, match="failed"):
        CALLS[name]()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_clarabel_failure_falls_back_to_scs_and_is_not_certified(monkeypatch, name):
    seen = _inject(monkeypatch, _raise, only="CLARABEL")
    certs = _assert_never_certified(CALLS[name])
    assert "SCS" in seen
    statuses = [s for c in certs for s in (c.primal_status, c.dual_status)]
    assert any("SCS fallback: CLARABEL raised an error" in s for s in statuses) or not certs


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("status", [cp.OPTIMAL_INACCURATE, cp.USER_LIMIT])
def test_inaccurate_statuses_never_certify(monkeypatch, name, status):
    _inject(monkeypatch, _status(status))
    certs = _assert_never_certified(CALLS[name])
    assert all(any(status in r for r in c.reasons) for c in certs)


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("status", [cp.INFEASIBLE, cp.UNBOUNDED, cp.INFEASIBLE_INACCURATE])
def test_infeasible_or_unbounded_is_an_error(monkeypatch, name, status):
    _inject(monkeypatch, _status(status))
    certs = _assert_never_certified(CALLS[name])
    # The semi-infinite method of relu-general may absorb a failed restricted solve into an
    # uncertified bracket; every other path raises.
    if name != "relu-general":
        assert certs == []


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("status", ["solver_error", None])
def test_no_solution_falls_back_then_fails_clearly(monkeypatch, name, status):
    _inject(monkeypatch, _status(status))
    with pytest.raises(SolverError, match="no solution|fallback"):
        CALLS[name]()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_nan_values_never_certify(monkeypatch, name):
    _inject(monkeypatch, _nan_value)
    with pytest.raises(SolverError, match="non-finite"):
        CALLS[name]()


def test_nan_dual_values_are_no_solution(monkeypatch):
    real = solve_module._value_of

    def nan_duals(obj, dual=False):
        value = real(obj, dual)
        return np.full_like(value, np.nan) if dual else value

    monkeypatch.setattr(solve_module, "_value_of", nan_duals)
    X, y = _data()
    with pytest.raises(SolverError, match="non-finite"):
        cd.certify(X, y, beta=0.3, method="cvxpy")


def test_fallback_solution_records_scs_and_valid_bounds(monkeypatch):
    """SCS's values still give a valid bracket around the closed form (2 ||X^+ y||)."""
    X, y = _data()
    X, y = X[:3], y[:3]
    program = min_norm_primal(cd.as_dataset(X, y))
    _inject(monkeypatch, _raise, only="CLARABEL")
    solution = solve_module.solve(program)
    assert solution.solver == "SCS"
    assert solution.status.startswith("optimal") and "SCS fallback" in solution.status
    assert not solution.accurate
    reference = 2 * np.linalg.norm(np.linalg.pinv(X) @ y)
    assert abs(solution.training_value - reference) <= 1e-4 * reference
    cert = cd.certify(X, y, method="cvxpy")
    assert not cert.certified
    assert cert.dual_value <= reference * (1 + 1e-9) <= cert.training_value * (1 + 1e-6)


def test_other_solvers_do_not_fall_back(monkeypatch):
    seen = _inject(monkeypatch, _raise)
    X, y = _data()
    with pytest.raises(SolverError, match="SCS failed") as info:
        cd.certify(X, y, beta=0.3, method="cvxpy", solver="SCS")
    assert "fallback" not in str(info.value)
    assert set(seen) == {"SCS"}


def test_infeasible_message_points_to_beta(monkeypatch):
    _inject(monkeypatch, _status(cp.INFEASIBLE))
    X, y = _data()
    with pytest.raises(InfeasibleError, match="beta > 0"):
        cd.certify(X[:3], y[:3], method="cvxpy")


def test_infeasible_regularized_problem_blames_the_solver(monkeypatch):
    """Problem (1) is feasible for every β > 0: an 'infeasible' status must not tell the user to
    pass beta > 0 again."""
    _inject(monkeypatch, _status(cp.INFEASIBLE))
    X, y = _data()
    with pytest.raises(InfeasibleError, match="numerical trouble") as info:
        cd.certify(X, y, beta=0.3, method="cvxpy")
    assert "pass beta > 0" not in str(info.value)


def test_fallback_can_be_turned_off(monkeypatch):
    """Callers that handle a failure themselves skip the (slow, never certifying) SCS retry."""
    seen = _inject(monkeypatch, _raise, only="CLARABEL")
    X, y = _data()
    program = min_norm_primal(cd.as_dataset(X[:3], y[:3]))
    with pytest.raises(SolverError, match="CLARABEL"):
        solve_module.solve(program, fallback=False)
    assert "SCS" not in seen
