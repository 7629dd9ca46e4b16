"""Trends: log-linear growth of frontier training compute and cost against publication date.

Selection (Epoch AI's rule, applied to combien's catalog): a model is *frontier* when fewer than
ten models of the catalog published on or before its date used more training compute (the
running top 10 by compute at release). Cost is combien's estimate of each frontier run with
known hardware — by the ownership (amortised hardware + energy, Epoch AI's method A) and the
cloud (rental, method B) methods. Growth: ordinary least squares of log10(value) on decimal
year; 90% interval from a seeded bootstrap over models; doubling time = ln 2 / ln(growth).
Crossings: the year the largest run of the window, growing at the fitted rate, reaches $1B,
$10B and $100B (and the year the fitted line itself does), with the bootstrap interval.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from combien.data import catalog
from combien.errors import CombienError, InputError
from combien.resolve.spec import TrainingRun
from combien.results.document import JSON, dumps, markdown_table, records_csv, rich_table
from combien.training.estimate import central
from combien.units import parse_date, quantity

if TYPE_CHECKING:
    from rich.console import RenderableType

SCHEMA = "combien.trends/1"
_GROWTH_HEADER = ("trend", "growth per year", "90% CI", "doubling (months)", "models")
_CROSS_HEADER = ("largest run costs", "year (ownership)", "year (cloud)")
THRESHOLDS_USD = (1e9, 1e10, 1e11)
SELECTION = (
    "running top 10 by training compute at publication within combien's catalog "
    "(Epoch AI's frontier rule); cost only for runs whose hardware is known"
)


def decimal_year(text: str) -> float:
    day = parse_date(text)
    start = date(day.year, 1, 1)
    return day.year + (day - start).days / 365.25


@dataclass(frozen=True)
class Growth:
    """A fitted log-linear trend: growth factor per year with its bootstrap interval."""

    value: float
    low: float
    high: float
    slope: float  # log10 units per year
    intercept: float
    n: int
    boot: tuple[tuple[float, float], ...] = field(default=(), repr=False)

    @property
    def doubling_months(self) -> float:
        return 12 * math.log(2) / math.log(self.value)

    def at(self, year: float) -> float:
        return float(10 ** (self.intercept + self.slope * year))

    def crossing(self, level: float, anchor: tuple[float, float] | None = None) -> dict[str, float]:
        """Year the trend reaches `level` (5th–95th percentile over the bootstrap slopes).

        With `anchor` (year, value), the line of fitted slope through that point — the
        largest run's own trajectory; otherwise the fitted line itself.
        """
        target = math.log10(level)

        def year(slope: float, intercept: float) -> float:
            if anchor is None:
                return (target - intercept) / slope
            return anchor[0] + (target - math.log10(anchor[1])) / slope

        central = year(self.slope, self.intercept)
        years = [year(a, b) for a, b in self.boot if a > 0]
        low, high = np.percentile(years, [5, 95]) if years else (central, central)
        return {"value": central, "low": float(low), "high": float(high)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "doubling_months": self.doubling_months,
            "n": self.n,
        }


def fit_growth(
    years: list[float], values: list[float], *, samples: int = 2000, seed: int = 0
) -> Growth:
    """OLS of log10(values) on years, bootstrap over points (seeded, deterministic)."""
    if len(years) < 3:
        raise InputError("too few points to fit a trend (need at least 3)")
    x = np.asarray(years, dtype=float)
    y = np.log10(np.asarray(values, dtype=float))
    slope, intercept = np.polyfit(x, y, 1)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(samples, len(x)))
    xs, ys = x[idx], y[idx]
    xm, ym = xs.mean(axis=1, keepdims=True), ys.mean(axis=1, keepdims=True)
    var = ((xs - xm) ** 2).sum(axis=1)
    ok = var > 0
    slopes = ((xs - xm) * (ys - ym)).sum(axis=1)[ok] / var[ok]
    intercepts = ym[ok, 0] - slopes * xm[ok, 0]
    low, high = np.percentile(10**slopes, [5, 95])
    return Growth(
        float(10**slope),
        float(low),
        float(high),
        float(slope),
        float(intercept),
        len(x),
        tuple(zip(slopes.tolist(), intercepts.tolist(), strict=True)),
    )


def frontier(models: list[catalog.ModelPreset] | None = None) -> list[catalog.ModelPreset]:
    """Models fewer than ten of which, published on or before, used more compute."""
    rows = [m for m in (models or list(catalog.models())) if m.flop and m.date]
    rows.sort(key=lambda m: (m.date, m.id))
    out = []
    for m in rows:
        ahead = sum(1 for o in rows if o.date <= m.date and (o.flop or 0) > (m.flop or 0))
        if ahead < 10:
            out.append(m)
    return out


@dataclass(frozen=True)
class FrontierRun:
    """A frontier run of the window, with combien's central cost where its hardware is known."""

    id: str
    name: str
    date: str
    flop: float
    cost_ownership_usd: float | None = None
    cost_cloud_usd: float | None = None

    def value(self, key: str) -> float | None:
        """The quantity named `key`: flop, cost_ownership_usd or cost_cloud_usd."""
        value = {
            "flop": self.flop,
            "cost_ownership_usd": self.cost_ownership_usd,
            "cost_cloud_usd": self.cost_cloud_usd,
        }[key]
        return value

    def to_dict(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "date": self.date,
            "flop": self.flop,
            "cost_ownership_usd": self.cost_ownership_usd,
            "cost_cloud_usd": self.cost_cloud_usd,
        }


