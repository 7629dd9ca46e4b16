"""One path for every number: the field table drives specs, CLI and bills; one resolver with one
precedence; one chain for training, serving and measured runs; one Monte Carlo driver."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import combien
from combien.cli import app
from combien.engine.uncertainty import Spread, percentiles_5_95, propagate
from combien.errors import InputError
from combien.fields import INPUTS, OUTPUTS, TRAINING_LINES, Field
from combien.provenance import Assumption
from combien.resolve.resolver import PRECEDENCE, Resolver
from combien.resolve.spec import InferenceRun, TrainingRun
from combien.resolve.training import resolve_training
from combien.results.document import Document
from combien.serving.infer import infer
from combien.training.estimate import central

# ------------------------------------------------------------------ the field table


@pytest.mark.parametrize("spec", [TrainingRun, InferenceRun])
def test_every_spec_attribute_is_a_field(spec: type[TrainingRun] | type[InferenceRun]) -> None:
    for attr in spec.attributes():
        if attr in ("samples", "seed"):
            continue
        field = spec.field_of(attr)
        assert field is not None and field.attr == attr, attr


def _flags(command: str) -> set[str]:
    import typer.main

    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    return {opt for p in click_command.params for opt in p.opts if opt.startswith("--")}


@pytest.mark.parametrize(("command", "spec"), [("estimate", TrainingRun), ("infer", InferenceRun)])
def test_cli_options_are_the_spec_fields(command: str, spec: type[TrainingRun]) -> None:
    fields = {INPUTS[name].flag for name in spec.inputs()}
    own = {"--spec", "--format", "--samples", "--seed"}
    assert _flags(command) == fields | own


def test_bounds_come_from_the_field() -> None:
    fraction = Field("x_share", "fraction", "number", "", "method", "fraction")
    assert fraction.parse("0.4") == 0.4
    with pytest.raises(InputError, match=r"--x-share must be in \(0, 1\] \(got 1.5\)"):
        fraction.parse("1.5")
    # the same rule through a spec, the CLI's path: the flag named, the hint given
    with pytest.raises(InputError, match=r"--mfu must be in \(0, 1\] \(got 40\) — e.g. 0.4"):
        TrainingRun.parse({"mfu": 40})
    with pytest.raises(InputError, match="--precision: unknown 'int4' — use one of bf16"):
        TrainingRun.parse({"precision": "int4"})  # a serving precision, not a training one
    assert InferenceRun.parse({"precision": "INT4"}).precision == "int4"
    assert TrainingRun.parse({"days": "2160h"}).days == 90.0


def test_each_output_line_has_its_json_place() -> None:
    bill = combien.estimate(model="gpt-3", location="US", heat_reuse=0.5)
    data = bill.to_dict()
    for key in (*TRAINING_LINES, "heat_recoverable_kwh", "heat_homes_year"):
        node: object = data
        for part in OUTPUTS[key].json:
            assert isinstance(node, dict)
            node = node[part]
        line = bill.line(key)
        assert line is not None and node == line.to_dict(), key
    labels = [label for label, _, _ in bill.rows()]
    assert labels == [OUTPUTS[k].label for k in (*TRAINING_LINES, "heat_recoverable_kwh",
                                                  "heat_homes_year")]  # fmt: skip


def test_results_share_one_protocol() -> None:
    from combien.field.lifecycle import lifecycle

    training = TrainingRun(model="llama-3.1-8b", samples=100)
    serving = InferenceRun(model="llama-3.1-8b", rps=1, samples=100)
    for result in (combien.estimate(training), infer(serving),
                   lifecycle(training, serving, 1)):  # fmt: skip
        assert isinstance(result, Document)
        assert result.to_markdown().startswith("## combien")


# ------------------------------------------------------------------ one resolver


def test_precedence_is_written_once() -> None:
    assert PRECEDENCE == ("user", "measured", "preset", "catalog", "default")


def test_user_beats_measured_beats_preset() -> None:
    measured = {"chip_hours": Assumption(1000.0, "h", "8 GPU(s) × measured duration", "measured")}
    run = TrainingRun(model="llama-3.1-405b")
    # Meta's published 30.84M H100-hours, unless measured, unless the user says otherwise
    assert Resolver(run, {}).field("chip_hours") == (30.84e6, "preset")
    assert Resolver(run, measured).field("chip_hours") == (1000.0, "measured")
    user = TrainingRun(model="llama-3.1-405b", chip_hours=5)
    assert Resolver(user, measured).field("chip_hours") == (5.0, "user")


def test_measured_energy_enters_the_resolver_with_its_range() -> None:
    energy = Assumption(10.0, "kWh", "measured: gpu (nvml)", "measured", 8.0, 12.0)
    values = resolve_training(TrainingRun(location="FR", pue=1.2), {"it_energy_kwh": energy})
    assert values["it_energy_kwh"] == energy  # the tracker's own record, range included
    assert values["pue"].origin == "user"
    assert "it-energy-given" not in [w.code for w in values.warnings]  # that one is for users


def test_catalog_beats_default_and_says_so() -> None:
    # Virginia has an electricity price in the catalog (EIA); WORLD has none: the default is used
    fr = combien.estimate(flop=1e22, hardware="h100-sxm", location="US-VA", samples=100)
    world = combien.estimate(flop=1e22, hardware="h100-sxm", samples=100)
    assert fr.inputs["price_usd_per_kwh"].origin == "catalog"
    assert world.inputs["price_usd_per_kwh"].origin == "default"
    assert world.inputs["price_usd_per_kwh"].value == pytest.approx(0.0806)
    assert "default-price-kwh" in [w.code for w in world.warnings]


def test_a_served_model_takes_only_its_size_from_the_preset() -> None:
    # GPT-3 was trained on V100s: serving it takes the part OpenAI serves on (serving_hardware.csv),
    # not the preset's training hardware, and says so
    bill = infer(model="gpt-3", samples=100)
    assert bill.labels["hardware"] == "b200"
    assert bill.inputs["params"].value == 175e9 and bill.inputs["params"].origin == "preset"
    assert "default-hardware" in [w.code for w in bill.warnings]


# ------------------------------------------------------------------ one chain


def test_training_and_serving_share_the_chain_from_energy_on() -> None:
    site = {"pue": 1.17, "wue": 0.55, "ewif": 3.142, "grid": 400, "price_kwh": 0.1}
    served = infer(request_energy_kwh=0.004, **site)
    trained = combien.estimate(it_energy_kwh=0.004, **site)
    for key in ("energy_kwh", "co2e_operational_kg", "water_total_l", "cost_energy_usd"):
        assert served.per_request[key] == trained.line(key), key
    # Li et al.'s arithmetic: 0.004 kWh × (0.55 + 1.17 × 3.142) L/kWh
    assert served.per_request["water_total_l"].value == pytest.approx(0.004 * (0.55 + 1.17 * 3.142))


# ------------------------------------------------------------------ one Monte Carlo driver


def test_percentiles_equal_numpy() -> None:
    rng = np.random.default_rng(3)
    for n in (10, 101, 10_000):
        stack = rng.lognormal(size=(4, n))
        low, high = percentiles_5_95(stack)
        expected = np.percentile(stack, [5, 95], axis=1)
        assert np.array_equal(low, expected[0]) and np.array_equal(high, expected[1])


def test_propagate_central_and_range() -> None:
    def chain(x: dict[str, object]) -> dict[str, object]:
        return {"double": 2 * x["a"], "fixed": x["b"]}  # type: ignore[operator]

    spreads = {"a": Spread(10.0, 5.0, 20.0)}
    result = propagate(chain, {"a": 10.0, "b": 3.0}, spreads, 20_000, 0)
    value, low, high = result["double"]
    assert value == 20.0
    assert low == pytest.approx(10.0, rel=0.03) and high == pytest.approx(40.0, rel=0.03)
    assert result["fixed"] == (3.0, 3.0, 3.0)
    assert propagate(chain, {"a": 10.0, "b": 3.0}, spreads, 0, 0)["double"] == (20.0, 20.0, 20.0)


def test_an_input_that_is_another_shares_its_draws() -> None:
    # a dense model's active size is its size: drawn apart, the two would cross in a draw
    def chain(x: dict[str, object]) -> dict[str, object]:
        return {"gap": x["active"] - x["params"]}  # type: ignore[operator]

    spreads = {"params": Spread(10.0, 5.0, 20.0)}
    shared = propagate(chain, {"params": 10.0, "active": 10.0}, spreads, 1_000, 0,
                       {"active": "params"})  # fmt: skip
    assert shared["gap"] == (0.0, 0.0, 0.0)
    apart = {**spreads, "active": Spread(10.0, 5.0, 20.0)}
    _, low, high = propagate(chain, {"params": 10.0, "active": 10.0}, apart, 1_000, 0)["gap"]
    assert low < -1 and high > 1


def test_a_dense_estimate_draws_its_active_size_with_its_size() -> None:
    from combien.resolve.serving import resolve_serving
    from combien.resolve.spec import InferenceRun
    from combien.results.evaluate import evaluate

    resolved = resolve_serving(InferenceRun.parse({"model": "gpt-4o-mini"})).assumptions
    assert resolved["active_params"] is resolved["params"]  # one assumption, two names
    together = evaluate(resolved, samples=50_000, seed=0).lines["accelerator_energy_kwh"]
    # the same range under another object: drawn apart, as before
    values = dict(resolved.values)
    values["active_params"] = dataclasses.replace(values["params"])
    apart = evaluate(dataclasses.replace(resolved, values=values), samples=50_000, seed=0).lines
    # a request's energy grows with both (weights read, FLOP): drawn together their spreads add,
    # drawn apart they partly cancel and the range is too narrow — by ×1.09 (200,000 draws),
    # more than the few-percent sampling noise of a 90% range's ends at 50,000 draws
    assert together.value == pytest.approx(apart["accelerator_energy_kwh"].value)
    assert together.high / together.low > 1.05 * (
        apart["accelerator_energy_kwh"].high / apart["accelerator_energy_kwh"].low
    )


def test_an_output_some_draws_cannot_give_is_left_out_not_a_crash() -> None:
    def chain(x: dict[str, object]) -> dict[str, object]:
        a = x["a"]
        out = {"a": a}
        if bool(np.all(np.asarray(a) < 2)):  # defined only where every a is below 2
            out["inverse"] = 1 / (2 - a)  # type: ignore[operator]
        return out

    spreads = {"a": Spread(1.0, 0.5, 3.0)}  # some draws pass 2
    result = propagate(chain, {"a": 1.0}, spreads, 1_000, 0)
    assert "inverse" not in result and result["a"][0] == 1.0
    assert propagate(chain, {"a": 1.0}, spreads, 0, 0)["inverse"] == (1.0, 1.0, 1.0)


def test_central_path_equals_the_bills_central_values() -> None:
    run = TrainingRun(model="llama-3.1-405b", location="US")
    values = central(run)
    bill = combien.estimate(run)
    for key in TRAINING_LINES:
        line = bill.line(key)
        assert line is not None and values[key] == line.value, key


def test_a_measured_run_bills_its_own_duration() -> None:
    from combien.measure.measured import measured_bill
    from combien.measure.sensors import Device

    gpu = Device("gpu0", "gpu", "NVIDIA H100 80GB HBM3", "measured", "node")
    # one H100 measured for two hours at 500 W: 3.6 MJ = 1 kWh
    bill = measured_bill({"location": "FR"}, [(gpu, 3.6e6)], 7200.0)
    assert bill.inputs["wall_hours"].origin == "measured"
    assert bill.to_dict()["compute"]["wall_hours"] == {"value": 2.0, "low": 2.0, "high": 2.0}
    assert bill.chip_hours is not None and bill.chip_hours.value == 2.0  # 1 GPU × 2 h
    # the GPUs the run used, bought: one H100's server share ÷ (1 − 0.19 interconnect)
    capex = bill.cost_hardware_capex_usd
    assert capex is not None and capex.value == pytest.approx(33_750 / (1 - 0.19))
    assert ("Wall-clock time", "2.00 h", "measured") in bill.rows()
