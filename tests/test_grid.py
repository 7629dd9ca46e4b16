"""Grid carbon intensity by place, year and scope: each figure checked against its source."""

from __future__ import annotations

import re
from typing import Any

import pytest

import combien
from combien.data import catalog
from combien.errors import AmbiguousNameError, InputError

# eGRID editions, Georgia's state total output CO2e rate (lb/MWh) × 0.45359237 g/kWh per lb/MWh
GEORGIA_2019_COMBUSTION = 399.5908  # eGRID2019: 880.95 lb/MWh
GEORGIA_2023_COMBUSTION = 325.4276  # eGRID2023: 717.445 lb/MWh (as in CodeCarbon's copy too)
# Ember (2025 release, via Our World in Data) and eGRID for the whole US, the same year
US_2019_LIFECYCLE, US_2019_COMBUSTION = 439.4091, 403.3407


def _grid(**run: Any) -> tuple[float, Any]:
    bill = combien.estimate(
        params="7B", tokens="1T", hardware="h100-sxm", chips=64, samples=200, **run
    )
    return bill.inputs["grid_gco2e_per_kwh"].value, bill


def _codes(bill: Any) -> set[str]:
    return {w.code for w in bill.warnings}


def test_a_2019_run_in_georgia_uses_georgias_2019_figure() -> None:
    value, bill = _grid(location="US-GA", start="2019-06", grid_scope="combustion")
    assert value == pytest.approx(GEORGIA_2019_COMBUSTION)
    assert bill.labels["grid_year"] == "2019" and bill.labels["grid_scope"] == "combustion"
    assert not _codes(bill) & {"grid-year", "grid-scope", "grid-converted"}
    # in the default (lifecycle) scope: that figure × the US ratio of the two scopes in 2019
    value, bill = _grid(location="US-GA", start="2019-06")
    assert value == pytest.approx(
        GEORGIA_2019_COMBUSTION * US_2019_LIFECYCLE / US_2019_COMBUSTION, rel=1e-9
    )
    assert "grid-converted" in _codes(bill)
    assert "× 1.089 from combustion to lifecycle" in bill.inputs["grid_gco2e_per_kwh"].source


def test_the_year_changes_the_figure() -> None:
    # France, Ember: 59.79 g/kWh in 2019, 78.55 in 2022 (nuclear outages), 44.18 in 2024
    for start, expected in (("2019-03", 59.7875), ("2022-05", 78.5502), ("2024-01", 44.1791)):
        value, bill = _grid(location="FR", start=start)
        assert value == expected
        assert "grid-year" not in _codes(bill)
    # no date: the latest published year
    assert _grid(location="FR")[0] == 44.1791
    # a year after the series ends: its last year, said aloud
    value, bill = _grid(location="US-GA", start="2025-03", grid_scope="combustion")
    assert value == pytest.approx(GEORGIA_2023_COMBUSTION)
    assert "grid-year" in _codes(bill)


def test_a_presets_date_picks_its_year() -> None:
    # GPT-3 (published 2020-05) trained in the US in 2020: Ember's 2020 US figure
    bill = combien.estimate(model="gpt-3", location="US", samples=200)
    assert bill.labels["grid_year"] == "2020"
    assert bill.inputs["grid_gco2e_per_kwh"].value == 411.6982


def test_scopes() -> None:
    # combustion asked of a country that publishes lifecycle only: the lifecycle figure, said
    value, bill = _grid(location="FR", start="2019-01", grid_scope="combustion")
    assert value == 59.7875 and "grid-scope" in _codes(bill)
    assert bill.labels["grid_scope"] == "lifecycle"
    # a province with its own lifecycle series (Electricity Maps) uses it, without conversion
    value, bill = _grid(location="CA-QC", start="2023-01")
    assert value == 31 and not _codes(bill) & {"grid-converted", "grid-scope", "grid-year"}
    # and its combustion figure (ECCC's National Inventory Report) where asked
    value, bill = _grid(location="CA-QC", start="2019-01", grid_scope="combustion")
    assert value == 1.5
    with pytest.raises(InputError, match="--grid-scope: unknown 'scope1'"):
        _grid(location="FR", grid_scope="scope1")


def test_every_country_and_region_has_a_grid_in_each_scope() -> None:
    countries = [row for row in catalog.locations() if row.kind == "country"]
    assert len(countries) >= 200  # every country Ember covers
    for row in catalog.locations():
        for scope in ("lifecycle", "combustion"):
            for year in (None, 2000, 2015, 2024):
                found = catalog.grid_intensity(row, year, scope)
                assert found is not None and 0 <= found.value < 2000, (row.id, scope, year)


