"""Purchase prices at the training start: the observation chosen, and its server share."""

from __future__ import annotations

import pytest

from combien.data import catalog
from combien.resolve.spec import TrainingRun
from combien.training.estimate import estimate


def _chosen(chip: str, day: str) -> list[tuple[str, str, float]]:
    return [(o.date, o.basis, o.price_usd) for o in catalog.prices_at(chip, day)]


def test_a_price_observed_after_the_start_is_never_chosen_over_one_before() -> None:
    # A100 80GB: card $17,500 (2020-07-01), DGX share $37,500 (2021-06-30). A run of 2020-09
    # takes the card, the only price then known, not the later server price.
    assert _chosen("a100-80gb", "2020-09-01") == [("2020-07-01", "unit", 17500.0)]
    assert _chosen("a100-80gb", "2022-01-01") == [("2021-06-30", "server", 37500.0)]
    # a server price observed before the start beats a later card price (Epoch AI's
    # find_gpu_acquisition_price prefers DGX prices): an A100 40GB run of 2023 takes the
    # 2020-05 DGX share, depreciated from then, not the 2022-07 card price × 1.66
    assert _chosen("a100-40gb", "2023-01-01") == [("2020-05-21", "server", 24875.0)]


def test_before_any_observation_the_first_is_taken_and_a_shared_date_prefers_the_server() -> None:
    assert _chosen("a100-80gb", "2019-01-01") == [("2020-07-01", "unit", 17500.0)]
    # 2025-03-04 holds an HGX share ($138,788.44 / 8) and a card ($17,499): the server wins
    assert _chosen("a100-80gb", "2026-01-01") == [("2025-03-04", "server", 17348.56)]


def test_every_chip_with_dated_prices_holds_its_catalog_price_among_them() -> None:
    for chip, observed in catalog._price_observations().items():
        hw = catalog.hardware().get(chip)
        assert hw.price_usd is not None, chip
        same = [
            o
            for o in observed
            if o.price_usd == pytest.approx(hw.price_usd)
            and o.date[:7] == hw.price_date
            and o.basis == hw.price_basis
        ]
        assert same, f"{chip}: catalog price {hw.price_usd} {hw.price_date} not observed"


@pytest.mark.parametrize(
    ("chip", "multiplier"),
    [("p100", 1.54), ("v100", 1.69), ("a100-40gb", 1.66), ("a100-80gb", 1.66), ("h100-sxm", 1.64)],
)
def test_a_card_price_becomes_a_server_share_by_epochs_per_chip_overhead(
    chip: str, multiplier: float
) -> None:
    # Epoch AI, cost_analysis_standalone.py get_server_cost_overhead: A100 1.66, V100 1.69,
    # P100 1.54, any other 1.64 (h100-sxm: blank in hardware.csv, the default)
    hw = catalog.hardware().get(chip)
    value = hw.server_cost_multiplier or catalog.default("server_cost_multiplier").value
    assert value == multiplier


def test_an_a100_run_of_2020_pays_the_card_price_times_the_a100_overhead() -> None:
    run = TrainingRun.parse(
        {"params": 7e9, "tokens": 1e11, "hardware": "a100-80gb", "chips": 64, "start": "2020-09"}
    )
    bill = estimate(run)
    price = bill.inputs["server_price_usd"]
    assert price.value == pytest.approx(17500 * 1.66)
    assert "2020-07-01" in price.source
    # two months of depreciation, from the card's date to the start
    assert bill.inputs["years_since_price"].value == pytest.approx(62 / 365.25)
    assert "hardware-price-after-start" not in {w.code for w in bill.warnings}


def test_a_v100_run_of_2017_uses_the_dgx1_share_observed_before_it() -> None:
    run = TrainingRun.parse(
        {"params": 1e9, "tokens": 1e10, "hardware": "v100", "chips": 64, "start": "2017-09"}
    )
    bill = estimate(run)
    assert bill.inputs["server_price_usd"].value == pytest.approx(149_000 / 8)
    assert "hardware-price-after-start" not in {w.code for w in bill.warnings}
