"""`combien report --as boamps` is valid against BoAmps's own JSON Schemas (tests/data/boamps/,
version 1.1.0), for an estimate and for a tracked run, and states what the bill holds."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT4

import combien
from combien.report import boamps, report
from combien.testing import FakeSensor, ManualClock

SCHEMAS = Path(__file__).parent / "data" / "boamps"
ROOT_ID = "https://raw.githubusercontent.com/Boavizta/BoAmps/main/model/report_schema.json"
#: the schema's own draft, and the one BoAmps's tools/schema_validator/validate-schema.py uses
DRAFTS = (jsonschema.Draft4Validator, jsonschema.Draft202012Validator)


def _closed(schema: Any) -> Any:
    """The schema with no property but those it names: a misspelt field fails."""
    if isinstance(schema, dict):
        out = {key: _closed(value) for key, value in schema.items()}
        if "properties" in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_closed(value) for value in schema]
    return schema


def _schemas(closed: bool = False) -> dict[str, dict[str, Any]]:
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in SCHEMAS.glob("*_schema.json")]
    return {s["id"]: _closed(s) if closed else copy.deepcopy(s) for s in loaded}


def validators(closed: bool = False) -> Iterator[jsonschema.protocols.Validator]:
    schemas = _schemas(closed)
    registry: Registry[Any] = Registry().with_resources(
        (uri, DRAFT4.create_resource(schema)) for uri, schema in schemas.items()
    )
    for draft in DRAFTS:
        yield draft(schemas[ROOT_ID], registry=registry)


def errors(document: Any, closed: bool = False) -> list[str]:
    return [
        f"{type(v).__name__} {e.json_path}: {e.message}"
        for v in validators(closed)
        for e in v.iter_errors(document)
    ]


def assert_valid(document: Any) -> None:
    """Valid as published, and with no field the schemas do not name."""
    assert errors(document) == []
    assert errors(document, closed=True) == []


@pytest.fixture(scope="module")
def llama() -> combien.Bill:
    return combien.estimate(model="llama-3.1-405b")


@pytest.fixture
def tracked(tmp_path: Path) -> tuple[str, str]:
    """A run tracked on 2 fake H100s and an estimated CPU for 100 s in France: (db, run id)."""
    db, clock = str(tmp_path / "runs.db"), ManualClock()
    gpus = FakeSensor([700.0, 700.0], name="NVIDIA H100 80GB HBM3")
    cpu = FakeSensor(50.0, kind="cpu", name="AMD EPYC 9654", method="estimated")
    with combien.Tracker(
        location="FR", db=db, sensors=[gpus, cpu], clock=clock, interval_s=0.25, flush_s=1.0
    ) as t:
        clock.advance(100.0)
    return db, t.id


# ------------------------------------------------------------------ the schemas themselves


def test_vendored_schemas_are_the_published_ones() -> None:
    schemas = _schemas()
    assert set(schemas) == {
        f"https://raw.githubusercontent.com/Boavizta/BoAmps/main/model/{name}_schema.json"
        for name in ("report", "algorithm", "dataset", "hardware", "measure")
    }
    for schema in schemas.values():
        assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
        jsonschema.Draft4Validator.check_schema(schema)
    assert "4.0" in (SCHEMAS / "LICENSE.md").read_text(encoding="utf-8")  # CC BY 4.0


def test_validation_follows_the_sub_schemas(llama: combien.Bill) -> None:
    """A broken report fails, through the $ref'd sub-schemas too: the check is not vacuous."""
    good = boamps.to_dict(llama)
    broken: Any = copy.deepcopy(good)
    broken["infrastructure"]["components"][0]["nbComponent"] = 16_384.5  # hardware_schema
    broken["measures"][0]["powerConsumption"] = "29 GWh"  # measure_schema
    broken["task"]["dataset"][0]["dataType"] = "tokens"  # dataset_schema's enum
    broken["quality"] = "good"
    for draft in DRAFTS:
        found = [e for v in validators() if isinstance(v, draft) for e in v.iter_errors(broken)]
        paths = {e.json_path for e in found}
        assert paths == {
            "$.infrastructure.components[0].nbComponent",
            "$.measures[0].powerConsumption",
            "$.task.dataset[0].dataType",
            "$.quality",
        }, draft
    misspelt: Any = copy.deepcopy(good)
    misspelt["measures"][0]["powerConsumptionKwh"] = misspelt["measures"][0].pop("powerConsumption")
    assert errors(misspelt) and errors({**good, "notes": "x"}, closed=True)


# ------------------------------------------------------------------ an estimate


