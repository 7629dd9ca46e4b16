"""Published figures, reproduced under each publication's own inputs and convention.

Sources: ../shared/reference/public_runs.csv — Patterson et al. 2021 (GPT-3), Luccioni et al.
2023 (BLOOM), Touvron et al. 2023 Table 15 (LLaMA), the Llama 2 model card, Li et al. 2023
Table 1 (GPT-3 water), the DeepSeek-V3 technical report.
"""

from __future__ import annotations

import pytest

import combien


def test_gpt3_patterson() -> None:
    # 10,000 V100 × 14.8 days × 330 W per chip incl. host × PUE 1.10 → 1,287 MWh; × 429 g → 552 t
    bill = combien.estimate(
        hardware="v100",
        chips=10_000,
        days=14.8,
        chip_power_w=330,
        server_overhead=1,
        pue=1.10,
        grid=429,
    )
    assert bill.chip_hours is not None and bill.chip_hours.value == pytest.approx(3.552e6)
    assert bill.energy_kwh is not None and bill.co2e_operational_kg is not None
    # 14.8 days is itself rounded to 3 digits (±0.34%)
    assert bill.energy_kwh.value == pytest.approx(1_287_000, rel=0.004)
    assert bill.co2e_operational_kg.value == pytest.approx(552_100, rel=0.004)


def test_bloom_luccioni() -> None:
    # 1,082,990 A100-hours × 400 W TDP, no PUE → 433,196 kWh; × 57 g/kWh → 24.69 t
    bill = combien.estimate(
        hardware="a100-80gb", chip_hours=1_082_990, convention="tdp", pue=1, grid=57
    )
    assert bill.energy_kwh is not None and bill.co2e_operational_kg is not None
    assert bill.energy_kwh.value == pytest.approx(433_196, abs=0.5)
    assert bill.co2e_operational_kg.value == pytest.approx(24_700, abs=50)  # "24.7 t"


@pytest.mark.parametrize(
    ("gpu_hours", "mwh", "tco2e"),
    [(82_432, 36, 14), (135_168, 59, 23), (530_432, 233, 90), (1_022_362, 449, 173)],
)
def test_llama1_table15(gpu_hours: float, mwh: float, tco2e: float) -> None:
    # GPU-hours × 400 W × PUE 1.1 × 385 gCO2e/kWh (US average); table in whole MWh and tonnes
    bill = combien.estimate(
        hardware="a100-80gb", chip_hours=gpu_hours, convention="tdp", pue=1.1, grid=385
    )
    assert bill.energy_kwh is not None and bill.co2e_operational_kg is not None
    assert bill.energy_kwh.value / 1000 == pytest.approx(mwh, abs=1)
    assert bill.co2e_operational_kg.value / 1000 == pytest.approx(tco2e, abs=0.5)


@pytest.mark.parametrize(
    ("gpu_hours", "tco2e"), [(184_320, 31.22), (368_640, 62.44), (1_720_320, 291.42)]
)
def test_llama2_model_card(gpu_hours: float, tco2e: float) -> None:
    # GPU-hours × 400 W (already "adjusted for PUE"); one implied intensity, 423.5 g/kWh,
    # reproduces all three rows of the card
    bill = combien.estimate(
        hardware="a100-80gb", chip_hours=gpu_hours, convention="tdp", pue=1, grid=423.5
    )
    assert bill.co2e_operational_kg is not None
    assert bill.co2e_operational_kg.value / 1000 == pytest.approx(tco2e, abs=0.01)


def test_gpt3_water_li() -> None:
    # Li et al. Table 1, US average: 1,287 MWh, WUE 0.55, PUE 1.17, EWIF 3.142
    bill = combien.estimate(it_energy_kwh=1_287_000, pue=1.17, wue=0.55, ewif=3.142)
    assert bill.water_onsite_l is not None and bill.water_offsite_l is not None
    assert bill.water_total_l is not None
    assert bill.water_onsite_l.value / 1e6 == pytest.approx(0.708, abs=0.0005)
    assert bill.water_offsite_l.value / 1e6 == pytest.approx(4.731, abs=0.0005)
    assert bill.water_total_l.value / 1e6 == pytest.approx(5.439, abs=0.001)


