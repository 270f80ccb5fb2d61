"""Deep linear networks with vector outputs (§3.3): Figs. 2b and 3.

Four layers ``W_1 ∈ R^{5×50}``, ``W_2 ∈ R^{50×30}``, ``W_3 ∈ R^{30×40}``, ``W_4 ∈ R^{40×5}``
trained on the regularized problem (1). With ``XᵀX = I`` the certificate is exact (each singular
value of ``XᵀY`` is shrunk separately, (27)); the rank of every layer is then set by ``β`` and is
the same for all layers. Proposition 3.1: the hidden layers share operator and Frobenius norms at
the optimum (at a balanced optimum, every layer does).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

import cvxdual as cd
from paper.common import check_size, effective_rank, finish, plt

N, D, K = 20, 5, 5
WIDTHS = (50, 30, 40)
DEPTH = len(WIDTHS) + 1
SETTINGS = {"tiny": {"grid": 80, "restarts": 1, "max_iter": 600, "record_every": 1},
            "full": {"grid": 80, "restarts": 5, "max_iter": 5000, "record_every": 1}}


def make_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded ``X`` of shape ``(20, 5)`` with orthonormal columns and ``Y`` of shape ``(20, 5)``."""
    rng = np.random.default_rng(seed)
    return np.linalg.qr(rng.standard_normal((N, D)))[0], rng.standard_normal((N, K))


def _certify(X: np.ndarray, Y: np.ndarray, beta: float) -> cd.Certificate:
    return cd.certify(X, Y, family="deep-linear", depth=DEPTH, beta=float(beta), widths=WIDTHS)


def _ranks(network: cd.Network) -> list[int]:
    return [effective_rank(W) if W.size else 0 for W in network.weights]


def rank_intervals(X: np.ndarray, Y: np.ndarray, points: int) -> dict[int, tuple[float, float]]:
    """Certified rank of ``W_1`` on a geometric ``β`` grid: rank -> (smallest, largest) ``β``
    of the grid with that rank."""
    sigma = np.linalg.svd(X.T @ Y, compute_uv=False)
    found: dict[int, tuple[float, float]] = {}
    for beta in np.geomspace(1e-2 * sigma[-1], 2.0 * sigma[0], points):
        cert = _certify(X, Y, beta)
        rank = _ranks(cert.network)[0] if cert.certified else -1
        lo, hi = found.get(rank, (beta, beta))
        found[rank] = (min(lo, beta), max(hi, beta))
    return found


def fig2b(out: Path, size: str) -> dict[str, Any]:
    """Fig. 2b: rank of every layer at four ``β`` (ranks 4, 3, 2, 1 of the certified optimum),
    trained and certified."""
    started = time.perf_counter()
    settings = SETTINGS[check_size(size)]
    X, Y = make_data()
    intervals = rank_intervals(X, Y, settings["grid"])
    wanted = [r for r in (4, 3, 2, 1) if r in intervals]
    betas = [float(np.sqrt(intervals[r][0] * intervals[r][1])) for r in wanted]
    rows = []
    for beta in betas:
        cert = _certify(X, Y, beta)
        run = cd.train(X, Y, family="deep-linear", widths=WIDTHS, beta=beta,
                       restarts=settings["restarts"], max_iter=settings["max_iter"],
                       record_every=settings["max_iter"])
        rows.append({"beta": beta, "certified": bool(cert.certified),
                     "certified_ranks": _ranks(cert.network), "trained_ranks": _ranks(run.network),
                     "certified_value": cert.training_value, "trained_objective": run.objective})
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.1
    for i, row in enumerate(rows):
        for layer in range(DEPTH):
            x = i + (layer - 1.5) * 2 * width
            ax.bar(x - width / 2, row["trained_ranks"][layer], width, color=f"C{layer}",
                   label=f"W{layer + 1} trained" if i == 0 else None)
            ax.bar(x + width / 2, row["certified_ranks"][layer], width, color=f"C{layer}",
                   alpha=0.4, hatch="//", label=f"W{layer + 1} certified" if i == 0 else None)
    ax.set_xticks(range(len(rows)), [f"β{i + 1} = {r['beta']:.3g}" for i, r in enumerate(rows)])
    ax.set_ylabel("effective rank")
    ax.set_title("Fig. 2b: layer ranks of a 4-layer linear network at four β (XᵀX = I)")
    ax.legend(fontsize=7, ncol=2)
    same_layers = all(len(set(r["trained_ranks"])) == 1 for r in rows)
    match = sum(r["trained_ranks"] == r["certified_ranks"] for r in rows)
    gaps = [(r["trained_objective"] - r["certified_value"]) / r["certified_value"] for r in rows]
    all_cert = all(r["certified"] for r in rows)
    if all_cert and same_layers and match == len(rows) and len(rows) == 4:
        verdict = "holds"
    elif all_cert and all(len(set(r["certified_ranks"])) == 1 for r in rows):
        verdict = "holds with caveat"
    else:
        verdict = "does not hold"
    evidence = (f"Certified optimum: ranks {[r['certified_ranks'][0] for r in rows]} at "
                f"β = {', '.join(f'{b:.3g}' for b in betas)}, equal across the 4 layers; trained "
                f"(L-BFGS) layer ranks {[r['trained_ranks'] for r in rows]} match at {match} of "
                f"{len(rows)} β, objectives above the certified optimum by at most "
                f"{max(gaps):.1e} (relative).")
    claim = "(27): β sets the rank of every layer, and the rank is the same for all layers."
    data = {"rows": rows, "rank_intervals": {str(k): v for k, v in intervals.items()},
            "relative_objective_gaps": gaps}
    return finish(out, "fig2b", claim, verdict, evidence, size, started, fig, data)


