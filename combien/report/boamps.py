"""The BoAmps report (Boavizta's open format for the energy of an AI task, JSON).

The report is valid against the format's published JSON Schemas, version 1.1.0
(github.com/Boavizta/BoAmps, model/*.json at commit 3bfefec, CC BY 4.0; a copy is in
tests/data/boamps/ and the tests validate against it). It states: `header` (the format's version,
the date, the status: `final` for a tracked run, `draft` for an estimate), `task` (taskStage
`training`, the model and its parameters, the training tokens), `measures` (measurementMethod,
powerConsumption in kWh: the IT energy, measurementDuration in seconds), `infrastructure` (the
accelerators from the hardware catalog, or a tracked run's devices as read), `environment` (the
country, the precise location, the carbon intensity of the electricity in gCO2e/kWh) and
`quality` (high ±10%, medium ±25%, low ±50%, read from the bill's range).

Where the format requires a field that combien does not know, the report gives the format's
catch-all (`other` for the infrastructure type and the data type) or `unknown` where the field
is free text (the task family, the country), and `task.taskDescription` says which fields these
are. Nothing is made up: a count of accelerators that was not given is an error, not 1.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime

from combien.data import catalog
from combien.errors import InputError, UnknownNameError
from combien.report import figures
from combien.results.bill import Bill

#: the version of the format's schemas the report is checked against (RELEASENOTE.md: 1.1.0)
FORMAT_VERSION = "1.1.0"
FORMAT_URI = (
    "https://github.com/Boavizta/BoAmps/tree/3bfefec8446ee196d1723c0e35859eb7762da3c9/model"
)
#: what the report says for a free-text field combien does not know
UNKNOWN = "unknown"

#: the quality classes of the format: the largest relative error each allows
QUALITY = (("high", 0.10), ("medium", 0.25), ("low", 0.50))

#: a tracked device's kind → the format's componentType (its examples: cpu, gpu, ram)
_COMPONENT_TYPES = {"dram": "ram"}
#: combien's energy sources (energy_sources.csv) → the format's powerSource enum
_POWER_SOURCES = {
    "nuclear": "nuclear",
    "wind": "wind",
    "solar": "solar",
    "hydro": "hydroelectric",
    "gas": "gas",
    "coal": "coal",
}


def quality(bill: Bill) -> str:
    """The quality class of the bill's IT energy: its 90% range's largest relative deviation."""
    it = bill.line("it_energy_kwh")
    if it is None or it.value <= 0:
        return "low"
    error = max(it.value - it.low, it.high - it.value) / it.value
    return next((name for name, limit in QUALITY if error <= limit), "low")


def _devices(bill: Bill) -> list[dict[str, object]]:
    run = bill.extra.get("run")
    devices = run.get("devices") if isinstance(run, dict) else None
    return [d for d in devices if isinstance(d, dict)] if isinstance(devices, list) else []


def components(bill: Bill) -> list[dict[str, object]]:
    """The hardware: a tracked run's devices as read (by kind and name), else the accelerators
    of the estimate from the hardware catalog, `nbComponent` the chips given or published."""
    devices = _devices(bill)
    if devices:
        counts = Counter((str(d.get("kind")), str(d.get("name"))) for d in devices)
        return [
            {
                "componentName": name,
                "componentType": _COMPONENT_TYPES.get(kind, kind),
                "nbComponent": n,
            }
            for (kind, name), n in counts.items()
        ]
    chips, hardware = bill.inputs.get("chips"), bill.labels.get("hardware")
    if chips is None or not hardware:
        raise InputError(
            "boamps: the format needs the number of accelerators (nbComponent) — give --chips N",
            field="chips",
        )
    component: dict[str, object] = {"componentType": "gpu", "nbComponent": round(chips.value)}
    try:
        row = catalog.hardware().get(hardware)
    except UnknownNameError:
        component["componentName"] = hardware
    else:
        component |= {"componentName": row.name, "componentType": row.kind}
        component["manufacturer"] = row.vendor
        if row.memory_gb:
            component["memorySize"] = row.memory_gb  # GB, one chip's
    component["share"] = 1  # the estimate charges the chips' whole time to the run
    return [component]


def _country(location: str) -> tuple[catalog.Location | None, str | None]:
    """The location's catalog row and the country it lies in (None: not known, e.g. WORLD)."""
    try:
        row: catalog.Location | None = catalog.locations().get(location)
    except UnknownNameError:
        return None, None
    here = row
    while here is not None and here.kind != "country":
        here = catalog.locations().get(here.parent) if here.parent else None
    return row, here.id if here else None