def test_deepseek_v3_rental() -> None:
    # 2.788M H800-hours × $2 per GPU-hour = $5.576M
    bill = combien.estimate(hardware="h800", chip_hours="2.788M", price_hour=2)
    assert bill.cost_cloud_usd is not None
    assert bill.cost_cloud_usd.value == pytest.approx(5.576e6)


# With defaults only (no power, PUE or MFU given; the publication's convention and published
# location), how often does the published figure fall inside combien's 90% range?
_TDP = {"convention": "tdp"}
COVERAGE_CASES = [
    ({"model": "gpt-3"}, "energy_kwh", 1_287e3),
    ({"model": "gpt-3"}, "co2e_operational_kg", 552.1e3),
    ({"model": "bloom", **_TDP}, "energy_kwh", 433_196),
    ({"model": "bloom", **_TDP}, "co2e_operational_kg", 24.69e3),
    ({"model": "llama-7b", "location": "US", **_TDP}, "energy_kwh", 36e3),
    ({"model": "llama-13b", "location": "US", **_TDP}, "energy_kwh", 59e3),
    ({"model": "llama-33b", "location": "US", **_TDP}, "energy_kwh", 233e3),
    ({"model": "llama-65b", "location": "US", **_TDP}, "energy_kwh", 449e3),
    ({"model": "llama-7b", "location": "US", **_TDP}, "co2e_operational_kg", 14e3),
    ({"model": "llama-65b", "location": "US", **_TDP}, "co2e_operational_kg", 173e3),
    ({"model": "llama-2-7b", "location": "US", **_TDP}, "co2e_operational_kg", 31.22e3),
    ({"model": "llama-2-70b", "location": "US", **_TDP}, "co2e_operational_kg", 291.42e3),
    ({"model": "llama-3.1-405b", "location": "US", **_TDP}, "co2e_operational_kg", 8_930e3),
    ({"model": "deepseek-v3"}, "cost_cloud_usd", 5.576e6),
    ({"model": "gpt-4"}, "cost_cloud_usd", 78.35e6),
    ({"model": "gpt-4"}, "cost_ownership_usd", 40e6),
    ({"model": "gpt-4"}, "cost_hardware_capex_usd", 800e6),
    ({"model": "gemini-ultra"}, "cost_cloud_usd", 191.4e6),
    ({"model": "gemini-ultra"}, "cost_ownership_usd", 30e6),
]


def test_default_ranges_cover_most_published_figures() -> None:
    inside = 0
    for fields, line_name, published in COVERAGE_CASES:
        line = getattr(combien.estimate(**fields), line_name)
        assert line is not None
        # not absurdly wide: the 90% range spans less than a factor 12
        assert line.high / line.low < 12, (fields, line_name)
        # central within a factor 2 of the published figure
        assert 0.5 < line.value / published < 2, (fields, line_name)
        inside += line.low <= published <= line.high
    # Were each 90% range calibrated, at least 15 of the 19 figures would fall inside it with
    # probability 0.965 (binomial, n = 19, p = 0.9): fewer says the ranges are too narrow.
    assert inside >= 15


# Time from compute, as a user without the published duration would get it: the MFU model,
# the default goodput and (DeepSeek-V3) fp8. The published accelerator-hours fall inside the
# 90% range; these runs are in the MFU fit, so `combien validate` checks them leave-one-out.
@pytest.mark.parametrize(
    ("fields", "published_chip_hours"),
    [
        # Llama 3.1 405B: 3.8e25 FLOP on 16,384 H100, 30.84M H100-hours (Meta's model card)
        ({"flop": 3.8e25, "hardware": "h100-sxm", "chips": 16384, "start": "2024-07"}, 30.84e6),
        # DeepSeek-V3: 3.41e24 FLOP on 2,048 H800 in FP8, 2.788M H800-hours (arXiv:2412.19437)
        (
            {
                "flop": 3.41e24,
                "hardware": "h800",
                "chips": 2048,
                "precision": "fp8",
                "start": "2024-12",
            },
            2.788e6,
        ),
    ],
)
def test_time_from_compute_holds_the_published_hours(
    fields: dict[str, object], published_chip_hours: float
) -> None:
    bill = combien.estimate(**fields)
    line = bill.chip_hours
    assert line is not None
    assert line.low <= published_chip_hours <= line.high
    assert 0.7 < line.value / published_chip_hours < 1.4
