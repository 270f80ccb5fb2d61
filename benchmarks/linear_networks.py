"""Timing of ``cvxdual.certify``: two-layer (§2) and deep (§3) linear, deep ReLU (§4) networks.

For each size, the median of ``--repeats`` runs of ``certify(method="cvxpy")`` (CVXPY + Clarabel,
primal and dual, extraction, NumPy checks) is measured side by side with the exact NumPy value it
is checked against (``2||X^+ Y||_*`` or ``L Σσ_i^{2/L}`` by SVD, the secular equation, the
certified 1-D search; for ReLU splines the ℓ1 program solved by HiGHS instead of Clarabel), and the
relative difference between the two values is recorded. Results go to
``results/linear_networks.json`` and ``.md``.

Run: ``python benchmarks/linear_networks.py [--repeats 5] [--quick]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import cvxdual as cd
from cvxdual.fast import (
    deep_linear_min_norm_value,
    deep_linear_regularized_scalar,
    two_layer_min_norm_value,
    two_layer_regularized_value,
)

HERE = Path(__file__).resolve().parent

CASES = [
    # (label, family, depth, n, d, k or None, beta or None)
    ("scalar min-norm", "linear", 2, 200, 500, None, None),
    ("scalar min-norm", "linear", 2, 1000, 200, None, None),
    ("scalar beta=1", "linear", 2, 1000, 200, None, 1.0),
    ("scalar beta=1", "linear", 2, 2000, 500, None, 1.0),
    ("vector k=5 min-norm", "linear", 2, 100, 20, 5, None),
    ("vector k=5 min-norm", "linear", 2, 60, 60, 5, None),
    ("vector k=5 beta=1", "linear", 2, 200, 20, 5, 1.0),
    ("vector k=5 beta=1", "linear", 2, 200, 60, 5, 1.0),
    ("vector k=10 min-norm", "linear", 2, 500, 100, 10, None),
    ("vector k=10 beta=1", "linear", 2, 500, 100, 10, 1.0),
    ("L=4 scalar min-norm", "deep-linear", 4, 1000, 200, None, None),
    ("L=3 scalar beta=1", "deep-linear", 3, 1000, 200, None, 1.0),
    ("L=6 scalar beta=1", "deep-linear", 6, 1000, 200, None, 1.0),
    ("L=3 vector k=5 min-norm", "deep-linear", 3, 200, 60, 5, None),
    ("L=2 1-D spline min-norm", "relu", 2, 200, 1, None, None),
    ("L=4 1-D spline min-norm", "relu", 4, 200, 1, None, None),
    ("L=3 rank-one beta=0.1", "relu", 3, 100, 10, None, 0.1),
]


def make_rank_one(n: int, d: int, seed: int):
    """Rank-one inputs X = c a0ᵀ with c >= 0 and a wavy target."""
    rng = np.random.default_rng(seed)
    c = np.sort(rng.uniform(0.0, 4.0, n))
    return np.outer(c, rng.standard_normal(d)), np.sin(2 * c) + 0.1 * rng.standard_normal(n)


def spline_min_norm_value(X: np.ndarray, y: np.ndarray, depth: int) -> float:
    """L (R/||a0||)^{2/L} with R from the ℓ1 program solved by HiGHS (a second solver)."""
    from scipy.optimize import linprog

    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    c, norm_a0 = U[:, 0] * np.sign(U[:, 0].sum()), s[0]
    D = np.hstack([np.maximum(c[:, None] - c[None, :], 0), np.maximum(c[None, :] - c[:, None], 0)])
    m = D.shape[1]
    # variables: p, q >= 0 (α = p - q), η free
    A = np.hstack([D, -D, np.ones((len(c), 1))])
    cost = np.concatenate([np.ones(2 * m), [0.0]])
    bounds = [(0, None)] * (2 * m) + [(None, None)]
    R = linprog(cost, A_eq=A, b_eq=y, bounds=bounds, method="highs").fun
    return depth * (R / norm_a0) ** (2.0 / depth)


def make(n: int, d: int, k: int | None, beta: float | None, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal(d if k is None else (d, k))
    Y = X @ W
    if beta is not None or n > d:
        noise = 0.5 * rng.standard_normal(Y.shape)
        Y = Y + (noise if beta is not None else 0.0)
    return X, Y


def median_seconds(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def exact_value(data, family: str, depth: int, beta: float | None) -> float | None:
    """The NumPy value certify is checked against (None where none is known)."""
    if family == "relu":
        return spline_min_norm_value(data.X, data.targets, depth) if beta is None else None
    if beta is None:
        if family == "linear":
            return two_layer_min_norm_value(data)
        return deep_linear_min_norm_value(data, depth)
    if family == "linear":
        return two_layer_regularized_value(data, beta)
    if not data.vector_output:
        return deep_linear_regularized_scalar(data, beta, depth)[0].upper
    return None


def run(repeats: int, quick: bool) -> list[dict]:
    rows = []
    cases = [c for c in CASES if c[6] is None] if quick else CASES
    for index, (label, family, depth, n, d, k, beta) in enumerate(cases):
        if family == "relu":
            X, Y = make_rank_one(n, d, seed=index)
        else:
            X, Y = make(n, d, k, beta, seed=index)

        def closed(X=X, Y=Y, family=family, depth=depth, beta=beta):
            return exact_value(cd.as_dataset(X, Y), family, depth, beta)   # fresh: no cached SVD

        def certified(X=X, Y=Y, family=family, depth=depth, beta=beta):
            # The CVXPY programs, not the NumPy fast path that certify picks by default: this
            # suite measures them against the exact values (benchmarks/perf: fast vs CVXPY).
            return cd.certify(X, Y, family=family, depth=depth, beta=beta, method="cvxpy")


        t_cert, cert = median_seconds(certified, repeats)
        t_closed, value = median_seconds(closed, repeats)
        rows.append({
            "case": label, "family": family, "depth": depth, "n": n, "d": d, "k": k or 1,
            "beta": beta, "certify_seconds": t_cert, "closed_form_seconds": t_closed,
            "ratio": t_cert / t_closed if t_closed and t_closed > 0 else None,
            "certified": cert.certified, "rel_gap": cert.rel_gap,
            "network_source": cert.network_source,
            "rel_diff_closed_form": (None if value is None else
                                     abs(cert.training_value - value) / abs(value)),
        })
        print(f"{label:24s} n={n:5d} d={d:4d}  certify {t_cert:8.3f} s  exact value "
              f"{t_closed:8.4f} s  certified={cert.certified}", flush=True)
    return rows


def write_markdown(rows: list[dict], machine: dict, repeats: int, out: Path) -> str:
    """Write ``linear_networks.md`` from the rows and return its text."""
    lines = ["| case | family | n | d | k | certify (s) | exact value (s) | ratio | certified | "
             "rel. diff. to exact value |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        exact = r["rel_diff_closed_form"] is not None
        diff = f"{r['rel_diff_closed_form']:.1e}" if exact else "n/a"
        closed = f"{r['closed_form_seconds']:.4f}" if exact else "none known"
        ratio = f"{r['ratio']:.0f}×" if exact else "n/a"
        lines.append(f"| {r['case']} | {r['family']} | {r['n']} | {r['d']} | {r['k']} | "
                     f"{r['certify_seconds']:.3f} | {closed} | {ratio} | {r['certified']} | "
                     f"{diff} |")
    lines.append(f"\nMedians of {repeats} runs; {machine}. `certify(method=\"cvxpy\")` solves "
                 f"the primal and the dual with Clarabel; the exact value is the NumPy value it "
                 f"is checked against (none is known for vector outputs with general X and "
                 f"beta > 0).")
    text = "\n".join(lines) + "\n"
    (out / "linear_networks.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="minimum-norm cases only")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    rows = run(args.repeats, args.quick)
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "cpus": os.cpu_count(), "numpy": np.__version__, "cvxdual": cd.__version__}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "linear_networks.json").write_text(
        json.dumps({"machine": machine, "repeats": args.repeats, "rows": rows}, indent=2))
    print(write_markdown(rows, machine, args.repeats, args.out))


if __name__ == "__main__":
    main()
