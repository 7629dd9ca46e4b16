"""Electricity prices outside Europe and North America: each figure checked against its source's
original value and the exchange rate it was converted at."""

from __future__ import annotations

from typing import Any

import pytest

import combien
from combien.data import catalog

# (location, original value in local currency per kWh, USD per unit as the source writes it: the
# mean of the ECB's daily reference rates over the price's period, year, words the source carries)
PRICES = [
    # 電力取引報 via 新電力ネット: extra-high-voltage (特別高圧) national average, 2024 mean of the
    # monthly unit prices; USD/JPY: mean of the ECB's daily USD and JPY rates over 2024
    ("JP", 18.2, "0.00661084", "2024", ("18.2 JPY/kWh", "特別高圧", "電力取引報", "[second-hand]")),
    # PLN tariff class I-3/TM (> 200 kVA), July-September 2024; USD/IDR over the same quarter
    ("ID", 1114.74, "0.0000633693", "2024", ("1114.74 IDR/kWh", "I-3/TM", "[second-hand]")),
]


def _bill(location: str) -> Any:
    return combien.estimate(
        params="7B", tokens="1T", hardware="h100-sxm", chips=64, location=location, samples=200
    )


@pytest.mark.parametrize(("location", "original", "rate", "year", "words"), PRICES)
def test_price_is_the_source_figure_at_the_stated_rate(
    location: str, original: float, rate: str, year: str, words: tuple[str, ...]
) -> None:
    row = catalog.locations().get(location)
    assert row.price_usd_per_kwh == pytest.approx(original * float(rate), abs=5e-5)
    assert row.price_year == year
    source = row.price_source or ""
    for word in words:
        assert word in source, word
    assert f"({rate} USD/" in source
    assert "ECB" in source
    # the row's source names every part, price included, in order, once
    parts = [p for p in (row.ewif_source, row.price_source, row.facility_source) if p]
    assert row.source == "; ".join(dict.fromkeys(parts))


@pytest.mark.parametrize(("location", "original", "rate", "year", "words"), PRICES)
def test_an_estimate_there_uses_it(
    location: str, original: float, rate: str, year: str, words: tuple[str, ...]
) -> None:
    bill = _bill(location)
    price = bill.inputs["price_usd_per_kwh"]
    assert price.value == pytest.approx(original * float(rate), abs=5e-5)
    assert words[0] in price.source
    assert "default-price-kwh" not in {w.code for w in bill.warnings}


def test_a_city_alias_inherits_its_countrys_price() -> None:
    # Tokyo and Jakarta are aliases of their countries' rows
    for city, (_, original, rate, _, _) in zip(("Tokyo", "Jakarta"), PRICES, strict=True):
        price = _bill(city).inputs["price_usd_per_kwh"].value
        assert price == pytest.approx(original * float(rate), abs=5e-5)


def test_india_still_falls_back_with_a_warning() -> None:
    # no sourced large-consumer price for India yet: the EIA 2023 US industrial average, said so
    bill = _bill("IN")
    assert bill.inputs["price_usd_per_kwh"].value == pytest.approx(0.0806)
    assert "default-price-kwh" in {w.code for w in bill.warnings}
