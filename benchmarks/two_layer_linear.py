"""Timing of ``cvxdual.certify`` on two-layer linear networks (paper §2).

For each size, the median of ``--repeats`` runs of ``certify`` (CVXPY + Clarabel, primal and
dual, extraction, NumPy checks) is measured side by side with the NumPy closed form it is checked
against (``2||X^+ Y||_*`` by SVD, or the secular equation), and the relative difference between
the two values is recorded. Results go to ``results/two_layer_linear.json`` and ``.md``.

Run: ``python benchmarks/two_layer_linear.py [--repeats 5] [--quick]``
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
from cvxdual.fast import two_layer_min_norm_value, two_layer_regularized_value

HERE = Path(__file__).resolve().parent

CASES = [
    # (label, n, d, k or None, beta or None)
    ("scalar min-norm", 200, 500, None, None),
    ("scalar min-norm", 1000, 200, None, None),
    ("scalar beta=1", 1000, 200, None, 1.0),
    ("scalar beta=1", 2000, 500, None, 1.0),
    ("vector k=5 min-norm", 100, 20, 5, None),
    ("vector k=5 min-norm", 60, 60, 5, None),
    ("vector k=5 beta=1", 200, 20, 5, 1.0),
    ("vector k=5 beta=1", 200, 60, 5, 1.0),
    ("vector k=10 min-norm", 500, 100, 10, None),
    ("vector k=10 beta=1", 500, 100, 10, 1.0),
]


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


def run(repeats: int, quick: bool) -> list[dict]:
    rows = []
    for index, (label, n, d, k, beta) in enumerate(CASES[:4] if quick else CASES):
        X, Y = make(n, d, k, beta, seed=index)
        data = cd.as_dataset(X, Y)

        def closed(data=data, beta=beta):
            fresh = cd.as_dataset(data.X, data.targets)   # no cached SVD
            if beta is None:
                return two_layer_min_norm_value(fresh)
            return two_layer_regularized_value(fresh, beta)

        t_cert, cert = median_seconds(lambda X=X, Y=Y, beta=beta: cd.certify(X, Y, beta=beta),
                                      repeats)
        t_closed, value = median_seconds(closed, repeats)
        rows.append({
            "case": label, "n": n, "d": d, "k": k or 1, "beta": beta,
            "certify_seconds": t_cert, "closed_form_seconds": t_closed,
            "ratio": t_cert / t_closed if t_closed and t_closed > 0 else None,
            "certified": cert.certified, "rel_gap": cert.rel_gap,
            "network_source": cert.network_source,
            "rel_diff_closed_form": (None if value is None else
                                     abs(cert.training_value - value) / abs(value)),
        })
        print(f"{label:22s} n={n:5d} d={d:4d}  certify {t_cert:8.3f} s  closed form "
              f"{t_closed:8.4f} s  certified={cert.certified}", flush=True)
    return rows


def write_markdown(rows: list[dict], machine: dict, repeats: int, out: Path) -> str:
    """Write ``two_layer_linear.md`` from the rows and return its text."""
    lines = ["| case | n | d | k | certify (s) | closed form (s) | ratio | certified | "
             "rel. diff. to closed form |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        exact = r["rel_diff_closed_form"] is not None
        diff = f"{r['rel_diff_closed_form']:.1e}" if exact else "n/a"
        closed = f"{r['closed_form_seconds']:.4f}" if exact else "none known"
        ratio = f"{r['ratio']:.0f}×" if exact else "n/a"
        lines.append(f"| {r['case']} | {r['n']} | {r['d']} | {r['k']} | "
                     f"{r['certify_seconds']:.3f} | {closed} | {ratio} | {r['certified']} | "
                     f"{diff} |")
    lines.append(f"\nMedians of {repeats} runs; {machine}. `certify` solves the primal and the "
                 f"dual with Clarabel; the closed form is the NumPy value it is checked against "
                 f"(none is known for vector outputs with general X and beta > 0).")
    text = "\n".join(lines) + "\n"
    (out / "two_layer_linear.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="scalar cases only")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    rows = run(args.repeats, args.quick)
    machine = {"python": platform.python_version(), "machine": platform.machine(),
               "cpus": os.cpu_count(), "numpy": np.__version__, "cvxdual": cd.__version__}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "two_layer_linear.json").write_text(
        json.dumps({"machine": machine, "repeats": args.repeats, "rows": rows}, indent=2))
    print(write_markdown(rows, machine, args.repeats, args.out))


if __name__ == "__main__":
    main()