def fig3(out: Path, size: str) -> dict[str, Any]:
    """Fig. 3: operator and Frobenius norms of every layer over training at a rank-two ``β``."""
    started = time.perf_counter()
    settings = SETTINGS[check_size(size)]
    X, Y = make_data()
    intervals = rank_intervals(X, Y, settings["grid"])
    beta = float(np.sqrt(intervals[2][0] * intervals[2][1]))
    cert = _certify(X, Y, beta)
    run = cd.train(X, Y, family="deep-linear", widths=WIDTHS, beta=beta,
                   restarts=settings["restarts"], max_iter=settings["max_iter"],
                   record_every=settings["record_every"])
    rec = run.restarts[run.best_restart]
    it, op, fro = rec.record_iterations, rec.operator_norms, rec.frobenius_norms
    certified = [(float(np.linalg.norm(W, 2)), float(np.linalg.norm(W)))
                 for W in cert.network.weights]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for kind, (ax, values, title) in enumerate(((axes[0], op, "operator norm ‖W_l‖₂"),
                                                (axes[1], fro, "Frobenius norm ‖W_l‖_F"))):
        for layer in range(DEPTH):
            ax.plot(it, values[:, layer], color=f"C{layer}", label=f"W{layer + 1}")
            ax.axhline(certified[layer][kind], color=f"C{layer}", ls=":", lw=1)
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlabel("iteration (L-BFGS)")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.suptitle(f"Fig. 3: layer norms over training, 4-layer linear network, β = {beta:.3g} "
                 f"(certified rank 2; dotted: certified optimum)")
    hidden = slice(0, DEPTH - 2)                      # Proposition 3.1: the first L - 2 layers
    spread_op = float(np.ptp(op[-1, hidden]) / np.max(op[-1, hidden]))
    spread_fro = float(np.ptp(fro[-1, hidden]) / np.max(fro[-1, hidden]))
    spread_all = float(max(np.ptp(op[-1]) / np.max(op[-1]), np.ptp(fro[-1]) / np.max(fro[-1])))
    cert_norms = certified
    gap = (run.objective - cert.training_value) / cert.training_value
    start_spread = float(np.ptp(fro[0, hidden]) / np.max(fro[0, hidden]))
    ok = max(spread_op, spread_fro) <= 1e-3
    verdict = "holds" if ok and gap <= 1e-3 else ("holds with caveat" if ok else "does not hold")
    evidence = (f"Best of {len(run.restarts)} L-BFGS runs, layer ranks "
                f"{_ranks(run.network)}: after {rec.iterations} iterations the relative spread "
                f"of ‖W_l‖₂ over the first L−2 = 2 layers is {spread_op:.1e} and of ‖W_l‖_F "
                f"{spread_fro:.1e} (all four "
                f"layers: {spread_all:.1e}; Frobenius spread at the start {start_spread:.2f}); "
                f"the trained objective is {gap:.1e} (relative) above the certified optimum, "
                f"whose layers have norms {[round(n[1], 4) for n in cert_norms]}.")
    claim = "Proposition 3.1: the hidden layers have equal operator and Frobenius norms."
    data = {"beta": beta, "iterations": it, "operator_norms": op, "frobenius_norms": fro,
            "spread_operator": spread_op, "spread_frobenius": spread_fro,
            "spread_all_layers": spread_all, "certified_norms": cert_norms,
            "relative_objective_gap": gap, "trained_ranks": _ranks(run.network),
            "certified_ranks": _ranks(cert.network), "restart_objectives": run.objectives}
    return finish(out, "fig3", claim, verdict, evidence, size, started, fig, data)
