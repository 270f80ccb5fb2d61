"""Performance suite: cvxdual's fast exact paths against what a user would otherwise run.

Measured side by side in one run (medians of ``REPEATS`` runs each, load average recorded with
every result):

1. ``certify`` (``method="auto"``) vs the same problem written by hand in CVXPY + Clarabel, at
   equal certified accuracy (relative gap <= 1e-6; the hand-written value is checked against
   the certified optimum): targets >= 20x on scalar n=2000, d=500 and vector n=500, d=100, k=10;
2. ``certify`` vs non-convex training (L-BFGS from random starts until within 1e-4 relative of
   the certified optimum): target >= 10x, with how often a start never gets there;
3. ``certify`` vs a bare NumPy SVD of ``X``: within 3x;
4. a 50-point ``certify_path`` vs rebuilding the problem for every ``β``: target >= 10x;
5. scaling of time and peak memory (``VmHWM`` of a child process, so the data ``X`` is
   included) in ``n`` and ``d``, log-log slopes; target n = 100,000, d = 1,000 in <= 60 s and
   <= 4 GB.

Run ``cvxdual bench --suite perf [--out DIR] [--size tiny|full]`` or
``python benchmarks/perf/perf_suite.py [--size tiny|full] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import cvxdual as cd

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 5
#: Equal certified accuracy: every compared method must reach this relative gap.
ACCURACY = 1e-6
#: Training counts as done when its objective is within this of the certified optimum.
TRAIN_RTOL = 1e-4

SIZES: dict[str, dict[str, Any]] = {
    "full": {"scalar": (2000, 500), "vector": (500, 100, 10), "path": (80, 25, 5),
             "path_points": 50,
             "train": (500, 100, 10), "train_starts": 10, "train_iter": 5000,
             "scale_n": [1000, 3000, 10_000, 30_000, 100_000], "scale_n_d": 1000,
             "scale_d": [100, 300, 1000, 2000], "scale_d_n": 10_000, "repeats": REPEATS},
    "tiny": {"scalar": (60, 20), "vector": (30, 8, 3), "path": (20, 6, 2), "path_points": 4,
             "train": (30, 8, 3), "train_starts": 2, "train_iter": 2000,
             "scale_n": [200, 400], "scale_n_d": 10, "scale_d": [5, 10], "scale_d_n": 100,
             "repeats": 1},
}


def machine() -> dict[str, Any]:
    import clarabel
    import cvxpy
    import scipy

    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)),
            "numpy": np.__version__, "scipy": scipy.__version__, "cvxpy": cvxpy.__version__,
            "clarabel": getattr(clarabel, "__version__", "unknown"), "cvxdual": cd.__version__,
            "loadavg_start": list(os.getloadavg())}


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeats`` calls, all times, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def timed_pair(first: Callable[[], Any], second: Callable[[], Any], repeats: int
               ) -> tuple[tuple[float, list[float], Any], tuple[float, list[float], Any]]:
    """Like :func:`timed` for two functions, alternating them run by run, so both see the same
    machine load (the machine is shared); ``first`` is called once more beforehand, untimed
    (lazy imports and caches)."""
    first()
    times: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(repeats):
        for index, fn in enumerate((first, second)):
            started = time.perf_counter()
            results[index] = fn()
            times[index].append(time.perf_counter() - started)
    return ((statistics.median(times[0]), times[0], results[0]),
            (statistics.median(times[1]), times[1], results[1]))


def _load() -> float:
    return os.getloadavg()[0]


def regularized_data(n: int, d: int, k: int | None, seed: int = 0) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d,) if k is None else (d, k)) / np.sqrt(d)
    Y = X @ W + 0.5 * rng.standard_normal((n,) if k is None else (n, k))
    return X, Y


def hand_cvxpy(X: np.ndarray, Y: np.ndarray, beta: float) -> float:
    """What a user writes without cvxdual: the convex primal (8) in CVXPY, solved by Clarabel
    with gap tolerances tight enough for a 1e-6 relative answer. Returns the value of (1)."""
    import cvxpy as cp

    V = cp.Variable(X.shape[1]) if Y.ndim == 1 else cp.Variable((X.shape[1], Y.shape[1]))
    norm = cp.norm(V, 2) if Y.ndim == 1 else cp.normNuc(V)
    problem = cp.Problem(cp.Minimize(beta * norm + 0.5 * cp.sum_squares(X @ V - Y)))
    problem.solve(solver="CLARABEL", tol_gap_rel=1e-9, tol_gap_abs=1e-9, tol_feas=1e-9)
    return 2.0 * float(problem.value)


def compare_cvxpy(size: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, shape in (("scalar regularized", size["scalar"]),
                        ("vector regularized", size["vector"])):
        n, d = shape[:2]
        k = shape[2] if len(shape) > 2 else None
        X, Y = regularized_data(n, d, k)
        load = _load()
        (fast, fast_times, cert), (hand, hand_times, value) = timed_pair(
            lambda X=X, Y=Y: cd.certify(X, Y, beta=1.0),
            lambda X=X, Y=Y: hand_cvxpy(X, Y, 1.0), size["repeats"])
        hand_error = abs(value - cert.training_value) / abs(cert.training_value)
        rows.append({"case": f"{name} n={n}, d={d}" + ("" if k is None else f", k={k}"),
                     "cvxdual_s": fast, "cvxdual_times": fast_times, "cvxpy_s": hand,
                     "cvxpy_times": hand_times, "speedup": hand / fast, "target": 20.0,
                     "met": hand / fast >= 20.0 and cert.certified and hand_error <= ACCURACY,
                     "certified": cert.certified, "rel_gap": cert.rel_gap,
                     "cvxpy_rel_error": hand_error, "loadavg": [load, _load()]})
    return rows


def _two_layer_objective(X: np.ndarray, Y: np.ndarray, beta: float, m: int
                         ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Objective (1) of ``f(X) = X W1 W2`` and its gradient (used if cvxdual.train is absent)."""
    d, k = X.shape[1], Y.shape[1]

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W1, W2 = theta[:d * m].reshape(d, m), theta[d * m:].reshape(m, k)
        H = X @ W1
        R = H @ W2 - Y
        value = float(np.sum(R * R) + beta * (np.sum(W1 * W1) + np.sum(W2 * W2)))
        G2 = 2.0 * H.T @ R + 2.0 * beta * W2
        G1 = 2.0 * X.T @ (R @ W2.T) + 2.0 * beta * W1
        return value, np.concatenate([G1.ravel(), G2.ravel()])

    return fun


