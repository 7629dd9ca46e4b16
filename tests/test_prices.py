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
    # TNB Tariff E1 energy charge 33.70 sen + ICPT surcharge 17 sen, Jan-Jun 2024
    ("MY", 0.507, "0.211573", "2024", ("0.507 MYR/kWh", "Tariff E1", "ICPT")),
    # MEA TOD 4.1.2 energy charge 3.1471 + Ft 0.3672 THB, Jan-Apr 2025
    ("TH", 3.5143, "0.029493", "2025", ("3.5143 THB/kWh", "4.1.2", "[second-hand]")),
    # one state's HT industrial tariff, FY2023-24, said to be one state's
    ("IN", 8.12, "0.012079", "2023", ("8.12 INR/kWh", "Maharashtra", "not a national average")),
    # CLP's all-class average net tariff 2024 (basic 96.6 + fuel 46.3 HK cents)
    ("HK", 1.429, "0.128164", "2024", ("1.429 HKD/kWh", "all customer classes")),
]
# prices at a currency's fixed rate to the dollar: (location, local value, local units per USD)
PEGGED = [("AE", 0.43, 3.6725, "AED"), ("SA", 0.18, 3.75, "SAR")]


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
    for city, (_, original, rate, _, _) in zip(("Tokyo", "Jakarta"), PRICES[:2], strict=True):
        price = _bill(city).inputs["price_usd_per_kwh"].value
        assert price == pytest.approx(original * float(rate), abs=5e-5)


@pytest.mark.parametrize(("location", "original", "per_usd", "currency"), PEGGED)
def test_a_pegged_currency_is_converted_at_its_peg(
    location: str, original: float, per_usd: float, currency: str
) -> None:
    row = catalog.locations().get(location)
    assert row.price_usd_per_kwh == pytest.approx(original / per_usd, abs=5e-5)
    assert f"{original} {currency}/kWh" in row.price_source
    assert f"{per_usd} {currency}/USD" in row.price_source


def test_alberta_still_falls_back_with_a_warning() -> None:
    # no sourced delivered large-consumer price for Alberta yet (only the wholesale pool price):
    # the EIA 2023 US industrial average, said so
    bill = _bill("CA-AB")
    assert bill.inputs["price_usd_per_kwh"].value == pytest.approx(0.0806)
    assert "default-price-kwh" in {w.code for w in bill.warnings}


# ---------------------------------------------------------------- cloud prices of the period


def _cloud(**given: Any) -> Any:
    return combien.estimate(samples=200, **given).inputs["price_usd_per_hour"]


def test_a_run_pays_the_cloud_prices_observed_before_its_start() -> None:
    # GPT-3 starts 2020-03-14 (published 2020-05-28, 14.8 days + 60 before): V100 3-year prices
    # then were AWS's p3 (2018-06-08: $1.23) and p3dn (2019-08-05: $1.21) and Azure's NC6s v3
    # (2020-03-09: $1.16); Azure's 2024 ($1.70) and 2025 ($1.63) prices and Google's 2025 one
    # are not yet observed. Median $1.21.
    price = _cloud(model="gpt-3")
    assert price.value == pytest.approx(1.21)
    assert "observed latest before the start 2020-03" in price.source
    assert "2024-01-29" not in price.source.partition(";")[0]
    # the same chip with no start: each offer's latest price, Azure's 2024-2025 ones included
    today = _cloud(params="175B", tokens="300B", hardware="v100", chips=1024)
    assert today.value == pytest.approx(1.23)  # median of 1.12, 1.21, 1.23, 1.63, 1.70
    assert "latest observed" in today.source


def test_a_start_before_any_observation_takes_the_first_with_a_warning() -> None:
    # TPU v4 prices are first archived 2022-05-11; PaLM trained from 2021-11
    bill = combien.estimate(model="palm-540b", samples=200)
    assert bill.inputs["price_usd_per_hour"].value == pytest.approx(1.45)
    assert "cloud-price-after-start" in {w.code for w in bill.warnings}


def test_prices_of_period_picks_each_offers_observation() -> None:
    from combien.resolve.site import prices_of_period

    rows = [p for p in catalog.cloud_prices() if p.hardware == "a100-40gb"]
    chosen, after = prices_of_period(rows, "2022-06-30")
    assert after is None
    got = {(p.provider, p.as_of) for p in chosen}
    # AWS 2021-06-15, Azure 2022-01-20 (not 2021-04-11), Lambda 2022-08-04 not yet
    assert got == {("aws", "2021-06-15"), ("azure", "2022-01-20")}
    assert prices_of_period(rows, "2019-01-01")[1] == "2019-01"
