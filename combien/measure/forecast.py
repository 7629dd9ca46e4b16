"""Forecast the whole run from its first part.

Progress arrives as (elapsed seconds, units done, energy so far). Each progress increment is a
draw of the energy and time one unit of work costs; with n units done out of N at mean cost μ and
spread σ per unit, the remaining cost is (N − n)·μ with variance (N − n)·σ² + (N − n)²·σ²/n (the
spread of the remaining units, plus the uncertainty of μ itself). The 90% interval is ±1.645
standard deviations, and it narrows to nothing as n reaches N. Carbontracker's predictor is the
special case σ = 0 (mean energy × remaining epochs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from combien.results.bill import Line
from combien.units import Z95


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


class _Rates:
    """Running statistics of a cumulative quantity per unit of work: the last point, and the
    count, sum and sum of squares of the rates between successive points (constant time per
    point, however long the run)."""

    def __init__(self) -> None:
        self.count, self.total, self.squares = 0, 0.0, 0.0
        self.last = (0.0, 0.0)  # (units done, cumulative quantity), from (0, 0)

    def add(self, done: float, quantity: float) -> None:
        d0, q0 = self.last
        if done > d0:
            rate = (quantity - q0) / (done - d0)
            self.count += 1
            self.total += rate
            self.squares += rate * rate
        self.last = (done, quantity)

    def project(self, total: float) -> Line:
        """The cumulative quantity at `total` units, with its 90% range."""
        done, current = self.last
        mean = current / done
        remaining = max(0.0, total - done)
        n = self.count
        # Σ (rate − mean)² from the running sums
        spread = self.squares - 2 * mean * self.total + n * mean * mean
        var_unit = max(0.0, spread) / (n - 1) if n >= 2 else 0.0
        # increments may span several units: scale their variance to one unit
        var_unit *= done / max(1, n)
        variance = remaining * var_unit + remaining**2 * var_unit / done
        half = Z95 * math.sqrt(max(0.0, variance))
        central = current + remaining * mean
        return Line(central, max(current, central - half), central + half)


class RunningForecast:
    """The forecast kept up to date point by point: `add` and `forecast` take constant time."""

    def __init__(self) -> None:
        self.points = 0
        self._energy, self._time = _Rates(), _Rates()

    def add(self, elapsed_s: float, done: float, energy_j: float) -> None:
        """A point: `done` units of work after `elapsed_s` seconds and `energy_j` joules."""
        if done <= 0:
            return
        self.points += 1
        self._energy.add(done, energy_j)
        self._time.add(done, elapsed_s)

    def forecast(self, total: float) -> Forecast | None:
        """Projected energy and duration at `total` units; None before any point."""
        if not self.points or total <= 0:
            return None
        done = self._energy.last[0]
        return Forecast(done, total, self._energy.project(total), self._time.project(total))


def forecast(history: list[tuple[float, float, float]], total: float) -> Forecast | None:
    """Project energy and duration from (elapsed_s, done, energy_j) points; None if too early."""
    running = RunningForecast()
    for elapsed_s, done, energy_j in history:
        running.add(elapsed_s, done, energy_j)
    return running.forecast(total)
