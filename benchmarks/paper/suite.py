"""The paper's figures as tasks, and the static page that shows them.

``TASKS`` maps each figure name to ``figure(out: Path, size: str) -> dict`` in figure order;
``write_index(out, results)`` writes ``index.html`` (each figure as an image, the paper's claim,
the measured verdict and the command that reruns it). ``cvxdual reproduce`` and
``cvxdual bench --suite paper`` load this file by path.
"""

from __future__ import annotations

import html
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:             # the figure modules import ``paper.common``
    sys.path.insert(0, str(HERE.parent))

__all__ = ["TASKS", "write_index"]

_relu = importlib.import_module("paper.relu")
_linear = importlib.import_module("paper.linear")
_deep = importlib.import_module("paper.deep")

#: Figure name -> ``figure(out, size)``, in the paper's order.
TASKS: dict[str, Callable[[Path, str], dict[str, Any]]] = {
    "fig1": _relu.fig1,
    "fig2a": _linear.fig2a,
    "fig2b": _deep.fig2b,
    "fig3": _deep.fig3,
    "fig4": _relu.fig4,
    "fig5a": _linear.fig5a,
    "fig5b": _linear.fig5b,
    "fig6": _linear.fig6,
}

_COLORS = {"holds": "#1a7f37", "holds with caveat": "#9a6700", "does not hold": "#cf222e"}


def write_index(out: Path, results: list[dict[str, Any]]) -> Path:
    """Write ``out / "index.html"``: one section per result (in the given order) with its PNG,
    claim, verdict, evidence, run time and command. Plain static HTML, no external assets.

    Parameters
    ----------
    out : Path
        Folder holding the PNGs named by each result's ``"png"``.
    results : list of dict
        As returned by the functions of :data:`TASKS`.

    Returns
    -------
    Path
        The written ``index.html``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows, sections = [], []
    for r in results:
        name, verdict = html.escape(str(r["name"])), str(r["verdict"])
        color = _COLORS.get(verdict, "#57606a")
        badge = f'<b style="color:{color}">{html.escape(verdict)}</b>'
        rows.append(f'<tr><td><a href="#{name}">{name}</a></td>'
                    f'<td>{html.escape(str(r["claim"]))}</td><td>{badge}</td>'
                    f'<td>{float(r["seconds"]):.1f}</td></tr>')
        sections.append(
            f'<section id="{name}"><h2>{name}</h2>'
            f'<p><b>Claim.</b> {html.escape(str(r["claim"]))}</p>'
            f'<p><b>Verdict:</b> {badge}. {html.escape(str(r["evidence"]))}</p>'
            f'<p><img src="{html.escape(str(r["png"]))}" alt="{name}" style="max-width:100%">'
            f'</p><p><b>Rerun:</b> <code>{html.escape(str(r["command"]))}</code> '
            f'({float(r["seconds"]):.1f} s, size {html.escape(str(r.get("size", "?")))}; '
            f'numbers in <code>{name}.json</code>)</p></section>')
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>cvxdual: the paper's figures, reproduced</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
            "</style></head><body>\n<h1>Convex Duality of Deep Neural Networks: figures "
            "reproduced</h1>\n<p>Each verdict is measured by the figure's script, not assumed: "
            "<i>holds</i>, <i>holds with caveat</i> (the evidence says which part does not) or "
            "<i>does not hold</i>.</p>\n<table><tr><th>figure</th><th>claim</th>"
            "<th>verdict</th><th>seconds</th></tr>\n" + "\n".join(rows) + "\n</table>\n"
            + "\n".join(sections) + "\n</body></html>\n")
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
