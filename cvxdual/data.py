"""Validated training data: the matrix ``X`` and the targets ``Y``, with a cached SVD.

Every entry point of cvxdual passes user arrays through :func:`as_dataset` first, so the builders,
extractors and certificates downstream can rely on finite ``float64`` arrays of consistent shape.
Scalar-output targets (the paper's ``y``, shape ``(n,)``) are stored internally as ``(n, 1)`` so
the two cases share code; :attr:`Dataset.vector_output` remembers which one the user meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cvxdual.errors import DataError, InfeasibleError

__all__ = ["Dataset", "ThinSVD", "as_dataset", "range_residual", "rank_one_factorization",
           "RANGE_TOL", "RANK_ONE_RTOL", "MAX_ABS"]

#: Relative residual ``||Y - P_X Y||_F / ||Y||_F`` above which ``Y`` is declared outside the range
#: of ``X`` (minimum-norm problems need exact interpolation). Float64 least squares on data that
#: truly lies in the range gives residuals near 1e-15 times the condition number of ``X``.
RANGE_TOL = 1e-8


def range_residual(A: np.ndarray, Y: np.ndarray) -> float:
    """Relative distance of ``Y`` from the range of ``A``: ``||Y - A A^+ Y||_F / ||Y||_F``.

    Parameters
    ----------
    A : ndarray, shape (n, m)
    Y : ndarray, shape (n,) or (n, k)
    """
    norm_y = float(np.linalg.norm(Y))
    if norm_y == 0.0:
        return 0.0
    coefficients = np.linalg.lstsq(A, Y, rcond=None)[0]
    return float(np.linalg.norm(Y - A @ coefficients)) / norm_y


#: ``X`` counts as rank one when ``σ_2(X) <= RANK_ONE_RTOL * σ_1(X)``.
RANK_ONE_RTOL = 1e-10


def rank_one_factorization(data: Dataset, rtol: float = RANK_ONE_RTOL
                           ) -> tuple[np.ndarray, np.ndarray]:
    """``X = outer(c, a0)`` for rank-one data (§4), with ``c = X a0 / ||a0||^2``.

    ``a0`` is the top right singular vector scaled by ``σ_1`` (so ``c`` has unit norm); the
    caller fixes the sign. ``d = 1`` data is rank one whenever it is nonzero.

    Raises
    ------
    DataError
        If ``X`` is zero or ``σ_2 > rtol σ_1``.
    """
    sigma = np.linalg.svd(data.X, compute_uv=False)
    if sigma[0] == 0.0:
        raise DataError("X is zero; rank-one data X = c a0^T needs a nonzero direction a0.")
    if sigma.size > 1 and sigma[1] > rtol * sigma[0]:
        raise DataError(
            f"the ReLU family needs rank-one data X = c a0^T (Theorem 4.1); X has "
            f"σ_2/σ_1 = {sigma[1] / sigma[0]:.2e} > {rtol:.0e}. For d-dimensional data along "
            f"one direction pass X = np.outer(c, a0); 1-D inputs as X.reshape(-1, 1).")
    _, _, Vt = np.linalg.svd(data.X, full_matrices=False)
    a0 = sigma[0] * Vt[0]
    c = data.X @ a0 / float(a0 @ a0)
    return c, a0


@dataclass(frozen=True)
class ThinSVD:
    """Rank-``r`` SVD ``X = U diag(s) Vt`` keeping only the nonzero singular values.

    Attributes
    ----------
    U : ndarray, shape (n, r)
    s : ndarray, shape (r,), descending and positive
    Vt : ndarray, shape (r, d)
    """

    U: np.ndarray
    s: np.ndarray
    Vt: np.ndarray

    @property
    def rank(self) -> int:
        return int(self.s.size)


#: Largest entry magnitude accepted in ``X`` and ``Y``: cvxdual forms squares (Gram matrices,
#: squared errors, ``||X||_2``), which overflow float64 beyond about 1.3e154.
MAX_ABS = 1e150


def _as_float_array(value: object, name: str) -> np.ndarray:
    if isinstance(value, np.ma.MaskedArray):
        # np.asarray would silently use the values under the mask.
        raise DataError(f"{name} is a masked array; drop or fill the masked entries first "
                        f"({name}.filled(value), or select the unmasked rows).")
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and other objects numpy cannot read
        raise DataError(f"{name} could not be read as a numeric array ({exc}); pass a NumPy "
                        f"array of real numbers.") from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise DataError(f"{name} has dtype {array.dtype}; pass a numeric array of real numbers "
                        f"(e.g. np.asarray({name}, dtype=float)).")
    if array.dtype.kind == "c":
        raise DataError(f"{name} is complex; cvxdual works with real data only: pass "
                        f"{name}.real if the imaginary part is zero.")
    if array.dtype.kind not in "biuf":
        raise DataError(f"{name} has unsupported dtype {array.dtype}; pass real numbers.")
    return np.array(array, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Validated data ``X`` of shape ``(n, d)`` and targets of shape ``(n,)`` or ``(n, k)``.

    Build it with :func:`as_dataset`; the constructor does not validate.

    Attributes
    ----------
    X : ndarray, shape (n, d)
    Y : ndarray, shape (n, k)
        Targets, always two-dimensional (``k = 1`` for scalar outputs).
    vector_output : bool
        False when the user passed ``y`` of shape ``(n,)`` (the paper's scalar-output case).
    """

    X: np.ndarray
    Y: np.ndarray
    vector_output: bool

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def k(self) -> int:
        return int(self.Y.shape[1])

    @property
    def targets(self) -> np.ndarray:
        """Targets in the user's shape: ``(n,)`` for scalar outputs, ``(n, k)`` otherwise."""
        return self.Y if self.vector_output else self.Y[:, 0]

    def as_user_shape(self, matrix: np.ndarray) -> np.ndarray:
        """Drop the trailing singleton axis of a ``(.., 1)`` array for scalar-output data."""
        return matrix if self.vector_output else matrix[..., 0]

    @cached_property
    def svd(self) -> ThinSVD:
        """Thin SVD of ``X`` truncated at the numerical rank (NumPy's ``matrix_rank`` rule:
        singular values above ``max(n, d) * eps * s_max``)."""
        U, s, Vt = np.linalg.svd(self.X, full_matrices=False)
        tol = max(self.X.shape) * np.finfo(np.float64).eps * (s[0] if s.size else 0.0)
        r = int(np.count_nonzero(s > tol))
        return ThinSVD(U=U[:, :r].copy(), s=s[:r].copy(), Vt=Vt[:r].copy())

    @property
    def rank(self) -> int:
        return self.svd.rank

    @cached_property
    def projected_targets(self) -> np.ndarray:
        """``U_r^T Y``, shape ``(r, k)``: the targets in the basis of the range of ``X``."""
        return self.svd.U.T @ self.Y

    @cached_property
    def min_norm_solution(self) -> np.ndarray:
        """``W = X^+ Y``, shape ``(d, k)``: the minimum-norm least-squares solution (the planted
        model of Proposition 2.1)."""
        svd = self.svd
        return svd.Vt.T @ (self.projected_targets / svd.s[:, None])

    @cached_property
    def range_residual(self) -> float:
        """Relative distance of ``Y`` from the range of ``X``: ``||Y - P_X Y||_F / ||Y||_F``."""
        norm_y = float(np.linalg.norm(self.Y))
        if norm_y == 0.0:
            return 0.0
        residual = self.Y - self.svd.U @ self.projected_targets
        return float(np.linalg.norm(residual)) / norm_y

    def require_interpolable(self, tol: float = RANGE_TOL) -> None:
        """Raise :class:`InfeasibleError` unless ``Y`` lies in the range of ``X``.

        The minimum-norm training problem (2) asks for ``f(X) = Y`` exactly; a linear network can
        only produce outputs in the range of ``X``.
        """
        if self.range_residual > tol:
            raise InfeasibleError(
                f"Y is not in the range of X (relative residual {self.range_residual:.2e} > "
                f"{tol:.0e}; rank(X) = {self.rank} with n = {self.n}), so no linear network "
                f"interpolates it and the minimum-norm problem (2) is infeasible. Pass beta > 0 "
                f"for the regularized problem (1)."
            )


