"""The tour: every available family certified on built-in seeded examples, in one table.

``cvxdual tour`` runs it; it is the project's main job and a smoke test of the whole pipeline
(validation → builders → solver → extractor → certificate) on realistic sizes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cvxdual.certificate import Certificate, certify
from cvxdual.semi_infinite import certify_by_exchange

__all__ = ["TourRow", "Example", "EXAMPLES", "run_tour", "format_table"]


@dataclass(frozen=True)
class TourRow:
    """One line of the tour table. ``bounds_only`` marks a case where only proven bounds are
    known (the row passes when the bounds are consistent, not when they meet)."""

    family: str
    form: str
    certificate: Certificate
    seconds: float
    bounds_only: bool = False

    @property
    def passed(self) -> bool:
        c = self.certificate
        if self.bounds_only:
            return c.dual_value <= c.training_value + 1e-9 * max(1.0, abs(c.training_value))
        return c.certified


def _planted(rng: np.random.Generator, n: int, d: int, k: int | None, noise: float):
    X = rng.standard_normal((n, d))
    W = rng.standard_normal(d if k is None else (d, k))
    Y = X @ W
    return X, Y + noise * rng.standard_normal(Y.shape)


def _orthonormal(rng: np.random.Generator, n: int, d: int, k: int):
    X = np.linalg.qr(rng.standard_normal((n, d)))[0]
    return X, rng.standard_normal((n, k))


def _spline(rng: np.random.Generator, n: int):
    x = np.sort(rng.uniform(0.0, 4.0, n))
    return x[:, None], np.sin(2.0 * x) + 0.1 * rng.standard_normal(n)


def _rank_one(rng: np.random.Generator, n: int, d: int):
    c = rng.uniform(0.0, 2.0, n)
    return np.outer(c, rng.standard_normal(d)), np.abs(c - 1.0) + 0.1 * rng.standard_normal(n)


def _wide(rng: np.random.Generator, n: int, d: int, k: int | None):
    return rng.standard_normal((n, d)), rng.standard_normal(n if k is None else (n, k))


def _ill_conditioned(rng: np.random.Generator, n: int, d: int, condition: float):
    """``X`` with singular values spread evenly (in log scale) from 1 to ``1 / condition``."""
    U, _, Vt = np.linalg.svd(rng.standard_normal((n, d)), full_matrices=False)
    X = (U * np.logspace(0, -np.log10(condition), d)) @ Vt
    return X, X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)


def _signs(data: tuple[np.ndarray, np.ndarray]):
    """Labels ±1 for the logistic and hinge losses."""
    X, Y = data
    return X, np.where(Y > 0, 1.0, -1.0)


def _one_hot(data: tuple[np.ndarray, np.ndarray]):
    """One-hot labels (the largest target per row) for the cross-entropy loss."""
    X, Y = data
    return X, np.eye(Y.shape[1])[Y.argmax(axis=1)]


@dataclass(frozen=True)
class Example:
    """A seeded tour example: ``make`` draws ``(X, Y)`` from a generator."""

    family: str
    form: str
    make: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]
    beta: float | None = None
    depth: int = 2
    bounds_only: bool = False
    loss: str = "squared"
    #: Solve through the exchange method on the semi-infinite dual (:mod:`cvxdual.semi_infinite`)
    #: instead of the family's exact programs.
    exchange: bool = False


EXAMPLES: list[Example] = [
    Example("linear", "scalar, min-norm, n<d", lambda g: _wide(g, 30, 80, None)),
    Example("linear", "scalar, min-norm, n>d", lambda g: _planted(g, 100, 20, None, 0.0)),
    Example("linear", "scalar, beta=1", lambda g: _planted(g, 100, 20, None, 0.5), 1.0),
    Example("linear", "vector k=5, min-norm", lambda g: _wide(g, 30, 60, 5)),
    Example("linear", "vector k=5, beta=5", lambda g: _planted(g, 100, 20, 5, 0.5), 5.0),
    Example("linear", "vector k=5, beta=0.5, XᵀX=I", lambda g: _orthonormal(g, 80, 20, 5), 0.5),
    Example("deep-linear", "L=4, scalar, min-norm", lambda g: _wide(g, 30, 80, None), depth=4),
    Example("deep-linear", "L=3, scalar, beta=1", lambda g: _planted(g, 100, 20, None, 0.5),
            1.0, depth=3),
    Example("deep-linear", "L=5, scalar, beta=1", lambda g: _planted(g, 100, 20, None, 0.5),
            1.0, depth=5),
    Example("deep-linear", "L=3, vector k=5, min-norm", lambda g: _wide(g, 30, 60, 5), depth=3),
    Example("deep-linear", "L=4, vector k=5, beta=0.5, XᵀX=I",
            lambda g: _orthonormal(g, 80, 20, 5), 0.5, depth=4),
    Example("deep-linear", "L=3, vector k=5, beta=5 (bounds)",
            lambda g: _planted(g, 100, 20, 5, 0.5), 5.0, depth=3, bounds_only=True),
    Example("relu", "L=2, 1-D spline, min-norm", lambda g: _spline(g, 20), depth=2),
    Example("relu", "L=4, 1-D spline, min-norm", lambda g: _spline(g, 20), depth=4),
    Example("relu", "L=3, rank-one d=10, beta=0.1", lambda g: _rank_one(g, 30, 10), 0.1,
            depth=3),
    Example("relu", "L=5, 1-D, beta=0.1", lambda g: _spline(g, 20), 0.1, depth=5),
    Example("linear", "scalar, beta=1, n=2000 d=500 (fast path)",
            lambda g: _planted(g, 2000, 500, None, 0.5), 1.0),
    Example("linear", "vector k=10, beta=1, n=500 d=100 (fast path)",
            lambda g: _planted(g, 500, 100, 10, 0.5), 1.0),
    Example("deep-linear", "L=4, vector k=5, beta=0.83, XᵀX=I (Fig. 3 setup)",
            lambda g: _orthonormal(g, 20, 5, 5), 0.83, depth=4),
    Example("relu", "L=5, rank-one d=10, beta=0.1 (Fig. 4 setup)", lambda g: _rank_one(g, 20, 10),
            0.1, depth=5),
    Example("linear", "scalar, beta=1, X~1e-6, Y~1e6",
            lambda g: (1e-6 * g.standard_normal((40, 10)), 1e6 * g.standard_normal(40)), 1.0),
    Example("linear", "vector k=3, min-norm, X~1e-6, Y~1e6",
            lambda g: (1e-6 * g.standard_normal((20, 40)), 1e6 * g.standard_normal((20, 3)))),
    Example("linear", "scalar, beta=0.1, cond(X)=1e8", lambda g: _ill_conditioned(g, 50, 10, 1e8),
            0.1),
    Example("linear", "scalar, logistic, beta=1",
            lambda g: _signs(_planted(g, 100, 20, None, 0.5)), 1.0, loss="logistic"),
    Example("linear", "scalar, hinge, beta=1",
            lambda g: _signs(_planted(g, 100, 20, None, 0.5)), 1.0, loss="hinge"),
    Example("linear", "scalar, absolute, beta=1", lambda g: _planted(g, 100, 20, None, 0.5), 1.0,
            loss="absolute"),
    Example("linear", "vector k=5, huber, beta=1", lambda g: _planted(g, 100, 20, 5, 0.5), 1.0,
            loss="huber"),
    Example("linear", "k=5, cross-entropy, beta=1",
            lambda g: _one_hot(_planted(g, 100, 20, 5, 0.5)), 1.0, loss="cross-entropy"),
    Example("linear", "scalar, min-norm, exchange method", lambda g: _wide(g, 12, 20, None),
            exchange=True),
    Example("relu", "L=2, 1-D spline, exchange method", lambda g: _spline(g, 20), exchange=True),
    Example("relu", "L=2, general d=2 n=12, min-norm", lambda g: _wide(g, 12, 2, None)),
    Example("relu", "L=2, general d=3 n=10, beta=0.1", lambda g: _wide(g, 10, 3, None), 0.1),
    Example("relu", "L=2, 1-D, logistic, beta=0.05", lambda g: _signs(_spline(g, 12)), 0.05,
            loss="logistic"),
]


def run_tour(seed: int = 0) -> list[TourRow]:
    """Certify every example; each uses its own generator seeded from ``seed``."""
    rows = []
    for index, example in enumerate(EXAMPLES):
        X, Y = example.make(np.random.default_rng([seed, index]))
        start = time.perf_counter()
        if example.exchange:
            certificate = certify_by_exchange(X, Y, example.family, example.beta)
        else:
            certificate = certify(X, Y, family=example.family, beta=example.beta,
                                  depth=example.depth, loss=example.loss)
        rows.append(TourRow(example.family, example.form, certificate,
                            time.perf_counter() - start, example.bounds_only))
    return rows


def format_table(rows: list[TourRow]) -> str:
    """Plain-text table: family, form, training value, primal, dual (the proven lower bound),
    gap, closed form, certified, seconds. ``bounds`` in the certified column marks a case
    where only proven bounds are known."""
    header = ("family", "form", "training value", "primal", "dual", "gap", "closed form",
              "certified", "seconds")
    body = []
    for row in rows:
        c = row.certificate
        body.append((
            row.family, row.form, f"{c.training_value:.8g}", f"{c.primal_value:.8g}",
            f"{c.dual_value:.8g}", f"{c.gap:.1e}",
            "n/a" if c.closed_form is None else f"{c.closed_form:.8g}",
            "yes" if c.certified else ("bounds" if row.bounds_only else "NO"),
            f"{row.seconds:.2f}",
        ))
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    def fmt(line: tuple) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
    rule = "  ".join("-" * width for width in widths)
    return "\n".join([fmt(header), rule, *(fmt(line) for line in body)])
