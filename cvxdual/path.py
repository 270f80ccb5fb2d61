"""Certified regularization paths: the regularized problem (1) for many ``β`` at once.

:func:`certify_path` returns one :class:`~cvxdual.certificate.Certificate` per ``β``, each
decided like :func:`cvxdual.certify` (bounds recomputed in NumPy), and reuses work between
neighbouring ``β``:

* ``method="fast"`` (the default ``"auto"`` for linear and deep-linear networks): ``X`` is
  factored once; the two-layer vector problem's proximal-gradient method is warm-started from
  the solution at the previous (larger) ``β``, visiting the ``β`` in decreasing order, where the
  solutions grow from ``V = 0`` (``β >= σ_max(X^T Y)``) to ``X^+ Y``;
* ``method="cvxpy"``, two-layer family: the primal (8) and its dual are built once with ``β`` a
  ``cp.Parameter`` and re-solved (:meth:`cvxdual.Program.set_beta`); other families are
  certified point by point.

The paper's Fig. 2a (rank of the optimal first layer against ``β``, Remark 2.1) is one call:
``certify_path(X, Y, betas).ranks``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cvxdual.certificate import (
    DEFAULT_ATOL,
    DEFAULT_FEAS_TOL,
    DEFAULT_RTOL,
    Certificate,
    _unscale,
    certify,
    status_reasons,
)
from cvxdual.data import Dataset, as_dataset
from cvxdual.errors import ParameterError
from cvxdual.fast import row_basis, two_layer_regularized_value
from cvxdual.fast_certificate import (
    DEFAULT_MAX_ITER,
    FastState,
    certify_fast,
    resolve_method,
    two_layer_certificate,
)
from cvxdual.structure import RANK_RTOL, end_to_end
from cvxdual.validation import check_beta, check_depth, check_family, check_loss

__all__ = ["PathResult", "certify_path"]


@dataclass(frozen=True, eq=False)
class PathResult:
    """Certificates along a regularization path, in the order of the given ``betas``.

    Attributes
    ----------
    betas : ndarray, shape (p,)
    training_values, dual_values, rel_gaps : ndarray, shape (p,)
        Upper bound (the network's recomputed objective (1)), lower bound, relative gap.
    certified : ndarray of bool, shape (p,)
    ranks : ndarray of int, shape (p,)
        Rank of the end-to-end matrix ``W_1 ⋯ W_L`` of each optimal network (singular values
        above ``RANK_RTOL`` times the largest).
    neurons : ndarray of int, shape (p,)
        Width of the first hidden layer of each network (the number of extreme points).
    certificates : tuple of Certificate
    method : {"fast", "cvxpy"}
        The method that ran.
    seconds : float
        Wall-clock time of the whole path.
    """

    betas: np.ndarray
    training_values: np.ndarray
    dual_values: np.ndarray
    rel_gaps: np.ndarray
    certified: np.ndarray
    ranks: np.ndarray
    neurons: np.ndarray
    certificates: tuple[Certificate, ...]
    method: str
    seconds: float

    @property
    def all_certified(self) -> bool:
        return bool(np.all(self.certified))

    def __len__(self) -> int:
        return int(self.betas.size)

    def to_dict(self, certificates: bool = False) -> dict[str, Any]:
        """JSON-ready key numbers (with every certificate's ``to_dict()`` if asked)."""
        out: dict[str, Any] = {
            "method": self.method, "seconds": self.seconds, "betas": self.betas.tolist(),
            "training_values": self.training_values.tolist(),
            "dual_values": self.dual_values.tolist(), "rel_gaps": self.rel_gaps.tolist(),
            "certified": self.certified.tolist(), "ranks": self.ranks.tolist(),
            "neurons": self.neurons.tolist(),
        }
        if certificates:
            out["certificates"] = [c.to_dict() for c in self.certificates]
        return out


def _check_betas(betas: object) -> np.ndarray:
    try:
        values = np.asarray(betas, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"betas must be a 1-D sequence of positive numbers; got "
                             f"{betas!r}.") from None
    if values.ndim != 1 or values.size == 0:
        raise ParameterError(f"betas must be a non-empty 1-D sequence of positive numbers (e.g. "
                             f"np.geomspace(1e-3, 1, 50)); got shape {values.shape}. For the "
                             f"minimum-norm problem use cvxdual.certify(..., beta=None).")
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise ParameterError(f"every beta must be finite and > 0; betas[{index}] = "
                             f"{values[index]!r}. For the minimum-norm problem use "
                             f"cvxdual.certify(..., beta=None).")
    for value in values:
        check_beta(float(value))
    return values


def _rank(certificate: Certificate) -> int:
    V = np.atleast_1d(end_to_end(certificate.network))
    V = V.reshape(V.shape[0], -1)
    sigma = np.linalg.svd(V, compute_uv=False)
    return int(np.count_nonzero(sigma > RANK_RTOL * sigma[0])) if sigma.size and sigma[0] > 0 \
        else 0


def certify_path(X: Any, Y: Any, betas: Sequence[float] | np.ndarray, family: str = "linear",
                 depth: int = 2, loss: str = "squared", solver: str | None = None, *,
                 method: str = "auto", widths: Sequence[int] | None = None,
                 rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL,
                 feas_tol: float = DEFAULT_FEAS_TOL,
                 max_iter: int = DEFAULT_MAX_ITER) -> PathResult:
    """Certify the regularized problem (1) at every ``β`` of a path.

    Parameters
    ----------
    X : array_like, shape (n, d)
    Y : array_like, shape (n,) or (n, k)
    betas : sequence of float, shape (p,)
        Positive, finite; any order (results come back in this order).
    family, depth, loss, solver, method, widths, rtol, atol, feas_tol
        As in :func:`cvxdual.certify`.
    max_iter : int
        Iteration cap of the proximal-gradient method at each ``β`` (``method="fast"``).

    Returns
    -------
    PathResult
        Each certificate equals ``certify(X, Y, beta=b, ...)`` within the tolerances.

    Raises
    ------
    ParameterError
        ``betas`` empty, not 1-D, or with a non-positive or non-finite entry; bad options.
    DataError, UnsupportedError
        As :func:`cvxdual.certify`.
    """
    started = time.perf_counter()
    beta_values = _check_betas(betas)
    data = as_dataset(X, Y)
    family = check_family(family)
    depth = check_depth(depth, family)
    loss = check_loss(loss)
    resolved = resolve_method(method, family, loss)
    order = np.argsort(-beta_values, kind="stable")          # large β first: V grows from 0
    options = dict(family=family, depth=depth, loss=loss, solver=solver, widths=widths,
                   rtol=rtol, atol=atol, feas_tol=feas_tol)
    # The first (largest) β goes through certify, which validates every option.
    first = certify(data.X, data.targets, beta=float(beta_values[order[0]]), method=resolved,
                    **options)
    certificates: dict[int, Certificate] = {int(order[0]): first}
    rest = [int(i) for i in order[1:]]
    if resolved == "fast":
        state = None
        if depth == 2:
            basis = row_basis(data)
            state = FastState(basis=basis, Z=basis.Vt @ np.atleast_1d(
                end_to_end(first.network)).reshape(data.d, data.k))
        for index in rest:
            certificates[index], state = certify_fast(
                data, family, depth, float(beta_values[index]), widths, rtol=rtol, atol=atol,
                feas_tol=feas_tol, max_iter=max_iter, state=state)
    elif family == "linear":
        certificates.update(_cvxpy_two_layer_path(data, beta_values, rest, solver, rtol, atol,
                                                  feas_tol))
    else:
        for index in rest:
            certificates[index] = certify(data.X, data.targets, beta=float(beta_values[index]),
                                          method=resolved, **options)
    ordered = tuple(certificates[i] for i in range(beta_values.size))
    return PathResult(
        betas=beta_values,
        training_values=np.array([c.training_value for c in ordered]),
        dual_values=np.array([c.dual_value for c in ordered]),
        rel_gaps=np.array([c.rel_gap for c in ordered]),
        certified=np.array([c.certified for c in ordered], dtype=bool),
        ranks=np.array([_rank(c) for c in ordered], dtype=int),
        neurons=np.array([c.network.widths[0] for c in ordered], dtype=int),
        certificates=ordered, method=resolved, seconds=time.perf_counter() - started)


def _cvxpy_two_layer_path(data: Dataset, betas: np.ndarray, indices: list[int],
                          solver: str | None, rtol: float, atol: float,
                          feas_tol: float) -> dict[int, Certificate]:
    """Two-layer path by CVXPY: (8) and its dual built once on ``(X/||X||_2, Y/||Y||_F)``
    with ``β`` a parameter, re-solved for each ``β``; each certificate from the solver's
    ``V`` and ``Λ`` with the bounds recomputed in NumPy, plus the secular-equation closed form
    (scalar outputs) as an independent cross-check."""
    from cvxdual.families import linear
    from cvxdual.solve import check_solver, solve

    if not indices:
        return {}
    solver_name = check_solver(solver)
    scale_x = float(np.linalg.norm(data.X, 2)) or 1.0
    scale_y = float(np.linalg.norm(data.Y)) or 1.0
    scaled = as_dataset(data.X / scale_x, data.targets / scale_y)
    growth = (scale_y / scale_x) ** 0.5

    def scaled_beta(beta: float) -> float:
        return beta * growth ** 2 / scale_y ** 2

    first = scaled_beta(float(betas[indices[0]]))
    primal_program = linear.regularized_primal(scaled, first)
    dual_program = linear.regularized_dual(scaled, first)
    out: dict[int, Certificate] = {}
    for index in indices:
        beta = float(betas[index])
        b = scaled_beta(beta)
        primal_program.set_beta(b)
        dual_program.set_beta(b)
        primal = solve(primal_program, solver_name)
        dual = solve(dual_program, solver_name)
        V = primal.variables["v"].reshape(scaled.d, scaled.k)
        lam = dual.variables["lam"].reshape(scaled.n, scaled.k)
        certificate = two_layer_certificate(
            scaled, b, V, lam, scale_x=1.0, scale_y=1.0, rtol=rtol, atol=atol,
            feas_tol=feas_tol, closed_form=two_layer_regularized_value(scaled, b),
            primal_status=primal.status, dual_status=dual.status,
            references={"primal": f"{primal_program.name}, {primal_program.reference}",
                        "dual": f"{dual_program.name}, {dual_program.reference}"},
            solver=solver_name, checks={}, timings={"primal": primal.seconds,
                                                    "dual": dual.seconds})
        reasons = status_reasons(primal.status, dual.status) + list(certificate.reasons)
        certificate = dataclasses.replace(certificate, reasons=tuple(reasons),
                                          certified=not reasons)
        out[index] = _unscale(certificate, data, beta, scale_x, scale_y, growth)
    return out
