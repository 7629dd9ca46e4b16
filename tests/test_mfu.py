"""The MFU model, the precision a chip computes in, goodput, imputed hardware and the warnings
for inputs that look wrong."""

from __future__ import annotations

import math

import pytest

import combien
from combien.data import catalog
from combien.errors import ConflictError, IncompleteError
from combien.field import validate
from combien.resolve import mfu as utilisation


def test_the_stored_fit_is_the_fit_of_the_stored_runs() -> None:
    # mfu_fit.csv is written by bench/mfu_fit.py from mfu_runs.csv: refitting gives it back
    model = validate.fit_mfu_model(catalog.mfu_runs())
    stored = catalog.mfu_fit()
    for term, center, coefficient in model.rows():
        assert stored[term].center == pytest.approx(center, rel=1e-5, abs=1e-9), term
        assert stored[term].coefficient == pytest.approx(coefficient, rel=1e-5, abs=1e-9), term
    assert stored["runs"].coefficient == len(catalog.mfu_runs()) == 51


def test_the_fit_says_what_the_runs_say() -> None:
    # 51 published runs (Epoch AI, 2017 on): geometric mean MFU 0.363; the residual spread
    # (0.32 in log) is nearly all of the runs' own spread (0.33): chips, size, year and TPU
    # explain little of it, and the 90% range must say so
    fit = catalog.mfu_fit()
    assert math.exp(fit["intercept"].coefficient) == pytest.approx(0.363, abs=0.001)
    assert fit["residual_sd"].coefficient == pytest.approx(0.324, abs=0.001)
    assert fit["log10_chips"].coefficient < 0  # more chips, lower MFU
    assert fit["log10_params"].coefficient < 0
    runs = catalog.mfu_runs()
    assert min(r.mfu for r in runs) == pytest.approx(0.171)
    assert max(r.mfu for r in runs) == pytest.approx(0.5772)


def test_an_unknown_term_sits_at_its_center() -> None:
    fit = catalog.mfu_fit()
    terms = {"log10_chips": None, "log10_params": None, "year": None, "tpu": None}
    log_mfu, spread = utilisation.predicted_log_mfu(fit, terms)
    assert log_mfu == pytest.approx(fit["intercept"].coefficient)
    # the residual spread, inflated by √(1 + 5/51) for the coefficients' uncertainty
    assert spread == pytest.approx(0.3237 * math.sqrt(1 + 5 / 51), rel=1e-3)


def test_h100_run_mfu_and_its_range() -> None:
    bill = combien.estimate(params="70B", tokens="15T", hardware="h100-sxm", chips=16384)
    mfu = bill.inputs["mfu"]
    # exp(-1.0127 - 0.04694 × (log10 16384 - 2.9965) - 0.06398 × (log10 70e9 - 10.6171)
    #     + 0.17713 × (0 - 0.2549)) = 0.323
    assert mfu.value == pytest.approx(0.3229, abs=5e-4)
    assert mfu.low is not None and mfu.high is not None
    assert (mfu.low, mfu.high) == pytest.approx((0.185, 0.565), abs=0.002)
    assert "default-mfu" in [w.code for w in bill.warnings]


def test_the_fitted_mfu_is_capped_where_no_run_has_been() -> None:
    cap = catalog.default("mfu_plausible_max").value
    # the premise of the cap: no run the model is fitted on reaches it (the highest is 0.577)
    assert max(run.mfu for run in catalog.mfu_runs()) == pytest.approx(0.5772)
    assert cap == 0.65
    # 10M parameters on one TPU v5p in 2027-11: the fit gives exp(log MFU) = 0.87, range to 1
    tiny = combien.estimate(params="10M", tokens="1B", chips=1, hardware="tpu-v5p",
                            start="2027-11", samples=200)  # fmt: skip
    mfu = tiny.inputs["mfu"]
    assert mfu.value == mfu.high == cap and mfu.low is not None and mfu.low < cap
    said = next(w.message for w in tiny.warnings if w.code == "default-mfu")
    assert "capped at 65%" in said
    assert "far outside the published runs the fit was made on" in said
    assert "chips 1, the runs 16 to 16,384" in said
    assert "parameters 10.0M, the runs 340M to 1.57T" in said
    assert "date 2027-11, the runs 2018-10 to 2025-05" in said
    # a run among those fitted on is neither capped nor extrapolated
    inside = combien.estimate(params="70B", tokens="15T", hardware="h100-sxm", chips=16384,
                              start="2024-06", samples=200)  # fmt: skip
    said = next(w.message for w in inside.warnings if w.code == "default-mfu")
    assert "capped" not in said and "far outside" not in said


