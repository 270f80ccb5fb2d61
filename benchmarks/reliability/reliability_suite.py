"""Reliability suite: false certificates, crashes and silent failures over generated instances.

For every family, output size, depth and loss, seeded random instances (n < d and n > d,
rank-deficient ``X``, duplicated rows, condition numbers up to 1e8, data scaled by 1e-6 and
1e6, n = 1, d = 1, k = 1) go through :func:`cvxdual.certify`; every outcome is checked against
values recomputed here in NumPy (see ``docs/reliability.md``):

* **false certificate**: ``certified`` although the network's recomputed objective, the weak
  duality inequality, the interpolation residual (minimum norm) or an independent reference
  (``L Σ σ_i(X^+ Y)^{2/L}``; the ridge-path search of ``min_v ||Xv - y||^2 + βL||v||^{2/L}``)
  disagrees beyond the tolerance;
* **crash**: an exception other than :class:`cvxdual.CvxdualError`;
* **silent failure**: a non-finite value, an uncertified result without ``reasons``, a
  ``training_value`` that is not the returned network's objective, or a bad input accepted.

Then a catalogue of bad inputs (each must raise a ``CvxdualError``) and injected solver faults
(Clarabel raising, inaccurate statuses, NaN values: never ``certified``).

Run ``cvxdual bench --suite reliability [--out DIR] [--size tiny|full]`` or
``python benchmarks/reliability/reliability_suite.py [--size tiny|full] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cvxpy as cp
import numpy as np

import cvxdual as cd
from cvxdual.errors import CvxdualError

RESULTS = Path(__file__).resolve().parent / "results"
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"linear": 12, "linear-cvxpy": 4, "deep-linear": 8, "relu": 4, "loss": 6,
             "faults": 1},
    "full": {"linear": 1500, "linear-cvxpy": 300, "deep-linear": 800, "relu": 200,
             "loss": 300, "faults": 3},
}
KINDS = ("gaussian", "rank-deficient", "duplicated", "ill-conditioned")
SCALES = (1e-6, 1.0, 1e6)
LOSSES = ("squared", "absolute", "huber", "logistic", "hinge", "cross-entropy")


# --- instances ----------------------------------------------------------------------------------

def make_x(rng: np.random.Generator, n: int, d: int, kind: str) -> np.ndarray:
    X = rng.standard_normal((n, d))
    r = min(n, d)
    if kind == "rank-deficient" and r >= 2:
        rank = int(rng.integers(1, r))
        X = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d))
    elif kind == "duplicated" and n >= 2:
        X[n // 2:] = X[rng.integers(0, max(1, n // 2), size=n - n // 2)]
    elif kind == "ill-conditioned" and r >= 2:
        U, _, Vt = np.linalg.svd(X, full_matrices=False)
        X = (U * np.logspace(0, -int(rng.integers(1, 9)), r)) @ Vt
    return X


def linear_instance(rng: np.random.Generator, vector_ok: bool = True
                    ) -> tuple[np.ndarray, np.ndarray, float | None, dict[str, Any]]:
    n, d = int(rng.integers(1, 10)), int(rng.integers(1, 8))
    k = [None, 1, 2, 3][int(rng.integers(4 if vector_ok else 1))]
    kind = KINDS[int(rng.integers(len(KINDS)))]
    sx, sy = SCALES[int(rng.integers(3))], SCALES[int(rng.integers(3))]
    X = make_x(rng, n, d, kind)
    tail = () if k is None else (k,)
    planted = bool(rng.integers(2))
    Y = X @ rng.standard_normal((d, *tail)) if planted else rng.standard_normal((n, *tail))
    beta = None if rng.integers(2) else 10.0 ** int(rng.integers(-3, 2)) * sx * sy
    meta = {"n": n, "d": d, "k": k, "kind": kind, "scale_x": sx, "scale_y": sy}
    return sx * X, sy * Y, beta, meta


# --- independent checks -------------------------------------------------------------------------

def forward(network: cd.Network, X: np.ndarray) -> np.ndarray:
    A = X
    for W, b in zip(network.weights[:-1], network.biases, strict=True):
        A = A @ W + (0.0 if b is None else b)
        if network.activation == "relu":
            A = np.maximum(A, 0.0)
    return A @ network.weights[-1] + network.intercept


def loss_value(loss: str, F: np.ndarray, Y: np.ndarray) -> float:
    R = F - Y
    if loss == "squared":
        return float(np.sum(R ** 2))
    if loss == "absolute":
        return float(np.sum(np.abs(R)))
    if loss == "huber":  # default delta = 1
        a = np.abs(R)
        return float(np.sum(np.where(a <= 1.0, 0.5 * a ** 2, a - 0.5)))
    if loss == "logistic":
        return float(np.sum(np.logaddexp(0.0, -Y * F)))
    if loss == "hinge":
        return float(np.sum(np.maximum(0.0, 1.0 - Y * F)))
    top = F.max(axis=1, keepdims=True)
    return float(np.sum(np.log(np.exp(F - top).sum(axis=1)) + top[:, 0]) - np.sum(Y * F))


def unit(X: np.ndarray, Y: np.ndarray, beta: float | None) -> float:
    """The objective's unit, in which ``atol`` is stated (``||X||_2 = ||Y||_F = 1``)."""
    ny, nx = float(np.linalg.norm(Y)), float(np.linalg.norm(X, 2))
    return ny ** 2 if beta is not None else ny / max(nx, 1e-300)


