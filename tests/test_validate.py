"""`combien validate`: combien against published runs, out of sample.

Targets (stated before the figures were known): median error ≤ 15% for chip-hours from compute,
≤ 5% for energy from chips × days; ≥ 85% of published figures inside the 90% range, with a
median width (high ÷ low) ≤ 2.5. Where combien falls short, the test asserts what is true and
docs/methodology.md §8 says so.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from combien.data import catalog
from combien.field import validate


@cache
def result() -> validate.Validation:
    return validate.validate()


def scores() -> dict[str, validate.Score]:
    return {s.line: s for s in result().scores}


def test_chip_hours_from_compute_out_of_sample() -> None:
    s = scores()["chip_hours"]
    assert s.n == 40  # runs of mfu_runs.csv with a compute, a known chip and a duration
    # coverage meets the target: the range holds 37 of 40 published figures
    assert s.coverage == pytest.approx(37 / 40)
    assert abs(s.bias) < 0.05
    # short of the targets, and said so in the methodology: the runs' MFU varies ×0.6–×1.7
    # around what chips, size, year and TPU predict, so the central value misses by 20% in
    # the median and a range that holds 90% of the truths spans ×3.1
    assert s.median_abs_error == pytest.approx(0.196, abs=0.005)
    # (3.17 before the fitted MFU was capped at mfu_plausible_max: the same 37 runs inside)
    assert s.median_width == pytest.approx(3.11, abs=0.02)


def test_wall_clock_follows_chip_hours() -> None:
    s = scores()["wall_hours"]
    assert s.n == 40 and s.coverage >= 0.85


def test_energy_from_chips_and_days() -> None:
    # where the publication measured its power (Patterson et al.: GPT-3, T5, Meena, Switch),
    # combien's default power model predicts it: misses of 14%, 9%, 1.5% and 16%, all inside
    # their ranges; the median miss, (0.086 + 0.139) / 2, is above the 5% target (said in the
    # methodology)
    s = scores()["energy_kwh"]
    assert s.n == 4 and s.coverage == 1
    measured = [c for c in result().checks if c.quantity == "energy_kwh" and c.case in (
        "gpt-3-energy", "t5-11b-energy", "meena-energy", "switch-c-energy")]  # fmt: skip
    assert sorted(round(abs(c.ratio - 1), 3) for c in measured) == [0.015, 0.086, 0.139, 0.16]
    assert s.median_abs_error == pytest.approx((0.086 + 0.139) / 2, abs=1e-3)


def test_energy_a_publication_counted_by_a_convention_is_reproduced() -> None:
    # BLOOM and LLaMA counted TDP × GPU-hours × PUE: combien applies the same convention, a
    # reproduction scored apart from the power model
    s = scores()[validate.REPRODUCED]
    assert s.n == 5 and s.median_abs_error <= 0.01
    # four of five: LLaMA-65B's published 449 MWh is below its own 1,022,362 h × 0.4 kW × 1.1
    # = 449.8 MWh, and with every factor published combien's range is a point
    assert s.coverage == pytest.approx(4 / 5) and s.median_width == pytest.approx(1.0)
    (outside,) = [c for c in result().checks if c.quantity == "energy_kwh" and not c.inside]
    assert outside.case == "llama-65b-energy"


def test_carbon_and_cost() -> None:
    s = scores()
    assert s["co2e_operational_kg"].coverage == 0.9 and s["co2e_operational_kg"].n == 10
    # the one outside: BLOOM, trained in France in 2022, whose authors took 57 gCO2e/kWh where
    # Ember gives France 78.55 for 2022 (a year of nuclear outages): the miss is that ratio
    (outside,) = [c for c in result().checks if c.quantity == "co2e_operational_kg"
                  and not c.inside]  # fmt: skip
    assert outside.case == "bloom-carbon"
    assert outside.ratio == pytest.approx(78.5502 / 57, rel=2e-3)
    assert s["cost_usd"].coverage == 1 and s["cost_usd"].n == 6
    assert s["co2e_operational_kg"].median_abs_error <= 0.15
    assert s["cost_usd"].median_abs_error <= 0.15


def test_leave_one_out_never_sees_the_run_it_checks() -> None:
    runs = catalog.mfu_runs()
    run = next(r for r in runs if r.model == "Llama 3.1-405B")
    alone = validate.compute_checks([run, *[r for r in runs if r is not run]])
    full_fit = catalog.mfu_fit()
    refit = validate.fit_mfu_model([r for r in runs if r is not run])
    assert refit.coefficients[0] != pytest.approx(full_fit["intercept"].coefficient, abs=1e-6)
    check = next(c for c in alone if c.case == run.model and c.quantity == "chip_hours")
    assert check.out_of_sample


def test_every_check_is_out_of_sample_but_one_and_sourced() -> None:
    # DeepSeek-V3 informed the fp8 throughput gain its own check uses: said, not hidden
    assert {c.case for c in result().checks if not c.out_of_sample} == {"DeepSeek-V3"}
    for case in catalog.validation_runs():
        assert case.source and case.as_of
        assert "mfu" not in case.spec() and "chip_power_w" not in case.spec()


def test_cli_table_and_json(cli: Any) -> None:
    table = cli("validate")
    assert table.code == 0
    for text in ("chip-hours", "energy", "carbon", "in 90% range", "out of sample"):
        assert text in table.out
    data = json.loads(cli("validate", "--format", "json").out)
    assert data["schema"] == "combien.validation/1" and data["leave_one_out"] is True
    assert data["in_sample"] == ["DeepSeek-V3"]
    by_line = {s["line"]: s for s in data["scores"]}
    assert by_line["chip_hours"]["coverage"] == pytest.approx(37 / 40)