def _stop_at(target: float, state: dict[str, Any], began: float) -> Callable[[Any], None]:
    """An L-BFGS callback that records when the objective first reaches ``target`` and stops.
    SciPy passes the current objective (``intermediate_result.fun``), so watching costs no
    extra evaluation."""
    def watch(intermediate_result: Any) -> None:
        if intermediate_result.fun <= target:
            state["reached"] = time.perf_counter() - began
            raise StopIteration

    return watch


def compare_training(size: dict[str, Any]) -> dict[str, Any]:
    from scipy.optimize import minimize

    n, d, k = size["train"]
    X, Y = regularized_data(n, d, k, seed=1)
    beta = 1.0
    load = _load()
    cert = cd.certify(X, Y, beta=beta)                       # warm-up, and the target
    target = cert.training_value * (1.0 + TRAIN_RTOL)
    fast_times = []
    m = min(d, k) * 2
    try:
        from cvxdual.train import training_objective

        fun, p, _ = training_objective(X, Y, family="linear", widths=(m,), beta=beta)
        source = "cvxdual.train.training_objective"
    except Exception:           # the trainer module is optional here
        fun, p, source = _two_layer_objective(X, Y, beta, m), (d + k) * m, "plain NumPy"
    starts = []
    for start in range(size["train_starts"]):
        # One certify per start, alternating, so both see the same machine load.
        fast_times.append(timed(lambda: cd.certify(X, Y, beta=beta), 1)[0])
        theta0 = np.random.default_rng([7, start]).standard_normal(p) / np.sqrt(d)
        state = {"reached": None}
        began = time.perf_counter()

        minimize(fun, theta0, jac=True, method="L-BFGS-B",
                 callback=_stop_at(target, state, began),
                 options={"maxiter": size["train_iter"], "ftol": 0.0, "gtol": 1e-12})
        starts.append({"seconds_to_target": state["reached"],
                       "seconds": time.perf_counter() - began})
    reached = [s["seconds_to_target"] for s in starts if s["seconds_to_target"] is not None]
    # What a user runs without an oracle stop: the trainer's defaults (5 restarts, best kept).
    full_times, full_gaps = [], []
    try:
        from cvxdual.train import train

        for seed in range(size["repeats"]):
            began = time.perf_counter()
            trained = train(X, Y, family="linear", widths=(m,), beta=beta, seed=seed)
            full_times.append(time.perf_counter() - began)
            full_gaps.append((trained.objective - cert.training_value) / cert.training_value)
    except ImportError:
        pass
    median_train = statistics.median(reached) if reached else float("inf")
    fast = statistics.median(fast_times)
    return {"case": f"vector regularized n={n}, d={d}, k={k}, width {m}, L-BFGS ({source})",
            "cvxdual_s": fast, "cvxdual_times": fast_times, "train_s": median_train,
            "speedup": median_train / fast, "target": 10.0,
            "met": bool(reached) and median_train / fast >= 10.0,
            "starts": len(starts), "never_reached": len(starts) - len(reached),
            "starts_detail": starts, "loadavg": [load, _load()],
            "train_defaults_s": statistics.median(full_times) if full_times else None,
            "train_defaults_times": full_times, "train_defaults_rel_gaps": full_gaps}


