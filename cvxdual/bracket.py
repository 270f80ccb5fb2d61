"""Certified minimization of ``g + h`` on an interval, ``g`` convex and ``h`` concave.

Used where the paper's problems reduce to a 1-D search over convex subproblems (deep linear
networks, §3: the non-convex ``min_v ||Xv - y||^2 + βL||v||^{2/L}`` is a search over
``ρ = ||v||`` of trust-region values ``g(ρ)``, convex in ``ρ``, plus the concave ``βLρ^{2/L}``).
The search returns a *bracket*: an attained upper bound and a proven lower bound, never a bare
grid minimum.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Bracket", "minimize_convex_plus_concave", "lower_bound_from_lines"]


@dataclass(frozen=True)
class Bracket:
    """``lower <= min f <= upper``, with ``upper = f(argmin)`` attained.

    Attributes
    ----------
    lower, upper : float
    argmin : float
        The point where ``upper`` is attained.
    evaluations : int
    """

    lower: float
    upper: float
    argmin: float
    evaluations: int

    @property
    def gap(self) -> float:
        return self.upper - self.lower


def _interval_lower_bound(a: float, b: float, ga: tuple[float, float], gb: tuple[float, float],
                          ha: float, hb: float) -> float:
    """Lower bound of ``g + h`` on ``[a, b]``: ``g`` above both end tangents (convexity), ``h``
    above its chord (concavity); the bound is convex piecewise linear, so its minimum is at an
    end or where the tangents cross."""
    (g_a, slope_a), (g_b, slope_b) = ga, gb

    def bound(x: float) -> float:
        tangent = max(g_a + slope_a * (x - a), g_b + slope_b * (x - b))
        return tangent + ha + (hb - ha) * (x - a) / (b - a)

    points = [a, b]
    if slope_b != slope_a:
        cross = (g_b - g_a + slope_a * a - slope_b * b) / (slope_a - slope_b)
        if a < cross < b:
            points.append(cross)
    return min(bound(x) for x in points)


def minimize_convex_plus_concave(convex: Callable[[float], tuple[float, float]],
                                 concave: Callable[[float], float], a: float, b: float, *,
                                 rtol: float = 1e-12, atol: float = 1e-14, initial: int = 32,
                                 max_evaluations: int = 5_000) -> Bracket:
    """Minimize ``f(ρ) = g(ρ) + h(ρ)`` over ``[a, b]``, ``g`` convex, ``h`` concave.

    ``f`` may have several local minima. Best-first branch and bound: the interval with the
    smallest lower bound (:func:`_interval_lower_bound`) is split until
    ``upper - lower <= rtol * |upper| + atol``. The bound gap of an interval shrinks with the
    square of its width, so few evaluations are needed.

    Parameters
    ----------
    convex : callable
        ``ρ -> (g(ρ), g'(ρ))`` (any subgradient at kinks).
    concave : callable
        ``ρ -> h(ρ)``.
    a, b : float
        The search interval (``a == b`` evaluates one point).

    Returns
    -------
    Bracket
    """
    cache: dict[float, tuple[tuple[float, float], float]] = {}

    def parts(x: float) -> tuple[tuple[float, float], float]:
        if x not in cache:
            cache[x] = (convex(x), concave(x))
        return cache[x]

    def value(x: float) -> float:
        (g, _), h = parts(x)
        return g + h

    if not b > a:
        return Bracket(lower=value(a), upper=value(a), argmin=a, evaluations=1)
    points = [float(x) for x in np.linspace(a, b, max(initial, 1) + 1)]
    best_x = min(points, key=value)
    best = value(best_x)

    def push(heap: list, left: float, right: float) -> None:
        (gl, hl), (gr, hr) = parts(left), parts(right)
        heapq.heappush(heap, (_interval_lower_bound(left, right, gl, gr, hl, hr), left, right))

    heap: list[tuple[float, float, float]] = []
    for left, right in zip(points[:-1], points[1:], strict=True):
        push(heap, left, right)
    floor = np.inf       # bounds of intervals too narrow to split (kept: they stay valid)
    while heap and len(cache) < max_evaluations:
        lower, left, right = heap[0]
        if best - min(lower, floor) <= rtol * abs(best) + atol:
            break
        heapq.heappop(heap)
        middle = 0.5 * (left + right)
        if not left < middle < right:
            floor = min(floor, lower)
            continue
        if value(middle) < best:
            best, best_x = value(middle), middle
        push(heap, left, middle)
        push(heap, middle, right)
    lower = min(heap[0][0] if heap else np.inf, floor, best)
    return Bracket(lower=lower, upper=best, argmin=best_x, evaluations=len(cache))


def lower_bound_from_lines(offsets: np.ndarray, slopes: np.ndarray,
                           concave: Callable[[np.ndarray], np.ndarray], cap: float) -> float:
    """``min_{0 <= ρ <= cap} max_j (offsets_j - slopes_j ρ) + h(ρ)`` for concave ``h``.

    When every line lies below a convex ``G``, this bounds ``min_ρ G(ρ) + h(ρ)`` from below.
    On each piece of the (convex, piecewise-linear) maximum the objective is concave, so its
    minimum is at a breakpoint: the ends and the pairwise crossings of the lines suffice.
    """
    offsets = np.asarray(offsets, dtype=np.float64)
    slopes = np.asarray(slopes, dtype=np.float64)
    grid = [0.0, float(cap)]
    for i in range(offsets.size):
        for j in range(i + 1, offsets.size):
            if slopes[i] != slopes[j]:
                rho = (offsets[i] - offsets[j]) / (slopes[i] - slopes[j])
                if 0.0 < rho < cap:
                    grid.append(float(rho))
    rho = np.array(grid)
    envelope = np.max(offsets[:, None] - slopes[:, None] * rho[None, :], axis=0)
    return float(np.min(envelope + concave(rho)))