def test_estimate_is_valid(cli: Any, llama: combien.Bill) -> None:
    out = cli("report", "--model", "llama-3.1-405b", "--as", "boamps")
    assert out.code == 0, out.err
    data = out.json()
    assert_valid(data)
    assert data["header"]["formatVersion"] == "1.1.0" and data["header"]["reportStatus"] == "draft"
    (measure,) = data["measures"]
    assert measure["powerConsumption"] == llama.line("it_energy_kwh").value  # type: ignore[union-attr]
    # Meta: 16,384 H100 GPUs and 15.6T tokens; its 30.84M GPU-hours on them as seconds
    (component,) = data["infrastructure"]["components"]
    assert component["nbComponent"] == 16_384 and component["componentType"] == "gpu"
    assert component["componentName"] == "NVIDIA H100 SXM5 80GB" and component["share"] == 1
    assert data["task"]["dataset"] == [
        {"dataUsage": "input", "dataType": "token", "dataQuantity": 15.6e12}
    ]
    assert data["task"]["algorithms"] == [
        {"foundationModelName": "llama-3.1-405b", "parametersNumber": 405.0}
    ]
    assert measure["measurementDuration"] == pytest.approx(30.84e6 / 16_384 * 3600)
    # Meta does not say where: the world-average grid, and no country
    environment = data["environment"]
    assert environment["country"] == "unknown" and environment["location"] == "WORLD"
    grid = llama.inputs["grid_gco2e_per_kwh"].value
    assert environment["powerSourceCarbonIntensity"] == grid
    assert data["infrastructure"]["infraType"] == "other"
    for said in ("taskFamily ('unknown')", "infraType ('other')", "country ('unknown')"):
        assert said in data["task"]["taskDescription"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--model", "palm", "--energy", "hydro"],
        ["--params", "7B", "--tokens", "2T", "--hardware", "tpu-v4", "--chips", "64",
         "--location", "aws:us-east-1"],
        ["--flop", "1e24", "--hardware", "h100-sxm", "--chips", "8", "--location", "US-IA"],
    ],
)  # fmt: skip
def test_estimates_from_flags_are_valid(cli: Any, flags: list[str]) -> None:
    out = cli("report", *flags, "--as", "boamps")
    assert out.code == 0, out.err
    assert_valid(out.json())


def test_the_report_says_what_the_catalog_knows(cli: Any) -> None:
    palm = cli("report", "--model", "palm", "--energy", "hydro", "--as", "boamps").json()
    (tpu,) = palm["infrastructure"]["components"]
    # Chowdhery et al. 2022: 6,144 TPU v4 chips
    assert tpu["componentType"] == "tpu" and tpu["manufacturer"] == "Google"
    assert tpu["nbComponent"] == 6144
    assert palm["environment"]["powerSource"] == "hydroelectric"
    cloud = cli(
        "report", "--params", "7B", "--tokens", "2T", "--hardware", "h100-sxm", "--chips", "64",
        "--location", "aws:us-east-1", "--as", "boamps",
    ).json()  # fmt: skip
    assert cloud["infrastructure"]["infraType"] == "publicCloud"
    assert cloud["infrastructure"]["cloudProvider"] == "aws"
    # aws:us-east-1 → US-VA → US
    assert cloud["environment"] == {
        "country": "US",
        "location": "aws:us-east-1",
        "powerSourceCarbonIntensity": combien.estimate(
            params="7B", tokens="2T", hardware="h100-sxm", chips=64, location="aws:us-east-1"
        )
        .inputs["grid_gco2e_per_kwh"]
        .value,
    }
    flop = cli(
        "report", "--flop", "1e24", "--hardware", "h100-sxm", "--chips", "8", "--as", "boamps"
    ).json()
    # no tokens: the data type is the format's catch-all, and the report says so
    assert flop["task"]["dataset"] == [{"dataUsage": "input", "dataType": "other"}]
    assert "dataset dataType ('other')" in flop["task"]["taskDescription"]


def test_chips_are_never_made_up(cli: Any) -> None:
    out = cli(
        "report", "--params", "7B", "--tokens", "2T", "--hardware", "h100-sxm", "--as", "boamps"
    )
    assert out.code == 2 and out.err.count("\n") == 1
    assert "nbComponent" in out.err and "--chips" in out.err


# ------------------------------------------------------------------ a tracked run


def test_tracked_run_is_valid(cli: Any, tracked: tuple[str, str]) -> None:
    db, run_id = tracked
    out = cli("report", "--run", run_id, "--db", db, "--as", "boamps")
    assert out.code == 0, out.err
    data = out.json()
    assert_valid(data)
    assert data["header"]["reportStatus"] == "final"
    (measure,) = data["measures"]
    assert measure["measurementMethod"] == "combien tracker"
    # 2 × 700 W + 50 W for 100 s
    assert measure["powerConsumption"] == pytest.approx(1450 * 100 / 3.6e6)
    assert measure["measurementDuration"] == 100.0
    # the devices as read, not a chip count
    assert sorted(data["infrastructure"]["components"], key=lambda c: c["componentType"]) == [
        {"componentName": "AMD EPYC 9654", "componentType": "cpu", "nbComponent": 1},
        {"componentName": "NVIDIA H100 80GB HBM3", "componentType": "gpu", "nbComponent": 2},
    ]
    assert data["environment"]["country"] == "FR" and "location" not in data["environment"]
    assert data["task"]["dataset"] == [{"dataUsage": "input", "dataType": "other"}]
    assert data["quality"] == "high"  # measured: taken as read


def test_tracked_bill_is_valid(tracked: tuple[str, str]) -> None:
    from combien.measure.runs import get_run, stored_bill
    from combien.store import Store

    db, run_id = tracked
    assert_valid(json.loads(report(stored_bill(get_run(Store(db), run_id)), "boamps")))
