"""Trends: the frontier rule, the fit, the bootstrap, crossings, charts — and combien's growth
rates set against Epoch AI's published ones (combien/data/facts.csv, docs/methodology.md §11)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from combien.data import catalog
from combien.field.trends import decimal_year, fit_growth, frontier, trends

# Cottier et al. 2024 fit the frontier runs since 2016; Epoch AI's compute trend covers 2010 on.
COST_SINCE = 2016
COMPUTE_SINCE = 2010


def _growth(key: str, since: int) -> dict[str, float]:
    growth: dict[str, float] = trends(since).to_dict()[key]
    return growth


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def test_fit_recovers_a_known_growth() -> None:
    years = [2016 + i / 4 for i in range(40)]
    noise = [1.3, 0.8, 1.1, 0.9] * 10
    values = [1e6 * 3.0 ** (y - 2016) * n for y, n in zip(years, noise, strict=True)]
    g = fit_growth(years, values)
    assert g.value == pytest.approx(3.0, rel=0.03)
    assert g.low < 3.0 < g.high
    assert g.doubling_months == pytest.approx(12 * math.log(2) / math.log(g.value))
    assert g.crossing(1e6 * 3.0**10)["value"] == pytest.approx(2026, abs=0.3)


def _frontier_ids_by_hand() -> set[str]:
    """Epoch AI's rule, written again: fewer than ten runs on or before the date used more."""
    rows = [m for m in catalog.models() if m.flop and m.date]
    return {
        m.id
        for m in rows
        if sum(1 for o in rows if o.date <= m.date and (o.flop or 0) > (m.flop or 0)) < 10
    }


def test_frontier_rule() -> None:
    chosen = frontier()
    ids = {m.id for m in chosen}
    assert {"gpt-3", "gpt-4", "gemini-ultra", "llama-3.1-405b"} <= ids
    assert "llama-7b" not in ids and "mistral-7b" not in ids
    assert ids == _frontier_ids_by_hand()
    in_window = [m for m in chosen if decimal_year(m.date) >= COST_SINCE]
    assert _growth("compute_growth_per_year", COST_SINCE)["n"] == len(in_window)


def test_trends_schema() -> None:
    data = trends(COST_SINCE).to_dict()
    assert data["schema"] == "combien.trends/1" and data["since"] == COST_SINCE


# Cost: Epoch AI (Cottier et al. 2024, facts.csv epoch-cost-growth), amortised hardware and
# energy of frontier runs since 2016: 2.4× a year, 90% CI 2.0–2.9.


def test_cost_growth_central_value_inside_epochs_interval() -> None:
    epoch = catalog.fact("epoch-cost-growth")
    cost = _growth("cost_growth_per_year", COST_SINCE)
    assert epoch.low is not None and epoch.high is not None
    assert epoch.low <= cost["value"] <= epoch.high


def test_cost_growth_interval_overlaps_epochs() -> None:
    epoch = catalog.fact("epoch-cost-growth")
    cost = _growth("cost_growth_per_year", COST_SINCE)
    assert epoch.low is not None and epoch.high is not None
    assert _overlap((cost["low"], cost["high"]), (epoch.low, epoch.high))


@pytest.mark.xfail(
    strict=True,
    reason="combien's cost growth since 2016 is 2.82×/yr, 90% interval 2.40–3.32 (lower bound "
    "2.4045): Epoch AI's 2.4× lies just below it; Epoch's interval 2.0–2.9 holds combien's 2.82",
)
def test_epochs_cost_growth_inside_combiens_interval() -> None:
    epoch = catalog.fact("epoch-cost-growth")
    cost = _growth("cost_growth_per_year", COST_SINCE)
    assert cost["low"] <= epoch.value <= cost["high"]


def test_cloud_cost_growth_agrees_with_epoch_both_ways() -> None:
    # Cottier et al. 2024 with cloud rental prices: 2.5× a year (CI 2.1–3.1)
    epoch = catalog.fact("epoch-cloud-cost-growth")
    cloud = _growth("cost_growth_per_year_cloud", COST_SINCE)
    assert epoch.low is not None and epoch.high is not None
    assert cloud["low"] <= epoch.value <= cloud["high"]
    assert epoch.low <= cloud["value"] <= epoch.high