def costed(m: catalog.ModelPreset) -> FrontierRun:
    """A preset's run with combien's central ownership and cloud costs (none without hardware,
    or when the run cannot be estimated)."""
    run = FrontierRun(m.id, m.name, m.date, m.flop or 0.0)
    if not m.hardware:
        return run
    try:
        bill = central(TrainingRun(model=m.id))
    except CombienError:
        return run
    return dataclasses.replace(
        run,
        cost_ownership_usd=bill.get("cost_ownership_usd"),
        cost_cloud_usd=bill.get("cost_cloud_usd"),
    )


@dataclass(frozen=True)
class Trends:
    since: int
    until: float | None
    compute: Growth
    cost_ownership: Growth
    cost_cloud: Growth
    frontier: tuple[FrontierRun, ...]

    def to_csv(self) -> str:
        """One row per model of the frontier series, with its compute and costs."""
        return records_csv([run.to_dict() for run in self.frontier])

    def to_dict(self) -> JSON:
        top, top_cost = self.largest("cost_ownership_usd")
        return {
            "schema": SCHEMA,
            "since": self.since,
            "until": self.until,
            "method": {
                "selection": SELECTION,
                "fit": "OLS of log10(value) on decimal year",
                "interval": "5th-95th percentile of a seeded bootstrap over models",
                "cost": "combien estimate of each run: ownership = amortised hardware "
                "+ energy (Epoch AI method A); cloud = rental",
            },
            "compute_growth_per_year": self.compute.to_dict(),
            "cost_growth_per_year": self.cost_ownership.to_dict(),
            "cost_growth_per_year_cloud": self.cost_cloud.to_dict(),
            "crossings": self.crossings(),
            "crossings_cloud": self.crossings("cost_cloud_usd"),
            "crossings_trend": self.crossings(from_largest=False),
            "largest_run": {"id": top.id, "date": top.date, "cost_usd": top_cost},
            "models": [run.to_dict() for run in self.frontier],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent)

    def growth_rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for label, growth in (
            ("training compute", self.compute),
            ("cost (ownership)", self.cost_ownership),
            ("cost (cloud)", self.cost_cloud),
        ):
            rows.append(
                (
                    label,
                    f"×{growth.value:.2f}",
                    f"{growth.low:.2f}–{growth.high:.2f}",
                    f"{growth.doubling_months:.1f}",
                    str(growth.n),
                )
            )
        return rows

    def crossing_rows(self) -> list[tuple[str, ...]]:
        own, cloud = self.crossings(), self.crossings("cost_cloud_usd")
        return [
            (
                quantity(float(key), "USD"),
                f"{own[key]['value']:.1f} [{own[key]['low']:.1f}–{own[key]['high']:.1f}]",
                f"{cloud[key]['value']:.1f} [{cloud[key]['low']:.1f}–{cloud[key]['high']:.1f}]",
            )
            for key in own
        ]

    def to_markdown(self) -> str:
        out = [f"## combien — frontier trends since {self.since}", ""]
        out += markdown_table(_GROWTH_HEADER, self.growth_rows(), numeric_from=99)
        out += ["", *markdown_table(_CROSS_HEADER, self.crossing_rows(), numeric_from=99)]
        return "\n".join(out) + "\n"

    def to_table(self) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        end = f"–{self.until:g}" if self.until else ""
        top, top_cost = self.largest("cost_ownership_usd")
        growth = rich_table(
            f"combien — frontier trends since {self.since}{end}",
            _GROWTH_HEADER,
            self.growth_rows(),
            numeric_from=99,
        )
        cross = rich_table(
            f"when the largest run ({top.id}, {quantity(top_cost, 'USD')}), "
            "growing at the fitted rate, crosses",
            _CROSS_HEADER,
            self.crossing_rows(),
            numeric_from=99,
        )
        return Group(growth, cross, Text(SELECTION, style="dim"))

    def points(self, key: str) -> list[tuple[FrontierRun, float]]:
        """The runs of the window that have the quantity named `key` (flop or a cost), with it."""
        return [(run, value) for run in self.frontier if (value := run.value(key))]

    def largest(self, key: str) -> tuple[FrontierRun, float]:
        """The most expensive run of the window, and its cost."""
        return max(self.points(key), key=lambda pair: pair[1])

    def crossings(
        self, key: str = "cost_ownership_usd", *, from_largest: bool = True
    ) -> dict[str, dict[str, float]]:
        """Per threshold ('1e9', '1e10', '1e11'): the year the cost named `key` reaches it, with
        its bootstrap interval — from the largest run at the fitted growth, or on the fit."""
        growth = self.cost_ownership if key == "cost_ownership_usd" else self.cost_cloud
        run, cost = self.largest(key)
        anchor = (decimal_year(run.date), cost) if from_largest else None
        return {
            f"{level:.0e}".replace("+", ""): growth.crossing(level, anchor)
            for level in THRESHOLDS_USD
        }


@functools.cache
def trends(since: int = 2016, until: float | None = None, *, seed: int = 0) -> Trends:
    """Growth of frontier compute and cost from `since` (to `until`, a decimal year), and
    when cost crosses $1B–$100B."""
    end = until if until is not None else math.inf
    chosen = [m for m in frontier() if since <= decimal_year(m.date) <= end]
    if len(chosen) < 3:
        raise InputError(f"--since {since}: fewer than 3 frontier models in the window")
    compute = fit_growth(
        [decimal_year(m.date) for m in chosen], [m.flop or 0 for m in chosen], seed=seed
    )
    runs = tuple(costed(m) for m in chosen)
    own = [(r, c) for r in runs if (c := r.cost_ownership_usd)]
    cloud = [(r, c) for r in runs if (c := r.cost_cloud_usd)]
    cost_own = fit_growth([decimal_year(r.date) for r, _ in own], [c for _, c in own], seed=seed)
    cost_cloud = fit_growth(
        [decimal_year(r.date) for r, _ in cloud], [c for _, c in cloud], seed=seed
    )
    return Trends(since, until, compute, cost_own, cost_cloud, runs)
