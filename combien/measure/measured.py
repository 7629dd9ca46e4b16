"""Measured energy → the same Bill as an estimate.

Measured IT energy (all devices, measured or estimated) enters the engine at the energy stage;
PUE, grid, water and prices come from the location and options exactly as in `estimate`. GPU
time (GPUs × duration) gives the chip-hours for embodied carbon and cloud or ownership cost, with
the hardware recognised from the driver's device name. Estimated devices (CPU by TDP ×
utilisation) carry the relative range `estimated_energy_rel`; measured ones are taken as read.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from combien.data import catalog
from combien.fields import INPUTS
from combien.measure.forecast import Forecast
from combien.measure.sensors import ESTIMATED, Device
from combien.provenance import Assumption, Caveat
from combien.resolve.resolver import MEASURED
from combien.resolve.spec import TrainingRun
from combien.resolve.training import resolve_training
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
    started_at: float | None = None,
) -> Bill:
    """The bill of measured IT energy (and GPU time): measured values enter the one resolver
    above the catalog and below the user (see combien.resolve.resolver). A run that started at
    `started_at` (Unix seconds) is dated by it, as `--start` dates an estimate (the grid of its
    year, prices of its time), unless the options give a start."""
    hardware, gpus = _hardware(site, devices)
    value, low, high = it_kwh
    uncertain = low < high
    measured = {
        "it_energy_kwh": Assumption(
            value, "kWh", source, MEASURED, low if uncertain else None, high if uncertain else None
        )
    }
    fields: dict[str, Any] = site.values()
    fields.pop("hardware", None)
    undated = None
    if started_at is not None and "start" not in fields:
        day = _start(started_at)
        if day:
            fields["start"] = day
        else:
            undated = Caveat(
                "start-unusable",
                f"the run's start time ({started_at:.6g} s) is not a date combien can use: the "
                "latest grid year and the latest prices are used",
            )
    if hardware and gpus and duration_s > 0:
        fields["hardware"] = hardware
        measured["chip_hours"] = Assumption(
            gpus * duration_s / SECONDS_PER_HOUR,
            "h",
            f"{gpus} GPU(s) × measured duration",
            MEASURED,
        )
    if duration_s > 0:
        measured["wall_hours"] = Assumption(
            duration_s / SECONDS_PER_HOUR, "h", "measured duration", MEASURED
        )
    resolved = resolve_training(TrainingRun.parse(fields), measured)
    bill = bill_from(resolved, samples=SAMPLES, seed=site.seed, title="measured run", hints=False)
    return dataclasses.replace(bill, warnings=(undated, *bill.warnings)) if undated else bill


def _start(started_at: float) -> str | None:
    """The UTC date of a Unix time, if it is one `--start` takes (None otherwise)."""
    try:
        day = datetime.fromtimestamp(started_at, UTC).date().isoformat()
        INPUTS["start"].parse(day)
    except (OverflowError, OSError, ValueError):  # InputError is a ValueError
        return None
    return day


def _split(devices: list[tuple[Device, float]]) -> tuple[float, float]:
    measured = sum(kwh_from_j(e) for d, e in devices if d.method != ESTIMATED)
    estimated = sum(kwh_from_j(e) for d, e in devices if d.method == ESTIMATED)
    return measured, estimated


def measured_bill(
    options: dict[str, Any],
    devices: list[tuple[Device, float]],
    duration_s: float,
    run: dict[str, Any] | None = None,
    started_at: float | None = None,
) -> Bill:
    """The bill of what was measured so far (`options`: site keys as for `estimate`), dated by
    the run's start (`started_at`, Unix seconds) where known."""
    site = TrainingRun.parse(options)
    measured, estimated = _split(devices)
    rel = catalog.default("estimated_energy_rel")
    low = measured + estimated * (rel.low or 1.0)
    high = measured + estimated * (rel.high or 1.0)
    kinds = sorted({f"{d.kind} ({d.method})" for d, _ in devices}) or ["nothing"]
    source = f"tracked: {', '.join(kinds)}"
    bill = _bill(site, devices, (measured + estimated, low, high), duration_s, source, started_at)
    if run is None:
        return bill
    notes = tuple(Caveat("tracker", n) for n in run.get("notes") or ())
    return dataclasses.replace(bill, extra={"run": run}, warnings=notes + bill.warnings)


def forecast_bill(
    options: dict[str, Any],
    devices: list[tuple[Device, float]],
    duration_s: float,
    forecast: Forecast,
    started_at: float | None = None,
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
        started_at,
    )
    return dataclasses.replace(bill, extra={"forecast": forecast.to_dict()})
