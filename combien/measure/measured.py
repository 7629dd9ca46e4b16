"""Measured energy → the same Bill as an estimate.

Measured IT energy (all devices, measured or estimated) enters the engine at the energy stage;
PUE, grid, water and prices come from the location and options exactly as in `estimate`. GPU
time (GPUs × duration) gives the chip-hours for embodied carbon and cloud or ownership cost, with
the hardware recognised from the driver's device name. Estimated devices (CPU by TDP ×
utilisation) carry the relative range `estimated_energy_rel`; measured ones are taken as read.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from combien.data import catalog
from combien.measure.forecast import Forecast
from combien.measure.sensors import ESTIMATED, Device
from combien.provenance import Assumption, Assumptions, Caveat
from combien.resolve.compute import resolve
from combien.resolve.spec import TrainingRun
from combien.results.bill import Bill
from combien.training.estimate import bill_from
from combien.units import SECONDS_PER_HOUR, kwh_from_j

SAMPLES = 2_000


def _hardware(site: TrainingRun, devices: list[tuple[Device, float]]) -> tuple[str | None, int]:
    gpus = [d for d, _ in devices if d.kind == "gpu"]
    if not gpus:
        return site.hardware, 0
    if site.hardware:
        return site.hardware, len(gpus)
    found = catalog.hardware_from_name(gpus[0].name)
    return (found.id if found else None), len(gpus)


def _bill(
    site: TrainingRun,
    devices: list[tuple[Device, float]],
    it_kwh: tuple[float, float, float],
    duration_s: float,
    source: str,
) -> Bill:
    hardware, gpus = _hardware(site, devices)
    fields: dict[str, Any] = site.model_dump(exclude_defaults=True)
    fields["it_energy_kwh"] = max(it_kwh[0], 1e-12)
    fields.pop("hardware", None)
    if hardware and gpus and duration_s > 0:
        fields["hardware"] = hardware
        fields["chip_hours"] = gpus * duration_s / SECONDS_PER_HOUR
    resolved = resolve(TrainingRun.parse(fields))
    values = dict(resolved.values)
    low, high = it_kwh[1], it_kwh[2]
    values["it_energy_kwh"] = Assumption(
        it_kwh[0],
        "kWh",
        source,
        "measured",
        low if low < high else None,
        high if low < high else None,
    )
    if "chip_hours" in values:
        values["chip_hours"] = dataclasses.replace(
            values["chip_hours"], origin="measured", source=f"{gpus} GPU(s) × measured duration"
        )
    warnings = tuple(w for w in resolved.warnings if w.code != "it-energy-given")
    return bill_from(
        Assumptions(values, resolved.labels, warnings), samples=SAMPLES, seed=site.seed
    )


def _split(devices: list[tuple[Device, float]]) -> tuple[float, float]:
    measured = sum(kwh_from_j(e) for d, e in devices if d.method != ESTIMATED)
    estimated = sum(kwh_from_j(e) for d, e in devices if d.method == ESTIMATED)
    return measured, estimated


def measured_bill(
    options: dict[str, Any],
    devices: list[tuple[Device, float]],
    duration_s: float,
    run: dict[str, Any] | None = None,
) -> Bill:
    """The bill of what was measured so far (`options`: site keys as for `estimate`)."""
    site = TrainingRun.parse(options)
    measured, estimated = _split(devices)
    rel = catalog.default("estimated_energy_rel")
    low = measured + estimated * (rel.low or 1.0)
    high = measured + estimated * (rel.high or 1.0)
    kinds = sorted({f"{d.kind} ({d.method})" for d, _ in devices}) or ["nothing"]
    source = f"measured: {', '.join(kinds)}"
    bill = _bill(site, devices, (measured + estimated, low, high), duration_s, source)
    if run is None:
        return bill
    notes = tuple(Caveat("tracker", n) for n in run.get("notes") or ())
    return dataclasses.replace(bill, extra={"run": run}, warnings=notes + bill.warnings)


def forecast_bill(
    options: dict[str, Any],
    devices: list[tuple[Device, float]],
    duration_s: float,
    forecast: Forecast,
) -> Bill:
    """The bill of the whole run, scaling what was measured by the forecast energy."""
    site = TrainingRun.parse(options)
    measured, estimated = _split(devices)
    now = measured + estimated
    energy = forecast.energy_j
    scale = kwh_from_j(energy.value) / now if now > 0 else 1.0
    central = now * scale
    low, high = kwh_from_j(energy.low), kwh_from_j(energy.high)
    bill = _bill(
        site,
        devices,
        (central, min(low, central), max(high, central)),
        forecast.duration_s.value,
        f"forecast at {forecast.fraction:.0%} done",
    )
    return dataclasses.replace(bill, extra={"forecast": forecast.to_dict()})