def environment(bill: Bill) -> tuple[dict[str, object], dict[str, object]]:
    """(environment, what the location says of the infrastructure: a cloud provider)."""
    where = bill.labels.get("location", "")
    row, country = _country(where) if where else (None, None)
    env: dict[str, object] = {"country": country or UNKNOWN}
    if where and where != country:
        env["location"] = row.id if row else where  # a region, a cloud region, WORLD
    energy = bill.labels.get("energy")
    if energy:  # a scenario's source of electricity (--energy)
        env["powerSource"] = _POWER_SOURCES.get(energy, "other")
    grid = bill.inputs.get("grid_gco2e_per_kwh")
    if grid is not None:
        env["powerSourceCarbonIntensity"] = grid.value
    infra: dict[str, object] = {}
    if row is not None and row.kind == "cloud-region" and row.provider:
        infra = {"infraType": "publicCloud", "cloudProvider": row.provider}
    return env, infra


def to_dict(bill: Bill, now: datetime | None = None) -> dict[str, object]:
    """The report as a JSON object (the energy is the IT energy: what the task's hardware drew;
    the facility's is in `combien report --as markdown`)."""
    from combien import __version__

    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S")
    it = bill.line("it_energy_kwh")
    if it is None:
        raise InputError("boamps: the bill has no energy to report — give the compute or a run")
    wall = bill.line("wall_hours")
    measured = figures.is_measured(bill)
    hours = figures.measured_hours(bill)
    duration_h = hours.value if hours else (wall.value if wall else None)
    measure: dict[str, object] = {
        "measurementMethod": "combien tracker" if measured else "combien estimate (flops-compute)",
        "version": __version__,
        "powerConsumption": it.value,
    }
    if duration_h is not None:
        measure["measurementDuration"] = duration_h * 3600
    algorithm: dict[str, object] = {}
    if bill.labels.get("model"):
        algorithm["foundationModelName"] = bill.labels["model"]
    if "params" in bill.inputs:
        algorithm["parametersNumber"] = bill.inputs["params"].value / 1e9
    unknown = [f"taskFamily ('{UNKNOWN}')"]
    if "tokens" in bill.inputs:
        dataset = {
            "dataUsage": "input",
            "dataType": "token",
            "dataQuantity": bill.inputs["tokens"].value,
        }
    else:
        dataset = {"dataUsage": "input", "dataType": "other"}
        unknown.append("dataset dataType ('other')")
    env, infra = environment(bill)
    if not infra:
        infra = {"infraType": "other"}
        unknown.append("infraType ('other')")
    if env["country"] == UNKNOWN:
        unknown.append(f"country ('{UNKNOWN}')")
    description = (
        f"Training energy {_how(bill)}. powerConsumption is the IT energy (what the hardware "
        "drew), without the facility's overhead (PUE). Not known to combien: "
        f"{', '.join(unknown)}."
    )
    return {
        "header": {
            "formatVersion": FORMAT_VERSION,
            "formatVersionSpecificationUri": FORMAT_URI,
            "reportId": str(uuid.uuid4()),
            "reportDatetime": when,
            "reportStatus": "final" if measured else "draft",
            "publisher": {"confidentialityLevel": "public"},
        },
        "task": {
            "taskStage": "training",
            "taskFamily": UNKNOWN,
            "algorithms": [algorithm],
            "dataset": [dataset],
            "taskDescription": description,
        },
        "measures": [measure],
        "infrastructure": {**infra, "components": components(bill)},
        "environment": env,
        "quality": quality(bill),
    }


def _how(bill: Bill) -> str:
    """How the training energy was obtained, device kind by kind for a tracked run."""
    how = figures.tracked(bill)
    if how is None:
        return "estimated by combien from the compute"
    verb = {"partly measured": "tracked", "tracked": "tracked"}.get(how.method, how.method)
    return f"{verb} by combien's tracker: {how.describe()}"


def render(bill: Bill) -> str:
    return json.dumps(to_dict(bill), indent=2, ensure_ascii=False) + "\n"
