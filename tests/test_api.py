"""The Python API: small public surface, frozen deterministic Bill, the combien.bill/1 shape."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import combien
from combien.resolve.spec import TrainingRun


def test_all_matches_exports() -> None:
    assert combien.__all__ == sorted(combien.__all__)
    for name in combien.__all__:
        assert getattr(combien, name) is not None
    public = {n for n in dir(combien) if not n.startswith("_")}
    assert public == set(combien.__all__)


def test_issue_example() -> None:
    bill = combien.estimate(
        params="70B", tokens="15T", hardware="h100-sxm", chips=16384, location="US-IA"
    )
    assert isinstance(bill, combien.Bill)
    assert bill.flop == pytest.approx(6 * 70e9 * 15e12)
    for line in (
        bill.energy_kwh,
        bill.co2e_total_kg,
        bill.water_total_l,
        bill.cost_cloud_usd,
        bill.cost_ownership_usd,
        bill.cost_hardware_capex_usd,
    ):
        assert line is not None and 0 < line.low <= line.high
    assert bill.inputs["grid_gco2e_per_kwh"].source.startswith("grid_intensity:US-IA")
    assert bill.labels["location"] == "US-IA"
    with pytest.raises(dataclasses.FrozenInstanceError):
        bill.flop = 1  # type: ignore[misc]


def test_deterministic_and_seeded() -> None:
    a = combien.estimate(model="gpt-3").to_dict()
    b = combien.estimate(model="gpt-3").to_dict()
    c = combien.estimate(model="gpt-3", seed=7).to_dict()
    assert a == b
    assert a["energy_kwh"]["value"] == c["energy_kwh"]["value"]
    assert a["energy_kwh"]["low"] != c["energy_kwh"]["low"]


def test_json_schema_shape() -> None:
    data = json.loads(combien.estimate(model="llama-3.1-405b", location="US").to_json())
    assert data["schema"] == "combien.bill/1"
    assert set(data["compute"]) == {"flop", "chip_hours", "wall_hours"}
    assert data["compute"]["flop"] == pytest.approx(3.8e25)  # Meta's published compute
    # every line, compute included, is {value, low, high}: Llama 3.1 405B's 30.84M H100-hours
    assert data["compute"]["chip_hours"] == {"value": 30.84e6, "low": 30.84e6, "high": 30.84e6}
    for key in ("energy_kwh", "it_energy_kwh"):
        assert set(data[key]) == {"value", "low", "high"}
    assert set(data["co2e_kg"]) == {"operational", "embodied", "total"}
    assert set(data["water_l"]) == {"onsite", "offsite", "total"}
    assert set(data["cost_usd"]) == {"cloud", "ownership", "energy", "hardware_capex"}
    for item in data["inputs"].values():
        assert {"value", "unit", "source"} <= set(item)
    assert isinstance(data["warnings"], list)


def test_lines_null_with_a_reason() -> None:
    bill = combien.estimate(it_energy_kwh=1000)
    data = bill.to_dict()
    assert data["co2e_kg"]["embodied"] is None
    assert data["cost_usd"]["cloud"] is None
    assert any("embodied" in w for w in data["warnings"])
    assert data["energy_kwh"]["value"] > 1000


def test_no_location_warns_and_uses_world() -> None:
    bill = combien.estimate(flop=1e24, hardware="h100")
    assert "no-location" in [w.code for w in bill.warnings]
    assert bill.inputs["grid_gco2e_per_kwh"].source.startswith("grid_intensity:WORLD")
    defaults = {n for n, a in bill.inputs.items() if a.origin in ("catalog", "default")}
    assert {"mfu", "pue", "grid_gco2e_per_kwh", "power_fraction"} <= defaults


def test_training_run_and_yaml(tmp_path: Path) -> None:
    run = TrainingRun(model="llama-3.1-405b", location="US-TX")
    spec = tmp_path / "run.yaml"
    spec.write_text("model: llama-3.1-405b\nlocation: US-TX\n")
    assert (
        combien.estimate(run).to_dict() == combien.estimate(TrainingRun.from_yaml(spec)).to_dict()
    )
    assert combien.estimate(run, location="FR").labels["location"] == "FR"


def test_cloud_region_brings_operator_pue_and_provider() -> None:
    bill = combien.estimate(flop=1e24, hardware="h100", location="aws:us-east-1")
    assert bill.inputs["pue"].value == pytest.approx(1.15)
    assert bill.labels.get("provider") == "aws"
    assert "no-location" not in [w.code for w in bill.warnings]


def test_moe_uses_active_parameters() -> None:
    bill = combien.estimate(
        params="671B",
        active_params="37B",
        tokens="14.8T",
        hardware="h800",
        chips=2048,
        precision="fp8",
    )
    assert bill.flop == pytest.approx(6 * 37e9 * 14.8e12)


def test_preset_override_drops_stale_time() -> None:
    base = combien.estimate(model="gpt-3")
    more = combien.estimate(model="gpt-3", tokens="600B")
    assert more.flop == pytest.approx(2 * 6 * 175e9 * 300e9)
    assert more.chip_hours is not None and base.chip_hours is not None
    assert more.chip_hours.value > 1.5 * base.chip_hours.value


def test_tdp_convention_is_nameplate_power() -> None:
    bill = combien.estimate(hardware="a100-80gb", chip_hours=1000, convention="tdp", pue=1.5)
    assert bill.energy_kwh is not None
    assert bill.energy_kwh.value == pytest.approx(1000 * 0.4 * 1.5)
    assert bill.energy_kwh.low == bill.energy_kwh.high  # nothing uncertain left


def test_precision_falls_back_where_a_chip_has_no_tensor_peak() -> None:
    bill = combien.estimate(flop=1e20, hardware="k80", location="US")
    assert bill.labels["precision"] == "fp32"
    assert "precision-fallback" in [w.code for w in bill.warnings]
    assert bill.inputs["peak_flops"].value == pytest.approx(8.73e12)
    with pytest.raises(combien.InputError):
        combien.estimate(flop=1e20, hardware="k80", precision="bf16")
