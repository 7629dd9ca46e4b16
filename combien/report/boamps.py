"""The BoAmps report (Boavizta's open format for the energy of an AI task, JSON).

Fields from the format's published schemas (github.com/Boavizta/BoAmps, model/*.json): `header`,
`task` (taskStage, taskFamily, algorithms, dataset), `measures` (measurementMethod,
powerConsumption in kWh, measurementDuration in seconds), `infrastructure` (infraType,
components with componentType and nbComponent), `environment` (country, carbon intensity of the
electricity in gCO2e/kWh) and `quality` (high ±10%, medium ±25%, low ±50%, read from the
bill's range). What combien does not know (the task's family, the dataset's format) is left out
or said to be unknown, never made up.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from combien.errors import InputError
from combien.report import figures
from combien.results.bill import Bill

#: the quality classes of the format: the largest relative error each allows
QUALITY = (("high", 0.10), ("medium", 0.25), ("low", 0.50))


def quality(bill: Bill) -> str:
    """The quality class of the bill's IT energy: its 90% range's largest relative deviation."""
    it = bill.line("it_energy_kwh")
    if it is None or it.value <= 0:
        return "low"
    error = max(it.value - it.low, it.high - it.value) / it.value
    return next((name for name, limit in QUALITY if error <= limit), "low")


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
    dataset: dict[str, object] = {"dataUsage": "input", "dataType": "token"}
    if "tokens" in bill.inputs:
        dataset["dataQuantity"] = bill.inputs["tokens"].value
    chips = bill.inputs.get("chips")
    component: dict[str, object] = {
        "componentType": "gpu",
        "nbComponent": round(chips.value) if chips else 1,
        "share": 1,
    }
    if bill.labels.get("hardware"):
        component["componentName"] = bill.labels["hardware"]
    environment: dict[str, object] = {"country": figures.location(bill)}
    grid = bill.inputs.get("grid_gco2e_per_kwh")
    if grid is not None:
        environment["powerSourceCarbonIntensity"] = grid.value
    return {
        "header": {
            "reportId": str(uuid.uuid4()),
            "reportDatetime": when,
            "reportStatus": "final" if measured else "draft",
            "publisher": {"confidentialityLevel": "public"},
        },
        "task": {
            "taskStage": "training",
            "taskFamily": "unknown",
            "algorithms": [algorithm],
            "dataset": [dataset],
        },
        "measures": [measure],
        "infrastructure": {"infraType": "other", "components": [component]},
        "environment": environment,
        "quality": quality(bill),
    }


def render(bill: Bill) -> str:
    return json.dumps(to_dict(bill), indent=2, ensure_ascii=False) + "\n"