def compare_svd(size: dict[str, Any]) -> dict[str, Any]:
    n, d = size["scalar"]
    X, y = regularized_data(n, d, None)
    load = _load()
    (fast, fast_times, cert), (svd, svd_times, _) = timed_pair(
        lambda: cd.certify(X, y, beta=1.0), lambda: np.linalg.svd(X, full_matrices=False),
        size["repeats"])
    return {"case": f"scalar regularized n={n}, d={d}", "cvxdual_s": fast,
            "cvxdual_times": fast_times, "svd_s": svd, "svd_times": svd_times,
            "ratio": fast / svd, "target": 3.0, "met": fast / svd <= 3.0 and cert.certified,
            "loadavg": [load, _load()]}


def compare_path(size: dict[str, Any]) -> dict[str, Any]:
    n, d, k = size["path"]
    X, Y = regularized_data(n, d, k, seed=2)
    sigma = float(np.linalg.norm(X.T @ Y, 2))
    betas = np.geomspace(1e-3 * sigma, 1.1 * sigma, size["path_points"])
    load = _load()
    repeats = size["repeats"]
    (path, path_times, result), (hand, hand_times, _) = timed_pair(
        lambda: cd.certify_path(X, Y, betas),
        lambda: [hand_cvxpy(X, Y, float(b)) for b in betas], repeats)
    (pointwise, point_times, _), (path_again, _, _) = timed_pair(
        lambda: [cd.certify(X, Y, beta=float(b)) for b in betas],
        lambda: cd.certify_path(X, Y, betas), repeats)
    (path_cvx, path_cvx_times, cvx), (point_cvx, point_cvx_times, _) = timed_pair(
        lambda: cd.certify_path(X, Y, betas, method="cvxpy"),
        lambda: [cd.certify(X, Y, beta=float(b), method="cvxpy") for b in betas], repeats)
    return {"case": f"vector regularized n={n}, d={d}, k={k}, {betas.size} values of beta",
            "path_s": path, "path_times": path_times, "hand_rebuild_s": hand,
            "hand_rebuild_times": hand_times, "speedup": hand / path, "target": 10.0,
            "met": hand / path >= 10.0 and result.all_certified,
            "pointwise_fast_s": pointwise, "pointwise_fast_times": point_times,
            "path_again_s": path_again,
            "path_cvxpy_s": path_cvx, "path_cvxpy_times": path_cvx_times,
            "pointwise_cvxpy_s": point_cvx, "pointwise_cvxpy_times": point_cvx_times,
            "all_certified": result.all_certified, "cvxpy_path_all_certified":
            cvx.all_certified, "ranks": result.ranks.tolist(), "betas": betas.tolist(),
            "loadavg": [load, _load()]}


