"""Inference: Li et al.'s water per request, the in-sample fit to the ML.ENERGY leaderboard,
traffic, bad input, monotonicity, and a model's whole life."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from combien.field.lifecycle import lifecycle
from combien.resolve.spec import InferenceRun, TrainingRun
from combien.serving import calibration
from combien.serving.infer import infer

DATA = Path(__file__).resolve().parent.parent / "combien" / "data"


@pytest.mark.parametrize(
    ("pue", "wue", "ewif", "ml_per_request", "per_bottle"),
    [
        (1.17, 0.55, 3.142, 16.9, 29.6),  # U.S. average (Li et al. Table 1)
        (1.15, 0.95, 9.501, 47.5, 10.5),  # Washington
        (1.19, 0.02, 1.476, 7.10, 70.4),  # Ireland
    ],
)
def test_li_et_al_water_per_request(
    pue: float, wue: float, ewif: float, ml_per_request: float, per_bottle: float, cli: Any
) -> None:
    data = cli(
        "infer",
        "--request-energy-kwh",
        "0.004",
        "--pue",
        str(pue),
        "--wue",
        str(wue),
        "--ewif",
        str(ewif),
        "--format",
        "json",
    ).json()
    assert data["schema"] == "combien.inference/1"
    water_ml = data["per_request"]["water_l"]["value"] * 1000
    assert water_ml == pytest.approx(ml_per_request, abs=0.05)
    assert data["requests_per_500ml"]["value"] == pytest.approx(per_bottle, abs=0.05)


def _calibration_checks() -> dict[str, calibration.ServedCheck]:
    """Each row the serving values were calibrated on, checked with the stored values."""
    return {r.id: calibration.check(r) for r in calibration.calibration_rows()}


def test_in_sample_fit_to_ml_energy_v3() -> None:
    """GPU energy per output token against the ML.ENERGY leaderboard V3 rows the serving values
    were calibrated on, with those values as stored: in-sample, not a validation (`combien
    validate --serving` checks each row with the values refitted without it).

    The 94 rows calibrated the engine time per token and each chip's bandwidth efficiency
    (the H100 rows the default's, the ten Llama 3.1 rows on H100 the power line too), which
    match the throughputs in geometric mean: the B200 energies are matched in the median, the
    H100 ones 11% high (the power line, fitted on the Llama rows, runs above the others). 83
    of the 94 lie inside the 90% range; the 11 outside are all of four kinds the model does
    not describe: Qwen3-235B in fp8 (0.50-0.60×), Llama 4 Maverick in fp8 at batch 16 and 64
    (1.65×), Nemotron Nano 9B's hybrid Mamba layers at batch 256 (0.55-0.60×), and Llama 3.1
    70B at batch 1,024 (1.52×).
    """
    checks = _calibration_checks()
    h100 = [c for case, c in checks.items() if "-h100-" in case]
    b200 = [c for case, c in checks.items() if "-b200-" in case]
    assert len(h100) == 46 and len(b200) == 48
    median = {
        n: statistics.median(c.value / c.published for c in g)
        for n, g in (("h100", h100), ("b200", b200))
    }
    assert median["b200"] == pytest.approx(1.0, abs=0.03)
    assert median["h100"] == pytest.approx(1.11, abs=0.03)
    llama = [c for case, c in checks.items() if "llama-3.1-" in case and "-h100-" in case]
    assert len(llama) == 10 and all(0.8 < c.value / c.published < 1.55 for c in llama)
    outside = sorted(c.case for c in checks.values() if not c.low <= c.published <= c.high)
    assert len(outside) == 11
    kinds = (
        "qwen3-235b-a22b-2507-fp8",
        "maverick-17b-128e-fp8",
        "nemotron-nano-9b",
        "70b-h100-bs1024",
    )
    assert all(any(k in case for k in kinds) for case in outside), outside


def test_traffic_fleet_and_scaling() -> None:
    bill = infer(model="llama-3.1-70b", rps=100, location="US-VA", hardware="h100-sxm")
    data = bill.to_dict()
    per_request, per_day = data["per_request"], data["per_day"]
    assert data["requests_per_day"] == 100 * 86_400
    for key in ("energy_kwh", "co2e_kg", "water_l", "cost_usd"):
        assert set(per_day[key]) == {"value", "low", "high"}
        assert per_day[key]["value"] == pytest.approx(per_request[key]["value"] * 8.64e6)
        assert data["per_year"][key]["value"] == pytest.approx(per_day[key]["value"] * 365.25)
    serving = data["serving"]
    # 141 GB of bf16 weights + KV fit on 4 × 80 GB, but 8 meet the 40 ms per token target at
    # batch 128 on fewer GPU-seconds per request (tests/test_docs.py works it out)
    assert serving["gpus_per_replica"] == 8 and serving["batch"] == 128
    assert serving["gpus_for_memory"] == 4
    assert serving["gpus_total"] == serving["replicas"] * 8
    needed = 100 * serving["replica_seconds_per_request"]
    assert serving["replicas"] == pytest.approx(needed, abs=1)
    bottle = data["requests_per_500ml"]
    assert bottle["value"] == pytest.approx(0.5 / per_request["water_l"]["value"])
    assert bottle["low"] < bottle["value"] < bottle["high"]
    assert per_request["co2e_kg"]["value"] == pytest.approx(
        per_request["co2e_operational_kg"]["value"] + per_request["co2e_embodied_kg"]["value"]
    )


def test_moe_and_presets() -> None:
    dense = infer(model="llama-3.1-70b", tokens_out=500)
    moe = infer(model="mixtral-8x7b", tokens_out=500)
    assert moe.inputs["active_params"].value == pytest.approx(12.9e9)
    assert moe.per_request["energy_kwh"].value < dense.per_request["energy_kwh"].value
    deepseek = infer(model="deepseek-v3", hardware="h200", precision="fp8")
    assert deepseek.serving["gpus_for_memory"] == 8  # 671 GB of fp8 weights on 141 GB GPUs
    # ... and 16 run batch 256 within the 40 ms per token target
    assert deepseek.serving["gpus_per_replica"] == 16 and deepseek.inputs["batch"].value == 256
    assert deepseek.serving["decode_step_ms"] <= 40


# (arguments, the problem, the hint the message gives)
BAD = [
    (["--params", "70B", "--tokens-out", "0"], "--tokens-out must be greater than 0", "(got 0)"),
    (["--params", "70B", "--rps", "-3"], "--rps must be greater than 0", "(got -3)"),
    (
        ["--params", "70B", "--rps", "1", "--requests-per-day", "5"],
        "give --rps or --requests-per-day",
        "not both",
    ),
    (
        ["--model", "deepseek-v3", "--hardware", "t4"],
        "cannot fit on t4 (16 GB)",
        "use a larger accelerator or --precision fp8/int4",
    ),
    (  # the same with a batch given: a smaller batch is then a way out
        ["--model", "deepseek-v3", "--hardware", "t4", "--batch", "8"],
        "cannot fit on t4 (16 GB)",
        "use a larger accelerator, --precision fp8/int4, or a smaller --batch",
    ),
    (  # a 70B model's decode step reads 140 GB: no H100 replica makes a token in 1 ms
        ["--params", "70B", "--tpot-ms", "1"],
        "no batch meets the latency targets on h100-sxm",
        "raise --tpot-ms/--ttft-ms",
    ),
    # 70B parameters × 2 bytes (bf16) = 140 GB of weights, more than one 80 GB H100
    (
        ["--params", "70B", "--gpus", "1"],
        "the weights need 140 GB: they do not fit on 1 × h100-sxm (80 GB)",
        "raise --gpus or use --precision fp8/int4",
    ),
    (["--tokens-out", "100"], "model size unknown", "give --params (e.g. 70B) or --model PRESET"),
    (  # a preset whose maker publishes no size, and of which combien holds no estimate
        ["--model", "claude-2"],
        "the claude-2 preset (Claude 2, Anthropic) has no parameter count",
        "give --params (e.g. 70B)",
    ),
    (  # precisions.csv: V100 tensor cores take fp16; fp8 came with Hopper
        ["--model", "llama-3.1-8b", "--hardware", "v100", "--precision", "fp8"],
        "v100 has no fp8",
        "its precisions: fp16, fp32",
    ),
    (  # Epoch AI files AlexNet under vision: it generates no tokens
        ["--model", "alexnet"],
        "alexnet (AlexNet) is not a language model",
        "--params without --model",
    ),
    (["--model", "gpt9"], "unknown model 'gpt9'", "did you mean: "),
    (["--params", "7B", "--precision", "fp2"], "--precision: unknown 'fp2'", "use one of bf16"),
    (["--params", "7B", "--utilisation", "1.5"], "--utilisation must be in (0, 1]", "e.g. 0.4"),
]


@pytest.mark.parametrize(("args", "problem", "hint"), BAD)
def test_bad_input(cli: Any, args: list[str], problem: str, hint: str) -> None:
    result = cli("infer", *args)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert result.err.startswith("combien: error: ")
    assert problem in result.err and hint in result.err


def _energy(**fields: Any) -> tuple[float, float]:
    bill = infer(InferenceRun(hardware="h100-sxm", samples=200, **fields))
    return bill.per_request["energy_kwh"].value, bill.per_request["cost_usd"].value


@settings(max_examples=15, deadline=None, derandomize=True)
@given(tokens=st.integers(1, 4000), factor=st.floats(1.0, 8.0))
def test_more_tokens_never_cost_less(tokens: int, factor: float) -> None:
    base = dict(params=8e9, tokens_in=500)
    a = _energy(tokens_out=tokens, **base)
    b = _energy(tokens_out=tokens * factor, **base)
    assert b[0] >= a[0] and b[1] >= a[1]
    c = _energy(tokens_out=tokens, params=8e9, tokens_in=500 * factor)
    assert c[0] >= a[0]


@settings(max_examples=15, deadline=None, derandomize=True)
@given(params=st.floats(1e9, 60e9), factor=st.floats(1.0, 4.0))
def test_more_parameters_never_cost_less(params: float, factor: float) -> None:
    a = _energy(params=params, tokens_out=300)
    b = _energy(params=params * factor, tokens_out=300)
    assert b[0] >= a[0] * (1 - 1e-9)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(batch=st.integers(2, 256))
def test_batching_never_costs_more_per_request(batch: int) -> None:
    single = _energy(params=8e9, tokens_out=300, batch=1, gpus=1)
    batched = _energy(params=8e9, tokens_out=300, batch=batch, gpus=1)
    assert batched[0] <= single[0] and batched[1] <= single[1]


def test_more_traffic_never_costs_less() -> None:
    a = infer(params=8e9, rps=1, samples=200).to_dict()["per_day"]
    b = infer(params=8e9, rps=10, samples=200).to_dict()["per_day"]
    for key in ("energy_kwh", "co2e_kg", "water_l", "cost_usd"):
        assert b[key]["value"] >= a[key]["value"]


def test_idle_time_costs_more_per_request() -> None:
    busy = _energy(params=8e9, tokens_out=300)
    half = _energy(params=8e9, tokens_out=300, utilisation=0.5)
    assert half[0] > busy[0] and half[1] > busy[1]


def test_lifecycle_break_even(cli: Any) -> None:
    result = lifecycle(
        TrainingRun(model="llama-3.1-405b", location="US"),
        InferenceRun(model="llama-3.1-405b", rps=100, location="US", hardware="h100-sxm"),
        months=24,
    )
    rows = {r["quantity"]: r for r in result.rows()}
    energy = rows["energy_kwh"]
    day = energy["serving_overtakes_training_day"]
    assert day["value"] == pytest.approx(
        energy["training"]["value"] / energy["serving_per_day"]["value"]
    )
    assert day["low"] <= day["value"] <= day["high"]
    assert energy["total"]["value"] == pytest.approx(
        energy["training"]["value"] + energy["serving_per_day"]["value"] * 24 * 365.25 / 12
    )
    data = cli(
        "lifecycle",
        "--model",
        "llama-3.1-405b",
        "--rps",
        "100",
        "--months",
        "24",
        "--location",
        "US",
        "--format",
        "json",
    ).json()
    assert data["schema"] == "combien.lifecycle/1"
    assert data["requests_per_day"] == 100 * 86_400
    cli_rows = {q["quantity"]: q for q in data["quantities"]}
    for quantity in ("energy_kwh", "co2e_kg", "water_l", "cost_usd"):
        for column in ("training", "serving_per_day", "total"):
            assert cli_rows[quantity][column] == pytest.approx(rows[quantity][column])
    # --months defaults to 12: a year of serving is 365.25 days of it
    year = cli("lifecycle", "--model", "llama-3.1-405b", "--rps", "100", "--format", "json")
    energy_year = year.json()["quantities"][0]
    assert year.json()["months"] == 12 and energy_year["quantity"] == "energy_kwh"
    assert energy_year["serving"]["value"] == pytest.approx(
        energy_year["serving_per_day"]["value"] * 365.25
    )
    # the serving accelerator assumed is lifecycle's --serve-hardware (--hardware trains)
    (assumed,) = [w for w in data["warnings"] if "is assumed" in w]
    assert assumed.startswith("no serving hardware given: h100-sxm is assumed — Meta AI states")
    assert assumed.endswith("— pass --serve-hardware")
    assert assumed in data["serving"]["warnings"]  # the serving bill within says it alike
    never = cli("lifecycle", "--model", "llama-3.1-405b", "--months", "0")
    assert never.code == 2 and never.err.count("\n") == 1 and "Traceback" not in never.err
    assert "--months must be from 0.01 to 1,200 (got 0.0)" in never.err