def test_location_names() -> None:
    table = catalog.locations()
    for name, expected in (
        ("France", "FR"),
        ("Paris", "FR"),
        ("Iowa", "US-IA"),
        ("Oklahoma", "US-OK"),
        ("Tennessee", "US-TN"),
        ("South Carolina", "US-SC"),
        ("Montréal", "CA-QC"),
        ("Kenya", "KE"),
        ("CYP", "CY"),  # ISO 3166-1 alpha-3: Cyprus is CYP; CYM is the Cayman Islands
        ("CYM", "KY"),
    ):
        assert table.get(name).id == expected, name
    with pytest.raises(AmbiguousNameError, match=r"GE \(Georgia\), US-GA \(Georgia, US\)"):
        table.get("Georgia")


def test_a_country_code_names_one_location() -> None:
    # a code (ISO 3166-1 alpha-3, or an abbreviation such as UAE) is no name two places share
    owners: dict[str, list[str]] = {}
    for row in catalog.locations():
        for alias in row.aliases:
            if re.fullmatch(r"[A-Z]{3}", alias):
                owners.setdefault(alias, []).append(row.id)
    assert {code: ids for code, ids in owners.items() if len(ids) > 1} == {}


def test_ambiguous_location_is_a_one_line_error(cli: Any) -> None:
    result = cli("estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100-sxm",
                 "--location", "Georgia")  # fmt: skip
    assert result.code == 2
    assert result.err.strip().count("\n") == 0
    assert "GE (Georgia)" in result.err and "US-GA" in result.err


def test_start_date_bounds(cli: Any) -> None:
    base = ("estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100-sxm")
    before = cli(*base, "--start", "1999-12")
    assert before.code == 2 and "before 2000" in before.err
    ahead = cli(*base, "--start", "2099-01")
    assert ahead.code == 2 and "more than a year ahead" in ahead.err


def test_electricity_prices_outside_the_us() -> None:
    # Eurostat nrg_pc_205, band ID, 2024-S2, excluding VAT: 0.1446 EUR/kWh for France at the
    # ECB's mean 2024-S2 rate of 1.083474 USD/EUR
    bill = combien.estimate(params="7B", tokens="1T", hardware="h100-sxm", location="FR",
                            chips=64, samples=200)  # fmt: skip
    price = bill.inputs["price_usd_per_kwh"]
    assert price.value == pytest.approx(0.1446 * 1.083474, abs=5e-5)
    assert "Eurostat nrg_pc_205" in price.source
    assert "default-price-kwh" not in _codes(bill)


def test_a_tracked_run_uses_the_grid_of_the_year_it_ran(tmp_path: Any) -> None:
    # a run measured from 2019-06-15 12:00 UTC in Georgia: eGRID2019, as `--start 2019-06` gives,
    # in the bill made at its end and in the one rebuilt from the store
    from combien.measure.runs import get_run, stored_bill
    from combien.store import Store
    from combien.testing import FakeSensor, ManualClock

    db = str(tmp_path / "runs.db")
    clock = ManualClock(wall_start=1_560_600_000.0)  # 2019-06-15T12:00:00Z
    with combien.Tracker(
        location="US-GA",
        grid_scope="combustion",
        db=db,
        sensors=[FakeSensor(300.0, name="NVIDIA H100 80GB HBM3")],
        clock=clock,
        interval_s=1.0,
    ) as t:
        clock.advance(10.0)
    for bill in (t.bill(), stored_bill(get_run(Store(db), t.id))):
        assert bill.inputs["grid_gco2e_per_kwh"].value == pytest.approx(GEORGIA_2019_COMBUSTION)
        assert bill.labels["grid_year"] == "2019"
        assert bill.labels["start"] == "2019-06-15"


@pytest.mark.parametrize("started_at", [7.0e16, float("nan"), 0.0, 4.0e9])
def test_a_start_time_that_is_no_usable_date_is_said(started_at: float) -> None:
    # 7e16 s is past year 9999, NaN is no time, 1970 is before the grid series, 2096 is more than
    # a year ahead: the bill is made with the latest grid year, and says so
    from combien.measure.measured import measured_bill
    from combien.measure.sensors import Device

    gpu = Device("gpu0", "gpu", "NVIDIA H100 80GB HBM3", "measured", "node")
    bill = measured_bill({"location": "FR"}, [(gpu, 3.6e6)], 7200.0, started_at=started_at)
    assert "start-unusable" in _codes(bill)
    assert "start" not in bill.labels
    assert bill.labels["grid_year"] == str(max(catalog.grid_series()[("FR", "lifecycle")].values))
