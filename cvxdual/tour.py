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

__all__ = ["TourRow", "EXAMPLES", "run_tour", "format_table"]


@dataclass(frozen=True)
class TourRow:
    """One line of the tour table."""

    family: str
    form: str
    certificate: Certificate
    seconds: float


def _planted(rng: np.random.Generator, n: int, d: int, k: int | None, noise: float):
    X = rng.standard_normal((n, d))
    W = rng.standard_normal(d if k is None else (d, k))
    Y = X @ W
    return X, Y + noise * rng.standard_normal(Y.shape)


def _orthonormal(rng: np.random.Generator, n: int, d: int, k: int):
    X = np.linalg.qr(rng.standard_normal((n, d)))[0]
    return X, rng.standard_normal((n, k))


# (family, form description, data maker, beta); data makers take a seeded generator.
EXAMPLES: list[tuple[str, str, Callable[[np.random.Generator], tuple], float | None]] = [
    ("linear", "scalar, min-norm, n<d", lambda g: (g.standard_normal((30, 80)),
                                                   g.standard_normal(30)), None),
    ("linear", "scalar, min-norm, n>d", lambda g: _planted(g, 100, 20, None, 0.0), None),
    ("linear", "scalar, beta=1", lambda g: _planted(g, 100, 20, None, 0.5), 1.0),
    ("linear", "vector k=5, min-norm", lambda g: (g.standard_normal((30, 60)),
                                                  g.standard_normal((30, 5))), None),
    ("linear", "vector k=5, beta=5", lambda g: _planted(g, 100, 20, 5, 0.5), 5.0),
    ("linear", "vector k=5, beta=0.5, XᵀX=I", lambda g: _orthonormal(g, 80, 20, 5), 0.5),
]


def run_tour(seed: int = 0) -> list[TourRow]:
    """Certify every example; each uses its own generator seeded from ``seed``."""
    rows = []
    for index, (family, form, make, beta) in enumerate(EXAMPLES):
        X, Y = make(np.random.default_rng([seed, index]))
        start = time.perf_counter()
        certificate = certify(X, Y, family=family, beta=beta)
        rows.append(TourRow(family, form, certificate, time.perf_counter() - start))
    return rows


def format_table(rows: list[TourRow]) -> str:
    """Plain-text table: family, form, training value, primal, dual, gap, closed form,
    certified, seconds."""
    header = ("family", "form", "training value", "primal", "dual", "gap", "closed form",
              "certified", "seconds")
    body = []
    for row in rows:
        c = row.certificate
        body.append((
            row.family, row.form, f"{c.training_value:.8g}", f"{c.primal_value:.8g}",
            f"{c.dual_value:.8g}", f"{c.gap:.1e}",
            "n/a" if c.closed_form is None else f"{c.closed_form:.8g}",
            "yes" if c.certified else "NO", f"{row.seconds:.2f}",
        ))
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]
    def fmt(line: tuple) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True))
    rule = "  ".join("-" * width for width in widths)
    return "\n".join([fmt(header), rule, *(fmt(line) for line in body)])