_CHILD = r"""
import gc, json, resource, statistics, sys, time
import numpy as np
import cvxdual as cd
sizes, repeats = json.loads(sys.argv[1]), int(sys.argv[2])


def peak_kb():
    # VmHWM is this process's own peak; ru_maxrss can carry the parent's peak over a fork.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


rows = []
for n, d in sizes:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, d))
    y = X @ (rng.standard_normal(d) / np.sqrt(d)) + 0.5 * rng.standard_normal(n)
    base = peak_kb()
    times, certified = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        cert = cd.certify(X, y, beta=1.0)
        times.append(time.perf_counter() - started)
        certified.append(cert.certified)
        del cert
    rows.append({"n": n, "d": d, "seconds": statistics.median(times), "times": times,
                 "certified": all(certified), "data_rss_mb": base / 1024.0,
                 "peak_rss_mb": peak_kb() / 1024.0})
    del X, y
    gc.collect()
print(json.dumps(rows))
"""


def _children(sizes: list[tuple[int, int]], repeats: int) -> list[dict[str, Any]]:
    """Certify each size in one child process, in increasing order of memory: the child's
    ``ru_maxrss`` read after a size is then that size's peak (earlier sizes needed less)."""
    load = _load()
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(sizes), str(repeats)],
                         check=True, capture_output=True, text=True)
    rows = json.loads(out.stdout)
    for row in rows:
        row["loadavg"] = [load, _load()]
    return rows


def _slope(x: list[float], y: list[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0]) if len(x) > 1 else float("nan")


def scaling(size: dict[str, Any]) -> dict[str, Any]:
    repeats = size["repeats"]
    by_d = _children([(size["scale_d_n"], d) for d in size["scale_d"]], repeats)
    by_n = _children([(n, size["scale_n_d"]) for n in size["scale_n"]], repeats)
    largest = by_n[-1]
    return {"by_n": by_n, "by_d": by_d,
            "slope_time_n": _slope([r["n"] for r in by_n], [r["seconds"] for r in by_n]),
            "slope_time_d": _slope([r["d"] for r in by_d], [r["seconds"] for r in by_d]),
            "slope_memory_n": _slope([r["n"] for r in by_n], [r["peak_rss_mb"] for r in by_n]),
            "largest": largest, "target_seconds": 60.0, "target_mb": 4096.0,
            "met": largest["seconds"] <= 60.0 and largest["peak_rss_mb"] <= 4096.0
            and largest["certified"],
            "memory_note": "peak resident set size (VmHWM of /proc/self/status; ru_maxrss where "
                           "that is missing) of a child process that runs "
                           "the sizes in increasing order, including the data X (about "
                           "8 n d bytes, held by the caller) and the Python runtime"}


