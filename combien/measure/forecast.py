"""Forecast the whole run from its first part.

Progress arrives as (elapsed seconds, units done, energy so far). Each progress increment is a
draw of the energy and time one unit of work costs; with n units done out of N at mean cost μ and
spread σ per unit, the remaining cost is (N − n)·μ with variance (N − n)·σ² + (N − n)²·σ²/n (the
spread of the remaining units, plus the uncertainty of μ itself). The 90% interval is ±1.645
standard deviations, and it narrows to nothing as n reaches N. Carbontracker's predictor is the
special case σ = 0 (mean energy × remaining epochs).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from combien.results.bill import Line


def _z95() -> float:
    """The 95th percentile of a standard normal (1.6449)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.95)


@dataclass(frozen=True)
class Forecast:
    """The projected totals of a run, at a given fraction done."""

    done: float
    total: float
    energy_j: Line
    duration_s: Line

    @property
    def fraction(self) -> float:
        return self.done / self.total

    def to_dict(self) -> dict[str, object]:
        return {
            "done": self.done,
            "total": self.total,
            "fraction": self.fraction,
            "energy_j": self.energy_j.to_dict(),
            "duration_s": self.duration_s.to_dict(),
        }


def _project(points: list[tuple[float, float]], done: float, total: float) -> Line:
    """points: (units done, cumulative quantity), ascending in units done."""
    current = points[-1][1]
    rates = [(q1 - q0) / (d1 - d0) for (d0, q0), (d1, q1) in itertools.pairwise(points) if d1 > d0]
    mean = current / done
    remaining = max(0.0, total - done)
    var_unit = sum((r - mean) ** 2 for r in rates) / (len(rates) - 1) if len(rates) >= 2 else 0.0
    # increments may span several units: scale their variance to one unit
    span = done / max(1, len(rates))
    var_unit *= span
    variance = remaining * var_unit + remaining**2 * var_unit / done
    half = _z95() * math.sqrt(max(0.0, variance))
    central = current + remaining * mean
    return Line(central, max(current, central - half), central + half)


def forecast(history: list[tuple[float, float, float]], total: float) -> Forecast | None:
    """Project energy and duration from (elapsed_s, done, energy_j) points; None if too early."""
    points = [(t, d, e) for t, d, e in history if d > 0]
    if not points or total <= 0:
        return None
    _, done, _ = points[-1]
    energy = [(0.0, 0.0)] + [(d, e) for _, d, e in points]
    time = [(0.0, 0.0)] + [(d, t) for t, d, _ in points]
    return Forecast(done, total, _project(energy, done, total), _project(time, done, total))