def as_dataset(X: object, Y: object) -> Dataset:
    """Validate and normalize training data.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data matrix, one sample per row.
    Y : array_like, shape (n,) or (n, k)
        Targets: 1-D for scalar-output networks, 2-D for vector outputs.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        With a message naming the fix, for wrong dimensions, mismatched rows, empty arrays,
        non-numeric or complex dtypes, and NaN or infinite entries.
    """
    if isinstance(X, Dataset):
        return X
    X_arr = _as_float_array(X, "X")
    Y_arr = _as_float_array(Y, "Y")
    if X_arr.ndim != 2:
        hint = " For one feature use X.reshape(-1, 1)." if X_arr.ndim == 1 else ""
        raise DataError(f"X must be 2-D with shape (n, d); got shape {X_arr.shape}.{hint}")
    if Y_arr.ndim not in (1, 2):
        raise DataError(f"Y must have shape (n,) for scalar outputs or (n, k) for vector outputs; "
                        f"got shape {Y_arr.shape} ({Y_arr.ndim} dimensions).")
    n, d = X_arr.shape
    if n == 0 or d == 0:
        raise DataError(f"X is empty (shape {X_arr.shape}); it needs at least one sample and one "
                        f"feature.")
    if Y_arr.shape[0] != n:
        raise DataError(f"X and Y must have the same number of rows: X has {n} (shape "
                        f"{X_arr.shape}), Y has {Y_arr.shape[0]} (shape {Y_arr.shape}).")
    if Y_arr.ndim == 2 and Y_arr.shape[1] == 0:
        raise DataError(f"Y is empty (shape {Y_arr.shape}); vector outputs need k >= 1 columns.")
    for name, array in (("X", X_arr), ("Y", Y_arr)):
        bad = ~np.isfinite(array)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DataError(f"{name} has {int(bad.sum())} NaN or infinite entries (first at index "
                            f"{where}); remove or impute them before certifying.")
        largest = float(np.abs(array).max(initial=0.0))
        if largest > MAX_ABS:
            raise DataError(f"{name} has entries up to {largest:.1e} in magnitude, beyond "
                            f"{MAX_ABS:.0e} (their squares overflow float64); rescale it, e.g. "
                            f"{name} / np.abs({name}).max(), and beta with it.")
    vector_output = Y_arr.ndim == 2
    Y2 = Y_arr if vector_output else Y_arr[:, None]
    X_arr.setflags(write=False)
    Y2.setflags(write=False)
    return Dataset(X=X_arr, Y=Y2, vector_output=vector_output)