def min_norm_value(X: np.ndarray, Y: np.ndarray, depth: int) -> float:
    W = np.linalg.pinv(X) @ Y
    s = np.linalg.svd(W.reshape(W.shape[0], -1), compute_uv=False)
    return float(depth * np.sum(s ** (2.0 / depth)))


def ridge_path_upper(X: np.ndarray, y: np.ndarray, beta: float, depth: int) -> float:
    """Near-optimal value of ``min_v ||Xv - y||^2 + βL||v||^{2/L}`` along the ridge path."""
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    b = U.T @ y
    smax = max(float(s[0]), 1e-300)
    mu = np.logspace(np.log10(smax ** 2) - 20, np.log10(smax ** 2) + 6, 4000)[:, None]
    coef = s * b / (s ** 2 + mu)
    fit = np.sum((s * coef - b) ** 2, axis=1) + max(float(y @ y - b @ b), 0.0)
    values = fit + beta * depth * np.linalg.norm(coef, axis=1) ** (2.0 / depth)
    return min(float(y @ y), float(values.min()))


def judge(cert: cd.Certificate, X: np.ndarray, Y: np.ndarray, beta: float | None, depth: int,
          family: str, loss: str = "squared") -> tuple[str, str]:
    """Classify one certificate: ("certified" | "uncertified" | "false certificate" |
    "silent failure", detail)."""
    values = [cert.training_value, cert.primal_value, cert.dual_value, cert.gap]
    if not all(np.isfinite(v) for v in values):
        return "silent failure", f"non-finite value {values}"
    regularizer = sum(float(np.sum(W ** 2)) for W in cert.network.weights)
    objective = regularizer if beta is None else \
        loss_value(loss, forward(cert.network, X), Y) + beta * regularizer
    if abs(objective - cert.training_value) > 1e-8 * max(abs(objective), 1e-300):
        return "silent failure", f"training_value {cert.training_value} != objective {objective}"
    if not cert.certified:
        return ("uncertified", cert.reasons[0]) if cert.reasons else \
            ("silent failure", "uncertified without reasons")
    rtol, atol = cert.tolerances["rtol"], cert.tolerances["atol"]
    # Squared loss: atol in the units ||X||_2 = ||Y||_F = 1; other losses compare the bounds
    # in the user's units (cvxdual.loss_certificate), so atol is absolute there.
    scale = unit(X, Y, beta) if loss == "squared" else 1.0
    allowed = rtol * max(abs(objective), abs(cert.dual_value)) + atol * scale
    if cert.dual_value > objective + allowed:
        return "false certificate", "weak duality violated"
    if cert.gap > allowed * (1 + 1e-9):
        return "false certificate", f"gap {cert.gap} > {allowed}"
    if beta is None:
        residual = float(np.linalg.norm(forward(cert.network, X) - Y) / np.linalg.norm(Y)) \
            if np.any(Y) else float(np.linalg.norm(forward(cert.network, X)))
        if residual > 1.01 * cert.tolerances["feas_tol"]:
            return "false certificate", f"residual {residual:.2e} > feas_tol"
    if family in ("linear", "deep-linear") and loss == "squared":
        if beta is None:
            reference = min_norm_value(X, Y, depth)
            if abs(objective - reference) > 2 * rtol * max(objective, reference) + \
                    atol * unit(X, Y, beta):
                return "false certificate", f"closed form {reference} != {objective}"
        elif Y.ndim == 1:
            upper = ridge_path_upper(X, Y, beta, depth)
            if objective > upper * (1 + 2 * rtol) + atol * unit(X, Y, beta):
                return "false certificate", f"ridge path reaches {upper} < {objective}"
    return "certified", ""


