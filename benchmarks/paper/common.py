"""Shared pieces of the figure scripts: effective ranks, verdict vocabulary, writing results."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cvxdual.errors import ParameterError  # noqa: E402

__all__ = ["RANK_RTOL", "RANK_ATOL", "SIZES", "VERDICTS", "effective_rank", "check_size",
           "finish", "plt"]

#: Effective rank as in §5 ("we ignore singular values that are smaller than a certain
#: threshold"): singular values above ``RANK_RTOL · σ_max`` and above ``RANK_ATOL``. The
#: absolute floor makes a layer that training drove to (numerically) zero rank 0, not the rank
#: of its rounding noise.
RANK_RTOL = 1e-3
RANK_ATOL = 1e-6
SIZES = ("tiny", "full")
VERDICTS = ("holds", "holds with caveat", "does not hold")


def effective_rank(W: np.ndarray, rtol: float = RANK_RTOL, atol: float = RANK_ATOL) -> int:
    """Number of singular values of ``W`` (shape ``(p, q)`` or ``(p,)``) above
    ``max(rtol · σ_max, atol)``."""
    sigma = np.linalg.svd(np.atleast_2d(W.T).T, compute_uv=False)
    if sigma.size == 0:
        return 0
    return int(np.count_nonzero(sigma > max(rtol * sigma[0], atol)))


def check_size(size: str) -> str:
    """Validate the ``size`` argument of a figure function."""
    if size not in SIZES:
        raise ParameterError(f"size must be one of {', '.join(SIZES)}; got {size!r}.")
    return size


def finish(out: Path, name: str, claim: str, verdict: str, evidence: str, size: str,
           started: float, fig: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Save ``fig`` as ``<name>.png`` and the result as ``<name>.json`` in ``out``.

    Returns the JSON-ready result: ``name``, ``claim``, ``verdict``, ``evidence``, ``command``,
    ``seconds``, ``png``, ``size`` and ``data`` (the measured numbers behind the picture).
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r} is not one of {VERDICTS}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = f"{name}.png"
    fig.savefig(out / png, dpi=110, bbox_inches="tight")
    plt.close(fig)
    result = {"name": name, "claim": claim, "verdict": verdict, "evidence": evidence,
              "command": f"cvxdual reproduce {name} --size {size} --out DIR",
              "seconds": round(time.perf_counter() - started, 3), "png": png, "size": size,
              "data": _jsonable(data)}
    (out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