def _plots(results: dict[str, Any], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fig, ax = plt.subplots(figsize=(7, 3.5))
    labels, values, targets = [], [], []
    for row in results["cvxpy"]:
        labels.append("vs CVXPY\n" + row["case"].split(" n=")[0])
        values.append(row["speedup"])
        targets.append(row["target"])
    labels.append("vs L-BFGS")
    values.append(results["training"]["speedup"])
    targets.append(results["training"]["target"])
    labels.append(f"{len(results['path']['betas'])}-β path\nvs rebuild")
    values.append(results["path"]["speedup"])
    targets.append(results["path"]["target"])
    positions = np.arange(len(values))
    ax.bar(positions, values, color="tab:blue", label="measured speed-up")
    ax.scatter(positions, targets, color="tab:red", marker="_", s=600, label="target", zorder=3)
    ax.set_xticks(positions, labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("speed-up of cvxdual (x)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "speedups.png", dpi=120)
    plt.close(fig)
    files.append("speedups.png")

    scale = results["scaling"]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
    for ax, key, var, what in ((axes[0], "by_n", "n", "seconds"), (axes[1], "by_d", "d",
                                                                      "seconds"),
                               (axes[2], "by_n", "n", "peak_rss_mb")):
        rows = scale[key]
        ax.loglog([r[var] for r in rows], [r[what] for r in rows], "o-")
        slope = _slope([r[var] for r in rows], [r[what] for r in rows])
        fixed = f"d={rows[0]['d']}" if var == "n" else f"n={rows[0]['n']}"
        ax.set_title(f"{what} vs {var} ({fixed}), slope {slope:.2f}", fontsize=9)
        ax.set_xlabel(var)
        ax.set_ylabel("median seconds" if what == "seconds" else "peak RSS (MB)")
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=120)
    plt.close(fig)
    files.append("scaling.png")
    return files


def _markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# Performance suite (cvxdual bench --suite perf)", "",
        f"Machine: {m['platform']}, {m['cpus']} CPUs ({m['cpus_usable']} usable), Python "
        f"{m['python']}, NumPy {m['numpy']}, SciPy {m['scipy']}, CVXPY {m['cvxpy']}, Clarabel "
        f"{m['clarabel']}. Load average (1 min) at start {m['loadavg_start'][0]:.2f}, at end "
        f"{m['loadavg_end'][0]:.2f}; each row records its own load (a busy second core slows "
        f"both sides) and compares methods measured side by side, alternating run by run. Size "
        f"`{results['size']}`, medians of {results['repeats']} runs. Command: "
        f"`{results['command']}`.", "",
        "| comparison | cvxdual (s) | other (s) | ratio | target | met | load (1 min) |",
        "|---|---:|---:|---:|---|---|---|"]
    for row in results["cvxpy"]:
        lines.append(f"| {row['case']}: certify vs hand-written CVXPY + Clarabel (its value "
                     f"within {row['cvxpy_rel_error']:.1e} of the certified optimum) | "
                     f"{row['cvxdual_s']:.4f} | {row['cvxpy_s']:.3f} | {row['speedup']:.0f}x | "
                     f">= 20x | {'yes' if row['met'] else 'NO'} | {row['loadavg'][0]:.2f} |")
    t = results["training"]
    lines.append(f"| {t['case']}: certify vs training to within 1e-4 (median over the "
                 f"{t['starts'] - t['never_reached']} of {t['starts']} starts that got there) | "
                 f"{t['cvxdual_s']:.4f} | {t['train_s']:.3f} | {t['speedup']:.0f}x | >= 10x | "
                 f"{'yes' if t['met'] else 'NO'} | {t['loadavg'][0]:.2f} |")
    s = results["svd"]
    lines.append(f"| {s['case']}: certify vs bare `np.linalg.svd(X, full_matrices=False)` | "
                 f"{s['cvxdual_s']:.4f} | {s['svd_s']:.4f} | {s['ratio']:.2f}x slower | "
                 f"<= 3x | {'yes' if s['met'] else 'NO'} | {s['loadavg'][0]:.2f} |")
    p = results["path"]
    lines.append(f"| {p['case']}: certify_path vs hand-written CVXPY rebuilt per beta | "
                 f"{p['path_s']:.4f} | {p['hand_rebuild_s']:.3f} | {p['speedup']:.0f}x | "
                 f">= 10x | {'yes' if p['met'] else 'NO'} | {p['loadavg'][0]:.2f} |")
    lines.append(f"| same path: certify_path vs certify per beta (both fast) | "
                 f"{p['path_again_s']:.4f} | {p['pointwise_fast_s']:.4f} | "
                 f"{p['pointwise_fast_s'] / p['path_again_s']:.1f}x | (info) | | |")
    lines.append(f"| same path, method='cvxpy': cp.Parameter re-solves vs rebuilding per beta | "
                 f"{p['path_cvxpy_s']:.3f} | {p['pointwise_cvxpy_s']:.3f} | "
                 f"{p['pointwise_cvxpy_s'] / p['path_cvxpy_s']:.1f}x | (info) | | |")
    sc = results["scaling"]
    big = sc["largest"]
    lines += [
        f"| scalar regularized n={big['n']}, d={big['d']} (child process) | "
        f"{big['seconds']:.2f} | | | <= 60 s, <= 4 GB | {'yes' if sc['met'] else 'NO'} | "
        f"{big['loadavg'][0]:.2f} |", "",
        f"Training: {t['never_reached']} of {t['starts']} L-BFGS starts never came within 1e-4 "
        f"of the certified optimum within their iteration budget. Each start is stopped the "
        f"moment it reaches the target (an oracle no user has); `cvxdual.train` with its "
        f"defaults (5 restarts, best kept) took a median "
        + (f"{t['train_defaults_s']:.3f} s, {t['train_defaults_s'] / t['cvxdual_s']:.0f}x "
           f"certify, ending {max(t['train_defaults_rel_gaps']):.1e} (worst, relative) above "
           f"the optimum." if t.get("train_defaults_s") else "n/a (no trainer).")
        + " cvxdual's fastest certify here took "
        f"{min(t['cvxdual_times']):.4f} s (median {t['cvxdual_s']:.4f} s), almost all of it the "
        f"accelerated proximal-gradient loop that drives the duality gap to 1e-8 relative (tens "
        f"of iterations, one small SVD each): a certificate to 1e-8 costs more than an L-BFGS "
        f"run stopped the moment it is within 1e-4, which is why the 10x target is " +
        ("met." if t["met"] else "missed here."), "",
        "## Scaling (scalar regularized, beta = 1)", "",
        f"Peak memory: {sc['memory_note']}. Slopes of log time: {sc['slope_time_n']:.2f} in n, "
        f"{sc['slope_time_d']:.2f} in d; of log peak memory: {sc['slope_memory_n']:.2f} in n.",
        "", "| n | d | median s | peak RSS (MB) | peak before this certify, data made (MB) "
            "| certified | load |",
        "|---:|---:|---:|---:|---:|---|---|"]
    for row in sc["by_d"] + sc["by_n"]:
        lines.append(f"| {row['n']} | {row['d']} | {row['seconds']:.3f} | "
                     f"{row['peak_rss_mb']:.0f} | {row['data_rss_mb']:.0f} | "
                     f"{row['certified']} | {row['loadavg'][0]:.2f} |")
    lines += ["", "Plots: `speedups.png`, `scaling.png`.", ""]
    return "\n".join(lines)


def run(out: Path | None = None, size: str = "full") -> bool:
    """Run the suite, write ``perf.json``, ``perf.md`` and the plots to ``out``; True when
    every target is met."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")
    spec = SIZES[size]
    out = RESULTS if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "size": size, "repeats": spec["repeats"],
                               "command": f"cvxdual bench --suite perf --size {size}"}
    results["cvxpy"] = compare_cvxpy(spec)
    results["training"] = compare_training(spec)
    results["svd"] = compare_svd(spec)
    results["path"] = compare_path(spec)
    results["scaling"] = scaling(spec)
    results["machine"]["loadavg_end"] = list(os.getloadavg())
    results["seconds"] = time.perf_counter() - started
    met = all(r["met"] for r in results["cvxpy"]) and all(
        results[key]["met"] for key in ("training", "svd", "path", "scaling"))
    results["all_targets_met"] = met
    results["plots"] = _plots(results, out)
    (out / "perf.json").write_text(json.dumps(results, indent=1, default=float))
    (out / "perf.md").write_text(_markdown(results))
    print(_markdown(results))
    return met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    sys.exit(0 if run(None if args.out is None else Path(args.out), args.size) else 1)