# --- the runs -----------------------------------------------------------------------------------

class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.by_group: dict[str, Counter[str]] = {}
        self.examples: list[dict[str, Any]] = []

    def add(self, group: str, outcome: str, detail: str = "", meta: Any = None) -> None:
        self.counts[outcome] += 1
        self.by_group.setdefault(group, Counter())[outcome] += 1
        if outcome in ("false certificate", "crash", "silent failure") and \
                len(self.examples) < 50:
            self.examples.append({"group": group, "outcome": outcome, "detail": detail,
                                  "meta": meta})


def attempt(tally: Tally, group: str, call: Callable[[], cd.Certificate],
            check: Callable[[cd.Certificate], tuple[str, str]], meta: Any) -> None:
    try:
        cert = call()
    except CvxdualError as exc:
        tally.add(group, f"clear error ({type(exc).__name__})" if str(exc) else
                  "silent failure", str(exc)[:200], meta)
        return
    except Exception:  # noqa: BLE001 - counting crashes is the point
        tally.add(group, "crash", traceback.format_exc(limit=3), meta)
        return
    outcome, detail = check(cert)
    tally.add(group, outcome, detail, meta)


def run_instances(tally: Tally, counts: dict[str, int], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for i in range(counts["linear"]):
        X, Y, beta, meta = linear_instance(rng)
        attempt(tally, "linear (fast)", lambda: cd.certify(X, Y, beta=beta),  # noqa: B023
                lambda c: judge(c, X, Y, beta, 2, "linear"), {**meta, "i": i})  # noqa: B023
    for i in range(counts["linear-cvxpy"]):
        X, Y, beta, meta = linear_instance(rng)
        attempt(tally, "linear (cvxpy)",
                lambda: cd.certify(X, Y, beta=beta, method="cvxpy"),  # noqa: B023
                lambda c: judge(c, X, Y, beta, 2, "linear"), {**meta, "i": i})  # noqa: B023
    for i in range(counts["deep-linear"]):
        X, Y, beta, meta = linear_instance(rng)
        depth = int(rng.integers(2, 6))
        if Y.ndim == 2 and beta is not None and np.linalg.cond(X) > 1e3:
            Y = Y[:, 0]  # the bound search takes seconds there; timed separately below
        attempt(tally, "deep-linear",
                lambda: cd.certify(X, Y, family="deep-linear", depth=depth,  # noqa: B023
                                   beta=beta),  # noqa: B023
                lambda c: judge(c, X, Y, beta, depth, "deep-linear"),  # noqa: B023
                {**meta, "depth": depth, "i": i})
    for i in range(counts["relu"]):
        depth = int(rng.integers(2, 5))
        n, d = int(rng.integers(1, 8)), int(rng.integers(1, 4))
        rank_one = depth >= 3 or bool(rng.integers(2))
        c = rng.uniform(0.1, 2.0, n) if depth >= 3 else rng.standard_normal(n)
        X = np.outer(c, rng.standard_normal(d)) if rank_one else rng.standard_normal((n, d))
        y = rng.standard_normal(n)
        sx, sy = SCALES[int(rng.integers(3))], SCALES[int(rng.integers(3))]
        beta = None if rng.integers(2) else 10.0 ** int(rng.integers(-2, 1)) * sx * sy
        X, y = sx * X, sy * y
        attempt(tally, "relu",
                lambda: cd.certify(X, y, family="relu", depth=depth, beta=beta),  # noqa: B023
                lambda c: judge(c, X, y, beta, depth, "relu"),  # noqa: B023
                {"n": n, "d": d, "depth": depth, "rank_one": rank_one, "i": i})
    for i in range(counts["loss"]):
        loss = LOSSES[i % len(LOSSES)]
        n, d = int(rng.integers(1, 9)), int(rng.integers(1, 6))
        sx = SCALES[int(rng.integers(3))]
        X = sx * make_x(rng, n, d, KINDS[int(rng.integers(len(KINDS)))])
        if loss in ("logistic", "hinge"):
            Y = np.where(rng.standard_normal(n) >= 0, 1.0, -1.0)
        elif loss == "cross-entropy":
            Y = np.eye(3)[rng.integers(0, 3, n)]
        else:
            Y = rng.standard_normal(n) if rng.integers(2) else rng.standard_normal((n, 2))
        beta = 10.0 ** int(rng.integers(-2, 2))
        attempt(tally, f"loss {loss}",
                lambda: cd.certify(X, Y, beta=beta, loss=loss),  # noqa: B023
                lambda c: judge(c, X, Y, beta, 2, "linear", loss),  # noqa: B023
                {"n": n, "d": d, "i": i})


def bad_inputs() -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    line = np.linspace(-1.0, 1.0, 6)[:, None]
    return {
        "X 1-D": lambda: cd.certify(X[:, 0], y),
        "X 3-D": lambda: cd.certify(X[None], y),
        "Y 3-D": lambda: cd.certify(X, y[:, None, None]),
        "rows differ": lambda: cd.certify(X, y[:4]),
        "empty X": lambda: cd.certify(np.zeros((0, 3)), np.zeros(0)),
        "NaN in X": lambda: cd.certify(np.where(X > 1, np.nan, X), y),
        "inf in Y": lambda: cd.certify(X, np.r_[np.inf, y[1:]]),
        "object dtype": lambda: cd.certify(X.astype(object), y),
        "complex X": lambda: cd.certify(X + 1j, y),
        "string X": lambda: cd.certify(X.astype(str), y),
        "masked X": lambda: cd.certify(np.ma.masked_greater(X, 1.0), y),
        "X beyond 1e150": lambda: cd.certify(X * 1e300, y, beta=1.0),
        "beta 0": lambda: cd.certify(X, y, beta=0.0),
        "beta NaN": lambda: cd.certify(X, y, beta=float("nan")),
        "beta bool": lambda: cd.certify(X, y, beta=True),
        "beta string": lambda: cd.certify(X, y, beta="1"),
        "family": lambda: cd.certify(X, y, family="cnn"),
        "loss": lambda: cd.certify(X, y, beta=1.0, loss="l3"),
        "solver": lambda: cd.certify(X, y, beta=1.0, method="cvxpy", solver="NOPE"),
        "method": lambda: cd.certify(X, y, beta=1.0, method="newton"),
        "depth 1": lambda: cd.certify(X, y, family="deep-linear", depth=1),
        "depth 3 linear": lambda: cd.certify(X, y, depth=3),
        "widths": lambda: cd.certify(X, y, family="deep-linear", depth=3, widths=(0, 2)),
        "rtol": lambda: cd.certify(X, y, beta=1.0, rtol=-1.0),
        "labels": lambda: cd.certify(X, (y > 0).astype(float), beta=1.0, loss="logistic"),
        "one-hot": lambda: cd.certify(X, y, beta=1.0, loss="cross-entropy"),
        "loss without beta": lambda: cd.certify(X, np.sign(y), loss="hinge"),
        "relu not rank one": lambda: cd.certify(X, y, family="relu", depth=3),
        "relu both signs": lambda: cd.certify(line, y, family="relu", depth=3),
        "min norm out of range": lambda: cd.certify(X, y),
        "path empty": lambda: cd.certify_path(X, y, betas=[]),
        "path NaN": lambda: cd.certify_path(X, y, betas=[np.nan]),
        "train widths": lambda: cd.train(X, y, widths=(0,), beta=1.0),
        "network NaN": lambda: cd.certify_network([np.full((3, 2), np.nan), np.ones(2)], X, y,
                                                  beta=1.0),
        "network shape": lambda: cd.certify_network([np.ones((4, 2)), np.ones(2)], X, y,
                                                    beta=1.0),
        "missing file": lambda: cd.io.load_npz("/nonexistent/data.npz"),
    }


def run_bad_inputs(tally: Tally) -> None:
    for name, call in bad_inputs().items():
        try:
            call()
        except CvxdualError as exc:
            tally.add("bad input", "rejected clearly" if str(exc) else "silent failure", name)
        except Exception:  # noqa: BLE001
            tally.add("bad input", "crash", traceback.format_exc(limit=3), name)
        else:
            tally.add("bad input", "silent failure", "accepted", name)


def run_faults(tally: Tally, repeats: int) -> None:
    """Inject solver faults into ``cvxpy.Problem.solve``; no result may certify."""
    real = cp.Problem.solve

    def raising(self, *args, **kwargs):
        if str(kwargs.get("solver", "")).upper() == "CLARABEL":
            raise cp.error.SolverError("injected")
        return real(self, *args, **kwargs)

    def status(value):
        def patched(self, *args, **kwargs):
            result = real(self, *args, **kwargs)
            self._status = value
            return result
        return patched

    def nan(self, *args, **kwargs):
        real(self, *args, **kwargs)
        self._value = float("nan")
        return self._value

    faults = {"Clarabel raises": raising, "optimal_inaccurate": status(cp.OPTIMAL_INACCURATE),
              "user_limit": status(cp.USER_LIMIT), "infeasible": status(cp.INFEASIBLE),
              "unbounded": status(cp.UNBOUNDED), "no status": status(None), "NaN value": nan}
    rng = np.random.default_rng(2)
    for _ in range(repeats):
        X, y = rng.standard_normal((7, 4)), rng.standard_normal(7)
        calls = {"linear": lambda: cd.certify(X, y, beta=0.3, method="cvxpy"),  # noqa: B023
                 "relu": lambda: cd.certify(X, y, family="relu", beta=0.3),  # noqa: B023
                 "logistic": lambda: cd.certify(X, np.sign(y), beta=0.5,  # noqa: B023
                                                loss="logistic")}
        for fault_name, fault in faults.items():
            for call_name, call in calls.items():
                cp.Problem.solve = fault
                try:
                    attempt(tally, "solver faults", call,
                            lambda c: ("false certificate", "certified under a fault")
                            if c.certified else (("uncertified", c.reasons[0]) if c.reasons
                                                 else ("silent failure", "no reason")),
                            f"{fault_name} / {call_name}")
                finally:
                    cp.Problem.solve = real


def run(out: Path | None, size: str) -> bool:
    """Run the suite; write ``reliability.json`` and ``reliability.md``; True if no false
    certificate, crash or silent failure was seen."""
    counts = SIZES[size]
    out = RESULTS if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tally = Tally()
    run_instances(tally, counts)
    instances = sum(tally.counts.values())
    run_bad_inputs(tally)
    run_faults(tally, counts["faults"])
    seconds = time.perf_counter() - started
    bad = sum(tally.by_group["bad input"].values())
    faults = sum(tally.by_group.get("solver faults", Counter()).values())
    failures = {key: tally.counts[key] for key in ("false certificate", "crash",
                                                   "silent failure")}
    result = {"size": size, "seconds": round(seconds, 1), "instances": instances,
              "bad_inputs": bad, "solver_faults": faults, **failures,
              "outcomes": dict(tally.counts),
              "by_group": {g: dict(c) for g, c in tally.by_group.items()},
              "examples": tally.examples,
              "machine": {"platform": platform.platform(), "python": platform.python_version(),
                          "numpy": np.__version__, "cvxpy": cp.__version__,
                          "cvxdual": cd.__version__}}
    (out / "reliability.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    lines = ["# Reliability suite", "",
             f"Size `{size}`, {seconds:.0f} s: {instances} generated instances, {bad} bad "
             f"inputs, {faults} injected solver faults.", "",
             "| | count |", "|---|---|",
             *[f"| {key} | {value} |" for key, value in failures.items()], "",
             "| group | outcomes |", "|---|---|",
             *[f"| {g} | {', '.join(f'{k}: {v}' for k, v in sorted(c.items()))} |"
               for g, c in tally.by_group.items()], "",
             "Reproduce: `cvxdual bench --suite reliability --size " + size + "`."]
    (out / "reliability.md").write_text("\n".join(lines) + "\n")
    print(f"instances {instances}, bad inputs {bad}, solver faults {faults}: "
          f"false certificates {failures['false certificate']}, crashes {failures['crash']}, "
          f"silent failures {failures['silent failure']} ({seconds:.0f} s)")
    print(f"results: {out / 'reliability.md'}")
    return not any(failures.values())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="full", choices=tuple(SIZES))
    parser.add_argument("--out", default=None)
    arguments = parser.parse_args()
    raise SystemExit(0 if run(None if arguments.out is None else Path(arguments.out),
                              arguments.size) else 1)