def test_a_start_before_the_chips_release_is_said() -> None:
    early = combien.estimate(params="7B", tokens="1T", hardware="h100-sxm", chips=64,
                             start="2000-01", samples=200)  # fmt: skip
    said = next(w.message for w in early.warnings if w.code == "start-before-release")
    # hardware.csv: the H100 SXM was released on 2022-09-20
    assert "the training start 2000-01-01 is before the release of h100-sxm (2022-09-20)" in said
    on_time = combien.estimate(params="7B", tokens="1T", hardware="h100-sxm", chips=64,
                               start="2023-01", samples=200)  # fmt: skip
    assert "start-before-release" not in [w.code for w in on_time.warnings]


def test_goodput_stretches_a_time_derived_from_compute() -> None:
    run = {"flop": 1e24, "hardware": "h100-sxm", "chips": 1024, "mfu": 0.4}
    full = combien.estimate(**run, goodput=1)
    default = combien.estimate(**run)
    half = combien.estimate(**run, goodput=0.5)
    assert full.chip_hours is not None and half.chip_hours is not None
    assert default.chip_hours is not None
    # 1e24 / (989.4e12 × 0.4 × 3600) = 702,011 h; ÷ 0.9 (Llama 3: > 90% effective time)
    assert full.chip_hours.value == pytest.approx(1e24 / (989.4e12 * 0.4 * 3600))
    assert default.chip_hours.value == pytest.approx(full.chip_hours.value / 0.9)
    assert half.chip_hours.value == pytest.approx(2 * full.chip_hours.value)
    # every line that follows from time follows it
    assert half.energy_kwh is not None and full.energy_kwh is not None
    assert half.energy_kwh.value == pytest.approx(2 * full.energy_kwh.value)
    assert default.inputs["goodput"].low == 0.75 and default.inputs["goodput"].high == 0.98


def test_goodput_leaves_a_published_time_alone() -> None:
    bill = combien.estimate(model="llama-3.1-405b", goodput=0.8)
    assert bill.chip_hours is not None and bill.chip_hours.value == 30.84e6
    assert "goodput-unused" in [w.code for w in bill.warnings]


@pytest.mark.parametrize("bad", [0, 1.5, -0.2])
def test_goodput_outside_zero_one(bad: float) -> None:
    with pytest.raises(combien.InputError, match=r"--goodput must be in \(0, 1\]"):
        combien.estimate(flop=1e24, hardware="h100-sxm", goodput=bad)


def test_fp8_gains_far_less_than_its_doubled_peak() -> None:
    run = {"params": "70B", "tokens": "15T", "hardware": "h100-sxm", "chips": 512}
    bf16 = combien.estimate(**run)
    fp8 = combien.estimate(**run, precision="fp8")
    assert bf16.chip_hours is not None and fp8.chip_hours is not None
    assert fp8.inputs["peak_flops"].value == pytest.approx(1.9789e15)
    # MFU relative to the fp8 peak: MFU_bf16 × gain 1.0 × 989.4 / 1978.9
    assert fp8.inputs["mfu"].value == pytest.approx(
        bf16.inputs["mfu"].value * 989.4e12 / 1.9789e15, rel=1e-3
    )
    # same time at the central gain (Llama 4 Behemoth and DeepSeek-V3 gained ~0.9–1.05×),
    # not half of it
    assert fp8.chip_hours.value == pytest.approx(bf16.chip_hours.value, rel=1e-3)
    assert fp8.chip_hours.high / fp8.chip_hours.low > bf16.chip_hours.high / bf16.chip_hours.low


def test_fp8_on_a_chip_without_fp8_names_its_precisions() -> None:
    with pytest.raises(
        combien.InputError, match="a100-80gb has no fp8 — its precisions: bf16, fp16"
    ):
        combien.estimate(flop=1e24, hardware="a100-80gb", precision="fp8")


def test_a_chip_without_bf16_is_read_at_fp16_under_its_own_label() -> None:
    bill = combien.estimate(flop=1e22, hardware="v100", chips=64)
    assert bill.labels["precision"] == "fp16"
    assert "precision-fp16" in [w.code for w in bill.warnings]
    assert bill.inputs["peak_flops"].value == pytest.approx(125e12)