# Compute: Epoch AI (facts.csv epoch-compute-growth-frontier), notable models since 2010:
# 4.7× a year, 90% CI 4.3–5.2. combien fits the frontier runs of its catalog over the same years.


def test_compute_growth_interval_overlaps_epochs() -> None:
    epoch = catalog.fact("epoch-compute-growth-frontier")
    compute = _growth("compute_growth_per_year", COMPUTE_SINCE)
    assert epoch.low is not None and epoch.high is not None
    assert _overlap((compute["low"], compute["high"]), (epoch.low, epoch.high))


@pytest.mark.xfail(
    strict=True,
    reason="combien's compute growth since 2010 is 4.05×/yr, 90% interval 3.65–4.43: Epoch AI's "
    "4.7× (notable models, not only the frontier) lies above it",
)
def test_epochs_compute_growth_inside_combiens_interval() -> None:
    epoch = catalog.fact("epoch-compute-growth-frontier")
    compute = _growth("compute_growth_per_year", COMPUTE_SINCE)
    assert compute["low"] <= epoch.value <= compute["high"]


@pytest.mark.xfail(
    strict=True,
    reason="combien's compute growth since 2010, 4.05×/yr, lies below Epoch AI's 90% CI 4.3–5.2",
)
def test_compute_growth_central_value_inside_epochs_interval() -> None:
    epoch = catalog.fact("epoch-compute-growth-frontier")
    compute = _growth("compute_growth_per_year", COMPUTE_SINCE)
    assert epoch.low is not None and epoch.high is not None
    assert epoch.low <= compute["value"] <= epoch.high


def test_cost_per_flop_falls_at_the_price_performance_trend() -> None:
    # compute ÷ cost growth is the yearly fall of the cost per FLOP; Epoch AI's hardware
    # price-performance trend is 0.14 OOM a year (90% CI 0.10–0.18, defaults.csv)
    trend = catalog.default("price_performance_ooms_per_year")
    compute = _growth("compute_growth_per_year", COST_SINCE)["value"]
    cost = _growth("cost_growth_per_year", COST_SINCE)["value"]
    assert trend.low is not None and trend.high is not None
    assert 10**trend.low <= compute / cost <= 10**trend.high


def test_crossings_follow_the_fitted_rate_from_the_largest_run() -> None:
    data = trends(COST_SINCE).to_dict()
    growth = data["cost_growth_per_year"]["value"]
    largest = data["largest_run"]
    start = decimal_year(largest["date"])
    for level in (1e9, 1e10, 1e11):
        crossing = data["crossings"][f"{level:.0e}".replace("+", "")]
        # the largest run's cost × growth^(t − its date) = level
        expected = start + math.log(level / largest["cost_usd"]) / math.log(growth)
        assert crossing["value"] == pytest.approx(expected, abs=1e-9)
        assert crossing["low"] <= crossing["value"] <= crossing["high"]


def test_largest_run_passes_a_billion_dollars_by_2027() -> None:
    # Cottier et al. 2024: "the largest training runs will cost more than a billion dollars
    # by 2027"
    crossing = trends(COST_SINCE).to_dict()["crossings"]["1e09"]
    assert crossing["high"] < 2028


def test_trends_cli_and_charts(cli: Any, tmp_path: Path) -> None:
    png, page = tmp_path / "trends.png", tmp_path / "trends.html"
    result = cli("trends", "--png", str(png), "--html", str(page))
    assert result.code == 0 and "training compute" in result.out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    text = page.read_text()
    assert text.count("<svg") == 3 and "gpt-4" in text and "1e25" in text
    late = cli("trends", "--since", "2030")
    assert late.code == 2 and late.err.count("\n") == 1 and "Traceback" not in late.err
    assert "fewer than 3 frontier models" in late.err
    data = cli("trends", "--format", "json", "--until", "2024.3").json()
    assert all(decimal_year(m["date"]) <= 2024.3 for m in data["models"])
