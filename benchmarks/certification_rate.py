"""How often certify certifies, and how large the remaining gaps are, over seeded batteries.

For each family and setting, random instances are certified and the script records how many
came back certified, the largest relative gap, and whether any lower bound exceeded an upper
bound (which would be a bug). Cases where only bounds are known (deep linear, vector outputs,
beta > 0, general X) are listed separately. Results go to ``results/certification_rate.json``
and ``.md``.

Run: ``python benchmarks/certification_rate.py [--seeds 6]``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import cvxdual as cd

HERE = Path(__file__).resolve().parent


def relu_data(rng: np.random.Generator, n: int, d: int):
    c = np.sort(rng.uniform(0.0, 4.0, n))
    return np.outer(c, rng.standard_normal(d)), np.sin(2 * c) + 0.1 * rng.standard_normal(n)


def linear_data(rng: np.random.Generator, n: int, d: int, k: int | None, planted: bool):
    X = rng.standard_normal((n, d))
    if planted:
        return X, X @ rng.standard_normal(d if k is None else (d, k))
    return X, rng.standard_normal(n if k is None else (n, k))


BATTERIES = [
    # (name, family, depths, betas, data maker(rng) -> (X, Y), bounds only)
    ("linear scalar, n<d", "linear", [2], [None, 0.1, 1.0],
     lambda g: linear_data(g, 30, 60, None, False), False),
    ("linear vector k=4, n>d", "linear", [2], [None, 0.1, 1.0],
     lambda g: linear_data(g, 60, 20, 4, True), False),
    ("deep linear scalar", "deep-linear", [3, 4, 6], [None, 0.1, 1.0],
     lambda g: linear_data(g, 40, 15, None, True), False),
    ("deep linear vector min-norm", "deep-linear", [3, 5], [None],
     lambda g: linear_data(g, 40, 15, 3, True), False),
    ("deep linear vector beta>0 (bounds)", "deep-linear", [3, 5], [0.1, 1.0],
     lambda g: linear_data(g, 40, 15, 3, True), True),
    ("relu 1-D, n=60", "relu", [2, 3, 5], [None, 0.01, 0.1, 1.0],
     lambda g: relu_data(g, 60, 1), False),
    ("relu rank-one d=10, n=100", "relu", [2, 3, 5], [None, 0.01, 0.1, 1.0],
     lambda g: relu_data(g, 100, 10), False),
]


def run(seeds: int) -> list[dict]:
    rows = []
    for index, (name, family, depths, betas, make, bounds_only) in enumerate(BATTERIES):
        count = certified = inverted = 0
        worst = 0.0
        start = time.perf_counter()
        for seed in range(seeds):
            X, Y = make(np.random.default_rng([index, seed]))
            for depth in depths:
                for beta in betas:
                    cert = cd.certify(X, Y, family=family, depth=depth, beta=beta)
                    count += 1
                    certified += int(cert.certified)
                    worst = max(worst, cert.rel_gap)
                    scale = max(abs(cert.training_value), 1e-300)
                    inverted += int(cert.dual_value > cert.training_value + 1e-9 * scale)
        rows.append({"battery": name, "family": family, "instances": count,
                     "certified": certified, "largest_rel_gap": worst,
                     "lower_above_upper": inverted, "bounds_only": bounds_only,
                     "seconds": time.perf_counter() - start})
        print(f"{name:38s} {certified:4d}/{count:<4d} certified  largest gap {worst:.1e}  "
              f"inverted {inverted}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    rows = run(args.seeds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "certification_rate.json").write_text(json.dumps(rows, indent=2))
    lines = ["| battery | instances | certified | largest relative gap | lower > upper | "
             "seconds |", "|---|---|---|---|---|---|"]
    for r in rows:
        label = r["battery"] + (" — only bounds are known" if r["bounds_only"] else "")
        lines.append(f"| {label} | {r['instances']} | {r['certified']} | "
                     f"{r['largest_rel_gap']:.1e} | {r['lower_above_upper']} | "
                     f"{r['seconds']:.1f} |")
    text = "\n".join(lines) + f"\n\n{args.seeds} seeds per battery.\n"
    (args.out / "certification_rate.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