def test_a_generic_name_says_which_part_it_is_read_as() -> None:
    bill = combien.estimate(flop=1e22, hardware="a100", chips=64)
    assert bill.labels["hardware"] == "a100-40gb"
    message = next(w.message for w in bill.warnings if w.code == "hardware-alias")
    assert "'a100' is read as a100-40gb" in message and "a100-80gb" in message
    exact = combien.estimate(flop=1e22, hardware="a100-40gb", chips=64)
    assert "hardware-alias" not in [w.code for w in exact.warnings]


def test_218_years_warns_that_the_inputs_look_wrong() -> None:
    bill = combien.estimate(params="70B", tokens="15T", hardware="a100", chips=8)
    assert bill.wall_hours is not None
    assert bill.wall_hours.value / 8766 > 100
    assert "implausible-time" in [w.code for w in bill.warnings]
    big = combien.estimate(flop=1e24, hardware="h100-sxm", chips=1_000_000)
    assert "implausible-chips" in [w.code for w in big.warnings]
    fine = combien.estimate(params="70B", tokens="15T", hardware="h100-sxm", chips=16384)
    assert not {"implausible-time", "implausible-chips"} & {w.code for w in fine.warnings}
    # 1e24 FLOP ÷ (989.4e12 FLOP/s × 40% MFU (the fit, for one chip) × 90% goodput) = 89 years
    one = combien.estimate(flop=1e24, hardware="h100-sxm", chips=1)
    said = next(w.message for w in one.warnings if w.code == "implausible-time")
    assert "a wall-clock of 89 years on 1 chip:" in said


def test_one_chip_hour_is_said_in_the_singular() -> None:
    with pytest.raises(ConflictError, match=r"1e\+20 FLOP in 1 chip-hour at "):
        combien.estimate(flop=1e20, chip_hours=1, hardware="h100-sxm")


def test_hardware_imputed_from_organisation_and_date() -> None:
    bill = combien.estimate(model="gpt-4o")
    assert bill.labels["hardware"] == "h100-sxm" and bill.labels["hardware_basis"] == "imputed"
    assert "imputed-hardware" in [w.code for w in bill.warnings]
    peak = bill.inputs["peak_flops"]
    assert (peak.low, peak.high) == pytest.approx((989.4e12 * 0.5, 989.4e12 * 2))
    # Google's runs go to the TPU of their date
    assert combien.estimate(model="chinchilla").labels["hardware"] == "tpu-v4"
    assert combien.estimate(model="alphago-zero").labels["hardware"] == "tpu-v2"
    # an organisation that reports its part: DeepSeek on H800
    assert combien.estimate(model="deepseek-r1").labels["hardware"] == "h800"
    # a user run with no hardware and no date still has nothing to go by
    with pytest.raises(IncompleteError, match="no hardware"):
        combien.estimate(flop=1e24)
    dated = combien.estimate(flop=1e24, start="2021-03")
    assert dated.labels["hardware"] == "a100-40gb"


def test_the_fit_recovers_known_coefficients() -> None:
    import numpy as np

    from combien.engine import compute

    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    design = np.column_stack([np.ones(5), x - x.mean()])
    mfu = np.exp(-1.0 + 0.1 * (x - x.mean()))
    coefficients, sd = compute.fit_log_linear(design, mfu)
    assert coefficients == pytest.approx([-1.0, 0.1])
    assert sd == pytest.approx(0.0, abs=1e-12)
    assert compute.log_linear_mfu(-1.0, [0.1], [2.0]) == pytest.approx(math.exp(-0.8))
    # fp8: MFU against a peak twice the bf16 one, at a throughput gain of 1, is half
    assert compute.precision_mfu(0.4, 989.4e12, 1978.9e12, 1.0) == pytest.approx(0.2, rel=1e-4)


@pytest.mark.parametrize(("low", "high"), [(0.5, 0.6), (0.6, 0.9), (0.9, 1.0)])
def test_more_goodput_never_means_more_time_or_energy(low: float, high: float) -> None:
    run = {"flop": 1e23, "hardware": "a100-80gb", "chips": 256, "location": "FR"}
    slow, fast = combien.estimate(**run, goodput=low), combien.estimate(**run, goodput=high)
    for line in ("chip_hours", "wall_hours", "energy_kwh", "co2e_total_kg", "cost_usd"):
        assert getattr(fast, line).value < getattr(slow, line).value, line


def test_a_chip_without_a_tensor_peak_falls_back_once() -> None:
    # P100 computes fp16 but hardware.csv has no fp16 tensor peak for it: fp32, one warning
    bill = combien.estimate(flop=1e20, hardware="p100", chips=8)
    codes = [w.code for w in bill.warnings]
    assert bill.labels["precision"] == "fp32"
    assert "precision-fallback" in codes and "precision-fp16" not in codes
