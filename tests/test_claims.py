"""The article's claims: every row of claims.md gets a verdict backed by a computed number;
the sector view and the scenarios the article raises."""

from __future__ import annotations

from typing import Any

import pytest

import combien
from combien.field.claims import CLAIMS, check_claims, judge
from combien.field.sector import SectorInputs, sector

CLAIM_IDS = [
    "cost-growth",
    "gpt4-cost",
    "gemini-cost",
    "gpu-price",
    "amodei-trajectory",
    "revenue-gap",
    "jest",
    "jean-zay-heat",
    "water-per-queries",
    "gpt3-training-water",
    "water-2027",
    "ai-energy-2027",
    "dlc-savings",
    "microsoft-emissions",
    "tmi-nuclear",
]


def test_every_claim_of_claims_md_has_a_function() -> None:
    assert list(CLAIMS) == CLAIM_IDS


def test_claims_json(cli: Any) -> None:
    data = cli("claims", "--format", "json").json()
    assert data["schema"] == "combien.claims/1"
    rows = {c["id"]: c for c in data["claims"]}
    assert list(rows) == CLAIM_IDS
    for c in rows.values():
        assert c["verdict"] in {"consistent", "partly consistent", "not consistent", "checked fact"}
        assert {"value", "low", "high", "unit"} <= set(c["computed"]) and c["reason"]
        assert c["computed"]["low"] <= c["computed"]["value"] <= c["computed"]["high"]
        assert c["assumptions"]


def _claim(name: str) -> Any:
    return check_claims([name])[0]


def test_claim_numbers() -> None:
    # Li et al.'s U.S.-average 29.6 requests per 500 mL (Washington 10.5 … Ireland 70.4)
    water = _claim("water-per-queries")
    assert (water.value, water.low, water.high) == pytest.approx((29.6, 10.5, 70.4), abs=0.05)
    # 1,287 MWh × (0.55 + 1.17 × 3.142) = 5.439 ML
    assert _claim("gpt3-training-water").value == pytest.approx(5.439e6, rel=1e-3)
    # de Vries: 1.5M servers × 6.5–10.2 kW × 8,760 h = 85.4–134.0 TWh
    energy = _claim("ai-energy-2027")
    assert (energy.low, energy.high) == pytest.approx((85.41, 134.03), abs=0.01)
    # Li et al.: 4.2–6.6 billion m³ withdrawn (85–134 TWh × PUE 1.1 × (1.2 + 43.83 L/kWh))
    water_2027 = _claim("water-2027")
    assert (water_2027.low, water_2027.high) == pytest.approx((4.22e9, 6.62e9), rel=0.01)
    # Cahn: $150B × 2 × 2 = $600B
    assert _claim("revenue-gap").value == pytest.approx(600e9)
    # GPT-4 at cloud prices: the AI Index's $78M lies inside combien's range
    gpt4 = _claim("gpt4-cost")
    assert gpt4.low < 78.35e6 < gpt4.high and gpt4.verdict == "partly consistent"
    gemini = _claim("gemini-cost")
    assert gemini.value == pytest.approx(191.4e6, rel=0.1) and gemini.verdict == "consistent"
    assert _claim("jest").value == pytest.approx(0.1)
    dlc = _claim("dlc-savings")
    assert 0.2 <= dlc.value <= 0.35 and dlc.verdict == "partly consistent"
    assert _claim("microsoft-emissions").verdict == "checked fact"
    assert _claim("cost-growth").verdict == "consistent"


def test_judge() -> None:
    assert judge(20, 50, 10, 70) == "consistent"
    assert judge(20, 50, 60, 90) == "partly consistent"
    assert judge(20, 50, 200, 300) == "not consistent"


def test_unknown_claim(cli: Any) -> None:
    result = cli("claims", "gpt5-cost")
    assert result.code == 2 and "unknown claim" in result.err


def test_sector_options() -> None:
    base = sector()
    half = sector(SectorInputs(utilisation=0.5))
    assert half.energy_twh.value == pytest.approx(base.energy_twh.value / 2)
    assert sector(SectorInputs(pue=1.5)).water_withdrawal_m3.value > base.water_withdrawal_m3.value
    french = sector(SectorInputs(location="FR"))
    assert french.co2e_t.value < base.co2e_t.value / 5
    assert sector(SectorInputs(dc_capex_usd=300e9)).revenue_needed_usd == pytest.approx(1.2e12)


def test_sector_cli(cli: Any) -> None:
    data = cli("sector", "--format", "json").json()
    assert data["schema"] == "combien.sector/1"
    assert data["water_consumption_m3"]["value"] < data["water_withdrawal_m3"]["value"] / 5
    assert cli("sector", "--servers", "-1").code == 2
    assert cli("sector").code == 0


def test_energy_source_scenario() -> None:
    grid = combien.estimate(model="gpt-3", location="US")
    nuclear = combien.estimate(model="gpt-3", location="US", energy="nuclear")
    assert nuclear.inputs["grid_gco2e_per_kwh"].value == 12  # IPCC AR5 median
    assert nuclear.co2e_operational_kg.value < grid.co2e_operational_kg.value / 20
    assert nuclear.energy_kwh.value == grid.energy_kwh.value
    assert nuclear.labels["energy"] == "nuclear"


def test_efficiency_scenario() -> None:
    base = combien.estimate(model="gpt-3")
    lean = combien.estimate(model="gpt-3", efficiency=10, efficiency_overhead=0.05)
    assert lean.chip_hours.value == pytest.approx(base.chip_hours.value * 0.15)
    for name in ("energy_kwh", "co2e_total_kg", "water_total_l", "cost_cloud_usd"):
        assert getattr(lean, name).value == pytest.approx(getattr(base, name).value * 0.15)


def test_cooling_scenario() -> None:
    air = combien.estimate(model="llama-65b", facility="air-cooled", location="FR")
    dlc = combien.estimate(model="llama-65b", facility="dlc", location="FR")
    assert dlc.energy_kwh.value < air.energy_kwh.value
    assert dlc.it_energy_kwh.value == air.it_energy_kwh.value


def test_heat_reuse(cli: Any) -> None:
    data = cli("estimate", "--model", "bloom", "--heat-reuse", "0.8", "--format", "json").json()
    heat = data["heat"]
    it = data["it_energy_kwh"]["value"]
    assert heat["recoverable_kwh"]["value"] == pytest.approx(0.8 * it)
    # homes-years = heat ÷ 4.7 MWh per new French dwelling
    assert heat["homes_year_equivalent"]["value"] == pytest.approx(0.8 * it / 4700)
